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

struct pft_mapping;

/* One line of /proc/PID/maps (cut at its newline, in place) into @m, whose path points into
 * @line (host.c; the host op mappings uses it).  0 or -EINVAL. */
int session__parse_maps_line(char *line, struct pft_mapping *m);

#endif
