/* SPDX-License-Identifier: MIT */
/*
 * test_options: `pftrace record` and `pftrace dump` argument vectors in,
 * option values out: the defaults, each value kind (sizes, durations, ranged
 * integers, repeatable lists, callbacks), the errors for bad values and for
 * options that conflict, and the --help text.  Errors go to stderr (the TAP
 * stream is stdout): the test checks the return codes.
 */
#include "config.h"
#include "core/options.h"
#include "core/spanspec.h"
#include "core/util.h"
#include "tests/tap.h"

#include <stdarg.h>

#define MAXARGS 32

static char *args[MAXARGS + 1];

/* argv for "pftrace record ARGS...": args[0] is the subcommand, then the
 * NULL-terminated list (copied: getopt may permute, and values point into it) */
static int mkargv(const char *cmd, va_list ap)
{
	const char *a;
	int n = 0;

	args[n++] = (char *)cmd;
	while ((a = va_arg(ap, const char *)) && n < MAXARGS)
		args[n++] = (char *)a;
	args[n] = NULL;
	return n;
}

/* the span set of the last parse, freed by the next one and at the end */
static struct ss_set *last_spans;

static int rec(struct record_opts *o, ...)
{
	va_list ap;
	int n, ret;

	va_start(ap, o);
	n = mkargv("record", ap);
	va_end(ap);
	ss_set__free(last_spans);
	ret = record_opts_parse(o, n, args);
	last_spans = ret ? NULL : o->spans;
	return ret;
}

static int dump(struct dump_opts *o, ...)
{
	va_list ap;
	int n;

	va_start(ap, o);
	n = mkargv("dump", ap);
	va_end(ap);
	return dump_opts_parse(o, n, args);
}

static void test_defaults(void)
{
	struct record_opts o;

	tap_is_int(rec(&o, NULL), 0, "record with no options parses");
	tap_is_str(o.output, PFT_DEFAULT_OUTPUT, "default output");
	tap_is_int(o.duration_ns, 0, "no duration by default");
	tap_is_int(o.freq, PFT_DEFAULT_FREQ, "default frequency");
	tap_is_int(o.freq, 999, "the default frequency is 999 Hz");
	tap_is_int(o.period, 0, "no period by default");
	tap_is_int(o.buffer_size, 0, "default buffer size: chosen when opening (auto)");
	tap_is_int(record_opts_auto_buffer(24ULL << 30, 2), 16 << 20, "auto: 24G, 2 cpus: 16M");
	tap_is_int(record_opts_auto_buffer(4ULL << 30, 4), 4 << 20, "auto: 4G, 4 cpus: 4M");
	tap_is_int(record_opts_auto_buffer(512ULL << 20, 64), 4 << 20, "auto: never below 4M");
	tap_is_int(record_opts_auto_buffer(8ULL << 30, 2), 16 << 20, "auto: 8G, 2 cpus: 16M");
	tap_is_int(record_opts_auto_buffer(8ULL << 30, 4), 8 << 20, "auto: 8G, 4 cpus: 8M");
	tap_is_int(record_opts_auto_buffer(1ULL << 40, 1), 16 << 20, "auto: never above 16M");
	tap_is_int(o.cg_mode, CG_DWARF, "dwarf call graph by default");
	tap_is_int(o.stack_size, PFT_DEFAULT_STACK_SIZE, "default stack dump size");
	tap_is_int(o.stack_size, 8192, "the default stack dump is 8192 bytes");
	tap_is_int(o.nice, PFT_DEFAULT_NICE, "default nice");
	tap_is_int(o.nice, -20, "the default nice is -20");
	tap_is_int(o.no_stacks, 0, "stacks are on by default");
	tap_ok(!o.cmd && !o.npids && !o.cgroup && !o.nevents, "system-wide by default");
	tap_ok(!o.syscalls && !o.no_sched && !o.no_irq, "sched and irq on, syscalls off");
}

static void test_values(void)
{
	struct record_opts o;

	tap_is_int(rec(&o, "-o", "x.pb", "-d", "0.5", "-b", "512K", "--nice", "5", "-F", "99",
		       "--syscalls", "-vv", "-q", NULL),
		   0, "a full set of valid options parses");
	tap_is_str(o.output, "x.pb", "-o");
	tap_is_int(o.duration_ns, 500000000, "-d 0.5");
	tap_is_int(o.buffer_size, 512 << 10, "-b 512K");
	tap_is_int(o.nice, 5, "--nice 5");
	tap_is_int(o.freq, 99, "-F 99");
	tap_is_int(o.syscalls, 1, "--syscalls");
	tap_is_int(o.verbose, 2, "-vv counts");
	tap_is_int(o.quiet, 1, "-q");
	pft_verbose = pft_quiet = 0;

	tap_is_int(rec(&o, "--duration=500ms", "--buffer-size=4M", "--nice=-20", NULL), 0,
		   "long options with =");
	tap_is_int(o.duration_ns, 500000000, "--duration=500ms");
	tap_is_int(o.buffer_size, 4 << 20, "--buffer-size=4M");
	tap_is_int(o.nice, -20, "--nice=-20 (the minimum)");
	tap_is_int(rec(&o, "-d", "2m", NULL), 0, "-d 2m");
	tap_is_int(o.duration_ns, 120000000000ull, "-d 2m is two minutes");
	tap_is_int(rec(&o, "-d", "10", NULL), 0, "-d 10");
	tap_is_int(o.duration_ns, 10000000000ull, "-d 10 is ten seconds");

	tap_is_int(rec(&o, "--period", "100000", NULL), 0, "--period");
	tap_is_int(o.period, 100000, "--period 100000");
	tap_is_int(o.freq, 0, "--period leaves no frequency");

	tap_is_int(rec(&o, "-g", "fp", NULL), 0, "-g fp");
	tap_is_int(o.cg_mode, CG_FP, "fp call graph");
	tap_is_int(rec(&o, "--call-graph", "none", NULL), 0, "--call-graph none");
	tap_is_int(o.cg_mode, CG_NONE, "no call graph");
	tap_is_int(rec(&o, "-g", "dwarf,16383", NULL), 0, "-g dwarf,16383");
	tap_is_int(o.cg_mode, CG_DWARF, "dwarf call graph");
	tap_is_int(o.stack_size, 16384, "the stack size rounded up to 8 bytes");
	tap_is_int(rec(&o, "-g", "dwarf", NULL), 0, "-g dwarf");
	tap_is_int(o.stack_size, PFT_DEFAULT_STACK_SIZE, "-g dwarf: the default size");

	tap_is_int(rec(&o, "-p", "1", "--pid", "2", "-p", "3", NULL), 0, "-p repeated");
	tap_is_int(o.npids, 3, "three pids");
	tap_ok(o.pids[0] == 1 && o.pids[1] == 2 && o.pids[2] == 3, "the pids in order");

	tap_is_int(rec(&o, "-e", "sched:sched_wakeup", "--event", "irq:irq_handler_entry", NULL), 0,
		   "-e repeated");
	tap_is_int(o.nevents, 2, "two events");
	tap_is_str(o.events[1], "irq:irq_handler_entry", "the second event");
	tap_is_int(rec(&o, "-e", "uprobe:/bin/app:handle fd=%di:s32", "-e", "usdt:libc:p:n", NULL),
		   0, "-e with probe specs (a plugin resolves them)");
	tap_is_str(o.events[0], "uprobe:/bin/app:handle fd=%di:s32",
		   "the probe spec, fetch args kept");
	tap_is_int(rec(&o, "--plugin", "example:counter=no", "--plugin", "./x.so", NULL), 0,
		   "--plugin repeated");
	tap_is_int(o.nplugins, 2, "two plugins");
	tap_is_str(o.plugins[0], "example:counter=no", "the plugin and its options");
	tap_is_int(rec(&o, "--span", "w=uprobe:/bin/a:f,uretprobe:/bin/a:f", NULL), 0, "--span");
	tap_ok(o.spans && o.spans->nr_spans == 1 && o.spans->nr_events == 2,
	       "--span parsed into one span over two events");
	tap_is_int(rec(&o, "--span", "w=uprobe:/bin/a:f", NULL), -1, "--span without an END");

	tap_is_int(rec(&o, "-c", "/sys/fs/cgroup/x", NULL), 0, "-c");
	tap_is_str(o.cgroup, "/sys/fs/cgroup/x", "the cgroup directory");

	tap_is_int(rec(&o, "-d", "1", "--", "sleep", "-x", NULL), 0, "-- COMMAND");
	tap_ok(o.cmd && !strcmp(o.cmd[0], "sleep") && !strcmp(o.cmd[1], "-x") && !o.cmd[2],
	       "the command and its options after --");
	tap_is_int(rec(&o, "true", "-d", "1", NULL), 0, "a COMMAND without --");
	tap_ok(o.cmd && !strcmp(o.cmd[0], "true") && !strcmp(o.cmd[1], "-d"),
	       "options after the command are its own");
	tap_is_int(o.duration_ns, 0, "and not pftrace's");

	tap_is_int(rec(&o, "--no-stacks", "--no-offcpu", NULL), 0,
		   "--no-stacks with --no-offcpu (both say less)");
	tap_is_int(rec(&o, "--no-sched", "--no-irq", "--syscalls", NULL), 0,
		   "--no-sched --no-irq with --syscalls");
}

static void test_bad_values(void)
{
	static const char *const bad[][3] = {
		{"-d", "abc", "a duration that is not one"},
		{"-d", "0", "a zero duration"},
		{"-d", "-1", "a negative duration"},
		{"-d", "5x", "a duration with an unknown unit"},
		{"-b", "4X", "a size with an unknown unit"},
		{"-b", "4K", "a size under 8K"},
		{"-b", "2G", "a size over 1G"},
		{"--buffer-size", "", "an empty size"},
		{"-F", "0", "-F 0"},
		{"-F", "100001", "-F over the maximum"},
		{"-F", "1k", "-F with a suffix"},
		{"--period", "0", "--period 0"},
		{"--period", "-5", "a negative --period"},
		{"--nice", "20", "--nice over 19"},
		{"--nice", "-21", "--nice under -20"},
		{"--nice", "1.5", "a fractional --nice"},
		{"-g", "lbr", "an unknown call graph"},
		{"-g", "dwarf,32", "a dwarf stack size under the minimum"},
		{"-g", "dwarf,65536", "a dwarf stack size over the maximum"},
		{"-g", "dwarfx", "dwarf with garbage"},
		{"-p", "0", "pid 0"},
		{"-p", "abc", "a pid that is not a number"},
		{"-e", "nocolon", "an event without a system"},
		{"-e", "sched:", "an event with an empty name"},
		{"-e", ":x", "an event with an empty system"},
		{"-e", "a/b:c", "an event with a slash"},
		{"-o", "", "an empty output name"},
	};
	struct record_opts o;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		tap_is_int(rec(&o, bad[i][0], bad[i][1], NULL), -1, bad[i][2]);
	tap_is_int(rec(&o, "-F", NULL), -1, "-F without its argument");
	tap_is_int(rec(&o, "--period", NULL), -1, "--period without its argument");
	tap_is_int(rec(&o, "-x", NULL), -1, "an unknown short option");
	tap_is_int(rec(&o, "--bogus", NULL), -1, "an unknown long option");
	tap_is_int(rec(&o, "--syscalls=1", NULL), -1, "an argument to a flag");
}

static void test_limits(void)
{
	struct record_opts o;
	char *many[1 + (PFT_MAX_PIDS + 1) * 2 + 1]; /* record, -p 1 x (max + 1), NULL */
	int i, n = 0;

	tap_is_int(rec(&o, "-b", "8K", NULL), 0, "-b 8K (the minimum)");
	tap_is_int(rec(&o, "-b", "1G", NULL), 0, "-b 1G (the maximum)");
	tap_is_int(rec(&o, "-F", "100000", NULL), 0, "-F 100000 (the maximum)");
	tap_is_int(rec(&o, "--nice", "19", NULL), 0, "--nice 19 (the maximum)");
	tap_is_int(rec(&o, "-g", "dwarf,61432", NULL), 0, "the largest dwarf stack size");
	tap_is_int(rec(&o, "-g", "dwarf,64", NULL), 0, "the smallest dwarf stack size");

	many[n++] = "record";
	for (i = 0; i <= PFT_MAX_PIDS; i++) {
		many[n++] = "-p";
		many[n++] = "1";
	}
	many[n] = NULL;
	tap_is_int(record_opts_parse(&o, n, many), -1, "one -p more than PFT_MAX_PIDS");
	tap_is_int(record_opts_parse(&o, n - 2, many), 0, "PFT_MAX_PIDS times -p");
	tap_is_int(o.npids, PFT_MAX_PIDS, "all of them kept");
}

static void test_conflicts(void)
{
	struct record_opts o;

	tap_is_int(rec(&o, "-p", "1", "-c", "/sys/fs/cgroup", NULL), -1, "-p with -c");
	tap_is_int(rec(&o, "-p", "1", "--", "true", NULL), -1, "-p with a COMMAND");
	tap_is_int(rec(&o, "-c", "/sys/fs/cgroup", "true", NULL), -1, "-c with a COMMAND");
	tap_is_int(rec(&o, "-F", "99", "--period", "1000", NULL), -1, "-F with --period");
	tap_is_int(rec(&o, "--period", "1000", "-F", "99", NULL), -1, "--period with -F");
	tap_is_int(rec(&o, "--no-stacks", "-g", "fp", NULL), -1, "--no-stacks with --call-graph");
	tap_is_int(rec(&o, "--no-stacks", "--sleep-stacks", NULL), -1,
		   "--no-stacks with --sleep-stacks");
	tap_is_int(rec(&o, "-F", "99", "--no-stacks", NULL), -1, "--no-stacks with -F");
	tap_is_int(rec(&o, "--no-stacks", "--period", "10", NULL), -1, "--no-stacks with --period");
	tap_is_int(rec(&o, "--sleep-stacks", "--no-offcpu", NULL), -1,
		   "--sleep-stacks with --no-offcpu");
	tap_is_int(rec(&o, "--no-sched", "--no-irq", NULL), -1, "nothing to record");

	/* the validation step on its own */
	tap_is_int(rec(&o, "-p", "1", NULL), 0, "-p alone");
	o.cgroup = "/sys/fs/cgroup";
	tap_is_int(record_opts_validate(&o), -1, "record_opts_validate() refuses -p with -c");
}

static void test_dump(void)
{
	struct dump_opts d;

	tap_is_int(dump(&d, "t.pb", NULL), 0, "dump TRACE");
	tap_is_str(d.input, "t.pb", "the trace file");
	tap_ok(!d.raw_order && !d.folded && !d.stream && !d.no_stacks, "dump defaults");
	tap_is_int(dump(&d, "--folded", "--stream", "cycles", "--no-sort", "--no-stacks", "t.pb",
			NULL),
		   0, "dump with every option");
	tap_ok(d.raw_order && d.folded && d.no_stacks, "dump flags");
	tap_is_str(d.stream, "cycles", "--stream");
	tap_is_int(dump(&d, NULL), -1, "dump without a trace");
	tap_is_int(dump(&d, "a.pb", "b.pb", NULL), -1, "dump of two traces");
	tap_is_int(dump(&d, "--stream", NULL), -1, "--stream without its argument");
}

/* runs of blanks and newlines to one space: the help is word-wrapped */
static void squeeze(char *s)
{
	char *d = s, *start = s;

	for (; *s; s++) {
		char c = *s == '\n' ? ' ' : *s;

		if (c == ' ' && d > start && d[-1] == ' ')
			continue;
		*d++ = c;
	}
	*d = 0;
}

/* the help text: every option, the defaults from the constants, stacks on */
static void test_help(void)
{
	char buf[16384];
	size_t n;
	FILE *f = tmpfile();

	if (!f) {
		tap_ok(0, "tmpfile: %s", strerror(errno));
		return;
	}
	record_opts_usage(f);
	rewind(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	fclose(f);
	tap_ok(n > 0 && n < sizeof(buf) - 1, "record --help: %zu bytes of help", n);
	for (n = 0; buf[n];) {
		size_t len = strcspn(buf + n, "\n");

		if (len > 80) {
			tap_ok(0, "record --help: a line of %zu columns: %.*s", len, (int)len,
			       buf + n);
			break;
		}
		n += len + (buf[n + len] == '\n');
	}
	if (!buf[n])
		tap_ok(1, "record --help: no line over 80 columns");
	squeeze(buf);
	tap_ok(strstr(buf, "usage: pftrace record") != NULL, "record --help: synopsis");
	tap_ok(strstr(buf, "Stacks are on by default") != NULL, "record --help: stacks are on");
	tap_ok(strstr(buf, "--no-stacks turns all stacks off") != NULL,
	       "record --help: how to turn them off");
	tap_ok(strstr(buf, "(default " PFT_STR(PFT_DEFAULT_FREQ) ")") != NULL,
	       "record --help: the default frequency");
	tap_ok(strstr(buf, "4M to 16M") != NULL, "record --help: the default buffer size");
	tap_ok(strstr(buf, "(default -20,") != NULL, "record --help: the default nice");
	tap_ok(strstr(buf, "default 8192") != NULL, "record --help: the default stack size");
	tap_ok(strstr(buf, "-F, --freq HZ") != NULL, "record --help: a short and long option");
	tap_ok(strstr(buf, " --period N") != NULL, "record --help: a long-only option");
}

int main(void)
{
	test_defaults();
	test_values();
	test_bad_values();
	test_limits();
	test_conflicts();
	test_dump();
	test_help();
	ss_set__free(last_spans);
	tap_plan(tap_n);
	return tap_failed ? 1 : 0;
}
