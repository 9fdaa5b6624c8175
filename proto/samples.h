/* SPDX-License-Identifier: MIT */
/*
 * proto/samples: stack samples as Perfetto PerfSample packets.
 *
 * A sample stream is one trusted_packet_sequence_id with its own interning
 * state (function names, mapping paths, build ids, mappings, frames,
 * callstacks) and its own PerfSampleDefaults, so the UI shows one set of
 * tracks and one flamegraph per stream ("cpu-clock", "D-state", ...).
 *
 * The caller hands over each sample's frames root (outermost) first, as
 * plain data; interning is done here, following trace_processor's rules:
 * the first packet of a stream (and of every new generation) carries
 * SEQ_INCREMENTAL_STATE_CLEARED | SEQ_NEEDS_INCREMENTAL_STATE with the
 * defaults; every new interned entry goes out on the packet that first uses
 * it; iids start at 1.  When the tables outgrow their memory bound, a new
 * generation starts (CLEARED again, everything re-interned on demand).
 *
 * Per sample cost: hashing the frames; no syscall (packets go through the
 * writer's buffer).  No protobuf-c type leaves proto/.
 */
#ifndef PFTRACE_PROTO_SAMPLES_H
#define PFTRACE_PROTO_SAMPLES_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct pw_writer;
struct pw_stream;

/* Perfetto Frame.kind */
enum pw_frame_kind {
	PW_FRAME_UNKNOWN = 0,
	PW_FRAME_NATIVE = 1,
	PW_FRAME_KERNEL = 2,
	PW_FRAME_INTERPRETED = 3,
	PW_FRAME_JIT = 4,
};

/* Profiling.CpuMode */
enum pw_cpu_mode {
	PW_MODE_UNKNOWN = 0,
	PW_MODE_KERNEL = 1,
	PW_MODE_USER = 2,
};

/* Profiling.StackUnwindError (subset) */
enum pw_unwind_error {
	PW_UNWIND_NONE = 0, /* not set */
	PW_UNWIND_OK = 1,   /* UNWIND_ERROR_NONE */
	PW_UNWIND_MEMORY_INVALID = 2,
	PW_UNWIND_UNWIND_INFO = 3,
	PW_UNWIND_UNSUPPORTED = 4,
	PW_UNWIND_INVALID_MAP = 5,
	PW_UNWIND_MAX_FRAMES_EXCEEDED = 6,
	PW_UNWIND_UNKNOWN = 14, /* UNWIND_ERROR_UNKNOWN */
};

struct pw_frame {
	uint32_t kind;	      /* enum pw_frame_kind */
	const char *function; /* NULL or "" when unknown */
	uint64_t rel_pc;      /* pc relative to the ELF file (kernel: the address) */
	/* The mapping; for PW_FRAME_KERNEL these are ignored and the conventional
	 * kernel mapping (start = end = 0, path "kernel") is used.  map_path NULL
	 * means no mapping (e.g. interpreted frames). */
	const char *map_path;
	uint64_t map_start, map_end, map_pgoff, map_load_bias;
	const uint8_t *build_id; /* raw bytes, or NULL */
	uint32_t build_id_len;
	/* Interpreted frames (optional). */
	const char *source_file;
	uint32_t line;
};

/* What the stream's timebase is, for PerfSampleDefaults. */
struct pw_stream_desc {
	const char *name;	 /* timebase name shown by the UI: "cpu-clock", "D-state" */
	const char *tracepoint;	 /* "sched:sched_switch", or NULL for a counter */
	uint32_t counter;	 /* PerfEvents.Counter when !tracepoint: 1 = SW_CPU_CLOCK, 10 =
				    HW_CPU_CYCLES */
	uint64_t frequency;	 /* Hz, or 0 */
	uint64_t period;	 /* or a period, or 0 */
	size_t max_intern_bytes; /* memory bound of the tables; 0 = 16 MiB */
};

/* A new stream on the next free sequence id.  NULL + errno. Freed by the writer. */
struct pw_stream *pw_stream__new(struct pw_writer *w, const struct pw_stream_desc *d);

struct pw_sample {
	uint64_t ts;		       /* BOOTTIME ns */
	uint32_t cpu, pid, tid;	       /* (uint32_t)-1: the task was reaped; left out */
	uint32_t cpu_mode;	       /* enum pw_cpu_mode */
	uint64_t timebase_count;       /* running count of the timebase, 0 = unset */
	uint32_t unwind_error;	       /* enum pw_unwind_error, 0 = unset */
	const struct pw_frame *frames; /* root first */
	unsigned nframes;
};

/* added: deeper stacks keep their PW_STREAM_MAX_FRAMES leaf-most frames; strings
 * (names, paths) are cut at PW_STREAM_STR_MAX bytes, build ids at 64.  Besides the
 * writer's error, -EINVAL (NULL arguments) and -ENOMEM (tables could not grow) are
 * returned; the sample is then dropped and counted in pw_stream_stats.dropped. */
#define PW_STREAM_MAX_FRAMES 4096
#define PW_STREAM_STR_MAX 8192

/* Emit one PerfSample (no callstack when nframes == 0). 0 or the writer's sticky error. */
int pw_stream__sample(struct pw_stream *s, const struct pw_sample *smp);

/* The kernel lost @count records on @cpu (PerfSample.kernel_records_lost, pid 0). */
int pw_stream__lost(struct pw_stream *s, uint64_t ts, uint32_t cpu, uint64_t count);

struct pw_stream_stats {
	uint64_t samples, lost;
	uint64_t generations;
	uint64_t interned_frames, interned_callstacks, interned_strings, interned_mappings;
	uint64_t memory_bytes;
	/* added: samples not written (writer error, ENOMEM); lost markers are not counted */
	uint64_t dropped;
};
/*
 * samples: samples handed to the writer; lost: records reported lost (sum of
 * counts); generations: generations started (1 after the first packet);
 * interned_*: entries defined in the trace, all generations together
 * (strings: function names, mapping paths, build ids and source paths);
 * memory_bytes: heap held by the stream (tables keep their capacity across
 * generations: at most about twice max_intern_bytes).
 */
void pw_stream__stats(const struct pw_stream *s, struct pw_stream_stats *out);

#ifdef __cplusplus
}
#endif
#endif /* PFTRACE_PROTO_SAMPLES_H */
