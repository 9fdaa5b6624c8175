/* SPDX-License-Identifier: MIT */
/* test_filter: the filter language (core/filter.c) on hand-made event views, its errors,
 * and -p formats (core/format.c). */
#include "config.h"
#include "core/evview.h"
#include "core/filter.h"
#include "core/format.h"
#include "tests/tap.h"

#include <stdlib.h>
#include <string.h>

static struct evview ev_open, ev_sched;

static void setup(void)
{
	struct evview *v = &ev_open;

	memset(v, 0, sizeof(*v));
	v->num = 7;
	v->ts = 12500000000ull;
	v->cpu = 1;
	v->tid = 42;
	v->pid = 40;
	v->ppid = 1;
	v->thread_name = "worker";
	v->proc_name = "sshd";
	v->cmdline = "/usr/sbin/sshd -D";
	v->exe = "/usr/sbin/sshd";
	v->type = "openat";
	v->kind = "syscall";
	v->dir = '<';
	v->is_syscall = 1;
	ev_parse_args(v, "res=-2(ENOENT) dfd=-100(AT_FDCWD) flags=O_RDONLY|O_CLOEXEC mode=0");
	v->args_text = "res=-2(ENOENT) dfd=-100(AT_FDCWD) flags=O_RDONLY|O_CLOEXEC mode=0";
	v->has_res = 1;
	v->res = -2;
	v->has_latency = 1;
	v->latency = 15000;

	v = &ev_sched;
	memset(v, 0, sizeof(*v));
	v->num = 8;
	v->ts = 13000000000ull;
	v->cpu = 0;
	v->tid = 5;
	v->pid = 5;
	v->ppid = -1;
	v->thread_name = "kworker/0:1";
	v->proc_name = "kworker/0:1";
	v->type = "sched_switch";
	v->kind = "sched";
	v->dir = '>';
	ev_parse_args(v, "prev_comm=\"kworker/0:1\" prev_pid=5 prev_state=0x1 next_pid=0");
	v->args_text = "prev_comm=\"kworker/0:1\" prev_pid=5 prev_state=0x1 next_pid=0";
}

/* 1 match, 0 no match, -1 parse error */
static int run(const char *text, const struct evview *v)
{
	struct flt_err err;
	struct flt *f = flt_parse(text, &err);
	int r;

	if (!f) {
		tap_diag("parse error: %s at %d", err.msg, err.pos);
		return -1;
	}
	r = flt_match(f, v);
	flt_free(f);
	return r;
}

static void matches(const char *text, int want_open, int want_sched)
{
	tap_ok(run(text, &ev_open) == want_open && run(text, &ev_sched) == want_sched,
	       "'%s': openat %d, sched_switch %d", text, want_open, want_sched);
}

static void error_at(const char *text, int pos, const char *part)
{
	struct flt_err err;
	struct flt *f = flt_parse(text, &err);

	tap_ok(!f && err.pos == pos && strstr(err.msg, part),
	       "'%s' fails at column %d with \"%s\" (got %d: %s)", text, pos + 1, part, err.pos + 1,
	       f ? "parsed" : err.msg);
	flt_free(f);
}

static void formats(const char *fmt, int json, const struct evview *v, const char *want)
{
	struct flt_err err;
	struct ofmt *f = ofmt_new(fmt, json, &err);
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);

	if (f && m)
		ofmt_print(f, v, m);
	if (m)
		fclose(m);
	tap_ok(buf && !strcmp(buf, want), "format '%s'%s: got '%.*s'", fmt ? fmt : "(default)",
	       json ? " -j" : "", buf ? (int)strcspn(buf, "\n") : 6, buf ? buf : "(null)");
	free(buf);
	ofmt_free(f);
}

int main(void)
{
	struct flt_err err;

	setup();
	matches("proc.name=sshd", 1, 0);
	matches("proc.name==sshd and evt.type=openat", 1, 0);
	matches("proc.name=sshd and evt.type=accept", 0, 0);
	matches("evt.type in (openat, sched_switch)", 1, 1);
	matches("evt.type in ('accept')", 0, 0);
	matches("not evt.type=openat", 0, 1);
	matches("not (evt.type=openat or evt.cpu=0)", 0, 0);
	matches("(evt.type=openat or evt.cpu=0) and thread.tid<10", 0, 1);
	matches("evt.type=openat or evt.cpu=0 and thread.tid<10", 1, 1);
	matches("evt.args contains O_CLOEXEC", 1, 0);
	matches("proc.cmdline icontains '/USR/SBIN'", 1, 0);
	matches("thread.name startswith kw", 0, 1);
	matches("proc.exe endswith /sshd", 1, 0);
	matches("thread.name glob 'kworker/*'", 0, 1);
	matches("evt.res exists", 1, 0);
	matches("evt.res=ENOENT", 1, 0);
	matches("evt.res<0 and evt.failed=true", 1, 0);
	matches("evt.failed=false", 0, 0);
	matches("evt.res!=ENOENT", 0, 0); /* absent fields never match */
	matches("evt.latency>10us and evt.latency<=15000", 1, 0);
	matches("evt.latency>=1ms", 0, 0);
	matches("evt.time>12.9", 0, 1);
	matches("evt.dir='<'", 1, 0);
	matches("evt.dir=>", 0, 1);
	matches("evt.arg.flags contains O_RDONLY", 1, 0);
	matches("evt.arg.dfd=-100", 1, 0);
	matches("evt.arg.prev_state=1 and evt.arg.prev_comm=\"kworker/0:1\"", 0, 1);
	matches("evt.arg.next_pid>=0", 0, 1);
	matches("proc.ppid=1 or proc.ppid exists", 1, 0);

	error_at("proc.nam=sshd", 0, "unknown field 'proc.nam'");
	error_at("proc.name sshd", 10, "expected an operator");
	error_at("proc.name= and evt.type=x", 11, "expected a value");
	error_at("(proc.name=a or evt.cpu=1", 0, "'(' is not closed");
	error_at("proc.name=a evt.cpu=1", 12, "expected 'and', 'or'");
	error_at("evt.cpu=one", 8, "compares with integers");
	error_at("evt.type in (a b)", 15, "expected ',' or ')'");
	error_at("proc.name='sshd", 10, "unterminated string");
	error_at("", 0, "empty");
	tap_ok(!flt_parse("evt.latency>fast", &err) && strstr(err.msg, "duration"),
	       "a duration field rejects words: %s", err.msg);
	/* out-of-range durations were converted to int64_t: UB (UBSan under fuzz_filter) */
	error_at("evt.latency>1e300", 12, "compares with nanoseconds");
	error_at("evt.latency<-1e19ns", 12, "compares with nanoseconds");
	error_at("evt.time>inf", 9, "compares with seconds");
	error_at("evt.reltime>nan", 12, "compares with seconds");
	matches("evt.latency<9e18", 1, 0);
	{
		/* 100000 '(' (or 25000 "not") overflowed the stack; 200 levels are fine */
		size_t n = 100000, i;
		char *deep = malloc(n + 16), *p;
		struct flt *f;

		for (p = deep, i = 0; i < n; i++)
			*p++ = '(';
		strcpy(p, "evt.cpu=1");
		f = flt_parse(deep, &err);
		tap_ok(!f && err.pos == 200 && strstr(err.msg, "nested too deep"),
		       "100000 '(' fail at column 201: %s", err.msg);
		flt_free(f);
		for (p = deep, i = 0; i < n / 4; i++, p += 4)
			memcpy(p, "not ", 4);
		strcpy(p, "evt.cpu=1");
		f = flt_parse(deep, &err);
		tap_ok(!f && err.pos == 800 && strstr(err.msg, "nested too deep"),
		       "25000 'not' fail at column 801: %s", err.msg);
		flt_free(f);
		for (p = deep, i = 0; i < 199; i++)
			*p++ = '(';
		p += sprintf(p, "not evt.cpu=0");
		for (i = 0; i < 199; i++)
			*p++ = ')';
		*p = 0;
		tap_ok(run(deep, &ev_open) == 1 && run(deep, &ev_sched) == 0,
		       "199 nested '(' and a 'not' parse and match");
		free(deep);
	}

	formats("%evt.type %proc.name (%thread.tid) 100%% %evt.arg.nope", 0, &ev_open,
		"openat sshd (42) 100% <NA>\n");
	formats("%evt.num %evt.res %evt.failed", 1, &ev_open,
		"{\"evt.num\":7,\"evt.res\":-2,\"evt.failed\":true}\n");
	formats(NULL, 0, &ev_sched,
		"8 13.000000000 0 kworker/0:1 (5) > sched_switch "
		"prev_comm=\"kworker/0:1\" prev_pid=5 prev_state=0x1 next_pid=0\n");
	{
		struct ofmt *f = ofmt_new("%evt.type %bogus.field", 0, &err);

		tap_ok(!f && err.pos == 10 && strstr(err.msg, "bogus.field"),
		       "an unknown field in -p is an error at its column: %s", err.msg);
		ofmt_free(f);
	}
	return tap_done();
}
