/* SPDX-License-Identifier: MIT */
/*
 * core/target: what is recorded -- a command we start, existing pids and their
 * descendants, or a cgroup.  Validates the user's choice before anything is
 * created, and runs the command: forked early, held on a pipe until the
 * events are open, then exec'ed (events enable on exec).
 */
#ifndef PFTRACE_CORE_TARGET_H
#define PFTRACE_CORE_TARGET_H

#include <sys/types.h>
#include "core/session.h"

struct record_opts;

struct target {
	struct session_target st;
	pid_t child;	   /* the command, or 0 */
	int go_fd, err_fd; /* command handshake */
	int child_status;
	int child_exited;
	char cmd_path[4096];
};

/* Check the target options (pids exist, cgroup is a cgroup, command found).
 * 0 or -errno with one error line printed. */
int target_check(struct target *t, const struct record_opts *o);

/* Collect tids (pids, cgroup) or fork the command (held).  0 / -errno, printed. */
int target_prepare(struct target *t, const struct record_opts *o);

/* Let the command exec.  0, or -errno when exec failed (printed). */
int target_go(struct target *t, const struct record_opts *o);

/* Is anything of the target still alive?  (reaps the command) */
int target_alive(struct target *t, const struct record_opts *o);

/* Stop and reap the command if it still runs; release everything. */
void target_fini(struct target *t);

#endif
