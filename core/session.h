/* SPDX-License-Identifier: MIT */
/*
 * core/session: one recording.  Owns the tracepoint subscriptions of the
 * sources, the perf events and per-CPU rings, the clock conversion, the
 * scope (which tasks are recorded), the writer and the statistics.  The
 * `struct pft_host` that sources see is the session.
 */
#ifndef PFTRACE_CORE_SESSION_H
#define PFTRACE_CORE_SESSION_H

#include <stdint.h>
#include <sys/types.h>
#include <pftrace/pftrace.h>

struct pw_writer;
struct proc_state;
struct record_opts;

enum scope_mode {
	SCOPE_ALL,		/* system-wide */
	SCOPE_TASKS,		/* per-task events, inherited by children (-p, -- CMD) */
	SCOPE_CGROUP,		/* perf cgroup events (-c) */
};

struct session_target {
	enum scope_mode mode;
	pid_t *tids;		/* SCOPE_TASKS: the threads to open events on */
	unsigned ntids;
	int enable_on_exec;	/* SCOPE_TASKS for a command not yet exec'ed */
	int cgroup_fd;		/* SCOPE_CGROUP */
};

struct session;

struct session *session__new(const struct record_opts *opts, struct pw_writer *w);
void session__free(struct session *s);	/* NULL ok */

/* Sources subscribe (built-ins and -e events).  0 or -errno (message printed). */
int session__add_sources(struct session *s);

/* Open every subscribed tracepoint for the target, map the rings.  0 or -errno
 * (message printed). */
int session__open(struct session *s, const struct session_target *t);

/* Write the clock snapshot + system info, enable, snapshot /proc. 0 / -errno. */
int session__start(struct session *s);

/* Drain every ring once; returns records handled. */
uint64_t session__drain(struct session *s);

/* Wait until a ring passes its watermark, the timeout expires or a signal
 * arrives (ppoll with @sigmask).  0, or -errno (-EINTR on signals). */
int session__wait(struct session *s, int timeout_ms, const void *sigmask);

/* Disable the events, drain what is left, let sources finish, recheck clocks. */
int session__stop(struct session *s);

/* Print the summary to stderr (always a short one; more with -v). */
void session__summary(struct session *s, uint64_t output_bytes);

/* For tests: take @ring (e.g. pm_ring__new_from_buffer) as its cpu's ring,
 * with each tracepoint's perf id equal to its tracefs id.  The session frees
 * the ring.  0 or -errno. */
struct pm_ring;
int session__attach_test_ring(struct session *s, struct pm_ring *ring);

/* For sources in core/: */
struct pw_writer *session__writer(struct pft_host *h);
struct proc_state *session__procs(struct pft_host *h);
void session__scope_add(struct pft_host *h, uint32_t tid);
int session__filtered(struct pft_host *h);
uint64_t session__lost_total(const struct session *s);

#endif
