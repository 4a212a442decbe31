/* Whole reads and writes on an fd, and a file replaced by rename (fd-io.c):
 * shared by tsctr-monitor's parts so each is written once. */
#ifndef TSCTR_FD_IO_H
#define TSCTR_FD_IO_H

#include <stddef.h>

/* Reads exactly n bytes (retrying EINTR and short reads). 0, or -1 on an error or EOF first. */
int tsctr_read_full(int fd, void *buf, size_t n);
/* Writes all n bytes (retrying EINTR and short writes). 0, or -1. */
int tsctr_write_full(int fd, const void *buf, size_t n);
/* Writes text to <path>.tmp, fsyncs it and renames it over path: a reader sees the old file or the whole new one. 0, or -1 (the temp file removed). */
int tsctr_replace_file(const char *path, const char *text, size_t n);

#endif
