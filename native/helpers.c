/*
 * Small libc helpers for the parent (Node) side: calls whose arguments are
 * structs or out-parameters, which are clumsy through ffi-rs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/statfs.h>
#include <linux/bpf.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#ifndef TSCTR_BUILD_ID
#define TSCTR_BUILD_ID "unknown"
#endif

const char *tsctr_build_id(void)
{
	return TSCTR_BUILD_ID;
}

/* out: uint16 rows, cols. */
int tsctr_get_winsize(int32_t fd, uint8_t *out)
{
	struct winsize ws;
	if (ioctl(fd, TIOCGWINSZ, &ws) < 0)
		return -errno;
	uint16_t res[2] = { ws.ws_row, ws.ws_col };
	memcpy(out, res, sizeof(res));
	return 0;
}

int tsctr_set_winsize(int32_t fd, int32_t rows, int32_t cols)
{
	struct winsize ws = { (unsigned short)rows, (unsigned short)cols, 0, 0 };
	return ioctl(fd, TIOCSWINSZ, &ws) < 0 ? -errno : 0;
}

/* out: int64 f_type, f_bsize, f_blocks, f_bfree, f_bavail, f_files, f_ffree, f_flags. */
int tsctr_statfs(const char *path, uint8_t *out)
{
	struct statfs s;
	if (statfs(path, &s) < 0)
		return -errno;
	int64_t res[8] = { (int64_t)s.f_type, (int64_t)s.f_bsize, (int64_t)s.f_blocks, (int64_t)s.f_bfree,
			   (int64_t)s.f_bavail, (int64_t)s.f_files, (int64_t)s.f_ffree, (int64_t)s.f_flags };
	memcpy(out, res, sizeof(res));
	return 0;
}

/* out: int32 read end, write end. */
int tsctr_pipe(int32_t flags, uint8_t *out)
{
	int p[2];
	if (pipe2(p, flags) < 0)
		return -errno;
	int32_t res[2] = { p[0], p[1] };
	memcpy(out, res, sizeof(res));
	return 0;
}

/* Clears or sets FD_CLOEXEC. */
int tsctr_set_cloexec(int32_t fd, int32_t on)
{
	int fl = fcntl(fd, F_GETFD);
	if (fl < 0)
		return -errno;
	fl = on ? (fl | FD_CLOEXEC) : (fl & ~FD_CLOEXEC);
	return fcntl(fd, F_SETFD, fl) < 0 ? -errno : 0;
}

/*
 * Turns output post-processing (OPOST) off or on. libuv's raw mode keeps
 * ONLCR, so a container's "\r\n" would reach the terminal as "\r\r\n";
 * cfmakeraw(3), which runc and docker use, clears OPOST.
 */
int tsctr_set_opost(int32_t fd, int32_t on)
{
	struct termios t;
	if (tcgetattr(fd, &t) < 0)
		return -errno;
	if (on)
		t.c_oflag |= OPOST;
	else
		t.c_oflag &= ~OPOST;
	return tcsetattr(fd, TCSANOW, &t) < 0 ? -errno : 0;
}

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

/*
 * Opens a pty pair on the devpts instance behind ptmx (a container's
 * /proc/<pid>/root/dev/pts/ptmx), so the slave is one the container sees as
 * /dev/pts/<n>. The slave is opened through the master (TIOCGPTPEER), never
 * by a path the container controls. out: int32 master, slave, n.
 */
int tsctr_openpty_at(const char *ptmx, uint8_t *out)
{
	int m = open(ptmx, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (m < 0)
		return -errno;
	int unlock = 0, n = -1;
	if (ioctl(m, TIOCSPTLCK, &unlock) < 0 || ioctl(m, TIOCGPTN, &n) < 0)
		goto fail;
	int s = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (s < 0)
		goto fail;
	int32_t res[3] = { m, s, n };
	memcpy(out, res, sizeof(res));
	return 0;
fail:;
	int e = errno;
	close(m);
	return -e;
}

/* A unix stream socketpair, both ends close-on-exec. out: int32 fds. */
int tsctr_socketpair(uint8_t *out)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	int32_t res[2] = { sv[0], sv[1] };
	memcpy(out, res, sizeof(res));
	return 0;
}

/*
 * Receives one fd passed with SCM_RIGHTS (TSPL_OPEN_PTY's master), without
 * blocking: the sender has finished before the caller asks. The payload
 * (up to name_len - 1 bytes) lands NUL-terminated in name. Any further fds
 * in the message are closed. Returns the fd (close-on-exec), or -errno;
 * -ENODATA when a message came without an fd.
 */
int tsctr_recv_fd(int32_t sock, uint8_t *name, int32_t name_len)
{
	char buf[256];
	struct iovec iov = { buf, sizeof(buf) - 1 };
	union {
		char b[CMSG_SPACE(sizeof(int) * 4)];
		struct cmsghdr align;
	} u;
	struct msghdr msg;
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = u.b;
	msg.msg_controllen = sizeof(u.b);
	ssize_t r;
	do
		r = recvmsg(sock, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	int fd = -1;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		size_t n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int got;
			memcpy(&got, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			if (fd < 0)
				fd = got;
			else
				close(got);
		}
	}
	if (fd < 0)
		return r == 0 ? -EPIPE : -ENODATA;
	size_t l = (size_t)r < (size_t)name_len ? (size_t)r : (size_t)name_len - 1;
	memcpy(name, buf, l);
	name[l] = 0;
	return fd;
}

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

/* pidfd_open(2): an fd that names this process, not whatever later gets its pid. */
int tsctr_pidfd_open(int32_t pid)
{
	long fd = syscall(SYS_pidfd_open, (pid_t)pid, 0);
	return fd < 0 ? -errno : (int)fd;
}

/* pidfd_send_signal(2); 0 or -errno (ESRCH once the process is gone). */
int tsctr_pidfd_send_signal(int32_t pidfd, int32_t sig)
{
	return syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0 ? -errno : 0;
}

/*
 * bpf(2) for cgroup v2 device programs. union bpf_attr carries pointers
 * (instructions, license, log buffer), which ffi-rs cannot take the address
 * of, so the attr is built here. Each returns a fd or 0, or -errno.
 */
static long tsctr_bpf(int cmd, union bpf_attr *attr)
{
	long r = syscall(SYS_bpf, cmd, attr, sizeof(*attr));
	return r < 0 ? -errno : r;
}

/*
 * BPF_PROG_LOAD fails with EAGAIN when a signal reaches the caller while the
 * verifier runs (a profiler's SIGPROF did it to `run` under node --cpu-prof);
 * it is transient, so try again a few times, as libbpf does.
 */
static long tsctr_bpf_load(union bpf_attr *attr)
{
	long r;
	int tries = 0;
	sigset_t all, old;
	/* A sampling profiler signals every 100 us, so retries alone are not
	 * enough: hold signals off this thread while the verifier runs (they
	 * stay pending and arrive when the mask is restored). */
	sigfillset(&all);
	int masked = pthread_sigmask(SIG_BLOCK, &all, &old) == 0;
	do
		r = tsctr_bpf(BPF_PROG_LOAD, attr);
	while (r == -EAGAIN && ++tries < 5);
	if (masked)
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	return r;
}

/*
 * Loads a program. On failure the verifier's log is written to log (a
 * second load with log_level 1: the first one skips the verifier's text,
 * which costs time on success, as libbpf does).
 */
int tsctr_bpf_prog_load(int32_t type, const uint8_t *insns, int32_t insn_cnt, const char *license,
			const char *name, uint8_t *log, int32_t log_size)
{
	union bpf_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.prog_type = (uint32_t)type;
	attr.insns = (uint64_t)(uintptr_t)insns;
	attr.insn_cnt = (uint32_t)insn_cnt;
	attr.license = (uint64_t)(uintptr_t)license;
	strncpy(attr.prog_name, name, sizeof(attr.prog_name) - 1);
	long fd = tsctr_bpf_load(&attr);
	if (fd >= 0 || log == NULL || log_size <= 1)
		return (int)fd;
	long first = fd;
	attr.log_level = 1;
	attr.log_buf = (uint64_t)(uintptr_t)log;
	attr.log_size = (uint32_t)log_size;
	log[0] = 0;
	fd = tsctr_bpf_load(&attr);
	if (fd >= 0) {
		/* Loaded with the log on: keep it (the first failure was transient). */
		return (int)fd;
	}
	log[log_size - 1] = 0;
	return (int)first;
}

int tsctr_bpf_prog_attach(int32_t target_fd, int32_t prog_fd, int32_t attach_type, int32_t flags)
{
	union bpf_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.target_fd = (uint32_t)target_fd;
	attr.attach_bpf_fd = (uint32_t)prog_fd;
	attr.attach_type = (uint32_t)attach_type;
	attr.attach_flags = (uint32_t)flags;
	return (int)tsctr_bpf(BPF_PROG_ATTACH, &attr);
}

int tsctr_bpf_prog_detach(int32_t target_fd, int32_t prog_fd, int32_t attach_type)
{
	union bpf_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.target_fd = (uint32_t)target_fd;
	attr.attach_bpf_fd = (uint32_t)prog_fd;
	attr.attach_type = (uint32_t)attach_type;
	return (int)tsctr_bpf(BPF_PROG_DETACH, &attr);
}

/* ids: room for max uint32 program ids. Returns how many are attached (which may exceed max: then -ENOSPC). */
int tsctr_bpf_prog_query(int32_t target_fd, int32_t attach_type, uint8_t *ids, int32_t max)
{
	union bpf_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.query.target_fd = (uint32_t)target_fd;
	attr.query.attach_type = (uint32_t)attach_type;
	attr.query.prog_ids = (uint64_t)(uintptr_t)ids;
	attr.query.prog_cnt = (uint32_t)max;
	long r = tsctr_bpf(BPF_PROG_QUERY, &attr);
	return r < 0 ? (int)r : (int)attr.query.prog_cnt;
}

int tsctr_bpf_prog_get_fd_by_id(int32_t id)
{
	union bpf_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.prog_id = (uint32_t)id;
	return (int)tsctr_bpf(BPF_PROG_GET_FD_BY_ID, &attr);
}

/* eventfd(2) for cgroup v1 notifications (cgroup.event_control); close-on-exec. */
int tsctr_eventfd(void)
{
	int fd = eventfd(0, EFD_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/*
 * Blocks until one of a, b, c is readable or hung up (a pidfd whose process
 * exited, an eventfd that fired, a wake-up pipe), up to timeout_ms (-1: no
 * limit). Negative fds are ignored. Returns a bit mask by position (1 a,
 * 2 b, 4 c; 0 on timeout) or -errno. Called off the event loop (ffi-rs
 * runInNewThread) by `tsctr-runc events`, its only waiter.
 */
int tsctr_poll3(int32_t a, int32_t b, int32_t c, int32_t timeout_ms)
{
	struct pollfd p[3] = {
		{ .fd = a, .events = POLLIN },
		{ .fd = b, .events = POLLIN },
		{ .fd = c, .events = POLLIN },
	};
	int r;
	do
		r = poll(p, 3, timeout_ms);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	int mask = 0;
	for (int i = 0; i < 3; i++)
		if (p[i].fd >= 0 && (p[i].revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL)))
			mask |= 1 << i;
	return mask;
}
