/* SPDX-License-Identifier: MIT */
/*
 * plugins/probes/list.c: `pftrace probes BINARY [PATTERN]` -- what a binary
 * offers to probe, as specs that can be pasted after -e:
 *
 *   usdt:/path/app:provider:name  [2 locations, semaphore]  args: -4@%eax 8@-16(%rbp)
 *   uprobe:/path/app:handle_request
 */
#include "config.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "probes.h"
#include "internal.h"

/* The first note of each provider:name, in file order, with its location count. */
static void list_usdt(FILE *out, const char *path, const char *pattern,
		      const struct prb_usdt_note *notes, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct prb_usdt_note *u = &notes[i];
		size_t locs = 0, first = i;
		char full[512];

		for (size_t j = 0; j < n; j++) {
			if (strcmp(notes[j].name, u->name) ||
			    strcmp(notes[j].provider, u->provider))
				continue;
			if (!locs++)
				first = j;
		}
		if (first != i)
			continue;
		snprintf(full, sizeof(full), "%s:%s", u->provider, u->name);
		if (pattern && fnmatch(pattern, full, 0) && fnmatch(pattern, u->name, 0))
			continue;
		fprintf(out, "usdt:%s:%s", path, full);
		if (locs > 1 || u->sema)
			fprintf(out, "  [%zu location%s%s]", locs, locs > 1 ? "s" : "",
				u->sema ? ", semaphore" : "");
		if (*u->args)
			fprintf(out, "  args: %s", u->args);
		fputc('\n', out);
	}
}

int prb_list(FILE *out, const char *path, const char *pattern, char *err, size_t errlen)
{
	struct prb_usdt_note *notes;
	struct prb_func *funcs;
	size_t nn, nf;
	int ret;

	ret = prb_usdt__read(path, &notes, &nn, err, errlen);
	if (ret)
		return ret;
	ret = prb_elf__funcs(path, pattern, &funcs, &nf, err, errlen);
	if (ret) {
		prb_usdt__free(notes, nn);
		return ret;
	}
	list_usdt(out, path, pattern, notes, nn);
	for (size_t i = 0; i < nf; i++)
		fprintf(out, "uprobe:%s:%s\n", path, funcs[i].name);
	prb_usdt__free(notes, nn);
	prb_funcs__free(funcs, nf);
	return 0;
}
