/* SPDX-License-Identifier: MIT */
/*
 * fuzz_filter: the sysdig-style reading language on any text.  The input's first line is a
 * filter (core/filter.c), its second a -p format (core/format.c), its third a few option
 * letters: j (-j), S (-S), r (also `pftrace report` with the filter), and a digit choosing
 * the fixed trace read (a trace of tests/fuzz/corpus/fuzz_dump).  The filter and format are
 * parsed, matched and printed against two hand-made event views (every field set), then
 * `pftrace dump TRACE FILTER -p FORMAT` runs over the trace (core/dump_view.c).
 */
#define _GNU_SOURCE
#include "config.h"
#include "core/cmds.h"
#include "core/evview.h"
#include "core/filter.h"
#include "core/format.h"
#include "core/tracefs.h"
#include "core/util.h"
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#define TRACES FUZZ_SRCDIR "/tests/fuzz/corpus/fuzz_dump/"

static const char *const traces[] = {
	TRACES "syscalls.pb",
	TRACES "stacks.pb",
	TRACES "span.pb",
	TRACES "cmd.pb",
};

static struct evview views[2];

static void setup(void)
{
	static const char open_args[] =
		"res=-2(ENOENT) dfd=-100(AT_FDCWD) flags=O_RDONLY|O_CLOEXEC mode=0";
	static const char sched_args[] =
		"prev_comm=\"kworker/0:1\" prev_pid=5 prev_state=0x1 next_pid=0";
	struct evview *v = &views[0];

	v->num = 7;
	v->ts = 12500000000ull;
	v->reltime = 500000000ull;
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
	v->sysid = 257;
	ev_parse_args(v, open_args);
	v->args_text = open_args;
	v->has_res = 1;
	v->res = -2;
	v->has_latency = 1;
	v->latency = 15000;

	v = &views[1];
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
	ev_parse_args(v, sched_args);
	v->args_text = sched_args;
	v->stack = "main;work;leaf";
	v->span_name = "request";
	v->has_span_dur = 1;
	v->span_dur = 2000000;
}

/* The next line of data[*pos..size) as a C string (NULs end it early); NULL when none. */
static char *line(const uint8_t *data, size_t size, size_t *pos)
{
	const uint8_t *nl;
	size_t n;
	char *s;

	if (*pos >= size)
		return NULL;
	nl = memchr(data + *pos, '\n', size - *pos);
	n = nl ? (size_t)(nl - (data + *pos)) : size - *pos;
	s = strndup((const char *)data + *pos, n);
	*pos += n + (nl != NULL);
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *null;
	char *filter, *format, *opts, *argv[10];
	const char *trace = traces[0];
	struct flt_err err;
	struct flt *f;
	struct ofmt *of;
	int json = 0, sysdig = 0, report = 0, argc, i;
	size_t pos = 0;

	if (!null) {
		null = fopen("/dev/null", "w");
		if (!null || !freopen("/dev/null", "w", stdout))
			return 0;
		tfs_set_dir(FUZZ_SRCDIR "/tests/data/tracefs");
		fuzz_quiet();
		pft_quiet = 1;
		setup();
	}
	filter = line(data, size, &pos);
	format = line(data, size, &pos);
	opts = line(data, size, &pos);
	for (i = 0; opts && opts[i]; i++) {
		if (opts[i] == 'j')
			json = 1;
		else if (opts[i] == 'S')
			sysdig = 1;
		else if (opts[i] == 'r')
			report = 1;
		else if (opts[i] >= '0' && opts[i] < '0' + (int)(sizeof(traces) / sizeof(*traces)))
			trace = traces[opts[i] - '0'];
	}
	if (filter && !*filter) {
		free(filter);
		filter = NULL;
	}
	if (format && !*format) {
		free(format);
		format = NULL;
	}

	/* the parsers and printers on their own */
	f = filter ? flt_parse(filter, &err) : NULL;
	if (f) {
		flt_match(f, &views[0]);
		flt_match(f, &views[1]);
	}
	of = ofmt_new(format, json, &err);
	if (of) {
		ofmt_print(of, &views[0], null);
		ofmt_print(of, &views[1], null);
	}
	ofmt_free(of);
	flt_free(f);

	/* pftrace dump TRACE [FILTER] [-p FORMAT] [-j] [-S] */
	argc = 0;
	argv[argc++] = "dump";
	if (format) {
		argv[argc++] = "-p";
		argv[argc++] = format;
	}
	if (json)
		argv[argc++] = "-j";
	if (sysdig || (!format && !json))
		argv[argc++] = "-S";
	argv[argc++] = "--";
	argv[argc++] = (char *)trace;
	if (filter)
		argv[argc++] = filter;
	argv[argc] = NULL;
	cmd_dump(argc, argv);

	if (report) {
		argc = 0;
		argv[argc++] = "report";
		if (json)
			argv[argc++] = "-j";
		argv[argc++] = "--";
		argv[argc++] = (char *)trace;
		if (filter)
			argv[argc++] = filter;
		argv[argc] = NULL;
		cmd_report(argc, argv);
	}
	free(filter);
	free(format);
	free(opts);
	return 0;
}
