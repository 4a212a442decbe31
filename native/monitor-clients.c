/*
 * The attach socket and its clients (monitor-clients.c): the listening
 * socket in the task's state directory (0600: root only), up to MAX_CLIENTS
 * clients, and the frames they exchange with the monitor. What a client
 * sends goes to the container through monitor-io.c (mon_io_feed,
 * mon_io_resize); the container's output comes back here (mon_clients_broadcast).
 *
 * Frames, both ways (integers little-endian):
 *
 *    0      1      2      3      4                    8
 *   +------+------+------+------+--------------------+---------------------+
 *   | type |  0   |  0   |  0   | payload length u32 | payload (length)    |
 *   +------+------+------+------+--------------------+---------------------+
 *
 *   client → monitor                     monitor → client
 *   0x01 STDIN   bytes (≤ 4096)          0x10 HELLO   u32 flags (1 tty, 2 stdin open), i32 pid
 *   0x02 RESIZE  u16 rows, u16 cols      0x11 STDOUT  bytes (≤ 16384)
 *                                        0x12 STDERR  bytes (≤ 16384)
 *                                        0x13 EXIT    i32 wait status (as waitpid)
 *
 * A client that sends an unknown type, a non-zero reserved byte or a length
 * over the limit is disconnected; nothing else is affected. A slow client
 * (a slow terminal) holds the container's output back once OUT_CAP bytes
 * wait for it, as a terminal would (mon_clients_full gates the outputs);
 * one that takes nothing for STALL_MS while full is dropped, so a client
 * that never reads cannot stop the container. Detach keys are the client's
 * business: it just closes its socket. No allocation: every buffer is static.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "monitor-io-int.h"

#define OUT_CAP (64 * 1024)
#define MAX_CLIENTS 16
#define STALL_MS 5000

struct client {
	int fd; /* -1: free */
	uint32_t in_len;
	uint8_t in[MON_FRAME_HDR + MON_MAX_IN];
	uint32_t out_off, out_len;
	uint64_t progress_ms; /* when it last took bytes, or its backlog began */
	uint8_t out[OUT_CAP];
};
static struct client clients[MAX_CLIENTS];
static int listen_fd = -1;
static char sock_path[4096];

static uint64_t now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16), p[3] = (uint8_t)(v >> 24);
}
static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void drop_client(struct client *c)
{
	mon_unwatch(mon_io_loop(), c->fd);
	close(c->fd);
	c->fd = -1;
	c->in_len = c->out_len = c->out_off = 0;
	mon_io_update_gate();
}

/* Not read while input waits for the container (mon_io_input_busy); written to while output waits for it. */
static short client_events(const struct client *c)
{
	return (short)((mon_io_input_busy() ? 0 : POLLIN) | (c->out_len ? POLLOUT : 0));
}

/* Queues one frame to a client: sent now if it can be, kept if not, the client dropped if it is too far behind. */
static void send_frame(struct client *c, uint8_t type, const uint8_t *data, uint32_t n)
{
	uint8_t h[MON_FRAME_HDR] = { type, 0, 0, 0 };
	put32(h + 4, n);
	size_t total = MON_FRAME_HDR + n, sent = 0;
	if (!c->out_len) {
		struct iovec v[2] = { { h, MON_FRAME_HDR }, { (void *)data, n } };
		struct msghdr m = { .msg_iov = v, .msg_iovlen = 2 };
		ssize_t w = sendmsg(c->fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0 && errno != EAGAIN && errno != EINTR) {
			drop_client(c);
			return;
		}
		sent = w > 0 ? (size_t)w : 0;
		if (sent == total)
			return;
	}
	if (c->out_off + c->out_len + (total - sent) > OUT_CAP) {
		memmove(c->out, c->out + c->out_off, c->out_len);
		c->out_off = 0;
	}
	if (c->out_len + (total - sent) > OUT_CAP) {
		drop_client(c);
		return;
	}
	if (!c->out_len)
		c->progress_ms = now_ms();
	for (size_t i = sent; i < total; i++)
		c->out[c->out_off + c->out_len++] = i < MON_FRAME_HDR ? h[i] : data[i - MON_FRAME_HDR];
	mon_watch_events(mon_io_loop(), c->fd, client_events(c));
}

void mon_clients_broadcast(uint8_t type, const uint8_t *data, uint32_t n)
{
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (clients[i].fd >= 0)
			send_frame(&clients[i], type, data, n);
}

void mon_clients_set_reading(void)
{
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (clients[i].fd >= 0)
			mon_watch_events(mon_io_loop(), clients[i].fd, client_events(&clients[i]));
}

static void dispatch(struct client *c)
{
	uint8_t type = c->in[0];
	uint32_t n = get32(c->in + 4);
	if (type == MON_F_STDIN)
		mon_io_feed(c->in + MON_FRAME_HDR, n);
	else if (type == MON_F_RESIZE)
		mon_io_resize((unsigned short)(c->in[8] | c->in[9] << 8), (unsigned short)(c->in[10] | c->in[11] << 8));
}

/* Takes queued output; then reads at most up to the end of the current frame: a frame is complete in c->in, or not yet. */
static void on_client(struct mon_loop *l, int fd, short re, void *arg)
{
	(void)fd;
	struct client *c = arg;
	if (re & POLLOUT) {
		ssize_t w = send(c->fd, c->out + c->out_off, c->out_len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0 && errno != EAGAIN && errno != EINTR) {
			drop_client(c);
			return;
		}
		if (w > 0) {
			c->out_off += (uint32_t)w;
			c->out_len -= (uint32_t)w;
			c->progress_ms = now_ms();
			if (!c->out_len)
				c->out_off = 0;
		}
		mon_watch_events(l, c->fd, client_events(c));
		mon_io_update_gate();
	}
	if (!(re & (POLLIN | POLLHUP | POLLERR)))
		return;
	if (mon_io_input_busy()) { /* not reading input now; a hang-up still ends the client */
		if (re & (POLLHUP | POLLERR))
			drop_client(c);
		return;
	}
	uint32_t want = c->in_len < MON_FRAME_HDR ? MON_FRAME_HDR - c->in_len : MON_FRAME_HDR + get32(c->in + 4) - c->in_len;
	ssize_t r = read(c->fd, c->in + c->in_len, want);
	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (r <= 0) {
		drop_client(c);
		return;
	}
	c->in_len += (uint32_t)r;
	if (c->in_len == MON_FRAME_HDR) {
		uint8_t t = c->in[0];
		uint32_t n = get32(c->in + 4);
		int ok = !c->in[1] && !c->in[2] && !c->in[3] && ((t == MON_F_STDIN && n <= MON_MAX_IN) || (t == MON_F_RESIZE && n == 4));
		if (!ok) {
			drop_client(c);
			return;
		}
	}
	if (c->in_len >= MON_FRAME_HDR && c->in_len == MON_FRAME_HDR + get32(c->in + 4)) {
		dispatch(c);
		c->in_len = 0;
	}
}

static void on_listen(struct mon_loop *l, int fd, short re, void *arg)
{
	(void)re;
	(void)arg;
	int s = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (s < 0)
		return;
	/* The socket file is 0600 under a root-owned directory; check the peer all the same. */
	struct ucred cr;
	socklen_t len = sizeof(cr);
	if (getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0 || cr.uid != geteuid()) {
		close(s);
		return;
	}
	struct client *c = NULL;
	for (int i = 0; i < MAX_CLIENTS && !c; i++)
		if (clients[i].fd < 0)
			c = &clients[i];
	if (!c || mon_watch(l, s, POLLIN, on_client, c) < 0) {
		close(s);
		return;
	}
	c->fd = s;
	c->in_len = c->out_len = c->out_off = 0;
	uint8_t hello[8];
	put32(hello, mon_io_hello_flags());
	put32(hello + 4, (uint32_t)mon_io_pid());
	send_frame(c, MON_F_HELLO, hello, sizeof(hello));
	mon_watch_events(l, s, client_events(c));
}

/* bind() through /proc/self/fd/N/name: sun_path holds 108 bytes, a state directory path may not. */
static int listen_on(const char *path)
{
	char dir[4096], base[4096], via[64];
	snprintf(dir, sizeof(dir), "%s", path);
	snprintf(base, sizeof(base), "%s", path);
	const char *b = basename(base);
	int dfd = open(dirname(dir), O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -1;
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	snprintf(via, sizeof(via), "/proc/self/fd/%d/", dfd);
	if (s < 0 || strlen(via) + strlen(b) >= sizeof(a.sun_path)) {
		close(dfd);
		if (s >= 0)
			close(s);
		errno = ENAMETOOLONG;
		return -1;
	}
	size_t vl = strlen(via);
	memcpy(a.sun_path, via, vl);
	memcpy(a.sun_path + vl, b, strlen(b) + 1);
	unlinkat(dfd, b, 0); /* a socket left by a killed monitor of the same id */
	mode_t old = umask(077); /* never a moment with a wider mode; then 0600, as documented */
	int rc = bind(s, (struct sockaddr *)&a, sizeof(a));
	umask(old);
	if (rc == 0)
		rc = fchmodat(dfd, b, 0600, 0);
	int e = errno;
	close(dfd);
	if (rc < 0 || listen(s, MAX_CLIENTS) < 0) {
		e = rc < 0 ? e : errno;
		close(s);
		errno = e;
		return -1;
	}
	return s;
}

void mon_clients_init(void)
{
	for (int i = 0; i < MAX_CLIENTS; i++)
		clients[i].fd = -1;
}

int mon_clients_listen(const char *path)
{
	snprintf(sock_path, sizeof(sock_path), "%s", path);
	listen_fd = listen_on(path);
	return listen_fd < 0 ? -1 : 0;
}

void mon_clients_serve(void)
{
	mon_watch(mon_io_loop(), listen_fd, POLLIN, on_listen, NULL);
}

void mon_clients_close_listener(void)
{
	mon_unwatch(mon_io_loop(), listen_fd);
	close(listen_fd);
	listen_fd = -1;
	unlink(sock_path);
}

int mon_clients_full(void)
{
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (clients[i].fd >= 0 && OUT_CAP - clients[i].out_len < MON_FRAME_HDR + MON_CHUNK)
			return 1;
	return 0;
}

void mon_clients_evict_stalled(void)
{
	uint64_t now = now_ms();
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (clients[i].fd >= 0 && OUT_CAP - clients[i].out_len < MON_FRAME_HDR + MON_CHUNK && now - clients[i].progress_ms > STALL_MS)
			drop_client(&clients[i]);
}

void mon_clients_finish(int status)
{
	uint8_t st[4];
	put32(st, (uint32_t)status);
	mon_clients_broadcast(MON_F_EXIT, st, sizeof(st));
	/* Give clients up to 2 s to take what is queued for them, then let go. */
	for (int round = 0; round < 20; round++) {
		int waiting = 0;
		for (int i = 0; i < MAX_CLIENTS; i++)
			if (clients[i].fd >= 0 && clients[i].out_len)
				waiting = 1;
		if (!waiting)
			break;
		mon_loop_run_once(mon_io_loop(), 100);
	}
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (clients[i].fd >= 0)
			drop_client(&clients[i]);
}
