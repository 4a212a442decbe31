/*
 * The op interpreter: one case per launch-plan operation (plan.h). Runs in
 * the child between clone() and execve(): raw system calls only, no
 * allocation, errno is the result.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <unistd.h>

#include "executor.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_RAISE 2
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif

/* The locked flags of a mount (statvfs f_flag) as MS_* bits; MS_RDONLY is left to the caller's own request. */
unsigned long tsctr_statvfs_to_ms(unsigned long f)
{
	unsigned long m = 0;
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

int tsctr_search_path(const char *name, const char *search, int (*try)(const char *path, const void *arg), const void *arg)
{
	if (strchr(name, '/'))
		return try(name, arg);
	if (!search || !*search)
		search = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	char buf[4096];
	int saw_eacces = 0;
	size_t nlen = strlen(name);
	for (const char *p = search;;) {
		const char *colon = strchr(p, ':');
		size_t dlen = colon ? (size_t)(colon - p) : strlen(p);
		if (dlen + nlen + 3 < sizeof(buf)) {
			size_t k = dlen;
			memcpy(buf, p, dlen);
			if (k == 0)
				buf[k++] = '.'; /* an empty PATH entry is the working directory */
			buf[k++] = '/';
			memcpy(buf + k, name, nlen + 1);
			if (try(buf, arg) == 0)
				return 0;
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

static int try_execve(const char *path, const void *arg)
{
	const struct exec_arrays *ea = arg;
	return execve(path, ea->argv, ea->envp);
}

static int do_execve(const struct ctx *c, const struct tspl_op *o, const struct exec_arrays *ea)
{
	return tsctr_search_path(str_at(c, o->s[0]), str_at(c, o->s[3]), try_execve, ea);
}

int tsctr_run_op(struct ctx *c, uint32_t i)
{
	const struct tspl_op *o = &c->ops[i];
	const char *s0 = str_at(c, o->s[0]), *s1 = str_at(c, o->s[1]);
	const char *s2 = str_at(c, o->s[2]), *s3 = str_at(c, o->s[3]);
	if (o->flags & TSPL_OPF_IN_ROOT)
		return tsctr_run_root_op(c, o);
	switch (o->op) {
	case TSPL_MOUNT: {
		unsigned long flags = (unsigned long)o->n[0];
		if (o->flags & TSPL_OPF_PRESERVE_FLAGS) {
			struct statvfs sv;
			if (statvfs(s1, &sv) < 0)
				return -1;
			flags |= tsctr_statvfs_to_ms(sv.f_flag);
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
	case TSPL_OPEN_PTY:
		return tsctr_op_open_pty(c, o);
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
	case TSPL_OPEN_ROOT: {
		/* The host path is tsctr's own (the bundle's root), opened once it is a mount point. */
		int fd = open(s0, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return -1;
		if (c->root_fd >= 0)
			close(c->root_fd);
		c->root_fd = fd;
		return 0;
	}
	case TSPL_CHECK_PARENT: {
		/*
		 * Run after PR_SET_PDEATHSIG: if the launcher died before that, no
		 * signal will ever come, so look (runc does the same). Across a pid
		 * namespace getppid() is 0; the launcher's pidfd then tells.
		 */
		pid_t pp = getppid();
		int gone = pp != 0 && pp != c->parent_pid;
		if (pp == 0 && c->parent_pidfd >= 0) {
			struct pollfd p = { c->parent_pidfd, POLLIN, 0 };
			gone = poll(&p, 1, 0) > 0;
		}
		if (gone) {
			errno = ESRCH;
			return -1;
		}
		return 0;
	}
	case TSPL_SYNC:
		return tsctr_read_sync(c);
	case TSPL_PERSONALITY:
		/* personality(2) returns the previous persona; -1 with errno on failure. */
		return personality((unsigned long)o->n[0]) == -1 ? -1 : 0;
	case TSPL_IOPRIO_SET:
		/* No glibc wrapper (ioprio_set(2)). */
		return (int)syscall(SYS_ioprio_set, (int)o->n[0], (int)o->n[1], (int)o->n[2]);
	}
	if (o->op == TSPL_SYNC_REPORTED || o->op == TSPL_LOOKUP_EXEC || o->op == TSPL_WAIT_START || o->op == TSPL_RUN_HOOK)
		return tsctr_run_lifecycle_op(c, i);
	(void)s2;
	(void)s3;
	errno = EINVAL;
	return -1;
}

