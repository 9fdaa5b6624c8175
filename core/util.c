/* SPDX-License-Identifier: MIT */
/* core/util: messages, small parsers, clocks and file helpers. */
#include "config.h"
#include "core/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int pft_verbose;
int pft_quiet;

static void vmsg(const char *kind, const char *fmt, va_list ap)
{
	char buf[1024];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	fprintf(stderr, "pftrace: %s%s\n", kind, buf);
}

void pft_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("error: ", fmt, ap);
	va_end(ap);
}

void pft_hint(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("hint: ", fmt, ap);
	va_end(ap);
}

void pft_warn(const char *fmt, ...)
{
	va_list ap;

	if (pft_quiet)
		return;
	va_start(ap, fmt);
	vmsg("warning: ", fmt, ap);
	va_end(ap);
}

void pft_info(const char *fmt, ...)
{
	va_list ap;

	if (pft_quiet)
		return;
	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
}

void pft_debug(const char *fmt, ...)
{
	va_list ap;

	if (pft_verbose < 2)
		return;
	va_start(ap, fmt);
	vmsg("debug: ", fmt, ap);
	va_end(ap);
}

uint64_t pft_clock_ns(clockid_t clk)
{
	struct timespec ts;

	if (clock_gettime(clk, &ts))
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int pft_parse_long(const char *s, long *out)
{
	char *end;
	long v;

	if (!s || !*s)
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno)
		return -errno;
	if (*end)
		return -EINVAL;
	*out = v;
	return 0;
}

int pft_parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	uint64_t mult = 1;

	if (!s || !*s || *s == '-')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -EINVAL;
	switch (*end) {
	case 0:
		break;
	case 'k':
	case 'K':
		mult = 1ull << 10;
		end++;
		break;
	case 'm':
	case 'M':
		mult = 1ull << 20;
		end++;
		break;
	case 'g':
	case 'G':
		mult = 1ull << 30;
		end++;
		break;
	default:
		return -EINVAL;
	}
	if (*end == 'B' || *end == 'b' || (*end == 'i' && end[1] == 'B' && end++))
		end++;
	if (*end)
		return -EINVAL;
	if (v > UINT64_MAX / mult)
		return -ERANGE;
	*out = v * mult;
	return 0;
}

int pft_parse_duration(const char *s, uint64_t *out_ns)
{
	char *end;
	double v;
	double mult = 1e9;

	if (!s || !*s || *s == '-')
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || v != v)
		return -EINVAL;
	if (!strcmp(end, "") || !strcmp(end, "s"))
		mult = 1e9;
	else if (!strcmp(end, "ms"))
		mult = 1e6;
	else if (!strcmp(end, "us"))
		mult = 1e3;
	else if (!strcmp(end, "m") || !strcmp(end, "min"))
		mult = 60e9;
	else
		return -EINVAL;
	if (v * mult > 1e18)
		return -ERANGE;
	*out_ns = (uint64_t)(v * mult);
	return 0;
}

ssize_t pft_read_file_at(int dirfd, const char *path, char *buf, size_t cap)
{
	ssize_t n, total = 0;
	int fd;

	if (cap == 0)
		return -EINVAL;
	fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while ((size_t)total < cap - 1) {
		n = read(fd, buf + total, cap - 1 - (size_t)total);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			n = -errno;
			close(fd);
			return n;
		}
		if (n == 0)
			break;
		total += n;
	}
	buf[total] = 0;
	close(fd);
	return total;
}

ssize_t pft_read_file(const char *path, char *buf, size_t cap)
{
	return pft_read_file_at(AT_FDCWD, path, buf, cap);
}

char *pft_slurp(const char *path, size_t *len)
{
	size_t cap = 4096, total = 0;
	char *buf, *nb;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	buf = malloc(cap);
	if (!buf)
		goto fail;
	for (;;) {
		if (total + 1 >= cap) {
			nb = realloc(buf, cap * 2);
			if (!nb)
				goto fail;
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + total, cap - 1 - total);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		if (n == 0)
			break;
		total += (size_t)n;
	}
	buf[total] = 0;
	close(fd);
	if (len)
		*len = total;
	return buf;
fail:
	n = errno;
	free(buf);
	close(fd);
	errno = (int)n;
	return NULL;
}

const char *pft_fmt_bytes(uint64_t bytes, char *buf, size_t cap)
{
	if (bytes >= (1ull << 30))
		snprintf(buf, cap, "%.2f GiB", (double)bytes / (1ull << 30));
	else if (bytes >= (1ull << 20))
		snprintf(buf, cap, "%.2f MiB", (double)bytes / (1ull << 20));
	else if (bytes >= (1ull << 10))
		snprintf(buf, cap, "%.1f KiB", (double)bytes / (1ull << 10));
	else
		snprintf(buf, cap, "%llu B", (unsigned long long)bytes);
	return buf;
}

pid_t pft_gettid(void)
{
	return (pid_t)syscall(SYS_gettid);
}
