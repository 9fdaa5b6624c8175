/* SPDX-License-Identifier: MIT */
/*
 * symbolize/internal.h: what the files of symbolize share and nobody else sees.
 *
 * One struct sym_cache holds every part; each part is written by one file:
 *   kallsyms.c  the kernel table (kernel)
 *   dso.c       the ELF files (dso_*), symbol loading, debug files, vdso copy
 *   maps.c      the cache itself, interned strings, pid -> address space, JIT maps,
 *               sym_resolve and the statistics
 *   demangle.c  __cxa_demangle found at run time (cxa_*)
 * unwind.c needs only symbolize.h.  Nothing here is thread-safe: one cache
 * belongs to one thread.
 */
#ifndef PFTRACE_SYMBOLIZE_INTERNAL_H
#define PFTRACE_SYMBOLIZE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "symbolize/symbolize.h"

/* Append-only interned strings: pointers stay valid until sym_strpool__exit(). */
struct sym_strpool_chunk;
struct sym_strpool {
	struct sym_strpool_chunk *chunks;
	const char **tab; /* open addressing, power of two */
	size_t tab_size, count;
	size_t bytes; /* held by chunks */
};
const char *sym_strpool__intern(struct sym_strpool *p, const char *s, size_t len);
void sym_strpool__exit(struct sym_strpool *p);

/* kallsyms.c: text symbols sorted by address; names are offsets into @names. */
struct sym_kernel {
	uint64_t *addrs;
	uint32_t *name_offs;
	size_t count;
	uint64_t *index; /* addrs[i * KSYM_BLOCK]: a first search that stays in cache */
	size_t index_count;
	char *names;
	size_t memory; /* bytes held */
};
void sym_kernel__exit(struct sym_kernel *k);
/* The whole of a file (also /proc ones, whose size reads 0), NUL-terminated. */
int sym_read_file(const char *path, char **buf, size_t *len);
/* /proc/PID/maps text into @m's mappings (maps.c; the fuzz harness calls it); @buf[@len]
 * must be a NUL.  0 or -errno. */
int sym_maps__parse(struct sym_maps *m, const char *buf, size_t len);

struct sym_cache {
	struct sym_kernel kernel;

	/* dso.c */
	struct sym_dso **dso_hash; /* (dev, ino) -> dso, chained */
	size_t dso_hash_size, dso_count;
	struct sym_dso *dso_list; /* every dso, for stats and freeing */
	struct sym_dso *vdso;	  /* copy of our own vdso, see sym_dso__vdso() */
	int vdso_tried;
	size_t dso_bytes;   /* heap and mapped images of every dso */
	size_t dso_limit;   /* bytes of unused dsos sym_cache__trim() keeps; 0: all */
	uint64_t dso_clock; /* ticks at each sym_dso__get(): the LRU order */
	uint64_t dsos_evicted;
	uint64_t epoch; /* bumped when dsos are freed (sym_cache__epoch) */

	/* maps.c */
	struct sym_maps **maps_hash; /* pid -> address space, chained */
	size_t maps_hash_size, maps_count;
	struct sym_strpool strings; /* map names, JIT names */
	uint64_t lookups, misses;
	uint64_t maps_dropped;
	uint32_t mark_gen; /* sym_cache__trim()'s marks of the dsos live mappings use */

	/* demangle.c */
	void *cxa_handle;
	char *(*cxa_demangle)(const char *mangled, char *buf, size_t *len, int *status);
	int cxa_tried;
};

/*
 * dso.c.  sym_dso__get() finds or makes the dso of a file mapping: by (dev, ino)
 * when @ino is known, else by stat()ing @path in the root of @pid; NULL for
 * names that are no file ("[heap]", "//anon", ...).  Nothing is read until the
 * first lookup.  @pid is where the file is opened from (/proc/PID/root/path).
 */
struct sym_dso *sym_dso__get(struct sym_cache *c, pid_t pid, uint32_t maj, uint32_t min,
			     uint64_t ino, const char *path);
/* Our own vdso, standing in for "[vdso]" mappings of @size bytes; NULL if unusable. */
struct sym_dso *sym_dso__vdso(struct sym_cache *c, uint64_t size);
/* Name of the function at ELF virtual address @vaddr, loading the symbols once. */
const char *sym_dso__find_symbol(struct sym_dso *d, uint64_t vaddr);
void sym_dsos__free(struct sym_cache *c);
/* Trim: @d is used by a live mapping in this round (@gen); then free the dsos not
 * marked @gen (no live mapping uses them), least recently mapped first, until those
 * left hold at most dso_limit bytes.  Returns how many were freed. */
void sym_dso__mark(struct sym_dso *d, uint32_t gen);
size_t sym_dsos__sweep(struct sym_cache *c, uint32_t gen);
void sym_dsos__stats(const struct sym_cache *c, struct sym_stats *st);

/* demangle.c: malloc'd demangled @name, or NULL (not mangled, or no demangler). */
char *sym_demangle(struct sym_cache *c, const char *name);
void sym_demangle__exit(struct sym_cache *c);

#endif
