/*
 * The container's output log (monitor-log.c): "log" grows up to log_max
 * bytes, then is renamed to "log.1" (replacing the older one) and a new
 * "log" begins, so a task keeps at most about 2 × log_max bytes; `tasks
 * logs` prints log.1 then log. A failing write (a full disk) is skipped:
 * it must never stop the container's output.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fd-io.h"
#include "monitor-io-int.h"

static struct {
	int fd;
	uint64_t size, max;
	char path[4096], old[4104];
} lg = { .fd = -1 };

static int reopen(void)
{
	lg.fd = open(lg.path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (lg.fd < 0)
		return -1;
	struct stat st;
	lg.size = fstat(lg.fd, &st) == 0 ? (uint64_t)st.st_size : 0;
	return 0;
}

int mon_log_open(const char *path, uint64_t max)
{
	lg.max = max ? max : (1u << 20);
	if (snprintf(lg.path, sizeof(lg.path), "%s", path) >= (int)sizeof(lg.path) || snprintf(lg.old, sizeof(lg.old), "%s.1", path) < 0)
		return -1;
	return reopen();
}

void mon_log_write(const uint8_t *p, size_t n)
{
	if (lg.fd < 0)
		return;
	if (tsctr_write_full(lg.fd, p, n) < 0)
		return;
	lg.size += n;
	if (lg.size < lg.max)
		return;
	close(lg.fd);
	lg.fd = -1;
	rename(lg.path, lg.old);
	reopen();
}

void mon_log_close(void)
{
	if (lg.fd >= 0)
		close(lg.fd);
	lg.fd = -1;
}
