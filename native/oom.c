/*
 * OOM kills of a container's cgroup, as one pollable fd, for tsctr-monitor.
 *   v1: an eventfd registered for memory.oom_control through
 *       cgroup.event_control (Documentation/admin-guide/cgroup-v1/memory.rst
 *       §10 "OOM Control"); it also fires when the cgroup goes away.
 *   v2: memory.events, whose changes inotify reports as IN_MODIFY
 *       (Documentation/admin-guide/cgroup-v2.rst "memory.events").
 * Either way the fd only wakes us: the kills are counted from the oom_kill
 * key of memory.oom_control (v1, Linux 4.13+) or memory.events (v2), so a
 * memory.high event or the cgroup's removal is not an OOM kill.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "oom.h"

/* The value of "oom_kill N" in a flat-keyed file; -1 when the key or file is missing. */
static long long read_oom_kill(const char *path)
{
	char buf[4096];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	for (char *line = buf; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		if (strncmp(line, "oom_kill ", 9) == 0)
			return strtoll(line + 9, NULL, 10);
	}
	return -1;
}

int tsctr_oom_open(struct tsctr_oom *o, int kind, const char *dir)
{
	memset(o, 0, sizeof(*o));
	o->fd = o->ctl_fd = -1;
	o->kind = kind;
	const char *file = kind == TSCTR_OOM_V1 ? "memory.oom_control" : "memory.events";
	int w = snprintf(o->count_path, sizeof(o->count_path), "%s/%s", dir, file);
	if (w < 0 || (size_t)w >= sizeof(o->count_path))
		return -ENAMETOOLONG;
	long long c = read_oom_kill(o->count_path);
	o->seen = c > 0 ? (uint64_t)c : 0;
	if (kind == TSCTR_OOM_V2) {
		o->fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
		if (o->fd < 0)
			return -errno;
		if (inotify_add_watch(o->fd, o->count_path, IN_MODIFY) < 0) {
			int e = -errno;
			tsctr_oom_close(o);
			return e;
		}
		return 0;
	}
	if (kind != TSCTR_OOM_V1)
		return -EINVAL;
	char ctl[4096], reg[64];
	if (snprintf(ctl, sizeof(ctl), "%s/cgroup.event_control", dir) >= (int)sizeof(ctl))
		return -ENAMETOOLONG;
	o->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	o->ctl_fd = open(o->count_path, O_RDONLY | O_CLOEXEC);
	int cfd = open(ctl, O_WRONLY | O_CLOEXEC);
	int e = 0;
	if (o->fd < 0 || o->ctl_fd < 0 || cfd < 0)
		e = -errno;
	else {
		int n = snprintf(reg, sizeof(reg), "%d %d", o->fd, o->ctl_fd);
		if (write(cfd, reg, (size_t)n) != n)
			e = -errno;
	}
	if (cfd >= 0)
		close(cfd);
	if (e)
		tsctr_oom_close(o);
	return e;
}

int tsctr_oom_check(struct tsctr_oom *o)
{
	if (o->fd < 0)
		return 0;
	uint64_t fired = 0;
	if (o->kind == TSCTR_OOM_V1) {
		if (read(o->fd, &fired, sizeof(fired)) != sizeof(fired))
			fired = 0;
	} else {
		char ev[4096];
		while (read(o->fd, ev, sizeof(ev)) > 0)
			;
	}
	long long c = read_oom_kill(o->count_path);
	if (c < 0) /* v1 before 4.13 has no count: trust the notification */
		return o->kind == TSCTR_OOM_V1 ? (int)fired : 0;
	int n = (uint64_t)c > o->seen ? (int)((uint64_t)c - o->seen) : 0;
	o->seen = (uint64_t)c;
	return n;
}

void tsctr_oom_close(struct tsctr_oom *o)
{
	if (o->fd >= 0)
		close(o->fd);
	if (o->ctl_fd >= 0)
		close(o->ctl_fd);
	o->fd = o->ctl_fd = -1;
}
