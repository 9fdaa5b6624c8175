/* SPDX-License-Identifier: MIT */
/* core/tracefs: finding (and if needed mounting) tracefs, reading event ids and formats. */
#ifndef PFTRACE_CORE_TRACEFS_H
#define PFTRACE_CORE_TRACEFS_H

#include <stddef.h>

/* Locate tracefs; mounts it at /sys/kernel/tracing when absent and we may.
 * Returns the mount path (static) or NULL with errno set, after printing
 * one error line and a hint. */
const char *tfs_dir(void);

/* For tests: use this directory as the tracefs root instead. */
void tfs_set_dir(const char *dir);

/* Event id from events/SYS/NAME/id: >= 0, -ENOENT when the event does not exist. */
int tfs_event_id(const char *system, const char *name);

/* The event's format file, malloc'd; NULL + errno. */
char *tfs_event_format(const char *system, const char *name, size_t *len);

/* Is there a tracepoint system (events/SYSTEM) of that name? */
int tfs_system_exists(const char *system);

#endif
