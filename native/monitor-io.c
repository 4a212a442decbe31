/*
 * The monitor's I/O for `run -d` (with or without -t) and `tasks attach`.
 * The monitor holds the container's output (the pty master, or its stdout
 * and stderr pipes), appends it to a bounded log, and serves it to attach
 * clients on a unix socket in the task's state directory (0600: root only).
 *
 *   container            monitor (poll loop)                attach clients
 *   pty slave / pipes ─► master / pipe ends ─► log, log.1
 *                                           └► STDOUT/STDERR ──► every client
 *   pty input / stdin ◄─ STDIN frames ◄────────────────────────── any client
 *   TIOCSWINSZ        ◄─ RESIZE frames ◄─────────────────────── any client
 *   exit (pidfd) ─────►  drain output, record the exit status,
 *                        EXIT frame ──────────────────────────► every client
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
 * wait for it, as a terminal would; one that takes nothing for STALL_MS while
 * full is dropped, so a client that never reads cannot stop the container.
 * Detach keys are the client's business: it just closes its socket.
 * No allocation: every buffer is static.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "monitor-io.h"

enum { F_STDIN = 0x01, F_RESIZE = 0x02, F_HELLO = 0x10, F_STDOUT = 0x11, F_STDERR = 0x12, F_EXIT = 0x13 };
#define HDR 8
#define MAX_IN 4096
#define CHUNK 16384
#define OUT_CAP (64 * 1024)
#define MAX_CLIENTS 16
#define MAX_WATCH 40
#define STALL_MS 5000

/* ---- the loop ---------------------------------------------------------- */

struct mon_loop {
	struct pollfd pfd[MAX_WATCH];
	mon_ready_fn fn[MAX_WATCH];
	void *arg[MAX_WATCH];
	int n;
	int done;
};
static struct mon_loop loop;

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

/* One round: poll, then call each ready fd's function. */
static int run_once(struct mon_loop *l, int timeout_ms)
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

struct mon_loop *mon_io_loop(void)
{
	return &loop;
}

/* ---- state ------------------------------------------------------------- */

struct client {
	int fd; /* -1: free */
	uint32_t in_len;
	uint8_t in[HDR + MAX_IN];
	uint32_t out_off, out_len;
	uint64_t progress_ms; /* when it last took bytes, or its backlog began */
	uint8_t out[OUT_CAP];
};
static struct client clients[MAX_CLIENTS];

static struct {
	uint32_t mode;
	int listen_fd, master, out_rd, err_rd, in_wr, console_sock;
	int log_fd;
	uint64_t log_size, log_max;
	char log_path[4096], log_old[4104], sock_path[4096];
	/* Input a client sent that the container has not taken yet: clients are not read meanwhile. */
	uint8_t pending[MAX_IN];
	uint32_t pending_off, pending_len;
	int exited, status;
	pid_t pid;
	int pidfd;
	int gated;       /* outputs unwatched: some client cannot take another chunk */
	int master_live; /* the master is watched for output (until EIO) */
} io = { .listen_fd = -1, .master = -1, .out_rd = -1, .err_rd = -1, .in_wr = -1, .console_sock = -1, .log_fd = -1, .pidfd = -1 };

static uint8_t chunk[HDR + CHUNK];

static uint64_t now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

static void update_gate(void);

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16), p[3] = (uint8_t)(v >> 24);
}
static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int write_all(int fd, const void *buf, size_t n)
{
	const uint8_t *p = buf;
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* ---- the log: "log" up to log_max bytes, then renamed to "log.1" --------- */

static int open_log(void)
{
	io.log_fd = open(io.log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (io.log_fd < 0)
		return -1;
	struct stat st;
	io.log_size = fstat(io.log_fd, &st) == 0 ? (uint64_t)st.st_size : 0;
	return 0;
}

static void log_write(const uint8_t *p, size_t n)
{
	if (io.log_fd < 0)
		return;
	if (write_all(io.log_fd, p, n) < 0)
		return; /* a full disk must not stop the container's output */
	io.log_size += n;
	if (io.log_size < io.log_max)
		return;
	close(io.log_fd);
	io.log_fd = -1;
	rename(io.log_path, io.log_old);
	open_log();
}

/* ---- clients ----------------------------------------------------------- */

static void drop_client(struct client *c)
{
	mon_unwatch(&loop, c->fd);
	close(c->fd);
	c->fd = -1;
	c->in_len = c->out_len = c->out_off = 0;
	update_gate();
}

static short client_events(const struct client *c)
{
	return (short)((io.pending_len ? 0 : POLLIN) | (c->out_len ? POLLOUT : 0));
}

/* Queues one frame to a client: sent now if it can be, kept if not, the client dropped if it is too far behind. */
static void send_frame(struct client *c, uint8_t type, const uint8_t *data, uint32_t n)
{
	uint8_t h[HDR] = { type, 0, 0, 0 };
	put32(h + 4, n);
	size_t total = HDR + n, sent = 0;
	if (!c->out_len) {
		struct iovec v[2] = { { h, HDR }, { (void *)data, n } };
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
		c->out[c->out_off + c->out_len++] = i < HDR ? h[i] : data[i - HDR];
	mon_watch_events(&loop, c->fd, client_events(c));
}

static void broadcast(uint8_t type, const uint8_t *data, uint32_t n)
{
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (clients[i].fd >= 0)
			send_frame(&clients[i], type, data, n);
}

static void set_clients_reading(void)
{
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (clients[i].fd >= 0)
			mon_watch_events(&loop, clients[i].fd, client_events(&clients[i]));
}

static int input_fd(void)
{
	return (io.mode & 0xff) == MON_IO_TTY ? io.master : io.in_wr;
}

static void on_input_writable(struct mon_loop *l, int fd, short re, void *arg);

/* Client input to the container's terminal or stdin; what it cannot take now waits, and clients wait with it. */
static void feed_input(const uint8_t *p, uint32_t n)
{
	int fd = input_fd();
	if (fd < 0 || io.exited)
		return;
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN)
			break;
		if (w <= 0) { /* EPIPE: the container closed its stdin */
			if (fd == io.in_wr) {
				close(io.in_wr);
				io.in_wr = -1;
			}
			return;
		}
		p += w;
		n -= (uint32_t)w;
	}
	if (!n)
		return;
	memcpy(io.pending, p, n);
	io.pending_off = 0;
	io.pending_len = n;
	set_clients_reading();
	if (fd == io.master) /* the master is also watched for output: add POLLOUT to it */
		mon_watch_events(&loop, fd, POLLIN | POLLOUT);
	else
		mon_watch(&loop, fd, POLLOUT, on_input_writable, NULL);
}

static void on_input_writable(struct mon_loop *l, int fd, short re, void *arg)
{
	(void)arg;
	(void)re;
	ssize_t w = write(fd, io.pending + io.pending_off, io.pending_len);
	if (w < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (w <= 0) {
		io.pending_len = 0;
	} else {
		io.pending_off += (uint32_t)w;
		io.pending_len -= (uint32_t)w;
	}
	if (io.pending_len)
		return;
	if (fd == io.master)
		mon_watch_events(l, fd, POLLIN);
	else
		mon_unwatch(l, fd);
	set_clients_reading();
}

static void dispatch(struct client *c)
{
	uint8_t type = c->in[0];
	uint32_t n = get32(c->in + 4);
	if (type == F_STDIN) {
		feed_input(c->in + HDR, n);
	} else if (type == F_RESIZE && io.master >= 0) {
		struct winsize ws = { (unsigned short)(c->in[8] | c->in[9] << 8), (unsigned short)(c->in[10] | c->in[11] << 8), 0, 0 };
		if (ws.ws_row && ws.ws_col)
			ioctl(io.master, TIOCSWINSZ, &ws); /* the kernel tells the foreground process group (SIGWINCH) */
	}
}

/* Reads at most up to the end of the current frame: a frame is complete in c->in, or not yet. */
static void on_client(struct mon_loop *l, int fd, short re, void *arg)
{
	(void)l;
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
		mon_watch_events(&loop, c->fd, client_events(c));
		update_gate();
	}
	if (!(re & (POLLIN | POLLHUP | POLLERR)))
		return;
	if (io.pending_len) { /* not reading input now; a hang-up still ends the client */
		if (re & (POLLHUP | POLLERR))
			drop_client(c);
		return;
	}
	uint32_t want = c->in_len < HDR ? HDR - c->in_len : HDR + get32(c->in + 4) - c->in_len;
	ssize_t r = read(c->fd, c->in + c->in_len, want);
	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (r <= 0) {
		drop_client(c);
		return;
	}
	c->in_len += (uint32_t)r;
	if (c->in_len == HDR) {
		uint8_t t = c->in[0];
		uint32_t n = get32(c->in + 4);
		int ok = !c->in[1] && !c->in[2] && !c->in[3] && ((t == F_STDIN && n <= MAX_IN) || (t == F_RESIZE && n == 4));
		if (!ok) {
			drop_client(c);
			return;
		}
	}
	if (c->in_len >= HDR && c->in_len == HDR + get32(c->in + 4)) {
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
	put32(hello, ((io.mode & 0xff) == MON_IO_TTY ? 1u : 0u) | (io.in_wr >= 0 ? 2u : 0u));
	put32(hello + 4, (uint32_t)io.pid);
	send_frame(c, F_HELLO, hello, sizeof(hello));
	mon_watch_events(l, s, client_events(c));
}

/* Output of the container: to the log and to every client. Returns 0 at EOF/EIO (every writer gone). */
static int pump(int fd, uint8_t type)
{
	ssize_t r = read(fd, chunk + HDR, CHUNK);
	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return 1;
	if (r <= 0)
		return 0; /* EIO on a master: no slave left */
	log_write(chunk + HDR, (size_t)r);
	broadcast(type, chunk + HDR, (uint32_t)r);
	update_gate();
	return 1;
}

static void close_output(int *fd)
{
	mon_unwatch(&loop, *fd);
	if (*fd == io.master && io.pending_len)
		io.pending_len = 0;
	close(*fd);
	*fd = -1;
}

static void on_output(struct mon_loop *l, int fd, short re, void *arg)
{
	(void)l;
	int *slot = arg;
	if ((re & POLLOUT) && fd == io.master)
		on_input_writable(l, fd, re, NULL);
	if ((re & (POLLIN | POLLHUP | POLLERR)) && !pump(fd, slot == &io.err_rd ? F_STDERR : F_STDOUT)) {
		/* Keep the master open after EIO (a resize still works); only stop watching it. */
		if (fd == io.master) {
			mon_unwatch(l, fd);
			io.master_live = 0;
		} else
			close_output(slot);
	}
}

/*
 * Backpressure: while some client cannot take another chunk, the outputs
 * are not read (the container blocks on its pty or pipe, as on a slow
 * terminal); a client that stays full for STALL_MS is dropped (evict_stalled).
 */
static void update_gate(void)
{
	int full = 0;
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (clients[i].fd >= 0 && OUT_CAP - clients[i].out_len < HDR + CHUNK)
			full = 1;
	if (full == io.gated || io.exited)
		return;
	io.gated = full;
	int *outs[3] = { &io.master, &io.out_rd, &io.err_rd };
	for (int i = 0; i < 3; i++) {
		int fd = *outs[i];
		if (fd < 0 || (fd == io.master && !io.master_live))
			continue;
		if (full)
			mon_unwatch(&loop, fd);
		else
			mon_watch(&loop, fd, (short)(POLLIN | (fd == io.master && io.pending_len ? POLLOUT : 0)), on_output, outs[i]);
	}
}

static void evict_stalled(void)
{
	uint64_t now = now_ms();
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (clients[i].fd >= 0 && OUT_CAP - clients[i].out_len < HDR + CHUNK && now - clients[i].progress_ms > STALL_MS)
			drop_client(&clients[i]);
}

static void on_exit_ready(struct mon_loop *l, int fd, short re, void *arg)
{
	(void)fd;
	(void)re;
	(void)arg;
	int status = 0;
	pid_t r;
	do
		r = waitpid(io.pid, &status, WNOHANG);
	while (r < 0 && errno == EINTR);
	if (r == 0)
		return;
	io.status = r < 0 ? 0 : status;
	io.exited = 1;
	l->done = 1;
}

/* ---- set-up ------------------------------------------------------------ */

static int nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
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

/* Moves fd onto target (3, 4 or 5), without FD_CLOEXEC, for the executor's stdio ops. */
static int place(int fd, int target)
{
	if (fd == target)
		return fcntl(fd, F_SETFD, 0);
	int r = dup2(fd, target);
	close(fd);
	return r < 0 ? -1 : 0;
}

int mon_io_prepare(const struct mon_io_config *cfg)
{
	io.mode = cfg->mode;
	for (int i = 0; i < MAX_CLIENTS; i++)
		clients[i].fd = -1;
	if ((cfg->mode & 0xff) == MON_IO_PASS)
		return 0;
	/* Hold 3, 4, 5 first, so that nothing opened below lands there. */
	for (int fd = 3; fd <= 5; fd++)
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) != fd)
			return -1;
	if ((cfg->mode & 0xff) == MON_IO_TTY) {
		int sp[2];
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0 || place(sp[1], 3) < 0)
			return -1;
		io.console_sock = sp[0];
	} else {
		int out[2], err[2], in[2];
		if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0)
			return -1;
		if (place(out[1], 4) < 0 || place(err[1], 5) < 0)
			return -1;
		io.out_rd = out[0];
		io.err_rd = err[0];
		if (cfg->mode & MON_IO_STDIN_OPEN) {
			if (pipe2(in, O_CLOEXEC) < 0 || place(in[0], 3) < 0)
				return -1;
			io.in_wr = in[1];
			nonblock(io.in_wr);
		}
		nonblock(io.out_rd);
		nonblock(io.err_rd);
	}
	io.log_max = cfg->log_max ? cfg->log_max : (1u << 20);
	if (snprintf(io.log_path, sizeof(io.log_path), "%s", cfg->log_path) >= (int)sizeof(io.log_path) || snprintf(io.log_old, sizeof(io.log_old), "%s.1", cfg->log_path) < 0)
		return -1;
	if (open_log() < 0)
		return -1;
	snprintf(io.sock_path, sizeof(io.sock_path), "%s", cfg->sock_path);
	io.listen_fd = listen_on(cfg->sock_path);
	return io.listen_fd < 0 ? -1 : 0;
}

void mon_io_spawned(void)
{
	if ((io.mode & 0xff) == MON_IO_PASS)
		return;
	int nul = open("/dev/null", O_RDWR | O_CLOEXEC);
	for (int fd = 3; fd <= 5; fd++) {
		if (nul >= 0)
			dup3(nul, fd, O_CLOEXEC); /* the container has its copies; keep the slots taken */
		else
			close(fd);
	}
	if (nul >= 0)
		close(nul);
}

/* The master the container's open_pty op sent; none if it failed before. */
static int receive_master(int sock)
{
	char name[64];
	struct iovec iov = { name, sizeof(name) };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
	ssize_t r;
	do
		r = recvmsg(sock, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	while (r < 0 && errno == EINTR);
	if (r <= 0)
		return -1;
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	if (!cm || cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS || cm->cmsg_len != CMSG_LEN(sizeof(int)))
		return -1;
	int fd;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

/* After the exit: what the container wrote is still in the pty or the pipes. Read it until EOF/EIO, or 100 ms of silence (a process outside a pid namespace may keep a pipe open). */
static void drain(void)
{
	int *fds[3] = { &io.master, &io.out_rd, &io.err_rd };
	for (int round = 0; round < 1000; round++) {
		struct pollfd p[3];
		int n = 0;
		for (int i = 0; i < 3; i++)
			if (*fds[i] >= 0)
				p[n++] = (struct pollfd){ *fds[i], POLLIN, 0 };
		if (!n || poll(p, (nfds_t)n, 100) <= 0)
			return;
		int live = 0;
		for (int i = 0; i < n; i++) {
			if (!p[i].revents)
				continue;
			int *slot = p[i].fd == io.master ? &io.master : p[i].fd == io.out_rd ? &io.out_rd : &io.err_rd;
			if (pump(p[i].fd, slot == &io.err_rd ? F_STDERR : F_STDOUT))
				live++;
			else
				close_output(slot);
		}
		if (!live && round > 0)
			return;
	}
}

int mon_io_serve(pid_t pid, int pidfd)
{
	io.pid = pid;
	io.pidfd = pidfd;
	if ((io.mode & 0xff) == MON_IO_PASS || pidfd < 0) {
		int status = 0;
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		return status;
	}
	if (io.console_sock >= 0) {
		io.master = receive_master(io.console_sock);
		close(io.console_sock);
		io.console_sock = -1;
		if (io.master >= 0)
			nonblock(io.master);
	}
	mon_watch(&loop, pidfd, POLLIN, on_exit_ready, NULL);
	mon_watch(&loop, io.listen_fd, POLLIN, on_listen, NULL);
	if (io.master >= 0) {
		mon_watch(&loop, io.master, POLLIN, on_output, &io.master);
		io.master_live = 1;
	}
	if (io.out_rd >= 0)
		mon_watch(&loop, io.out_rd, POLLIN, on_output, &io.out_rd);
	if (io.err_rd >= 0)
		mon_watch(&loop, io.err_rd, POLLIN, on_output, &io.err_rd);
	while (!loop.done) {
		if (run_once(&loop, io.gated ? 1000 : -1) < 0)
			break;
		if (io.gated)
			evict_stalled();
	}
	if (!io.exited) { /* poll itself failed: still reap */
		while (waitpid(pid, &io.status, 0) < 0 && errno == EINTR)
			;
	}
	/* From here only clients stay in the loop; drain() reads the outputs itself. */
	mon_unwatch(&loop, pidfd);
	int outs[4] = { io.master, io.out_rd, io.err_rd, io.in_wr };
	for (int i = 0; i < 4; i++)
		if (outs[i] >= 0)
			mon_unwatch(&loop, outs[i]);
	io.pending_len = 0;
	/* New attaches now find no socket: the task is stopped (or about to be recorded so). */
	mon_unwatch(&loop, io.listen_fd);
	close(io.listen_fd);
	io.listen_fd = -1;
	unlink(io.sock_path);
	drain();
	return io.status;
}

void mon_io_finish(int status)
{
	if ((io.mode & 0xff) == MON_IO_PASS)
		return;
	uint8_t st[4];
	put32(st, (uint32_t)status);
	broadcast(F_EXIT, st, sizeof(st));
	/* Give clients up to 2 s to take what is queued for them, then let go. */
	for (int round = 0; round < 20; round++) {
		int waiting = 0;
		for (int i = 0; i < MAX_CLIENTS; i++)
			if (clients[i].fd >= 0 && clients[i].out_len)
				waiting = 1;
		if (!waiting)
			break;
		loop.done = 0;
		run_once(&loop, 100);
	}
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (clients[i].fd >= 0)
			drop_client(&clients[i]);
	if (io.log_fd >= 0)
		close(io.log_fd);
}
