/* tsctr-monitor's events (monitor-events.c): the journal and OOM watch of one detached task. */
#ifndef TSCTR_MONITOR_EVENTS_H
#define TSCTR_MONITOR_EVENTS_H

#include <stddef.h>

/* The request's events block: NUL-terminated key=value strings (see monitor.c). 0, or -1 when malformed. */
int mon_events_configure(const char *block, size_t len);
/* The step reports relayed from the child (plan.h): a failed step means it never ran, so no events. */
void mon_events_reports(const void *buf, size_t len);
/* The container runs: start watching its cgroup for OOM kills (in a thread of its own). */
void mon_events_started(int pid);
/* The container was reaped: last OOM check, then /tasks/oom (if any) and /tasks/exit, before the exit file. */
void mon_events_exited(int pid, int status);

#endif
