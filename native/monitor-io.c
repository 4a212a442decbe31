/*
 * The monitor's I/O for `run -d` (with or without -t) and `tasks attach`:
 * this file holds the container's side (the pty master, or its stdout,
 * stderr and stdin pipes), its exit (the pidfd), the set-up before the
 * spawn and the drain after the exit. The attach socket and the frames are
 * in monitor-clients.c, the bounded log in monitor-log.c, the poll loop in
 * monitor-loop.c (monitor-io-int.h joins them).
 *
 *   container            monitor (poll loop)                attach clients
 *   pty slave / pipes ─► master / pipe ends ─► log, log.1
 *                                           └► STDOUT/STDERR ──► every client
 *   pty input / stdin ◄─ STDIN frames ◄────────────────────────── any client
 *   TIOCSWINSZ        ◄─ RESIZE frames ◄─────────────────────── any client
 *   exit (pidfd) ─────►  drain output, record the exit status,
 *                        EXIT frame ──────────────────────────► every client
 *
 * No allocation: every buffer is static.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "monitor-io-int.h"

static struct {
	uint32_t mode;
	int master, out_rd, err_rd, in_wr, console_sock;
	/* Input a client sent that the container has not taken yet: clients are not read meanwhile. */
	uint8_t pending[MON_MAX_IN];
	uint32_t pending_off, pending_len;
	int exited, status;
	pid_t pid;
	int pidfd;
	int gated;       /* outputs unwatched: some client cannot take another chunk */
	int master_live; /* the master is watched for output (until EIO) */
} io = { .master = -1, .out_rd = -1, .err_rd = -1, .in_wr = -1, .console_sock = -1, .pidfd = -1 };

static uint8_t chunk[MON_FRAME_HDR + MON_CHUNK];

/* ---- what the clients ask of the container ------------------------------ */

int mon_io_input_busy(void)
{
	return io.pending_len != 0;
}

uint32_t mon_io_hello_flags(void)
{
	return ((io.mode & 0xff) == MON_IO_TTY ? 1u : 0u) | (io.in_wr >= 0 ? 2u : 0u);
}

pid_t mon_io_pid(void)
{
	return io.pid;
}

void mon_io_resize(unsigned short rows, unsigned short cols)
{
	struct winsize ws = { rows, cols, 0, 0 };
	if (io.master >= 0 && ws.ws_row && ws.ws_col)
		ioctl(io.master, TIOCSWINSZ, &ws); /* the kernel tells the foreground process group (SIGWINCH) */
}

static int input_fd(void)
{
	return (io.mode & 0xff) == MON_IO_TTY ? io.master : io.in_wr;
}

static void on_input_writable(struct mon_loop *l, int fd, short re, void *arg);

/* Client input to the container's terminal or stdin; what it cannot take now waits, and clients wait with it. */
void mon_io_feed(const uint8_t *p, uint32_t n)
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
	mon_clients_set_reading();
	if (fd == io.master) /* the master is also watched for output: add POLLOUT to it */
		mon_watch_events(mon_io_loop(), fd, POLLIN | POLLOUT);
	else
		mon_watch(mon_io_loop(), fd, POLLOUT, on_input_writable, NULL);
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
	mon_clients_set_reading();
}

/* ---- the container's output --------------------------------------------- */

/* Output of the container: to the log and to every client. Returns 0 at EOF/EIO (every writer gone). */
static int pump(int fd, uint8_t type)
{
	ssize_t r = read(fd, chunk + MON_FRAME_HDR, MON_CHUNK);
	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return 1;
	if (r <= 0)
		return 0; /* EIO on a master: no slave left */
	mon_log_write(chunk + MON_FRAME_HDR, (size_t)r);
	mon_clients_broadcast(type, chunk + MON_FRAME_HDR, (uint32_t)r);
	mon_io_update_gate();
	return 1;
}

static void close_output(int *fd)
{
	mon_unwatch(mon_io_loop(), *fd);
	if (*fd == io.master && io.pending_len)
		io.pending_len = 0;
	close(*fd);
	*fd = -1;
}

static void on_output(struct mon_loop *l, int fd, short re, void *arg)
{
	int *slot = arg;
	if ((re & POLLOUT) && fd == io.master)
		on_input_writable(l, fd, re, NULL);
	if ((re & (POLLIN | POLLHUP | POLLERR)) && !pump(fd, slot == &io.err_rd ? MON_F_STDERR : MON_F_STDOUT)) {
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
 * terminal); a client that stays full for a while is dropped
 * (mon_clients_evict_stalled).
 */
void mon_io_update_gate(void)
{
	int full = mon_clients_full();
	if (full == io.gated || io.exited)
		return;
	io.gated = full;
	int *outs[3] = { &io.master, &io.out_rd, &io.err_rd };
	for (int i = 0; i < 3; i++) {
		int fd = *outs[i];
		if (fd < 0 || (fd == io.master && !io.master_live))
			continue;
		if (full)
			mon_unwatch(mon_io_loop(), fd);
		else
			mon_watch(mon_io_loop(), fd, (short)(POLLIN | (fd == io.master && io.pending_len ? POLLOUT : 0)), on_output, outs[i]);
	}
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
	mon_loop_stop(l);
}

/* ---- set-up ------------------------------------------------------------ */

static int nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
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
	mon_clients_init();
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
	if (mon_log_open(cfg->log_path, cfg->log_max) < 0)
		return -1;
	return mon_clients_listen(cfg->sock_path);
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

/* ---- serving, and the end ------------------------------------------------ */

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
			if (pump(p[i].fd, slot == &io.err_rd ? MON_F_STDERR : MON_F_STDOUT))
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
	struct mon_loop *loop = mon_io_loop();
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
	mon_watch(loop, pidfd, POLLIN, on_exit_ready, NULL);
	mon_clients_serve();
	if (io.master >= 0) {
		mon_watch(loop, io.master, POLLIN, on_output, &io.master);
		io.master_live = 1;
	}
	if (io.out_rd >= 0)
		mon_watch(loop, io.out_rd, POLLIN, on_output, &io.out_rd);
	if (io.err_rd >= 0)
		mon_watch(loop, io.err_rd, POLLIN, on_output, &io.err_rd);
	while (!mon_loop_stopped(loop)) {
		if (mon_loop_run_once(loop, io.gated ? 1000 : -1) < 0)
			break;
		if (io.gated)
			mon_clients_evict_stalled();
	}
	if (!io.exited) { /* poll itself failed: still reap */
		while (waitpid(pid, &io.status, 0) < 0 && errno == EINTR)
			;
	}
	/* From here only clients stay in the loop; drain() reads the outputs itself. */
	mon_unwatch(loop, pidfd);
	int outs[4] = { io.master, io.out_rd, io.err_rd, io.in_wr };
	for (int i = 0; i < 4; i++)
		if (outs[i] >= 0)
			mon_unwatch(loop, outs[i]);
	io.pending_len = 0;
	/* New attaches now find no socket: the task is stopped (or about to be recorded so). */
	mon_clients_close_listener();
	drain();
	return io.status;
}

void mon_io_finish(int status)
{
	if ((io.mode & 0xff) == MON_IO_PASS)
		return;
	mon_clients_finish(status);
	mon_log_close();
}
