/*
 * Appending to the events journal from C, for tsctr-monitor: a detached
 * task's /tasks/exit and /tasks/oom. Same rules as journal.ts: one write(2)
 * of one whole line on an O_APPEND fd, under a shared flock of journal.lock;
 * the rotation (rename to journal.1) under the exclusive one.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "journal.h"

#define MAX_LINE 4096

static int path_in(char *out, size_t n, const char *dir, const char *name)
{
	int w = snprintf(out, n, "%s/%s", dir, name);
	return w < 0 || (size_t)w >= n ? -ENAMETOOLONG : 0;
}

static int flock_retry(int fd, int op)
{
	while (flock(fd, op) < 0)
		if (errno != EINTR)
			return -errno;
	return 0;
}

int tsctr_journal_append(const struct tsctr_journal *j, const char *line, size_t len)
{
	char lock_path[4096], path[4096], prev[4096];
	if (len == 0 || len > MAX_LINE || line[len - 1] != '\n')
		return -EINVAL;
	int rc = path_in(lock_path, sizeof(lock_path), j->dir, "journal.lock");
	if (!rc)
		rc = path_in(path, sizeof(path), j->dir, "journal");
	if (!rc)
		rc = path_in(prev, sizeof(prev), j->dir, "journal.1");
	if (rc)
		return rc;
	if (mkdir(j->dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	int lock = open(lock_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (lock < 0)
		return -errno;
	if ((rc = flock_retry(lock, LOCK_SH)) < 0)
		goto out;
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	ssize_t w;
	while ((w = write(fd, line, len)) < 0 && errno == EINTR)
		;
	struct stat st;
	rc = w < 0 ? -errno : (size_t)w != len ? -EIO : 0;
	int over = rc == 0 && fstat(fd, &st) == 0 && (uint64_t)st.st_size > j->limit;
	close(fd);
	flock(lock, LOCK_UN);
	if (over && flock_retry(lock, LOCK_EX) == 0) {
		/* Another writer may have rotated first. */
		if (stat(path, &st) == 0 && (uint64_t)st.st_size > j->limit)
			rename(path, prev);
		flock(lock, LOCK_UN);
	}
out:
	close(lock);
	return rc;
}

/* RFC 3339 with nanoseconds, UTC. */
static void format_now(char *out, size_t n)
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	char base[32];
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, n, "%s.%09ldZ", base, (long)ts.tv_nsec);
}

/* A JSON string body: quotes, backslashes and control characters escaped. Returns 0, or -1 when it does not fit. */
static int json_escape(char *out, size_t n, const char *s)
{
	size_t o = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		char tmp[8];
		const char *e = tmp;
		if (*p == '"')
			e = "\\\"";
		else if (*p == '\\')
			e = "\\\\";
		else if (*p < 0x20 || *p == 0x7f)
			snprintf(tmp, sizeof(tmp), "\\u%04x", *p);
		else {
			tmp[0] = (char)*p;
			tmp[1] = 0;
		}
		size_t l = strlen(e);
		if (o + l >= n)
			return -1;
		memcpy(out + o, e, l);
		o += l;
	}
	out[o] = 0;
	return 0;
}

static int append_event(const struct tsctr_journal *j, const char *topic, const char *payload)
{
	char ts[64], ns[256], line[MAX_LINE + 1];
	format_now(ts, sizeof(ts));
	if (json_escape(ns, sizeof(ns), j->namespace_) < 0)
		return -ENAMETOOLONG;
	int n = snprintf(line, sizeof(line), "{\"timestamp\":\"%s\",\"namespace\":\"%s\",\"topic\":\"%s\",\"event\":%s}\n", ts, ns, topic, payload);
	if (n < 0 || (size_t)n >= sizeof(line))
		return -E2BIG;
	return tsctr_journal_append(j, line, (size_t)n);
}

int tsctr_journal_task_exit(const struct tsctr_journal *j, int pid, int status)
{
	char id[1024], ts[64], payload[2400];
	if (json_escape(id, sizeof(id), j->container_id) < 0)
		return -ENAMETOOLONG;
	format_now(ts, sizeof(ts));
	/* As containerd's shim: the exit code, or 128 + the signal that killed it. */
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 255;
	snprintf(payload, sizeof(payload), "{\"container_id\":\"%s\",\"id\":\"%s\",\"pid\":%d,\"exit_status\":%d,\"exited_at\":\"%s\"}", id, id, pid, code, ts);
	return append_event(j, "/tasks/exit", payload);
}

int tsctr_journal_task_oom(const struct tsctr_journal *j)
{
	char id[1024], payload[1200];
	if (json_escape(id, sizeof(id), j->container_id) < 0)
		return -ENAMETOOLONG;
	snprintf(payload, sizeof(payload), "{\"container_id\":\"%s\"}", id);
	return append_event(j, "/tasks/oom", payload);
}
