/* SPDX-License-Identifier: MIT */
/*
 * core/drain: reading the rings.  Each drain merges the per-CPU rings in
 * time order (a k-way heap merge), dispatches each record to its event's
 * handler (decoding the tracepoint sample header on the way), sideband and
 * loss records to their handlers, then lets the sources and the process
 * table do their slow work off the per-record path.  Also the wait between
 * drains.
 *
 * Timestamps: perf stamps tracepoints in CLOCK_MONOTONIC (this kernel refuses
 * CLOCK_BOOTTIME for them, as it is not NMI-safe); trace_processor expects
 * BOOTTIME, so session.c's measured offset is added to every record.
 */
#include "config.h"
#include "compiler.h"
#include "core/session_internal.h"
#include "core/proc.h"
#include "perfmmap/perfmmap.h"
#include "proto/writer.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>

void session__deliver(struct pft_event *ev, const struct pft_record *rec)
{
	struct session *s = ev->s;

	if (s->mode != SCOPE_ALL && !(ev->flags & (PFT_EV_ALL_TASKS | PFT_EV_OTHER_TASK)))
		session__scope_add(&s->host, rec->tid);
	ev->kept += ev->fn(ev->priv, rec) != 0;
}

/* Dispatch one record; 1 when it was an event. */
static inline int handle_record(struct session *s, const struct perf_event_header *h, uint32_t cpu)
{
	if (h->type == PERF_RECORD_SAMPLE) {
		const unsigned char *p = (const unsigned char *)(h + 1);
		struct pft_record rec;
		struct pft_event *ev;
		uint64_t id, t;
		uint32_t v[2], size;

		if (h->size < sizeof(*h) + 8) {
			s->bad_records++;
			return 0;
		}
		memcpy(&id, p, 8);
		ev = u64map_get(&s->ids, id);
		if (!ev) {
			s->unknown_records++;
			return 0;
		}
		if (ev->kind == EV_RAW) {
			/* a raw event parses its own layout; one standing in for a
			 * tracepoint hands it on with session__deliver() */
			ev->count++;
			if (!ev->fn)
				ev->kept++;
			ev->record_fn(ev->record_priv, h, cpu);
			return 1;
		}
		if (h->size < SAMPLE_FIXED) {
			s->bad_records++;
			return 0;
		}
		memcpy(v, p + 8, 8);
		memcpy(&t, p + 16, 8);
		memcpy(&rec.cpu, p + 24, 4);
		memcpy(&size, p + 32, 4);
		if (size > h->size - SAMPLE_FIXED || size < ev->min_raw) {
			s->bad_records++;
			return 0;
		}
		rec.pid = v[0];
		rec.tid = v[1];
		if (unlikely(rec.tid == (uint32_t)-1) && size >= 8) {
			/* the task was reaped before this record was written (the
			 * last switch of an exiting thread): perf says -1, the
			 * payload's common_pid still names it; its thread group
			 * is gone, its own id stands in */
			memcpy(&rec.tid, p + 36 + 4, 4);
			if (rec.pid == (uint32_t)-1)
				rec.pid = rec.tid;
		}
		rec.ts = t + s->mono_to_boot;
		rec.raw = p + 36;
		rec.raw_size = size;
		ev->count++;
		if (s->mode != SCOPE_ALL && !(ev->flags & (PFT_EV_ALL_TASKS | PFT_EV_OTHER_TASK)))
			session__scope_add(&s->host, rec.tid);
		ev->kept += ev->fn(ev->priv, &rec) != 0;
		return 1;
	}
	if (h->type == PERF_RECORD_LOST || h->type == PFT_RECORD_LOST_SAMPLES) {
		pw_ftrace_lost(s->w, cpu);
		if (s->lost_fn)
			s->lost_fn(s->sideband_priv, h, cpu);
	} else if (s->sideband_fn) {
		s->sideband_records++;
		s->sideband_fn(s->sideband_priv, h, cpu);
	}
	return 0;
}

/*
 * The perf time of a record: samples carry IDENTIFIER, TID, TIME first;
 * other records end in the sample_id_all trailer (TID, TIME, CPU,
 * IDENTIFIER -- every event here asks for those four).
 */
static inline uint64_t record_time(const struct perf_event_header *h)
{
	const unsigned char *p = (const unsigned char *)h;
	uint64_t t = 0;

	if (h->type == PERF_RECORD_SAMPLE) {
		if (h->size >= sizeof(*h) + 24)
			memcpy(&t, p + sizeof(*h) + 16, 8);
	} else if (h->size >= sizeof(*h) + 32) {
		memcpy(&t, p + h->size - 24, 8);
	}
	return t;
}

static void heap_down(struct merge_item *v, unsigned n, unsigned i)
{
	for (;;) {
		unsigned l = 2 * i + 1, m = i;
		struct merge_item tmp;

		if (l < n && v[l].t < v[m].t)
			m = l;
		if (l + 1 < n && v[l + 1].t < v[m].t)
			m = l + 1;
		if (m == i)
			return;
		tmp = v[i];
		v[i] = v[m];
		v[m] = tmp;
		i = m;
	}
}

/*
 * A batch cut short by a malformed record loses the rest of it (perfmmap
 * counts them): say so once, as it happens; the summary counts them per cpu.
 */
static void check_skipped(struct session *s)
{
	uint64_t n = 0;
	int cpu, first = -1;

	for (cpu = 0; cpu < s->ncpus; cpu++) {
		uint64_t c = s->rings[cpu] ? pm_ring__corrupt(s->rings[cpu]) : 0;

		if (c && first < 0)
			first = cpu;
		n += c;
	}
	if (n && !s->corrupt_seen)
		pft_warn("cpu %d: malformed data in the ring buffer; the rest of that batch was "
			 "skipped (the summary counts skipped batches per cpu)",
			 first);
	s->corrupt_seen = n;
}

/*
 * Drain every ring once, merging the rings in time order: an mmap seen on
 * one CPU is known before a sample taken later on another, and a fork before
 * the child's first switch elsewhere.  Each ring's own order is kept, so each
 * CPU's bundle stays sorted.  The heap holds one pending record per ring:
 * pm_ring__read_event's pointer stays valid until that ring's next read.
 */
uint64_t session__drain(struct session *s)
{
	struct merge_item *heap = s->heap;
	uint64_t before = s->records;
	unsigned n = 0, i;
	int cpu;

	s->last_fill = 0;
	for (cpu = 0; cpu < s->ncpus; cpu++) {
		struct pm_ring *r = s->rings[cpu];
		const struct perf_event_header *h;
		ssize_t avail;

		if (!r || (avail = pm_ring__read_begin(r)) <= 0)
			continue;
		if ((size_t)avail > s->last_fill)
			s->last_fill = (size_t)avail;
		h = pm_ring__read_event(r);
		if (!h) {
			pm_ring__read_end(r);
			continue;
		}
		heap[n].t = record_time(h);
		heap[n].ring = r;
		heap[n].h = h;
		n++;
	}
	for (i = n / 2; i-- > 0;)
		heap_down(heap, n, i);
	while (n) {
		struct pm_ring *r = heap[0].ring;
		uint32_t rcpu = (uint32_t)pm_ring__cpu(r);
		const struct perf_event_header *next;

		if (handle_record(s, heap[0].h, rcpu)) {
			s->cpu_events[rcpu]++;
			s->records++;
			/* a full --ring-buffer segment: start the next between two records */
			if (unlikely(!(s->records & 255)) && pw_writer__ring_due(s->w))
				session__ring_rotate(s);
		}
		next = pm_ring__read_event(r);
		if (next) {
			heap[0].h = next;
			heap[0].t = record_time(next);
		} else {
			pm_ring__read_end(r);
			pw_writer__flush_cpu(s->w, rcpu);
			heap[0] = heap[--n];
		}
		heap_down(heap, n, 0);
	}
	check_skipped(s);
	for (i = 0; i < s->nsrcs; i++)
		if (s->srcs[i].ops->flush)
			s->srcs[i].ops->flush(s->srcs[i].priv);
	proc_state__flush(s->procs);
	pw_writer__sync(s->w);
	if (pw_writer__ring_due(s->w))
		session__ring_rotate(s);
	return s->records - before;
}

int session__busy(const struct session *s)
{
	return s->last_fill > s->ring_bytes / 8;
}

uint32_t session__max_read_delay(const struct session *s)
{
	return s->max_read_delay_ms;
}

int session__wait(struct session *s, int timeout_ms, const void *sigmask)
{
	struct timespec ts = {timeout_ms / 1000, (long)(timeout_ms % 1000) * 1000000L};
	int ret = ppoll(s->pfds, s->npfds, timeout_ms < 0 ? NULL : &ts, sigmask);

	return ret < 0 ? -errno : 0;
}
