/* SPDX-License-Identifier: MIT */
/**
 * DOC: pftrace markers for C programs
 *
 * Header-only, nothing to link: mark the start and end of a piece of work so
 * that ``pftrace record --markers`` shows it as a slice on the thread's track.
 *
 *	#include <pftrace/marker.h>
 *
 *	pft_marker_begin("req.db", "table=users");
 *	query();
 *	pft_marker_end("req.db", NULL);
 *	pft_marker_counter("queue depth", 17);
 *
 * Lines are sysdig tracer lines with the thread ID (``>:t:TAGS:ARGS:``) and
 * atrace counters (``C|pid|name|value``), one write() each, to tracefs's
 * ``trace_marker`` (pftrace's trace_marker channel) or, where that cannot be
 * opened (not root, no tracefs), to ``/dev/null`` (the devnull channel; no
 * counters there).  ``PFTRACE_MARKER_FILE`` in the environment names
 * another file (the instance's trace_marker that pftrace prints on kernels
 * without copy_trace_marker).  Nothing happens when pftrace is not recording
 * but the write.  Tags are names joined by '.', args ``k=v`` joined by ','
 * (no ':' in either).  Thread-safe (the file is opened once; a race opens it
 * twice and keeps one).
 */
#ifndef PFTRACE_MARKER_H
#define PFTRACE_MARKER_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The file the markers go to: its fd, opened on first use (-1 if none). */
static inline int pft_marker_fd(void)
{
	static int fd = -2;
	static const char *const files[] = {
		"/sys/kernel/tracing/trace_marker",
		"/sys/kernel/debug/tracing/trace_marker",
		"/dev/null",
	};
	const char *env;
	int f = -1;
	unsigned i;

	if (__atomic_load_n(&fd, __ATOMIC_ACQUIRE) != -2)
		return fd;
	env = getenv("PFTRACE_MARKER_FILE");
	if (env && *env)
		f = open(env, O_WRONLY | O_CLOEXEC);
	for (i = 0; f < 0 && i < sizeof(files) / sizeof(files[0]); i++)
		f = open(files[i], O_WRONLY | O_CLOEXEC);
	{
		int expected = -2;

		if (!__atomic_compare_exchange_n(&fd, &expected, f, 0, __ATOMIC_ACQ_REL,
						 __ATOMIC_ACQUIRE) &&
		    f >= 0)
			close(f); /* another thread won */
	}
	return fd;
}

/* Whether markers go to /dev/null (the devnull channel, no counters). */
static inline int pft_marker_is_devnull(void)
{
	char path[64], target[64];
	ssize_t n;
	int fd = pft_marker_fd();

	if (fd < 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, target, sizeof(target) - 1);
	if (n <= 0)
		return 0;
	target[n] = 0;
	return !strcmp(target, "/dev/null");
}

/* Write one line (a newline is not needed).  0, or -1 when it could not be written. */
static inline int pft_marker_write(const char *line, size_t len)
{
	int fd = pft_marker_fd();

	return fd >= 0 && write(fd, line, len) == (ssize_t)len ? 0 : -1;
}

static inline int pft_marker__span(char dir, const char *tags, const char *args)
{
	char buf[1024];
	int n = snprintf(buf, sizeof(buf), "%c:t:%s:%s:\n", dir, tags, args ? args : "");

	if (n < 0 || (size_t)n >= sizeof(buf))
		return -1;
	return pft_marker_write(buf, (size_t)n);
}

/* Begin span @tags ("req" or "req.db") on this thread; @args "k=v,k2=v2" or NULL. */
static inline int pft_marker_begin(const char *tags, const char *args)
{
	return pft_marker__span('>', tags, args);
}

/* End the latest open span @tags of this thread; @args are added to it. */
static inline int pft_marker_end(const char *tags, const char *args)
{
	return pft_marker__span('<', tags, args);
}

/* A value of counter @name of this process (trace_marker only). */
static inline int pft_marker_counter(const char *name, double value)
{
	char buf[512];
	int n = snprintf(buf, sizeof(buf), "C|%d|%s|%.17g\n", (int)getpid(), name, value);

	if (n < 0 || (size_t)n >= sizeof(buf))
		return -1;
	return pft_marker_write(buf, (size_t)n);
}

#ifdef __cplusplus
}
#endif
#endif /* PFTRACE_MARKER_H */
