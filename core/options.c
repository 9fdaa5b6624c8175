/* SPDX-License-Identifier: MIT */
/*
 * core/options: typed option tables.  Each entry says what kind of value it
 * takes and where the value goes; getopt_long's tables, the parsing and range
 * checks of numbers, sizes and durations, and --help are all generated from
 * it.  The checks that need several options at once run afterwards in
 * *_validate().  Errors name the option as the user wrote it and the value:
 * "pftrace: error: -F: expected ..., not '0'".
 */
#include "config.h"
#include "core/options.h"
#include "core/filter.h"
#include "core/spanspec.h"
#include "core/util.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

enum opt_kind {
	OPT_FLAG,     /* int: set to 1 */
	OPT_COUNT,    /* int: one more per use (-vv) */
	OPT_STR,      /* const char *: the argument (the last use wins) */
	OPT_STR_LIST, /* const char *[max_n] and an unsigned count: repeatable; cb, if
		       * set, checks each value before it is added */
	OPT_INT,      /* int in [min, max] */
	OPT_U64,      /* uint64_t in [min, max] */
	OPT_SIZE,     /* uint64_t bytes in [min, max]: 65536, 512K, 4M, 1G */
	OPT_DURATION, /* uint64_t ns in [min, max]: 10, 0.5, 500ms, 2m */
	OPT_CALLBACK, /* cb parses the argument (or, with no arg, the use) itself */
	OPT_HELP,
};

struct opt;
/* Store @arg (NULL for an option without argument) into @dst; @name is the
 * option as written ("-e" or "--event").  0, or -1 after one error line. */
typedef int opt_cb(void *dst, const struct opt *o, const char *name, const char *arg);

struct opt {
	const char *lname;
	int sname; /* 0: long only */
	enum opt_kind kind;
	size_t off;	  /* offset of the value in the options struct */
	size_t count_off; /* lists: offset of the unsigned count */
	unsigned max_n;	  /* lists: capacity */
	int64_t min, max; /* OPT_INT, OPT_U64, OPT_SIZE, OPT_DURATION (ns) */
	const char *what; /* the expected value in errors: "a frequency in Hz" */
	opt_cb *cb;	  /* OPT_CALLBACK; OPT_STR_LIST: the check of a value */
	int has_arg;	  /* OPT_CALLBACK: takes an argument (OPT_ARG_OPTIONAL: may, as
			     --name=ARG; the callback gets NULL without one) */
	const char *arg;  /* the argument's name in --help */
	const char *help;
};

#define OPT_ARG_OPTIONAL 2

struct opt_cmd {
	const struct opt *table;
	const char *synopsis;
	const char *what;	 /* paragraph(s) under the synopsis */
	void (*epilog)(FILE *f); /* more help after the options, or NULL */
	int permute;		 /* options may follow the operands (dump TRACE -j) */
};

/* ---- value kinds ------------------------------------------------------- */

static void *field(void *dst, const struct opt *o)
{
	return (char *)dst + o->off;
}

static int opt_takes_arg(const struct opt *o)
{
	switch (o->kind) {
	case OPT_FLAG:
	case OPT_COUNT:
	case OPT_HELP:
		return 0;
	case OPT_CALLBACK:
		return o->has_arg;
	default:
		return 1;
	}
}

/* "4M" rather than "4194304" in messages, where exact */
static const char *fmt_size(uint64_t v, char *buf, size_t cap)
{
	static const char units[] = "KMG";
	int u = -1;

	while (u < 2 && v && !(v & 1023)) {
		v >>= 10;
		u++;
	}
	snprintf(buf, cap, "%" PRIu64 "%.*s", v, u >= 0, u >= 0 ? &units[u] : "");
	return buf;
}

/* The next free slot of a repeatable option's list, or -1 after an error. */
static int list_slot(void *dst, const struct opt *o, const char *name)
{
	unsigned *n = (unsigned *)((char *)dst + o->count_off);

	if (*n >= o->max_n) {
		pft_error("%s: too many (at most %u)", name, o->max_n);
		return -1;
	}
	return (int)(*n)++;
}

/* a whole decimal integer; 0 or -1 */
static int parse_ll(const char *s, long long *out)
{
	char *end;

	if (!*s)
		return -1;
	errno = 0;
	*out = strtoll(s, &end, 10);
	return errno || *end ? -1 : 0;
}

static int parse_number(void *dst, const struct opt *o, const char *name, const char *arg)
{
	char lo[32], hi[32];
	uint64_t u = 0;
	long long v = 0;
	int err;

	switch (o->kind) {
	case OPT_INT:
		err = parse_ll(arg, &v) || v < o->min || v > o->max;
		if (!err)
			*(int *)field(dst, o) = (int)v;
		break;
	case OPT_U64:
		err = parse_ll(arg, &v) || v < o->min || v > o->max;
		if (!err)
			*(uint64_t *)field(dst, o) = (uint64_t)v;
		break;
	case OPT_SIZE:
		err = pft_parse_size(arg, &u) || u < (uint64_t)o->min || u > (uint64_t)o->max;
		if (!err)
			*(uint64_t *)field(dst, o) = u;
		break;
	case OPT_DURATION:
		err = pft_parse_duration(arg, &u) || u < (uint64_t)o->min || u > (uint64_t)o->max;
		if (!err)
			*(uint64_t *)field(dst, o) = u;
		break;
	default:
		return -1;
	}
	if (!err)
		return 0;
	if (o->kind == OPT_SIZE)
		pft_error("%s: expected %s from %s to %s (e.g. 512K, 4M), not '%s'", name,
			  o->what ? o->what : "a size", fmt_size((uint64_t)o->min, lo, sizeof(lo)),
			  fmt_size((uint64_t)o->max, hi, sizeof(hi)), arg);
	else if (o->kind == OPT_DURATION)
		pft_error("%s: expected %s%s (seconds: 10, 0.5, 500ms, 2m), not '%s'", name,
			  o->what ? o->what : "a duration", o->min > 0 ? " of more than zero" : "",
			  arg);
	else if (o->max == INT64_MAX)
		pft_error("%s: expected %s of at least %lld, not '%s'", name,
			  o->what ? o->what : "an integer", (long long)o->min, arg);
	else
		pft_error("%s: expected %s from %lld to %lld, not '%s'", name,
			  o->what ? o->what : "an integer", (long long)o->min, (long long)o->max,
			  arg);
	return -1;
}

static int opt_store(void *dst, const struct opt *o, const char *name, const char *arg)
{
	int i;

	switch (o->kind) {
	case OPT_FLAG:
		*(int *)field(dst, o) = 1;
		return 0;
	case OPT_COUNT:
		(*(int *)field(dst, o))++;
		return 0;
	case OPT_STR:
		*(const char **)field(dst, o) = arg;
		return 0;
	case OPT_STR_LIST:
		if (o->cb && o->cb(dst, o, name, arg))
			return -1;
		i = list_slot(dst, o, name);
		if (i < 0)
			return -1;
		((const char **)field(dst, o))[i] = arg;
		return 0;
	case OPT_CALLBACK:
		return o->cb(dst, o, name, arg);
	case OPT_HELP:
		return -1;
	default:
		return parse_number(dst, o, name, arg);
	}
}

/* ---- --help ------------------------------------------------------------ */

#define HELP_COL 29 /* where the descriptions start */
#define HELP_WIDTH 80

static void usage(FILE *f, const struct opt_cmd *cmd)
{
	const struct opt *o;

	fprintf(f, "usage: %s\n\n%s\n\noptions:\n", cmd->synopsis, cmd->what);
	for (o = cmd->table; o->lname; o++) {
		const char *h = o->help;
		char left[64];
		int col;

		snprintf(left, sizeof(left), "%c%c%c --%s%s%s%s", o->sname ? '-' : ' ',
			 o->sname ? o->sname : ' ', o->sname ? ',' : ' ', o->lname,
			 o->arg ? (o->has_arg == OPT_ARG_OPTIONAL ? "[=" : " ") : "",
			 o->arg ? o->arg : "", o->arg && o->has_arg == OPT_ARG_OPTIONAL ? "]" : "");
		col = fprintf(f, "  %-*s", HELP_COL - 3, left);
		if (col > HELP_COL - 1) {
			fprintf(f, "\n%*s", HELP_COL - 1, "");
			col = HELP_COL - 1;
		}
		/* word-wrap the description under itself */
		while (*h) {
			size_t w = strcspn(h, " ");

			if (col > HELP_COL - 1 && col + 1 + (int)w > HELP_WIDTH) {
				fprintf(f, "\n%*s", HELP_COL - 1, "");
				col = HELP_COL - 1;
			}
			col += fprintf(f, " %.*s", (int)w, h);
			h += w;
			h += strspn(h, " ");
		}
		fputc('\n', f);
	}
	if (cmd->epilog)
		cmd->epilog(f);
}

/* ---- the parser -------------------------------------------------------- */

#define MAX_OPTS 64

/* 0 ok, 1 help shown, -1 error; *first = the first argument that is not an option. */
static int parse(void *dst, const struct opt_cmd *cmd, int argc, char **argv, int *first)
{
	const struct opt *t = cmd->table, *o;
	struct option lopts[MAX_OPTS + 1];
	char sopts[2 + 2 * MAX_OPTS + 1];
	size_t ns = 0, nl = 0;
	int c, li;

	if (!cmd->permute)
		sopts[ns++] = '+'; /* stop at the first non-option (the command) */
	sopts[ns++] = ':';	   /* a missing argument is ':', not '?' */
	for (o = t; o->lname && nl < MAX_OPTS; o++, nl++) {
		lopts[nl].name = o->lname;
		lopts[nl].has_arg = o->kind == OPT_CALLBACK && o->has_arg == OPT_ARG_OPTIONAL
					    ? optional_argument
				    : opt_takes_arg(o) ? required_argument
						       : no_argument;
		lopts[nl].flag = NULL;
		lopts[nl].val = o->sname ? o->sname : 256 + (int)nl;
		if (o->sname) {
			sopts[ns++] = (char)o->sname;
			if (opt_takes_arg(o))
				sopts[ns++] = ':';
		}
	}
	memset(&lopts[nl], 0, sizeof(lopts[nl]));
	sopts[ns] = 0;

	optind = 0; /* glibc: a full reset, also of a half-read "-vF" */
	opterr = 0;
	for (;;) {
		char name[64];

		li = -1;
		c = getopt_long(argc, argv, sopts, lopts, &li);
		if (c == -1)
			break;
		if (c == '?') {
			const char *a = argv[optind - 1];

			if (optopt && !strncmp(a, "--", 2)) /* known, but "--flag=x" */
				pft_error("%.*s: takes no argument, not '%s'", (int)strcspn(a, "="),
					  a, a + strcspn(a, "=") + !!a[strcspn(a, "=")]);
			else if (optopt)
				pft_error("unknown option -%c (see --help)", optopt);
			else
				pft_error("unknown option %s (see --help)", a);
			return -1;
		}
		if (c == ':') {
			const char *a = argv[optind - 1];

			if (!strncmp(a, "--", 2))
				pft_error("%.*s: expected an argument (see --help)",
					  (int)strcspn(a, "="), a);
			else
				pft_error("-%c: expected an argument (see --help)", optopt);
			return -1;
		}
		for (o = t; o->lname; o++)
			if (o->sname ? o->sname == c : 256 + (o - t) == c)
				break;
		if (!o->lname)
			return -1;
		if (o->kind == OPT_HELP) {
			usage(stdout, cmd);
			return 1;
		}
		if (li >= 0)
			snprintf(name, sizeof(name), "--%s", o->lname);
		else
			snprintf(name, sizeof(name), "-%c", o->sname);
		if (opt_store(dst, o, name, opt_takes_arg(o) ? optarg : NULL))
			return -1;
	}
	*first = optind;
	return 0;
}

/* ---- pftrace record ---------------------------------------------------- */

static int cb_pid(void *dst, const struct opt *o, const char *name, const char *arg)
{
	long v;
	int i;

	if (pft_parse_long(arg, &v) || v <= 0 || v > 0x3fffffff) {
		pft_error("%s: expected a process id, not '%s'", name, arg);
		return -1;
	}
	i = list_slot(dst, o, name);
	if (i < 0)
		return -1;
	((pid_t *)field(dst, o))[i] = (pid_t)v;
	return 0;
}

/* -e: a tracepoint SYS:NAME, or PREFIX:... that a plugin resolves (uprobe:,
 * usdt:, ...; checked when the plugin reads it). */
static int check_event(void *dst, const struct opt *o, const char *name, const char *arg)
{
	size_t pl = strspn(arg, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-");

	(void)dst;
	(void)o;
	if (!pl || arg[pl] != ':' || !arg[pl + 1]) {
		pft_error("%s: expected SYSTEM:EVENT (e.g. sched:sched_stat_runtime) or a probe "
			  "(uprobe:PATH:SYMBOL, uretprobe:PATH:SYMBOL, usdt:PATH:PROVIDER:NAME), "
			  "not '%s'",
			  name, arg);
		return -1;
	}
	return 0;
}

/* --markers[=trace_marker|devnull]: both channels, or the one named (repeatable). */
static int cb_markers(void *dst, const struct opt *o, const char *name, const char *arg)
{
	struct record_opts *r = dst;

	(void)o;
	if (!arg) {
		r->markers |= PFT_MARKERS_TRACE_MARKER | PFT_MARKERS_DEVNULL;
	} else if (!strcmp(arg, "trace_marker")) {
		r->markers |= PFT_MARKERS_TRACE_MARKER;
	} else if (!strcmp(arg, "devnull")) {
		r->markers |= PFT_MARKERS_DEVNULL;
		r->markers_devnull_asked = 1;
	} else {
		pft_error("%s: expected trace_marker or devnull (or no value: both), not '%s'",
			  name, arg);
		return -1;
	}
	return 0;
}

/* --syscall-strings[=all] */
static int cb_syscall_strings(void *dst, const struct opt *o, const char *name, const char *arg)
{
	struct record_opts *r = dst;

	(void)o;
	if (arg && strcmp(arg, "all")) {
		pft_error("%s: expected all (or no value), not '%s'", name, arg);
		return -1;
	}
	r->syscall_strings = 1;
	r->syscalls = 1;
	if (arg)
		r->syscall_strings_all = 1;
	return 0;
}

static int cb_call_graph(void *dst, const struct opt *o, const char *name, const char *arg)
{
	struct record_opts *r = dst;
	uint64_t v;

	(void)o;
	if (!strcmp(arg, "fp")) {
		r->cg_mode = CG_FP;
	} else if (!strcmp(arg, "none")) {
		r->cg_mode = CG_NONE;
	} else if (!strcmp(arg, "dwarf")) {
		r->cg_mode = CG_DWARF;
		r->stack_size = PFT_DEFAULT_STACK_SIZE;
	} else if (!strncmp(arg, "dwarf,", 6)) {
		if (pft_parse_size(arg + 6, &v) || v < PFT_MIN_STACK_SIZE ||
		    v > PFT_MAX_STACK_SIZE) {
			pft_error("%s: expected dwarf,SIZE with SIZE from %d to %d bytes, not '%s'",
				  name, PFT_MIN_STACK_SIZE, PFT_MAX_STACK_SIZE, arg);
			return -1;
		}
		r->cg_mode = CG_DWARF;
		r->stack_size = (uint32_t)((v + 7) & ~(uint64_t)7); /* the kernel wants u64s */
	} else {
		pft_error("%s: expected fp, dwarf[,SIZE] or none, not '%s'", name, arg);
		return -1;
	}
	return 0;
}

#define R(f) offsetof(struct record_opts, f)
static const struct opt record_table[] = {
	{"output", 'o', OPT_STR, R(output), .arg = "FILE",
	 .help = "write the trace to FILE (default: " PFT_DEFAULT_OUTPUT ")"},
	{"duration", 'd', OPT_DURATION, R(duration_ns), .min = 1, .max = INT64_MAX, .arg = "SECS",
	 .help = "stop after SECS seconds (fractions and ms/s/m suffixes work; "
		 "default: until Ctrl-C or the COMMAND exits)"},
	{"max-size", 0, OPT_SIZE, R(max_size), .min = PFT_MIN_MAX_SIZE, .max = PFT_MAX_MAX_SIZE,
	 .what = "a trace size", .arg = "SIZE",
	 .help = "stop when the trace reaches SIZE bytes, e.g. 100M, 2G; the file never "
		 "grows past SIZE (events beyond are counted, not written)"},
	{"ring-buffer", 0, OPT_FLAG, R(ring_buffer),
	 .help = "flight recorder: record until stopped and keep only the last --max-size of "
		 "the trace (default " PFT_DEFAULT_RING_SIZE_STR "), in 8 parts: the oldest part "
		 "goes when a new one is full, so the trace holds between 7/8 and all of it; "
		 "the parts wait in unlinked files next to the output"},
	{"pid", 'p', OPT_CALLBACK, R(pids), R(npids), PFT_MAX_PIDS, .cb = cb_pid, .has_arg = 1,
	 .arg = "PID",
	 .help = "record only PID and its descendants, including children created while "
		 "recording (repeatable)"},
	{"cgroup", 'c', OPT_STR, R(cgroup), .arg = "DIR",
	 .help = "record only tasks in the cgroup (v2) directory DIR, e.g. "
		 "/sys/fs/cgroup/system.slice/x.service"},
	{"syscalls", 0, OPT_FLAG, R(syscalls),
	 .help = "record system calls (raw_syscalls:sys_enter/sys_exit) as slices on each "
		 "thread"},
	{"event", 'e', OPT_STR_LIST, R(events), R(nevents), PFT_MAX_EVENTS, .cb = check_event,
	 .arg = "SYS:NAME",
	 .help = "also record tracepoint SYS:NAME with all its fields, or a user probe: "
		 "uprobe:PATH:SYMBOL[+OFF], uretprobe:PATH:SYMBOL, usdt:PATH:[PROVIDER:]NAME, "
		 "optionally followed by fetch args ('uprobe:/bin/app:handle fd=%di:s32'); "
		 "PATH may be a library's short name such as libc (repeatable)"},
	{"plugin", 0, OPT_STR_LIST, R(plugins), R(nplugins), PFT_MAX_PLUGINS,
	 .arg = "NAME[:K=V,...]",
	 .help = "load plugin NAME (or a .so path) with options (repeatable; 'pftrace plugins' "
		 "lists them)"},
	{"span", 0, OPT_STR_LIST, R(span_args), R(nspan_args), PFT_MAX_SPANS,
	 .arg = "NAME=START,END",
	 .help = "slices NAME from each START event to the next END event of the thread "
		 "(any -e specs); NAME=START,END,key=ARG pairs them by argument ARG across "
		 "threads; or a ready-made span: pthread_mutex, pthread_cond (repeatable)"},
	{"spans", 0, OPT_STR_LIST, R(span_files), R(nspan_files), PFT_MAX_SPAN_FILES, .arg = "FILE",
	 .help = "read --span definitions from FILE, one per line"},
	{"trace-event-config", 0, OPT_STR_LIST, R(config_files), R(nconfig_files),
	 PFT_MAX_SPAN_FILES, .arg = "FILE",
	 .help = "read events, ranges and instants from a systing JSON config FILE"},
	{"markers", 0, OPT_CALLBACK, R(markers), .cb = cb_markers, .has_arg = OPT_ARG_OPTIONAL,
	 .arg = "CHANNEL",
	 .help = "spans that programs write: atrace and sysdig lines written to tracefs "
		 "trace_marker, sysdig tracer lines written to /dev/null (a uprobe on libc's "
		 "write(): only the recorded processes, unless --markers=devnull is given); "
		 "CHANNEL trace_marker or devnull picks one (default both)"},
	{"syscall-strings", 0, OPT_CALLBACK, R(syscall_strings), .cb = cb_syscall_strings,
	 .has_arg = OPT_ARG_OPTIONAL, .arg = "all",
	 .help = "with --syscalls (implied): the path names of the open, stat, exec, unlink, "
		 "access, mkdir, rename... calls, from uprobes on libc's wrappers (a trap per "
		 "call, ~20 us): only the recorded processes, unless =all is given"},
	{"no-sched", 0, OPT_FLAG, R(no_sched), .help = "do not record scheduling and task events"},
	{"no-irq", 0, OPT_FLAG, R(no_irq), .help = "do not record IRQ and softirq events"},
	{"no-stacks", 0, OPT_FLAG, R(no_stacks),
	 .help = "turn stacks off: no stack sampling and no off-CPU stacks (scheduling and "
		 "events only)"},
	{"freq", 'F', OPT_U64, R(freq), .min = 1, .max = PFT_MAX_FREQ,
	 .what = "a sampling frequency in Hz", .arg = "HZ",
	 .help = "sample stacks HZ times a second per CPU (default " PFT_STR(PFT_DEFAULT_FREQ) ")"},
	{"period", 0, OPT_U64, R(period), .min = 1, .max = INT64_MAX, .what = "a sampling period",
	 .arg = "N",
	 .help = "sample every N events of the counter instead (cycles, or ns of cpu-clock)"},
	{"call-graph", 'g', OPT_CALLBACK, R(cg_mode), .cb = cb_call_graph, .has_arg = 1,
	 .arg = "MODE",
	 .help = "user stacks: dwarf[,SIZE] (default; copies SIZE bytes of stack, default " PFT_STR(
		 PFT_DEFAULT_STACK_SIZE) "), fp (frame pointers), none"},
	{"sleep-stacks", 0, OPT_FLAG, R(sleep_stacks),
	 .help = "off-CPU stacks also when threads sleep interruptibly (S), not only in D state"},
	{"no-offcpu", 0, OPT_FLAG, R(no_offcpu), .help = "no stacks at uninterruptible sleep"},
	{"buffer-size", 'b', OPT_SIZE, R(buffer_size), .min = PFT_MIN_BUFFER_SIZE,
	 .max = PFT_MAX_BUFFER_SIZE, .arg = "SIZE",
	 .help = "ring buffer size per CPU, e.g. 512K, 8M (default: 1/" PFT_STR(PFT_AUTO_BUFFER_SHARE) " of the memory shared by the CPUs, " PFT_STR(
		 PFT_AUTO_BUFFER_MIN_MB) "M to " PFT_STR(PFT_AUTO_BUFFER_MAX_MB) "M per CPU; "
										 "rounded up to a "
										 "power of two)"},
	{"nice", 0, OPT_INT, R(nice), .min = PFT_MIN_NICE, .max = PFT_MAX_NICE,
	 .what = "a nice value", .arg = "N",
	 .help = "run the reader at nice N (default " PFT_STR(
		 PFT_DEFAULT_NICE) ", so it drains "
				   "the rings in time on a busy machine; 0 to keep yours; root "
				   "only)"},
	{"rt", 0, OPT_INT, R(rt), .min = 0, .max = PFT_MAX_RT, .what = "a SCHED_FIFO priority",
	 .arg = "PRIO",
	 .help = "while the rings fill faster than the reader drains them at its nice value, "
		 "run it as SCHED_FIFO PRIO (default " PFT_STR(
			 PFT_DEFAULT_RT) "; back to its "
					 "nice value after a second without load; 0: never; root, "
					 "2 CPUs or more)"},
	{"verbose", 'v', OPT_COUNT, R(verbose),
	 .help = "more detail in the summary (twice: debug)"},
	{"quiet", 'q', OPT_FLAG, R(quiet), .help = "no summary, only errors"},
	{"help", 'h', OPT_HELP, 0, .help = "show this help"},
	{NULL, 0, 0, 0},
};
#undef R

static void record_epilog(FILE *f)
{
	fprintf(f, "\nready-made spans (--span NAME):\n");
	ss_readymade__print(f);
}

static const struct opt_cmd record_cmd = {
	record_table,
	"pftrace record [options] [-- COMMAND [ARGS...]]",
	"Record scheduling, IRQ/softirq and (with --syscalls) system call events into a\n"
	"Perfetto trace (open it in https://ui.perfetto.dev).  System-wide by default;\n"
	"with COMMAND, runs it and records until it exits.  Ctrl-C stops cleanly.\n"
	"\n"
	"Stacks are on by default: user and kernel stacks sampled " PFT_STR(
		PFT_DEFAULT_FREQ) " times a second\n"
				  "per CPU (-F, --period, --call-graph), and off-CPU stacks when "
				  "threads block in\n"
				  "D state (--sleep-stacks adds S, --no-offcpu drops them).  "
				  "--no-stacks turns all\n"
				  "stacks off.",
	record_epilog,
};

uint64_t record_opts_auto_buffer(uint64_t mem_bytes, int ncpus)
{
	uint64_t want = mem_bytes / PFT_AUTO_BUFFER_SHARE / (uint64_t)(ncpus > 0 ? ncpus : 1);
	uint64_t size = (uint64_t)PFT_AUTO_BUFFER_MIN_MB << 20;

	while (size < ((uint64_t)PFT_AUTO_BUFFER_MAX_MB << 20) && size * 2 <= want)
		size *= 2;
	return size;
}

/* Every default of `pftrace record`, before the arguments. */
static void record_opts_init(struct record_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->output = PFT_DEFAULT_OUTPUT;
	o->nice = PFT_DEFAULT_NICE;
	o->rt = PFT_DEFAULT_RT;
	/* freq and cg_mode stay unset: record_opts_validate() needs to see
	 * whether -F or --call-graph were given */
}

static int conflict(int a, const char *an, int b, const char *bn, const char *why)
{
	if (!a || !b)
		return 0;
	pft_error("%s cannot be combined with %s%s%s", an, bn, why ? ": " : "", why ? why : "");
	return -1;
}

/* --span, --spans and --trace-event-config into one span set. */
static int load_spans(struct record_opts *o)
{
	unsigned i;
	size_t w;
	int ret = 0;

	if (!o->nspan_args && !o->nspan_files && !o->nconfig_files)
		return 0;
	o->spans = ss_set__new();
	if (!o->spans) {
		pft_error("out of memory");
		return -1;
	}
	for (i = 0; !ret && i < o->nspan_args; i++)
		ret = ss_set__add_span(o->spans, o->span_args[i]);
	for (i = 0; !ret && i < o->nspan_files; i++)
		ret = ss_set__read_spans(o->spans, o->span_files[i]);
	for (i = 0; !ret && i < o->nconfig_files; i++)
		ret = ss_set__read_systing(o->spans, o->config_files[i]);
	for (w = 0; w < o->spans->nr_warnings; w++)
		pft_warn("%s", o->spans->warnings[w]);
	if (ret) {
		if (ret == -ENOTSUP)
			pft_error("--trace-event-config: %s", o->spans->error);
		else
			pft_error("%s", o->spans->error);
		ss_set__free(o->spans);
		o->spans = NULL;
		return -1;
	}
	return 0;
}

void record_opts_fini(struct record_opts *o)
{
	ss_set__free(o->spans);
	o->spans = NULL;
}

int record_opts_validate(struct record_opts *o)
{
	/* the first option that asks for stacks, for --no-stacks */
	const char *stacks = o->freq		      ? "-F"
			     : o->period	      ? "--period"
			     : o->cg_mode != CG_UNSET ? "--call-graph"
			     : o->sleep_stacks	      ? "--sleep-stacks"
						      : NULL;

	if (!*o->output) {
		pft_error("-o: expected a file name, not ''");
		return -1;
	}
	if (conflict(!!o->cmd, "a COMMAND", o->npids || o->cgroup, "-p or -c",
		     "choose one way to select what to record") ||
	    conflict(o->npids, "-p", !!o->cgroup, "-c", NULL) ||
	    conflict(!!o->freq, "-F", !!o->period, "--period",
		     "sample by frequency or by period") ||
	    conflict(o->no_stacks, "--no-stacks", !!stacks, stacks, "it turns the stacks off") ||
	    conflict(o->sleep_stacks, "--sleep-stacks", o->no_offcpu, "--no-offcpu",
		     "--sleep-stacks adds S sleeps to the off-CPU stacks"))
		return -1;
	if (o->no_sched && o->no_irq && !o->syscalls && !o->nevents && !o->nplugins &&
	    !o->nspan_args && !o->nspan_files && !o->nconfig_files) {
		pft_error("nothing to record: --no-sched and --no-irq without --syscalls, -e, "
			  "--span or --plugin");
		return -1;
	}
	if (o->ring_buffer && !o->max_size)
		o->max_size = PFT_DEFAULT_RING_SIZE;
	if (o->ring_buffer && o->max_size < PFT_MIN_RING_SIZE) {
		pft_error(
			"--ring-buffer: --max-size must be at least %llu KiB (8 parts of 128 KiB)",
			(unsigned long long)(PFT_MIN_RING_SIZE >> 10));
		return -1;
	}
	if (load_spans(o))
		return -1;
	if (!o->freq && !o->period)
		o->freq = PFT_DEFAULT_FREQ;
	if (o->cg_mode == CG_UNSET) {
		o->cg_mode = CG_DWARF;
		o->stack_size = PFT_DEFAULT_STACK_SIZE;
	}
	return 0;
}

void record_opts_usage(FILE *f)
{
	usage(f, &record_cmd);
}

int record_opts_parse(struct record_opts *o, int argc, char **argv)
{
	int first, ret;

	record_opts_init(o);
	ret = parse(o, &record_cmd, argc, argv, &first);
	if (ret)
		return ret;
	if (first < argc) {
		/* getopt stopped at the command, with or without a "--" before it */
		o->cmd = &argv[first];
	}
	if (record_opts_validate(o))
		return -1;
	pft_verbose = o->verbose;
	pft_quiet = o->quiet;
	return 0;
}

/* A FILTER operand must parse (so "dump a.pb b.pb" is an error, not a filter). */
static int check_filter(const char *text)
{
	struct flt_err err;
	struct flt *f = flt_parse(text, &err);
	size_t n = strlen(text);

	if (f) {
		flt_free(f);
		return 0;
	}
	if (n > 3 && !strcmp(text + n - 3, ".pb")) {
		pft_error("one trace at a time: '%s' is not a filter (%s)", text, err.msg);
		return -1;
	}
	flt_report(text, &err);
	return -1;
}

/* ---- pftrace dump ------------------------------------------------------ */

#define D(f) offsetof(struct dump_opts, f)
static const struct opt dump_table[] = {
	{"no-sort", 0, OPT_FLAG, D(raw_order), .help = "print in file order instead of time order"},
	{"folded", 0, OPT_FLAG, D(folded),
	 .help = "print sampled stacks folded (comm;root;...;leaf COUNT) for "
		 "flamegraph.pl/speedscope"},
	{"stream", 0, OPT_STR, D(stream), .arg = "NAME",
	 .help = "only samples of this timebase (cpu-clock, cycles, D-state...); --folded "
		 "defaults to CPU samples"},
	{"no-stacks", 0, OPT_FLAG, D(no_stacks), .help = "sample lines without their frames"},
	{"spans", 0, OPT_FLAG, D(spans),
	 .help = "instead of events: per slice name, its count, total, p50, p95 and max "
		 "duration (markers, spans)"},
	{"print", 'p', OPT_STR, D(format), .arg = "FORMAT",
	 .help = "print each event as FORMAT, %field substituted (-p '%evt.time %proc.name "
		 "%evt.type'; %% is a percent sign)"},
	{"json", 'j', OPT_FLAG, D(json),
	 .help = "one JSON object per event (the default fields, or -p's as keys)"},
	{"sysdig", 'S', OPT_FLAG, D(sysdig),
	 .help = "sysdig's line (NUM TIME CPU PROC (TID) DIR TYPE ARGS, syscalls decoded), the "
		 "default with a FILTER"},
	{"list", 'l', OPT_FLAG, D(list_fields), .help = "list the fields of filters and -p"},
	{"help", 'h', OPT_HELP, 0, .help = "show this help"},
	{NULL, 0, 0, 0},
};
#undef D

static const struct opt_cmd dump_cmd = {
	dump_table,
	"pftrace dump [options] TRACE [FILTER]",
	"Print a trace written by pftrace record, one line per event:\n"
	"  TIME [CPU] COMM(TID) EVENT ARGS\n"
	"With a FILTER (sysdig's syntax: \"proc.name=sshd and evt.type=accept\"), -p, -j or -S,\n"
	"events are read as sysdig reads them: syscalls by name with their arguments, an\n"
	"exit paired with its entry (evt.latency), errors named (res=-2(ENOENT)).",
	NULL,
	1,
};

void dump_opts_usage(FILE *f)
{
	usage(f, &dump_cmd);
}

int dump_opts_parse(struct dump_opts *o, int argc, char **argv)
{
	int first, ret;

	memset(o, 0, sizeof(*o));
	ret = parse(o, &dump_cmd, argc, argv, &first);
	if (ret)
		return ret;
	if (o->list_fields)
		return 0;
	if (first >= argc || first < argc - 2) {
		pft_error("dump wants one trace file and at most one filter (see --help)");
		if (first < argc - 2)
			pft_hint("quote the filter as one argument: pftrace dump %s '%s ...'",
				 argv[first], argv[first + 1]);
		return -1;
	}
	o->input = argv[first];
	if (first + 1 < argc)
		o->filter = argv[first + 1];
	if (o->filter && check_filter(o->filter))
		return -1;
	if (o->folded && (o->format || o->json || o->sysdig)) {
		pft_error("--folded prints stacks: not with -p, -j or -S");
		return -1;
	}
	return 0;
}

/* ---- pftrace report ---------------------------------------------------- */

#define PFT_DEFAULT_TOP 10
#define R(f) offsetof(struct report_opts, f)
static const struct opt report_table[] = {
	{"section", 0, OPT_STR, R(section), .arg = "NAME",
	 .help = "only this table: cpu, threads, runnable, dstate, syscalls, syscall-time, "
		 "slowest, errors, stacks, spans"},
	{"json", 'j', OPT_FLAG, R(json), .help = "the tables as one JSON object"},
	{"top", 'n', OPT_INT, R(top), .min = 1, .max = 1000000, .what = "a row count", .arg = "N",
	 .help = "rows per table (default " PFT_STR(PFT_DEFAULT_TOP) ")"},
	{"help", 'h', OPT_HELP, 0, .help = "show this help"},
	{NULL, 0, 0, 0},
};
#undef R

static const struct opt_cmd report_cmd = {
	report_table,
	"pftrace report [options] TRACE [FILTER]",
	"Summarise a trace as tables: processes and threads by CPU time, by time runnable\n"
	"but waiting and by D-state time (from the scheduling events); syscalls by count\n"
	"and by total time, the slowest calls, failed calls by errno; stacks by samples;\n"
	"spans by total and p95 duration.  FILTER (as pftrace dump's) selects the events.",
	NULL,
	1,
};

void report_opts_usage(FILE *f)
{
	usage(f, &report_cmd);
}

int report_opts_parse(struct report_opts *o, int argc, char **argv)
{
	static const char *const sections[] = {"cpu",	   "threads",	   "runnable", "dstate",
					       "syscalls", "syscall-time", "slowest",  "errors",
					       "stacks",   "spans",	   NULL};
	int first, ret, i;

	memset(o, 0, sizeof(*o));
	o->top = PFT_DEFAULT_TOP;
	ret = parse(o, &report_cmd, argc, argv, &first);
	if (ret)
		return ret;
	if (first >= argc || first < argc - 2) {
		pft_error("report wants one trace file and at most one filter (see --help)");
		return -1;
	}
	o->input = argv[first];
	if (first + 1 < argc)
		o->filter = argv[first + 1];
	if (o->filter && check_filter(o->filter))
		return -1;
	if (o->section) {
		for (i = 0; sections[i] && strcmp(sections[i], o->section); i++)
			;
		if (!sections[i]) {
			pft_error("--section: expected cpu, threads, runnable, dstate, syscalls, "
				  "syscall-time, slowest, errors, stacks or spans, not '%s'",
				  o->section);
			return -1;
		}
	}
	return 0;
}
