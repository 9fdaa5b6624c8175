/* SPDX-License-Identifier: MIT */
/*
 * core/session: one recording.  Owns the event subscriptions of the
 * sources, the perf events and per-CPU rings, the clock conversion, the
 * scope (which tasks are recorded), the writer and the statistics.  The
 * `struct pft_host` that sources see is the session.  It prints errors but
 * no report: the record command reads the statistics and prints the summary.
 *
 * Implemented in session.c (lifetime, sources, start, stop), host.c (the
 * host ops), evlist.c (events and opening) and drain.c (reading the rings).
 */
#ifndef PFTRACE_CORE_SESSION_H
#define PFTRACE_CORE_SESSION_H

#include <stdint.h>
#include <sys/types.h>
#include <linux/perf_event.h>
#include <pftrace/pftrace.h>

struct pw_writer;
struct proc_state;
struct record_opts;

enum scope_mode {
	SCOPE_ALL,    /* system-wide */
	SCOPE_TASKS,  /* per-task events, inherited by children (-p, -- CMD) */
	SCOPE_CGROUP, /* perf cgroup events (-c) */
};

struct session_target {
	enum scope_mode mode;
	pid_t *tids; /* SCOPE_TASKS: the threads to open events on */
	unsigned ntids;
	int enable_on_exec; /* SCOPE_TASKS for a command not yet exec'ed */
	int cgroup_fd;	    /* SCOPE_CGROUP */
};

struct session;
struct perf_event_header;

/* A handler of whole perf records (samples of raw events, sideband). */
typedef void (*session_record_fn)(void *priv, const struct perf_event_header *h, uint32_t cpu);

/* A perf event that is not a plain tracepoint sample: a sampling counter
 * (cpu-clock) or a tracepoint with callchains.  The session fills in the
 * clock, watermark, disabled and inheritance bits; the handler parses the
 * records (their layout follows attr.sample_type, IDENTIFIER first). */
struct session_event {
	const char *label;		 /* "cpu-clock", "sched:sched_switch (D-state)" */
	const char *tp_system, *tp_name; /* a tracepoint, or NULL: attr.type/config */
	struct perf_event_attr attr;
	struct perf_event_attr fallback; /* tried when attr is not supported (type 0 = none) */
	const char *fallback_label;
	const char *filter; /* tracepoint filter, or NULL */
	unsigned flags;	    /* PFT_EV_* */
	session_record_fn record;
	void *priv;
};

enum {
	SESSION_SIDEBAND_MMAP = 1 << 0, /* PERF_RECORD_MMAP2 of executable mappings */
	SESSION_SIDEBAND_TASK = 1 << 1, /* COMM (with exec), FORK, EXIT */
};

struct session *session__new(const struct record_opts *opts, struct pw_writer *w);
void session__free(struct session *s); /* NULL ok */

/* Sources subscribe (built-ins and -e events).  0 or -errno (message printed). */
int session__add_sources(struct session *s);

/* Open every subscribed event for the target, map the rings.  0 or -errno
 * (message printed). */
int session__open(struct session *s, const struct session_target *t);

/* Write the clock snapshot + system info, enable, snapshot /proc. 0 / -errno. */
int session__start(struct session *s);

/* Did the last drain find a ring more than an eighth full? (then the caller
 * should drain again without sleeping) */
int session__busy(const struct session *s);
/* The longest the reader may sleep between drains (ms; 0: no limit asked for). */
uint32_t session__max_read_delay(const struct session *s);

/* Drain every ring once; returns records handled. */
uint64_t session__drain(struct session *s);

/* Wait until a ring passes its watermark, the timeout expires or a signal
 * arrives (ppoll with @sigmask).  0, or -errno (-EINTR on signals).  Prints
 * nothing. */
int session__wait(struct session *s, int timeout_ms, const void *sigmask);

/* Disable the events, drain what is left, let sources finish, recheck clocks. */
int session__stop(struct session *s);

/* Add a raw event (before session__open): its records go to e->record whole.
 * NULL + errno (message printed for unknown tracepoints). */
struct pft_event *session__add_event(struct session *s, const struct session_event *e);
const char *session__event_label(const struct pft_event *ev);
struct pft_event *session__event_by_id(struct session *s, uint64_t id);
/* Ask the ring's dummy event for sideband records (SESSION_SIDEBAND_*) and
 * route them, and PERF_RECORD_LOST, to @fn / @lost_fn. */
void session__set_sideband(struct session *s, uint64_t bits, session_record_fn fn,
			   session_record_fn lost_fn, void *priv);
/*
 * Stacks at the hits of events subscribed with PFT_EV_STACK: the stack
 * source registers @attach, called for each such tracepoint after every
 * source's init().  It turns the event into a raw one
 * (session__event_set_raw) whose records it parses, takes the stack and
 * hands the decoded record on with session__deliver().
 */
typedef int (*session_attach_fn)(void *priv, struct pft_event *ev);
void session__set_stack_attach(struct session *s, session_attach_fn attach, void *priv);
void session__event_set_raw(struct pft_event *ev, uint64_t sample_type, uint64_t regs_user,
			    uint32_t stack_user, session_record_fn fn, void *priv);
/* A record of a raw event that stands in for a tracepoint, to its subscriber. */
void session__deliver(struct pft_event *ev, const struct pft_record *rec);
/* "system:name" of an event (its label for raw counters). */
const char *session__event_name(const struct pft_event *ev);
/* Records shorter than this are malformed (the tracepoint's format). */
uint32_t session__event_min_raw(const struct pft_event *ev);

/* The plugins' stack hooks (host op stack_hook), in the order they asked. */
int session__has_stack_hooks(const struct session *s);
void session__run_stack_hooks(struct session *s, struct pft_stack *st);
uint64_t session__perf_to_boot(const struct session *s, uint64_t perf_ns);
int session__ncpus(const struct session *s);
int session__in_scope(struct session *s, uint32_t pid);
struct session *session__of(struct pft_host *h);

/* For sources in core/: */
struct pw_writer *session__writer(struct pft_host *h);
struct proc_state *session__procs(struct pft_host *h);
void session__scope_add(struct pft_host *h, uint32_t tid);
int session__filtered(struct pft_host *h);
uint64_t session__lost_total(const struct session *s);

/* --- statistics, for the summary the record command prints ------------------------ */

struct session_stats {
	uint64_t elapsed_ns;	  /* from enabling to disabling the events */
	uint64_t records;	  /* events handled */
	uint64_t unknown_records; /* samples of an id no event has */
	uint64_t bad_records;	  /* malformed samples */
	uint64_t processes;	  /* processes described in the trace */
	size_t ring_bytes;	  /* per cpu */
	unsigned nfds;		  /* perf events opened */
	int filtered;		  /* not system-wide: events read system-wide != kept */
};
void session__stats(const struct session *s, struct session_stats *out);

struct session_event_stats {
	char name[170]; /* "system:name", or the label of a raw event */
	uint64_t read;	/* records read */
	uint64_t kept;	/* records put into the trace */
};
/* Event @i (0..): 0, or -ENOENT past the last one. */
int session__event_stats(const struct session *s, unsigned i, struct session_event_stats *out);

struct session_cpu_stats {
	uint64_t events;	  /* events read */
	uint64_t lost_records;	  /* PERF_RECORD_LOST: no room in the ring */
	uint64_t lost_samples;	  /* LOST_SAMPLES: dropped before the ring */
	uint64_t skipped_batches; /* batches cut short by a malformed record */
	uint64_t bytes_read;
};
/* @cpu's ring: 0, or -ENODEV when the cpu had no ring. */
int session__cpu_stats(const struct session *s, int cpu, struct session_cpu_stats *out);

/* Let every source add its lines to the summary (pft_source_ops.summary). */
void session__sources_summary(struct session *s);

#endif
