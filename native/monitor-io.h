/* The monitor's I/O: the container's terminal or pipes (monitor-io.c), the
 * bounded log (monitor-log.c), the attach socket (monitor-clients.c), and a
 * poll loop that other watchers can join (monitor-loop.c: mon_watch on
 * mon_io_loop()). */
#ifndef TSCTR_MONITOR_IO_H
#define TSCTR_MONITOR_IO_H

#include <poll.h>
#include <stdint.h>
#include <sys/types.h>

/* How the container's stdio is kept (the request's io_mode). */
enum {
	MON_IO_PASS = 0,  /* fds 3, 4, 5 come from the caller; no log, no socket (the old run -d) */
	MON_IO_PIPES = 1, /* stdout/stderr pipes held by the monitor, logged, served on the socket */
	MON_IO_TTY = 2,   /* a pty opened in the container (open_pty on fd 3); its master is held here */
};
#define MON_IO_STDIN_OPEN 0x100u /* io_mode flag: with pipes, stdin is a pipe fed by attach clients */

struct mon_io_config {
	uint32_t mode; /* MON_IO_* | MON_IO_STDIN_OPEN */
	const char *log_path;
	uint64_t log_max; /* bytes per log segment: "log" is renamed to "log.1" when it reaches this */
	const char *sock_path;
};

/* A loop of fds; each ready fd calls its function. */
struct mon_loop;
struct mon_loop *mon_io_loop(void); /* the monitor's one loop */
typedef void (*mon_ready_fn)(struct mon_loop *l, int fd, short revents, void *arg);
int mon_watch(struct mon_loop *l, int fd, short events, mon_ready_fn fn, void *arg);
void mon_watch_events(struct mon_loop *l, int fd, short events);
void mon_unwatch(struct mon_loop *l, int fd);

/* Before tsctr_spawn: puts the container's ends on fds 3, 4, 5, opens the log, listens on the socket. */
int mon_io_prepare(const struct mon_io_config *cfg);
/* After tsctr_spawn: drops the container's ends (fds 3, 4, 5). */
void mon_io_spawned(void);
/* After the report pipe's EOF (the container exec'd, or failed): serves until the container exits; returns its wait status. */
int mon_io_serve(pid_t pid, int pidfd);
/* After the exit status is recorded: every client gets it, then the monitor lets go. */
void mon_io_finish(int status);

#endif
