/*
 * Resolving a path inside a container's root, against the root as a
 * directory fd. Used by the executor in the child (at the moment of each
 * operation) and by the parent (reading the image's /etc/passwd).
 *
 * Semantics are those of openat2(RESOLVE_IN_ROOT): an absolute symlink
 * starts again at the root, ".." stops at the root, so no path ever leaves
 * it. Magic links (/proc/<pid>/fd/N, /proc/<pid>/root) are refused (ELOOP).
 * Where the kernel lacks openat2 (ENOSYS), or when asked, the same is done
 * by a component-by-component O_NOFOLLOW walk.
 */
#ifndef TSCTR_RESOLVE_H
#define TSCTR_RESOLVE_H
#include <stdint.h>

#define TSCTR_RESOLVE_WALK 1u        /* use the O_NOFOLLOW walk, not openat2 */
#define TSCTR_RESOLVE_NO_SYMLINKS 2u /* any symlink on the way is ELOOP */

/*
 * Opens path (absolute or relative, either way inside root_fd) with
 * oflags (O_PATH, O_RDONLY, O_WRONLY|O_TRUNC...; O_CLOEXEC is always
 * added; O_CREAT is not supported; the walk opens a non-O_PATH result
 * again through /proc/self/fd). Follows a trailing symlink, inside the root. Returns the
 * fd, or -1 with errno set.
 */
int tsctr_resolve(int root_fd, const char *path, int oflags, unsigned how);

/*
 * Opens the directory holding path's last component and points *base at
 * that component inside buf (a copy of path; size bytes). A last component
 * of "", "." or ".." is EINVAL.
 */
int tsctr_resolve_parent(int root_fd, const char *path, unsigned how, char *buf, unsigned size, const char **base);

/*
 * mkdir -p inside the root: each missing component is created with
 * mkdirat() relative to its resolved parent; a dangling symlink on the way
 * is followed (inside the root) and its target created.
 */
int tsctr_mkdir_in_root(int root_fd, const char *path, unsigned mode, unsigned how);

/*
 * Creates an empty file at path unless something exists there (a bind-mount
 * target); a dangling symlink is followed inside the root. Returns 0 or -1.
 */
int tsctr_create_in_root(int root_fd, const char *path, unsigned mode, unsigned how);

/* For the parent (libtsctr.so): open path in root for reading; fd or -errno. */
int tsctr_open_in_root(const char *root, const char *path, int32_t walk);

#endif
