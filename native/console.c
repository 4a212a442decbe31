/*
 * TSPL_OPEN_PTY (plan.h): the terminal of a process is allocated from inside
 * the container, after it has joined (or pivoted into) the container's mount
 * namespace, never through /proc/<pid>/root/... from the host: a path the
 * container controls is only ever resolved against the container's own root.
 *
 *   open ptmx (O_NOFOLLOW on the devpts path; the /dev/ptmx fallback may be
 *   the usual symlink) → must be the char device 5:2 → unlock → slave by
 *   TIOCGPTPEER (never by /dev/pts/N, which the container could replace) →
 *   window size, owner → sendmsg(SCM_RIGHTS master, "/dev/pts/N") → close
 *   master → setsid + TIOCSCTTY → slave onto 0, 1, 2.
 *
 * The socket is one end of a socketpair (tsctr) or a connected socket to
 * the caller's console socket (runc --console-socket); the payload is the
 * slave's name as runc sends the console's name. Allocation-free.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>

#include "executor.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

static int open_ptmx(const char *path, int nofollow)
{
	/* O_NONBLOCK: a fifo or a device planted in place of ptmx must not block us. */
	int fd = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK | (nofollow ? O_NOFOLLOW : 0));
	if (fd < 0)
		return -1;
	struct stat st;
	if (fstat(fd, &st) < 0)
		goto fail;
	/*
	 * Only the multiplexer itself: c 5:2 (the devpts "ptmx" node or a
	 * /dev/ptmx node, for which the kernel finds the devpts instance at the
	 * sibling "pts" and refuses anything else).
	 */
	if (!S_ISCHR(st.st_mode) || major(st.st_rdev) != 5 || minor(st.st_rdev) != 2) {
		errno = ENOTTY;
		goto fail;
	}
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0)
		goto fail;
	return fd;
fail:;
	int e = errno;
	close(fd);
	errno = e;
	return -1;
}

static int send_master(int sock, int master, const char *name)
{
	struct iovec iov = { (void *)name, strlen(name) };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	memset(&u, 0, sizeof(u));
	struct msghdr msg;
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = u.buf;
	msg.msg_controllen = sizeof(u.buf);
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &master, sizeof(int));
	ssize_t w;
	do
		w = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (w < 0 && errno == EINTR);
	return w < 0 ? -1 : 0;
}

int tsctr_op_open_pty(const struct ctx *c, const struct tspl_op *o)
{
	const char *path = str_at(c, o->s[0]), *fallback = str_at(c, o->s[1]);
	int m = open_ptmx(path, 1);
	if (m < 0 && errno == ENOENT && fallback)
		m = open_ptmx(fallback, 0);
	if (m < 0)
		return -1;
	int s = -1, n = -1, unlock = 0;
	char name[32];
	if (ioctl(m, TIOCSPTLCK, &unlock) < 0 || ioctl(m, TIOCGPTN, &n) < 0)
		goto fail;
	s = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (s < 0)
		goto fail;
	if (o->n[1] > 0 && o->n[2] > 0) {
		struct winsize ws = { (unsigned short)o->n[1], (unsigned short)o->n[2], 0, 0 };
		if (ioctl(s, TIOCSWINSZ, &ws) < 0)
			goto fail;
	}
	if ((o->n[3] >= 0 || o->n[4] >= 0) && fchown(s, (uid_t)o->n[3], (gid_t)o->n[4]) < 0)
		goto fail;
	snprintf(name, sizeof(name), "/dev/pts/%d", n);
	const char *payload = str_at(c, o->s[2]);
	if (send_master((int)o->n[0], m, payload && *payload ? payload : name) < 0)
		goto fail;
	close(m);
	m = -1;
	/* TIOCSCTTY needs a session leader without a terminal. */
	if (setsid() < 0 || ioctl(s, TIOCSCTTY, 0) < 0)
		goto fail;
	for (int fd = 0; fd < 3; fd++) {
		if (s != fd && dup2(s, fd) < 0)
			goto fail;
		/* dup2 clears FD_CLOEXEC on a copy, not when s already is that fd. */
		if (fcntl(fd, F_SETFD, 0) < 0)
			goto fail;
	}
	if (s > 2)
		close(s);
	return 0;
fail:;
	int e = errno;
	if (s > 2)
		close(s);
	if (m >= 0)
		close(m);
	errno = e;
	return -1;
}

/*
 * Parent side of runc's --console-socket: a connected unix stream socket
 * (close-on-exec) for the child's TSPL_OPEN_PTY to send the master on.
 * Connecting in the parent, before clone(), makes a missing path or a
 * non-socket fail before anything is created. Returns the fd or -errno.
 */
int tsctr_connect_unix(const char *path)
{
	struct sockaddr_un sa;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	int sk = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sk < 0)
		return -errno;
	int r;
	do
		r = connect(sk, (struct sockaddr *)&sa, sizeof(sa));
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		int e = errno;
		close(sk);
		return -e;
	}
	return sk;
}
