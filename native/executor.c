/*
 * The launch executor: clone() the container's first process and, in the
 * child, run a launch plan (plan.h) up to execve(). No JavaScript runs in the
 * child: Node is multi-threaded, and a forked copy of it may hold locks of
 * threads that do not exist there (DESIGN.md, "Hard constraint").
 *
 *   parent (Node, via ffi-rs)                child (this file only)
 *   ─────────────────────────                ──────────────────────
 *   tsctr_spawn(): check plan, build argv
 *   clone(flags|CLONE_PIDFD) ──────────────► close parent's pipe ends
 *                                            read(sync) … blocks
 *   write uid/gid maps, join cgroups
 *   write(sync, "g") ──────────────────────► for each op: run it
 *                                              trace: write {step, 0, ns}
 *                                              error: write {step, errno, ns}; _exit(127)
 *   read(report) until EOF  ◄──────────────── execve(): the CLOEXEC report pipe closes
 *   EOF with no error record = exec'd
 *
 * Closing the sync pipe without writing aborts the child (_exit(126)).
 * Nothing here allocates after clone(): argv/envp arrays are built first.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "executor.h"

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif

struct report {
	uint32_t step;
	int32_t err;
	uint64_t ns;
};

static int check_str(const uint8_t *plan, uint32_t len, uint32_t off)
{
	if (off == 0)
		return 0;
	if (off >= len)
		return -1;
	return memchr(plan + off, 0, len - off) ? 0 : -1;
}

/* Checks a list of count strings starting at off; returns the offset past it. */
static int64_t check_list(const uint8_t *plan, uint32_t len, uint32_t off, int64_t count)
{
	uint32_t p = off;
	for (int64_t i = 0; i < count; i++) {
		if (p == 0 || p >= len)
			return -1;
		const uint8_t *z = memchr(plan + p, 0, len - p);
		if (!z)
			return -1;
		p = (uint32_t)(z - plan) + 1;
	}
	return p;
}

static int validate(const uint8_t *plan, uint32_t len)
{
	if (len < sizeof(struct tspl_header))
		return -EINVAL;
	const struct tspl_header *h = (const void *)plan;
	if (h->magic != TSPL_MAGIC || h->version != TSPL_VERSION)
		return -EPROTO;
	uint64_t end = sizeof(*h) + (uint64_t)h->count * sizeof(struct tspl_op);
	if (end > len || h->count > 100000)
		return -EINVAL;
	const struct tspl_op *ops = (const void *)(plan + sizeof(*h));
	for (uint32_t i = 0; i < h->count; i++) {
		const struct tspl_op *o = &ops[i];
		if (o->op == 0 || (o->op > TSPL_OP_MAX && (o->op < TSPL_EXEC_OP_FIRST || o->op > TSPL_EXEC_OP_MAX)))
			return -EINVAL;
		for (int k = 0; k < 4; k++)
			if (o->op != TSPL_SECCOMP && o->op != TSPL_SETGROUPS && check_str(plan, len, o->s[k]))
				return -EINVAL;
		if (o->op == TSPL_EXECVE) {
			if (!o->s[0] || o->n[0] < 1 || o->n[1] < 0 || o->n[0] > 65536 || o->n[1] > 65536)
				return -EINVAL;
			if (check_list(plan, len, o->s[1], o->n[0]) < 0)
				return -EINVAL;
			if (o->n[1] && check_list(plan, len, o->s[2], o->n[1]) < 0)
				return -EINVAL;
		}
		if (o->op == TSPL_SECCOMP) {
			uint64_t bytes = (uint64_t)o->n[0] * sizeof(struct sock_filter);
			if (o->n[0] <= 0 || o->n[0] > 65535 || o->s[0] == 0 || o->s[0] + bytes > len)
				return -EINVAL;
		}
		if (o->op == TSPL_SETGROUPS) {
			uint64_t bytes = (uint64_t)o->n[0] * 4;
			if (o->n[0] < 0 || o->n[0] > 65536 || (o->n[0] && (o->s[0] == 0 || o->s[0] + bytes > len)))
				return -EINVAL;
		}
	}
	return 0;
}

static char **build_list(const struct ctx *c, uint32_t off, int64_t count)
{
	char **v = calloc((size_t)count + 1, sizeof(char *));
	if (!v)
		return NULL;
	uint32_t p = off;
	for (int64_t i = 0; i < count; i++) {
		v[i] = (char *)c->plan + p;
		p += (uint32_t)strlen(v[i]) + 1;
	}
	return v;
}

static uint64_t elapsed_ns(const struct ctx *c)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)(t.tv_sec - c->t0.tv_sec) * 1000000000ull + (uint64_t)(t.tv_nsec - c->t0.tv_nsec);
}

static void send_report(const struct ctx *c, uint32_t step, int err)
{
	struct report r = { step, err, elapsed_ns(c) };
	ssize_t w;
	do
		w = write(c->report_wr, &r, sizeof(r));
	while (w < 0 && errno == EINTR);
}

static __attribute__((noreturn)) void child_main(struct ctx *c)
{
	close(c->sync_wr);
	close(c->report_rd);
	char b;
	ssize_t r;
	do
		r = read(c->sync_rd, &b, 1);
	while (r < 0 && errno == EINTR);
	if (r != 1)
		_exit(126); /* the parent gave up */
	clock_gettime(CLOCK_MONOTONIC, &c->t0);
	int trace = c->hdr->flags & TSPL_HDR_TRACE;
	for (uint32_t i = 0; i < c->hdr->count; i++) {
		int rc = tsctr_run_op(c, i);
		if (rc < 0 && errno == ENOENT && (c->ops[i].flags & TSPL_OPF_IGNORE_ENOENT))
			rc = 0;
		if (rc < 0) {
			send_report(c, i, errno ? errno : EIO);
			_exit(127);
		}
		if (trace)
			send_report(c, i, 0);
	}
	/* A plan without execve: report success by exiting 0 (tsctr check uses this). */
	_exit(0);
}


/*
 * Spawns the child. out (16 bytes) receives int32 pid, pidfd, sync write fd
 * and report read fd. pidns_fd >= 0 joins that pid namespace for the child
 * (setns affects children only; ours is restored right after clone).
 * Returns 0, or -errno.
 */
int tsctr_spawn(const uint8_t *plan_in, uint32_t len, int64_t clone_flags, int32_t pidns_fd, uint8_t *out)
{
	int err = validate(plan_in, len);
	if (err)
		return err;
	struct ctx c;
	memset(&c, 0, sizeof(c));
	uint8_t *plan = malloc(len);
	if (!plan)
		return -ENOMEM;
	memcpy(plan, plan_in, len);
	c.plan = plan;
	c.len = len;
	c.hdr = (const void *)plan;
	c.ops = (const void *)(plan + sizeof(struct tspl_header));
	c.exec = calloc(c.hdr->count ? c.hdr->count : 1, sizeof(struct exec_arrays));
	if (!c.exec) {
		free(plan);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < c.hdr->count; i++) {
		const struct tspl_op *o = &c.ops[i];
		if (o->op != TSPL_EXECVE)
			continue;
		c.exec[i].argv = build_list(&c, o->s[1], o->n[0]);
		c.exec[i].envp = build_list(&c, o->s[2], o->n[1]);
		if (!c.exec[i].argv || !c.exec[i].envp) {
			err = -ENOMEM;
			goto out_free;
		}
	}
	int sp[2], rp[2];
	if (pipe2(sp, O_CLOEXEC) < 0) {
		err = -errno;
		goto out_free;
	}
	if (pipe2(rp, O_CLOEXEC) < 0) {
		err = -errno;
		close(sp[0]);
		close(sp[1]);
		goto out_free;
	}
	c.sync_rd = sp[0];
	c.sync_wr = sp[1];
	c.report_rd = rp[0];
	c.report_wr = rp[1];

	int own_pidns = -1;
	if (pidns_fd >= 0) {
		own_pidns = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
		if (own_pidns < 0 || setns(pidns_fd, CLONE_NEWPID) < 0) {
			err = -errno;
			if (own_pidns >= 0)
				close(own_pidns);
			goto out_pipes;
		}
	}
	/* Non-dumpable from clone() on (plan.h): the child's mm copies our flag. */
	int was_dumpable = -1;
	if (c.hdr->count && c.ops[0].op == TSPL_PRCTL && c.ops[0].n[0] == PR_SET_DUMPABLE && c.ops[0].n[1] == 0) {
		was_dumpable = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
		if (was_dumpable > 0)
			prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	}
	int pidfd = -1;
	long pid = syscall(SYS_clone, (unsigned long)clone_flags | CLONE_PIDFD | SIGCHLD, NULL, &pidfd, NULL, 0);
	if (pid == 0)
		child_main(&c);
	int clone_errno = errno;
	if (was_dumpable > 0)
		prctl(PR_SET_DUMPABLE, was_dumpable, 0, 0, 0);
	if (own_pidns >= 0) {
		setns(own_pidns, CLONE_NEWPID);
		close(own_pidns);
	}
	if (pid < 0) {
		err = -clone_errno;
		goto out_pipes;
	}
	close(c.sync_rd);
	close(c.report_wr);
	int32_t res[4] = { (int32_t)pid, pidfd, c.sync_wr, c.report_rd };
	memcpy(out, res, sizeof(res));
	err = 0;
	goto out_free;
out_pipes:
	close(sp[0]);
	close(sp[1]);
	close(rp[0]);
	close(rp[1]);
out_free:
	for (uint32_t i = 0; i < c.hdr->count; i++) {
		free(c.exec[i].argv);
		free(c.exec[i].envp);
	}
	free(c.exec);
	free(plan);
	return err;
}

/* Blocking wait for pid; returns the raw wait status, or -errno. ffi-rs runs it on a worker thread. */
int tsctr_wait(int32_t pid, int32_t nohang)
{
	int status = 0;
	pid_t r;
	do
		r = waitpid(pid, &status, (nohang ? WNOHANG : 0) | __WALL);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	if (r == 0)
		return -EAGAIN;
	return status;
}
