/* SPDX-License-Identifier: MIT */
/**
 * DOC: pftrace plugin interface
 *
 * This header is all a plugin (and every built-in event source) sees.
 *
 * A plugin is a shared object exporting one symbol, ``pftrace_plugin``, a
 * &struct pft_plugin: its name, a one-line description, its options, the
 * event-spec prefixes it resolves (``uprobe``, ``usdt``, ...) and one
 * &struct pft_source_ops table.  The built-in sched, irq, syscall and stack
 * sources are the same kind of table.
 *
 * Life of a source, in order:
 *
 *  1. init(): subscribe to events -- tracepoints with &pft_host_ops.tracepoint,
 *     any ``-e`` spec with &pft_host_ops.event -- locate their fields, ask for
 *     stack samples with &pft_host_ops.stack_hook.  Read plugin options with
 *     &pft_host_ops.option.  Failing here fails the recording before anything
 *     is written.
 *  2. start(): the events are enabled.
 *  3. handlers and flush(): a handler runs once per record, on the
 *     ring-draining path: **no allocation, no system call, no lock** there;
 *     slow work goes into flush(), called after each drained batch.
 *  4. stop(): recording stopped, the rings are drained; last chance to emit.
 *  5. summary(): add lines to the end-of-recording summary (stderr).
 *  6. fini(): free everything.  The host has closed the perf events by then
 *     (so a plugin can remove the tracefs probes they used).
 *
 * Records come in time order across CPUs (the host merges the per-CPU rings),
 * and timestamps are CLOCK_BOOTTIME nanoseconds, the clock of the whole trace.
 *
 * ABI: any change to a struct below or to the order of the function pointers
 * bumps %PFT_ABI_VERSION; the loader refuses a plugin built for another one.
 * Out of tree, build a plugin with ``cc -shared -fPIC $(pkg-config --cflags
 * pftrace) -o myplugin.so myplugin.c`` and load it with
 * ``pftrace record --plugin ./myplugin.so``.
 */
#ifndef PFTRACE_PUBLIC_H
#define PFTRACE_PUBLIC_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PFT_ABI_VERSION 3

struct pft_host;  /* the recording session, opaque */
struct pft_event; /* one event a source subscribed to, opaque */

/**
 * struct pft_record - one record from a ring, decoded up to its payload
 * @ts:       CLOCK_BOOTTIME nanoseconds
 * @cpu:      the CPU it was recorded on
 * @pid:      tgid of the task that was current on that CPU
 * @tid:      its thread id
 * @raw_size: bytes at @raw
 * @raw:      the tracepoint payload, ``common_*`` fields first; read it with
 *            the field readers below
 */
struct pft_record {
	uint64_t ts;
	uint32_t cpu;
	uint32_t pid;
	uint32_t tid;
	uint32_t raw_size;
	const void *raw;
};

/**
 * typedef pft_handler - called once per record of a subscribed event
 *
 * Return nonzero when the record went into the trace, 0 when the source
 * filtered it out (the summary counts both).
 */
typedef int (*pft_handler)(void *priv, const struct pft_record *rec);

/* Field flags (struct pft_field.flags). */
enum {
	PFT_FIELD_SIGNED = 1u << 0,
	PFT_FIELD_STRING = 1u << 1,   /* char[N] or __data_loc char[] */
	PFT_FIELD_DYNAMIC = 1u << 2,  /* __data_loc: payload holds (len << 16 | offset) */
	PFT_FIELD_ARRAY = 1u << 3,    /* fixed array: size = elem_size * count */
	PFT_FIELD_RELATIVE = 1u << 4, /* __rel_loc: offset counts from the field's end */
};

/**
 * struct pft_field - where a field sits in an event's payload
 * @offset:    byte offset in &pft_record.raw
 * @size:      bytes (for arrays: the whole array)
 * @elem_size: for arrays, one element; otherwise equal to @size
 * @flags:     PFT_FIELD_*
 */
struct pft_field {
	uint32_t offset;
	uint32_t size;
	uint32_t elem_size;
	uint32_t flags;
};

/* Subscription flags (the @flags of tracepoint() and event()). */
enum {
	/* a missing event is a warning, not a failure */
	PFT_EV_OPTIONAL = 1u << 0,
	/* open system-wide even when recording is filtered to pids or a cgroup;
	 * the handler checks in_scope() itself (sched_switch needs this to see
	 * tasks switching in) */
	PFT_EV_ALL_TASKS = 1u << 1,
	/* kernel-filter out the tracer's own threads */
	PFT_EV_NO_SELF = 1u << 2,
	/* may be delivered in another task's context (sched_waking: the wakee),
	 * so the current task is not taken into the recorded scope */
	PFT_EV_OTHER_TASK = 1u << 3,
	/* emit_generic() writes this event as an instant on the thread's track,
	 * its fields as arguments, instead of as an ftrace event (user probes) */
	PFT_EV_INSTANT = 1u << 4,
	/* take a stack (kernel and user, as the sampled stacks are taken) at
	 * each hit, into a stack stream named after the event; without stacks
	 * (--no-stacks) a warning, and the hits are recorded all the same */
	PFT_EV_STACK = 1u << 5,
};

/**
 * enum pft_arg_kind - the type of a &struct pft_arg value
 */
enum pft_arg_kind {
	PFT_ARG_INT,
	PFT_ARG_UINT,
	PFT_ARG_DOUBLE,
	PFT_ARG_STR,
	PFT_ARG_BOOL,
	PFT_ARG_PTR,
};

/**
 * struct pft_arg - a typed argument of a slice or instant (a Perfetto
 * debug annotation); strings are copied before the call returns
 */
struct pft_arg {
	const char *name;
	enum pft_arg_kind kind;
	union {
		int64_t i;
		uint64_t u;
		double d;
		const char *s;
		int b;
	} v;
};

/* Frame kinds (struct pft_frame.kind), as Perfetto's Frame.kind. */
enum {
	PFT_FRAME_UNKNOWN = 0,
	PFT_FRAME_NATIVE = 1,
	PFT_FRAME_KERNEL = 2,
	PFT_FRAME_INTERPRETED = 3,
	PFT_FRAME_JIT = 4,
};

/**
 * struct pft_frame - one frame of a stack sample
 * @ip:          the absolute address (0 for frames a plugin made up)
 * @kind:        PFT_FRAME_*
 * @line:        source line, 0 when unknown
 * @function:    the function's name, or NULL
 * @source_file: for interpreted frames, the script's file; NULL otherwise
 * @map_path:    the mapped file of a native frame; a plugin's frames may name
 *               a path to group them (the UI shows it as the frame's mapping)
 * @host:        the host's own data for a frame it made; a plugin that keeps
 *               a frame copies it along, a plugin's new frames set NULL
 *
 * Strings a plugin sets must stay valid until the hook returns; the host
 * copies (interns) them.
 */
struct pft_frame {
	uint64_t ip;
	uint32_t kind;
	uint32_t line;
	const char *function;
	const char *source_file;
	const char *map_path;
	const void *host;
};

/**
 * struct pft_stack - a stack sample offered to a stack hook
 * @ts:      CLOCK_BOOTTIME ns of the sample
 * @pid:     tgid
 * @tid:     thread id
 * @cpu:     CPU
 * @stream:  which stream: "cpu-clock", "cycles", "D-state", "off-cpu", ...
 * @frames:  root (outermost) first; a hook may rewrite them in place
 * @nframes: frames in use
 * @cap:     frames the array holds; a hook may grow @nframes up to @cap
 */
struct pft_stack {
	uint64_t ts;
	uint32_t pid;
	uint32_t tid;
	uint32_t cpu;
	const char *stream;
	struct pft_frame *frames;
	unsigned nframes;
	unsigned cap;
};

/**
 * typedef pft_stack_fn - a stack hook; rewrites @st before it is written
 *
 * Runs on the draining path, after the sample was unwound and symbolized:
 * the frames are named.  Reading the process's memory (read_memory()) is
 * allowed here; keep it short.
 */
typedef void (*pft_stack_fn)(void *priv, struct pft_stack *st);

/* struct pft_mapping.prot bits */
enum {
	PFT_MAP_READ = 1u << 0,
	PFT_MAP_WRITE = 1u << 1,
	PFT_MAP_EXEC = 1u << 2,
};

/**
 * struct pft_mapping - one mapping of a process (as in /proc/PID/maps)
 * @start:  first address
 * @end:    one past the last
 * @pgoff:  file offset of @start
 * @prot:   PFT_MAP_* bits
 * @path:   the file as the process sees it, "[heap]" and the like, or ""
 */
struct pft_mapping {
	uint64_t start, end, pgoff;
	uint32_t prot;
	const char *path;
};

/* A track of TrackEvents: an id from track_thread() and friends. */
typedef uint64_t pft_track;

/**
 * struct pft_host_ops - what the host offers a source
 *
 * All calls may be made from init() on.  From handlers, only in_scope(),
 * emit_generic(), the track and slice calls and the field readers (the
 * inline functions below); read_memory(), mappings() and symbolize() also
 * from flush() and stack hooks.
 */
struct pft_host_ops {
	/** @abi_version: %PFT_ABI_VERSION of the host */
	uint32_t abi_version;

	/**
	 * @tracepoint: subscribe @fn to tracepoint @system:@name.  NULL if it
	 * does not exist: with %PFT_EV_OPTIONAL a warning is printed, without
	 * it the recording fails (the error is printed).
	 */
	struct pft_event *(*tracepoint)(struct pft_host *h, const char *system, const char *name,
					unsigned flags, pft_handler fn, void *priv);
	/**
	 * @event: subscribe @fn to any event spec ``-e`` accepts: ``SYS:NAME``
	 * or a spec whose prefix a plugin resolves (``uprobe:PATH:SYMBOL``,
	 * ``usdt:PATH:PROVIDER:NAME``, ...; the plugin is loaded on demand).
	 * NULL on failure, message printed.
	 */
	struct pft_event *(*event)(struct pft_host *h, const char *spec, unsigned flags,
				   pft_handler fn, void *priv);
	/** @field: locate a field of a subscribed event: 0 or -ENOENT */
	int (*field)(struct pft_event *ev, const char *name, struct pft_field *out);
	/**
	 * @fields: locate @n fields at once; if one is missing, warn, drop the
	 * subscription (rather than misdecode it) and return -ENOENT.  A NULL
	 * @ev (an optional event that did not exist) gives -ENOENT quietly.
	 */
	int (*fields)(struct pft_event *ev, const char *const *names, struct pft_field *out,
		      unsigned n);
	/** @drop: give a subscription back before recording starts */
	void (*drop)(struct pft_event *ev);
	/** @event_name: "system:name" of an event, for messages */
	const char *(*event_name)(const struct pft_event *ev);
	/** @in_scope: is @tid (of process @pid, 0 if unknown) being recorded? */
	int (*in_scope)(struct pft_host *h, uint32_t pid, uint32_t tid);
	/**
	 * @target_pids: the pids the recording is limited to (-p, the command),
	 * up to @cap of them; 0 when recording system-wide or by cgroup
	 */
	unsigned (*target_pids)(struct pft_host *h, pid_t *out, unsigned cap);
	/** @tracefs_dir: where tracefs is mounted (mounted by the host if it was not) */
	const char *(*tracefs_dir)(struct pft_host *h);
	/**
	 * @option: the value of the plugin option @key given on the command
	 * line (``--plugin NAME:key=val,...``), "" for a key given without a
	 * value, NULL when absent.  Only during init().
	 */
	const char *(*option)(struct pft_host *h, const char *key);
	/** @warn: one warning line on stderr, prefixed with the source's name */
	void (*warn)(struct pft_host *h, const char *fmt, ...)
		__attribute__((format(printf, 2, 3)));
	/**
	 * @error: one error line on stderr, prefixed with the source's name;
	 * for init() failures
	 */
	void (*error)(struct pft_host *h, const char *fmt, ...)
		__attribute__((format(printf, 2, 3)));

	/**
	 * @emit_generic: write a record of @ev with all its fields: as an
	 * ftrace event, or (%PFT_EV_INSTANT) as an instant on the thread's track
	 */
	void (*emit_generic)(struct pft_host *h, struct pft_event *ev,
			     const struct pft_record *rec);

	/** @track_thread: the track of thread @tid of process @pid */
	pft_track (*track_thread)(struct pft_host *h, uint32_t pid, uint32_t tid);
	/**
	 * @track_process: a named track under process @pid, for slices that are
	 * not one thread's (async spans)
	 */
	pft_track (*track_process)(struct pft_host *h, uint32_t pid, const char *name);
	/** @track_global: a named track of the whole system */
	pft_track (*track_global)(struct pft_host *h, const char *name);
	/** @track_counter: a counter track, under process @pid or global (0) */
	pft_track (*track_counter)(struct pft_host *h, uint32_t pid, const char *name);
	/**
	 * @slice_begin: open slice @name on @track at @ts.  Slices nest
	 * strictly per track: slice_end() closes the latest open one.
	 */
	void (*slice_begin)(struct pft_host *h, pft_track track, uint64_t ts, const char *name,
			    const struct pft_arg *args, unsigned nargs);
	/** @slice_end: close the latest open slice of @track; args are merged */
	void (*slice_end)(struct pft_host *h, pft_track track, uint64_t ts,
			  const struct pft_arg *args, unsigned nargs);
	/** @instant: a zero-length event @name on @track */
	void (*instant)(struct pft_host *h, pft_track track, uint64_t ts, const char *name,
			const struct pft_arg *args, unsigned nargs);
	/** @counter: a value of a counter track */
	void (*counter)(struct pft_host *h, pft_track track, uint64_t ts, double value);

	/**
	 * @stack_hook: have @fn see (and rewrite) every stack sample before it
	 * is written.  0, or -ENOTSUP when the recording takes no stacks.
	 */
	int (*stack_hook)(struct pft_host *h, pft_stack_fn fn, void *priv);
	/**
	 * @read_memory: read @len bytes at @addr of process @pid
	 * (process_vm_readv).  Bytes read, or -errno.
	 */
	ssize_t (*read_memory)(struct pft_host *h, uint32_t pid, uint64_t addr, void *buf,
			       size_t len);
	/**
	 * @mappings: call @fn for each mapping of @pid (read from
	 * /proc/PID/maps now: not from a handler); stops when @fn returns
	 * nonzero and returns that, 0 after the last, -errno when unreadable.
	 */
	int (*mappings)(struct pft_host *h, uint32_t pid,
			int (*fn)(void *ctx, const struct pft_mapping *m), void *ctx);
	/**
	 * @symbolize: name the function at @addr of process @pid (kernel
	 * addresses with @pid 0).  Copies at most @cap-1 bytes into @name;
	 * *@offset gets the address relative to the mapped ELF file.  0 or
	 * -ENOENT.
	 */
	int (*symbolize)(struct pft_host *h, uint32_t pid, uint64_t addr, char *name, size_t cap,
			 uint64_t *offset);
	/**
	 * @symbol_address: the address in process @pid of symbol @name (code or
	 * data, .symtab or .dynsym) of a file it maps whose path ends in @file
	 * (NULL: the first mapped file that has it).  Reads the files: not from
	 * a handler.  0 or -ENOENT.
	 */
	int (*symbol_address)(struct pft_host *h, uint32_t pid, const char *file, const char *name,
			      uint64_t *addr);
	/**
	 * @field_at: field @i of a subscribed event's format, in format order
	 * (the common_* fields first): its name, or NULL past the last
	 */
	const char *(*field_at)(struct pft_event *ev, unsigned i, struct pft_field *out);
	/**
	 * @set_filter: give subscription @ev a kernel filter (the tracefs filter
	 * syntax over its fields: ``buf ~ ">:*" || count > 8``), set when the
	 * event is opened; a filter the kernel rejects fails the recording.
	 * Only during init().  0, or -E2BIG when longer than 255 bytes.
	 */
	int (*set_filter)(struct pft_event *ev, const char *filter);
	/**
	 * @max_read_delay: ask that records be read no later than @ms after
	 * they were written (the reader then also wakes every @ms, not only
	 * when a ring is a quarter full): for a stack hook that reads the
	 * process's memory, which must still hold what the sample saw.  The
	 * smallest value asked for wins.  Only during init().
	 */
	void (*max_read_delay)(struct pft_host *h, uint32_t ms);
};

/**
 * struct pft_source_ops - an event source
 *
 * Every pointer but @init and @fini may be NULL.
 */
struct pft_source_ops {
	/** @abi_version: %PFT_ABI_VERSION */
	uint32_t abi_version;
	/** @name: "sched", "probes", ... (prefixes its messages) */
	const char *name;
	/** @description: one line for ``pftrace plugins`` */
	const char *description;
	/**
	 * @init: subscribe to events; *@priv is passed to every other call.
	 * 0 or -errno (say why with error()); after a failure fini(*@priv) is
	 * still called if *@priv was set.
	 */
	int (*init)(struct pft_host *h, const struct pft_host_ops *ops, void **priv);
	/**
	 * @resolve: subscribe @fn to @spec, one of the event specs whose prefix
	 * the plugin declared (&pft_plugin.spec_prefixes).  Called during other
	 * sources' init(), after this source's init().  NULL on failure, after
	 * an error() naming the spec.
	 */
	struct pft_event *(*resolve)(void *priv, const char *spec, unsigned flags, pft_handler fn,
				     void *fn_priv);
	/** @start: after the events are enabled */
	int (*start)(void *priv);
	/** @flush: after each drained batch, off the per-record path */
	void (*flush)(void *priv);
	/** @stop: recording stopped, rings drained; last chance to emit */
	void (*stop)(void *priv);
	/** @summary: add lines to the end-of-recording summary on stderr */
	void (*summary)(void *priv);
	/** @fini: free everything (the perf events are closed already) */
	void (*fini)(void *priv);
};

/**
 * struct pft_plugin_option - one option a plugin takes
 * @name:    the key in ``--plugin NAME:key=val``
 * @help:    one line for ``pftrace plugins``
 * @defval:  the default, as text, or NULL
 */
struct pft_plugin_option {
	const char *name;
	const char *help;
	const char *defval;
};

/**
 * struct pft_plugin_command - a subcommand a plugin adds (``pftrace NAME``)
 * @name:        the subcommand
 * @description: one line for ``pftrace --help``
 * @run:         called with the arguments after the subcommand (@argv[0] is
 *               its name); returns the exit status.  No recording runs.
 */
struct pft_plugin_command {
	const char *name;
	const char *description;
	int (*run)(int argc, char **argv);
};

/**
 * struct pft_plugin - what a plugin exports as %PFT_PLUGIN_SYMBOL
 * @abi_version:   %PFT_ABI_VERSION it was built against
 * @name:          the name ``--plugin NAME`` loads it by
 * @description:   one line for ``pftrace plugins``
 * @options:       its options, ended by an entry with a NULL name (or NULL)
 * @spec_prefixes: event-spec prefixes it resolves (``"uprobe"`` handles
 *                 ``-e uprobe:...``), NULL-terminated, or NULL; a spec with
 *                 one of them loads the plugin automatically
 * @source:        the event source
 * @commands:      subcommands it adds, ended by a NULL name (or NULL)
 */
struct pft_plugin {
	uint32_t abi_version;
	const char *name;
	const char *description;
	const struct pft_plugin_option *options;
	const char *const *spec_prefixes;
	const struct pft_source_ops *source;
	const struct pft_plugin_command *commands;
};

#define PFT_PLUGIN_SYMBOL "pftrace_plugin"

/* --- field readers (inline; no allocation, no syscalls) ------------------ */

/**
 * pft_field_u64() - an unsigned integer field (1, 2, 4 or 8 bytes)
 * @f:   the field, from field()/fields()
 * @raw: &pft_record.raw
 */
static inline uint64_t pft_field_u64(const struct pft_field *f, const void *raw)
{
	const unsigned char *p = (const unsigned char *)raw + f->offset;
	switch (f->elem_size) {
	case 1:
		return *p;
	case 2: {
		uint16_t v;
		memcpy(&v, p, 2);
		return v;
	}
	case 4: {
		uint32_t v;
		memcpy(&v, p, 4);
		return v;
	}
	case 8: {
		uint64_t v;
		memcpy(&v, p, 8);
		return v;
	}
	default:
		return 0;
	}
}

/**
 * pft_field_s64() - a signed integer field, sign-extended
 * @f:   the field
 * @raw: &pft_record.raw
 */
static inline int64_t pft_field_s64(const struct pft_field *f, const void *raw)
{
	const unsigned char *p = (const unsigned char *)raw + f->offset;
	switch (f->elem_size) {
	case 1:
		return (int8_t)*p;
	case 2: {
		int16_t v;
		memcpy(&v, p, 2);
		return v;
	}
	case 4: {
		int32_t v;
		memcpy(&v, p, 4);
		return v;
	}
	case 8: {
		int64_t v;
		memcpy(&v, p, 8);
		return v;
	}
	default:
		return 0;
	}
}

/**
 * pft_field_elem_u64() - element @i of a fixed array field, unsigned
 * @f:   the field
 * @raw: &pft_record.raw
 * @i:   the index (not checked against the array's length)
 */
static inline uint64_t pft_field_elem_u64(const struct pft_field *f, const void *raw, unsigned i)
{
	struct pft_field e = *f;
	e.offset = f->offset + i * f->elem_size;
	return pft_field_u64(&e, raw);
}

/**
 * pft_field_str() - a string field (char[N], __data_loc or __rel_loc char[])
 * @f:        the field
 * @raw:      &pft_record.raw
 * @raw_size: &pft_record.raw_size (the string is bounded by the record)
 * @buf:      where to copy it
 * @cap:      size of @buf (at least 1)
 *
 * Copies at most @cap-1 bytes, stops at a NUL, NUL-terminates.
 * Return: @buf ("" when the field lies outside the record)
 */
static inline const char *pft_field_str(const struct pft_field *f, const void *raw,
					uint32_t raw_size, char *buf, size_t cap)
{
	const char *p = (const char *)raw + f->offset;
	size_t len = f->size;
	if (f->flags & PFT_FIELD_DYNAMIC) {
		uint32_t loc;
		uint32_t base = 0;
		if (f->offset + 4 > raw_size) {
			buf[0] = 0;
			return buf;
		}
		memcpy(&loc, p, 4);
		if (f->flags & PFT_FIELD_RELATIVE)
			base = f->offset + 4;
		p = (const char *)raw + base + (loc & 0xffff);
		len = loc >> 16;
		if (base + (loc & 0xffff) + len > raw_size) {
			buf[0] = 0;
			return buf;
		}
	} else if (f->offset + len > raw_size) {
		buf[0] = 0;
		return buf;
	}
	if (len >= cap)
		len = cap - 1;
	{
		const char *nul = (const char *)memchr(p, 0, len);
		if (nul)
			len = (size_t)(nul - p);
	}
	memcpy(buf, p, len);
	buf[len] = 0;
	return buf;
}

#ifdef __cplusplus
}
#endif
#endif /* PFTRACE_PUBLIC_H */
