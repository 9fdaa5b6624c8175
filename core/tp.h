/* SPDX-License-Identifier: MIT */
/*
 * core/tp: tracepoint formats, parsed with libtraceevent from the live
 * tracefs `format` files.  Field offsets are looked up once here; records are
 * then decoded with the inline readers of <pftrace/pftrace.h>.
 */
#ifndef PFTRACE_CORE_TP_H
#define PFTRACE_CORE_TP_H

#include <stddef.h>
#include <stdint.h>
#include <pftrace/pftrace.h>

struct tp_parser;
struct tp_format;

struct tp_parser *tp_parser__new(void);
void tp_parser__free(struct tp_parser *p); /* frees every format it parsed; NULL ok */

/* Parse a format file's text; the result is owned by the parser.  NULL + errno. */
struct tp_format *tp_parser__parse(struct tp_parser *p, const char *system, const char *text,
				   size_t len);

int tp_format__id(const struct tp_format *f);
const char *tp_format__name(const struct tp_format *f);
const char *tp_format__system(const struct tp_format *f);

/* A field by name (common_* fields included): 0 or -ENOENT. */
int tp_format__field(const struct tp_format *f, const char *name, struct pft_field *out);

/* The event's own (non-common) fields, in format order. */
unsigned tp_format__nfields(const struct tp_format *f);
const char *tp_format__field_at(const struct tp_format *f, unsigned i, struct pft_field *out);

#endif
