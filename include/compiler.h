/* SPDX-License-Identifier: MIT */
/*
 * include/compiler.h: compiler hints and kernel-header fallbacks shared by
 * every module (perfmmap, proto, symbolize, core).  Internal: not installed,
 * not part of the plugin interface.
 */
#ifndef PFTRACE_COMPILER_H
#define PFTRACE_COMPILER_H

#ifndef likely
#define likely(x) __builtin_expect(!!(x), 1)
#endif
#ifndef unlikely
#define unlikely(x) __builtin_expect(!!(x), 0)
#endif
#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

/*
 * linux/perf_event.h of older kernels.  PERF_RECORD_LOST_SAMPLES is an enum
 * constant (Linux 4.2), which #ifdef cannot see: use this name for it.
 */
#define PFT_RECORD_LOST_SAMPLES 13
#ifndef PERF_RECORD_MISC_COMM_EXEC
#define PERF_RECORD_MISC_COMM_EXEC (1 << 13) /* Linux 3.16 */
#endif
#ifndef PERF_RECORD_MISC_MMAP_BUILD_ID
#define PERF_RECORD_MISC_MMAP_BUILD_ID (1 << 14) /* Linux 5.12 */
#endif

#endif
