/*
 * What the executor's two halves share: the child's context, and the op
 * interpreter (ops.c) that executor.c runs step by step in the child.
 */
#ifndef TSCTR_EXECUTOR_H
#define TSCTR_EXECUTOR_H
#include <stdint.h>
#include <time.h>

#include "plan.h"

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
	int root_fd;          /* TSPL_OPEN_ROOT; -1 before */
	unsigned resolve_how; /* TSCTR_RESOLVE_WALK when the header asks for it */
	int parent_pid;       /* getpid() of the launcher, recorded before clone() */
	int parent_pidfd;     /* pidfd of the launcher, or -1 (kernels before 5.3) */
};

static inline const char *str_at(const struct ctx *c, uint32_t off)
{
	return off ? (const char *)c->plan + off : 0;
}

/* Shared by the op interpreters: one byte from the parent on the sync pipe; a mount's locked flags as MS_*. */
int tsctr_read_sync(const struct ctx *c);
unsigned long tsctr_statvfs_to_ms(unsigned long f);
/*
 * execvp's search of `search` (a PATH; the default PATH when empty) for a
 * bare name, calling try() on each candidate until it returns 0. A candidate
 * failing with ENOENT/ENOTDIR is skipped, EACCES remembered (as execvp does),
 * any other errno ends the search. -1 with ENOENT when nowhere, EACCES when
 * only unrunnable candidates were found. A path with a '/' is tried as is.
 */
int tsctr_search_path(const char *name, const char *search, int (*try)(const char *path, const void *arg), const void *arg);

/* Runs op i in the child. Returns 0, or -1 with errno set. Allocation-free. */
int tsctr_run_op(struct ctx *c, uint32_t i);
/* The lifecycle ops (60-63), in lifecycle.c. */
int tsctr_run_lifecycle_op(struct ctx *c, uint32_t i);
/* Writes one report record (plan.h) on the report pipe. */
void tsctr_send_report(const struct ctx *c, uint32_t step, int err);

/* TSPL_OPEN_PTY (console.c). */
int tsctr_op_open_pty(const struct ctx *c, const struct tspl_op *o);

/* The in-root variant of an op (TSPL_OPF_IN_ROOT), in root-ops.c. */
int tsctr_run_root_op(struct ctx *c, const struct tspl_op *o);

/* Checks a plan; on failure returns -errno and writes a message naming the op into err. */
int tsctr_validate_plan(const uint8_t *plan, uint32_t len, char *err, uint32_t errlen);

#endif
