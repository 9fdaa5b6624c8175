/* SPDX-License-Identifier: MIT */
/* core/cmds: the subcommands; each takes argv from its own name on and returns the exit status
 * (0 ok, 1 failure, 2 usage error). */
#ifndef PFTRACE_CORE_CMDS_H
#define PFTRACE_CORE_CMDS_H

#include <stdint.h>

struct session;

int cmd_record(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_plugins(int argc, char **argv);

/* The end-of-recording summary of `pftrace record` on stderr (core/record_summary.c). */
void record_summary(struct session *s, uint64_t output_bytes);
/* --ring-buffer: what was kept and what was overwritten (one line; more with -v). */
struct pw_ring_stats;
void record_summary_ring(const struct pw_ring_stats *st);

#endif
