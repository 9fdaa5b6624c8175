/* SPDX-License-Identifier: MIT */
/* plugins/probes/internal.h: helpers shared by the probe machinery's files. */
#ifndef PFTRACE_PROBES_INTERNAL_H
#define PFTRACE_PROBES_INTERNAL_H

#include <stdarg.h>
#include <stdio.h>

/* Write a message into the caller's error buffer (which may be NULL). */
static inline void prb_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static inline void prb_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

#endif
