/* SPDX-License-Identifier: MIT */
/* fuzz_maps: any text as /proc/PID/maps, through symbolize/maps.c (sym_maps__parse, then
 * lookups) and core/host.c's line parser (the host op mappings). */
#include "config.h"
#include "core/session_test.h"
#include "fuzz.h"
#include "symbolize/internal.h"
#include "symbolize/symbolize.h"
#include <pftrace/pftrace.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int once;
	struct sym_cache *c;
	struct sym_maps *m;
	struct pft_mapping pm;
	char *text, *line, *save = NULL;
	size_t i;

	if (!once) {
		once = 1;
		fuzz_quiet();
	}
	/* a cache per input, so that an input replays alone */
	c = sym_cache__new();
	text = c ? malloc(size + 1) : NULL;
	if (!text) {
		sym_cache__free(c);
		return 0;
	}
	memcpy(text, data, size);
	text[size] = 0;
	/* our own address space as the base of a made-up process, then the fuzzed text */
	m = sym_cache__maps(c, getpid(), 1);
	if (m && !sym_cache__fork_maps(c, getpid(), 999999) &&
	    (m = sym_cache__maps(c, 999999, 0)) != NULL) {
		sym_cache__exec_maps(c, 999999);
		(void)sym_maps__parse(m, text, size);
		for (i = 0; i + 8 <= size && i < 256; i += 8) {
			uint64_t a;

			memcpy(&a, data + i, 8);
			(void)sym_maps__find(m, a);
		}
		sym_cache__drop_maps(c, 999999);
	}
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		(void)session__parse_maps_line(line, &pm);
	free(text);
	sym_cache__free(c);
	return 0;
}
