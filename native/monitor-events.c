/*
 * The events of a detached task, kept by tsctr-monitor: /tasks/oom as the
 * kernel OOM-kills in the container's cgroup, and /tasks/exit once it is
 * reaped. The OOM fd (oom.c) is watched by a thread of its own, so this sits
 * beside whatever loop the monitor runs for the container's I/O; a mutex
 * orders its appends before the exit's.
 *
 * The request's events block (after the exit-file path) is NUL-terminated
 * key=value strings, all optional; without dir nothing is journalled:
 *   dir=<root>/events  limit=<bytes>  ns=<namespace>  id=<container id>
 *   oom=v1|v2  oom_dir=<memory cgroup dir>  oom_file=<task dir>/oom
 * oom_file receives the number of OOM kills seen ("1\n"), written to a temp
 * file and renamed, for `tasks ls` and `containers info`.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fd-io.h"
#include "journal.h"
#include "monitor-events.h"
#include "oom.h"
#include "plan.h"

static struct {
	char dir[4096], ns[128], id[128], oom_dir[4096], oom_file[4096];
	unsigned long long limit;
	int oom_kind;
	struct tsctr_journal j;
	struct tsctr_oom oom;
	int watching;
	int stop[2];
	pthread_t thread;
	pthread_mutex_t mu;
	unsigned long long kills;
	int failed; /* a step of the plan failed: the process never ran */
	unsigned char partial[sizeof(struct tspl_report)];
	size_t partial_len;
} ev = { .stop = { -1, -1 }, .mu = PTHREAD_MUTEX_INITIALIZER };

static int take(char *dst, size_t n, const char *v)
{
	size_t l = strlen(v);
	if (l >= n)
		return -1;
	memcpy(dst, v, l + 1);
	return 0;
}

int mon_events_configure(const char *block, size_t len)
{
	ev.limit = 4u << 20;
	for (size_t i = 0; i < len;) {
		const char *kv = block + i;
		const char *end = memchr(kv, 0, len - i);
		if (!end)
			return -1;
		i = (size_t)(end - block) + 1;
		const char *eq = strchr(kv, '=');
		if (!eq)
			return -1;
		size_t kl = (size_t)(eq - kv);
		const char *v = eq + 1;
		int rc = 0;
		if (kl == 3 && !strncmp(kv, "dir", kl))
			rc = take(ev.dir, sizeof(ev.dir), v);
		else if (kl == 2 && !strncmp(kv, "ns", kl))
			rc = take(ev.ns, sizeof(ev.ns), v);
		else if (kl == 2 && !strncmp(kv, "id", kl))
			rc = take(ev.id, sizeof(ev.id), v);
		else if (kl == 7 && !strncmp(kv, "oom_dir", kl))
			rc = take(ev.oom_dir, sizeof(ev.oom_dir), v);
		else if (kl == 8 && !strncmp(kv, "oom_file", kl))
			rc = take(ev.oom_file, sizeof(ev.oom_file), v);
		else if (kl == 3 && !strncmp(kv, "oom", kl))
			ev.oom_kind = !strcmp(v, "v1") ? TSCTR_OOM_V1 : !strcmp(v, "v2") ? TSCTR_OOM_V2 : 0;
		else if (kl == 5 && !strncmp(kv, "limit", kl)) {
			char *e;
			ev.limit = strtoull(v, &e, 10);
			rc = *e || ev.limit < 4096 ? -1 : 0;
		} /* unknown keys: a newer CLI; ignored */
		if (rc)
			return -1;
	}
	ev.j = (struct tsctr_journal){ ev.dir, ev.limit, ev.ns, ev.id };
	return 0;
}

static void write_oom_file(void)
{
	char text[32];
	if (!ev.oom_file[0])
		return;
	int n = snprintf(text, sizeof(text), "%llu\n", ev.kills);
	tsctr_replace_file(ev.oom_file, text, (size_t)n);
}

/* Under ev.mu. */
static void check_oom(void)
{
	int n = tsctr_oom_check(&ev.oom);
	if (n <= 0)
		return;
	ev.kills += (unsigned long long)n;
	write_oom_file();
	if (ev.dir[0])
		tsctr_journal_task_oom(&ev.j);
}

static void *watch_oom(void *arg)
{
	(void)arg;
	struct pollfd p[2] = { { ev.oom.fd, POLLIN, 0 }, { ev.stop[0], POLLIN, 0 } };
	for (;;) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return NULL;
		}
		if (p[1].revents)
			return NULL;
		if (p[0].revents & (POLLERR | POLLNVAL))
			return NULL;
		pthread_mutex_lock(&ev.mu);
		check_oom();
		pthread_mutex_unlock(&ev.mu);
	}
}

void mon_events_reports(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	while (len) {
		size_t take_n = sizeof(ev.partial) - ev.partial_len;
		if (take_n > len)
			take_n = len;
		memcpy(ev.partial + ev.partial_len, p, take_n);
		ev.partial_len += take_n;
		p += take_n;
		len -= take_n;
		if (ev.partial_len == sizeof(ev.partial)) {
			struct tspl_report r;
			memcpy(&r, ev.partial, sizeof(r));
			if (r.err > 0)
				ev.failed = 1;
			ev.partial_len = 0;
		}
	}
}

void mon_events_started(int pid)
{
	(void)pid;
	if (ev.failed || !ev.oom_kind || !ev.oom_dir[0])
		return;
	if (tsctr_oom_open(&ev.oom, ev.oom_kind, ev.oom_dir) < 0)
		return;
	if (pipe2(ev.stop, O_CLOEXEC) < 0) {
		tsctr_oom_close(&ev.oom);
		return;
	}
	if (pthread_create(&ev.thread, NULL, watch_oom, NULL) != 0) {
		close(ev.stop[0]);
		close(ev.stop[1]);
		tsctr_oom_close(&ev.oom);
		return;
	}
	ev.watching = 1;
}

void mon_events_exited(int pid, int status)
{
	if (ev.watching) {
		(void)!write(ev.stop[1], "x", 1);
		pthread_join(ev.thread, NULL);
		/* A kill that woke nobody yet (the thread was stopping): the count still has it. */
		check_oom();
		tsctr_oom_close(&ev.oom);
		close(ev.stop[0]);
		close(ev.stop[1]);
		ev.watching = 0;
	}
	if (ev.dir[0] && !ev.failed)
		tsctr_journal_task_exit(&ev.j, pid, status);
}
