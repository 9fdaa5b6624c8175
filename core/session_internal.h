/* SPDX-License-Identifier: MIT */
/*
 * core/session_internal: the session's state, shared by the files that
 * implement it (session.c, host.c, evlist.c, drain.c) and nothing else.
 * Everyone else goes through core/session.h.
 */
#ifndef PFTRACE_CORE_SESSION_INTERNAL_H
#define PFTRACE_CORE_SESSION_INTERNAL_H

#include "core/plugin.h"
#include "core/session.h"
#include "core/u64map.h"
#include "core/util.h"

#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/perf_event.h>

#define MAX_EVENTS 96
#define MAX_SOURCES 24
#define MAX_STACK_HOOKS 8

/* What every plain tracepoint sample carries, in this order. */
#define SAMPLE_TYPE                                                                                \
	(PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_CPU |           \
	 PERF_SAMPLE_RAW)
/* header + id + pid/tid + time + cpu/res + raw size */
#define SAMPLE_FIXED (sizeof(struct perf_event_header) + 4 * 8 + 4)

struct gfield {
	const char *name;
	struct pft_field f;
};

enum event_kind {
	EV_TRACEPOINT, /* a tracepoint sample decoded by the host for the source's handler */
	EV_RAW,	       /* records the owner parses itself (record_fn): sampling counters,
			  tracepoints with callchains */
};

/* One perf event the session opens on every CPU (or task, or cgroup). */
struct pft_event {
	struct session *s;
	enum event_kind kind;
	char system[64], name[96];   /* the tracepoint; for a counter, system = label */
	char label[64];		     /* EV_RAW: "cpu-clock" */
	unsigned flags;		     /* PFT_EV_* */
	pft_handler fn;		     /* EV_TRACEPOINT */
	session_record_fn record_fn; /* EV_RAW */
	void *record_priv;	     /* its argument (ev->priv stays the handler's) */
	void *priv;
	const struct pft_source_ops *src;
	struct tp_format *fmt; /* tracepoints (either kind) */
	int id;		       /* tracefs id; -1 for non-tracepoint events */
	int dropped;
	uint32_t min_raw; /* records shorter than the format are malformed */
	/* The attributes that differ per event (type, config, sample_type, period,
	 * ...); session__attr() adds the ones every event shares. */
	struct perf_event_attr attr;
	struct perf_event_attr fallback; /* EV_RAW: tried when attr is not supported */
	char fallback_label[64];
	char filter[256];  /* tracepoint filter, or "" */
	uint64_t count;	   /* records read */
	uint64_t kept;	   /* records the handler put into the trace */
	struct gfield *gf; /* for emit_generic, built on first use */
	unsigned ngf;
	int gf_done;
};

struct pft_host {
	struct session *s;
};

/* A min-heap of rings by the time of their next record. */
struct merge_item {
	uint64_t t;
	struct pm_ring *ring;
	const struct perf_event_header *h;
};

struct active_source {
	const struct pft_source_ops *ops;
	void *priv;
	int inited;
	struct plugin *pl; /* the plugin it came from, NULL for built-ins */
};

struct stack_hook {
	pft_stack_fn fn;
	void *priv;
	const struct pft_source_ops *src; /* whose hook: names its warnings */
};

struct session {
	struct pft_host host;
	const struct record_opts *opts;
	struct pw_writer *w;
	struct proc_state *procs;
	struct tp_parser *parser;
	const struct pft_source_ops *cur_src; /* whose call runs (init, resolve): for messages */
	struct active_source *cur;	      /* the same, for option() */
	unsigned nr_errors;		      /* error() lines sources printed */
	struct plugin_set plugins;
	struct stack_hook hooks[MAX_STACK_HOOKS];
	unsigned nhooks;
	uint32_t max_read_delay_ms;	/* 0: none asked for (host.c: max_read_delay) */
	struct sym_cache *syms;		/* for the host's symbolize(), made on first use */
	session_attach_fn stack_attach; /* takes stacks at PFT_EV_STACK events */
	void *stack_attach_priv;
	int kallsyms_tried;

	struct pft_event events[MAX_EVENTS];
	unsigned nevents;
	struct active_source srcs[MAX_SOURCES];
	unsigned nsrcs;

	int ncpus;
	struct pm_ring **rings; /* [ncpus], NULL for cpus we could not open */
	uint64_t *cpu_events;	/* [ncpus] */
	int *fds;
	unsigned nfds, capfds;
	struct pollfd *pfds;
	unsigned npfds;
	struct merge_item *heap; /* [ncpus], for session__drain */
	struct u64map ids;	 /* perf id -> struct pft_event */

	enum scope_mode mode;
	struct u64map scope; /* tid + 1 -> (void *)1 */
	pid_t self;

	session_record_fn sideband_fn; /* non-sample records (MMAP2, COMM, FORK, EXIT) */
	void *sideband_priv;
	uint64_t dummy_bits;	   /* mmap/comm/task bits for the ring's dummy event */
	session_record_fn lost_fn; /* PERF_RECORD_LOST of a raw event */
	uint64_t sideband_records;

	uint64_t mono_to_boot;
	uint64_t start_boot, stop_boot;
	uint64_t start_mono_wall, stop_mono_wall;
	uint64_t records, unknown_records, bad_records;
	uint64_t corrupt_seen; /* skipped batches already warned about */
	size_t last_fill;      /* most bytes found in one ring by the last drain */
	size_t ring_bytes;
	uint64_t ring_rotations; /* --ring-buffer segments started by session__ring_rotate */
};

/* core/host.c */
extern const struct pft_host_ops session_host_ops;
/* Initialise source @ops (of plugin @pl, or NULL) now.  The new active
 * source, or NULL after an error (printed) with *err set. */
struct active_source *session__init_source(struct session *s, const struct pft_source_ops *ops,
					   struct plugin *pl, int *err);
int host__in_scope(struct session *s, uint32_t pid, uint32_t tid);

/* core/evlist.c: a new event slot of @kind (zeroed), or NULL + errno (E2BIG). */
struct pft_event *session__new_event(struct session *s, enum event_kind kind, unsigned flags);
/* A new event for tracepoint system:name with its format parsed, or NULL +
 * errno (message printed; a warning only with PFT_EV_OPTIONAL). */
struct pft_event *session__new_tracepoint(struct session *s, const char *system, const char *name,
					  unsigned flags);
/* Close every perf event and unmap the rings (idempotent). */
void session__close_events(struct session *s);
/* core/session.c: --ring-buffer: start the next segment (between two records). */
void session__ring_rotate(struct session *s);

#endif
