/* SPDX-License-Identifier: MIT */
/*
 * core/sysdecode: syscall arguments by name.  The trace carries a syscall's
 * number and six raw registers (raw_syscalls:sys_enter); the names and types
 * come from the syscalls:sys_enter_NAME formats of the tracefs of the machine
 * reading the trace (so they are this machine's: a trace from another kernel
 * may differ), else from a small built-in table of common syscalls.  Open
 * flags, modes and well-known constants are decoded; errors get errno names.
 */
#ifndef PFTRACE_CORE_SYSDECODE_H
#define PFTRACE_CORE_SYSDECODE_H

#include "core/evview.h"

#include <stdint.h>

struct scd;

struct scd *scd_new(void);
void scd_free(struct scd *d);

/*
 * Append the arguments of syscall @id (@n raw values) to @v's arguments and
 * to the text at @text (at most @cap bytes: " name=value" each).
 */
void scd_args(struct scd *d, int64_t id, const uint64_t *raw, unsigned n, struct evview *v,
	      char *text, size_t cap);

/* "-2(ENOENT)", or the value in decimal, into @buf. */
void scd_res(int64_t res, char *buf, size_t cap);

/* Where the argument names came from: 0 nothing decoded yet, 1 this machine's tracefs,
 * 2 the built-in table. */
int scd_source(const struct scd *d);

#endif
