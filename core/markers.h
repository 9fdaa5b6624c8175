/* SPDX-License-Identifier: MIT */
/*
 * core/markers: lines that applications write to mark their own work, parsed
 * and paired into slices -- sysdig tracer lines (">:ID:tags:args:", the JSON
 * form) and atrace lines ("B|pid|name", "E|pid", "C|pid|name|value",
 * "S|pid|name|cookie", "F|pid|name|cookie", "I|pid|name").  Pure: no tracefs,
 * no kernel; the channels that bring the lines are in core/src_markers.c.
 * The engine emits through &struct pft_host_ops (tests pass a fake one).
 */
#ifndef PFTRACE_CORE_MARKERS_H
#define PFTRACE_CORE_MARKERS_H

#include <pftrace/pftrace.h>
#include <stddef.h>
#include <stdint.h>

#include "core/u64map.h"

#define MK_MAX_LINE 4096 /* longer lines are cut (the uprobe's ustring is as long) */
#define MK_MAX_ARGS 16
#define MK_MAX_OPEN 128 /* open sysdig spans per ID */
#define MK_TAGS_MAX 256 /* bytes of tags kept per open span (matched by hash too) */
#define MK_ARGS_MAX 512 /* bytes of a BEGIN's argument text kept */

enum mk_kind {
	MK_NONE,	   /* not a marker (no known prefix) */
	MK_SD_BEGIN,	   /* sysdig '>' */
	MK_SD_END,	   /* sysdig '<' */
	MK_AT_BEGIN,	   /* atrace B */
	MK_AT_END,	   /* atrace E */
	MK_AT_COUNTER,	   /* atrace C */
	MK_AT_ASYNC_BEGIN, /* atrace S */
	MK_AT_ASYNC_END,   /* atrace F */
	MK_AT_INSTANT,	   /* atrace I (Perfetto) */
};

enum mk_id_kind {
	MK_ID_NUM,  /* a number; empty = 0 */
	MK_ID_TID,  /* "t": the writer's thread id */
	MK_ID_PID,  /* "p": its process id */
	MK_ID_PPID, /* "pp": its parent's */
};

struct mk_kv {
	const char *key, *val;
};

/* One parsed line; strings point into @buf (the line, copied and cut up). */
struct mk_line {
	enum mk_kind kind;
	enum mk_id_kind id_kind;
	int64_t id;
	const char *tags; /* sysdig: "req.db"; atrace: the name */
	unsigned nargs;
	struct mk_kv args[MK_MAX_ARGS];
	int32_t pid;	/* atrace: the pid field (0 when absent) */
	double value;	/* C */
	int64_t cookie; /* S, F */
	char buf[MK_MAX_LINE + 8];
};

/*
 * Parse one line (@len bytes at @text, a trailing newline allowed).
 * 0 with @out filled; -EINVAL for a malformed line of a known form (or
 * MK_NONE lines: out->kind says which); -ENOTSUP for the JSON form without
 * json-c.  Never reads past @len.
 */
int mk_parse(const char *text, size_t len, struct mk_line *out);

/* Whether @text looks like a marker line at all (a cheap prefix test). */
int mk_is_marker(const char *text, size_t len);

struct mk_stats {
	uint64_t lines;	       /* lines handed to the engine */
	uint64_t begins, ends; /* sysdig spans opened, closed */
	uint64_t async_spans;  /* closed sysdig spans that did not nest on their thread */
	uint64_t unmatched;    /* ends (sysdig <, atrace E/F) with nothing open */
	uint64_t dropped;      /* sysdig begins over MK_MAX_OPEN per ID */
	uint64_t unfinished;   /* still open at the end: closed there */
	uint64_t bad;	       /* malformed lines */
	uint64_t unsupported;  /* JSON lines without json-c */
	uint64_t other;	       /* lines of no known form */
	uint64_t atrace;       /* atrace lines turned into events */
};

struct mk_open;
struct mk_thread;

/* The writer of a line. */
struct mk_writer {
	uint64_t ts; /* CLOCK_BOOTTIME ns */
	uint32_t pid, tid;
};

/* Pairing state of one recording. */
struct mk_engine {
	struct pft_host *h;
	const struct pft_host_ops *ops;
	/* the parent pid of @pid, for the "pp" ID; may be NULL (then 0) */
	uint32_t (*ppid)(void *ctx, uint32_t pid);
	void *ppid_ctx;
	/* the track of a thread's own spans; NULL: ops->track_thread (the thread's track) */
	pft_track (*thread_track)(void *ctx, uint32_t pid, uint32_t tid);
	void *thread_track_ctx;
	struct u64map ids;     /* resolved sysdig ID + 1 -> struct mk_idstack */
	struct u64map threads; /* tid + 1 -> struct mk_thread */
	struct u64map async;   /* hash(pid, name, cookie) -> struct mk_async */
	struct u64map names;   /* hash(pid, name) -> struct mk_slots */
	struct mk_open *free;  /* recycled entries */
	void *allocs;	       /* everything allocated, for the end */
	struct mk_stats st;
	struct mk_line line; /* scratch, ~4 KiB: not on the stack */
};

void mk_engine__init(struct mk_engine *e, struct pft_host *h, const struct pft_host_ops *ops);
/* Feed one line written by @w.  Counts it; emits what it completes. */
void mk_engine__feed(struct mk_engine *e, const struct mk_writer *w, const char *text, size_t len);
/* Close everything still open at @ts (unfinished=true). */
void mk_engine__finish(struct mk_engine *e, uint64_t ts);
void mk_engine__free(struct mk_engine *e);

/*
 * One page of a tracefs ring buffer as trace_pipe_raw gives it (a 64-bit
 * kernel's layout, events/header_page: u64 timestamp, u64 commit, data):
 * calls @fn for each data event with its timestamp (the page's plus the
 * deltas and time extends before it) and payload.  0, or -EINVAL when the
 * page is malformed (the events before the fault were delivered).
 * *@missed is set when the kernel flags events lost before this page.
 */
typedef void (*mk_rb_fn)(void *ctx, uint64_t ts, const unsigned char *data, uint32_t len);
int mk_rb_page__parse(const void *page, size_t n, mk_rb_fn fn, void *ctx, int *missed);

#endif
