/* SPDX-License-Identifier: MIT */
/* core/spanspec: --span, --spans FILE, ready-made spans and systing's JSON
 * configs (tests/data/systing_*.json).  Built twice: with json-c (when
 * configured) and with SPANSPEC_NO_JSON_C. */
#include "config.h"
#include "core/spanspec.h"
#include "tests/tap.h"

#ifdef SPANSPEC_NO_JSON_C
#undef HAVE_JSON_C
#endif

#include <unistd.h>

static int has(const char *hay, const char *needle)
{
	int ok = hay && strstr(hay, needle);

	if (!ok)
		tap_diag("\"%s\" not in \"%s\"", needle, hay ? hay : "(null)");
	return ok;
}

static void test_span_forms(void)
{
	struct ss_set *s = ss_set__new();
	const struct ss_event *e;

	tap_is_int(ss_set__add_span(s, "req=uprobe:/bin/app:begin,uretprobe:/bin/app:begin"), 0,
		   "uprobe -> uretprobe span");
	tap_is_int(s->nr_events, 2, "two events");
	tap_is_int(s->nr_spans, 1, "one span");
	tap_is_str(s->spans[0].name, "req", "span name");
	tap_is_int(s->spans[0].kind, SS_SPAN_THREAD, "thread slice");
	tap_ok(!s->spans[0].track && !s->spans[0].key, "no track, no key");
	tap_is_str(s->events[s->spans[0].start].spec, "uprobe:/bin/app:begin", "start spec");
	tap_is_int(s->events[s->spans[0].start].kind, SS_EV_UPROBE, "start kind");
	tap_is_str(s->events[s->spans[0].end].spec, "uretprobe:/bin/app:begin", "end spec");
	tap_is_int(s->events[s->spans[0].end].kind, SS_EV_URETPROBE, "end kind");
	tap_is_str(s->events[0].name, "uprobe:/bin/app:begin", "event named after its spec");
	tap_is_str(s->events[0].fetchargs, "", "no fetch args");

	tap_is_int(ss_set__add_span(s, " sys = raw_syscalls:sys_enter , raw_syscalls:sys_exit "), 0,
		   "tracepoint span, blanks around the parts");
	tap_is_str(s->spans[1].name, "sys", "name trimmed");
	e = &s->events[s->spans[1].start];
	tap_is_str(e->spec, "raw_syscalls:sys_enter", "tracepoint spec trimmed");
	tap_is_int(e->kind, SS_EV_TRACEPOINT, "tracepoint kind");

	tap_is_int(ss_set__add_span(s, "h=uprobe:/bin/app:handle+0x10  id=%di:u64\t "
				       "path=+0(%si):ustring ,uretprobe:/bin/app:handle"),
		   0, "fetch args after the spec");
	e = &s->events[s->spans[2].start];
	tap_is_str(e->spec, "uprobe:/bin/app:handle+0x10", "spec without fetch args");
	tap_is_str(e->fetchargs, "id=%di:u64 path=+0(%si):ustring", "fetch args, blanks collapsed");

	tap_is_int(ss_set__add_span(s, "rq=uprobe:/bin/app:submit id=%di:u64,"
				       "uprobe:/bin/app:complete id=%si:u64,key=id"),
		   0, "keyed span");
	tap_is_int(s->spans[3].kind, SS_SPAN_KEYED, "async by key");
	tap_is_str(s->spans[3].key, "id", "key name");
	tap_is_str(s->events[s->spans[3].end].fetchargs, "id=%si:u64", "end fetch args");

	tap_is_int(ss_set__add_span(
			   s, "q=usdt:/bin/app:prov:start,usdt:/bin/app:prov:done, key = arg1"),
		   0, "keyed USDT span on a note argument");
	tap_is_int(s->events[s->spans[4].start].kind, SS_EV_USDT, "usdt kind");
	tap_is_str(s->spans[4].key, "arg1", "usdt key");
	tap_is_int(ss_set__add_span(s, "tp=sched:a,sched:b,key=pid"), 0,
		   "keyed tracepoint span (fields checked at run time)");

	tap_is_int(ss_set__add_span(s, "c=uprobe:/tmp/a\\,b:fn,uretprobe:/tmp/a\\,b:fn"), 0,
		   "escaped comma in a path");
	tap_is_str(s->events[s->spans[6].start].spec, "uprobe:/tmp/a,b:fn", "comma unescaped");

	size_t nev = s->nr_events;
	tap_is_int(ss_set__add_span(s, "again=uprobe:/bin/app:begin,uretprobe:/bin/app:begin"), 0,
		   "same specs again");
	tap_is_int(s->nr_events, nev, "events shared, not duplicated");
	tap_is_int(s->spans[7].start, s->spans[0].start, "same start event");
	tap_is_int(
		ss_set__add_span(s, "x=uprobe:/bin/app:begin n=%di:s32,uretprobe:/bin/app:begin"),
		0, "same spec, other fetch args");
	tap_is_int(s->nr_events, nev + 1, "a new event");
	tap_is_str(s->events[nev].name, "uprobe:/bin/app:begin#2", "named with #2");
	tap_is_int(s->nr_warnings, 0, "no warnings");
	ss_set__free(s);
}

static void bad_span(struct ss_set *s, const char *arg, const char *want)
{
	size_t nev = s->nr_events, nsp = s->nr_spans;
	int err = ss_set__add_span(s, arg);

	tap_ok(err == -EINVAL && has(s->error, want) && has(s->error, "--span '"),
	       "bad --span '%s': %s", arg, s->error);
	tap_ok(s->nr_events == nev && s->nr_spans == nsp, "  nothing added");
}

static void test_span_errors(void)
{
	struct ss_set *s = ss_set__new();

	tap_is_int(ss_set__add_span(s, "ok=a:b,c:d"), 0, "a span first");
	bad_span(s, "x=uprobe:/bin/app,uretprobe:/bin/app:fn", "uprobe:PATH:SYMBOL[+OFFSET]");
	bad_span(s, "x=a:b,usdt:/bin/app:name", "usdt:PATH:PROVIDER:NAME");
	bad_span(s, "x=a:b", "expected NAME=START,END");
	bad_span(s, "x=a:b,c:d,key=k,more", "expected NAME=START,END");
	bad_span(s, "x=a:b,c:d,foo=bar", "'foo=bar' is not key=ARG");
	bad_span(s, "x=a:b,c:d,keys=id", "'keys=id' is not key=ARG");
	bad_span(s, "x=a:b,c:d,key=", "key= needs");
	bad_span(s, "=a:b,c:d", "no name");
	bad_span(s, "x=a:b,", "end event is empty");
	bad_span(s, "x=sched,c:d", "not an event spec");
	bad_span(s, "x=a::b,c:d", "not an event spec");
	bad_span(s, "x=new:ev,kprobe:do_sys_open", "kprobes are not supported");
	bad_span(s, "x=tracepoint:a:b,c:d", "not an event spec");
	bad_span(s, "x=sched:a id=%di:u64,c:d", "takes no fetch args");
	bad_span(s, "x=uprobe:/b:f,uretprobe:/b:f,key=id", "carries no argument 'id'");
	bad_span(s, "x=uprobe:/b:f id=%di:u64,uretprobe:/b:f,key=id", "end event");
	bad_span(s, "x=usdt:/b:p:n,usdt:/b:p:m,key=argx", "carries no argument");
	bad_span(s, "nosuch", "no ready-made span 'nosuch'");
	tap_is_int(s->nr_events, 2, "only the good span's events");
	ss_set__free(s);
}

static void test_readymade(void)
{
	struct ss_set *s = ss_set__new();
	const struct ss_span *sp;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	tap_is_int(ss_set__add_span(s, "pthread_mutex"), 0, "--span pthread_mutex");
	sp = &s->spans[0];
	tap_is_str(sp->name, "pthread_mutex", "named after the ready-made");
	tap_is_int(sp->kind, SS_SPAN_THREAD, "per thread");
	tap_is_str(s->events[sp->start].spec, "uprobe:libc:pthread_mutex_lock", "entry uprobe");
	tap_is_str(s->events[sp->end].spec, "uretprobe:libc:pthread_mutex_lock", "return probe");
	tap_is_str(s->events[sp->start].alt_spec, "uprobe:libpthread:pthread_mutex_lock",
		   "libpthread fallback for glibc < 2.34");
	tap_is_str(s->events[sp->end].alt_spec, "uretprobe:libpthread:pthread_mutex_lock",
		   "return fallback");
	tap_is_int(ss_set__add_span(s, " pthread_cond "), 0, "--span pthread_cond");
	tap_is_str(s->events[s->spans[1].start].spec, "uprobe:libc:pthread_cond_wait",
		   "pthread_cond_wait entry");
	tap_is_int(ss_set__add_span(s, "malloc"), 0, "--span malloc");
#if defined(__x86_64__)
	tap_is_str(s->events[s->spans[2].start].fetchargs, "size=%di:u64", "malloc's size");
#endif
	tap_ok(!s->events[s->spans[2].start].alt_spec, "malloc has no fallback");
	for (const struct ss_readymade *r = ss_readymades; r->name; r++) {
		struct ss_set *one = ss_set__new();

		tap_ok(ss_set__add_span(one, r->name) == 0 && one->nr_spans == 1 && r->desc[0],
		       "ready-made %s parses and is described", r->name);
		ss_set__free(one);
	}
	tap_ok(ss_readymade__find("pthread_mutex") == &ss_readymades[0], "find");
	tap_ok(!ss_readymade__find("pthread"), "find: no prefix match");

	f = open_memstream(&buf, &len);
	ss_readymade__print(f);
	fclose(f);
	tap_ok(has(buf, "  pthread_mutex ") && has(buf, "pthread_mutex_lock") &&
		       has(buf, "\n  pthread_cond "),
	       "help list");
	free(buf);
	ss_set__free(s);
}

static void test_spans_file(void)
{
	const char *good = "# spans for the app\n"
			   "\n"
			   "req = uprobe:/bin/app:begin id=%di:u64, uretprobe:/bin/app:begin\n"
			   "   # indented comment\n"
			   "pthread_mutex\n"
			   "io=syscalls:sys_enter_read,syscalls:sys_exit_read";
	const char *bad = "a=x:y,x:z\n"
			  "\n"
			  "# comment\n"
			  "b=x:y,x:w\n"
			  "c=uprobe:/bin/app,x:z\n"
			  "d=x:y,x:v\n";
	char path[] = "/tmp/test_spanspec.XXXXXX";
	struct ss_set *s = ss_set__new();
	int fd;

	tap_is_int(ss_set__parse_spans(s, "spans.txt", good), 0, "--spans text");
	tap_is_int(s->nr_spans, 3, "three spans");
	tap_is_str(s->spans[1].name, "pthread_mutex", "ready-made in a file");
	tap_is_str(s->spans[2].name, "io", "last line without newline");
	tap_is_int(ss_set__parse_spans(s, "bad.txt", bad), -EINVAL, "a bad line");
	tap_ok(has(s->error, "bad.txt:5: ") && has(s->error, "uprobe:PATH:SYMBOL"),
	       "error names FILE:LINE: %s", s->error);
	tap_is_int(s->nr_spans, 3, "nothing of the bad file added");
	tap_is_int(s->nr_events, 6, "no events of the bad file left");

	fd = mkstemp(path);
	tap_ok(fd >= 0 && write(fd, good, strlen(good)) == (ssize_t)strlen(good), "temp file");
	close(fd);
	tap_is_int(ss_set__read_spans(s, path), 0, "--spans FILE");
	tap_is_int(s->nr_spans, 6, "its spans added");
	unlink(path);
	tap_is_int(ss_set__read_spans(s, path), -ENOENT, "missing file");
	tap_ok(has(s->error, path) && has(s->error, "No such file"), "error names it: %s",
	       s->error);
	ss_set__free(s);
}

#if defined(HAVE_JSON_C)

static const struct ss_event *ev_named(const struct ss_set *s, const char *name)
{
	for (size_t i = 0; i < s->nr_events; i++)
		if (strcmp(s->events[i].name, name) == 0)
			return &s->events[i];
	return NULL;
}

static char *data_path(const char *name)
{
	const char *top = getenv("top_srcdir");

	return xasprintf("%s/tests/data/%s", top ? top : ".", name);
}

static int read_sample(struct ss_set *s, const char *name)
{
	char *p = data_path(name);
	int err = ss_set__read_systing(s, p);

	if (err)
		tap_diag("%s: %s", p, s->error);
	free(p);
	return err;
}

static void test_systing_mutex(void)
{
	struct ss_set *s = ss_set__new();
	const struct ss_event *e;

	tap_is_int(read_sample(s, "systing_mutex.json"), 0, "systing_mutex.json");
	tap_is_int(s->nr_events, 4, "4 events");
	e = ev_named(s, "lock_enter");
	tap_ok(e && e->kind == SS_EV_USDT, "usdt event");
	tap_is_str(e->spec, "usdt:/usr/lib/x86_64-linux-gnu/libc.so.6:libc:mutex_entry",
		   "usdt spec kept");
	tap_is_str(e->fetchargs, "mutex=arg0", "usdt long arg -> argN");
	tap_is_int(e->nr_args, 1, "one arg");
	tap_is_str(e->args[0].name, "mutex", "arg name");
	tap_is_int(e->args[0].type, SS_ARG_LONG, "long");
	tap_ok(ev_named(s, "lock_acquired")->stack, "stack: true");
	tap_ok(!e->stack, "stack defaults to false");
	tap_is_int(e->scope, SS_SCOPE_THREAD, "scope defaults to thread");
#if defined(__x86_64__)
	tap_is_str(ev_named(s, "cond_signal")->fetchargs, "cond=%di:s64", "uprobe arg 0 -> %di");
#endif
	tap_is_int(s->nr_spans, 2, "2 ranges");
	tap_is_str(s->spans[0].name, "locking", "range name");
	tap_is_str(s->spans[0].track, "pthread mutex", "range track");
	tap_is_str(s->events[s->spans[0].start].name, "lock_enter", "range start");
	tap_is_str(s->events[s->spans[0].end].name, "lock_acquired", "range end");
	tap_is_int(s->spans[0].kind, SS_SPAN_THREAD, "thread range");
	tap_is_int(s->spans[1].start, s->spans[0].end, "an end may start the next range");
	tap_is_int(s->nr_instants, 1, "1 instant");
	tap_is_str(s->instants[0].track, "condition signals", "instant track");
	tap_is_str(s->events[s->instants[0].event].name, "cond_signal", "instant event");
	tap_is_int(s->nr_thresholds + s->nr_stop_events, 0, "no stop triggers");
	tap_is_int(s->nr_warnings, 0, "no warnings");
	ss_set__free(s);
}

static void test_systing_requests(void)
{
	struct ss_set *s = ss_set__new();
	const struct ss_event *e;

	tap_is_int(read_sample(s, "systing_requests.json"), 0, "systing_requests.json");
	e = ev_named(s, "request_begin");
	tap_is_int(e->nr_args, 4, "4 args (systing's maximum)");
	tap_is_str(e->args[1].name, "body size", "display name kept");
	tap_is_str(e->args[1].field, "body_size", "fetch arg name made an identifier");
	tap_is_int(e->args[0].type, SS_ARG_STRING, "string");
	tap_is_int(e->args[3].index, 7, "arg_index 7");
#if defined(__x86_64__)
	tap_is_str(e->fetchargs,
		   "url=+0(%si):ustring body_size=%dx:s64 deadline=+8(%sp):s64 "
		   "peer=+0(+16(%sp)):ustring",
		   "uprobe fetch args: registers, then the stack");
	tap_is_str(ev_named(s, "request_end")->fetchargs, "status=$retval:s64",
		   "retval on a uretprobe");
#endif
	tap_is_int(ev_named(s, "request_end")->args[0].type, SS_ARG_RETVAL, "retval type");
	tap_is_str(ev_named(s, "job_queued")->spec,
		   "uprobe:/usr/local/bin/frontend:enqueue_job+0x10", "symbol+offset kept");
	tap_is_int(ev_named(s, "job_queued")->scope, SS_SCOPE_PROCESS, "scope process");
	e = ev_named(s, "cache_miss");
	tap_is_str(e->fetchargs, "key=+0(arg0):ustring shard=arg1", "usdt string and long args");
	tap_ok(e->stack, "usdt with stack");
	tap_is_int(s->nr_spans, 2, "2 ranges");
	tap_is_int(s->spans[1].kind, SS_SPAN_PROCESS, "process-scoped range");
	tap_is_str(s->spans[1].track, "Jobs", "its track");
	tap_is_int(s->nr_instants, 1, "1 instant");
	tap_is_int(s->nr_thresholds, 1, "1 threshold stop trigger");
	tap_is_int(s->thresholds[0].duration_us, 250000, "duration_us");
	tap_is_str(s->events[s->thresholds[0].start].name, "request_begin", "threshold start");
	tap_is_str(s->events[s->thresholds[0].end].name, "request_end", "threshold end");
	ss_set__free(s);
}

static void test_systing_syscalls(void)
{
	struct ss_set *s = ss_set__new();
	const struct ss_event *e;

	tap_is_int(ss_set__add_span(s, "pthread_mutex"), 0, "a --span before the config");
	tap_is_int(read_sample(s, "systing_syscalls.json"), 0, "systing_syscalls.json");
	e = ev_named(s, "openat_enter");
	tap_is_str(e->spec, "syscalls:sys_enter_openat", "tracepoint: prefix dropped");
	tap_is_int(e->kind, SS_EV_TRACEPOINT, "tracepoint kind");
	tap_is_str(e->fetchargs, "", "tracepoints take no fetch args");
	tap_is_int(e->args[0].index, 1, "field index kept");
	tap_is_str(e->args[0].field, "filename", "field name");
	tap_ok(e->stack, "stack");
	tap_is_int(ev_named(s, "switch")->scope, SS_SCOPE_CPU, "\"percpu\": true -> cpu scope");
	tap_is_int(s->nr_spans, 2, "the --span and the range");
	tap_is_str(s->events[s->spans[1].start].name, "openat_enter", "range refers to the config");
	tap_is_int(s->nr_stop_events, 1, "instant stop trigger");
	tap_is_str(s->events[s->stop_events[0]].name, "oom", "its event");
	tap_is_int(s->nr_thresholds, 0, "no thresholds");
	tap_is_int(read_sample(s, "systing_syscalls.json"), -EINVAL, "the same config twice");
	tap_ok(has(s->error, "event openat_enter already exists"), "names clash: %s", s->error);
	ss_set__free(s);
}

static void bad_json(const char *json, const char *want, const char *what)
{
	struct ss_set *s = ss_set__new();
	int err;

	tap_is_int(ss_set__add_span(s, "keep=a:b,c:d"), 0, "setup");
	err = ss_set__parse_systing(s, "cfg.json", json);
	tap_ok(err == -EINVAL && has(s->error, "cfg.json") && has(s->error, want), "%s: %s", what,
	       s->error);
	tap_ok(s->nr_events == 2 && s->nr_spans == 1 && s->nr_instants == 0 &&
		       s->nr_thresholds == 0 && s->nr_stop_events == 0 && s->nr_warnings == 0,
	       "  nothing of it added");
	ss_set__free(s);
}

#define EV(name, spec) "{\"name\":\"" name "\",\"event\":\"" spec "\"}"

static void test_systing_errors(void)
{
	bad_json("{\"events\": [\n  " EV("a", "uprobe:/b:f") "\n  " EV("b", "uprobe:/b:g") "]}",
		 "cfg.json:3:", "missing comma: FILE:LINE:COL");
	bad_json("{\"events\": []} x", "cfg.json:1:", "trailing data");
	bad_json("{\"events\": [", "not a complete JSON document", "truncated");
	bad_json("{\"events\": [] /* c */}", "invalid JSON", "comments are not JSON");
	bad_json("[]", "expected an object, found array", "not an object");
	bad_json("{\"tracks\": []}", "missing field \"events\"", "no events");
	bad_json("{\"events\": {}}", "\"events\" must be an array", "events not an array");
	bad_json("{\"events\": [{\"event\":\"uprobe:/b:f\"}]}", "events[0]: missing field \"name\"",
		 "event without name");
	bad_json("{\"events\": [{\"name\":\"a\"}]}", "events[0]: missing field \"event\"",
		 "event without spec");
	bad_json("{\"events\": [{\"name\":\"a\",\"event\":\"uprobe:/b:f\",\"colour\":1}]}",
		 "events[0]: unknown field \"colour\"", "unknown field (systing denies them)");
	bad_json("{\"comment\":\"x\",\"events\": []}", "unknown field \"comment\"",
		 "unknown top-level field");
	bad_json("{\"events\": [{\"name\":1,\"event\":\"uprobe:/b:f\"}]}",
		 "\"name\" must be a string, found int", "wrong type");
	bad_json("{\"events\": [" EV("a", "uprobe:/b") "]}", "uprobe:PATH:SYMBOL", "short uprobe");
	bad_json("{\"events\": [" EV("a", "usdt:/b:p") "]}", "usdt:PATH:PROVIDER:NAME",
		 "short usdt");
	bad_json("{\"events\": [" EV("a", "sched:sched_switch") "]}", "invalid event type",
		 "tracepoint without the tracepoint: prefix");
	bad_json("{\"events\": [" EV("a", "tracepoint:sched") "]}", "tracepoint:SYS:NAME",
		 "short tracepoint");
	bad_json("{\"events\": [" EV("a", "perf:cycles:x") "]}", "invalid event type",
		 "unknown type");
	bad_json("{\"events\": [" EV("a", "uprobe:/b:f") "," EV("a", "uprobe:/b:g") "]}",
		 "events[1]: event a already exists", "duplicate name");
	bad_json("{\"events\": [{\"name\":\"a\",\"event\":\"uprobe:/b:f\",\"scope\":\"global\"}]}",
		 "scope \"global\"", "bad scope");
	bad_json("{\"events\": [{\"name\":\"a\",\"event\":\"uprobe:/b:f\",\"stack\":1}]}",
		 "\"stack\" must be true or false", "stack not a bool");
	bad_json("{\"events\": [{\"name\":\"a\",\"event\":\"uprobe:/b:f\",\"args\":["
		 "{\"arg_type\":\"float\",\"arg_name\":\"x\"}]}]}",
		 "events[0].args[0]: arg_type \"float\"", "bad arg_type");
	bad_json("{\"events\": [{\"name\":\"a\",\"event\":\"uprobe:/b:f\",\"args\":["
		 "{\"arg_type\":\"long\"}]}]}",
		 "events[0].args[0]: missing field \"arg_name\"", "arg without name");
	bad_json("{\"events\": [{\"name\":\"a\",\"event\":\"uprobe:/b:f\",\"args\":["
		 "{\"arg_type\":\"long\",\"arg_name\":\"x\",\"arg_index\":-1}]}]}",
		 "\"arg_index\" is out of range", "negative arg_index");
	bad_json("{\"events\": [{\"name\":\"a\",\"event\":\"uprobe:/b:f\",\"args\":["
		 "{\"arg_type\":\"retval\",\"arg_name\":\"r\"}]}]}",
		 "retval needs a uretprobe or kretprobe event, not uprobe", "retval on a uprobe");
	bad_json("{\"events\": [{\"name\":\"a\",\"event\":\"uretprobe:/b:f\",\"args\":["
		 "{\"arg_type\":\"retval\",\"arg_name\":\"r\",\"arg_index\":1}]}]}",
		 "arg_index must be 0 or omitted for retval", "retval with an index");
	bad_json("{\"events\": [{\"name\":\"a\",\"event\":\"uprobe:/b:f\",\"args\":["
		 "{\"arg_type\":\"long\",\"arg_name\":\"a\"},{\"arg_type\":\"long\",\"arg_name\":"
		 "\"b\"},"
		 "{\"arg_type\":\"long\",\"arg_name\":\"c\"},{\"arg_type\":\"long\",\"arg_name\":"
		 "\"d\"},"
		 "{\"arg_type\":\"long\",\"arg_name\":\"e\"}]}]}",
		 "at most 4 args", "5 args");
	bad_json("{\"events\": [" EV("a", "uprobe:/b:f") "], \"tracks\": [{\"ranges\":[]}]}",
		 "tracks[0]: missing field \"track_name\"", "track without a name");
	bad_json("{\"events\": [" EV("a", "uprobe:/b:f") "], \"tracks\": [{\"track_name\":\"t\","
							 "\"ranges\":[{\"name\":\"r\",\"start\":"
							 "\"a\",\"end\":\"zz\"}]}]}",
		 "tracks[0].ranges[0]: Stop event zz does not exist", "range end unknown");
	bad_json("{\"events\": [" EV(
			 "a", "uprobe:/b:f") "], \"tracks\": [{\"track_name\":\"t\","
					     "\"ranges\":[{\"start\":\"a\",\"end\":\"a\"}]}]}",
		 "missing field \"name\"", "range without a name");
	bad_json("{\"events\": [" EV("a", "uprobe:/b:f") "," EV("b", "uprobe:/b:g") "," EV(
			 "c", "uprobe:/b:h") "], \"tracks\": [{\"track_name\":\"t\",\"ranges\":["
					     "{\"name\":\"r\",\"start\":\"a\",\"end\":\"b\"},"
					     "{\"name\":\"s\",\"start\":\"a\",\"end\":\"c\"}]}]}",
		 "ranges[1]: Start event a already exists", "one start, two ranges");
	bad_json("{\"events\": [" EV("a", "uprobe:/b:f") "," EV("b", "uprobe:/b:g") "," EV(
			 "c", "uprobe:/b:h") "], \"tracks\": [{\"track_name\":\"t\",\"ranges\":["
					     "{\"name\":\"r\",\"start\":\"a\",\"end\":\"b\"},"
					     "{\"name\":\"r\",\"start\":\"b\",\"end\":\"c\"}]}]}",
		 "Range r already exists", "duplicate range name");
	bad_json("{\"events\": "
		 "[{\"name\":\"a\",\"event\":\"uprobe:/b:f\",\"scope\":\"process\"}," EV(
			 "b", "uprobe:/b:g") "], \"tracks\": [{\"track_name\":\"t\",\"ranges\":["
					     "{\"name\":\"r\",\"start\":\"a\",\"end\":\"b\"}]}]}",
		 "different scopes", "scope mismatch");
	bad_json("{\"events\": [" EV("a", "uprobe:/b:f") "," EV(
			 "b", "uprobe:/b:g") "], \"tracks\": [{\"track_name\":\"t\",\"ranges\":["
					     "{\"name\":\"r\",\"start\":\"a\",\"end\":\"b\"}],"
					     "\"instants\":[{\"event\":\"a\"}]}]}",
		 "instants[0]: Start event a already exists", "instant on a range start");
	bad_json("{\"events\": [" EV(
			 "a",
			 "uprobe:/b:f") "], \"tracks\": ["
					"{\"track_name\":\"t\",\"instants\":[{\"event\":\"a\"}]},"
					"{\"track_name\":\"u\",\"instants\":[{\"event\":\"a\"}]}]}",
		 "tracks[1].instants[0]: Instant event a already exists",
		 "one instant, two tracks");
	bad_json("{\"events\": [" EV(
			 "a",
			 "uprobe:/b:f") "], \"tracks\": ["
					"{\"track_name\":\"t\",\"instants\":[{\"name\":\"a\"}]}]}",
		 "unknown field \"name\"", "instant with name instead of event");
	bad_json("{\"events\": [" EV("a", "uprobe:/b:f") "], \"stop_triggers\": {}}",
		 "Invalid trigger format", "empty stop_triggers");
	bad_json("{\"events\": [" EV("a", "uprobe:/b:f") "], \"stop_triggers\": {\"thresholds\":["
							 "{\"start\":\"a\",\"end\":\"a\"}]}}",
		 "stop_triggers.thresholds[0]: missing field \"duration_us\"",
		 "threshold w/o duration");
	bad_json("{\"events\": [" EV("a", "uprobe:/b:f") "], \"stop_triggers\": {\"instants\":["
							 "{\"event\":\"b\"}]}}",
		 "Instant event b does not exist", "stop trigger on an unknown event");
}

static void test_systing_misc(void)
{
	struct ss_set *s = ss_set__new();

	tap_is_int(ss_set__parse_systing(
			   s, "m.json",
			   "{\"events\": [{\"name\":\"a\",\"event\":\"kretprobe:vfs_read\","
			   "\"args\":[{\"arg_type\":\"retval\",\"arg_name\":\"n\"}]},"
			   "{\"name\":\"b\",\"event\":\"kprobe:vfs_read\",\"args\":["
			   "{\"arg_index\":0,\"arg_type\":\"string\",\"arg_name\":\"common_x\"},"
			   "{\"arg_index\":1,\"arg_type\":\"long\",\"arg_name\":\"2nd\"},"
			   "{\"arg_index\":2,\"arg_type\":\"long\",\"arg_name\":\"2nd\"}]}],"
			   "\"tracks\": [{\"track_name\":\"empty\"}],"
			   "\"stop_triggers\": {\"thresholds\":[{\"start\":\"b\",\"end\":\"a\","
			   "\"duration_us\":0}],\"instants\":[{\"event\":\"a\"}]}}"),
		   0, "kprobes, odd arg names, empty track, both trigger kinds");
	tap_is_int(s->events[0].kind, SS_EV_KRETPROBE, "kretprobe kept as such");
	tap_is_str(s->events[0].spec, "kretprobe:vfs_read", "kprobe spec");
#if defined(__x86_64__)
	tap_is_str(s->events[1].fetchargs,
		   "a_common_x=+0(%di):string a_2nd=%si:s64 a_2nd_2=%dx:s64",
		   "kernel string, reserved and duplicate names renamed");
#endif
	tap_is_int(s->nr_thresholds, 1, "thresholds read");
	tap_is_int(s->nr_stop_events, 0, "instants ignored next to thresholds, as systing does");
	tap_is_int(s->nr_warnings, 2, "two warnings");
	tap_ok(s->nr_warnings == 2 && has(s->warnings[0], "m.json") &&
		       has(s->warnings[0], "ignored") && has(s->warnings[1], "neither ranges"),
	       "warnings name the file and say what");
	tap_is_int(ss_set__read_systing(s, "/nonexistent/cfg.json"), -ENOENT, "missing file");
	tap_ok(has(s->error, "--trace-event-config /nonexistent/cfg.json: No such file"),
	       "error names it: %s", s->error);
	ss_set__free(s);
}

#else /* !HAVE_JSON_C */

static void test_no_json(void)
{
	struct ss_set *s = ss_set__new();

	tap_ok(!ss_have_systing(), "built without json-c");
	tap_is_int(ss_set__read_systing(s, "tests/data/systing_mutex.json"), -ENOTSUP,
		   "--trace-event-config refused");
	tap_ok(has(s->error, "--trace-event-config tests/data/systing_mutex.json") &&
		       has(s->error, "built without json-c") && has(s->error, "libjson-c-dev"),
	       "error says why: %s", s->error);
	tap_is_int(ss_set__parse_systing(s, "x.json", "{}"), -ENOTSUP, "parse refused too");
	tap_is_int(s->nr_events, 0, "nothing added");
	ss_set__free(s);
}

#endif

int main(void)
{
	struct ss_set *s;
	enum ss_event_kind k;

	test_span_forms();
	test_span_errors();
	test_readymade();
	test_spans_file();
	tap_ok(ss_spec__kind("usdt:/a:b:c", false, &k) == 0 && k == SS_EV_USDT, "spec kind usdt");
	tap_ok(ss_spec__kind("tracepoint:a:b", true, &k) == 0 && k == SS_EV_TRACEPOINT,
	       "systing tracepoint kind");
	tap_is_str(ss_event_kind__name(SS_EV_URETPROBE), "uretprobe", "kind name");
	ss_set__free(NULL);
	s = ss_set__new();
	ss_set__free(s);
	tap_ok(1, "free accepts NULL and an empty set");
#if defined(HAVE_JSON_C)
	tap_ok(ss_have_systing(), "built with json-c");
	test_systing_mutex();
	test_systing_requests();
	test_systing_syscalls();
	test_systing_errors();
	test_systing_misc();
#else
	test_no_json();
#endif
	return tap_done();
}
