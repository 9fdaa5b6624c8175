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
	const char *buffer_size_str;	/* --buffer-size */
	uint64_t buffer_size;		/* per cpu, bytes */
	char **cmd;			/* after -- */
	int verbose, quiet;
};

struct dump_opts {
	const char *input;
	int raw_order;			/* --no-sort: file order */
};

/* Parse argv (after the subcommand name).  0 ok, 1 = --help printed (exit 0),
 * -1 = error printed (exit 2). */
int record_opts_parse(struct record_opts *o, int argc, char **argv);
int dump_opts_parse(struct dump_opts *o, int argc, char **argv);


#endif
