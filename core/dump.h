/* SPDX-License-Identifier: MIT */
/*
 * core/dump: reading a trace in time order (core/cmd_dump.c), for `pftrace dump` and the
 * reading commands built on it (core/dump_view.c: filters and formats; core/cmd_report.c).
 */
#ifndef PFTRACE_CORE_DUMP_H
#define PFTRACE_CORE_DUMP_H

#include "core/options.h"
#include "core/reading.h"

/*
 * Read o->input through dump's time-ordered window; each line goes to @sink (when not NULL)
 * and, unless the sink consumed it, is printed as dump prints it.  The exit status.
 */
int dump_run(const struct dump_opts *o, rline_sink *sink, void *sink_ctx);

/* A filter, -p, -j or -S: the sysdig-style reading of core/dump_view.c. */
int dump_view_wanted(const struct dump_opts *o);
int dump_view(const struct dump_opts *o);

/* The one note saying where syscall argument names came from (core/dump_view.c). */
void dump_note_argsource(int source);

#endif
