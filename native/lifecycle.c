/*
 * The lifecycle ops of the launch plan (plan.h, 60-63): what makes `create`
 * and `start` two commands, and the hooks that run inside the container.
 * Like ops.c: runs in the child, raw system calls, no allocation.
 *
 *   create (parent)                       child                            start (later, any process)
 *   mkfifo <state>/exec.fifo, O_PATH fd N
 *   spawn, id maps, cgroups, "g" ───────► plan ops …
 *                                         SYNC_REPORTED: report SYNC ─┐
 *   ◄──────────────────────────────────── (createRuntime/createContainer hooks run in the parent)
 *   write "g" on sync ──────────────────► pivot_root, … seccomp
 *                                         LOOKUP_EXEC (ENOENT fails create)
 *                                         WAIT_START: report WAITING
 *   ◄──────────────────────────────────── open /proc/self/fd/N O_RDONLY … blocks
 *   write state, exit (child reparented)                                  open fifo O_WRONLY|O_NONBLOCK
 *                                                                         (ENXIO: nobody waits → stopped)
 *                                         read the message to EOF ◄────── write the state JSON, close, unlink
 *                                         RUN_HOOK × startContainer (message on stdin)
 *                                         execve (report pipe closes)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "executor.h"

/* The start message (the state JSON `start` writes into the fifo); in the child's copy of this library's memory. */
static char start_msg[65536];
static size_t start_len;

/* Waits for one byte from the parent on the sync pipe (ECANCELED when it gave up). */
int tsctr_read_sync(const struct ctx *c)
{
	char b;
	ssize_t r;
	do
		r = read(c->sync_rd, &b, 1);
	while (r < 0 && errno == EINTR);
	if (r != 1) {
		errno = ECANCELED;
		return -1;
	}
	return 0;
}

static int is_executable(const char *path, const void *arg)
{
	(void)arg;
	struct stat st;
	if (stat(path, &st) < 0)
		return -1;
	if (!S_ISREG(st.st_mode)) {
		errno = EACCES;
		return -1;
	}
	return access(path, X_OK);
}

/*
 * Closes every fd >= first except the few the child still needs: a process
 * waiting for start may wait for days, and must not hold the creating
 * process's fds meanwhile (its lock on the state directory, its pipes).
 */
/* close_range(2), or a loop where it is missing or a seccomp filter refuses it. */
static void close_span(unsigned lo, unsigned hi)
{
	if (syscall(SYS_close_range, lo, hi, 0) == 0)
		return;
	for (unsigned fd = lo; fd <= hi && fd < 65536; fd++)
		close((int)fd);
}

static void close_others(int first, int keep_a, int keep_b, int keep_c)
{
	int keep[3] = { keep_a, keep_b, keep_c };
	/* sort the three */
	for (int x = 0; x < 3; x++)
		for (int y = x + 1; y < 3; y++)
			if (keep[y] < keep[x]) {
				int t = keep[x];
				keep[x] = keep[y];
				keep[y] = t;
			}
	unsigned lo = (unsigned)first;
	for (int x = 0; x < 3; x++) {
		if (keep[x] < first)
			continue;
		if ((unsigned)keep[x] > lo)
			close_span(lo, (unsigned)keep[x] - 1);
		lo = (unsigned)keep[x] + 1;
	}
	close_span(lo, ~0U);
}

static int wait_start(struct ctx *c, uint32_t i, int fifo_fd, int first_close)
{
	if (first_close >= 3)
		close_others(first_close, fifo_fd, c->report_wr, c->sync_rd);
	char path[64] = "/proc/self/fd/";
	char digits[16];
	int n = 0;
	unsigned v = (unsigned)fifo_fd;
	do
		digits[n++] = (char)('0' + v % 10);
	while ((v /= 10) && n < 15);
	size_t k = strlen(path);
	while (n)
		path[k++] = digits[--n];
	path[k] = 0;
	tsctr_send_report(c, i, TSPL_REPORT_WAITING);
	int fd;
	do
		fd = open(path, O_RDONLY | O_CLOEXEC);
	while (fd < 0 && errno == EINTR);
	if (fd < 0)
		return -1;
	start_len = 0;
	for (;;) {
		ssize_t r = read(fd, start_msg + start_len, sizeof(start_msg) - 1 - start_len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		start_len += (size_t)r;
		if (start_len == sizeof(start_msg) - 1)
			break;
	}
	close(fd);
	/* The fifo fd itself is not the container's business. */
	close(fifo_fd);
	return 0;
}

static int run_hook(const struct ctx *c, const struct tspl_op *o, const struct exec_arrays *ea)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	/* The message fits the pipe's buffer (64 KiB): write it all before the hook runs. */
	if (start_len && write(p[1], start_msg, start_len) != (ssize_t)start_len) {
		close(p[0]);
		close(p[1]);
		errno = EIO;
		return -1;
	}
	close(p[1]);
	/* A raw clone, not fork(): glibc's fork runs atfork handlers that take locks
	 * other threads of the parent process may have held when we were cloned. */
	long pid = syscall(SYS_clone, SIGCHLD, NULL, NULL, NULL, 0);
	if (pid < 0) {
		close(p[0]);
		return -1;
	}
	if (pid == 0) {
		if (dup2(p[0], 0) < 0)
			_exit(126);
		execve(str_at(c, o->s[0]), ea->argv, ea->envp);
		_exit(errno == ENOENT ? 127 : 126);
	}
	close(p[0]);
	int64_t timeout_ms = o->n[2] > 0 ? o->n[2] * 1000 : -1;
	struct timespec tick = { 0, 2 * 1000 * 1000 };
	for (int64_t waited = 0;; waited += 2) {
		int status;
		pid_t r = waitpid((pid_t)pid, &status, WNOHANG);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == (pid_t)pid) {
			if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
				return 0;
			errno = ECANCELED;
			return -1;
		}
		if (timeout_ms >= 0 && waited >= timeout_ms) {
			kill((pid_t)pid, SIGKILL);
			while (waitpid((pid_t)pid, &status, 0) < 0 && errno == EINTR)
				;
			errno = ETIMEDOUT;
			return -1;
		}
		nanosleep(&tick, NULL);
	}
}

int tsctr_run_lifecycle_op(struct ctx *c, uint32_t i)
{
	const struct tspl_op *o = &c->ops[i];
	switch (o->op) {
	case TSPL_SYNC_REPORTED:
		tsctr_send_report(c, i, TSPL_REPORT_SYNC);
		return tsctr_read_sync(c);
	case TSPL_LOOKUP_EXEC:
		/* execvp's search, without executing, so that create fails early on a missing program. */
		return tsctr_search_path(str_at(c, o->s[0]), str_at(c, o->s[3]), is_executable, 0);
	case TSPL_WAIT_START:
		return wait_start(c, i, (int)o->n[0], (int)o->n[1]);
	case TSPL_RUN_HOOK:
		return run_hook(c, o, &c->exec[i]);
	}
	errno = EINVAL;
	return -1;
}
