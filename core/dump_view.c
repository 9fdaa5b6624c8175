/* SPDX-License-Identifier: MIT */
/*
 * core/dump_view: `pftrace dump TRACE FILTER`, -p FORMAT, -j, -S: each line of
 * dump's time-ordered stream becomes an event view (core/reading.c), passes
 * the filter (core/filter.c) and is printed (core/format.c).
 */
#include "config.h"
#include "core/dump.h"
#include "core/filter.h"
#include "core/format.h"
#include "core/util.h"

#include <stdio.h>
#include <stdlib.h>

struct view_ctx {
	const struct dump_opts *o;
	struct reading *rd;
	struct flt *flt;
	struct ofmt *fmt;
	int oom;
};

static int on_line(void *ctx, const struct rline *l)
{
	struct view_ctx *c = ctx;
	struct evview *v = reading__view(c->rd, l);

	if (!v) {
		c->oom = 1;
		return 1;
	}
	if (c->flt && !flt_match(c->flt, v))
		return 1;
	if (c->o->folded)
		return 0; /* dump counts the sample's stack */
	ofmt_print(c->fmt, v, stdout);
	return 1;
}

int dump_view_wanted(const struct dump_opts *o)
{
	return o->filter || o->format || o->json || o->sysdig;
}

void dump_note_argsource(int source)
{
	if (source == 1)
		pft_info("syscall argument names are this machine's (its syscall tracepoint "
			 "formats), not recorded in the trace");
	else if (source == 2)
		pft_info("syscall argument names are pftrace's built-in table (no readable "
			 "syscall tracepoint formats here), not recorded in the trace");
}

int dump_view(const struct dump_opts *o)
{
	struct view_ctx c = {.o = o};
	struct flt_err err;
	int status = 2;

	if (o->filter) {
		c.flt = flt_parse(o->filter, &err);
		if (!c.flt) {
			flt_report(o->filter, &err);
			return 2;
		}
	}
	c.fmt = ofmt_new(o->format, o->json, &err);
	if (!c.fmt) {
		pft_error("-p: %s (column %d)", err.msg, err.pos + 1);
		goto out;
	}
	c.rd = reading_new();
	if (!c.rd) {
		pft_error("out of memory");
		status = 1;
		goto out;
	}
	status = dump_run(o, on_line, &c);
	if (c.oom && !status) {
		pft_error("out of memory reading %s", o->input);
		status = 1;
	}
	dump_note_argsource(reading__argsource(c.rd));
out:
	reading_free(c.rd);
	ofmt_free(c.fmt);
	flt_free(c.flt);
	return status;
}
