/* SPDX-License-Identifier: MIT */
/*
 * tests/fuzz: fuzz harnesses.  Each defines LLVMFuzzerTestOneInput() and is built two ways:
 * with libFuzzer (./configure CC=clang --enable-fuzzing; `make fuzz`), or with driver.c, a
 * main that replays files and directories and then makes deterministic AFL-style mutations
 * of them (make check replays tests/fuzz/corpus/NAME and tests/fuzz/crashes/NAME).
 */
#ifndef PFTRACE_TESTS_FUZZ_H
#define PFTRACE_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Messages of the code under test go nowhere (sanitizer reports use fd 2 directly). */
static inline void fuzz_quiet(void)
{
	FILE *null = fopen("/dev/null", "w");

	if (null)
		stderr = null;
}

#endif
