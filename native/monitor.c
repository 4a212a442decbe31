/*
 * tsctr-monitor: keeps a detached container (`tsctr run -d`). It spawns the
 * container itself, with the same executor, so that it is the container's
 * parent: when the CLI has gone it can still reap the container and record
 * its exit status. No JavaScript in here either.
 *
 *   CLI (Node)                          monitor                      container
 *   spawn monitor (setsid) ──────────►  read request on stdin
 *                                       tsctr_spawn(plan) ─────────► waits on sync
 *   ◄─────────────── int32 pid (or -errno) on stdout
 *   write id maps, join cgroup
 *   write "g" on stdin ─────────────►   write "g" on sync ─────────► runs plan
 *   ◄─────────────── step reports, relayed as they come ◄─────────── reports
 *   ◄─────────────── EOF on stdout (execve happened, or it failed)
 *   record the task, exit               waitpid(container)
 *                                       write <exit file>.tmp, rename → <exit file>
 *                                       exit 0
 *
 * Request (stdin, native endianness): u32 magic "TSMN", u32 plan length,
 * i64 clone flags, u32 pid-namespace path length, u32 exit-file path length,
 * u32 io mode, u32 log path length, u32 socket path length, u32 log KiB
 * (monitor-io.h), then the plan, the pid-namespace path (may be empty), the
 * exit-file path, the log path and the socket path; then u32 events-block length and the events block (monitor-events.c: where
 * the events journal is, the container's id and namespace, its memory cgroup
 * to watch for OOM kills). After reaping, /tasks/oom and /tasks/exit go to
 * the journal before the exit file is written.
 * EOF on stdin instead of "g" aborts: the child is told to exit and reaped.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fd-io.h"
#include "monitor-io.h"
#include "monitor-events.h"

#define MONITOR_MAGIC 0x4e4d5354u /* "TSMN" */

int tsctr_spawn(const uint8_t *plan_in, uint32_t len, int64_t clone_flags, int32_t pidns_fd, uint8_t *out);

static void record_exit(const char *path, int status)
{
	char text[32];
	int n = snprintf(text, sizeof(text), "%d\n", status);
	tsctr_replace_file(path, text, (size_t)n);
}

int main(void)
{
	struct {
		uint32_t magic, plan_len;
		int64_t clone_flags;
		uint32_t pidns_len, exit_len;
		uint32_t io_mode, log_len, sock_len, log_kib;
	} req;
	if (tsctr_read_full(0, &req, sizeof(req)) < 0 || req.magic != MONITOR_MAGIC || req.plan_len > (64u << 20) || req.pidns_len > 4095 || req.exit_len == 0 || req.exit_len > 4095 || req.log_len > 4095 || req.sock_len > 4095)
		return 2;
	if ((req.io_mode & 0xff) != MON_IO_PASS && (!req.log_len || !req.sock_len))
		return 2;
	uint8_t *plan = malloc(req.plan_len);
	static char pidns[4096], exit_path[4096], log_path[4096], sock_path[4096];
	if (!plan || tsctr_read_full(0, plan, req.plan_len) < 0 || tsctr_read_full(0, pidns, req.pidns_len) < 0 || tsctr_read_full(0, exit_path, req.exit_len) < 0 || tsctr_read_full(0, log_path, req.log_len) < 0 || tsctr_read_full(0, sock_path, req.sock_len) < 0)
		return 2;
	pidns[req.pidns_len] = 0;
	exit_path[req.exit_len] = 0;
	log_path[req.log_len] = 0;
	sock_path[req.sock_len] = 0;
	uint32_t events_len;
	static char events[16384];
	if (tsctr_read_full(0, &events_len, sizeof(events_len)) < 0 || events_len > sizeof(events) || tsctr_read_full(0, events, events_len) < 0 || mon_events_configure(events, events_len) < 0)
		return 2;
	/* The CLI may be gone before the container exits: never die of its SIGPIPE or its terminal. */
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);

	/* First: the container's stdio ends take fds 3, 4 and 5, before anything else is opened. */
	struct mon_io_config io = { req.io_mode, log_path, (uint64_t)req.log_kib << 10, sock_path };
	if (mon_io_prepare(&io) < 0) {
		int32_t e = -errno;
		tsctr_write_full(1, &e, sizeof(e));
		return 1;
	}
	int pidns_fd = -1;
	if (req.pidns_len) {
		pidns_fd = open(pidns, O_RDONLY | O_CLOEXEC);
		if (pidns_fd < 0) {
			int32_t e = -errno;
			tsctr_write_full(1, &e, sizeof(e));
			return 1;
		}
	}
	int32_t out[4];
	int rc = tsctr_spawn(plan, req.plan_len, req.clone_flags, pidns_fd, (uint8_t *)out);
	free(plan);
	if (pidns_fd >= 0)
		close(pidns_fd);
	mon_io_spawned();
	if (rc < 0) {
		int32_t e = rc;
		tsctr_write_full(1, &e, sizeof(e));
		return 1;
	}
	int32_t pid = out[0];
	int pidfd = out[1], sync_fd = out[2], report_fd = out[3];
	if (tsctr_write_full(1, &pid, sizeof(pid)) < 0)
		goto abort_child;
	char go;
	if (tsctr_read_full(0, &go, 1) < 0 || go != 'g')
		goto abort_child;
	close(0);
	if (tsctr_write_full(sync_fd, "g", 1) < 0)
		goto abort_child;
	close(sync_fd);
	/* Relay the step reports until the report pipe closes (execve, or the child failed). */
	uint8_t buf[4096];
	for (;;) {
		ssize_t r = read(report_fd, buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		mon_events_reports(buf, (size_t)r);
		tsctr_write_full(1, buf, (size_t)r); /* the CLI may have gone; the container must not care */
	}
	close(report_fd);
	close(1);
	/* From here on nobody listens to us: keep no fd of the CLI's, and record the end. */
	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull >= 0) {
		dup2(devnull, 0);
		dup2(devnull, 1);
		dup2(devnull, 2);
	}
	mon_events_started(pid);
	int status = mon_io_serve(pid, pidfd);
	mon_events_exited(pid, status);
	record_exit(exit_path, status);
	mon_io_finish(status);
	return 0;

abort_child:;
	int st = 0;
	close(sync_fd); /* the child reads EOF and exits 126 */
	close(report_fd);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return 1;
}
