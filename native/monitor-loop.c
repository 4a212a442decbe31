/*
 * The monitor's poll loop (monitor-loop.c): one per process, up to
 * MAX_WATCH fds, each with the function to call when it is ready. The
 * container's I/O (monitor-io.c) and the attach clients (monitor-clients.c)
 * join it with mon_watch; an fd unwatched during a round is only marked, so
 * the callbacks of that round still index valid slots. No allocation.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>

#include "monitor-io-int.h"

#define MAX_WATCH 40

struct mon_loop {
	struct pollfd pfd[MAX_WATCH];
	mon_ready_fn fn[MAX_WATCH];
	void *arg[MAX_WATCH];
	int n;
	int done;
};
static struct mon_loop loop;

struct mon_loop *mon_io_loop(void)
{
	return &loop;
}

int mon_watch(struct mon_loop *l, int fd, short events, mon_ready_fn fn, void *arg)
{
	if (l->n == MAX_WATCH)
		return -1;
	l->pfd[l->n] = (struct pollfd){ fd, events, 0 };
	l->fn[l->n] = fn;
	l->arg[l->n] = arg;
	l->n++;
	return 0;
}

void mon_watch_events(struct mon_loop *l, int fd, short events)
{
	for (int i = 0; i < l->n; i++)
		if (l->pfd[i].fd == fd)
			l->pfd[i].events = events;
}

void mon_unwatch(struct mon_loop *l, int fd)
{
	for (int i = 0; i < l->n; i++)
		if (l->pfd[i].fd == fd)
			l->pfd[i].fd = -1; /* compacted after the round: callbacks of this round stay valid */
}

static void compact(struct mon_loop *l)
{
	int j = 0;
	for (int i = 0; i < l->n; i++) {
		if (l->pfd[i].fd < 0)
			continue;
		l->pfd[j] = l->pfd[i];
		l->fn[j] = l->fn[i];
		l->arg[j] = l->arg[i];
		j++;
	}
	l->n = j;
}

int mon_loop_run_once(struct mon_loop *l, int timeout_ms)
{
	int r = poll(l->pfd, (nfds_t)l->n, timeout_ms);
	if (r < 0 && errno != EINTR)
		return -1;
	int n = l->n;
	for (int i = 0; r > 0 && i < n; i++) {
		short re = l->pfd[i].revents;
		l->pfd[i].revents = 0;
		if (re && l->pfd[i].fd >= 0)
			l->fn[i](l, l->pfd[i].fd, re, l->arg[i]);
	}
	compact(l);
	return r;
}

void mon_loop_stop(struct mon_loop *l)
{
	l->done = 1;
}

int mon_loop_stopped(const struct mon_loop *l)
{
	return l->done;
}
