/* SPDX-License-Identifier: MIT */
/* fuzz_spanspec: any text as --spans definitions and as a systing JSON config
 * (core/spanspec.c). */
#include "config.h"
#include "core/spanspec.h"
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int once;
	struct ss_set *set;
	char *text;

	if (!once) {
		once = 1;
		fuzz_quiet();
	}
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	set = ss_set__new();
	if (set)
		(void)ss_set__parse_spans(set, "fuzz", text);
	ss_set__free(set);
	set = ss_set__new();
	if (set)
		(void)ss_set__parse_systing(set, "fuzz", text);
	ss_set__free(set);
	free(text);
	return 0;
}
