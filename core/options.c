// SPDX-License-Identifier: MIT
/*
 * core/options: typed option tables.  Each entry says where its value goes;
 * getopt_long's tables and --help are both generated from it, and the
 * checks that need several options at once run afterwards in *_validate().
 */
#include "config.h"
#include "core/options.h"
#include "core/util.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum opt_kind { OPT_FLAG, OPT_STR, OPT_STR_LIST, OPT_PID_LIST, OPT_COUNT, OPT_HELP };

struct opt {
	const char *lname;
	int sname;		/* 0: long only */
	enum opt_kind kind;
	size_t off;		/* offset of the value in the options struct */
	size_t count_off;	/* lists: offset of the count */
	unsigned max;		/* lists: capacity */
	const char *arg;	/* argument name in --help */
	const char *help;
};

#define R(f) offsetof(struct record_opts, f)
static const struct opt record_table[] = {
	{ "output", 'o', OPT_STR, R(output), 0, 0, "FILE", "write the trace to FILE (default: trace.pb)" },
	{ "duration", 'd', OPT_STR, R(duration_str), 0, 0, "SECS",
	  "stop after SECS seconds (fractions and ms/s/m suffixes work)" },
	{ "pid", 'p', OPT_PID_LIST, R(pids), R(npids), PFT_MAX_PIDS, "PID",
	  "record only PID and its descendants, including children created while recording (repeatable)" },
	{ "cgroup", 'c', OPT_STR, R(cgroup), 0, 0, "DIR",
	  "record only tasks in the cgroup (v2) directory DIR, e.g. /sys/fs/cgroup/system.slice/x.service" },
	{ "syscalls", 0, OPT_FLAG, R(syscalls), 0, 0, NULL,
	  "record system calls (raw_syscalls:sys_enter/sys_exit) as slices on each thread" },
	{ "event", 'e', OPT_STR_LIST, R(events), R(nevents), PFT_MAX_EVENTS, "SYS:NAME",
	  "also record tracepoint SYS:NAME with all its fields (repeatable)" },
	{ "no-sched", 0, OPT_FLAG, R(no_sched), 0, 0, NULL, "do not record scheduling and task events" },
	{ "no-irq", 0, OPT_FLAG, R(no_irq), 0, 0, NULL, "do not record IRQ and softirq events" },
	{ "no-stacks", 0, OPT_FLAG, R(no_stacks), 0, 0, NULL,
	  "no stack sampling and no off-CPU stacks (scheduling and events only)" },
	{ "freq", 'F', OPT_STR, R(freq_str), 0, 0, "HZ", "sample stacks HZ times a second per CPU (default 999)" },
	{ "period", 0, OPT_STR, R(period_str), 0, 0, "N",
	  "sample every N events of the counter instead (cycles, or ns of cpu-clock)" },
	{ "call-graph", 'g', OPT_STR, R(call_graph), 0, 0, "MODE",
	  "user stacks: dwarf[,SIZE] (default, copies SIZE bytes of stack, 8192), fp (frame pointers), none" },
	{ "sleep-stacks", 0, OPT_FLAG, R(sleep_stacks), 0, 0, NULL,
	  "off-CPU stacks also when threads sleep interruptibly (S), not only in D state" },
	{ "no-offcpu", 0, OPT_FLAG, R(no_offcpu), 0, 0, NULL, "no stacks at uninterruptible sleep" },
	{ "buffer-size", 'b', OPT_STR, R(buffer_size_str), 0, 0, "SIZE",
	  "ring buffer size per CPU, e.g. 512K, 8M (default: 4M; rounded up to a power of two)" },
	{ "nice", 0, OPT_STR, R(nice_str), 0, 0, "N",
	  "run the reader at nice N (default -10, so it drains the rings in time on a busy machine; 0 to keep)" },
	{ "verbose", 'v', OPT_COUNT, R(verbose), 0, 0, NULL, "more detail in the summary (twice: debug)" },
	{ "quiet", 'q', OPT_FLAG, R(quiet), 0, 0, NULL, "no summary, only errors" },
	{ "help", 'h', OPT_HELP, 0, 0, 0, NULL, "show this help" },
	{ NULL, 0, 0, 0, 0, 0, NULL, NULL },
};
#undef R

#define D(f) offsetof(struct dump_opts, f)
static const struct opt dump_table[] = {
	{ "no-sort", 0, OPT_FLAG, D(raw_order), 0, 0, NULL, "print in file order instead of time order" },
	{ "folded", 0, OPT_FLAG, D(folded), 0, 0, NULL,
	  "print sampled stacks folded (comm;root;...;leaf COUNT) for flamegraph.pl/speedscope" },
	{ "stream", 0, OPT_STR, D(stream), 0, 0, "NAME",
	  "only samples of this timebase (cpu-clock, cycles, D-state...); --folded defaults to CPU samples" },
	{ "no-stacks", 0, OPT_FLAG, D(no_stacks), 0, 0, NULL, "sample lines without their frames" },
	{ "help", 'h', OPT_HELP, 0, 0, 0, NULL, "show this help" },
	{ NULL, 0, 0, 0, 0, 0, NULL, NULL },
};
#undef D

static void usage(FILE *f, const char *synopsis, const char *what, const struct opt *t)
{
	const struct opt *o;

	fprintf(f, "usage: %s\n\n%s\n\noptions:\n", synopsis, what);
	for (o = t; o->lname; o++) {
		char left[64];

		if (o->sname)
			snprintf(left, sizeof(left), "-%c, --%s%s%s", o->sname, o->lname,
				 o->arg ? " " : "", o->arg ? o->arg : "");
		else
			snprintf(left, sizeof(left), "    --%s%s%s", o->lname, o->arg ? " " : "",
				 o->arg ? o->arg : "");
		fprintf(f, "  %-26s %s\n", left, o->help);
	}
}

/* Returns 0 ok, 1 help shown, -1 error; *optind_out = first non-option. */
static int parse(void *dst, const struct opt *t, int argc, char **argv, const char *synopsis,
		 const char *what, int *optind_out)
{
	struct option lopts[32];
	char sopts[64];
	size_t ns = 0, nl = 0;
	const struct opt *o;
	int c;

	sopts[ns++] = '+';	/* stop at the first non-option (the command) */
	sopts[ns++] = ':';
	for (o = t; o->lname; o++) {
		int has_arg = (o->kind == OPT_STR || o->kind == OPT_STR_LIST ||
			       o->kind == OPT_PID_LIST);

		lopts[nl].name = o->lname;
		lopts[nl].has_arg = has_arg ? required_argument : no_argument;
		lopts[nl].flag = NULL;
		lopts[nl].val = o->sname ? o->sname : 256 + (int)(o - t);
		nl++;
		if (o->sname) {
			sopts[ns++] = (char)o->sname;
			if (has_arg)
				sopts[ns++] = ':';
		}
	}
	memset(&lopts[nl], 0, sizeof(lopts[nl]));
	sopts[ns] = 0;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, sopts, lopts, NULL)) != -1) {
		char *base = dst;

		if (c == '?') {
			if (optopt)
				pft_error("unknown option -%c (see --help)", optopt);
			else
				pft_error("unknown option %s (see --help)", argv[optind - 1]);
			return -1;
		}
		if (c == ':') {
			pft_error("option %s needs an argument", argv[optind - 1]);
			return -1;
		}
		for (o = t; o->lname; o++)
			if ((o->sname && o->sname == c) || (!o->sname && 256 + (o - t) == c))
				break;
		if (!o->lname)
			return -1;
		switch (o->kind) {
		case OPT_HELP:
			usage(stdout, synopsis, what, t);
			return 1;
		case OPT_FLAG:
			*(int *)(base + o->off) = 1;
			break;
		case OPT_COUNT:
			(*(int *)(base + o->off))++;
			break;
		case OPT_STR:
			*(const char **)(base + o->off) = optarg;
			break;
		case OPT_STR_LIST:
		case OPT_PID_LIST: {
			unsigned *n = (unsigned *)(base + o->count_off);

			if (*n >= o->max) {
				pft_error("too many --%s options (at most %u)", o->lname, o->max);
				return -1;
			}
			if (o->kind == OPT_STR_LIST) {
				((const char **)(base + o->off))[*n] = optarg;
			} else {
				long v;

				if (pft_parse_long(optarg, &v) || v <= 0 || v > 0x3fffffff) {
					pft_error("--%s wants a process id, not '%s'", o->lname, optarg);
					return -1;
				}
				((pid_t *)(base + o->off))[*n] = (pid_t)v;
			}
			(*n)++;
			break;
		}
		}
	}
	*optind_out = optind;
	return 0;
}

int record_opts_parse(struct record_opts *o, int argc, char **argv)
{
	int first, ret;

	memset(o, 0, sizeof(*o));
	ret = parse(o, record_table, argc, argv,
		    "pftrace record [options] [-- COMMAND [ARGS...]]",
		    "Record scheduling, IRQ/softirq and (with --syscalls) system call events into a\n"
		    "Perfetto trace (open it in https://ui.perfetto.dev).  System-wide by default;\n"
		    "with COMMAND, runs it and records until it exits.  Ctrl-C stops cleanly.",
		    &first);
	if (ret)
		return ret;
	if (first < argc) {
		/* getopt stopped at the command, with or without a "--" before it */
		o->cmd = &argv[first];
	}
	if (!o->output)
		o->output = "trace.pb";
	if (!*o->output) {
		pft_error("the output file name is empty");
		return -1;
	}
	if (o->duration_str && pft_parse_duration(o->duration_str, &o->duration_ns)) {
		pft_error("-d wants a duration in seconds (e.g. 10, 0.5, 500ms), not '%s'",
			  o->duration_str);
		return -1;
	}
	if (o->duration_str && o->duration_ns == 0) {
		pft_error("-d %s: the duration must be more than zero", o->duration_str);
		return -1;
	}
	o->nice = -10;
	if (o->nice_str) {
		long v;

		if (pft_parse_long(o->nice_str, &v) || v < -20 || v > 19) {
			pft_error("--nice wants a nice value from -20 to 19, not '%s'", o->nice_str);
			return -1;
		}
		o->nice = (int)v;
	}
	o->buffer_size = 4u << 20;
	if (o->buffer_size_str) {
		if (pft_parse_size(o->buffer_size_str, &o->buffer_size) ||
		    o->buffer_size < 8192 || o->buffer_size > (1ull << 30)) {
			pft_error("--buffer-size wants a size between 8K and 1G, not '%s'",
				  o->buffer_size_str);
			return -1;
		}
	}
	if (o->freq_str && o->period_str) {
		pft_error("-F and --period cannot be combined");
		return -1;
	}
	o->freq = 999;
	if (o->freq_str) {
		long v;

		if (pft_parse_long(o->freq_str, &v) || v <= 0 || v > 100000) {
			pft_error("-F wants a sampling frequency in Hz (1-100000), not '%s'", o->freq_str);
			return -1;
		}
		o->freq = (uint64_t)v;
	}
	if (o->period_str) {
		long v;

		if (pft_parse_long(o->period_str, &v) || v <= 0) {
			pft_error("--period wants a positive count, not '%s'", o->period_str);
			return -1;
		}
		o->period = (uint64_t)v;
		o->freq = 0;
	}
	o->cg_mode = CG_DWARF;
	o->stack_size = 8192;
	if (o->call_graph) {
		const char *cg = o->call_graph;

		if (!strcmp(cg, "fp")) {
			o->cg_mode = CG_FP;
		} else if (!strcmp(cg, "none")) {
			o->cg_mode = CG_NONE;
		} else if (!strncmp(cg, "dwarf", 5) && (cg[5] == 0 || cg[5] == ',')) {
			long v;

			if (cg[5] == ',') {
				if (pft_parse_long(cg + 6, &v) || v < 64 || v > 65528 - 4096) {
					pft_error("--call-graph dwarf,SIZE: SIZE must be 64..61432 bytes, not '%s'",
						  cg + 6);
					return -1;
				}
				o->stack_size = (uint32_t)((v + 7) & ~7L);
			}
		} else {
			pft_error("--call-graph wants fp, dwarf[,SIZE] or none, not '%s'", cg);
			return -1;
		}
	}
	if (o->cmd && (o->npids || o->cgroup)) {
		pft_error("a COMMAND cannot be combined with -p or -c: choose one way to select what to record");
		return -1;
	}
	if (o->npids && o->cgroup) {
		pft_error("-p and -c cannot be combined");
		return -1;
	}
	if (o->no_sched && o->no_irq && !o->syscalls && !o->nevents) {
		pft_error("nothing to record: --no-sched and --no-irq without --syscalls or -e");
		return -1;
	}
	for (unsigned i = 0; i < o->nevents; i++) {
		const char *c = strchr(o->events[i], ':');

		if (!c || c == o->events[i] || !c[1] || strchr(c + 1, ':') ||
		    strchr(o->events[i], '/')) {
			pft_error("-e wants SYSTEM:EVENT (e.g. sched:sched_stat_runtime), not '%s'",
				  o->events[i]);
			return -1;
		}
	}
	pft_verbose = o->verbose;
	pft_quiet = o->quiet;
	return 0;
}

int dump_opts_parse(struct dump_opts *o, int argc, char **argv)
{
	int first, ret;

	memset(o, 0, sizeof(*o));
	ret = parse(o, dump_table, argc, argv, "pftrace dump [options] TRACE",
		    "Print a trace written by pftrace record, one line per event:\n"
		    "  TIME [CPU] COMM(TID) EVENT ARGS", &first);
	if (ret)
		return ret;
	if (first != argc - 1) {
		pft_error("dump wants exactly one trace file (see --help)");
		return -1;
	}
	o->input = argv[first];
	return 0;
}
