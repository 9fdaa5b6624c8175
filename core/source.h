/* SPDX-License-Identifier: MIT */
/* core/source: the built-in event sources, each one struct pft_source_ops. */
#ifndef PFTRACE_CORE_SOURCE_H
#define PFTRACE_CORE_SOURCE_H

#include <pftrace/pftrace.h>

struct record_opts;

extern const struct pft_source_ops src_sched_ops;
extern const struct pft_source_ops src_irq_ops;
extern const struct pft_source_ops src_syscalls_ops;
extern const struct pft_source_ops src_generic_ops;
extern const struct pft_source_ops src_stacks_ops;
extern const struct pft_source_ops src_spans_ops;
extern const struct pft_source_ops src_markers_ops;
extern const struct pft_source_ops src_sysstrings_ops;

/* The built-in sources a recording with @o uses, in order; returns how many. */
unsigned source_builtin_list(const struct record_opts *o, const struct pft_source_ops **out,
			     unsigned cap);

/* For sources in core/: the record options of the session. */
const struct record_opts *session__opts(struct pft_host *h);

#endif
