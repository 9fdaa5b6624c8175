/* SPDX-License-Identifier: MIT */
/*
 * core/reading: turns `pftrace dump`'s time-ordered lines into event views
 * (core/evview.h), keeping what a line alone does not say: threads' process
 * ids and names, processes' parents and command lines, and each thread's
 * syscall in progress (so an exit carries its entry's arguments and its
 * latency).  Memory grows with the number of threads, not of events.
 */
#ifndef PFTRACE_CORE_READING_H
#define PFTRACE_CORE_READING_H

#include "core/evview.h"

#include <stdint.h>

enum rline_kind { RL_EVENT, RL_PROCESS, RL_THREAD, RL_LOST, RL_SAMPLE, RL_TRACK };

/* One line of the dump, in time order (core/cmd_dump.c). */
struct rline {
	int kind; /* enum rline_kind */
	uint64_t ts;
	int cpu, tid;	  /* -1: none */
	const char *comm; /* the thread's name at that moment */
	const char *text; /* "EVENT ARGS" as dump prints it */
	const char *fold; /* samples: root;...;leaf, else NULL */
	int has_dur;	  /* track events: a slice end's duration */
	uint64_t dur;
};

/* Called with each line in time order (dump_run()): 1 when it consumed the line, 0 to let
 * dump go on with it (print it, or count it with --folded). */
typedef int rline_sink(void *ctx, const struct rline *l);

struct reading;

struct reading *reading_new(void);
void reading_free(struct reading *r);
/* The view of @l; valid until the next call.  NULL when out of memory. */
struct evview *reading__view(struct reading *r, const struct rline *l);
/* Where syscall argument names came from (scd_source()). */
int reading__argsource(const struct reading *r);

#endif
