/* SPDX-License-Identifier: MIT */
/*
 * core/fields: the fields of the reading commands (sysdig's names), their
 * values on an event view, and the view's small helpers.
 */
#include "config.h"
#include "core/evview.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

enum {
	F_NUM,
	F_TIME,
	F_RELTIME,
	F_CPU,
	F_TYPE,
	F_DIR,
	F_ARGS,
	F_ARG,
	F_RES,
	F_FAILED,
	F_LATENCY,
	F_KIND,
	F_PNAME,
	F_PID,
	F_PPID,
	F_CMDLINE,
	F_EXE,
	F_TID,
	F_TNAME,
	F_STACK,
	F_SPAN_NAME,
	F_SPAN_DUR,
};

const struct fld_def fld_table[] = {
	{"evt.num", FLD_NUM, F_NUM, "event number, counting every event of the trace from 1"},
	{"evt.time", FLD_TIME, F_TIME, "event time (trace clock, seconds.nanoseconds)"},
	{"evt.reltime", FLD_TIME, F_RELTIME, "time since the first event of the trace"},
	{"evt.cpu", FLD_NUM, F_CPU, "CPU the event happened on (absent for track events)"},
	{"evt.type", FLD_STR, F_TYPE,
	 "syscall name (openat) for syscalls, else the event's name (sched_switch, sample, "
	 "slice_begin, ...)"},
	{"evt.dir", FLD_CHAR, F_DIR, "'>' entry (and events without a direction), '<' exit"},
	{"evt.args", FLD_STR, F_ARGS, "all arguments as printed (syscalls decoded)"},
	{"evt.arg.", FLD_ARG, F_ARG,
	 "evt.arg.NAME: one argument by name (evt.arg.flags, evt.arg.fd, evt.arg.next_pid)"},
	{"evt.res", FLD_NUM, F_RES,
	 "a syscall's return value, on its exit (compares with errno names: evt.res=ENOENT)"},
	{"evt.failed", FLD_BOOL, F_FAILED, "true on a syscall exit that returned an error"},
	{"evt.latency", FLD_DUR, F_LATENCY,
	 "a syscall's duration in ns, on its exit (compares with units: 10us, 2ms)"},
	{"evt.category", FLD_STR, F_KIND,
	 "syscall, sched, process, thread, sample, span, counter, lost, other"},
	{"proc.name", FLD_STR, F_PNAME, "the process's name (its main thread's comm)"},
	{"proc.pid", FLD_NUM, F_PID, "process id (thread group id)"},
	{"proc.ppid", FLD_NUM, F_PPID, "parent process id"},
	{"proc.cmdline", FLD_STR, F_CMDLINE, "command line, arguments joined with spaces"},
	{"proc.exe", FLD_STR, F_EXE, "the command line's first word (argv[0])"},
	{"thread.tid", FLD_NUM, F_TID, "thread id"},
	{"thread.name", FLD_STR, F_TNAME, "the thread's name (comm) at that moment"},
	{"sample.stack", FLD_STR, F_STACK,
	 "a sample's stack, root;...;leaf (sample.stack contains FUNCTION)"},
	{"span.name", FLD_STR, F_SPAN_NAME, "a slice's, instant's or counter's name"},
	{"span.duration", FLD_DUR, F_SPAN_DUR, "a slice's duration in ns, on its end"},
	{NULL, 0, 0, NULL},
};

const struct fld_def *fld_lookup(const char *name, size_t len, const char **sub, size_t *sublen)
{
	const struct fld_def *f;

	*sub = NULL;
	*sublen = 0;
	for (f = fld_table; f->name; f++) {
		size_t n = strlen(f->name);

		if (f->type == FLD_ARG) {
			if (len > n && !strncmp(name, f->name, n)) {
				*sub = name + n;
				*sublen = len - n;
				return f;
			}
		} else if (n == len && !strncmp(name, f->name, len)) {
			return f;
		}
	}
	return NULL;
}

/* Decimal @v right-aligned to at least @width digits ending at @end; returns its start. */
static char *digits(char *end, uint64_t v, int width)
{
	char *q = end;

	do {
		*--q = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (end - q < width)
		*--q = '0';
	return q;
}

/* (no snprintf: these run for every printed or filtered field) */
static int num(struct fld_val *o, int64_t n)
{
	char *e = o->tmp + sizeof(o->tmp) - 1, *q;

	*e = 0;
	q = digits(e, n < 0 ? (uint64_t)0 - (uint64_t)n : (uint64_t)n, 0);
	if (n < 0)
		*--q = '-';
	o->is_num = 1;
	o->n = n;
	o->s = q;
	return 0;
}

static int str(struct fld_val *o, const char *s)
{
	if (!s)
		return -1;
	o->is_num = 0;
	o->s = s;
	return 0;
}

static int timev(struct fld_val *o, uint64_t ns)
{
	char *e = o->tmp + sizeof(o->tmp) - 1, *q;

	*e = 0;
	q = digits(e, ns % 1000000000u, 9);
	*--q = '.';
	q = digits(q, ns / 1000000000u, 0);
	o->is_num = 1;
	o->n = (int64_t)ns;
	o->s = q;
	return 0;
}

int fld_get(const struct evview *v, const struct fld_def *f, const char *sub, struct fld_val *o)
{
	switch (f->id) {
	case F_NUM:
		return num(o, (int64_t)v->num);
	case F_TIME:
		return timev(o, v->ts);
	case F_RELTIME:
		return timev(o, v->reltime);
	case F_CPU:
		return v->cpu < 0 ? -1 : num(o, v->cpu);
	case F_TYPE:
		return str(o, v->type);
	case F_DIR:
		o->tmp[0] = v->dir ? v->dir : '>';
		o->tmp[1] = 0;
		return str(o, o->tmp);
	case F_ARGS:
		return str(o, v->args_text ? v->args_text : "");
	case F_ARG: {
		const char *a = sub ? ev_arg(v, sub) : NULL;
		char *end;
		long long n;

		if (!a)
			return -1;
		o->s = a;
		/* "5", "-2(ENOENT)", "0x10": compares as a number */
		n = strtoll(a, &end, 0);
		o->is_num = end != a && (!*end || *end == '(');
		o->n = n;
		return 0;
	}
	case F_RES:
		return v->has_res ? num(o, v->res) : -1;
	case F_FAILED:
		if (!v->has_res)
			return -1;
		o->is_num = 1;
		o->n = v->res < 0 && v->res >= -4095;
		o->s = o->n ? "true" : "false";
		return 0;
	case F_LATENCY:
		return v->has_latency ? num(o, (int64_t)v->latency) : -1;
	case F_KIND:
		return str(o, v->kind);
	case F_PNAME:
		return str(o, v->proc_name);
	case F_PID:
		return v->pid < 0 ? -1 : num(o, v->pid);
	case F_PPID:
		return v->ppid < 0 ? -1 : num(o, v->ppid);
	case F_CMDLINE:
		return str(o, v->cmdline);
	case F_EXE:
		return str(o, v->exe);
	case F_TID:
		return v->tid < 0 ? -1 : num(o, v->tid);
	case F_TNAME:
		return str(o, v->thread_name);
	case F_STACK:
		return str(o, v->stack);
	case F_SPAN_NAME:
		return str(o, v->span_name);
	case F_SPAN_DUR:
		return v->has_span_dur ? num(o, (int64_t)v->span_dur) : -1;
	}
	return -1;
}

void fld_list(FILE *f)
{
	const struct fld_def *d;

	for (d = fld_table; d->name; d++)
		fprintf(f, "%-16s %s\n", d->type == FLD_ARG ? "evt.arg.NAME" : d->name, d->help);
}

/* ---- the view's storage and arguments ---------------------------------------------- */

const char *ev_store(struct evview *v, const char *s, size_t n)
{
	char *p;

	if (v->used + n + 1 > sizeof(v->buf)) {
		if (v->used + 1 >= sizeof(v->buf))
			return "";
		n = sizeof(v->buf) - v->used - 1;
	}
	p = v->buf + v->used;
	memcpy(p, s, n);
	p[n] = 0;
	v->used += n + 1;
	return p;
}

long ev_arg_long(const struct evview *v, const char *name, long dflt)
{
	const char *s = ev_arg(v, name);
	char *end;
	long n;

	if (!s)
		return dflt;
	n = strtol(s, &end, 0);
	return end == s ? dflt : n;
}

const char *ev_arg(const struct evview *v, const char *name)
{
	unsigned i;

	for (i = 0; i < v->nargs; i++)
		if (!strcmp(v->args[i].name, name))
			return v->args[i].val;
	return NULL;
}

void ev_parse_args(struct evview *v, const char *p)
{
	while (*p && v->nargs < EV_MAX_ARGS) {
		const char *k, *eq;
		char *w;

		p += strspn(p, " ");
		k = p;
		eq = p + strcspn(p, "= ");
		if (*eq != '=') {
			p = eq;
			continue;
		}
		v->args[v->nargs].name = ev_store(v, k, (size_t)(eq - k));
		p = eq + 1;
		if (*p == '"') {
			/* a quoted value, unescaped in place of the storage */
			size_t room = sizeof(v->buf) - v->used;

			if (room < 2)
				return;
			w = v->buf + v->used;
			v->args[v->nargs].val = w;
			for (p++; *p && *p != '"' && room > 1; p++, room--) {
				if (*p == '\\' && p[1]) {
					p++;
					*w++ = *p == 'n' ? '\n' : *p == 't' ? '\t' : *p;
				} else {
					*w++ = *p;
				}
			}
			*w++ = 0;
			v->used = (size_t)(w - v->buf);
			if (*p == '"')
				p++;
		} else {
			size_t n = strcspn(p, " ");

			v->args[v->nargs].val = ev_store(v, p, n);
			p += n;
		}
		v->nargs++;
	}
}

/* ---- errno names (table generated at build time from <errno.h>) -------------------- */

static const char *const errnames[] = {
#include "core/errno_table.h"
};

const char *errno_name(int e)
{
	if (e <= 0 || (size_t)e >= sizeof(errnames) / sizeof(errnames[0]))
		return NULL;
	return errnames[e];
}

int errno_by_name(const char *name)
{
	size_t i;

	for (i = 1; i < sizeof(errnames) / sizeof(errnames[0]); i++)
		if (errnames[i] && !strcmp(errnames[i], name))
			return (int)i;
	return 0;
}
