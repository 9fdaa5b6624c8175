/* SPDX-License-Identifier: MIT */
/*
 * proto/intern: the interning table shared by the sample streams and the
 * track events (see intern.h).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proto/intern.h"

static int grow(struct pi_table *t, uint64_t *mem)
{
	uint32_t n = t->slots ? (t->mask + 1) * 2 : 64, i, j;
	struct pi_slot *v = calloc(n, sizeof(*v));

	if (!v)
		return -ENOMEM;
	for (i = 0; t->slots && i <= t->mask; i++) {
		if (!t->slots[i].iid)
			continue;
		for (j = t->slots[i].hash & (n - 1); v[j].iid; j = (j + 1) & (n - 1))
			;
		v[j] = t->slots[i];
	}
	*mem += (uint64_t)(n - (t->slots ? t->mask + 1 : 0)) * sizeof(*v);
	free(t->slots);
	t->slots = v;
	t->mask = n - 1;
	return 0;
}

int pi_add(struct pi_table *t, const struct pi_piece *k, int nk, uint32_t len, uint32_t h,
	   uint32_t *iid, uint64_t *mem)
{
	uint32_t i;
	size_t at;
	int j;

	if (!t->slots || (t->count + 1) * 2 > t->mask + 1) {
		if (grow(t, mem) < 0)
			return -ENOMEM;
	}
	if (t->cap - t->used < len) {
		size_t cap = t->cap ? t->cap : 4096;
		uint8_t *a;

		while (cap - t->used < len)
			cap *= 2;
		a = realloc(t->arena, cap);
		if (!a)
			return -ENOMEM;
		*mem += cap - t->cap;
		t->arena = a;
		t->cap = cap;
	}
	for (i = h & t->mask; t->slots[i].iid; i = (i + 1) & t->mask)
		;
	for (j = 0, at = t->used; j < nk; j++) {
		if (k[j].n)
			memcpy(t->arena + at, k[j].p, k[j].n);
		at += k[j].n;
	}
	t->slots[i].hash = h;
	t->slots[i].iid = ++t->count;
	t->slots[i].off = (uint32_t)t->used;
	t->slots[i].len = len;
	t->used += len;
	*iid = t->count;
	return 0;
}

void pi_clear(struct pi_table *t)
{
	if (t->slots)
		memset(t->slots, 0, ((size_t)t->mask + 1) * sizeof(*t->slots));
	t->count = 0;
	t->used = 0;
}

void pi_free(struct pi_table *t)
{
	free(t->slots);
	free(t->arena);
	memset(t, 0, sizeof(*t));
}
