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
#include <grp.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "plan.h"

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_RAISE 2
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif

struct report {
	uint32_t step;
	int32_t err;
	uint64_t ns;
};

struct exec_arrays {
	char **argv;
	char **envp;
};

struct ctx {
	const uint8_t *plan;
	uint32_t len;
	const struct tspl_header *hdr;
	const struct tspl_op *ops;
	struct exec_arrays *exec; /* one per op, only set for EXECVE */
	int sync_rd, sync_wr, report_rd, report_wr;
	struct timespec t0;
};

static const char *str_at(const struct ctx *c, uint32_t off)
{
	return off ? (const char *)c->plan + off : NULL;
}

/* Checks that off is 0 or starts a NUL-terminated string inside the plan. */
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
		if (o->op == 0 || o->op > TSPL_OP_MAX)
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

static unsigned long statvfs_to_ms(unsigned long f)
{
	unsigned long m = 0;
	if (f & ST_RDONLY) m |= MS_RDONLY;
	if (f & ST_NOSUID) m |= MS_NOSUID;
	if (f & ST_NODEV) m |= MS_NODEV;
	if (f & ST_NOEXEC) m |= MS_NOEXEC;
	if (f & ST_NOATIME) m |= MS_NOATIME;
	if (f & ST_NODIRATIME) m |= MS_NODIRATIME;
	if (f & ST_RELATIME) m |= MS_RELATIME;
	return m;
}

static int mkdir_p(char *path, mode_t mode)
{
	/* path is a copy on our stack; walk it, creating each component. */
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(path, mode) < 0 && errno != EEXIST) {
			*p = '/';
			return -1;
		}
		*p = '/';
	}
	if (mkdir(path, mode) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

static int do_execve(const struct ctx *c, const struct tspl_op *o, const struct exec_arrays *ea)
{
	const char *path = str_at(c, o->s[0]);
	if (strchr(path, '/'))
		return execve(path, ea->argv, ea->envp);
	const char *search = str_at(c, o->s[3]);
	if (!search || !*search)
		search = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	char buf[4096];
	int saw_eacces = 0;
	size_t plen = strlen(path);
	for (const char *p = search;;) {
		const char *colon = strchr(p, ':');
		size_t dlen = colon ? (size_t)(colon - p) : strlen(p);
		if (dlen + plen + 2 < sizeof(buf)) {
			memcpy(buf, p, dlen);
			size_t k = dlen;
			if (k == 0)
				buf[k++] = '.';
			buf[k++] = '/';
			memcpy(buf + k, path, plen + 1);
			execve(buf, ea->argv, ea->envp);
			if (errno == EACCES)
				saw_eacces = 1;
			else if (errno != ENOENT && errno != ENOTDIR)
				return -1;
		}
		if (!colon)
			break;
		p = colon + 1;
	}
	errno = saw_eacces ? EACCES : ENOENT;
	return -1;
}

static int run_op(struct ctx *c, uint32_t i)
{
	const struct tspl_op *o = &c->ops[i];
	const char *s0 = str_at(c, o->s[0]), *s1 = str_at(c, o->s[1]);
	const char *s2 = str_at(c, o->s[2]), *s3 = str_at(c, o->s[3]);
	switch (o->op) {
	case TSPL_MOUNT: {
		unsigned long flags = (unsigned long)o->n[0];
		if (o->flags & TSPL_OPF_PRESERVE_FLAGS) {
			struct statvfs sv;
			if (statvfs(s1, &sv) < 0)
				return -1;
			flags |= statvfs_to_ms(sv.f_flag) & ~(unsigned long)MS_RDONLY;
		}
		return mount(s0, s1, s2, flags, s3);
	}
	case TSPL_UMOUNT2:
		return umount2(s0, (int)o->n[0]);
	case TSPL_MKDIR:
		if (o->flags & TSPL_OPF_MKDIR_PARENTS) {
			char buf[4096];
			size_t l = strlen(s0);
			if (l >= sizeof(buf)) {
				errno = ENAMETOOLONG;
				return -1;
			}
			memcpy(buf, s0, l + 1);
			return mkdir_p(buf, (mode_t)o->n[0]);
		}
		if (mkdir(s0, (mode_t)o->n[0]) < 0 && errno != EEXIST)
			return -1;
		return 0;
	case TSPL_SYMLINK:
		if (symlink(s0, s1) < 0 && errno != EEXIST)
			return -1;
		return 0;
	case TSPL_MKNOD:
		if (mknod(s0, (mode_t)o->n[0], makedev((unsigned)o->n[1], (unsigned)o->n[2])) < 0 && errno != EEXIST)
			return -1;
		return 0;
	case TSPL_CHDIR:
		return chdir(s0);
	case TSPL_PIVOT_ROOT:
		return (int)syscall(SYS_pivot_root, s0, s1);
	case TSPL_CHROOT:
		return chroot(s0);
	case TSPL_SETHOSTNAME:
		return sethostname(s0, strlen(s0));
	case TSPL_SETDOMAINNAME:
		return setdomainname(s0, strlen(s0));
	case TSPL_SETRLIMIT: {
		struct rlimit rl = { (rlim_t)o->n[1], (rlim_t)o->n[2] };
		return setrlimit((int)o->n[0], &rl);
	}
	case TSPL_PRCTL:
		return prctl((int)o->n[0], (unsigned long)o->n[1], (unsigned long)o->n[2],
			     (unsigned long)o->n[3], (unsigned long)o->n[4]);
	case TSPL_CAPSET: {
		struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
		struct __user_cap_data_struct d[2];
		uint64_t e = (uint64_t)o->n[0], p = (uint64_t)o->n[1], in = (uint64_t)o->n[2];
		d[0].effective = (uint32_t)e; d[1].effective = (uint32_t)(e >> 32);
		d[0].permitted = (uint32_t)p; d[1].permitted = (uint32_t)(p >> 32);
		d[0].inheritable = (uint32_t)in; d[1].inheritable = (uint32_t)(in >> 32);
		return (int)syscall(SYS_capset, &h, d);
	}
	case TSPL_CAP_BOUNDING:
		for (int64_t cap = 0; cap <= o->n[1] && cap < 64; cap++)
			if (!(((uint64_t)o->n[0] >> cap) & 1) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
				return -1;
		return 0;
	case TSPL_CAP_AMBIENT:
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
			return -1;
		for (int64_t cap = 0; cap <= o->n[1] && cap < 64; cap++)
			if ((((uint64_t)o->n[0] >> cap) & 1) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
				return -1;
		return 0;
	case TSPL_SETGROUPS:
		/* The glibc wrapper would signal every thread; there is one here. */
		return (int)syscall(SYS_setgroups, (size_t)o->n[0], o->n[0] ? (const gid_t *)(c->plan + o->s[0]) : NULL);
	case TSPL_SETRESGID:
		return (int)syscall(SYS_setresgid, (gid_t)o->n[0], (gid_t)o->n[1], (gid_t)o->n[2]);
	case TSPL_SETRESUID:
		return (int)syscall(SYS_setresuid, (uid_t)o->n[0], (uid_t)o->n[1], (uid_t)o->n[2]);
	case TSPL_DUP2: {
		int from = (int)o->n[0], to = (int)o->n[1];
		if (from != to && dup2(from, to) < 0)
			return -1;
		int fl = fcntl(to, F_GETFD);
		if (fl < 0)
			return -1;
		return fcntl(to, F_SETFD, fl & ~FD_CLOEXEC);
	}
	case TSPL_CLOSE_FROM:
		if (syscall(SYS_close_range, (unsigned)o->n[0], ~0U, CLOSE_RANGE_CLOEXEC) == 0)
			return 0;
		/* Kernels before 5.11: walk the range. */
		for (int fd = (int)o->n[0]; fd < 65536; fd++)
			if (fd != c->report_wr)
				fcntl(fd, F_SETFD, FD_CLOEXEC);
		return 0;
	case TSPL_SETSID:
		return setsid() < 0 ? -1 : 0;
	case TSPL_SETCTTY:
		return ioctl((int)o->n[0], TIOCSCTTY, 0);
	case TSPL_SECCOMP: {
		struct sock_fprog prog = { (unsigned short)o->n[0], (struct sock_filter *)(c->plan + o->s[0]) };
		return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, (unsigned)o->n[1], &prog);
	}
	case TSPL_UMASK:
		umask((mode_t)o->n[0]);
		return 0;
	case TSPL_WRITE_FILE: {
		int fd = open(s0, O_WRONLY | O_CLOEXEC | O_TRUNC);
		if (fd < 0)
			return -1;
		size_t l = strlen(s1);
		ssize_t w = write(fd, s1, l);
		int e = errno;
		close(fd);
		if (w != (ssize_t)l) {
			errno = w < 0 ? e : EIO;
			return -1;
		}
		return 0;
	}
	case TSPL_UNSHARE:
		return unshare((int)o->n[0]);
	case TSPL_SETNS: {
		int fd = open(s0, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return -1;
		int r = setns(fd, (int)o->n[0]);
		int e = errno;
		close(fd);
		errno = e;
		return r;
	}
	case TSPL_EXECVE:
		return do_execve(c, o, &c->exec[i]);
	case TSPL_MASK_PATH: {
		struct stat st;
		if (stat(s0, &st) < 0)
			return -1;
		if (S_ISDIR(st.st_mode))
			return mount("tmpfs", s0, "tmpfs", MS_RDONLY, "size=0k");
		return mount("/dev/null", s0, NULL, MS_BIND, NULL);
	}
	case TSPL_CREATE_FILE: {
		int fd = open(s0, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, (mode_t)o->n[0]);
		if (fd < 0) {
			/* A directory or a device is an acceptable bind target as it is. */
			if (errno == EISDIR || errno == ENXIO || errno == ETXTBSY)
				return 0;
			return -1;
		}
		close(fd);
		return 0;
	}
	case TSPL_LCHOWN:
		return lchown(s0, (uid_t)o->n[0], (gid_t)o->n[1]);
	case TSPL_LOOPBACK_UP: {
		/* A new network namespace starts with lo down; ctr and docker bring it up. */
		int sk = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (sk < 0)
			return -1;
		struct ifreq ifr;
		memset(&ifr, 0, sizeof(ifr));
		memcpy(ifr.ifr_name, "lo", 3);
		int r = ioctl(sk, SIOCGIFFLAGS, &ifr);
		if (r == 0) {
			ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
			r = ioctl(sk, SIOCSIFFLAGS, &ifr);
		}
		int e = errno;
		close(sk);
		errno = e;
		return r;
	}
	case TSPL_SYNC: {
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
	}
	(void)s2;
	(void)s3;
	errno = EINVAL;
	return -1;
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
		int rc = run_op(c, i);
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

static int last_fds[4];

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
	int pidfd = -1;
	long pid = syscall(SYS_clone, (unsigned long)clone_flags | CLONE_PIDFD | SIGCHLD, NULL, &pidfd, NULL, 0);
	if (pid == 0)
		child_main(&c);
	int clone_errno = errno;
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
	memcpy(last_fds, res, sizeof(res));
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
