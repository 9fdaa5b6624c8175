/* SPDX-License-Identifier: MIT */
/*
 * perfmmap/testing.h: entry points of perfmmap for the unit tests only (they
 * feed canned bytes where the recorder has a kernel).  Nothing outside tests/
 * includes this file.
 */
#ifndef PFTRACE_PERFMMAP_TESTING_H
#define PFTRACE_PERFMMAP_TESTING_H

#include <stddef.h>

#include "perfmmap/perfmmap.h"

/* Wrap an existing buffer laid out like a perf mmap (one control page of
 * @page_size bytes followed by @data_size bytes, a power of two).
 * pm_ring__free() does not unmap or free @base. */
struct pm_ring *pm_ring__new_from_buffer(void *base, size_t page_size, size_t data_size, int cpu);

/* Highest CPU + 1 in a kernel CPU list such as "0-3,8-11\n" (the format of
 * /sys/devices/system/cpu/possible), or -EINVAL.  pm_cpu_count()'s parser. */
int pm_cpu_list_count(const char *list);

#endif
