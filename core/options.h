/* SPDX-License-Identifier: MIT */
/*
 * core/options: one typed option table per command fills one options struct
 * with parsed values; --help is generated from the table; the checks that
 * need several options at once are a separate step (*_validate()).
 */
#ifndef PFTRACE_CORE_OPTIONS_H
#define PFTRACE_CORE_OPTIONS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* Expands a macro, then quotes it: "(default " PFT_STR(PFT_DEFAULT_FREQ) ")"
 * in a help string, so the help and the parser read the same constant. */
#define PFT_STR_(x) #x
#define PFT_STR(x) PFT_STR_(x)

/* Defaults and limits of `pftrace record`.  The help strings quote the
 * defaults with PFT_STR(), so they are plain literals. */
#define PFT_DEFAULT_OUTPUT "trace.pb"
#define PFT_DEFAULT_FREQ 999 /* Hz per CPU: not a multiple of the timer tick */
#define PFT_MAX_FREQ 100000
/* -b default: chosen at open time from the memory and the CPU count (1/256 of
 * the memory across all CPUs, a power of two per CPU within these bounds) */
#define PFT_AUTO_BUFFER_MIN_MB 4
#define PFT_AUTO_BUFFER_MAX_MB 16
#define PFT_AUTO_BUFFER_SHARE 256
#define PFT_MIN_BUFFER_SIZE ((uint64_t)8 << 10)
#define PFT_MAX_BUFFER_SIZE ((uint64_t)1 << 30)
#define PFT_DEFAULT_STACK_SIZE 8192 /* --call-graph dwarf: bytes of user stack per sample */
#define PFT_MIN_STACK_SIZE 64
/* the kernel caps sample_stack_user at 65528 (a sample's size is a u16);
 * leave room for the registers and the rest of the sample */
#define PFT_MAX_STACK_SIZE (65528 - 4096)
#define PFT_DEFAULT_NICE -20 /* the reader's; root only */
#define PFT_MIN_NICE -20
#define PFT_MIN_MAX_SIZE ((uint64_t)64 << 10)
#define PFT_MAX_MAX_SIZE ((uint64_t)1 << 40)
/* --ring-buffer without --max-size keeps this much; less than the minimum is refused */
#define PFT_DEFAULT_RING_SIZE ((uint64_t)64 << 20)
#define PFT_DEFAULT_RING_SIZE_STR "64M"
#define PFT_MIN_RING_SIZE ((uint64_t)1 << 20)
#define PFT_DEFAULT_RT 1 /* SCHED_FIFO priority while the rings fill; root only */
#define PFT_MAX_RT 99
#define PFT_MAX_NICE 19

#define PFT_MAX_PIDS 64
#define PFT_MAX_EVENTS 64
#define PFT_MAX_PLUGINS 16
#define PFT_MAX_SPANS 64
#define PFT_MAX_SPAN_FILES 8

struct ss_set;

/* struct record_opts.markers bits */
#define PFT_MARKERS_TRACE_MARKER 1u
#define PFT_MARKERS_DEVNULL 2u

enum record_cg {
	CG_UNSET, /* only between parsing and record_opts_validate() */
	CG_DWARF,
	CG_FP,
	CG_NONE,
};

struct record_opts {
	const char *output;	  /* -o */
	uint64_t duration_ns;	  /* -d; 0 = until Ctrl-C / command exit */
	uint64_t max_size;	  /* --max-size: stop at this many bytes; 0 = none */
	int ring_buffer;	  /* --ring-buffer: keep the last max_size bytes instead */
	pid_t pids[PFT_MAX_PIDS]; /* -p */
	unsigned npids;
	const char *cgroup;		    /* -c */
	int syscalls;			    /* --syscalls */
	int no_sched, no_irq;		    /* --no-sched, --no-irq */
	const char *events[PFT_MAX_EVENTS]; /* -e SYS:NAME or PREFIX:... (a plugin's) */
	unsigned nevents;
	const char *plugins[PFT_MAX_PLUGINS]; /* --plugin NAME[:k=v,...] or PATH */
	unsigned nplugins;
	const char *span_args[PFT_MAX_SPANS]; /* --span NAME=START,END[,key=ARG] */
	unsigned nspan_args;
	const char *span_files[PFT_MAX_SPAN_FILES]; /* --spans FILE */
	unsigned nspan_files;
	const char *config_files[PFT_MAX_SPAN_FILES]; /* --trace-event-config FILE */
	unsigned nconfig_files;
	struct ss_set *spans;	   /* all of the above, parsed; NULL when none */
	unsigned markers;	   /* --markers: PFT_MARKERS_* channels */
	int markers_devnull_asked; /* --markers=devnull given: system-wide too */
	int syscall_strings;	   /* --syscall-strings: path names by libc uprobes */
	int syscall_strings_all;   /* --syscall-strings=all: system-wide too */
	int nice;		   /* --nice: the reader's nice value (root only) */
	int rt;			   /* --rt: SCHED_FIFO priority while busy; 0 = never */
	uint64_t buffer_size;	   /* -b: per cpu, bytes; 0 = chosen at open (auto) */
	/* stacks */
	int no_stacks;		/* --no-stacks */
	uint64_t freq;		/* -F; 0 with --period */
	uint64_t period;	/* --period; 0 = sample by frequency */
	enum record_cg cg_mode; /* --call-graph fp|dwarf[,SIZE]|none */
	uint32_t stack_size;	/* dwarf: bytes of user stack copied (a multiple of 8) */
	int sleep_stacks;	/* --sleep-stacks: off-CPU stacks for S too */
	int no_offcpu;		/* --no-offcpu */
	char **cmd;		/* after -- (NULL-terminated, points into argv) */
	int verbose, quiet;	/* -v (count), -q */
};

struct dump_opts {
	const char *input;
	int raw_order;	    /* --no-sort: file order */
	int folded;	    /* --folded */
	const char *stream; /* --stream NAME: samples of that timebase only */
	int no_stacks;	    /* --no-stacks: sample lines without frames */
	int spans;	    /* --spans: duration statistics per slice name */
	/* sysdig-style reading (core/dump_view.c) */
	const char *filter; /* FILTER, after TRACE */
	const char *format; /* -p FORMAT */
	int json;	    /* -j */
	int sysdig;	    /* -S: sysdig's default line without a filter */
	int list_fields;    /* -l */
};

struct report_opts {
	const char *input;
	const char *filter;  /* FILTER, after TRACE */
	const char *section; /* --section NAME */
	int json;	     /* -j */
	int top;	     /* --top N: rows per table */
};

/*
 * Parse argv (argv[0] is the subcommand's name) into @o, defaults first, and
 * run the *_validate() step.  0 ok, 1 = --help printed on stdout (exit 0),
 * -1 = one error printed on stderr (exit 2).  Nothing but --help goes to
 * stdout.  Strings in @o point into argv.
 */
int record_opts_parse(struct record_opts *o, int argc, char **argv);
int dump_opts_parse(struct dump_opts *o, int argc, char **argv);
int report_opts_parse(struct report_opts *o, int argc, char **argv);

/*
 * The checks across options (-p with -c, a COMMAND with -p, -F with
 * --period, --no-stacks with stack options, ...) and the defaults that
 * depend on several options (the frequency unless --period, the call graph).
 * 0 or -1 after one error line.  record_opts_parse() calls it.
 */
int record_opts_validate(struct record_opts *o);
/*
 * The ring size per CPU when -b is not given: 1/PFT_AUTO_BUFFER_SHARE of
 * @mem_bytes split among @ncpus, rounded down to a power of two and kept
 * within PFT_AUTO_BUFFER_MIN_MB..PFT_AUTO_BUFFER_MAX_MB.
 */
uint64_t record_opts_auto_buffer(uint64_t mem_bytes, int ncpus);
/* Free what parsing allocated (the span set). */
void record_opts_fini(struct record_opts *o);

/* The --help text. */
void record_opts_usage(FILE *f);
void dump_opts_usage(FILE *f);
void report_opts_usage(FILE *f);

#endif
