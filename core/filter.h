/* SPDX-License-Identifier: MIT */
/*
 * core/filter: sysdig's filter language over the fields of core/evview.h.
 *
 *   expr   := or
 *   or     := and { "or" and }
 *   and    := unary { "and" unary }
 *   unary  := "not" unary | "(" expr ")" | check
 *   check  := FIELD "exists" | FIELD OP VALUE | FIELD "in" "(" VALUE { "," VALUE } ")"
 *   OP     := = == != < <= > >= contains icontains startswith endswith glob
 *
 * VALUE is a bare word or a quoted string ('...' or "..." with \-escapes).
 * A check on a field the event does not have is false.
 */
#ifndef PFTRACE_CORE_FILTER_H
#define PFTRACE_CORE_FILTER_H

#include "core/evview.h"

struct flt;

struct flt_err {
	int pos, len; /* the offending token: byte offset and length in the text */
	char msg[200];
};

/* NULL with @err filled (errno EINVAL, or ENOMEM with err->msg "out of memory"). */
struct flt *flt_parse(const char *text, struct flt_err *err);
int flt_match(const struct flt *f, const struct evview *v);
void flt_free(struct flt *f);

/* The core/ way to report @err: one error line and a hint line marking the token. */
void flt_report(const char *text, const struct flt_err *err);

#endif
