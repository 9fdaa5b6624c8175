/* SPDX-License-Identifier: MIT */
/*
 * Span and event configuration: what `--span`, `--spans FILE` and systing's
 * `--trace-event-config FILE` ask for, parsed into plain arrays the runtime
 * consumes.  This module only parses and validates; it opens no probe and
 * prints nothing (except ss_readymade__print(), for --help).
 *
 * The model: a set of events (each one probe or tracepoint, with the tracefs
 * fetch args to create it with), spans that pair a start event with an end
 * event, instants that put each hit of an event on a named track, and the
 * stop triggers of a systing config (kept, not acted on).  Events are shared:
 * two spans with the same START spec (and fetch args) refer to one event, so
 * the runtime creates one probe.
 *
 * Event spec syntax (what -e takes): `SYS:NAME` (a tracepoint),
 * `uprobe:PATH:SYMBOL[+OFFSET]`, `uretprobe:PATH:SYMBOL`,
 * `usdt:PATH:PROVIDER:NAME`, optionally followed by whitespace and tracefs
 * fetch args (`uprobe:/bin/app:handle id=%di:u64 path=+0(%si):ustring`).  PATH
 * holds no ':'.  systing configs may also say `tracepoint:SYS:NAME` (stored as
 * `SYS:NAME`) and `kprobe:`/`kretprobe:` (kept with their kind; the runtime
 * reports that this kernel or pftrace cannot place them).
 *
 * `--span` syntax: `NAME=START,END[,key=ARG]`, or a ready-made NAME alone.
 * The comma always separates: tracefs fetch args never contain one (their
 * grammar is `NAME=FETCHARG[:TYPE]`, with `%reg`, `@addr`, `$retval`,
 * `+OFF(FETCHARG)`, types like `u64`, `ustring`, `b4@0/32`, `u8[16]`).  A
 * literal comma (in a PATH) is written `\,`; `\\` is a backslash.
 */
#ifndef PFTRACE_CORE_SPANSPEC_H
#define PFTRACE_CORE_SPANSPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum ss_event_kind {
	SS_EV_TRACEPOINT, /* spec "SYS:NAME" */
	SS_EV_UPROBE,	  /* "uprobe:PATH:SYMBOL[+OFFSET]" (or a bare offset, systing) */
	SS_EV_URETPROBE,  /* "uretprobe:PATH:SYMBOL" */
	SS_EV_USDT,	  /* "usdt:PATH:PROVIDER:NAME" */
	SS_EV_KPROBE,	  /* "kprobe:SYMBOL[+OFFSET]" (systing configs only) */
	SS_EV_KRETPROBE,  /* "kretprobe:SYMBOL" (systing configs only) */
};

/* Where an event's hits are attributed and how a range's start and end pair
 * up: systing's "scope" (thread is the default; "percpu": true means cpu). */
enum ss_scope {
	SS_SCOPE_THREAD,
	SS_SCOPE_PROCESS,
	SS_SCOPE_CPU,
};

enum ss_arg_type {
	SS_ARG_LONG,   /* 64-bit integer */
	SS_ARG_STRING, /* NUL-terminated string the argument points to */
	SS_ARG_RETVAL, /* return value (return probes only) */
};

/* One argument a systing config asks for. */
struct ss_arg {
	char *name;  /* as the config names it (a debug annotation's name) */
	char *field; /* its name in the fetch args: name made a C identifier, unique */
	enum ss_arg_type type;
	unsigned index; /* systing's arg_index: for a tracepoint, the Nth field after
			 * the common_* fields (and a syscall's __syscall_nr) */
};

struct ss_event {
	char *name; /* unique in the set; systing's name, or the spec for --span */
	char *spec; /* as -e takes it, without fetch args */
	/*
	 * tracefs fetch args to create the probe with, "" for none.  For uprobes
	 * and kprobes they are final (`size=%si:s64 path=+0(%di):ustring
	 * ret=$retval:s64`).  For USDT they name the note's arguments: `NAME=argN`
	 * for the Nth argument spec of the note, and `NAME=+0(argN):ustring` for
	 * the string it points to; the probes plugin substitutes each argN with
	 * the note's location (`%ax`, `-16(%bp)`, ...).  Tracepoints: "" (their
	 * fields are recorded; args[].index selects the annotated ones).
	 */
	char *fetchargs;
	char *alt_spec; /* NULL, or a spec to try when spec's library lacks the symbol
			 * (ready-made pthread spans: libpthread on glibc < 2.34) */
	enum ss_event_kind kind;
	enum ss_scope scope;
	bool stack;	     /* take a stack at each hit */
	struct ss_arg *args; /* systing args, in config order (none for --span) */
	size_t nr_args;
};

enum ss_span_kind {
	SS_SPAN_THREAD,	 /* START opens a slice on the thread's track, the next END on
			  * that thread closes it; nested when START repeats */
	SS_SPAN_PROCESS, /* paired within the process (systing scope "process") */
	SS_SPAN_CPU,	 /* paired per CPU (systing scope "cpu") */
	SS_SPAN_KEYED,	 /* paired by the value of argument `key`, across threads:
			  * async slices on a track of the process */
};

struct ss_span {
	char *name;
	char *track;	   /* systing's track_name; NULL: the thread's own track */
	size_t start, end; /* indexes into ss_set.events */
	char *key;	   /* SS_SPAN_KEYED: the argument (fetch arg or field) both carry */
	enum ss_span_kind kind;
};

/* Each hit of .event shown as an instant on .track (systing instant tracks). */
struct ss_instant {
	char *track;
	size_t event;
};

/* systing stop_triggers.thresholds: stop when END follows START later than this. */
struct ss_threshold {
	size_t start, end;
	uint64_t duration_us;
};

struct ss_set {
	struct ss_event *events;
	size_t nr_events;
	struct ss_span *spans;
	size_t nr_spans;
	struct ss_instant *instants;
	size_t nr_instants;
	/* stop_triggers: parsed and validated as systing does; pftrace has no
	 * continuous mode yet, so the caller warns when these are non-empty. */
	struct ss_threshold *thresholds;
	size_t nr_thresholds;
	size_t *stop_events; /* stop_triggers.instants: event indexes */
	size_t nr_stop_events;
	/* Warnings from the last parse (the caller prints them, one per line). */
	char **warnings;
	size_t nr_warnings;
	/* After a failed call: what is wrong, naming the input (no "pftrace:" prefix). */
	char error[640];
};

/* A ready-made span usable as `--span NAME`. */
struct ss_readymade {
	const char *name;
	const char *desc;		 /* one line, for --help */
	const char *start, *end;	 /* specs as --span takes them (fetch args allowed) */
	const char *alt_start, *alt_end; /* fallbacks (other library), or NULL */
};

/* Constructors: NULL + errno.  ss_set__free() accepts NULL. */
struct ss_set *ss_set__new(void);
void ss_set__free(struct ss_set *set);

/*
 * Add one `--span` argument: `NAME=START,END[,key=ARG]` or a ready-made NAME.
 * 0 or -errno (-EINVAL for bad syntax, with set->error naming the argument;
 * -ENOMEM).  On failure the set is unchanged.
 */
int ss_set__add_span(struct ss_set *set, const char *arg);

/*
 * Add every span of FILE (`--spans`): one `--span` argument per line; blank
 * lines and lines whose first non-blank is '#' are skipped.  Errors name
 * FILE:LINE.  0 or -errno; on failure nothing of FILE is added.
 */
int ss_set__read_spans(struct ss_set *set, const char *path);

/* The same from a buffer; @name is what errors call it. */
int ss_set__parse_spans(struct ss_set *set, const char *name, const char *text);

/*
 * Read a systing `--trace-event-config` JSON file into the set, validated as
 * systing validates it (unknown fields are errors, as systing's
 * deny_unknown_fields makes them).  0 or -errno; -ENOTSUP when pftrace was
 * built without json-c.  On failure nothing of the file is added.
 */
int ss_set__read_systing(struct ss_set *set, const char *path);

/* The same from a buffer; @name is what errors call it. */
int ss_set__parse_systing(struct ss_set *set, const char *name, const char *json);

/* Whether this build reads systing configs (json-c). */
bool ss_have_systing(void);

/* The ready-made spans, terminated by a NULL name; lookup by name (NULL if none). */
extern const struct ss_readymade ss_readymades[];
const struct ss_readymade *ss_readymade__find(const char *name);

/* Print "  NAME  description" lines for --help to @f. */
void ss_readymade__print(FILE *f);

/* "tracepoint", "uprobe", ... */
const char *ss_event_kind__name(enum ss_event_kind kind);

/*
 * Classify an event spec (without fetch args) and check its shape: the number
 * of ':'-separated parts, none empty.  0 or -EINVAL.  A systing
 * "tracepoint:SYS:NAME" is accepted only with @systing set.
 */
int ss_spec__kind(const char *spec, bool systing, enum ss_event_kind *kind);

#endif
