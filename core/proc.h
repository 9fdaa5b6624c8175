/* SPDX-License-Identifier: MIT */
/*
 * core/proc: what the trace says about processes and threads.  A /proc
 * snapshot at start, then incremental ProcessTree packets for tasks that
 * appear (task_newtask) or exec while recording.  Handlers only queue; the
 * /proc reads happen in proc_state__flush(), off the per-record path.
 */
#ifndef PFTRACE_CORE_PROC_H
#define PFTRACE_CORE_PROC_H

#include <stdint.h>
#include <sys/types.h>

struct pw_writer;
struct proc_state;

struct proc_state *proc_state__new(struct pw_writer *w);
void proc_state__free(struct proc_state *ps);

/* Snapshot /proc into ProcessTree packets.  @want (may be NULL) picks the
 * processes to describe.  Returns processes described or -errno. */
int proc_state__scan(struct proc_state *ps, uint64_t ts, int (*want)(void *ctx, pid_t pid),
		     void *ctx);

/* Queue: a task was created (@tid; by a thread of process @creator_tgid). */
void proc_state__new_task(struct proc_state *ps, uint64_t ts, int32_t tid, int32_t creator_tgid,
			  int is_thread, const char *comm);
/* Queue: process @pid exec'ed @filename. */
void proc_state__exec(struct proc_state *ps, uint64_t ts, int32_t pid, const char *filename);
/* Resolve the queue into ProcessTree packets. */
void proc_state__flush(struct proc_state *ps);
uint64_t proc_state__described(const struct proc_state *ps);

/* All threads of @pid and of every live descendant process.  malloc'd array
 * in *tids (caller frees), count in *n.  0 or -errno (-ESRCH: no such pid). */
int proc_list_tree(pid_t pid, pid_t **tids, unsigned *n);

/* All threads in cgroup v2 directory @dir and its sub-cgroups.  0 or -errno. */
int proc_list_cgroup(const char *dir, pid_t **tids, unsigned *n);

#endif
