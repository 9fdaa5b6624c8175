/* SPDX-License-Identifier: MIT */
/*
 * core/evview: one event of a trace as the reading commands see it (sysdig's
 * model): its number, time, cpu, thread and process, type and direction,
 * arguments by name, a syscall's result and latency, a sample's stack, a
 * span's name and duration.  Built by core/reading.c from `pftrace dump`'s
 * time-ordered lines; filtered by core/filter.c and printed by core/format.c
 * through the fields of core/fields.c.  Strings are valid for one callback.
 */
#ifndef PFTRACE_CORE_EVVIEW_H
#define PFTRACE_CORE_EVVIEW_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define EV_MAX_ARGS 32
#define EV_BUF 16384

struct ev_arg {
	const char *name, *val;
};

struct evview {
	uint64_t num;	      /* 1-based, counting every event of the trace */
	uint64_t ts, reltime; /* trace time (BOOTTIME ns); since the first event */
	int cpu;	      /* -1: none (process tree, track events) */
	int tid, pid, ppid;   /* -1: unknown */
	const char *thread_name, *proc_name, *cmdline, *exe; /* NULL: unknown */
	const char *type; /* syscall name for syscalls, else the event's name */
	const char *kind; /* "syscall", "sched", "process", "sample", "span", ... */
	char dir;	  /* '>' entry (and events without a direction), '<' exit */
	int is_syscall;
	int64_t sysid;
	unsigned nargs;
	struct ev_arg args[EV_MAX_ARGS];
	const char *args_text; /* evt.args: the arguments as printed */
	int has_res;
	int64_t res;
	int has_latency;
	uint64_t latency;
	const char *stack;     /* samples: "root;...;leaf", else NULL */
	const char *span_name; /* slices/instants: the name */
	int has_span_dur;
	uint64_t span_dur;
	/* storage for the strings above */
	size_t used;
	char buf[EV_BUF];
};

/* Copy @n bytes of @s (NUL-terminated) into the view's storage; truncates when full. */
const char *ev_store(struct evview *v, const char *s, size_t n);
/* The argument called @name, or NULL. */
const char *ev_arg(const struct evview *v, const char *name);
/* Argument @name as a number (any base strtol takes), @dflt when absent or not one. */
long ev_arg_long(const struct evview *v, const char *name, long dflt);
/* Split "k=v k2="q \"x\"" ..." into the view's arguments (quoted values unescaped). */
void ev_parse_args(struct evview *v, const char *text);

/* ---- fields (core/fields.c) ------------------------------------------------------- */

enum fld_type {
	FLD_NUM,  /* integer */
	FLD_TIME, /* ns, written S.NNNNNNNNN; compared with seconds ("12.5") or units */
	FLD_DUR,  /* ns; compared with ns or units (10us, 2ms, 1s) */
	FLD_STR,
	FLD_BOOL,
	FLD_CHAR, /* evt.dir */
	FLD_ARG,  /* evt.arg.NAME: text, compared as a number when both sides are */
};

struct fld_def {
	const char *name; /* "evt.arg." takes a suffix */
	enum fld_type type;
	int id;
	const char *help;
};

struct fld_val {
	int is_num;
	int64_t n;
	const char *s; /* always set: the value as text */
	char tmp[40];
};

/* The field table, terminated by a NULL name. */
extern const struct fld_def fld_table[];

/* Look a field up: the definition and, for evt.arg.NAME, *@sub = NAME.  NULL when unknown. */
const struct fld_def *fld_lookup(const char *name, size_t len, const char **sub, size_t *sublen);

/* The value of field @f (with @sub for evt.arg.NAME) on @v: 0, or -1 when the event has none. */
int fld_get(const struct evview *v, const struct fld_def *f, const char *sub, struct fld_val *out);

/* `pftrace dump -l`: one line per field. */
void fld_list(FILE *f);

/* errno names: "ENOENT" for 2, NULL when unknown; and back (0 when unknown). */
const char *errno_name(int e);
int errno_by_name(const char *name);

#endif
