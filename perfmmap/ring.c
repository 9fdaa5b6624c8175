/* SPDX-License-Identifier: MIT */
/*
 * perfmmap/ring.c: one perf mmap ring, read the way libperf does.
 *
 * Layout: a control page (struct perf_event_mmap_page) followed by a data area
 * of 2^n bytes.  The kernel appends records at data_head; we consume at
 * data_tail, which we own.  Both are free-running u64 byte counters: the
 * offset in the data area is (pos & mask), and head - tail is the number of
 * unread bytes even across a u64 wrap.
 *
 * Memory ordering (pairs with perf_output_put_handle() in the kernel):
 *  - the kernel writes a record, then stores data_head with release semantics;
 *    read_begin loads data_head with acquire, so every byte below that head is
 *    visible to us once we have the load;
 *  - we read the records, then read_end stores data_tail with release, so our
 *    reads of the data are complete before the kernel can see the space as free
 *    and overwrite it (the kernel reads data_tail before writing).
 *
 * The ring is mapped writable, so the kernel never overwrites unread data: when
 * it is full it drops records and later emits PERF_RECORD_LOST.
 *
 * Hot path (read_event, ~3M records/s): no syscall, no allocation, no division.
 * A record that wraps past the end of the data area is copied into a per-ring
 * buffer allocated once at creation.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "perfmmap.h"
#include "testing.h"
#include "compiler.h"

/* header.size is a u16, so no record is larger than this. */
#define PM_RECORD_MAX 65536

/* The kernel pads every record to a multiple of 8 bytes. */
#define PM_RECORD_ALIGN 8

struct pm_ring {
	/* Touched for every record. */
	unsigned char *data; /* start of the data area */
	uint64_t mask;	     /* data area size - 1 */
	uint64_t start;	     /* position of the next record to hand out */
	uint64_t end;	     /* data_head as loaded by read_begin */
	uint64_t bytes_read;
	unsigned char *copy; /* contiguous copy of a record that wraps */

	struct pm_loss loss;
	uint64_t corrupt;

	struct perf_event_mmap_page *pc;
	uint64_t published; /* last value stored to data_tail */
	void *map;	    /* NULL when wrapping a caller's buffer */
	size_t map_len;
	int fd;
	int cpu;
};

static bool is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

/*
 * Set up a ring over @base (@map_len bytes).  Kernels since 4.1 describe the
 * data area in the control page (data_offset/data_size); older ones leave those
 * zero and the data starts right after the control page.
 */
static struct pm_ring *ring_new(void *base, size_t map_len, size_t page_size, size_t data_size,
				int fd, int cpu)
{
	struct perf_event_mmap_page *pc = base;
	uint64_t off = page_size, size = data_size;
	struct pm_ring *r;

	if (pc->data_offset && pc->data_size) {
		off = pc->data_offset;
		size = pc->data_size;
	}
	if (!is_pow2(size) || size < PM_RECORD_ALIGN || off < sizeof(*pc) || off > map_len ||
	    size > map_len - off || (((uintptr_t)base + off) & (PM_RECORD_ALIGN - 1))) {
		errno = EINVAL;
		return NULL;
	}

	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	/* A record fits in the ring, so a smaller ring needs a smaller buffer. */
	r->copy = malloc(size < PM_RECORD_MAX ? size : PM_RECORD_MAX);
	if (!r->copy) {
		free(r);
		return NULL;
	}
	r->pc = pc;
	r->data = (unsigned char *)base + off;
	r->mask = size - 1;
	r->map_len = map_len;
	r->fd = fd;
	r->cpu = cpu;
	/* Only we write data_tail; start where the previous reader (if any) stopped. */
	r->start = __atomic_load_n(&pc->data_tail, __ATOMIC_RELAXED);
	r->end = r->start;
	r->published = r->start;
	return r;
}

struct pm_ring *pm_ring__new(int fd, int cpu, size_t data_pages)
{
	long page_size = sysconf(_SC_PAGESIZE);
	struct pm_ring *r;
	size_t len;
	void *map;

	if (page_size <= 0 || !is_pow2(data_pages) ||
	    data_pages > SIZE_MAX / (size_t)page_size - 1) {
		errno = EINVAL;
		return NULL;
	}
	len = (1 + data_pages) * (size_t)page_size;
	map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		return NULL;

	r = ring_new(map, len, (size_t)page_size, data_pages * (size_t)page_size, fd, cpu);
	if (!r) {
		int err = errno;

		munmap(map, len);
		errno = err;
		return NULL;
	}
	r->map = map;
	return r;
}

struct pm_ring *pm_ring__new_from_buffer(void *base, size_t page_size, size_t data_size, int cpu)
{
	if (!base || page_size > SIZE_MAX - data_size) {
		errno = EINVAL;
		return NULL;
	}
	return ring_new(base, page_size + data_size, page_size, data_size, -1, cpu);
}

void pm_ring__free(struct pm_ring *ring)
{
	if (!ring)
		return;
	if (ring->map)
		munmap(ring->map, ring->map_len);
	free(ring->copy);
	free(ring);
}

int pm_ring__add_fd(struct pm_ring *ring, int fd)
{
	if (ring->fd < 0)
		return -EBADF;
	if (ioctl(fd, PERF_EVENT_IOC_SET_OUTPUT, ring->fd) < 0)
		return -errno;
	return 0;
}

int pm_ring__cpu(const struct pm_ring *ring)
{
	return ring->cpu;
}

int pm_ring__fd(const struct pm_ring *ring)
{
	return ring->fd;
}

size_t pm_ring__size(const struct pm_ring *ring)
{
	return (size_t)ring->mask + 1;
}

const struct pm_loss *pm_ring__loss(const struct pm_ring *ring)
{
	return &ring->loss;
}

uint64_t pm_ring__bytes_read(const struct pm_ring *ring)
{
	return ring->bytes_read;
}

uint64_t pm_ring__corrupt(const struct pm_ring *ring)
{
	return ring->corrupt;
}

/* Store data_tail; release: our reads of the data happen before the kernel
 * can observe the space as free (see the file comment). */
static void publish_tail(struct pm_ring *r)
{
	if (r->start != r->published) {
		__atomic_store_n(&r->pc->data_tail, r->start, __ATOMIC_RELEASE);
		r->published = r->start;
	}
}

ssize_t pm_ring__read_begin(struct pm_ring *ring)
{
	/* Acquire: pairs with the kernel's release store of data_head, making
	 * the records below head visible. */
	uint64_t head = __atomic_load_n(&ring->pc->data_head, __ATOMIC_ACQUIRE);
	uint64_t avail = head - ring->start;

	if (unlikely(avail > ring->mask + 1)) {
		/*
		 * A writable ring never holds more than its size: head or tail was
		 * scribbled on.  Nothing in between can be trusted; resync at head.
		 */
		ring->corrupt++;
		ring->start = head;
		publish_tail(ring);
		avail = 0;
	}
	ring->end = head;
	return (ssize_t)avail;
}

/* The record at @off runs past the end of the data area: make it contiguous.
 * Out of line (like count_loss) so the common path needs no stack frame. */
static __attribute__((noinline, cold)) const struct perf_event_header *
copy_wrapped(struct pm_ring *r, uint64_t off, size_t size)
{
	size_t first = (size_t)(r->mask + 1 - off);

	memcpy(r->copy, r->data + off, first);
	memcpy(r->copy + first, r->data, size - first);
	return (const struct perf_event_header *)r->copy;
}

static __attribute__((noinline, cold)) void count_loss(struct pm_ring *r,
						       const struct perf_event_header *ev)
{
	const unsigned char *body = (const unsigned char *)(ev + 1);
	uint64_t lost;

	r->loss.lost_events++;
	if (ev->type == PERF_RECORD_LOST) {
		/* struct { header; u64 id; u64 lost; sample_id } */
		if (ev->size >= sizeof(*ev) + 2 * sizeof(uint64_t)) {
			memcpy(&lost, body + sizeof(uint64_t), sizeof(lost));
			r->loss.lost_records += lost;
		}
	} else {
		/* struct { header; u64 lost; sample_id } */
		if (ev->size >= sizeof(*ev) + sizeof(uint64_t)) {
			memcpy(&lost, body, sizeof(lost));
			r->loss.lost_samples += lost;
		}
	}
}

/*
 * Hand out the record at ring->start, or NULL at the end of the batch.  The
 * pointer is into the ring itself (or ring->copy when the record wraps) and
 * stays valid until the next read_event or read_end: after read_end the
 * kernel may overwrite it.
 *
 * Because every record is a multiple of 8 bytes and the data area is a power
 * of two >= 8, a well-formed header never straddles the end of the data area:
 * only the body can wrap.
 */
const struct perf_event_header *pm_ring__read_event(struct pm_ring *ring)
{
	uint64_t avail = ring->end - ring->start;
	const struct perf_event_header *ev;
	uint64_t off;
	size_t size;

	if (!avail)
		return NULL;
	off = ring->start & ring->mask;
	if (unlikely(avail < sizeof(*ev) || (off & (PM_RECORD_ALIGN - 1))))
		goto corrupt;
	ev = (const struct perf_event_header *)(ring->data + off);
	size = ev->size;
	if (unlikely(size < sizeof(*ev) || size > avail || (size & (PM_RECORD_ALIGN - 1))))
		goto corrupt;
	if (unlikely(off + size > ring->mask + 1))
		ev = copy_wrapped(ring, off, size);

	ring->start += size;
	ring->bytes_read += size;
	if (unlikely(ev->type == PERF_RECORD_LOST || ev->type == PFT_RECORD_LOST_SAMPLES))
		count_loss(ring, ev);
	return ev;

corrupt:
	/*
	 * Record boundaries are lost: nothing up to head can be parsed.  Skip it
	 * (read_end releases it to the kernel) rather than stall the ring on a
	 * record we will never get past.
	 */
	ring->corrupt++;
	ring->start = ring->end;
	return NULL;
}

/* Release everything handed out so far.  Records not yet handed out (the
 * caller stopped early) stay in the ring for the next batch. */
void pm_ring__read_end(struct pm_ring *ring)
{
	publish_tail(ring);
}
