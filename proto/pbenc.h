/* SPDX-License-Identifier: MIT */
/*
 * proto/pbenc: a minimal protobuf wire-format encoder for the hot path.
 *
 * Everything writes forward into a caller-owned buffer and returns the new
 * end; nothing checks space: the caller reserves an upper bound first
 * (PB_VARINT_MAX per varint, PB_TAG_MAX per tag, PB_LEN_MAX per length).
 *
 * Nested messages: pb_msg_begin() writes the tag and reserves ONE length byte;
 * pb_msg_end() fills it in.  Bodies under 128 bytes (nearly every event) need
 * nothing else; a longer body is moved up by the extra length bytes, so the
 * output is always canonical (minimal varints), and readers that reject
 * non-minimal encodings are not a concern.  Innermost messages must be ended
 * first (pb_msg_end returns the possibly moved end for the outer message).
 */
#ifndef PFTRACE_PROTO_PBENC_H
#define PFTRACE_PROTO_PBENC_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define PB_VARINT_MAX 10
#define PB_TAG_MAX 5
#define PB_LEN_MAX 5
/* bound for one scalar field: tag + 10-byte varint (negative int32 included) */
#define PB_FIELD_MAX (PB_TAG_MAX + PB_VARINT_MAX)

enum pb_wire {
	PB_WT_VARINT = 0,
	PB_WT_I64 = 1,
	PB_WT_LEN = 2,
	PB_WT_I32 = 5,
};

static inline unsigned pb_varint_size(uint64_t v)
{
	unsigned n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

static inline uint8_t *pb_varint(uint8_t *p, uint64_t v)
{
	if (__builtin_expect(v < 0x80, 1)) {
		*p++ = (uint8_t)v;
		return p;
	}
	do {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	} while (v >= 0x80);
	*p++ = (uint8_t)v;
	return p;
}

/* With a constant field number this folds to one or two byte stores. */
static inline uint8_t *pb_tag(uint8_t *p, uint32_t field, enum pb_wire wt)
{
	uint32_t key = (field << 3) | (uint32_t)wt;

	if (key < 0x80) {
		*p++ = (uint8_t)key;
		return p;
	}
	if (key < 0x4000) {
		*p++ = (uint8_t)(key | 0x80);
		*p++ = (uint8_t)(key >> 7);
		return p;
	}
	return pb_varint(p, key);
}

static inline uint8_t *pb_u64(uint8_t *p, uint32_t field, uint64_t v)
{
	return pb_varint(pb_tag(p, field, PB_WT_VARINT), v);
}

/* int32/int64 fields: negative values are sign-extended to 10 bytes, as protobuf requires. */
static inline uint8_t *pb_i64(uint8_t *p, uint32_t field, int64_t v)
{
	return pb_varint(pb_tag(p, field, PB_WT_VARINT), (uint64_t)v);
}

static inline uint8_t *pb_bool(uint8_t *p, uint32_t field, int v)
{
	p = pb_tag(p, field, PB_WT_VARINT);
	*p++ = v ? 1 : 0;
	return p;
}

/* fixed64 / double fields: 8 bytes little-endian, whatever the host order */
static inline uint8_t *pb_fixed64(uint8_t *p, uint32_t field, uint64_t v)
{
	int i;

	p = pb_tag(p, field, PB_WT_I64);
	for (i = 0; i < 8; i++)
		*p++ = (uint8_t)(v >> (8 * i));
	return p;
}

static inline uint8_t *pb_double(uint8_t *p, uint32_t field, double d)
{
	uint64_t v;

	memcpy(&v, &d, sizeof(v));
	return pb_fixed64(p, field, v);
}

static inline uint8_t *pb_bytes(uint8_t *p, uint32_t field, const void *s, size_t n)
{
	p = pb_varint(pb_tag(p, field, PB_WT_LEN), n);
	memcpy(p, s, n);
	return p + n;
}

/* Returns the length slot; the body starts right after it. */
static inline uint8_t *pb_msg_begin(uint8_t *p, uint32_t field)
{
	return pb_tag(p, field, PB_WT_LEN);
}

static inline uint8_t *pb_msg_body(uint8_t *lenpos)
{
	return lenpos + 1;
}

/* Closes the message whose length slot is @lenpos and whose body ends at @end. */
static inline uint8_t *pb_msg_end(uint8_t *lenpos, uint8_t *end)
{
	size_t len = (size_t)(end - (lenpos + 1));
	unsigned n;

	if (__builtin_expect(len < 0x80, 1)) {
		*lenpos = (uint8_t)len;
		return end;
	}
	n = pb_varint_size(len);
	memmove(lenpos + n, lenpos + 1, len);
	pb_varint(lenpos, len);
	return lenpos + n + len;
}

#endif /* PFTRACE_PROTO_PBENC_H */
