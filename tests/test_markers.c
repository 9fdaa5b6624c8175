/* SPDX-License-Identifier: MIT */
/* Unit tests of core/markers: parsing canned lines, pairing through a fake host. */
#include "config.h"
#include "core/markers.h"
#include "tap.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#if defined(HAVE_JSON_C) && !defined(MARKERS_NO_JSON_C)
#define WITH_JSON 1
#else
#define WITH_JSON 0
#endif

/* --- a fake host that logs the calls as text ------------------------------ */

static char logbuf[65536];
static size_t logpos;

static void logf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logf_(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	logpos += (size_t)vsnprintf(logbuf + logpos, sizeof(logbuf) - logpos, fmt, ap);
	va_end(ap);
}

static void log_args(const struct pft_arg *a, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		switch (a[i].kind) {
		case PFT_ARG_STR:
			logf_(" %s=%s", a[i].name, a[i].v.s);
			break;
		case PFT_ARG_INT:
			logf_(" %s=%lld", a[i].name, (long long)a[i].v.i);
			break;
		case PFT_ARG_BOOL:
			logf_(" %s=%s", a[i].name, a[i].v.b ? "true" : "false");
			break;
		default:
			logf_(" %s=?", a[i].name);
			break;
		}
	}
}

/* tracks: thread T<pid>/<tid>, process P<pid>:<name>, counter C<pid>:<name> -- as ids */
static char tracks[64][300];
static unsigned ntracks;

static pft_track track(const char *name)
{
	for (unsigned i = 0; i < ntracks; i++)
		if (!strcmp(tracks[i], name))
			return i + 1;
	snprintf(tracks[ntracks], sizeof(tracks[0]), "%s", name);
	return ++ntracks;
}

static pft_track f_track_thread(struct pft_host *h, uint32_t pid, uint32_t tid)
{
	char n[64];

	(void)h;
	snprintf(n, sizeof(n), "T%u/%u", pid, tid);
	return track(n);
}

static pft_track f_track_process(struct pft_host *h, uint32_t pid, const char *name)
{
	char n[300];

	(void)h;
	snprintf(n, sizeof(n), "P%u:%s", pid, name);
	return track(n);
}

static pft_track f_track_counter(struct pft_host *h, uint32_t pid, const char *name)
{
	char n[300];

	(void)h;
	snprintf(n, sizeof(n), "C%u:%s", pid, name);
	return track(n);
}

static void f_begin(struct pft_host *h, pft_track t, uint64_t ts, const char *name,
		    const struct pft_arg *a, unsigned n)
{
	(void)h;
	logf_("B %s %llu %s", tracks[t - 1], (unsigned long long)ts, name);
	log_args(a, n);
	logf_("\n");
}

static void f_end(struct pft_host *h, pft_track t, uint64_t ts, const struct pft_arg *a, unsigned n)
{
	(void)h;
	logf_("E %s %llu", tracks[t - 1], (unsigned long long)ts);
	log_args(a, n);
	logf_("\n");
}

static void f_instant(struct pft_host *h, pft_track t, uint64_t ts, const char *name,
		      const struct pft_arg *a, unsigned n)
{
	(void)h;
	logf_("I %s %llu %s", tracks[t - 1], (unsigned long long)ts, name);
	log_args(a, n);
	logf_("\n");
}

static void f_counter(struct pft_host *h, pft_track t, uint64_t ts, double v)
{
	(void)h;
	logf_("C %s %llu %g\n", tracks[t - 1], (unsigned long long)ts, v);
}

static const struct pft_host_ops fake = {
	.abi_version = PFT_ABI_VERSION,
	.track_thread = f_track_thread,
	.track_process = f_track_process,
	.track_counter = f_track_counter,
	.slice_begin = f_begin,
	.slice_end = f_end,
	.instant = f_instant,
	.counter = f_counter,
};

static uint32_t fake_ppid(void *ctx, uint32_t pid)
{
	(void)ctx;
	return pid == 100 ? 1 : 0;
}

static struct mk_engine eng;

static void reset(void)
{
	mk_engine__free(&eng);
	mk_engine__init(&eng, NULL, &fake);
	eng.ppid = fake_ppid;
	logpos = 0;
	logbuf[0] = 0;
}

static void feed(uint64_t ts, uint32_t pid, uint32_t tid, const char *line)
{
	struct mk_writer w = {ts, pid, tid};

	mk_engine__feed(&eng, &w, line, strlen(line));
}

/* --- parser ------------------------------------------------------------------ */

static struct mk_line L;

static int P(const char *s)
{
	return mk_parse(s, strlen(s), &L);
}

static void test_parse_sysdig(void)
{
	tap_is_int(P(">:t:req.db:a=1,b=xy:\n"), 0, "sysdig begin parses");
	tap_is_int(L.kind, MK_SD_BEGIN, "... a begin");
	tap_is_int(L.id_kind, MK_ID_TID, "... ID t");
	tap_is_str(L.tags, "req.db", "... tags");
	tap_is_int(L.nargs, 2, "... two args");
	tap_is_str(L.args[1].key, "b", "... second key");
	tap_is_str(L.args[1].val, "xy", "... second value");
	tap_is_int(P("<:p:x::"), 0, "end with empty args");
	tap_is_int(L.kind, MK_SD_END, "... an end");
	tap_is_int(L.id_kind, MK_ID_PID, "... ID p");
	tap_is_int(P(">:pp:x::"), 0, "ID pp");
	tap_is_int(L.id_kind, MK_ID_PPID, "... pp");
	tap_is_int(P(">:12345:x::"), 0, "numeric ID");
	tap_is_int((int)L.id, 12345, "... its value");
	tap_is_int(P(">::website-latency::"), 0, "empty ID (sysdig's example)");
	tap_is_int((int)L.id, 0, "... is 0");
	tap_is_int(P(">::x"), 0, "no trailing colons");
	tap_is_int(P(">:abc:x::"), -EINVAL, "bad ID");
	tap_is_int(P(">:1:::"), -EINVAL, "empty tags");
	tap_is_int(P(">:1:a..b::"), -EINVAL, "empty tag between dots");
	tap_is_int(P(">:1:a:k:"), -EINVAL, "argument without '='");
	tap_is_int(P(">:1:a:=v:"), -EINVAL, "argument without a key");
	tap_is_int(P(">:1:a::junk"), -EINVAL, "text after the closing ':'");
	tap_is_int(P(">:1"), -EINVAL, "truncated");
	tap_is_int(P("hello"), -EINVAL, "not a marker");
	tap_is_int(L.kind, MK_NONE, "... kind none");
}

static void test_parse_atrace(void)
{
	tap_is_int(P("B|42|do work"), 0, "atrace B");
	tap_is_int(L.kind, MK_AT_BEGIN, "... begin");
	tap_is_int(L.pid, 42, "... pid");
	tap_is_str(L.tags, "do work", "... name");
	tap_is_int(P("E|42"), 0, "atrace E|pid");
	tap_is_int(L.kind, MK_AT_END, "... end");
	tap_is_int(P("E"), 0, "bare E");
	tap_is_int(P("C|42|queue depth|17.5"), 0, "atrace C");
	tap_ok(L.value == 17.5, "... value 17.5");
	tap_is_str(L.tags, "queue depth", "... counter name");
	tap_is_int(P("S|42|fetch|7"), 0, "atrace S");
	tap_is_int((int)L.cookie, 7, "... cookie");
	tap_is_int(P("F|42|fetch|7"), 0, "atrace F");
	tap_is_int(L.kind, MK_AT_ASYNC_END, "... async end");
	tap_is_int(P("I|42|tick"), 0, "atrace I");
	tap_is_int(P("C|42|x|abc"), -EINVAL, "counter value not a number");
	tap_is_int(P("B|x|name"), -EINVAL, "pid not a number");
	tap_is_int(P("B|42|"), -EINVAL, "no name");
	tap_is_int(P("S|42|fetch"), -EINVAL, "no cookie");
}

static void test_parse_json(void)
{
	int r = P("[\">\", 12, [\"a\", \"b\"], [{\"k\": \"v\"}, {\"n\": 3}]]");

	if (!WITH_JSON) {
		tap_is_int(r, -ENOTSUP, "JSON without json-c: unsupported");
		tap_is_int(P("[\"<\", 12, [\"a\"]]"), -ENOTSUP, "... every JSON line");
		return;
	}
	tap_is_int(r, 0, "JSON begin parses");
	tap_is_int(L.kind, MK_SD_BEGIN, "... begin");
	tap_is_int((int)L.id, 12, "... ID");
	tap_is_str(L.tags, "a.b", "... tags joined");
	tap_is_int(L.nargs, 2, "... two args");
	tap_is_str(L.args[1].key, "n", "... key");
	tap_is_str(L.args[1].val, "3", "... number as text");
	tap_is_int(P("[\"<\", \"t\", [\"a\"]]"), 0, "JSON end with ID t, no args");
	tap_is_int(L.id_kind, MK_ID_TID, "... t");
	tap_is_int(P("[\">\", 1, [\"a\"], [1]]"), -EINVAL, "args not objects");
	tap_is_int(P("[\"?\", 1, [\"a\"]]"), -EINVAL, "bad direction");
	tap_is_int(P("[\">\", 1, [\"a\"]"), -EINVAL, "truncated JSON");
	tap_is_int(P("[\">\", 1, []]"), -EINVAL, "no tags");
}

static void test_parse_long(void)
{
	static char big[MK_MAX_LINE * 2];

	memset(big, 'x', sizeof(big) - 1);
	memcpy(big, ">:1:", 4);
	tap_is_int(P(big), 0, "an 8 KiB line: cut at 4 KiB, tags still valid");
	tap_ok(strlen(L.tags) == MK_MAX_LINE - 4, "... tags are the 4 KiB less the prefix");
	big[100] = ':';
	big[101] = 'k';
	tap_is_int(P(big), -EINVAL, "a long line with garbage args");
}

/* --- engine ------------------------------------------------------------------ */

static void test_engine_nesting(void)
{
	reset();
	feed(100, 10, 11, ">:t:req:a=1:");
	feed(200, 10, 11, ">:t:req.db::");
	feed(300, 10, 11, "<:t:req.db:rows=3:");
	feed(400, 10, 11, "<:t:req::");
	tap_is_str(logbuf,
		   "B T10/11 200 req.db id=11\n"
		   "E T10/11 300 rows=3\n"
		   "B T10/11 100 req id=11 a=1\n"
		   "E T10/11 400\n",
		   "nested tags: child then parent on the thread track");
	tap_is_int((int)eng.st.begins, 2, "two begins");
	tap_is_int((int)eng.st.ends, 2, "two ends");
}

static void test_engine_ids(void)
{
	reset();
	feed(1, 100, 101, ">:p:a::");
	feed(2, 100, 101, ">:pp:a::");
	feed(3, 100, 101, ">::a::");
	feed(4, 100, 101, ">:77:a::");
	feed(5, 100, 101, "<:77:a::");
	feed(6, 100, 101, "<::a::");
	feed(7, 100, 101, "<:pp:a::");
	feed(8, 100, 101, "<:p:a::");
	tap_is_str(logbuf,
		   "B T100/101 4 a id=77\nE T100/101 5\n"
		   "B T100/101 3 a\nE T100/101 6\n"
		   "B T100/101 2 a id=1\nE T100/101 7\n"
		   "B T100/101 1 a id=100\nE T100/101 8\n",
		   "IDs p, pp, empty and numbers pair by value");
	reset();
	feed(1, 100, 101, ">:5:a::");
	feed(2, 100, 101, "<:6:a::");
	feed(3, 100, 101, "<:5:b::");
	tap_is_int((int)eng.st.unmatched, 2, "ends with another ID or tags: unmatched");
	tap_is_str(logbuf, "", "... nothing emitted");
	mk_engine__finish(&eng, 10);
	tap_is_str(logbuf, "B T100/101 1 a id=5\nE T100/101 10 unfinished=true\n",
		   "open at the end: closed there, unfinished");
	tap_is_int((int)eng.st.unfinished, 1, "... counted");
}

static void test_engine_overlap(void)
{
	reset();
	/* a opens, b opens, a ends while b is open: a does not nest */
	feed(1, 10, 11, ">:1:a::");
	feed(2, 10, 11, ">:2:b::");
	feed(3, 10, 11, "<:1:a::");
	feed(4, 10, 11, "<:2:b::");
	tap_is_str(logbuf,
		   "B P10:a 1 a id=1\nE P10:a 3\n"
		   "B T10/11 2 b id=2\nE T10/11 4\n",
		   "overlapping spans: the outer one on a process track");
	tap_is_int((int)eng.st.async_spans, 1, "... counted as async");
	reset();
	feed(1, 10, 11, ">:9:job::");
	feed(2, 10, 12, "<:9:job::");
	tap_is_str(logbuf, "B P10:job 1 job id=9\nE P10:job 2\n",
		   "ended on another thread: a process track");
}

static void test_engine_limit(void)
{
	char line[64];
	int i;

	reset();
	for (i = 0; i < MK_MAX_OPEN + 5; i++) {
		snprintf(line, sizeof(line), ">:3:t%d::", i);
		feed((uint64_t)i + 1, 10, 11, line);
	}
	tap_is_int((int)eng.st.dropped, 5, "more than 128 open per ID: 5 dropped");
	feed(1000, 10, 11, ">:4:other::");
	tap_is_int((int)eng.st.begins, MK_MAX_OPEN + 1, "... another ID still opens");
	feed(1001, 10, 11, "<:3:t127::");
	tap_is_int((int)eng.st.ends, 1, "... an end still matches");
	mk_engine__finish(&eng, 2000);
	tap_is_int((int)eng.st.unfinished, MK_MAX_OPEN, "... the rest closed at the end");
}

static void test_engine_atrace(void)
{
	reset();
	feed(1, 10, 11, "B|10|outer");
	feed(2, 10, 11, "B|10|inner");
	feed(3, 10, 11, "E|10");
	feed(4, 10, 11, "E|10");
	feed(5, 10, 11, "E|10");
	feed(6, 10, 11, "C|10|depth|3");
	feed(7, 10, 12, "S|10|fetch|1");
	feed(8, 10, 12, "S|10|fetch|2");
	feed(9, 10, 13, "F|10|fetch|1");
	feed(10, 10, 13, "F|10|fetch|2");
	feed(11, 10, 13, "F|10|fetch|3");
	feed(12, 10, 11, "I|10|tick");
	tap_is_str(logbuf,
		   "B T10/11 1 outer\nB T10/11 2 inner\nE T10/11 3\nE T10/11 4\n"
		   "C C10:depth 6 3\n"
		   "B P10:fetch 7 fetch cookie=1\nB P10:fetch #2 8 fetch cookie=2\n"
		   "E P10:fetch 9\nE P10:fetch #2 10\n"
		   "I T10/11 12 tick\n",
		   "atrace B/E, C, S/F with concurrent cookies, I");
	tap_is_int((int)eng.st.unmatched, 2, "an E and an F too many: unmatched");
	feed(13, 10, 11, "B|10|left open");
	feed(14, 10, 12, "S|10|fetch|4");
	logpos = 0;
	mk_engine__finish(&eng, 20);
	tap_is_str(logbuf, "E T10/11 20 unfinished=true\nE P10:fetch 20 unfinished=true\n",
		   "open atrace slices closed at the end");
}

static void test_engine_garbage(void)
{
	static char big[MK_MAX_LINE + 100];

	reset();
	feed(1, 10, 11, ">:zz:a::");
	feed(2, 10, 11, "random text");
	feed(3, 10, 11, "C|10|x|notanumber");
	memset(big, 'y', sizeof(big) - 1);
	big[0] = '>';
	big[1] = ':';
	big[2] = ':';
	feed(4, 10, 11, big);
	feed(5, 10, 11, ">:1:good::");
	feed(6, 10, 11, "<:1:good::");
	tap_is_int((int)eng.st.bad, 2, "two malformed lines counted");
	tap_is_int((int)eng.st.other, 1, "a line of no known form counted");
	tap_is_int((int)eng.st.ends, 1, "a good span after garbage still pairs");
	tap_is_int((int)eng.st.begins, 2, "... (the 4 KiB line was a begin, cut)");
	mk_engine__finish(&eng, 7);
	tap_is_int((int)eng.st.lines, 6, "six lines seen");
}

int main(void)
{
	test_parse_sysdig();
	test_parse_atrace();
	test_parse_json();
	test_parse_long();
	test_engine_nesting();
	test_engine_ids();
	test_engine_overlap();
	test_engine_limit();
	test_engine_atrace();
	test_engine_garbage();
	mk_engine__free(&eng);
	return tap_done();
}
