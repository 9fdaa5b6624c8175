/* SPDX-License-Identifier: MIT */
/*
 * proto/internal.h: what writer.c lends to the other writers of proto/
 * (samples.c): appending finished packets and handing out sequence ids.
 * Not for use outside proto/.
 */
#ifndef PFTRACE_PROTO_INTERNAL_H
#define PFTRACE_PROTO_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

struct pw_writer;
struct pw_stream;

/*
 * Appends one complete framed packet ("0x0A <varint len> <TracePacket>") to
 * the output, under the same rules as the writer's own packets: it is
 * buffered whole, counted, and on a write failure either reaches the file
 * whole or not at all.  Returns 0 or the writer's sticky -errno (the packet
 * is then not written, and never will be: every later call fails the same).
 */
int pw_writer__append(struct pw_writer *w, const void *pkt, size_t n);

/*
 * Registers @s with @w: pw_writer__close() frees it with pw_stream__free().
 * Returns the stream's trusted_packet_sequence_id (the next free one:
 * PW_SEQ_KERNEL + 1, + 2, ...) or -ENOMEM.
 */
int pw_writer__add_stream(struct pw_writer *w, struct pw_stream *s);

/* Called by pw_writer__close() only. */
void pw_stream__free(struct pw_stream *s);

/* The next free trusted_packet_sequence_id (for the track events). */
uint32_t pw_writer__new_seq(struct pw_writer *w);

/* The writer's track-event state (tracks.c), NULL until the first track call;
 * pw_writer__close() frees it with pw_tracks__free(). */
struct pw_tracks;
struct pw_tracks **pw_writer__tracks(struct pw_writer *w);
void pw_tracks__free(struct pw_tracks *t);

/*
 * --ring-buffer (pw_writer__ring_begin).  A segment starts: every sequence
 * starts a new generation of its interned state (pw_stream__restart,
 * pw_tracks__restart: the next packet is CLEARED and defines what it uses),
 * and pw_tracks__carry() appends what a trace starting there needs from
 * before: the track descriptors written since the ring began and a BEGIN
 * (own name, no interning, on sequence pw_writer__ring_seq()) for every
 * slice still open.  pw_tracks__ring() turns that bookkeeping on.
 */
void pw_stream__restart(struct pw_stream *s);
void pw_tracks__restart(struct pw_tracks *t);
void pw_tracks__ring(struct pw_tracks *t, uint32_t seq);
int pw_tracks__carry(struct pw_tracks *t);
/* the carried BEGINs' sequence id, 0 without a ring */
uint32_t pw_writer__ring_seq(const struct pw_writer *w);

#endif /* PFTRACE_PROTO_INTERNAL_H */
