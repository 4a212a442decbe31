/*
 * Ops on paths inside the container's root (TSPL_OPF_IN_ROOT). Each path is
 * resolved at the moment of the op against the root fd (resolve.h), and the
 * op is done through what was resolved: a mount onto /proc/self/fd/N of an
 * O_PATH fd, mknodat/symlinkat/mkdirat/fchownat relative to the parent's
 * fd, fchdir. Before pivot_root an absolute symlink in the image would
 * otherwise resolve from the host's root; after it, a magic link could.
 * Runs in the child: no allocation, errno is the result.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "executor.h"
#include "resolve.h"

struct fdpath {
	char s[48];
};

static struct fdpath fd_path(int fd)
{
	struct fdpath p;
	snprintf(p.s, sizeof(p.s), "/proc/self/fd/%d", fd);
	return p;
}

static int done(int rc, int fd1, int fd2)
{
	int e = errno;
	if (fd1 >= 0)
		close(fd1);
	if (fd2 >= 0)
		close(fd2);
	errno = e;
	return rc;
}

static int root_mount(struct ctx *c, const struct tspl_op *o, unsigned how)
{
	const char *src = str_at(c, o->s[0]), *target = str_at(c, o->s[1]);
	int tfd = tsctr_resolve(c->root_fd, target, O_PATH, how);
	if (tfd < 0)
		return -1;
	int sfd = -1;
	struct fdpath tp = fd_path(tfd), sp;
	if (o->flags & TSPL_OPF_SRC_IN_ROOT) {
		sfd = tsctr_resolve(c->root_fd, src, O_PATH, c->resolve_how);
		if (sfd < 0)
			return done(-1, tfd, -1);
		sp = fd_path(sfd);
		src = sp.s;
	}
	unsigned long flags = (unsigned long)o->n[0];
	if (o->flags & TSPL_OPF_PRESERVE_FLAGS) {
		struct statvfs sv;
		if (fstatvfs(tfd, &sv) < 0)
			return done(-1, tfd, sfd);
		flags |= tsctr_statvfs_to_ms(sv.f_flag);
	}
	int rc = mount(src, tp.s, str_at(c, o->s[2]), flags, str_at(c, o->s[3]));
	return done(rc, tfd, sfd);
}

/* /dev/null (the container's own) over a file, a read-only empty tmpfs over a directory. */
static int root_mask(struct ctx *c, const char *path, unsigned how)
{
	int fd = tsctr_resolve(c->root_fd, path, O_PATH, how);
	if (fd < 0)
		return -1;
	struct stat st;
	if (fstat(fd, &st) < 0)
		return done(-1, fd, -1);
	struct fdpath p = fd_path(fd);
	if (S_ISDIR(st.st_mode))
		return done(mount("tmpfs", p.s, "tmpfs", MS_RDONLY, "size=0k"), fd, -1);
	int nfd = tsctr_resolve(c->root_fd, "/dev/null", O_PATH, c->resolve_how);
	if (nfd < 0) {
		/* Not ENOENT: that would read as "nothing to mask" (IGNORE_ENOENT) and leave the file readable. */
		errno = ENODEV;
		return done(-1, fd, -1);
	}
	struct stat ns;
	if (fstat(nfd, &ns) < 0 || !S_ISCHR(ns.st_mode) || ns.st_rdev != makedev(1, 3)) {
		errno = ENODEV; /* the container's /dev/null is not the null device */
		return done(-1, fd, nfd);
	}
	struct fdpath np = fd_path(nfd);
	return done(mount(np.s, p.s, NULL, MS_BIND, NULL), fd, nfd);
}

static int root_write(struct ctx *c, const char *path, const char *data, unsigned how)
{
	int fd = tsctr_resolve(c->root_fd, path, O_WRONLY | O_TRUNC, how);
	if (fd < 0)
		return -1;
	size_t l = strlen(data);
	ssize_t w = write(fd, data, l);
	if (w != (ssize_t)l && w >= 0)
		errno = EIO;
	return done(w == (ssize_t)l ? 0 : -1, fd, -1);
}

int tsctr_run_root_op(struct ctx *c, const struct tspl_op *o)
{
	if (c->root_fd < 0) {
		errno = EBADF; /* no TSPL_OPEN_ROOT before */
		return -1;
	}
	unsigned how = c->resolve_how | ((o->flags & TSPL_OPF_NO_SYMLINKS) ? TSCTR_RESOLVE_NO_SYMLINKS : 0);
	const char *s0 = str_at(c, o->s[0]), *s1 = str_at(c, o->s[1]);
	char buf[4096];
	const char *base;
	int pfd, fd, rc;
	switch (o->op) {
	case TSPL_MOUNT:
		return root_mount(c, o, how);
	case TSPL_MKDIR:
		if (o->flags & TSPL_OPF_MKDIR_PARENTS)
			return tsctr_mkdir_in_root(c->root_fd, s0, (unsigned)o->n[0], how);
		if ((pfd = tsctr_resolve_parent(c->root_fd, s0, how, buf, sizeof(buf), &base)) < 0)
			return -1;
		rc = mkdirat(pfd, base, (mode_t)o->n[0]);
		return done(rc < 0 && errno == EEXIST ? 0 : rc, pfd, -1);
	case TSPL_SYMLINK:
		if ((pfd = tsctr_resolve_parent(c->root_fd, s1, how, buf, sizeof(buf), &base)) < 0)
			return -1;
		rc = symlinkat(s0, pfd, base);
		return done(rc < 0 && errno == EEXIST ? 0 : rc, pfd, -1);
	case TSPL_MKNOD:
		if ((pfd = tsctr_resolve_parent(c->root_fd, s0, how, buf, sizeof(buf), &base)) < 0)
			return -1;
		rc = mknodat(pfd, base, (mode_t)o->n[0], makedev((unsigned)o->n[1], (unsigned)o->n[2]));
		return done(rc < 0 && errno == EEXIST ? 0 : rc, pfd, -1);
	case TSPL_CHDIR:
		if ((fd = tsctr_resolve(c->root_fd, s0, O_PATH | O_DIRECTORY, how)) < 0)
			return -1;
		return done(fchdir(fd), fd, -1);
	case TSPL_MASK_PATH:
		return root_mask(c, s0, how);
	case TSPL_CREATE_FILE:
		return tsctr_create_in_root(c->root_fd, s0, (unsigned)o->n[0], how);
	case TSPL_LCHOWN:
		if ((pfd = tsctr_resolve_parent(c->root_fd, s0, how, buf, sizeof(buf), &base)) < 0)
			return -1;
		return done(fchownat(pfd, base, (uid_t)o->n[0], (gid_t)o->n[1], AT_SYMLINK_NOFOLLOW), pfd, -1);
	case TSPL_WRITE_FILE:
		return root_write(c, s0, s1, how);
	}
	errno = EINVAL;
	return -1;
}
