/* SPDX-License-Identifier: MIT */
/* proto/internal.h: shared between writer.c and samples.c (placeholder). */
#ifndef PFTRACE_PROTO_INTERNAL_H
#define PFTRACE_PROTO_INTERNAL_H
#endif
