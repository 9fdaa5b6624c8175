/* SPDX-License-Identifier: MIT */
/*
 * symbolize: from addresses to function names.
 *
 * Owns: the kernel symbol table (/proc/kallsyms, with module names), the
 * address spaces of traced processes (from /proc/PID/maps at start and
 * PERF_RECORD_MMAP2 afterwards), the ELF files mapped into them (symbols from
 * .symtab/.dynsym via libelf, separate debug files found by .gnu_debuglink
 * and /usr/lib/debug/.build-id/, build-ids, load bias of PIE and shared
 * objects, C++ demangling) and JIT maps (/tmp/perf-PID.map).
 *
 * Caching: one struct sym_dso per ELF file, keyed by (dev, inode) and shared
 * by every process mapping it; symbols are loaded on first lookup and kept,
 * so the cost does not grow with the number of samples.  Names returned are
 * owned by the cache and stay valid until the next sym_cache__trim() (or
 * sym_cache__free()), also after the process that mapped them exited: a
 * caller copies what it keeps longer.  sym_cache__trim() frees the dsos no
 * live address space maps, least recently mapped first, while those hold more
 * than the limit (heap plus mapped ELF image, 64 MiB by default): the files
 * live processes map stay, whatever their size.
 *
 * Functions return 0 / -errno, constructors NULL + errno; nothing prints.
 * Without libelf (HAVE_LIBELF undefined) user symbols resolve to nothing,
 * kernel symbols still work.
 */
#ifndef PFTRACE_SYMBOLIZE_H
#define PFTRACE_SYMBOLIZE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

struct sym_cache;
struct sym_maps;
struct sym_dso;

struct sym_cache *sym_cache__new(void);
void sym_cache__free(struct sym_cache *c); /* NULL ok */

#define SYM_CACHE_DEFAULT_LIMIT ((size_t)64 << 20)
/* The bytes of unused ELF files (heap and mapped images) sym_cache__trim() keeps;
 * 0: no limit (nothing is freed). */
void sym_cache__set_limit(struct sym_cache *c, size_t bytes);
/*
 * Free the ELF files that no address space maps now, least recently mapped
 * first, until those left hold at most the limit (cheap when the whole cache
 * fits).  Pointers from those files (names, build ids, images, struct
 * sym_dso) are then invalid: call it between samples, never during
 * sym_resolve()/sym_unwind() or while holding their results.  Returns how
 * many files were freed.
 */
size_t sym_cache__trim(struct sym_cache *c);
/* Changes whenever sym_cache__trim() freed files: caches keyed by struct sym_dso
 * pointers (the unwinder's) must be dropped then. */
uint64_t sym_cache__epoch(const struct sym_cache *c);

/* --- kernel ----------------------------------------------------------------- */

/* Load kallsyms from @path (normally "/proc/kallsyms"; tests pass a file).
 * 0, or -errno.  Addresses all zero (kptr_restrict) -> -EPERM. */
int sym_kallsyms__load(struct sym_cache *c, const char *path);
/* Name of the kernel function containing @addr ("func" or "func [module]"),
 * or NULL. */
const char *sym_kernel__resolve(struct sym_cache *c, uint64_t addr);

/* --- process address spaces --------------------------------------------------- */

struct sym_map {
	uint64_t start, end; /* [start, end) */
	uint64_t pgoff;	     /* file offset of start */
	struct sym_dso *dso; /* NULL for anonymous/special mappings */
	uint32_t prot;	     /* PROT_* */
	const char *name;    /* path or "[vdso]" etc.; owned by the cache */
};

/*
 * The address space of process @pid.  With @create, a missing one is made
 * and filled from /proc/PID/maps (files opened through /proc/PID/root).
 * NULL when absent (and !create) or unreadable.
 */
struct sym_maps *sym_cache__maps(struct sym_cache *c, pid_t pid, int create);
/* The process is gone: release its address space (dsos stay cached). */
void sym_cache__drop_maps(struct sym_cache *c, pid_t pid);
/* @child was forked from @parent: copy the parent's mappings. */
int sym_cache__fork_maps(struct sym_cache *c, pid_t parent, pid_t child);
/* @pid exec'ed: forget its mappings (new ones arrive as MMAP2). */
void sym_cache__exec_maps(struct sym_cache *c, pid_t pid);

/* A PERF_RECORD_MMAP2 (or MMAP, with maj = min = ino = 0) for this process. */
int sym_maps__mmap(struct sym_maps *m, uint64_t start, uint64_t len, uint64_t pgoff, uint32_t maj,
		   uint32_t min, uint64_t ino, uint32_t prot, const char *filename);

const struct sym_map *sym_maps__find(const struct sym_maps *m, uint64_t addr);
pid_t sym_maps__pid(const struct sym_maps *m);

/* --- resolving user addresses --------------------------------------------------- */

struct sym_frame {
	uint64_t ip;		   /* absolute address */
	const struct sym_map *map; /* NULL if no mapping covers ip */
	uint64_t rel_pc;	   /* address relative to the ELF file (what Perfetto wants) */
	const char *name;	   /* demangled function name, or NULL */
	int jit;		   /* name came from /tmp/perf-PID.map */
};

/* Fill @out for @ip in @m.  0 when a mapping was found (name may still be
 * NULL), -ENOENT otherwise (out->map = NULL). */
int sym_resolve(struct sym_cache *c, struct sym_maps *m, uint64_t ip, struct sym_frame *out);

/* --- ELF files -------------------------------------------------------------------- */

const char *sym_dso__path(const struct sym_dso *d);
/* Raw GNU build-id bytes, NULL when the file has none. */
const uint8_t *sym_dso__build_id(const struct sym_dso *d, size_t *len);
/* Where symbols came from: "symtab", "dynsym", "debuglink", "build-id", "none". */
const char *sym_dso__symbol_source(const struct sym_dso *d);
/* 1 when the file opened for @d is not the mapped one (replaced on disk since):
 * its symbols may not match. */
int sym_dso__mismatch(const struct sym_dso *d);

/*
 * For the DWARF unwinder: the file's contents (read-only mapping of the whole
 * ELF; NULL if unavailable) and the location of a section by name
 * (".eh_frame_hdr", ".eh_frame", ".debug_frame"): file offset, ELF virtual
 * address and size.  0 or -ENOENT.  .debug_frame may come from the separate
 * debug file: @image_out then points at that file's contents.
 * A compressed section (SHF_COMPRESSED, usual in debug files) is decompressed
 * on the first request: @image_out then points at its bytes and @offset is 0.
 * Output pointers may be NULL.
 */
const void *sym_dso__image(struct sym_dso *d, size_t *size);
int sym_dso__section(struct sym_dso *d, const char *name, const void **image_out, uint64_t *offset,
		     uint64_t *vaddr, uint64_t *size);
/* Translate a file offset of a mapping into an ELF virtual address (PT_LOAD). */
uint64_t sym_dso__offset_to_vaddr(struct sym_dso *d, uint64_t offset);

/*
 * Any defined symbol @name of the ELF file @path (data too; "name" matches
 * "name@@VERSION"), from .symtab else .dynsym: its file offset (through the
 * PT_LOAD that holds it) and size.  Reads the file each call.  0, -ENOENT,
 * -ENOEXEC (not ELF), -ERANGE (not in a loaded segment), -ENOTSUP (built
 * without libelf), -errno.
 */
int sym_elf__lookup(const char *path, const char *name, uint64_t *file_offset, uint64_t *size);

/* --- statistics ------------------------------------------------------------------ */

struct sym_stats {
	uint64_t dsos, dsos_without_symbols;
	uint64_t symbols; /* loaded, all dsos */
	uint64_t kernel_symbols;
	uint64_t processes;	  /* address spaces alive */
	uint64_t lookups, misses; /* sym_resolve calls, unresolved names */
	uint64_t memory_bytes;	  /* approximate heap held by the cache */
	uint64_t elf_bytes;    /* heap and mapped images of the ELF files (what the limit bounds) */
	uint64_t elf_limit;    /* sym_cache__set_limit(): bound of the unused ones, 0: none */
	uint64_t dsos_evicted; /* ELF files freed by sym_cache__trim() */
	uint64_t processes_dropped; /* address spaces released (sym_cache__drop_maps) */
};
void sym_cache__stats(const struct sym_cache *c, struct sym_stats *out);

#ifdef __cplusplus
}
#endif
#endif /* PFTRACE_SYMBOLIZE_H */
