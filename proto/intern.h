/* SPDX-License-Identifier: MIT */
/*
 * proto/intern: the interning table of the sample streams (samples.c) and
 * the track events (tracks.c): keys (bytes, given in pieces so that a
 * header and its strings need not be copied together) to iids 1, 2, ...
 * in the order added.  Open addressing over the caller's 32-bit hash; the
 * keys live in one arena, so an entry's bytes stay readable at its offset.
 * pi_clear() empties the table for a new generation and keeps the memory.
 * Not for use outside proto/.
 */
#ifndef PFTRACE_PROTO_INTERN_H
#define PFTRACE_PROTO_INTERN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct pi_slot {
	uint32_t hash;	   /* the caller's hash of the key */
	uint32_t iid;	   /* 0: free */
	uint32_t off, len; /* the key, in the arena */
};

struct pi_table {
	struct pi_slot *slots; /* mask + 1 of them (a power of two), or NULL */
	uint32_t mask;
	uint32_t count; /* entries of this generation: iids 1..count */
	uint8_t *arena;
	size_t used, cap;
};

struct pi_piece {
	const void *p;
	uint32_t n;
};

/* memory a table's entry accounts for, besides its key bytes */
#define PI_ENTRY_OVERHEAD (2 * sizeof(struct pi_slot))

static inline uint64_t pi_load64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint32_t pi_load32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* memcmp(a, b, n) == 0 for the short keys here, without a call */
static inline bool pi_bytes_eq(const uint8_t *a, const uint8_t *b, size_t n)
{
	size_t i;

	if (n >= 8) {
		for (i = 0; i + 8 < n; i += 8) {
			if (pi_load64(a + i) != pi_load64(b + i))
				return false;
		}
		return pi_load64(a + n - 8) == pi_load64(b + n - 8);
	}
	if (n >= 4)
		return pi_load32(a) == pi_load32(b) && pi_load32(a + n - 4) == pi_load32(b + n - 4);
	for (i = 0; i < n; i++) {
		if (a[i] != b[i])
			return false;
	}
	return true;
}

static inline bool pi_key_eq(const uint8_t *a, const struct pi_piece *k, int nk)
{
	int i;

	for (i = 0; i < nk; i++) {
		if (!pi_bytes_eq(a, (const uint8_t *)k[i].p, k[i].n))
			return false;
		a += k[i].n;
	}
	return true;
}

/* The entry of the key (@nk pieces, @len bytes in all, hash @h), or NULL. */
static inline const struct pi_slot *pi_lookup(const struct pi_table *t, const struct pi_piece *k,
					      int nk, uint32_t len, uint32_t h)
{
	uint32_t i;

	if (!t->count)
		return NULL;
	for (i = h & t->mask;; i = (i + 1) & t->mask) {
		const struct pi_slot *sl = &t->slots[i];

		if (!sl->iid)
			return NULL;
		if (sl->hash == h && sl->len == len && pi_key_eq(t->arena + sl->off, k, nk))
			return sl;
	}
}

/* The key's iid, 0 when absent. */
static inline uint32_t pi_find(const struct pi_table *t, const struct pi_piece *k, int nk,
			       uint32_t len, uint32_t h)
{
	const struct pi_slot *sl = pi_lookup(t, k, nk, len, h);

	return sl ? sl->iid : 0;
}

/*
 * Adds the key, known to be absent, as iid count + 1 (in *@iid); its bytes
 * go at offset @t->used of the arena as it was.  The memory newly allocated
 * is added to *@mem.  0 or -ENOMEM (then the table is as it was).
 */
int pi_add(struct pi_table *t, const struct pi_piece *k, int nk, uint32_t len, uint32_t h,
	   uint32_t *iid, uint64_t *mem);
/* A new generation: no entries, iids from 1 again; the memory is kept. */
void pi_clear(struct pi_table *t);
void pi_free(struct pi_table *t);

#endif
