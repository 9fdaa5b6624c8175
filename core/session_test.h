/* SPDX-License-Identifier: MIT */
/* core/session_test: entry points for unit tests only; production code does not call them. */
#ifndef PFTRACE_CORE_SESSION_TEST_H
#define PFTRACE_CORE_SESSION_TEST_H

struct session;
struct pm_ring;

/* Take @ring (e.g. pm_ring__new_from_buffer) as its cpu's ring, with each
 * tracepoint's perf id equal to its tracefs id, instead of session__open().
 * The session frees the ring.  0 or -errno. */
int session__attach_test_ring(struct session *s, struct pm_ring *ring);

#endif
