/* SPDX-License-Identifier: MIT */
/*
 * core/format: printing event views: sysdig's default line
 *	%evt.num %evt.time %evt.cpu %proc.name (%thread.tid) %evt.dir %evt.type %evt.args
 * a -p FORMAT of %field substitutions (%% is a percent sign; a field the event
 * lacks prints as <NA>), or one JSON object per event (-j: the default fields,
 * or with -p the format's fields, as keys).
 */
#ifndef PFTRACE_CORE_FORMAT_H
#define PFTRACE_CORE_FORMAT_H

#include "core/evview.h"
#include "core/filter.h"

#include <stdio.h>

#define OFMT_SYSDIG                                                                                \
	"%evt.num %evt.time %evt.cpu %proc.name (%thread.tid) %evt.dir %evt.type %evt.args"

struct ofmt;

/* @fmt NULL: the default line.  NULL with @err filled (an unknown field). */
struct ofmt *ofmt_new(const char *fmt, int json, struct flt_err *err);
void ofmt_print(const struct ofmt *f, const struct evview *v, FILE *out);
void ofmt_free(struct ofmt *f);

/* @s as a JSON string, quotes included. */
void json_str(FILE *out, const char *s);
/* @s, or when it holds control characters (a comm may hold a newline written
 * into /proc/PID/comm) a copy in @buf with them escaped C-style (\n, \t,
 * \xNN), cut to fit: one event stays one line. */
const char *text_escape(const char *s, char *buf, size_t size);

#endif
