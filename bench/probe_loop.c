/* SPDX-License-Identifier: MIT */
/*
 * bench/probe_loop: a function to put a uprobe on, for bench/probes.sh.
 *
 *   probe_loop [N]
 *
 * Calls the noinline function probe_loop_fn(i) N times (default 1000000),
 * passing the loop index as its only argument (in %rdi on x86-64, x0 on
 * arm64), and prints one line on stdout:
 *
 *   probe_loop: N=<n> sum=<s> elapsed=<seconds> ns_per_call=<ns> cpu=<seconds>
 *
 * elapsed is CLOCK_MONOTONIC around the loop only (not process start-up or the
 * tracer's set-up); cpu is the process's own user+sys time (getrusage), which
 * includes the kernel's uprobe handling of every hit, so a tracer's own CPU
 * can be told apart from the workload's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

/* The probed function: global (in the symbol table), not inlined, not cloned. */
unsigned long long probe_loop_fn(unsigned long long x);
__attribute__((noinline, noclone)) unsigned long long probe_loop_fn(unsigned long long x)
{
	__asm__ volatile("" : "+r"(x));
	return x ^ (x >> 3);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double tv_s(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
	unsigned long long n = 1000000, i, sum = 0;
	struct rusage ru;
	double t0, t1;
	char *end;

	if (argc > 2) {
		fprintf(stderr, "usage: %s [N]\n", argv[0]);
		return 2;
	}
	if (argc == 2) {
		errno = 0;
		n = strtoull(argv[1], &end, 10);
		if (errno || *end || end == argv[1]) {
			fprintf(stderr, "%s: bad count '%s'\n", argv[0], argv[1]);
			return 2;
		}
	}

	t0 = now();
	for (i = 0; i < n; i++)
		sum += probe_loop_fn(i);
	t1 = now();

	if (getrusage(RUSAGE_SELF, &ru) != 0) {
		perror("getrusage");
		return 1;
	}
	printf("probe_loop: N=%llu sum=%llu elapsed=%.6f ns_per_call=%.1f cpu=%.3f\n", n, sum,
	       t1 - t0, n ? (t1 - t0) * 1e9 / (double)n : 0.0,
	       tv_s(ru.ru_utime) + tv_s(ru.ru_stime));
	return 0;
}
