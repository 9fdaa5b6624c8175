/* SPDX-License-Identifier: MIT */
/* A tiny TAP producer for the C unit tests (run by automake's tap-driver). */
#ifndef PFTRACE_TESTS_TAP_H
#define PFTRACE_TESTS_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>

static int tap_n, tap_failed;

static inline void tap_plan(int n)
{
	printf("1..%d\n", n);
	fflush(stdout);
}

static inline int tap_ok(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline int tap_ok(int cond, const char *fmt, ...)
{
	va_list ap;
	tap_n++;
	printf("%sok %d - ", cond ? "" : "not ", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!cond)
		tap_failed++;
	return cond;
}

#define tap_is_int(got, want, name)                                                                \
	do {                                                                                       \
		long long g_ = (long long)(got), w_ = (long long)(want);                           \
		if (!tap_ok(g_ == w_, "%s", name))                                                 \
			printf("#   got %lld, want %lld (%s:%d)\n", g_, w_, __FILE__, __LINE__);   \
	} while (0)

#define tap_is_str(got, want, name)                                                                \
	do {                                                                                       \
		const char *g_ = (got), *w_ = (want);                                              \
		if (!tap_ok(g_ && w_ && strcmp(g_, w_) == 0, "%s", name))                          \
			printf("#   got \"%s\", want \"%s\" (%s:%d)\n", g_ ? g_ : "(null)",        \
			       w_ ? w_ : "(null)", __FILE__, __LINE__);                            \
	} while (0)

static inline void tap_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void tap_diag(const char *fmt, ...)
{
	va_list ap;
	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

/*
 * The one way to skip a check the environment does not allow (not root, no
 * vDSO, a resource limit that cannot be set): "ok N # SKIP why".  Under
 * CI=true the environment promises everything, so a skip is a failure there
 * ("not ok N - why (CI=true: may not skip)"), as tests/lib.sh's skip does.
 * A check of code that is compiled out (#ifdef HAVE_LIBELF) is not skipped:
 * it is not run, and the test says so with tap_diag().
 */
static inline void tap_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void tap_skip(const char *fmt, ...)
{
	const char *ci = getenv("CI");
	int in_ci = ci && strcmp(ci, "true") == 0;
	va_list ap;

	tap_n++;
	printf(in_ci ? "not ok %d - " : "ok %d # SKIP ", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(in_ci ? " (CI=true: may not skip)\n" : "\n");
	fflush(stdout);
	if (in_ci)
		tap_failed++;
}

/* asprintf that cannot fail (aborts the test on ENOMEM). */
static inline char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		abort();
	return s;
}

/* Make write() past @bytes fail with EFBIG (a full disk, as a unit test can
 * have one); *old receives the limit to restore.  0 or -errno. */
static inline int tap_limit_file_size(rlim_t bytes, struct rlimit *old)
{
	struct rlimit lim;

	fflush(stdout);
	signal(SIGXFSZ, SIG_IGN);
	if (getrlimit(RLIMIT_FSIZE, old) < 0)
		return -errno;
	lim = *old;
	lim.rlim_cur = bytes;
	return setrlimit(RLIMIT_FSIZE, &lim) < 0 ? -errno : 0;
}

/* Print the plan at the end when the count is not known up front. */
static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
