/* SPDX-License-Identifier: MIT */
/*
 * The public event-source interface of pftrace.
 *
 * Every event source -- the built-in sched, irq and syscall sources as much as
 * a dlopen'ed plugin -- is one `struct pft_source_ops` table.  A source asks
 * the host for tracepoints in init(); the host opens them on every CPU (or per
 * task, when recording is filtered), reads the rings and calls the source's
 * handler once per record with a decoded header and the raw tracepoint
 * payload.  Field offsets come from the live tracefs `format` file, looked up
 * once with host->field(); the inline readers below turn them into values.
 *
 * Handlers run on the ring-draining path: no allocation, no syscalls, no
 * locks.  Anything slow goes into flush(), called after each drained batch.
 *
 * This header is all a plugin sees.  ABI: bump PFT_ABI_VERSION on any change
 * to the structs or the order of function pointers; the loader refuses other
 * versions.
 */
#ifndef PFTRACE_PUBLIC_H
#define PFTRACE_PUBLIC_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PFT_ABI_VERSION 1

struct pft_host;	/* the recording session, opaque to sources */
struct pft_event;	/* one event a source subscribed to (a tracepoint) */

/* One record from a ring, already decoded up to the payload. */
struct pft_record {
	uint64_t ts;		/* BOOTTIME ns */
	uint32_t cpu;
	uint32_t pid;		/* tgid of the task current on the cpu */
	uint32_t tid;
	uint32_t raw_size;
	const void *raw;	/* tracepoint payload, common_* fields first */
};

/* Returns nonzero when the record went into the trace, 0 when the source
 * filtered it out (the summary counts both). */
typedef int (*pft_tp_handler)(void *priv, const struct pft_record *rec);

/* A tracepoint field, located once from the format file. */
enum {
	PFT_FIELD_SIGNED = 1u << 0,
	PFT_FIELD_STRING = 1u << 1,	/* char[N] or __data_loc char[] */
	PFT_FIELD_DYNAMIC = 1u << 2,	/* __data_loc: payload holds (len << 16 | offset) */
	PFT_FIELD_ARRAY = 1u << 3,	/* fixed array: size = elem_size * count */
	PFT_FIELD_RELATIVE = 1u << 4,	/* __rel_loc: offset counts from the field's end */
};
struct pft_field {
	uint32_t offset;
	uint32_t size;		/* bytes (for arrays: the whole array) */
	uint32_t elem_size;	/* for arrays; otherwise == size */
	uint32_t flags;
};

/* Subscription flags. */
enum {
	PFT_TP_OPTIONAL = 1u << 0,	/* missing tracepoint: warning, not failure */
	PFT_TP_ALL_TASKS = 1u << 1,	/* open system-wide even when recording is
					   filtered to pids/cgroup (the handler then
					   checks in_scope() itself); sched_switch
					   needs this to see tasks switching in */
	PFT_TP_NO_SELF = 1u << 2,	/* kernel-filter out the tracer's own threads */
	PFT_TP_OTHER_TASK = 1u << 3,	/* may be delivered for a task other than the
					   current one (sched_waking: the wakee), so
					   the current task is not taken into scope */
};

/* What the host offers a source.  All calls may be made from init() on;
 * the per-record ones (in_scope, the readers) from handlers. */
struct pft_host_ops {
	uint32_t abi_version;
	/* Subscribe @fn to system:name.  NULL if it does not exist (with
	 * PFT_TP_OPTIONAL a warning is printed; without, the recording fails). */
	struct pft_event *(*tracepoint)(struct pft_host *h, const char *system, const char *name,
				     unsigned flags, pft_tp_handler fn, void *priv);
	/* Locate a field of a subscribed tracepoint: 0 or -ENOENT. */
	int (*field)(struct pft_event *tp, const char *name, struct pft_field *out);
	/* Is @tid (with its tgid @pid, or 0 if unknown) inside what is recorded? */
	int (*in_scope)(struct pft_host *h, uint32_t pid, uint32_t tid);
	/* A one-line warning on stderr, prefixed with the source name. */
	void (*warn)(struct pft_host *h, const char *fmt, ...)
		__attribute__((format(printf, 2, 3)));
	/* Emit an event of any tracepoint as a generic ftrace event, all fields. */
	void (*emit_generic)(struct pft_host *h, struct pft_event *tp,
			     const struct pft_record *rec);
	/* Give a subscription back (e.g. its format lacks a field): not opened. */
	void (*drop)(struct pft_event *tp);
	/* Locate @n fields at once; if one is missing, warn, drop the
	 * subscription (rather than misdecode it) and return -ENOENT.  A NULL
	 * @tp (a tracepoint that did not exist) gives -ENOENT quietly. */
	int (*fields)(struct pft_event *tp, const char *const *names, struct pft_field *out,
		      unsigned n);
};

struct pft_source_ops {
	uint32_t abi_version;		/* PFT_ABI_VERSION */
	const char *name;		/* "sched", "syscalls", ... */
	const char *description;	/* one line for --list-sources */
	/* Subscribe to tracepoints; *priv is passed to every other call. 0 or
	 * -errno; after a failure fini(*priv) is still called if *priv was set. */
	int (*init)(struct pft_host *h, const struct pft_host_ops *ops, void **priv);
	/* After the events are enabled (optional). */
	int (*start)(void *priv);
	/* After each drained batch, off the per-record path (optional). */
	void (*flush)(void *priv);
	/* Recording stopped; last chance to emit (optional). */
	void (*stop)(void *priv);
	void (*fini)(void *priv);
	/* Add lines to the end-of-recording summary on stderr (optional). */
	void (*summary)(void *priv);
};

/* A plugin exports this symbol: */
#define PFT_PLUGIN_SYMBOL "pftrace_plugin_sources"
typedef const struct pft_source_ops *const *(*pft_plugin_sources_fn)(unsigned *count);

/* --- field readers (inline; no allocation, no syscalls) ------------------ */

static inline uint64_t pft_field_u64(const struct pft_field *f, const void *raw)
{
	const unsigned char *p = (const unsigned char *)raw + f->offset;
	switch (f->elem_size) {
	case 1: return *p;
	case 2: { uint16_t v; memcpy(&v, p, 2); return v; }
	case 4: { uint32_t v; memcpy(&v, p, 4); return v; }
	case 8: { uint64_t v; memcpy(&v, p, 8); return v; }
	default: return 0;
	}
}

static inline int64_t pft_field_s64(const struct pft_field *f, const void *raw)
{
	const unsigned char *p = (const unsigned char *)raw + f->offset;
	switch (f->elem_size) {
	case 1: return (int8_t)*p;
	case 2: { int16_t v; memcpy(&v, p, 2); return v; }
	case 4: { int32_t v; memcpy(&v, p, 4); return v; }
	case 8: { int64_t v; memcpy(&v, p, 8); return v; }
	default: return 0;
	}
}

/* Element @i of a fixed array field, unsigned. */
static inline uint64_t pft_field_elem_u64(const struct pft_field *f, const void *raw, unsigned i)
{
	struct pft_field e = *f;
	e.offset = f->offset + i * f->elem_size;
	return pft_field_u64(&e, raw);
}

/*
 * A string field (char[N] or __data_loc char[]), bounded by the record.
 * Copies at most @cap-1 bytes into @buf, NUL-terminates, returns @buf.
 */
static inline const char *pft_field_str(const struct pft_field *f, const void *raw,
					uint32_t raw_size, char *buf, size_t cap)
{
	const char *p = (const char *)raw + f->offset;
	size_t len = f->size;
	if (f->flags & PFT_FIELD_DYNAMIC) {
		uint32_t loc;
		uint32_t base = 0;
		if (f->offset + 4 > raw_size) { buf[0] = 0; return buf; }
		memcpy(&loc, p, 4);
		if (f->flags & PFT_FIELD_RELATIVE)
			base = f->offset + 4;
		p = (const char *)raw + base + (loc & 0xffff);
		len = loc >> 16;
		if (base + (loc & 0xffff) + len > raw_size) { buf[0] = 0; return buf; }
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
