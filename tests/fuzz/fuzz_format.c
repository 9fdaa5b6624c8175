/* SPDX-License-Identifier: MIT */
/* fuzz_format: any text as a tracefs event format (core/tp.c over libtraceevent), then every
 * accessor of the parsed format. */
#include "config.h"
#include "core/tp.h"
#include "core/util.h"
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int once;
	struct tp_parser *p;
	struct tp_format *f;
	struct pft_field fl;
	char *text;
	unsigned i, n;

	if (!once) {
		once = 1;
		fuzz_quiet();
		pft_quiet = 1;
	}
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	p = tp_parser__new();
	f = p ? tp_parser__parse(p, "fuzz", text, size) : NULL;
	if (f) {
		(void)tp_format__id(f);
		(void)tp_format__name(f);
		(void)tp_format__system(f);
		(void)tp_format__field(f, "common_pid", &fl);
		(void)tp_format__field(f, "prev_comm", &fl);
		n = tp_format__nfields(f);
		for (i = 0; i < n && i < 1024; i++)
			(void)tp_format__field_at(f, i, &fl);
	}
	tp_parser__free(p);
	free(text);
	return 0;
}
