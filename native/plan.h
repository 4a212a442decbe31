/*
 * The launch plan: a flat list of operations the child runs between clone()
 * and execve(). TypeScript (src/oci/launch-plan.ts) writes it; this
 * executor only reads it. All integers are little-endian, native width.
 *
 *   offset 0   struct tspl_header   (16 bytes)
 *   offset 16  struct tspl_op[count] (64 bytes each)
 *   then       data: NUL-terminated strings, string lists (consecutive
 *              NUL-terminated strings), and binary blobs (u32 gid arrays,
 *              struct sock_filter arrays)
 *
 * A string field s[i] is a byte offset from the start of the plan; 0 means
 * NULL. Every offset is bounds-checked in the parent before clone().
 */
#ifndef TSCTR_PLAN_H
#define TSCTR_PLAN_H
#include <stdint.h>

#define TSPL_MAGIC 0x4c505354u /* "TSPL" */
#define TSPL_VERSION 1u

#define TSPL_HDR_TRACE 1u /* report every step, not only the failing one */
#define TSPL_HDR_RESOLVE_WALK 2u /* resolve in-root paths by the O_NOFOLLOW walk, not openat2 */

struct tspl_header {
	uint32_t magic;
	uint32_t version;
	uint32_t count;
	uint32_t flags;
};

struct tspl_op {
	uint32_t op;
	uint32_t flags;  /* TSPL_OPF_* */
	int64_t n[5];
	uint32_t s[4];
};

/* Op flags. */
#define TSPL_OPF_IGNORE_ENOENT 1u  /* a missing path is not an error (masked paths) */
#define TSPL_OPF_PRESERVE_FLAGS 2u /* remount: OR in the target's statvfs flags (locked in a userns) */
#define TSPL_OPF_MKDIR_PARENTS 4u  /* mkdir -p */
/*
 * The op's path (mount target, mkdir/mknod/chdir/mask/create/lchown/
 * write path, symlink linkpath) is inside the container's root: it is
 * resolved at the moment of the op against the root fd (TSPL_OPEN_ROOT),
 * symlinks followed as the container sees them (resolve.h), and the op is
 * done through a fd or relative to its parent's fd, never by host path.
 */
#define TSPL_OPF_IN_ROOT 8u
#define TSPL_OPF_SRC_IN_ROOT 16u   /* mount: the source too (a bind of a path inside the root) */
#define TSPL_OPF_NO_SYMLINKS 32u   /* in-root path: any symlink on the way is ELOOP (proc, sysfs) */

enum tspl_opcode {
	TSPL_MOUNT = 1,        /* s0 source, s1 target, s2 fstype, s3 data; n0 flags */
	TSPL_UMOUNT2 = 2,      /* s0 target; n0 flags */
	TSPL_MKDIR = 3,        /* s0 path; n0 mode */
	TSPL_SYMLINK = 4,      /* s0 target, s1 linkpath */
	TSPL_MKNOD = 5,        /* s0 path; n0 mode (with S_IFCHR...), n1 major, n2 minor */
	TSPL_CHDIR = 6,        /* s0 path */
	TSPL_PIVOT_ROOT = 7,   /* s0 new_root, s1 put_old */
	TSPL_CHROOT = 8,       /* s0 path */
	TSPL_SETHOSTNAME = 9,  /* s0 name */
	TSPL_SETDOMAINNAME = 10, /* s0 name */
	TSPL_SETRLIMIT = 11,   /* n0 resource, n1 soft, n2 hard */
	TSPL_PRCTL = 12,       /* n0 option, n1..n4 args */
	TSPL_CAPSET = 13,      /* n0 effective, n1 permitted, n2 inheritable (64-bit masks) */
	TSPL_CAP_BOUNDING = 14,/* n0 mask of caps to keep, n1 last cap; others are dropped */
	TSPL_CAP_AMBIENT = 15, /* n0 mask of caps to raise (after clearing all) , n1 last cap */
	TSPL_SETGROUPS = 16,   /* n0 count; s0 offset of u32 gids */
	TSPL_SETRESGID = 17,   /* n0 rgid, n1 egid, n2 sgid */
	TSPL_SETRESUID = 18,   /* n0 ruid, n1 euid, n2 suid */
	TSPL_DUP2 = 19,        /* n0 oldfd, n1 newfd; newfd loses FD_CLOEXEC */
	TSPL_CLOSE_FROM = 20,  /* n0 first fd: mark every fd >= it close-on-exec */
	TSPL_SETSID = 21,
	TSPL_SETCTTY = 22,     /* n0 fd: ioctl(fd, TIOCSCTTY, 0) */
	TSPL_SECCOMP = 23,     /* n0 instruction count, n1 seccomp(2) flags; s0 offset of struct sock_filter[] */
	TSPL_UMASK = 24,       /* n0 mask */
	TSPL_WRITE_FILE = 25,  /* s0 path, s1 data (sysctls, oom_score_adj) */
	TSPL_UNSHARE = 26,     /* n0 flags */
	TSPL_SETNS = 27,       /* s0 path; n0 nstype */
	TSPL_EXECVE = 28,      /* s0 path, s1 argv, s2 envp, s3 PATH used to search when s0 has no '/'; n0 argc, n1 envc */
	TSPL_MASK_PATH = 29,   /* s0 path: /dev/null over a file, a read-only tmpfs over a directory */
	TSPL_CREATE_FILE = 30, /* s0 path; n0 mode: a bind-mount target (O_CREAT, keeps an existing file) */
	TSPL_LCHOWN = 31,      /* s0 path; n0 uid, n1 gid */
	TSPL_SYNC = 32,        /* wait for one more byte from the parent (a second sync point) */
	TSPL_LOOPBACK_UP = 33, /* bring up "lo" in the current network namespace */
	/* 34-49: root resolution and launch safety (resolve.h, root-ops.c). */
	TSPL_OPEN_ROOT = 34,   /* s0 host path of the root: the fd in-root paths resolve against */
	TSPL_CHECK_PARENT = 35, /* exit unless the launcher is still our parent (after PDEATHSIG) */
	/* process attributes the spec sets (config-linux.md#personality, config.md ioPriority) */
	TSPL_PERSONALITY = 36, /* n0 persona: personality(2) (PER_LINUX 0, PER_LINUX32 8) */
	TSPL_IOPRIO_SET = 37,  /* n0 which, n1 who, n2 ioprio: ioprio_set(2) (IOPRIO_PRIO_VALUE(class, data)) */

	/*
	 * 50-59: joining and terminals (tasks exec, runc --console-socket).
	 *
	 * TSPL_OPEN_PTY: allocate the process's terminal inside the container.
	 * Run it after setns(mount)/pivot_root, so s0/s1 resolve in the
	 * container's root, and before seccomp and the credential change.
	 *   s0 ptmx path, opened O_NOFOLLOW ("/dev/pts/ptmx")
	 *   s1 optional fallback when s0 is missing ("/dev/ptmx"), may be a symlink
	 *   n0 a unix socket fd: receives the master by SCM_RIGHTS, with the
	 *      slave's name ("/dev/pts/N") as the payload (runc's console socket)
	 *   s2 optional payload instead of the slave's name (runc sends the
	 *      master's name, "/dev/ptmx")
	 *   n1 rows, n2 cols: window size set on the slave when both > 0
	 *   n3 uid, n4 gid: fchown of the slave (-1 leaves it)
	 * The opened file must be the char device 5:2 (else ENOTTY); the slave is
	 * taken with TIOCGPTPEER; the master is closed after sending; then
	 * setsid(), TIOCSCTTY, and the slave becomes fds 0-2 (inheritable).
	 * Follow it with TSPL_CLOSE_FROM 3.
	 */
	TSPL_OPEN_PTY = 50,
	/* 60-69: the OCI lifecycle (lifecycle.c): create waits for start; hooks in the container. */
	TSPL_SYNC_REPORTED = 60, /* report SYNC, then wait for one byte from the parent (createRuntime/createContainer hooks run meanwhile) */
	TSPL_LOOKUP_EXEC = 61,   /* s0 path, s3 PATH: find the program as execve would (regular file, executable) so create fails early */
	TSPL_WAIT_START = 62,    /* n0 fd of the exec fifo (O_PATH, inherited), n1 first fd to close (others than the fifo and the
	                            executor's pipes; 0: none): report WAITING, open /proc/self/fd/<n0> for reading
	                            (blocks until `start` opens it to write), read the start message (the state JSON) to EOF */
	TSPL_RUN_HOOK = 63,      /* s0 path, s1 argv, s2 envp; n0 argc, n1 envc, n2 timeout in seconds (0: none): fork+exec with the start
	                            message on stdin and wait; fails ECANCELED on a non-zero exit, ETIMEDOUT on timeout */
};

/*
 * The report pipe carries 16-byte records { u32 step; i32 err; u64 ns }:
 *   err > 0   step failed with that errno (the child exits 127)
 *   err == 0  step done (only with TSPL_HDR_TRACE)
 *   err == TSPL_REPORT_WAITING  the child waits for start (TSPL_WAIT_START)
 *   err == TSPL_REPORT_SYNC     the child waits at a sync point for one byte (TSPL_SYNC_REPORTED)
 * and EOF with no failure record means execve() succeeded (the pipe is O_CLOEXEC).
 */
#define TSPL_REPORT_WAITING (-1)
#define TSPL_REPORT_SYNC (-2)

/*
 * A plan whose op 0 is TSPL_PRCTL(PR_SET_DUMPABLE, 0) is non-dumpable from
 * clone() on: the executor clears the parent's dumpable flag around clone(),
 * and the child inherits it with its mm, so a container process never sees a
 * dumpable joiner (whose /proc/<pid>/exe is the host's node) before execve.
 */

/* The step report the child writes on the report pipe: one per step with trace, else only a failure. */
struct tspl_report {
	uint32_t step;
	int32_t err;   /* 0, the errno of the failing step, or TSPL_REPORT_WAITING / TSPL_REPORT_SYNC */
	uint64_t ns;   /* since the child started its plan */
};

_Static_assert(sizeof(struct tspl_header) == 16, "TSPL_HEADER_SIZE 16");
_Static_assert(sizeof(struct tspl_op) == 64, "TSPL_OP_SIZE 64");
_Static_assert(sizeof(struct tspl_report) == 16, "TSPL_REPORT_SIZE 16");

#endif
