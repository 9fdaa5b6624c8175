/* SPDX-License-Identifier: MIT */
/*
 * bench/syscall_loop: a syscall-heavy workload for bench/run.sh.
 *
 *   syscall_loop N
 *
 * Makes N getppid() system calls in a tight loop (through syscall(2), so no
 * libc caching can skip the kernel), plus a few thousand other cheap ones
 * (getpid, clock_gettime, read/write on a pipe, sched_yield) spread through
 * the run.  Prints one line on stdout:
 *
 *   syscall_loop: N=<n> other=<m> elapsed=<seconds> ns_per_call=<ns>
 *
 * The elapsed time is CLOCK_MONOTONIC around the loop only (not process
 * start-up), so bench/run.sh can compare it across tracers.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define OTHER_EVERY 4096 /* one burst of other syscalls every N getppid */

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	char *end;
	unsigned long long n, i, other = 0;
	int fds[2];
	char c = 'x';
	double t0, t1;

	if (argc != 2) {
		fprintf(stderr, "usage: %s N\n", argv[0]);
		return 2;
	}
	errno = 0;
	n = strtoull(argv[1], &end, 10);
	if (errno || *end || end == argv[1]) {
		fprintf(stderr, "%s: bad count '%s'\n", argv[0], argv[1]);
		return 2;
	}
	if (pipe(fds) != 0) {
		perror("pipe");
		return 1;
	}

	t0 = now();
	for (i = 0; i < n; i++) {
		syscall(SYS_getppid);
		if ((i % OTHER_EVERY) == 0) {
			struct timespec ts;
			syscall(SYS_getpid);
			syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts);
			if (write(fds[1], &c, 1) != 1 || read(fds[0], &c, 1) != 1) {
				perror("pipe io");
				return 1;
			}
			sched_yield();
			other += 5;
		}
	}
	t1 = now();

	printf("syscall_loop: N=%llu other=%llu elapsed=%.6f ns_per_call=%.1f\n", n, other, t1 - t0,
	       n ? (t1 - t0) * 1e9 / (double)n : 0.0);
	close(fds[0]);
	close(fds[1]);
	return 0;
}
