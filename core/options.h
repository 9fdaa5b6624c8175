/* SPDX-License-Identifier: MIT */
/*
 * core/options: one typed option table per command fills one options struct;
 * --help is generated from the table; validation is a separate step.
 */
#ifndef PFTRACE_CORE_OPTIONS_H
#define PFTRACE_CORE_OPTIONS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PFT_MAX_PIDS 64
#define PFT_MAX_EVENTS 64

struct record_opts {
	const char *output;		/* -o */
	const char *duration_str;	/* -d */
	uint64_t duration_ns;		/* 0 = until Ctrl-C / command exit */
	pid_t pids[PFT_MAX_PIDS];	/* -p */
	unsigned npids;
	const char *cgroup;		/* -c */
	int syscalls;			/* --syscalls */
	int no_sched, no_irq;		/* --no-sched, --no-irq */
	const char *events[PFT_MAX_EVENTS];	/* -e SYS:NAME */
	unsigned nevents;
	const char *nice_str;		/* --nice */
	int nice;			/* the reader's nice value (root only), default -10 */
	const char *buffer_size_str;	/* --buffer-size */
	uint64_t buffer_size;		/* per cpu, bytes */
	/* stacks */
	int no_stacks;			/* --no-stacks */
	const char *freq_str;		/* -F HZ */
	const char *period_str;		/* --period N */
	uint64_t freq, period;
	const char *call_graph;		/* --call-graph fp|dwarf[,SIZE]|none */
	enum { CG_DWARF, CG_FP, CG_NONE } cg_mode;
	uint32_t stack_size;		/* dwarf: bytes of user stack copied */
	int sleep_stacks;		/* --sleep-stacks: off-CPU stacks for S too */
	int no_offcpu;			/* --no-offcpu */
	char **cmd;			/* after -- */
	int verbose, quiet;
};

struct dump_opts {
	const char *input;
	int raw_order;			/* --no-sort: file order */
	int folded;			/* --folded */
	const char *stream;		/* --stream NAME: samples of that timebase only */
	int no_stacks;			/* --no-stacks: sample lines without frames */
};

/* Parse argv (after the subcommand name).  0 ok, 1 = --help printed (exit 0),
 * -1 = error printed (exit 2). */
int record_opts_parse(struct record_opts *o, int argc, char **argv);
int dump_opts_parse(struct dump_opts *o, int argc, char **argv);


#endif
