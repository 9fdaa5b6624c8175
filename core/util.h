/* SPDX-License-Identifier: MIT */
/* core/util: messages, small parsers, clocks and file helpers shared by core. */
#ifndef PFTRACE_CORE_UTIL_H
#define PFTRACE_CORE_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

extern int pft_verbose; /* -v count */
extern int pft_quiet;	/* -q */

void pft_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pft_hint(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pft_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pft_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pft_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

uint64_t pft_clock_ns(clockid_t clk);

/* "4M", "512k", "1G", "65536" -> bytes; 0 or -EINVAL. */
int pft_parse_size(const char *s, uint64_t *out);
/* "10", "0.5", "2s", "500ms" -> ns; 0 or -EINVAL. */
int pft_parse_duration(const char *s, uint64_t *out_ns);
/* strict integer parse; 0 or -EINVAL/-ERANGE */
int pft_parse_long(const char *s, long *out);

/* Read a small file into buf (NUL-terminated, at most cap-1 bytes).
 * Returns bytes read or -errno.  Uses dirfd when >= 0 (openat). */
ssize_t pft_read_file_at(int dirfd, const char *path, char *buf, size_t cap);
ssize_t pft_read_file(const char *path, char *buf, size_t cap);

/* Read a whole file of unknown size (procfs/tracefs), malloc'd, NUL-terminated. */
char *pft_slurp(const char *path, size_t *len);

/* Human readable byte count into buf. */
const char *pft_fmt_bytes(uint64_t bytes, char *buf, size_t cap);

pid_t pft_gettid(void);

#endif
