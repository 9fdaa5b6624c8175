/* SPDX-License-Identifier: MIT */
/*
 * core/record_summary: the end-of-recording report of `pftrace record` on
 * stderr, read from the session's statistics: a short one always (unless
 * -q), more with -v.
 */
#include "config.h"
#include "core/cmds.h"
#include "core/session.h"
#include "core/util.h"
#include "proto/writer.h"

#include <stdio.h>

static void summary_events(const struct session *s, const struct session_stats *st, double secs)
{
	struct session_event_stats ev;
	unsigned i;

	/* filtered recordings read some events system-wide and keep those of
	 * the target: show both */
	if (st->filtered)
		fprintf(stderr, "  %-34s %12s %12s %12s\n", "event", "recorded", "per sec", "read");
	else
		fprintf(stderr, "  %-34s %12s %12s\n", "event", "recorded", "per sec");
	for (i = 0; !session__event_stats(s, i, &ev); i++) {
		if (!ev.read && !pft_verbose)
			continue;
		fprintf(stderr, "  %-34s %12llu %12.0f", ev.name, (unsigned long long)ev.kept,
			(double)ev.kept / secs);
		if (st->filtered)
			fprintf(stderr, " %12llu", (unsigned long long)ev.read);
		fprintf(stderr, "\n");
	}
}

static void summary_cpus(const struct session *s)
{
	struct session_cpu_stats c;
	char b1[32];
	int cpu, ncpus = session__ncpus(s);

	fprintf(stderr, "  %-6s %12s %14s %14s %15s %12s\n", "cpu", "events read", "lost records",
		"lost samples", "skipped batches", "bytes read");
	for (cpu = 0; cpu < ncpus; cpu++) {
		if (session__cpu_stats(s, cpu, &c))
			continue;
		fprintf(stderr, "  %-6d %12llu %14llu %14llu %15llu %12s\n", cpu,
			(unsigned long long)c.events, (unsigned long long)c.lost_records,
			(unsigned long long)c.lost_samples, (unsigned long long)c.skipped_batches,
			pft_fmt_bytes(c.bytes_read, b1, sizeof(b1)));
	}
}

void record_summary(struct session *s, uint64_t output_bytes)
{
	struct session_event_stats ev;
	struct session_stats st;
	uint64_t lost = session__lost_total(s), kept = 0;
	double secs;
	char b1[32];
	unsigned i;

	if (pft_quiet)
		return;
	session__stats(s, &st);
	secs = (double)st.elapsed_ns / 1e9;
	if (secs <= 0)
		secs = 1e-9;
	for (i = 0; !session__event_stats(s, i, &ev); i++)
		kept += ev.kept;
	fprintf(stderr, "pftrace: recorded %.3f s: %llu events (%.0f/s), %llu lost, %s written\n",
		secs, (unsigned long long)kept, (double)kept / secs, (unsigned long long)lost,
		pft_fmt_bytes(output_bytes, b1, sizeof(b1)));
	summary_events(s, &st, secs);
	summary_cpus(s);
	session__sources_summary(s);
	if (lost)
		fprintf(stderr,
			"pftrace: the kernel dropped %llu records: the reader fell behind; "
			"try a bigger --buffer-size (now %zu KiB per cpu)\n",
			(unsigned long long)lost, st.ring_bytes >> 10);
	if (pft_verbose) {
		fprintf(stderr,
			"  ring buffer %zu KiB per cpu, %u perf events, %llu processes "
			"described, %llu bytes/event\n",
			st.ring_bytes >> 10, st.nfds, (unsigned long long)st.processes,
			(unsigned long long)(st.records ? output_bytes / st.records : 0));
		if (st.unknown_records || st.bad_records)
			fprintf(stderr, "  %llu records of unknown id, %llu malformed\n",
				(unsigned long long)st.unknown_records,
				(unsigned long long)st.bad_records);
	}
}

void record_summary_ring(const struct pw_ring_stats *st)
{
	char b1[32], b2[32], b3[32];

	if (pft_quiet)
		return;
	pft_fmt_bytes(st->kept_bytes, b1, sizeof(b1));
	pft_fmt_bytes(st->budget, b2, sizeof(b2));
	if (!st->segments_dropped) {
		fprintf(stderr,
			"pftrace: --ring-buffer: nothing overwritten (%s of %s used), %llu kernel "
			"events in the trace\n",
			b1, b2, (unsigned long long)st->kept_events);
		return;
	}
	pft_fmt_bytes(st->bytes_dropped, b3, sizeof(b3));
	fprintf(stderr,
		"pftrace: --ring-buffer kept the last %s (of %s): %llu parts, %llu kernel events; "
		"%llu older parts (%s, %llu kernel events) were overwritten\n",
		b1, b2, (unsigned long long)st->kept_segments, (unsigned long long)st->kept_events,
		(unsigned long long)st->segments_dropped, b3,
		(unsigned long long)st->events_dropped);
	if (st->segments_no_space)
		fprintf(stderr,
			"pftrace: the disk was full: %llu of them were dropped early to make room "
			"for newer ones\n",
			(unsigned long long)st->segments_no_space);
	if (pft_verbose)
		fprintf(stderr,
			"  ring: %llu parts started, %s of process trees and open slices "
			"kept aside for them\n",
			(unsigned long long)st->segments,
			pft_fmt_bytes(st->carry_bytes, b3, sizeof(b3)));
}
