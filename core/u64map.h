/* SPDX-License-Identifier: MIT */
/*
 * core/u64map: a small open-addressing map from non-zero u64 keys to
 * pointers.  Lookups are allocation-free (inline, for the per-record path);
 * inserts grow the table (amortised, rare).  No removal.
 */
#ifndef PFTRACE_CORE_U64MAP_H
#define PFTRACE_CORE_U64MAP_H

#include <stddef.h>
#include <stdint.h>

struct u64map {
	uint64_t *keys;
	void **vals;
	size_t cap; /* power of two */
	size_t n;
};
int u64map_put(struct u64map *m, uint64_t key, void *val); /* 0 or -ENOMEM */
void u64map_free(struct u64map *m);

static inline uint64_t u64map_hash(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull;
	k ^= k >> 33;
	return k;
}

static inline void *u64map_get(const struct u64map *m, uint64_t key)
{
	size_t mask, i;

	if (!m->cap)
		return NULL;
	mask = m->cap - 1;
	for (i = u64map_hash(key) & mask;; i = (i + 1) & mask) {
		if (m->keys[i] == key)
			return m->vals[i];
		if (!m->keys[i])
			return NULL;
	}
}

#endif
