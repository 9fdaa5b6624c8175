/* SPDX-License-Identifier: MIT */
/* core/syscall_names: syscall numbers to names for this build's architecture. */
#ifndef PFTRACE_CORE_SYSCALL_NAMES_H
#define PFTRACE_CORE_SYSCALL_NAMES_H

#include <stdint.h>

/* NULL when unknown. */
const char *syscall_name(int64_t nr);

#endif
