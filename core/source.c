/* SPDX-License-Identifier: MIT */
/*
 * core/source: which built-in sources a recording uses.  The built-ins are
 * ordinary struct pft_source_ops tables, the same interface plugins export.
 */
#include "config.h"
#include "core/source.h"
#include "core/options.h"

unsigned source_builtin_list(const struct record_opts *o, const struct pft_source_ops **out,
			     unsigned cap)
{
	unsigned n = 0;

	if (!o->no_sched && n < cap)
		out[n++] = &src_sched_ops;
	if (!o->no_irq && n < cap)
		out[n++] = &src_irq_ops;
	if (o->syscalls && n < cap)
		out[n++] = &src_syscalls_ops;
	if (o->nevents && n < cap)
		out[n++] = &src_generic_ops;
	if (o->spans && n < cap)
		out[n++] = &src_spans_ops;
	if (o->markers && n < cap)
		out[n++] = &src_markers_ops;
	if (o->syscall_strings && n < cap)
		out[n++] = &src_sysstrings_ops;
	if (!o->no_stacks && n < cap)
		out[n++] = &src_stacks_ops;
	return n;
}
