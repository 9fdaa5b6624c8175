/* SPDX-License-Identifier: MIT */
/*
 * proto/reader: reads a trace.pb (as written by proto/writer) packet by
 * packet and hands out neutral descriptions of what it holds: kernel events
 * with their arguments already formatted as text, process/thread entries,
 * clock snapshots, system info and loss marks.  `pftrace dump` and the tests
 * are built on it.  No protobuf-c type leaves proto/.
 */
#ifndef PFTRACE_PROTO_READER_H
#define PFTRACE_PROTO_READER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One kernel event.  Strings are valid only during the callback. */
struct pr_event {
	uint64_t ts;		/* as stored: BOOTTIME ns */
	uint32_t cpu;
	uint32_t pid;		/* FtraceEvent.pid (common_pid) */
	const char *name;	/* "sched_switch", "sys_enter", generic: its event_name */
	const char *args;	/* "prev_comm=bash prev_pid=12 ..." (space separated k=v) */
	int64_t syscall_id;	/* sys_enter/sys_exit: id, else -1 */
	/* naming hints: threads whose comm this event tells (0 = none) */
	int32_t comm_tid[2];
	const char *comm[2];
};

struct pr_process {
	int32_t pid, ppid, uid;
	const char *cmdline;	/* argv joined with spaces */
	int is_kthread;
};

struct pr_thread {
	int32_t tid, tgid;
	const char *name;
};

struct pr_clock {
	uint32_t clock_id;	/* Perfetto BuiltinClock */
	uint64_t ts;
};

struct pr_sysinfo {
	const char *sysname, *release, *version, *machine;
	uint32_t page_size, num_cpus;
};

struct pr_callbacks {
	void (*event)(void *ctx, const struct pr_event *e);
	void (*process)(void *ctx, uint64_t ts, const struct pr_process *p);
	void (*thread)(void *ctx, uint64_t ts, const struct pr_thread *t);
	void (*clock_snapshot)(void *ctx, const struct pr_clock *clocks, size_t n);
	void (*system_info)(void *ctx, const struct pr_sysinfo *si);
	/* a bundle on @cpu said lost_events; @ts is its first event's time (or 0) */
	void (*lost)(void *ctx, uint32_t cpu, uint64_t ts);
	/* a packet this reader does not describe (kind = its TracePacket field number) */
	void (*other)(void *ctx, uint32_t kind);
};

struct pr_stats {
	uint64_t packets;
	uint64_t events;
	uint64_t bytes;
};

/*
 * Read @path from start to end, calling the callbacks in file order (events
 * of one bundle in bundle order; sorting is the caller's business).  Any NULL
 * callback is skipped.  Returns 0, -errno on I/O errors, or -EBADMSG when the
 * file is not a valid trace (a truncated final packet counts as invalid).
 * @stats may be NULL.
 */
int pr_read_file(const char *path, const struct pr_callbacks *cb, void *ctx,
		 struct pr_stats *stats);

/* Same, from memory. */
int pr_read_buffer(const void *buf, size_t len, const struct pr_callbacks *cb, void *ctx,
		   struct pr_stats *stats);

#ifdef __cplusplus
}
#endif
#endif /* PFTRACE_PROTO_READER_H */
