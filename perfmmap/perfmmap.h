/* SPDX-License-Identifier: MIT */
/*
 * perfmmap: perf_event_open and per-CPU mmap rings.
 *
 * Owns: opening perf events, mapping one ring per CPU (other events on that
 * CPU are redirected into it with PERF_EVENT_IOC_SET_OUTPUT), reading raw
 * records out of the ring with the right memory ordering, copying records
 * that wrap around the end of the ring, and counting what the kernel lost
 * (PERF_RECORD_LOST / PERF_RECORD_LOST_SAMPLES).
 *
 * It decodes nothing else: records are handed out as raw
 * struct perf_event_header pointers, valid until the next read or consume.
 *
 * Functions return 0 or -errno; constructors return NULL and set errno.
 * Nothing here prints or exits.
 */
#ifndef PFTRACE_PERFMMAP_H
#define PFTRACE_PERFMMAP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/perf_event.h>

#ifdef __cplusplus
extern "C" {
#endif

/* perf_event_open(2) wrapper: returns an fd (O_CLOEXEC set) or -errno. */
int pm_event_open(struct perf_event_attr *attr, pid_t pid, int cpu, int group_fd,
		  unsigned long flags);

/* Kernel id of an open event (PERF_EVENT_IOC_ID), the value that
 * PERF_SAMPLE_IDENTIFIER carries.  0 or -errno. */
int pm_event_id(int fd, uint64_t *id);

/* Attach a tracepoint filter (PERF_EVENT_IOC_SET_FILTER).  0 or -errno. */
int pm_event_set_filter(int fd, const char *filter);

/* PERF_EVENT_IOC_ENABLE / DISABLE.  0 or -errno. */
int pm_event_enable(int fd);
int pm_event_disable(int fd);

/* Number of online-possible CPUs as perf numbers them (0..n-1), or -errno. */
int pm_cpu_count(void);

/* Per-CPU loss counters, kept by the reader.  LOST counts records the ring
 * had no room for; LOST_SAMPLES counts samples dropped before reaching the
 * ring (e.g. by the PMU). */
struct pm_loss {
	uint64_t lost_records; /* sum of PERF_RECORD_LOST.lost */
	uint64_t lost_samples; /* sum of PERF_RECORD_LOST_SAMPLES.lost */
	uint64_t lost_events;  /* number of LOST / LOST_SAMPLES records seen */
};

struct pm_ring;

/*
 * Map a ring of @data_pages pages (power of two) plus the control page on @fd,
 * which must have been opened for CPU @cpu.  The ring is writable (the reader
 * moves data_tail), so the kernel stops writing rather than overwriting.
 * Free with pm_ring__free().
 */
struct pm_ring *pm_ring__new(int fd, int cpu, size_t data_pages);
void pm_ring__free(struct pm_ring *ring); /* accepts NULL; closes nothing */

/* Redirect the output of @fd (same CPU) into this ring.  0 or -errno. */
int pm_ring__add_fd(struct pm_ring *ring, int fd);

int pm_ring__cpu(const struct pm_ring *ring);
int pm_ring__fd(const struct pm_ring *ring);	  /* the fd the ring was mapped on */
size_t pm_ring__size(const struct pm_ring *ring); /* data area bytes */

/*
 * Reading, batched:
 *	if (pm_ring__read_begin(r) > 0) {
 *		while ((ev = pm_ring__read_event(r)) != NULL)
 *			handle(ev);
 *		pm_ring__read_end(r);
 *	}
 * read_begin takes one acquire-load of data_head and returns the number of
 * bytes available; read_event returns the next record (copied into a per-ring
 * buffer when it wraps around the end of the ring; the pointer is valid until
 * the next read_event) or NULL at the end of the batch; read_end publishes
 * data_tail with a release store so the kernel can reuse the space.
 * PERF_RECORD_LOST and PERF_RECORD_LOST_SAMPLES records are counted into the
 * ring's pm_loss and still returned to the caller.
 */
ssize_t pm_ring__read_begin(struct pm_ring *ring);
const struct perf_event_header *pm_ring__read_event(struct pm_ring *ring);
void pm_ring__read_end(struct pm_ring *ring);

const struct pm_loss *pm_ring__loss(const struct pm_ring *ring);

/* Bytes read from this ring so far (for statistics). */
uint64_t pm_ring__bytes_read(const struct pm_ring *ring);

/* Batches cut short by a malformed record (header.size < 8, not a multiple of
 * 8, or larger than the bytes available).  Record boundaries are lost at that
 * point, so the rest of the batch is skipped (released to the kernel unread). */
uint64_t pm_ring__corrupt(const struct pm_ring *ring);

#ifdef __cplusplus
}
#endif
#endif /* PFTRACE_PERFMMAP_H */
