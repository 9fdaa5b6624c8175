/* SPDX-License-Identifier: MIT */
/*
 * proto/writer: the streaming Perfetto trace writer.
 *
 * Owns: turning neutral calls (a clock snapshot, a process tree, a
 * sched_switch on cpu N, ...) into TracePackets appended to the output file.
 * Packets go out as they are produced ("0x0A <varint len> <packet>" each, which
 * is a valid Trace), so memory stays bounded however long the recording.
 *
 * Kernel events are collected per CPU into an FtraceEventBundle and written
 * when pw_writer__flush_cpu()/pw_writer__flush() is called or the bundle
 * reaches PW_BUNDLE_MAX bytes.  The per-event calls (pw_ftrace_*) encode
 * straight into the CPU's bundle buffer: no allocation, no syscall.
 *
 * Timestamps are BOOTTIME nanoseconds.  All ftrace data, the system info and
 * process trees go on trusted_packet_sequence_id PW_SEQ_KERNEL; sample streams
 * (samples.h) and the track events (below) take PW_SEQ_KERNEL + 1, + 2, ... in
 * creation order.
 *
 * Errors are sticky: the first write error (e.g. -ENOSPC) is remembered, the
 * file is cut back to the last complete packet so it stays loadable, and
 * everything after is counted as dropped.  No protobuf-c type leaves proto/.
 */
#ifndef PFTRACE_PROTO_WRITER_H
#define PFTRACE_PROTO_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PW_SEQ_KERNEL 1
#define PW_BUNDLE_MAX (256 * 1024)

/* Perfetto BuiltinClock ids (not Linux clockid_t!) */
enum pw_clock_id {
	PW_CLOCK_REALTIME = 1,
	PW_CLOCK_MONOTONIC = 3,
	PW_CLOCK_MONOTONIC_RAW = 5,
	PW_CLOCK_BOOTTIME = 6,
};

struct pw_writer;

/* Takes ownership of @fd (a regular file opened for writing, positioned at 0).
 * @max_cpus bounds the cpu numbers later passed in.  NULL + errno on failure
 * (the fd then stays the caller's).  Not thread-safe: one thread per writer. */
struct pw_writer *pw_writer__new(int fd, int max_cpus);
/* Flushes everything, closes the fd, frees the writer's sample streams (samples.h)
 * and track state;
 * returns 0 or the sticky -errno.  Accepts NULL. */
int pw_writer__close(struct pw_writer *w);

/* The file never grows past @bytes (0: no limit): the first packet that
 * would take it there and everything after are dropped (counted), with the
 * sticky error -EFBIG. */
void pw_writer__set_limit(struct pw_writer *w, uint64_t bytes);
int pw_writer__error(const struct pw_writer *w);      /* sticky 0 / -errno */
uint64_t pw_writer__bytes(const struct pw_writer *w); /* bytes safely in the file */
/* events not written: after an error, or with cpu >= max_cpus, or oversized */
uint64_t pw_writer__dropped_events(const struct pw_writer *w);
uint64_t pw_writer__packets(const struct pw_writer *w);
uint64_t pw_writer__events(const struct pw_writer *w); /* kernel events safely in the file */

/*
 * Flight recorder (--ring-buffer): from this call on, keep only about the
 * last @bytes of the trace.  Call it once, after the packets every trace
 * needs (clock snapshot, system info, the first process tree): they stay
 * (the "prologue").  What follows goes to PW_RING_SEGS segments of
 * @bytes / PW_RING_SEGS, unlinked files in @dir (the output's directory:
 * the disk holds @bytes and one segment more while the trace is assembled
 * at the end); the oldest are dropped to stay within @bytes.  Each segment is a
 * fresh start for every sequence (interned state CLEARED), so the trace
 * loads whatever was dropped.  @bytes >= PW_RING_MIN.  0 or -errno.
 *
 * When pw_writer__ring_due() says the current segment is full, call
 * pw_writer__ring_rotate() where no packet of the caller's is half made;
 * @snapshot(@arg) then writes what a trace starting with the new segment
 * needs from the caller (a process tree of the live processes): those
 * packets are kept aside and written only if the segment ends up first.
 * pw_writer__finish() (or close) writes the kept segments into the output.
 */
#define PW_RING_SEGS 8
#define PW_RING_MIN ((uint64_t)1 << 20)
int pw_writer__ring_begin(struct pw_writer *w, uint64_t bytes, const char *dir);
bool pw_writer__ring_due(const struct pw_writer *w);
int pw_writer__ring_rotate(struct pw_writer *w, void (*snapshot)(void *arg), void *arg);

struct pw_ring_stats {
	uint64_t budget;	    /* the bytes asked for */
	uint64_t segments;	    /* segments started */
	uint64_t segments_dropped;  /* overwritten: their events left the trace */
	uint64_t segments_no_space; /* of them, dropped at the end to make room on a full disk */
	uint64_t bytes_dropped;
	uint64_t events_dropped; /* kernel events in the dropped segments */
	uint64_t carry_bytes;	 /* carries made, in all (one is written) */
	uint64_t kept_segments;
	uint64_t kept_bytes;  /* the trace's size, after pw_writer__finish() */
	uint64_t kept_events; /* kernel events in the trace */
};
void pw_writer__ring_stats(const struct pw_writer *w, struct pw_ring_stats *st);

/* Everything out: bundles flushed, buffers written and, with a ring, the
 * kept segments assembled into the output.  The counters (bytes, events)
 * then describe the file.  0 or the sticky -errno; close calls it too. */
int pw_writer__finish(struct pw_writer *w);

/* Writes buffered packets to the fd (does not close bundles). */
int pw_writer__sync(struct pw_writer *w);

/* --- one-off packets ---------------------------------------------------- */

struct pw_clock {
	uint32_t clock_id; /* enum pw_clock_id */
	uint64_t ts;
};
int pw_clock_snapshot(struct pw_writer *w, const struct pw_clock *clocks, size_t n);

struct pw_system_info {
	const char *sysname, *release, *version, *machine, *nodename;
	uint32_t page_size;
	uint32_t num_cpus;
	int64_t hz;
	uint64_t ram_bytes;
	const char *service_version; /* "pftrace x.y" */
};
int pw_system_info(struct pw_writer *w, const struct pw_system_info *si);

/* A ProcessTree packet.  cmdline is argv as NUL-separated strings (as in
 * /proc/PID/cmdline), cmdline_len bytes; for kernel threads pass the comm and
 * set cmdline_is_comm. */
struct pw_process {
	int32_t pid, ppid, uid;
	const char *cmdline;
	size_t cmdline_len;
	int is_kthread;
	int cmdline_is_comm;
};
struct pw_thread {
	int32_t tid, tgid;
	const char *name;
};
int pw_process_tree(struct pw_writer *w, uint64_t ts, const struct pw_process *procs, size_t nprocs,
		    const struct pw_thread *threads, size_t nthreads);

/* --- kernel events, per CPU bundle ---------------------------------------- */
/*
 * Events on a cpu >= max_cpus are dropped (counted in dropped_events).
 * Strings in events are cut at 4096 bytes; NULL strings are left out of the
 * event.  sys_enter keeps at most 16 args.  An event whose encoding could
 * exceed 64 KiB (only generic ones can) is dropped and counted.
 */

/* Common header of every FtraceEvent. */
struct pw_ev {
	uint64_t ts; /* BOOTTIME ns */
	uint32_t cpu;
	uint32_t pid; /* common_pid: the tid current on the cpu */
};

void pw_ftrace_sched_switch(struct pw_writer *w, const struct pw_ev *e, const char *prev_comm,
			    int32_t prev_pid, int32_t prev_prio, int64_t prev_state,
			    const char *next_comm, int32_t next_pid, int32_t next_prio);
/* sched_waking / sched_wakeup_new share a payload */
void pw_ftrace_sched_waking(struct pw_writer *w, const struct pw_ev *e, const char *comm,
			    int32_t pid, int32_t prio, int32_t target_cpu);
void pw_ftrace_sched_wakeup_new(struct pw_writer *w, const struct pw_ev *e, const char *comm,
				int32_t pid, int32_t prio, int32_t target_cpu);
void pw_ftrace_sched_wakeup(struct pw_writer *w, const struct pw_ev *e, const char *comm,
			    int32_t pid, int32_t prio, int32_t target_cpu);
void pw_ftrace_sched_process_fork(struct pw_writer *w, const struct pw_ev *e,
				  const char *parent_comm, int32_t parent_pid,
				  const char *child_comm, int32_t child_pid);
void pw_ftrace_sched_process_exec(struct pw_writer *w, const struct pw_ev *e, const char *filename,
				  int32_t pid, int32_t old_pid);
void pw_ftrace_sched_process_exit(struct pw_writer *w, const struct pw_ev *e, const char *comm,
				  int32_t pid, int32_t tgid, int32_t prio);
void pw_ftrace_sched_process_free(struct pw_writer *w, const struct pw_ev *e, const char *comm,
				  int32_t pid, int32_t prio);
void pw_ftrace_sched_process_wait(struct pw_writer *w, const struct pw_ev *e, const char *comm,
				  int32_t pid, int32_t prio);
void pw_ftrace_sched_migrate_task(struct pw_writer *w, const struct pw_ev *e, const char *comm,
				  int32_t pid, int32_t prio, int32_t orig_cpu, int32_t dest_cpu);
void pw_ftrace_task_newtask(struct pw_writer *w, const struct pw_ev *e, int32_t pid,
			    const char *comm, uint64_t clone_flags, int32_t oom_score_adj);
void pw_ftrace_task_rename(struct pw_writer *w, const struct pw_ev *e, int32_t pid,
			   const char *oldcomm, const char *newcomm, int32_t oom_score_adj);
void pw_ftrace_irq_handler_entry(struct pw_writer *w, const struct pw_ev *e, int32_t irq,
				 const char *name);
void pw_ftrace_irq_handler_exit(struct pw_writer *w, const struct pw_ev *e, int32_t irq,
				int32_t ret);
void pw_ftrace_softirq_entry(struct pw_writer *w, const struct pw_ev *e, uint32_t vec);
void pw_ftrace_softirq_exit(struct pw_writer *w, const struct pw_ev *e, uint32_t vec);
void pw_ftrace_softirq_raise(struct pw_writer *w, const struct pw_ev *e, uint32_t vec);
void pw_ftrace_sys_enter(struct pw_writer *w, const struct pw_ev *e, int64_t id,
			 const uint64_t *args, unsigned nargs);
void pw_ftrace_sys_exit(struct pw_writer *w, const struct pw_ev *e, int64_t id, int64_t ret);

/* ftrace:print (trace_marker writes; atrace "B|pid|name" syntax becomes slices). */
void pw_ftrace_print(struct pw_writer *w, const struct pw_ev *e, uint64_t ip, const char *buf);

/* Any other tracepoint: GenericFtraceEvent with named fields. */
enum pw_field_kind { PW_FIELD_STR, PW_FIELD_INT, PW_FIELD_UINT };
struct pw_field {
	const char *name;
	enum pw_field_kind kind;
	union {
		const char *s;
		int64_t i;
		uint64_t u;
	};
};
void pw_ftrace_generic(struct pw_writer *w, const struct pw_ev *e, const char *event_name,
		       const struct pw_field *fields, unsigned nfields);

/* The kernel dropped records on @cpu: the cpu's next bundle says lost_events. */
void pw_ftrace_lost(struct pw_writer *w, uint32_t cpu);

/* --- track events: slices, instants, counters (proto/tracks.c) -------------- */
/*
 * TrackEvents for user-space spans (uprobes, USDT, plugins).  They go on a
 * trusted_packet_sequence_id of their own, taken at the first pw_track_* call
 * (after the sample streams created before it), with event names and argument
 * names interned per sequence (InternedData.event_names /
 * debug_annotation_names, CLEARED|NEEDS on the first event packet of each
 * generation, NEEDS on every other).  One TracePacket per event, through the
 * writer's buffer: no system call, and no allocation once the intern tables
 * and the packet buffer have grown to the names and arguments seen.
 *
 * Tracks are named by uuids derived from what identifies them, so asking
 * again for the same track returns the same uuid; its TrackDescriptor is
 * written once, on first request (uuids are trace-global).  A thread track is
 * a ThreadDescriptor {pid, tid}: trace_processor merges it into the thread's
 * track (the one the process tree and the kernel events name), so slices show
 * next to the thread's scheduling.  Process tracks hang under a
 * ProcessDescriptor {pid} track; global tracks under nothing.
 *
 * Ordering contract: on one track, events must come in non-decreasing
 * timestamp order, and slices must nest: an END closes the most recent open
 * BEGIN of its track.  Overlapping slices that do not nest (async spans
 * paired by a key) need one track each: pass a distinct @lane per slice open
 * at once (reuse the lowest free lane); tracks of one name under one process
 * are shown merged by the UI.  Timestamps are BOOTTIME ns like everything else.
 *
 * Strings are cut at 4096 bytes; an event keeps at most PW_ARGS_MAX
 * arguments.  The pw_track_* calls return 0 on failure (a writer error,
 * ENOMEM: check pw_writer__error()); events on track 0 are dropped and
 * counted in pw_track_stats.dropped.  Event calls return 0 or -errno.
 */
#define PW_ARGS_MAX 32

uint64_t pw_track_thread(struct pw_writer *w, uint32_t pid, uint32_t tid);
/* A track of thread @tid of its own, named @name: shown with the thread but not merged
 * into its track (disallow_merging_with_system_tracks), so its slices need not nest
 * with the thread's system call slices. */
uint64_t pw_track_thread_own(struct pw_writer *w, uint32_t pid, uint32_t tid, const char *name);
/* a named track of process @pid (async slices), lane 0, 1, ... for overlapping ones */
uint64_t pw_track_process(struct pw_writer *w, uint32_t pid, const char *name, uint32_t lane);
uint64_t pw_track_global(struct pw_writer *w, const char *name, uint32_t lane);
/* a counter track of process @pid, or a global one when @pid is 0 */
uint64_t pw_track_counter(struct pw_writer *w, uint32_t pid, const char *name);

/* Typed event arguments (DebugAnnotations); PW_ARG_PTR prints as hex. */
enum pw_arg_kind { PW_ARG_INT, PW_ARG_UINT, PW_ARG_DOUBLE, PW_ARG_STR, PW_ARG_BOOL, PW_ARG_PTR };
struct pw_arg {
	const char *name;
	enum pw_arg_kind kind;
	union {
		int64_t i;
		uint64_t u; /* PW_ARG_UINT, PW_ARG_PTR */
		double d;
		const char *s; /* NULL: "" */
		int b;
	} v;
};

int pw_slice_begin(struct pw_writer *w, uint64_t track, uint64_t ts, const char *name,
		   const struct pw_arg *args, unsigned nargs);
/* the END's arguments are merged with its BEGIN's by trace_processor */
int pw_slice_end(struct pw_writer *w, uint64_t track, uint64_t ts, const struct pw_arg *args,
		 unsigned nargs);
int pw_instant(struct pw_writer *w, uint64_t track, uint64_t ts, const char *name,
	       const struct pw_arg *args, unsigned nargs);
/* @track from pw_track_counter() */
int pw_counter(struct pw_writer *w, uint64_t track, uint64_t ts, double value);

struct pw_track_stats {
	uint32_t seq_id;	 /* 0: no track call yet */
	uint64_t events;	 /* handed to the writer */
	uint64_t dropped;	 /* not written: track 0, writer error, ENOMEM */
	uint64_t tracks;	 /* descriptors written */
	uint64_t interned_names; /* event + argument names defined, all generations */
	uint64_t generations;
	uint64_t memory_bytes;
};
void pw_track_stats(const struct pw_writer *w, struct pw_track_stats *out);

/* Close the cpu's open bundle (if it has events or a loss mark) into a packet. */
int pw_writer__flush_cpu(struct pw_writer *w, uint32_t cpu);
/* All cpus, then sync to the fd. */
int pw_writer__flush(struct pw_writer *w);

#ifdef __cplusplus
}
#endif
#endif /* PFTRACE_PROTO_WRITER_H */
