/*
 * Shifting the ownership of a container's snapshot into its user
 * namespace's ids (src/container/idmap.ts says why). The tree is
 * the image's: every symlink in it is the image author's choice. So the
 * walk never follows one: each directory is opened relative to its parent
 * with O_NOFOLLOW, each entry is changed with fchownat(AT_SYMLINK_NOFOLLOW)
 * relative to its directory's fd, and a setuid mode is put back through an
 * O_PATH fd checked to be the very inode that was chowned. One FFI call for
 * the whole tree (DESIGN.md: batch hot loops in native/).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct idmaps {
	const uint32_t *uid; /* triples: container id, host id, size */
	uint32_t nuid;
	const uint32_t *gid;
	uint32_t ngid;
};

struct walk {
	struct idmaps m;
	dev_t dev;
	int64_t count;
	char path[4096]; /* relative path of what is being worked on, for the error */
};

static int64_t map_id(uint32_t id, const uint32_t *t, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		uint64_t in = t[i * 3], out = t[i * 3 + 1], size = t[i * 3 + 2];
		if (id >= in && id < in + size)
			return (int64_t)(out + (id - in));
	}
	return -1;
}

/* chown one entry of dfd (name, or the directory itself when name is ""). */
static int shift_one(struct walk *w, int dfd, const char *name, const struct stat *st)
{
	int64_t u = map_id(st->st_uid, w->m.uid, w->m.nuid), g = map_id(st->st_gid, w->m.gid, w->m.ngid);
	uid_t uid = u < 0 ? st->st_uid : (uid_t)u;
	gid_t gid = g < 0 ? st->st_gid : (gid_t)g;
	if (uid == st->st_uid && gid == st->st_gid)
		return 0;
	int flags = *name ? AT_SYMLINK_NOFOLLOW : AT_EMPTY_PATH;
	if (fchownat(dfd, name, uid, gid, flags) < 0)
		return -1;
	w->count++;
	/* chown clears setuid/setgid: put them back, on this inode only. */
	if (!S_ISLNK(st->st_mode) && (st->st_mode & 06000)) {
		int fd = *name ? openat(dfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC) : dfd;
		if (fd < 0)
			return -1;
		struct stat now;
		int rc = fstat(fd, &now);
		if (rc == 0 && (now.st_ino != st->st_ino || now.st_dev != st->st_dev || S_ISLNK(now.st_mode))) {
			errno = ESTALE; /* replaced under us */
			rc = -1;
		}
		if (rc == 0) {
			char p[48];
			snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
			rc = chmod(p, st->st_mode & 07777);
		}
		int e = errno;
		if (fd != dfd)
			close(fd);
		errno = e;
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int shift_dir(struct walk *w, int dfd, size_t plen, int depth)
{
	if (depth > 512) {
		errno = ELOOP;
		return -1;
	}
	int lfd = fcntl(dfd, F_DUPFD_CLOEXEC, 0);
	if (lfd < 0)
		return -1;
	DIR *d = fdopendir(lfd);
	if (!d) {
		int e = errno;
		close(lfd);
		errno = e;
		return -1;
	}
	int rc = 0;
	struct dirent *de;
	while (rc == 0 && (errno = 0, de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		size_t nl = strlen(de->d_name);
		if (plen + 1 + nl + 1 > sizeof(w->path)) {
			errno = ENAMETOOLONG;
			rc = -1;
			break;
		}
		w->path[plen] = '/';
		memcpy(w->path + plen + 1, de->d_name, nl + 1);
		struct stat st;
		if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			rc = -1;
			break;
		}
		if (st.st_dev != w->dev)
			continue; /* a mount inside: not ours to change */
		if (shift_one(w, dfd, de->d_name, &st) < 0) {
			rc = -1;
			break;
		}
		if (S_ISDIR(st.st_mode)) {
			int cfd = openat(dfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (cfd < 0) {
				rc = -1;
				break;
			}
			rc = shift_dir(w, cfd, plen + 1 + nl, depth + 1);
			int e = errno;
			close(cfd);
			errno = e;
		}
	}
	if (rc == 0 && errno != 0 && de == NULL)
		rc = -1; /* readdir failed */
	int e = errno;
	closedir(d);
	errno = e;
	if (rc == 0)
		w->path[plen] = 0;
	return rc;
}

/*
 * maps: nuid + ngid triples of u32 (container id, host id, size), uid maps
 * first. Returns the number of entries changed, or -errno with the path
 * (relative to root) that failed in errpath.
 */
int64_t tsctr_shift_ownership(const char *root, const uint8_t *maps, uint32_t nuid, uint32_t ngid, char *errpath, uint32_t errlen)
{
	struct walk w;
	memset(&w, 0, sizeof(w));
	w.m.uid = (const uint32_t *)(const void *)maps;
	w.m.nuid = nuid;
	w.m.gid = w.m.uid + nuid * 3;
	w.m.ngid = ngid;
	int fd = open(root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int rc = -1;
	if (fd >= 0) {
		struct stat st;
		if (fstat(fd, &st) == 0) {
			w.dev = st.st_dev;
			rc = shift_one(&w, fd, "", &st);
			if (rc == 0)
				rc = shift_dir(&w, fd, 0, 0);
		}
	}
	int e = errno;
	if (fd >= 0)
		close(fd);
	if (rc < 0) {
		if (errpath && errlen)
			snprintf(errpath, errlen, "%s", w.path[0] ? w.path : "/");
		return -(int64_t)(e ? e : EIO);
	}
	return w.count;
}
