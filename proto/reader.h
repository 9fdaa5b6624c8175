/* SPDX-License-Identifier: MIT */
/*
 * proto/reader: reads a trace.pb (as written by proto/writer) packet by
 * packet and hands out neutral descriptions of what it holds: kernel events
 * with their arguments already formatted as text, process/thread entries,
 * clock snapshots, system info, loss marks, stack samples and track events
 * (resolved through each sequence's interned data as trace_processor resolves
 * them).
 * `pftrace dump` and the tests are built on it.  No protobuf-c type leaves proto/.
 */
#ifndef PFTRACE_PROTO_READER_H
#define PFTRACE_PROTO_READER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One kernel event.  Strings are valid only during the callback. */
struct prd_event {
	uint64_t ts; /* as stored: BOOTTIME ns */
	uint32_t cpu;
	uint32_t pid;	    /* FtraceEvent.pid (common_pid) */
	const char *name;   /* "sched_switch", "sys_enter", generic: its event_name */
	const char *args;   /* "prev_comm=bash prev_pid=12 ..." (space separated k=v) */
	int64_t syscall_id; /* sys_enter/sys_exit: id, else -1 */
	/* naming hints: threads whose comm this event tells (0 = none) */
	int32_t comm_tid[2];
	const char *comm[2];
};

struct prd_process {
	int32_t pid, ppid, uid;
	const char *cmdline; /* argv joined with spaces */
	int is_kthread;
};

struct prd_thread {
	int32_t tid, tgid;
	const char *name;
};

struct prd_clock {
	uint32_t clock_id; /* Perfetto BuiltinClock */
	uint64_t ts;
};

struct prd_sysinfo {
	const char *sysname, *release, *version, *machine;
	uint32_t page_size, num_cpus;
};

/*
 * One frame of a sample's stack, resolved through the sequence's interned
 * data.  Strings are never NULL ("" when absent) and valid only during the
 * callback.
 */
struct prd_frame {
	const char *function;
	/* trace_processor's mapping name: "/" + path components joined by "/"
	 * ("/usr/lib/libc.so.6"; the kernel mapping is "/kernel") */
	const char *mapping;
	uint32_t kind; /* Frame.Kind: 1 native, 2 kernel, 3 interpreted, 4 jit */
	uint64_t rel_pc;
	const char *source_file;
	uint32_t line;
};

/* A PerfSample packet: a sample, or a loss marker (lost != 0, no frames). */
struct prd_sample {
	uint64_t ts;
	uint32_t cpu, pid, tid;
	/* the sequence's timebase (TracePacketDefaults): its name, else its counter's perf
	 * name ("cpu-clock", "cpu-cycles", ...), else its tracepoint, else "cpu-clock" */
	const char *timebase;
	uint32_t cpu_mode;     /* Profiling.CpuMode */
	uint32_t unwind_error; /* Profiling.StackUnwindError, 0 when unset */
	uint64_t timebase_count;
	const struct prd_frame *frames; /* root first */
	unsigned nframes;
	/* 1 when callstack_iid resolved as trace_processor would resolve it: the
	 * sequence's incremental state valid, and the callstack, every frame and
	 * every function name, source path, mapping and build id it uses defined in
	 * the current generation.  Else 0 and no frames. */
	int stack_resolved;
	uint64_t lost;		/* kernel_records_lost */
	uint32_t seq_id;	/* trusted_packet_sequence_id */
	uint64_t callstack_iid; /* 0: the sample has no stack */
};

/* A TrackDescriptor as read (trace-global, by uuid). */
enum prd_track_kind {
	PRD_TRACK_OTHER = 0,   /* a plain named track without a process */
	PRD_TRACK_THREAD = 1,  /* ThreadDescriptor */
	PRD_TRACK_PROCESS = 2, /* ProcessDescriptor */
	PRD_TRACK_NAMED = 3,   /* a named track under a process track */
	PRD_TRACK_COUNTER = 4, /* CounterDescriptor (pid from its process parent, or 0) */
};

struct prd_track {
	uint64_t uuid, parent_uuid;
	uint32_t kind;	  /* enum prd_track_kind */
	int32_t pid, tid; /* thread: both; process, named, counter: pid (0 = global) */
	const char *name; /* "" when none */
};

/* A DebugAnnotation, resolved; kinds as proto/writer.h's enum pw_arg_kind. */
struct prd_arg {
	const char *name; /* "" when its iid does not resolve */
	uint32_t kind;	  /* 0 int, 1 uint, 2 double, 3 str, 4 bool, 5 pointer; 6 other */
	int64_t i;
	uint64_t u; /* uint, pointer */
	double d;
	const char *s;
	int b;
};

/* TrackEvent.Type */
enum { PRD_SLICE_BEGIN = 1, PRD_SLICE_END = 2, PRD_INSTANT = 3, PRD_COUNTER = 4 };

/*
 * A TrackEvent packet.  Names resolve through the sequence's interned data
 * as trace_processor resolves them (valid incremental state, iid defined in
 * the current generation).  The reader keeps each track's open slices, so an
 * END says which BEGIN it closed.  Strings valid only during the callback.
 */
struct prd_track_event {
	uint64_t ts;
	uint32_t seq_id;
	uint32_t type; /* PRD_SLICE_BEGIN, ... */
	uint64_t track_uuid;
	const struct prd_track *track; /* NULL: no descriptor (yet) for track_uuid */
	const char *name;	       /* END: its BEGIN's name; "" when none */
	int name_resolved;	       /* 0: name_iid set but not defined (name "") */
	const struct prd_arg *args;
	unsigned nargs;
	double value; /* counters */
	/* END: 1 when it closed an open BEGIN on its track, which began at begin_ts */
	int matched;
	uint64_t begin_ts;
	unsigned depth; /* BEGIN/INSTANT: open slices below it; END: its BEGIN's */
};

struct prd_callbacks {
	void (*event)(void *ctx, const struct prd_event *e);
	void (*process)(void *ctx, uint64_t ts, const struct prd_process *p);
	void (*thread)(void *ctx, uint64_t ts, const struct prd_thread *t);
	void (*clock_snapshot)(void *ctx, const struct prd_clock *clocks, size_t n);
	void (*system_info)(void *ctx, const struct prd_sysinfo *si);
	/* a bundle on @cpu said lost_events; @ts is its first event's time (or 0) */
	void (*lost)(void *ctx, uint32_t cpu, uint64_t ts);
	/* a packet this reader does not describe (kind = its TracePacket field number);
	 * PerfSample packets (66) come here when .sample is NULL */
	void (*other)(void *ctx, uint32_t kind);
	/* a PerfSample packet (sample or loss marker), in file order */
	void (*sample)(void *ctx, const struct prd_sample *s);
	/* a TrackEvent packet, in file order (TrackDescriptors come to no callback:
	 * they are kept and handed out with the events; packet kind 60 to .other) */
	void (*track_event)(void *ctx, const struct prd_track_event *e);
};

struct prd_stats {
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
int prd_read_file(const char *path, const struct prd_callbacks *cb, void *ctx,
		  struct prd_stats *stats);

/* Same, from memory. */
int prd_read_buffer(const void *buf, size_t len, const struct prd_callbacks *cb, void *ctx,
		    struct prd_stats *stats);

/*
 * The sample's stack folded as "root;...;leaf" (function names, "[unknown]"
 * for unnamed frames; the same as `pfcheck --folded` prints after the thread
 * name).  Writes at most @size bytes, NUL included, and returns the length the
 * whole text needs, as snprintf does.  An unresolved stack folds to "".
 */
size_t prd_sample__fold(const struct prd_sample *s, char *buf, size_t size);

#ifdef __cplusplus
}
#endif
#endif /* PFTRACE_PROTO_READER_H */
