/* SPDX-License-Identifier: MIT */
/*
 * core/syscall_names: the table is generated at build time from the C
 * library's <sys/syscall.h> (see Makefile.am), so it matches the machine
 * the tool is built for.
 */
#include "config.h"
#include "core/syscall_names.h"

#include <stddef.h>

static const char *const names[] = {
#include "core/syscall_table.h"
};

const char *syscall_name(int64_t nr)
{
	if (nr < 0 || (uint64_t)nr >= sizeof(names) / sizeof(names[0]))
		return NULL;
	return names[nr];
}
