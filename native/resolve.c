/*
 * Path resolution inside a container's root (resolve.h). Two ways to the
 * same answer: openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS), and where
 * the kernel lacks it (before 5.6), a walk that opens one component at a
 * time with O_NOFOLLOW, reads each symlink itself and goes on from the root
 * (absolute target) or from where it is (relative), with ".." stopping at
 * the root. Allocation-free: it runs in the child between clone() and
 * execve(). crun's safe_openat and runc's securejoin are the models.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "resolve.h"

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

#define MAX_HOPS 40 /* as the kernel's MAXSYMLINKS */
#define PBUF 4096

static void close_keep_errno(int fd)
{
	int e = errno;
	close(fd);
	errno = e;
}

/* Reads the target of symlink `name` in dfd into link[PBUF], NUL-terminated; closes dfd either way. */
static int read_link_and_close(int dfd, const char *name, char *link)
{
	ssize_t l = readlinkat(dfd, name, link, PBUF - 1);
	close_keep_errno(dfd);
	if (l <= 0)
		return l == 0 ? (errno = ENOENT, -1) : -1;
	link[l] = 0;
	return 0;
}

/* An O_PATH fd reopened with real access flags, through its /proc/self/fd link. */
static int reopen(int fd, int oflags)
{
	char p[48];
	snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
	int nfd = open(p, (oflags & ~O_PATH) | O_CLOEXEC);
	close_keep_errno(fd);
	return nfd;
}

/* Opens done (a root-relative path known to hold no symlink) again from the root. */
static int reopen_plain(int root_fd, const char *done)
{
	int cur = fcntl(root_fd, F_DUPFD_CLOEXEC, 0);
	char name[NAME_MAX + 1];
	for (const char *p = done; cur >= 0 && *p;) {
		while (*p == '/')
			p++;
		const char *end = strchrnul(p, '/');
		size_t n = (size_t)(end - p);
		if (n == 0)
			break;
		memcpy(name, p, n);
		name[n] = 0;
		p = end;
		/* A component that became a symlink since is refused, not followed. */
		int nfd = openat(cur, name, O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
		close_keep_errno(cur);
		cur = nfd;
	}
	return cur;
}

static int walk(int root_fd, const char *path, int oflags, unsigned how)
{
	char rest[PBUF], tmp[PBUF], link[PBUF], done[PBUF], name[NAME_MAX + 1];
	size_t dlen = 0;
	int hops = 0;
	if (strlen(path) >= PBUF) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(rest, path);
	done[0] = 0;
	const char *r = rest;
	int cur = fcntl(root_fd, F_DUPFD_CLOEXEC, 0);
	if (cur < 0)
		return -1;
	for (;;) {
		while (*r == '/')
			r++;
		if (!*r)
			break;
		const char *end = strchrnul(r, '/');
		size_t n = (size_t)(end - r);
		if (n > NAME_MAX) {
			errno = ENAMETOOLONG;
			goto fail;
		}
		memcpy(name, r, n);
		name[n] = 0;
		r = end;
		if (strcmp(name, ".") == 0)
			continue;
		if (strcmp(name, "..") == 0) {
			/* Lexically: done holds no symlink, so its parent is the real one. At the root, stay. */
			while (dlen && done[dlen - 1] != '/')
				dlen--;
			if (dlen)
				dlen--;
			done[dlen] = 0;
			close(cur);
			cur = reopen_plain(root_fd, done);
			if (cur < 0)
				return -1;
			continue;
		}
		int nfd = openat(cur, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (nfd < 0)
			goto fail;
		struct stat st;
		if (fstat(nfd, &st) < 0) {
			close_keep_errno(nfd);
			goto fail;
		}
		if (S_ISLNK(st.st_mode)) {
			if ((how & TSCTR_RESOLVE_NO_SYMLINKS) || ++hops > MAX_HOPS) {
				close(nfd);
				errno = ELOOP;
				goto fail;
			}
			/* A magic link (/proc/self/fd/N) reads as text here and is never jumped through. */
			ssize_t l = readlinkat(nfd, "", link, sizeof(link) - 1);
			close_keep_errno(nfd);
			if (l <= 0) {
				if (l == 0)
					errno = ENOENT;
				goto fail;
			}
			link[l] = 0;
			size_t rl = strlen(r);
			if ((size_t)l + 1 + rl + 1 > PBUF) {
				errno = ENAMETOOLONG;
				goto fail;
			}
			memcpy(tmp, link, (size_t)l);
			tmp[l] = '/';
			memcpy(tmp + l + 1, r, rl + 1);
			memcpy(rest, tmp, (size_t)l + 1 + rl + 1);
			r = rest;
			if (link[0] == '/') {
				close(cur);
				cur = fcntl(root_fd, F_DUPFD_CLOEXEC, 0);
				if (cur < 0)
					return -1;
				dlen = 0;
				done[0] = 0;
			}
			continue;
		}
		const char *q = r;
		while (*q == '/')
			q++;
		if (*q && !S_ISDIR(st.st_mode)) {
			close(nfd);
			errno = ENOTDIR;
			goto fail;
		}
		if (dlen + 1 + n + 1 > PBUF) {
			close(nfd);
			errno = ENAMETOOLONG;
			goto fail;
		}
		done[dlen++] = '/';
		memcpy(done + dlen, name, n + 1);
		dlen += n;
		close(cur);
		cur = nfd;
	}
	if (oflags & O_DIRECTORY) {
		struct stat st;
		if (fstat(cur, &st) < 0)
			goto fail;
		if (!S_ISDIR(st.st_mode)) {
			errno = ENOTDIR;
			goto fail;
		}
	}
	if (!(oflags & O_PATH))
		return reopen(cur, oflags);
	return cur;
fail:
	close_keep_errno(cur);
	return -1;
}

int tsctr_resolve(int root_fd, const char *path, int oflags, unsigned how)
{
	if (oflags & O_CREAT) {
		errno = EINVAL;
		return -1;
	}
	if (!(how & TSCTR_RESOLVE_WALK)) {
		struct open_how h;
		memset(&h, 0, sizeof(h));
		h.flags = (uint64_t)(oflags | O_CLOEXEC);
		h.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
		if (how & TSCTR_RESOLVE_NO_SYMLINKS)
			h.resolve |= RESOLVE_NO_SYMLINKS;
		for (int tries = 0; tries < 16; tries++) {
			long fd = syscall(SYS_openat2, root_fd, path, &h, sizeof(h));
			if (fd >= 0)
				return (int)fd;
			/* EAGAIN: a rename raced with a ".." (openat2(2)); try again. */
			if (errno != EAGAIN)
				break;
		}
		if (errno != ENOSYS)
			return -1;
	}
	return walk(root_fd, path, oflags, how);
}

int tsctr_resolve_parent(int root_fd, const char *path, unsigned how, char *buf, unsigned size, const char **base)
{
	size_t l = strlen(path);
	if (l >= size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(buf, path, l + 1);
	while (l > 1 && buf[l - 1] == '/')
		buf[--l] = 0;
	char *slash = strrchr(buf, '/');
	const char *b = slash ? slash + 1 : buf;
	if (!*b || strcmp(b, ".") == 0 || strcmp(b, "..") == 0) {
		errno = EINVAL;
		return -1;
	}
	const char *dir = "/";
	if (slash && slash != buf) {
		*slash = 0;
		dir = buf;
	}
	*base = b;
	return tsctr_resolve(root_fd, dir, O_PATH | O_DIRECTORY, how);
}

/* The path with the symlink at [s, e) of cur replaced by its target link. */
static int splice_link(char *cur, size_t s, size_t e, const char *link)
{
	char tmp[PBUF];
	size_t keep = link[0] == '/' ? 0 : s, ll = strlen(link), rl = strlen(cur + e);
	if (keep + ll + rl + 1 > PBUF) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(tmp, cur, keep);
	memcpy(tmp + keep, link, ll);
	memcpy(tmp + keep + ll, cur + e, rl + 1);
	memcpy(cur, tmp, keep + ll + rl + 1);
	return 0;
}

int tsctr_mkdir_in_root(int root_fd, const char *path, unsigned mode, unsigned how)
{
	char cur[PBUF], link[PBUF], name[NAME_MAX + 1];
	int hops = 0;
	if (strlen(path) >= PBUF) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(cur, path);
restart:;
	size_t i = 0;
	for (;;) {
		while (cur[i] == '/')
			i++;
		if (!cur[i])
			return 0;
		size_t s = i;
		while (cur[i] && cur[i] != '/')
			i++;
		size_t n = i - s;
		if (n > NAME_MAX) {
			errno = ENAMETOOLONG;
			return -1;
		}
		memcpy(name, cur + s, n);
		name[n] = 0;
		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
			continue;
		char c0 = cur[s];
		cur[s] = 0;
		int pfd = tsctr_resolve(root_fd, cur[0] ? cur : "/", O_PATH | O_DIRECTORY, how);
		cur[s] = c0;
		if (pfd < 0)
			return -1;
		if (mkdirat(pfd, name, mode) == 0) {
			close(pfd);
			continue;
		}
		struct stat st;
		if (errno != EEXIST || fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			close_keep_errno(pfd);
			return -1;
		}
		if (S_ISDIR(st.st_mode)) {
			close(pfd);
			continue;
		}
		if (!S_ISLNK(st.st_mode)) {
			close(pfd);
			errno = ENOTDIR;
			return -1;
		}
		/* A symlink: fine if it leads (inside the root) to a directory. */
		char c1 = cur[i];
		cur[i] = 0;
		int dfd = tsctr_resolve(root_fd, cur, O_PATH | O_DIRECTORY, how);
		cur[i] = c1;
		if (dfd >= 0) {
			close(dfd);
			close(pfd);
			continue;
		}
		if (errno != ENOENT) {
			close_keep_errno(pfd);
			return -1;
		}
		/* Dangling: create its target instead, as the container would see it. */
		if (read_link_and_close(pfd, name, link) < 0)
			return -1;
		if (++hops > MAX_HOPS) {
			errno = ELOOP;
			return -1;
		}
		if (splice_link(cur, s, i, link) < 0)
			return -1;
		goto restart;
	}
}

int tsctr_create_in_root(int root_fd, const char *path, unsigned mode, unsigned how)
{
	char cur[PBUF], buf[PBUF], link[PBUF];
	if (strlen(path) >= PBUF) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(cur, path);
	for (int hops = 0;; hops++) {
		int fd = tsctr_resolve(root_fd, cur, O_PATH, how);
		if (fd >= 0) {
			close(fd); /* something is there: a bind target as it is */
			return 0;
		}
		if (errno != ENOENT)
			return -1;
		const char *base;
		int pfd = tsctr_resolve_parent(root_fd, cur, how, buf, sizeof(buf), &base);
		if (pfd < 0)
			return -1;
		int f = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
		if (f >= 0) {
			close(f);
			close(pfd);
			return 0;
		}
		if (errno != EEXIST) {
			close_keep_errno(pfd);
			return -1;
		}
		/* It exists yet did not resolve: a dangling symlink. Create its target. */
		if (read_link_and_close(pfd, base, link) < 0)
			return -1;
		if ((how & TSCTR_RESOLVE_NO_SYMLINKS) || hops >= MAX_HOPS) {
			errno = ELOOP;
			return -1;
		}
		size_t s = (size_t)(base - buf), e = strlen(cur);
		/* cur and buf agree up to base (buf only lost trailing slashes). */
		if (splice_link(cur, s, e, link) < 0)
			return -1;
		/* Its directory may be missing too (/etc/resolv.conf -> /run/systemd/resolve/stub-resolv.conf). */
		const char *b2;
		int dfd = tsctr_resolve_parent(root_fd, cur, how, buf, sizeof(buf), &b2);
		if (dfd >= 0)
			close(dfd);
		else if (errno == ENOENT) {
			char dir[PBUF];
			size_t dl = (size_t)(b2 - buf);
			memcpy(dir, cur, dl);
			dir[dl] = 0;
			if (tsctr_mkdir_in_root(root_fd, dl ? dir : "/", 0755, how) < 0)
				return -1;
		} else
			return -1;
	}
}

/*
 * For the parent: opens path inside the directory root as the container
 * would see it, for reading (the image's /etc/passwd). walk != 0 forces the
 * O_NOFOLLOW walk. Returns the fd, or -errno.
 */
int tsctr_open_in_root(const char *root, const char *path, int32_t walk)
{
	int rfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rfd < 0)
		return -errno;
	int fd = tsctr_resolve(rfd, path, O_RDONLY, walk ? TSCTR_RESOLVE_WALK : 0);
	int e = errno;
	close(rfd);
	return fd < 0 ? -e : fd;
}
