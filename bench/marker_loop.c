/* SPDX-License-Identifier: MIT */
/* marker_loop FILE N [LINE]: N write()s of sysdig begin/end lines (or of LINE)
 * to FILE; prints the mean nanoseconds per write on stdout, in the thread's
 * CPU time (user + kernel, the uprobe trap included): on a loaded machine the
 * wall time would count the time others ran. */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static unsigned long long now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (unsigned long long)t.tv_sec * 1000000000ull + (unsigned long long)t.tv_nsec;
}

int main(int argc, char **argv)
{
	static const char b[] = ">:t:bench:i=1:\n", e[] = "<:t:bench::\n";
	unsigned long long t0, t1;
	long n, i;
	int fd;

	if (argc < 3 || (n = atol(argv[2])) <= 0) {
		fprintf(stderr, "usage: marker_loop FILE N [LINE]\n");
		return 2;
	}
	fd = open(argv[1], O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		perror(argv[1]);
		return 1;
	}
	t0 = now_ns();
	for (i = 0; i < n; i++) {
		const char *l = argc > 3 ? argv[3] : (i & 1) ? e : b;

		if (write(fd, l, strlen(l)) < 0) {
			perror("write");
			return 1;
		}
	}
	t1 = now_ns();
	printf("%.0f\n", (double)(t1 - t0) / (double)n);
	return 0;
}
