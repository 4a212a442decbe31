/* The events journal, written from C (tsctr-monitor): the same format and
 * locking as src/container/events/journal.ts. */
#ifndef TSCTR_JOURNAL_H
#define TSCTR_JOURNAL_H

#include <stdint.h>

/* Where and how: <dir>/journal, <dir>/journal.1, <dir>/journal.lock. */
struct tsctr_journal {
	const char *dir;
	uint64_t limit; /* rotate when an append takes the journal over this many bytes */
	const char *namespace_;
	const char *container_id;
};

/* Appends one line (which must end in '\n', at most 4096 bytes) with one write(2); rotates when over the limit. 0 or -errno. */
int tsctr_journal_append(const struct tsctr_journal *j, const char *line, size_t len);

/* /tasks/exit for a reaped process: status is waitpid's. 0 or -errno. */
int tsctr_journal_task_exit(const struct tsctr_journal *j, int pid, int status);

/* /tasks/oom. 0 or -errno. */
int tsctr_journal_task_oom(const struct tsctr_journal *j);

#endif
