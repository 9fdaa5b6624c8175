/* SPDX-License-Identifier: MIT */
/* symbolize/internal.h: shared between the symbolize files (placeholder). */
#ifndef PFTRACE_SYMBOLIZE_INTERNAL_H
#define PFTRACE_SYMBOLIZE_INTERNAL_H
#endif
