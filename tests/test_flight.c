/* SPDX-License-Identifier: MIT */
/*
 * test_flight: the writer's flight-recorder mode (pw_writer__ring_begin).
 *
 * A recording many times the budget: kernel events numbered by their pid, a
 * sample stream whose stacks are interned, instants with interned names, a
 * slice opened before the first segment is dropped and closed at the very
 * end.  Read back with proto/reader, the trace must be within the budget and
 * hold the prologue, the process tree kept aside for the first kept segment,
 * exactly the last events with no gap, every stack and name resolved, and
 * the early slice (its BEGIN carried) closed by its END.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <fcntl.h>

#include "proto/reader.h"
#include "proto/samples.h"
#include "proto/writer.h"
#include "tests/tap.h"

#define BUDGET ((uint64_t)1 << 20)
#define NEVENTS 200000u
#define T0 1000000000ull

struct seen {
	int prologue_clock, sysinfo, prologue_proc, snap_proc;
	uint64_t first_pid, last_pid, nev, gaps;
	uint64_t samples, unresolved;
	uint64_t ticks, tick_unnamed, last_tick;
	int outer_begin, outer_end_matched, other_begins;
	uint64_t outer_begin_ts;
};

static void on_event(void *ctx, const struct prd_event *e)
{
	struct seen *s = ctx;

	if (strcmp(e->name, "sched_waking"))
		return;
	if (s->nev && e->pid != s->last_pid + 1)
		s->gaps++;
	if (!s->nev)
		s->first_pid = e->pid;
	s->last_pid = e->pid;
	s->nev++;
}

static void on_process(void *ctx, uint64_t ts, const struct prd_process *p)
{
	struct seen *s = ctx;

	(void)ts;
	if (p->pid == 1)
		s->prologue_proc = 1;
	if (p->pid == 7)
		s->snap_proc = 1;
}

static void on_clock(void *ctx, const struct prd_clock *c, size_t n)
{
	(void)c;
	((struct seen *)ctx)->prologue_clock = n > 0;
}

static void on_sysinfo(void *ctx, const struct prd_sysinfo *si)
{
	(void)si;
	((struct seen *)ctx)->sysinfo = 1;
}

static void on_sample(void *ctx, const struct prd_sample *smp)
{
	struct seen *s = ctx;

	s->samples++;
	if (!smp->stack_resolved || smp->nframes != 2 || strcmp(smp->frames[1].function, "leaf"))
		s->unresolved++;
}

static void on_track(void *ctx, const struct prd_track_event *e)
{
	struct seen *s = ctx;

	if (e->type == PRD_INSTANT) {
		s->ticks++;
		if (strcmp(e->name, "tick") || e->nargs != 1 || strcmp(e->args[0].name, "n"))
			s->tick_unnamed++;
		else
			s->last_tick = (uint64_t)e->args[0].i;
	} else if (e->type == PRD_SLICE_BEGIN) {
		if (!strcmp(e->name, "outer")) {
			s->outer_begin++;
			s->outer_begin_ts = e->ts;
		} else {
			s->other_begins++;
		}
	} else if (e->type == PRD_SLICE_END) {
		if (e->matched && !strcmp(e->name, "outer") && e->begin_ts == T0)
			s->outer_end_matched++;
	}
}

static void snapshot(void *arg)
{
	struct pw_writer *w = arg;
	struct pw_process p = {.pid = 7, .ppid = 1, .cmdline = "snap", .cmdline_len = 5};
	struct pw_thread t = {.tid = 7, .tgid = 7, .name = "snap"};

	pw_process_tree(w, T0, &p, 1, &t, 1);
}

static int record(const char *path, const char *dir, unsigned nevents, struct pw_ring_stats *st)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	struct pw_writer *w = fd >= 0 ? pw_writer__new(fd, 2) : NULL;
	struct pw_clock clk = {.clock_id = PW_CLOCK_BOOTTIME, .ts = T0};
	struct pw_system_info si = {.sysname = "Linux",
				    .release = "6.18",
				    .machine = "x86_64",
				    .page_size = 4096,
				    .num_cpus = 2};
	struct pw_process init = {.pid = 1, .cmdline = "init", .cmdline_len = 5};
	struct pw_stream_desc sd = {.name = "cpu-clock", .counter = 1, .frequency = 99};
	struct pw_frame fr[2] = {
		{.kind = PW_FRAME_NATIVE,
		 .function = "main",
		 .rel_pc = 0x10,
		 .map_path = "/bin/x",
		 .map_start = 0x1000,
		 .map_end = 0x2000},
		{.kind = PW_FRAME_NATIVE,
		 .function = "leaf",
		 .rel_pc = 0x20,
		 .map_path = "/bin/x",
		 .map_start = 0x1000,
		 .map_end = 0x2000},
	};
	struct pw_stream *ps;
	uint64_t th;
	unsigned i;
	int ret;

	if (!w)
		return -1;
	pw_clock_snapshot(w, &clk, 1);
	pw_system_info(w, &si);
	pw_process_tree(w, T0, &init, 1, NULL, 0);
	ret = pw_writer__ring_begin(w, BUDGET, dir);
	tap_is_int(ret, 0, "ring begins after the prologue");
	ps = pw_stream__new(w, &sd);
	th = pw_track_thread(w, 7, 7);
	pw_slice_begin(w, th, T0, "outer", NULL, 0);
	for (i = 0; i < nevents; i++) {
		struct pw_ev e = {.ts = T0 + 1000 + i * 10ull, .cpu = 0, .pid = i};

		pw_ftrace_sched_waking(w, &e, "worker", 7, 120, 0);
		if (i % 50 == 0) {
			struct pw_sample smp = {.ts = e.ts,
						.pid = 7,
						.tid = 7,
						.cpu_mode = PW_MODE_USER,
						.frames = fr,
						.nframes = 2};
			struct pw_arg a = {.name = "n", .kind = PW_ARG_INT, .v.i = i};

			pw_stream__sample(ps, &smp);
			pw_instant(w, th, e.ts, "tick", &a, 1);
		}
		if (i % 64 == 63)
			pw_writer__flush_cpu(w, e.cpu);
		if (i % 512 == 0 && pw_writer__ring_due(w))
			pw_writer__ring_rotate(w, snapshot, w);
	}
	pw_slice_end(w, th, T0 + 1000 + nevents * 10ull, NULL, 0);
	ret = pw_writer__finish(w);
	pw_writer__ring_stats(w, st);
	ret = ret ? ret : pw_writer__close(w);
	return ret;
}

int main(void)
{
	char dir[] = "/tmp/pftrace-flight-XXXXXX", path[96];
	struct pw_ring_stats st;
	struct prd_callbacks cb = {.event = on_event,
				   .process = on_process,
				   .clock_snapshot = on_clock,
				   .system_info = on_sysinfo,
				   .sample = on_sample,
				   .track_event = on_track};
	struct seen s;
	struct stat sb;
	if (!mkdtemp(dir)) {
		tap_ok(0, "mkdtemp: %s", strerror(errno));
		return tap_done();
	}
	snprintf(path, sizeof(path), "%s/t.pb", dir);

	/* many times the budget */
	tap_is_int(record(path, dir, NEVENTS, &st), 0, "recorded and closed");
	if (stat(path, &sb) < 0)
		sb.st_size = -1;
	tap_ok(sb.st_size >= 0 && (uint64_t)sb.st_size <= BUDGET &&
		       (uint64_t)sb.st_size >= BUDGET / 2,
	       "the trace is within the budget and not far below (%lld bytes)",
	       (long long)sb.st_size);
	tap_ok((uint64_t)sb.st_size == st.kept_bytes, "the stats give the file's size");
	tap_ok(st.segments_dropped > 10 && st.kept_segments >= 4 && st.kept_segments <= 9,
	       "segments: %llu dropped, %llu kept", (unsigned long long)st.segments_dropped,
	       (unsigned long long)st.kept_segments);
	memset(&s, 0, sizeof(s));
	tap_is_int(prd_read_file(path, &cb, &s, NULL), 0, "the trace reads back whole");
	tap_ok(s.prologue_clock && s.sysinfo && s.prologue_proc, "the prologue is kept");
	tap_ok(s.snap_proc, "the first kept segment's process tree is there");
	tap_ok(s.nev > 1000, "events kept: %llu", (unsigned long long)s.nev);
	tap_is_int((long long)s.last_pid, NEVENTS - 1, "the last event is the last recorded");
	tap_is_int((long long)s.gaps, 0, "no gap in the kept events");
	tap_is_int((long long)(s.first_pid + s.nev), NEVENTS, "the kept events are a suffix");
	tap_is_int((long long)s.nev, (long long)st.kept_events, "kept events as counted");
	tap_is_int((long long)(st.kept_events + st.events_dropped), NEVENTS,
		   "kept + overwritten = recorded");
	tap_ok(s.samples > 20, "samples kept: %llu", (unsigned long long)s.samples);
	tap_is_int((long long)s.unresolved, 0, "every kept sample's stack resolves");
	tap_ok(s.ticks > 20, "instants kept: %llu", (unsigned long long)s.ticks);
	tap_is_int((long long)s.tick_unnamed, 0, "every instant's name and argument resolve");
	tap_is_int((long long)s.last_tick, (NEVENTS - 1) / 50 * 50, "the last instant is there");
	tap_is_int(s.outer_begin, 1, "the slice begun before the kept part is carried once");
	tap_ok(s.outer_begin_ts == T0, "at its own time");
	tap_is_int(s.outer_end_matched, 1, "and its END closes it");
	tap_is_int(s.other_begins, 0, "no other BEGIN");
	if (getenv("PFTRACE_TEST_KEEP"))
		rename(path, getenv("PFTRACE_TEST_KEEP"));
	unlink(path);

	/* within the budget: nothing dropped, everything there */
	tap_is_int(record(path, dir, 2000, &st), 0, "a short recording");
	tap_is_int((long long)st.segments_dropped, 0, "nothing overwritten");
	memset(&s, 0, sizeof(s));
	tap_is_int(prd_read_file(path, &cb, &s, NULL), 0, "reads back");
	tap_is_int((long long)s.nev, 2000, "every event");
	tap_is_int((long long)s.first_pid, 0, "from the first");
	tap_is_int(s.outer_begin, 1, "the slice once");
	tap_is_int(s.snap_proc, 0, "no carry written when nothing was dropped");
	unlink(path);

	/* the segments' directory must be writable */
	{
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		struct pw_writer *w = pw_writer__new(fd, 1);

		tap_ok(pw_writer__ring_begin(w, BUDGET, "/nonexistent/dir") < 0,
		       "no directory for the segments: an error");
		pw_writer__close(w);
		unlink(path);
	}
	tap_ok(rmdir(dir) == 0, "no segment file left behind");
	return tap_done();
}
