/* OOM kills of one cgroup, as one fd to poll (oom.c). */
#ifndef TSCTR_OOM_H
#define TSCTR_OOM_H

#include <stdint.h>

enum { TSCTR_OOM_V1 = 1, TSCTR_OOM_V2 = 2 };

struct tsctr_oom {
	int kind;
	int fd;      /* poll for POLLIN: an eventfd (v1) or an inotify fd (v2) */
	int ctl_fd;  /* v1: memory.oom_control, kept open while the event is registered */
	char count_path[4096];
	uint64_t seen; /* oom_kill as last read */
};

/* v1: dir is the memory cgroup directory; v2: the unified one. 0 or -errno. */
int tsctr_oom_open(struct tsctr_oom *o, int kind, const char *dir);
/* After POLLIN (or any time): how many OOM kills since the last call; drains the fd. */
int tsctr_oom_check(struct tsctr_oom *o);
void tsctr_oom_close(struct tsctr_oom *o);

#endif
