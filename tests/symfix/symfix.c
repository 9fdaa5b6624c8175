/* SPDX-License-Identifier: MIT */
/*
 * symfix: an executable with known functions, for tests/test_symbolize.
 *
 * Prints "NAME ADDRESS" for each of its functions, then waits for its
 * standard input to close, so that the test can read /proc/PID/maps and
 * resolve the addresses while it runs.  Built as a PIE and as a non-PIE
 * executable; stripped copies get their symbols from a separate debug file.
 */
#include <stdio.h>

#define FIXTURE __attribute__((noinline, used))

FIXTURE int symfix_alpha(int x)
{
	return x * 3 + 1;
}

FIXTURE int symfix_beta(int x)
{
	return symfix_alpha(x) ^ 0x55;
}

FIXTURE static int symfix_local(int x)
{
	return symfix_beta(x) + 7;
}

/* A C function under a C++ mangled name: foo::bar(). */
void symfix_cxx(void) __asm__("_ZN3foo3barEv");
FIXTURE void symfix_cxx(void)
{
	__asm__ volatile("" ::: "memory");
}

int main(void)
{
	printf("symfix_alpha %p\n", (void *)symfix_alpha);
	printf("symfix_beta %p\n", (void *)symfix_beta);
	printf("symfix_local %p\n", (void *)symfix_local);
	printf("_ZN3foo3barEv %p\n", (void *)symfix_cxx);
	printf("main %p\n", (void *)main);
	printf("end\n");
	fflush(stdout);
	while (getchar() != EOF)
		;
	return symfix_local(0) == 12345;
}
