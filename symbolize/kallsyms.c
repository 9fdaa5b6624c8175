/* SPDX-License-Identifier: MIT */
/*
 * symbolize/kallsyms.c: the kernel's text symbols from /proc/kallsyms.
 *
 * Lines read "ffffffff81000000 T _stext" or "ffffffffc0a01000 t fn\t[module]".
 * The whole file is read into one buffer and compacted in place: each kept
 * name is moved down over the address text that preceded it, with the module
 * suffix turned into "fn [module]", so a name costs its own bytes plus one
 * 16-byte table entry and no allocation of its own.  The table is sorted by
 * address (kallsyms is mostly sorted already; modules are not) and one symbol
 * is kept per address.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "symbolize/internal.h"

struct sym_ksym {
	uint64_t addr;
	uint32_t name; /* offset in sym_kernel.names */
	uint32_t rank; /* order for equal addresses: lower wins */
};

/* No kernel function is this large: past it, an address belongs to no symbol. */
#define KSYM_MAX_SIZE (1u << 20)

/* Symbols per entry of the sparse index searched first (a 512-byte block of addrs). */
#define KSYM_BLOCK 64

int sym_read_file(const char *path, char **out, size_t *out_len)
{
	size_t cap = 1 << 20, len = 0;
	char *buf = malloc(cap + 1);
	int fd, err = 0;

	if (!buf)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		goto out_free;
	}
	for (;;) {
		ssize_t r;

		if (len == cap) {
			char *nbuf = realloc(buf, cap * 2 + 1);

			if (!nbuf) {
				err = -ENOMEM;
				goto out_close;
			}
			buf = nbuf;
			cap *= 2;
		}
		r = read(fd, buf + len, cap - len);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			goto out_close;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	buf[len] = '\0';
	close(fd);
	*out = buf;
	*out_len = len;
	return 0;

out_close:
	close(fd);
out_free:
	free(buf);
	return err;
}

static inline int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	ch |= 0x20;
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

static int ksym_cmp(const void *a, const void *b)
{
	const struct sym_ksym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return x->rank < y->rank ? -1 : x->rank > y->rank;
}

void sym_kernel__exit(struct sym_kernel *k)
{
	free(k->addrs);
	free(k->name_offs);
	free(k->index);
	free(k->names);
	memset(k, 0, sizeof(*k));
}

int sym_kallsyms__load(struct sym_cache *c, const char *path)
{
	struct sym_kernel k = {0};
	struct sym_ksym *syms = NULL;
	size_t len, cap = 0, n = 0, line_no = 0, w = 0, i, out;
	bool nonzero = false, sorted = true;
	char *buf, *p, *end;
	int err;

	err = sym_read_file(path, &buf, &len);
	if (err)
		return err;
	/* Offsets are 32 bits; each ~40-byte line yields one entry at most. */
	if (len > UINT32_MAX) {
		err = -EFBIG;
		goto out_free;
	}

	for (p = buf, end = buf + len; p < end; p++, line_no++) {
		char *eol = memchr(p, '\n', (size_t)(end - p)), *name, *tab;
		uint64_t addr = 0;
		size_t name_len, mod_len = 0;
		int v, digits = 0;
		char type;

		if (!eol)
			eol = end;
		while ((v = hexval(*p)) >= 0) {
			addr = addr << 4 | (unsigned int)v;
			p++;
			digits++;
		}
		if (!digits || eol - p < 4 || p[0] != ' ' || p[2] != ' ')
			goto next;
		type = p[1];
		if (type != 't' && type != 'T' && type != 'w' && type != 'W')
			goto next;
		name = p + 3;
		tab = memchr(name, '\t', (size_t)(eol - name));
		name_len = (size_t)((tab ? tab : eol) - name);
		if (!name_len)
			goto next;
		if (tab)
			mod_len = (size_t)(eol - tab - 1);

		if (n == cap) {
			struct sym_ksym *ns;

			cap = cap ? cap * 2 : 16384;
			ns = realloc(syms, cap * sizeof(*ns));
			if (!ns) {
				err = -ENOMEM;
				goto out_free;
			}
			syms = ns;
		}
		/* Global before local, then first in the file. */
		syms[n].addr = addr;
		syms[n].name = (uint32_t)w;
		syms[n].rank = (uint32_t)((line_no & 0x7fffffff) |
					  (type == 't' || type == 'w' ? 1u << 31 : 0));
		if (n && addr < syms[n - 1].addr)
			sorted = false;
		if (addr)
			nonzero = true;
		n++;

		/* w <= name - buf: the address and type we skipped are longer than "\0". */
		memmove(buf + w, name, name_len);
		w += name_len;
		if (mod_len) {
			buf[w++] = ' ';
			memmove(buf + w, tab + 1, mod_len);
			w += mod_len;
		}
		buf[w++] = '\0';
	next:
		p = eol;
	}

	if (!n) {
		err = -ENOENT;
		goto out_free;
	}
	if (!nonzero) {
		err = -EPERM; /* kptr_restrict: every address reads as 0 */
		goto out_free;
	}
	if (!sorted)
		qsort(syms, n, sizeof(*syms), ksym_cmp);
	/* One symbol per address: the lowest rank. */
	for (i = 1, out = 1; i < n; i++) {
		if (syms[i].addr == syms[out - 1].addr) {
			if (syms[i].rank < syms[out - 1].rank)
				syms[out - 1] = syms[i];
			continue;
		}
		syms[out++] = syms[i];
	}
	k.count = out;
	k.addrs = malloc(out * sizeof(*k.addrs));
	k.name_offs = malloc(out * sizeof(*k.name_offs));
	k.index_count = (out + KSYM_BLOCK - 1) / KSYM_BLOCK;
	k.index = malloc(k.index_count * sizeof(*k.index));
	if (!k.addrs || !k.name_offs || !k.index) {
		err = -ENOMEM;
		goto out_free;
	}
	for (i = 0; i < out; i++) {
		k.addrs[i] = syms[i].addr;
		k.name_offs[i] = syms[i].name;
	}
	for (i = 0; i < k.index_count; i++)
		k.index[i] = k.addrs[i * KSYM_BLOCK];
	free(syms);
	k.names = realloc(buf, w);
	if (!k.names)
		k.names = buf;
	k.memory = out * (sizeof(*k.addrs) + sizeof(*k.name_offs)) +
		   k.index_count * sizeof(*k.index) + w;

	sym_kernel__exit(&c->kernel);
	c->kernel = k;
	return 0;

out_free:
	free(k.addrs);
	free(k.name_offs);
	free(k.index);
	free(syms);
	free(buf);
	return err;
}

/* Index of the last element <= @key in sorted @v[0, n), or n when none is. */
static inline size_t last_le(const uint64_t *v, size_t n, uint64_t key)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v[mid] <= key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? lo - 1 : n;
}

const char *sym_kernel__resolve(struct sym_cache *c, uint64_t addr)
{
	const struct sym_kernel *k = &c->kernel;
	size_t blk, base, i;

	blk = last_le(k->index, k->index_count, addr);
	if (blk == k->index_count)
		return NULL;
	base = blk * KSYM_BLOCK;
	i = base + last_le(k->addrs + base,
			   k->count - base < KSYM_BLOCK ? k->count - base : KSYM_BLOCK, addr);
	if (addr - k->addrs[i] >= KSYM_MAX_SIZE)
		return NULL;
	return k->names + k->name_offs[i];
}
