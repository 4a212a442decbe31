/*
 * Inside the monitor's I/O, between its parts (the public side is
 * monitor-io.h):
 *   monitor-loop.c     the poll loop (mon_io_loop)
 *   monitor-io.c       the container's pty or pipes, its exit, set-up and drain
 *   monitor-clients.c  the attach socket, its clients and their frames
 *   monitor-log.c      the bounded log of the container's output
 */
#ifndef TSCTR_MONITOR_IO_INT_H
#define TSCTR_MONITOR_IO_INT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "monitor-io.h"

/* Frame types and limits (drawn in monitor-clients.c). */
enum { MON_F_STDIN = 0x01, MON_F_RESIZE = 0x02, MON_F_HELLO = 0x10, MON_F_STDOUT = 0x11, MON_F_STDERR = 0x12, MON_F_EXIT = 0x13 };
#define MON_FRAME_HDR 8
#define MON_MAX_IN 4096 /* a STDIN frame's payload, at most */
#define MON_CHUNK 16384 /* an output frame's payload, at most: one read of the container's output */

/* monitor-loop.c: one round (poll, then each ready fd's function); -1 when poll fails. */
int mon_loop_run_once(struct mon_loop *l, int timeout_ms);
void mon_loop_stop(struct mon_loop *l);
int mon_loop_stopped(const struct mon_loop *l);

/* monitor-log.c: max 0 means 1 MiB. */
int mon_log_open(const char *path, uint64_t max);
void mon_log_write(const uint8_t *p, size_t n);
void mon_log_close(void);

/* monitor-clients.c */
void mon_clients_init(void);
int mon_clients_listen(const char *sock_path); /* binds and listens (0600); 0 or -1 with errno */
void mon_clients_serve(void);                  /* the listening socket joins the loop */
void mon_clients_close_listener(void);         /* new attaches find no socket */
void mon_clients_broadcast(uint8_t type, const uint8_t *data, uint32_t n);
void mon_clients_set_reading(void);  /* after mon_io_input_busy changed */
int mon_clients_full(void);          /* some client cannot take another chunk */
void mon_clients_evict_stalled(void);
void mon_clients_finish(int status); /* EXIT to every client, up to 2 s to take it, then all dropped */

/* monitor-io.c, for the clients */
int mon_io_input_busy(void); /* input waits for the container: clients are not read meanwhile */
void mon_io_feed(const uint8_t *p, uint32_t n);
void mon_io_resize(unsigned short rows, unsigned short cols);
uint32_t mon_io_hello_flags(void); /* 1 tty, 2 stdin open */
pid_t mon_io_pid(void);
void mon_io_update_gate(void); /* after a client's queue grew or shrank */

#endif
