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
#include <stdio.h>
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

#include "resolve.h"

/* Needs for an op's operands: S(k) string k required; BLOB0 s0 is binary, not a string. */
#define S(k) (1u << (k))
#define BLOB0 0x10u
#define F_IGN TSPL_OPF_IGNORE_ENOENT
#define F_PRES TSPL_OPF_PRESERVE_FLAGS
#define F_PAR TSPL_OPF_MKDIR_PARENTS
#define F_ROOT TSPL_OPF_IN_ROOT
#define F_SRC TSPL_OPF_SRC_IN_ROOT
#define F_NOSYM TSPL_OPF_NO_SYMLINKS

/* Every op the executor knows (the table is sparse: opcodes are reserved in ranges, plan.h). */
static const struct op_info {
	uint32_t op;
	const char *name; /* as in src/oci/launch-plan.ts */
	uint32_t need;
	uint32_t flags; /* op flags it accepts */
} OPS[] = {
	{ TSPL_MOUNT, "mount", S(1), F_IGN | F_PRES | F_ROOT | F_SRC | F_NOSYM },
	{ TSPL_UMOUNT2, "umount2", S(0), F_IGN },
	{ TSPL_MKDIR, "mkdir", S(0), F_PAR | F_ROOT },
	{ TSPL_SYMLINK, "symlink", S(0) | S(1), F_ROOT },
	{ TSPL_MKNOD, "mknod", S(0), F_ROOT },
	{ TSPL_CHDIR, "chdir", S(0), F_ROOT },
	{ TSPL_PIVOT_ROOT, "pivot_root", S(0) | S(1), 0 },
	{ TSPL_CHROOT, "chroot", S(0), 0 },
	{ TSPL_SETHOSTNAME, "sethostname", S(0), 0 },
	{ TSPL_SETDOMAINNAME, "setdomainname", S(0), 0 },
	{ TSPL_SETRLIMIT, "setrlimit", 0, 0 },
	{ TSPL_PRCTL, "prctl", 0, 0 },
	{ TSPL_CAPSET, "capset", 0, 0 },
	{ TSPL_CAP_BOUNDING, "cap_bounding", 0, 0 },
	{ TSPL_CAP_AMBIENT, "cap_ambient", 0, 0 },
	{ TSPL_SETGROUPS, "setgroups", BLOB0, 0 },
	{ TSPL_SETRESGID, "setresgid", 0, 0 },
	{ TSPL_SETRESUID, "setresuid", 0, 0 },
	{ TSPL_DUP2, "dup2", 0, 0 },
	{ TSPL_CLOSE_FROM, "close_from", 0, 0 },
	{ TSPL_SETSID, "setsid", 0, 0 },
	{ TSPL_SETCTTY, "setctty", 0, 0 },
	{ TSPL_SECCOMP, "seccomp", BLOB0, 0 },
	{ TSPL_UMASK, "umask", 0, 0 },
	{ TSPL_WRITE_FILE, "write_file", S(0) | S(1), F_IGN | F_ROOT },
	{ TSPL_UNSHARE, "unshare", 0, 0 },
	{ TSPL_SETNS, "setns", S(0), 0 },
	{ TSPL_EXECVE, "execve", S(0), 0 },
	{ TSPL_MASK_PATH, "mask_path", S(0), F_IGN | F_ROOT },
	{ TSPL_CREATE_FILE, "create_file", S(0), F_ROOT },
	{ TSPL_LCHOWN, "lchown", S(0), F_ROOT },
	{ TSPL_SYNC, "sync", 0, 0 },
	{ TSPL_LOOPBACK_UP, "loopback_up", 0, 0 },
	{ TSPL_OPEN_ROOT, "open_root", S(0), 0 },
	{ TSPL_CHECK_PARENT, "check_parent", 0, 0 },
	{ TSPL_PERSONALITY, "personality", 0, 0 },
	{ TSPL_IOPRIO_SET, "ioprio_set", 0, 0 },
	{ TSPL_OPEN_PTY, "open_pty", S(0), 0 },
	{ TSPL_SYNC_REPORTED, "sync_reported", 0, 0 },
	{ TSPL_LOOKUP_EXEC, "lookup_exec", S(0), 0 },
	{ TSPL_WAIT_START, "wait_start", 0, 0 },
	{ TSPL_RUN_HOOK, "run_hook", S(0), 0 },
};

static const struct op_info *find_op(uint32_t op)
{
	for (size_t i = 0; i < sizeof(OPS) / sizeof(OPS[0]); i++)
		if (OPS[i].op == op)
			return &OPS[i];
	return NULL;
}

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

#define REJECT(code, ...)                                  \
	do {                                               \
		if (err && errlen)                         \
			snprintf(err, errlen, __VA_ARGS__); \
		return -(code);                            \
	} while (0)

static int validate_op(const uint8_t *plan, uint32_t len, uint32_t i, const struct tspl_op *o, char *err, uint32_t errlen)
{
	const struct op_info *info = find_op(o->op);
	if (!info)
		REJECT(EINVAL, "op %u: unknown opcode %u", i, o->op);
	const char *name = info->name;
	if (o->flags & ~info->flags)
		REJECT(EINVAL, "op %u (%s): flags 0x%x are not valid for this op", i, name, o->flags & ~info->flags);
	for (int k = 0; k < 4; k++) {
		if (k == 0 && (info->need & BLOB0))
			continue;
		if (check_str(plan, len, o->s[k]))
			REJECT(EINVAL, "op %u (%s): string operand s%d at offset %u is outside the plan or not NUL-terminated", i, name, k, o->s[k]);
		if ((info->need & S(k)) && !o->s[k])
			REJECT(EINVAL, "op %u (%s): string operand s%d is missing", i, name, k);
	}
	if ((o->flags & F_SRC) && !o->s[0])
		REJECT(EINVAL, "op %u (%s): an in-root source needs s0", i, name);
	if (o->op == TSPL_EXECVE || o->op == TSPL_RUN_HOOK) {
		if (o->n[0] < 1 || o->n[1] < 0 || o->n[0] > 65536 || o->n[1] > 65536)
			REJECT(EINVAL, "op %u (%s): bad list counts argc=%lld envc=%lld", i, name, (long long)o->n[0], (long long)o->n[1]);
		if (check_list(plan, len, o->s[1], o->n[0]) < 0)
			REJECT(EINVAL, "op %u (%s): argv (%lld strings at offset %u) runs past the plan", i, name, (long long)o->n[0], o->s[1]);
		if (o->n[1] && check_list(plan, len, o->s[2], o->n[1]) < 0)
			REJECT(EINVAL, "op %u (%s): envp (%lld strings at offset %u) runs past the plan", i, name, (long long)o->n[1], o->s[2]);
	}
	if (o->op == TSPL_SECCOMP) {
		uint64_t bytes = (uint64_t)o->n[0] * sizeof(struct sock_filter);
		if (o->n[0] <= 0 || o->n[0] > 65535 || o->s[0] == 0 || o->s[0] + bytes > len)
			REJECT(EINVAL, "op %u (%s): %lld instructions at offset %u do not fit the plan", i, name, (long long)o->n[0], o->s[0]);
	}
	if (o->op == TSPL_SETGROUPS) {
		uint64_t bytes = (uint64_t)o->n[0] * 4;
		if (o->n[0] < 0 || o->n[0] > 65536 || (o->n[0] && (o->s[0] == 0 || o->s[0] + bytes > len)))
			REJECT(EINVAL, "op %u (%s): %lld gids at offset %u do not fit the plan", i, name, (long long)o->n[0], o->s[0]);
	}
	return 0;
}

int tsctr_validate_plan(const uint8_t *plan, uint32_t len, char *err, uint32_t errlen)
{
	if (err && errlen)
		err[0] = 0;
	if (len < sizeof(struct tspl_header))
		REJECT(EINVAL, "plan of %u bytes is shorter than its header", len);
	const struct tspl_header *h = (const void *)plan;
	if (h->magic != TSPL_MAGIC)
		REJECT(EPROTO, "plan magic 0x%08x is not \"TSPL\"", h->magic);
	if (h->version != TSPL_VERSION)
		REJECT(EPROTO, "plan version %u, this executor reads %u (rebuild: npm run build)", h->version, TSPL_VERSION);
	if (h->flags & ~(TSPL_HDR_TRACE | TSPL_HDR_RESOLVE_WALK))
		REJECT(EINVAL, "plan header flags 0x%x are unknown", h->flags);
	uint64_t end = sizeof(*h) + (uint64_t)h->count * sizeof(struct tspl_op);
	if (h->count > 100000 || end > len)
		REJECT(EINVAL, "plan truncated: %u ops need %llu bytes, it has %u", h->count, (unsigned long long)end, len);
	const struct tspl_op *ops = (const void *)(plan + sizeof(*h));
	for (uint32_t i = 0; i < h->count; i++) {
		int rc = validate_op(plan, len, i, &ops[i], err, errlen);
		if (rc)
			return rc;
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

void tsctr_send_report(const struct ctx *c, uint32_t step, int err)
{
	struct tspl_report r = { step, err, elapsed_ns(c) };
	ssize_t w;
	do
		w = write(c->report_wr, &r, sizeof(r));
	while (w < 0 && errno == EINTR);
}

static __attribute__((noreturn)) void child_main(struct ctx *c)
{
	close(c->sync_wr);
	close(c->report_rd);
	if (tsctr_read_sync(c) < 0)
		_exit(126); /* the parent gave up */
	clock_gettime(CLOCK_MONOTONIC, &c->t0);
	int trace = c->hdr->flags & TSPL_HDR_TRACE;
	c->resolve_how = (c->hdr->flags & TSPL_HDR_RESOLVE_WALK) ? TSCTR_RESOLVE_WALK : 0;
	for (uint32_t i = 0; i < c->hdr->count; i++) {
		int rc = tsctr_run_op(c, i);
		if (rc < 0 && errno == ENOENT && (c->ops[i].flags & TSPL_OPF_IGNORE_ENOENT))
			rc = 0;
		if (rc < 0) {
			tsctr_send_report(c, i, errno ? errno : EIO);
			_exit(127);
		}
		if (trace)
			tsctr_send_report(c, i, 0);
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
	int err = tsctr_validate_plan(plan_in, len, NULL, 0);
	if (err)
		return err;
	struct ctx c;
	memset(&c, 0, sizeof(c));
	c.root_fd = -1;
	c.parent_pidfd = -1;
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
		if (o->op != TSPL_EXECVE && o->op != TSPL_RUN_HOOK)
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

	/* Who the child must find as its parent (TSPL_CHECK_PARENT); the pidfd also works across pid namespaces. */
	c.parent_pid = getpid();
	c.parent_pidfd = (int)syscall(SYS_pidfd_open, c.parent_pid, 0);
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
	if (c.parent_pidfd >= 0)
		close(c.parent_pidfd);
	int32_t res[4] = { (int32_t)pid, pidfd, c.sync_wr, c.report_rd };
	memcpy(out, res, sizeof(res));
	err = 0;
	goto out_free;
out_pipes:
	if (c.parent_pidfd >= 0)
		close(c.parent_pidfd);
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
