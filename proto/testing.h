/* SPDX-License-Identifier: MIT */
/*
 * proto/testing.h: entry points of proto for the unit tests only.  Nothing
 * outside tests/ includes this file.
 */
#ifndef PFTRACE_PROTO_TESTING_H
#define PFTRACE_PROTO_TESTING_H

#include <stdint.h>

struct pw_stream;

/* The stream's trusted_packet_sequence_id (what prd_sample.seq_id reports);
 * 0 for NULL. */
uint32_t pw_stream__seq_id(const struct pw_stream *s);

#endif
