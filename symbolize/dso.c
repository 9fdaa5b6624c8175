/* SPDX-License-Identifier: MIT */
/*
 * symbolize/dso.c: the ELF files mapped by traced processes.
 *
 * One struct sym_dso per file, keyed by (dev, inode) and shared by every
 * process and mapping of it.  Creating one costs a hash entry; the file is
 * opened on the first question about it (a symbol, a section, the build-id)
 * and everything is read then, once:
 *   - the file is opened through /proc/PID/root (the mapper's mount namespace),
 *     else by its plain path, and its (st_dev, st_ino) compared with the
 *     mapping's: a file replaced on disk is still used, but marked
 *     (sym_dso__mismatch);
 *   - a read-only mapping of the whole file stays for the unwinder
 *     (sym_dso__image), with the section headers and PT_LOAD segments;
 *   - without .symtab, a separate debug file is looked up by build-id
 *     (/usr/lib/debug/.build-id/xx/yyyy.debug, build-id checked) then by
 *     .gnu_debuglink (next to the file, in .debug/, under /usr/lib/debug; CRC
 *     checked) and its .symtab used, else .dynsym;
 *   - symbols are sorted by address, one per address, C++ names demangled,
 *     names copied into one block per dso (nothing points into the mapped
 *     file: a library rewritten in place must not make names fault).
 * "[vdso]" mappings get a copy of the tracer's own vdso (the same kernel image
 * for processes of the same ABI), so its functions have names and CFI.
 * Without libelf only the (dev, inode) bookkeeping remains.
 */
#include "config.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#ifdef HAVE_LIBELF
#include <gelf.h>
#include <libelf.h>
#include <link.h>
#include <sys/auxv.h>
#endif

#include "symbolize/internal.h"

#define BUILD_ID_MAX 64

struct dso_sym {
	uint64_t start, end; /* ELF virtual addresses, [start, end) */
	const char *name;    /* in sym_dso.names */
};

struct dso_sec {
	const char *name; /* in dso_file.secnames */
	uint64_t off, addr, size, flags;
	uint32_t type;
	void *inflated; /* SHF_COMPRESSED contents, decompressed on request */
	size_t inflated_size;
};

/* One ELF image: the file itself, or its separate debug file. */
struct dso_file {
	void *image;
	size_t size;
	bool heap;  /* image is malloc'd (the vdso copy), not mapped */
	char *path; /* to open it again (in the root of sym_dso.pid) */
	dev_t dev;  /* and to be sure it is the same file then */
	ino_t ino;
	struct dso_sec *secs; /* indexed by section number */
	size_t nsecs;
	char *secnames;
	size_t secnames_size;
};

struct dso_load {
	uint64_t off, filesz, vaddr;
	uint32_t flags;
};

struct sym_dso {
	struct sym_dso *hnext; /* hash chain */
	struct sym_dso *next;  /* all dsos */
	struct sym_cache *cache;
	uint64_t stamp; /* sym_cache.dso_clock when last mapped: the LRU order */
	size_t bytes;	/* accounted in sym_cache.dso_bytes */
	uint32_t mark;	/* == sym_cache.mark_gen: a live mapping refers to it */
	uint64_t dev, ino;
	char *path;
	pid_t pid; /* a process mapping it, to open it in its root */
	bool loaded, mismatch, is_vdso;
	uint8_t build_id_len;
	uint8_t build_id[BUILD_ID_MAX];
	const char *source;
	struct dso_file file, debug;
	struct dso_load *loads;
	size_t nloads;
	struct dso_sym *syms;
	size_t nsyms;
	char *names;
	size_t names_size;
};

static inline size_t dso_hash(uint64_t dev, uint64_t ino, size_t size)
{
	uint64_t h = (ino ^ (dev << 32 | dev >> 32)) * 0x9e3779b97f4a7c15ull;

	return (size_t)(h >> 32) & (size - 1);
}

static int dso_hash_grow(struct sym_cache *c)
{
	size_t nsize = c->dso_hash_size ? c->dso_hash_size * 2 : 256, i;
	struct sym_dso **nh = calloc(nsize, sizeof(*nh));

	if (!nh)
		return -ENOMEM;
	for (i = 0; i < c->dso_hash_size; i++) {
		struct sym_dso *d = c->dso_hash[i], *next;

		for (; d; d = next) {
			size_t b = dso_hash(d->dev, d->ino, nsize);

			next = d->hnext;
			d->hnext = nh[b];
			nh[b] = d;
		}
	}
	free(c->dso_hash);
	c->dso_hash = nh;
	c->dso_hash_size = nsize;
	return 0;
}

/* "/proc/PID/root" + @path into @buf; false when it does not fit. */
static bool rooted(char *buf, size_t size, pid_t pid, const char *path)
{
	int n = snprintf(buf, size, "/proc/%d/root%s", (int)pid, path);

	return n > 0 && (size_t)n < size;
}

static bool is_file_path(const char *path)
{
	/* "//anon", "/memfd:x (deleted)", "/SYSV0000 (deleted)", "/dev/zero": no ELF to read. */
	return path && path[0] == '/' && path[1] != '/' && strncmp(path, "/memfd:", 7) &&
	       strncmp(path, "/dev/", 5) && strncmp(path, "/SYSV", 5);
}

/* Heap and mapped bytes of @d: the ELF images count whole (pages are read as used). */
static size_t dso_memory(const struct sym_dso *d)
{
	size_t bytes = sizeof(*d) + strlen(d->path) + 1 + d->nloads * sizeof(*d->loads) +
		       d->nsyms * sizeof(*d->syms) + d->names_size;
	const struct dso_file *f[2] = {&d->file, &d->debug};
	size_t i, j;

	for (i = 0; i < 2; i++) {
		bytes += f[i]->nsecs * sizeof(*f[i]->secs) + f[i]->secnames_size + f[i]->size;
		for (j = 0; j < f[i]->nsecs; j++)
			bytes += f[i]->secs[j].inflated_size;
	}
	return bytes;
}

/* After @d grew (created, loaded, a section inflated): its share of the cache's bytes. */
static void dso_account(struct sym_dso *d)
{
	size_t now = dso_memory(d);

	d->cache->dso_bytes += now - d->bytes;
	d->bytes = now;
}

struct sym_dso *sym_dso__get(struct sym_cache *c, pid_t pid, uint32_t maj, uint32_t min,
			     uint64_t ino, const char *path)
{
	uint64_t dev = makedev(maj, min);
	struct sym_dso *d;
	size_t b;

	if (!is_file_path(path))
		return NULL;
	if (!ino) {
		/* PERF_RECORD_MMAP has no inode: ask the file system. */
		char buf[PATH_MAX + 32];
		struct stat st;

		if ((pid <= 0 || !rooted(buf, sizeof(buf), pid, path) || stat(buf, &st)) &&
		    stat(path, &st))
			return NULL;
		if (!S_ISREG(st.st_mode))
			return NULL;
		dev = st.st_dev;
		ino = st.st_ino;
	}
	if (c->dso_hash_size) {
		for (d = c->dso_hash[dso_hash(dev, ino, c->dso_hash_size)]; d; d = d->hnext) {
			if (d->dev == dev && d->ino == ino) {
				/* The latest mapper is the likeliest to be alive at open. */
				if (pid > 0)
					d->pid = pid;
				d->stamp = ++c->dso_clock;
				return d;
			}
		}
	}
	if (c->dso_count >= c->dso_hash_size && dso_hash_grow(c))
		return NULL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->path = strdup(path);
	if (!d->path) {
		free(d);
		return NULL;
	}
	d->cache = c;
	d->dev = dev;
	d->ino = ino;
	d->pid = pid;
	d->source = "none";
	b = dso_hash(dev, ino, c->dso_hash_size);
	d->hnext = c->dso_hash[b];
	c->dso_hash[b] = d;
	d->next = c->dso_list;
	c->dso_list = d;
	c->dso_count++;
	d->stamp = ++c->dso_clock;
	dso_account(d);
	return d;
}

static void file_release(struct dso_file *f)
{
	size_t i;

	if (f->image) {
		if (f->heap)
			free(f->image);
		else
			munmap(f->image, f->size);
	}
	for (i = 0; i < f->nsecs; i++)
		free(f->secs[i].inflated);
	free(f->secs);
	free(f->secnames);
	free(f->path);
	memset(f, 0, sizeof(*f));
}

static size_t file_memory(const struct dso_file *f)
{
	size_t bytes = f->nsecs * sizeof(*f->secs) + f->secnames_size, i;

	if (f->heap)
		bytes += f->size;
	for (i = 0; i < f->nsecs; i++)
		bytes += f->secs[i].inflated_size;
	return bytes;
}

static void dso_free(struct sym_dso *d)
{
	file_release(&d->file);
	file_release(&d->debug);
	free(d->loads);
	free(d->syms);
	free(d->names);
	free(d->path);
	free(d);
}

void sym_dsos__free(struct sym_cache *c)
{
	struct sym_dso *d, *next;

	for (d = c->dso_list; d; d = next) {
		next = d->next;
		dso_free(d);
	}
	free(c->dso_hash);
	c->dso_list = NULL;
	c->dso_hash = NULL;
	c->dso_hash_size = c->dso_count = 0;
	c->vdso = NULL;
	c->vdso_tried = 0;
}

void sym_dso__mark(struct sym_dso *d, uint32_t gen)
{
	d->mark = gen;
}

static int dso_stamp_cmp(const void *a, const void *b)
{
	const struct sym_dso *x = *(struct sym_dso *const *)a, *y = *(struct sym_dso *const *)b;

	return x->stamp < y->stamp ? -1 : x->stamp > y->stamp;
}

static void dso_unhash(struct sym_cache *c, struct sym_dso *d)
{
	struct sym_dso **pp = &c->dso_hash[dso_hash(d->dev, d->ino, c->dso_hash_size)];

	while (*pp && *pp != d)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = d->hnext;
}

size_t sym_dsos__sweep(struct sym_cache *c, uint32_t gen)
{
	struct sym_dso *d, **pp, **cand;
	size_t n = 0, i, unused = 0, evicted = 0;

	cand = malloc(c->dso_count * sizeof(*cand));
	if (!cand)
		return 0;
	for (d = c->dso_list; d; d = d->next) {
		if (d->mark != gen && !d->is_vdso && n < c->dso_count) {
			cand[n++] = d;
			unused += d->bytes;
		}
	}
	/* least recently mapped first, until the unused rest fits */
	qsort(cand, n, sizeof(*cand), dso_stamp_cmp);
	for (i = 0; i < n && unused > c->dso_limit; i++) {
		unused -= cand[i]->bytes;
		cand[i]->mark = gen + 1; /* the mark of no live mapping: evict */
	}
	free(cand);
	for (pp = &c->dso_list; (d = *pp);) {
		if (d->mark != gen + 1 || d->is_vdso) {
			pp = &d->next;
			continue;
		}
		*pp = d->next;
		dso_unhash(c, d);
		c->dso_bytes -= d->bytes;
		c->dso_count--;
		dso_free(d);
		evicted++;
	}
	return evicted;
}

void sym_dsos__stats(const struct sym_cache *c, struct sym_stats *st)
{
	const struct sym_dso *d;

	for (d = c->dso_list; d; d = d->next) {
		st->dsos++;
		if (d->loaded && !d->nsyms)
			st->dsos_without_symbols++;
		st->symbols += d->nsyms;
		st->memory_bytes += sizeof(*d) + strlen(d->path) + 1 + file_memory(&d->file) +
				    file_memory(&d->debug) + d->nloads * sizeof(*d->loads) +
				    d->nsyms * sizeof(*d->syms) + d->names_size;
	}
	st->memory_bytes += c->dso_hash_size * sizeof(*c->dso_hash);
	st->elf_bytes = c->dso_bytes;
	st->elf_limit = c->dso_limit;
	st->dsos_evicted = c->dsos_evicted;
}

const char *sym_dso__path(const struct sym_dso *d)
{
	return d->path;
}

#ifdef HAVE_LIBELF

/* zlib's CRC-32, as .gnu_debuglink uses. */
static uint32_t crc32_buf(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	uint32_t table[256], crc = 0xffffffffu;
	unsigned int i, j;

	for (i = 0; i < 256; i++) {
		uint32_t v = i;

		for (j = 0; j < 8; j++)
			v = v & 1 ? 0xedb88320u ^ (v >> 1) : v >> 1;
		table[i] = v;
	}
	while (len--)
		crc = table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return crc ^ 0xffffffffu;
}

/*
 * Open @path as seen by @pid (its root first, then ours).  With @want set, a
 * file whose (dev, ino) differs is only taken when no candidate matches, and
 * *mismatch says so.  -1 when nothing opens.
 */
static int open_rooted(pid_t pid, const char *path, const struct stat *want, struct stat *st,
		       bool *mismatch)
{
	char buf[PATH_MAX + 32];
	const char *cand[2];
	int n = 0, i, fd_other = -1;
	struct stat st_other;

	if (pid > 0 && rooted(buf, sizeof(buf), pid, path))
		cand[n++] = buf;
	cand[n++] = path;
	for (i = 0; i < n; i++) {
		int fd = open(cand[i], O_RDONLY | O_CLOEXEC);

		if (fd < 0)
			continue;
		if (fstat(fd, st) || !S_ISREG(st->st_mode) || st->st_size <= 0) {
			close(fd);
			continue;
		}
		if (!want || (st->st_dev == want->st_dev && st->st_ino == want->st_ino)) {
			if (fd_other >= 0)
				close(fd_other);
			if (mismatch)
				*mismatch = false;
			return fd;
		}
		if (fd_other < 0) {
			fd_other = fd;
			st_other = *st;
		} else {
			close(fd);
		}
	}
	if (fd_other >= 0) {
		*st = st_other;
		if (mismatch)
			*mismatch = true;
	}
	return fd_other;
}

/* What a scan of one ELF image found, valid until elf_end(). */
struct elf_scan {
	size_t symtab, dynsym; /* section indices, 0 when absent */
	bool has_cfi;	       /* .eh_frame or .debug_frame with contents */
	const char *debuglink; /* .gnu_debuglink file name */
	uint32_t debuglink_crc;
	uint8_t build_id[BUILD_ID_MAX];
	size_t build_id_len;
};

static bool notes_build_id(Elf_Data *data, struct elf_scan *s)
{
	size_t off = 0, name_off, desc_off;
	GElf_Nhdr nh;

	while (data && off < data->d_size &&
	       (off = gelf_getnote(data, off, &nh, &name_off, &desc_off)) > 0) {
		if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
		    !memcmp((const char *)data->d_buf + name_off, "GNU", 4) && nh.n_descsz &&
		    nh.n_descsz <= BUILD_ID_MAX) {
			memcpy(s->build_id, (const char *)data->d_buf + desc_off, nh.n_descsz);
			s->build_id_len = nh.n_descsz;
			return true;
		}
	}
	return false;
}

/* Section table (copied into @f) and the things we look for in it. */
static int elf_scan(Elf *elf, struct dso_file *f, struct elf_scan *s)
{
	size_t shstrndx, shnum, i, names = 0;
	Elf_Scn *scn = NULL;
	char *w;

	memset(s, 0, sizeof(*s));
	if (elf_getshdrnum(elf, &shnum) || elf_getshdrstrndx(elf, &shstrndx))
		shnum = 0;
	if (shnum) {
		f->secs = calloc(shnum, sizeof(*f->secs));
		if (!f->secs)
			return -ENOMEM;
		f->nsecs = shnum;
	}
	while ((scn = elf_nextscn(elf, scn)) != NULL) {
		size_t idx = elf_ndxscn(scn);
		const char *name;
		GElf_Shdr sh;

		if (idx >= shnum || !gelf_getshdr(scn, &sh))
			continue;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		f->secs[idx].off = sh.sh_offset;
		f->secs[idx].addr = sh.sh_addr;
		f->secs[idx].size = sh.sh_size;
		f->secs[idx].flags = sh.sh_flags;
		f->secs[idx].type = sh.sh_type;
		f->secs[idx].name = name; /* into libelf's data for now */
		if (name)
			names += strlen(name) + 1;
		if (!name || sh.sh_type == SHT_NOBITS)
			continue;
		if (sh.sh_type == SHT_SYMTAB && sh.sh_size)
			s->symtab = idx;
		else if (sh.sh_type == SHT_DYNSYM && sh.sh_size)
			s->dynsym = idx;
		else if (sh.sh_type == SHT_NOTE && !s->build_id_len)
			notes_build_id(elf_getdata(scn, NULL), s);
		else if (!strcmp(name, ".eh_frame") || !strcmp(name, ".debug_frame"))
			s->has_cfi |= sh.sh_size > 0;
		else if (!strcmp(name, ".gnu_debuglink")) {
			Elf_Data *data = elf_getdata(scn, NULL);
			size_t len;

			if (!data || data->d_size < 8)
				continue;
			len = strnlen(data->d_buf, data->d_size);
			if (!len || len == data->d_size || ((len + 4) & ~3u) + 4 > data->d_size)
				continue;
			s->debuglink = data->d_buf;
			/* The CRC sits in the file's byte order; a CRC is no address. */
			memcpy(&s->debuglink_crc, (const char *)data->d_buf + ((len + 4) & ~3u), 4);
			if (elf_getident(elf, NULL)[EI_DATA] !=
			    (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? ELFDATA2LSB : ELFDATA2MSB))
				s->debuglink_crc = __builtin_bswap32(s->debuglink_crc);
		}
	}
	if (!names)
		return 0;
	f->secnames = malloc(names);
	if (!f->secnames)
		return -ENOMEM;
	f->secnames_size = names;
	for (i = 0, w = f->secnames; i < f->nsecs; i++) {
		size_t len;

		if (!f->secs[i].name)
			continue;
		len = strlen(f->secs[i].name) + 1;
		memcpy(w, f->secs[i].name, len);
		f->secs[i].name = w;
		w += len;
	}
	return 0;
}

/* PT_LOAD segments, and the build-id from PT_NOTE when sections had none. */
static int elf_segments(struct sym_dso *d, Elf *elf, struct elf_scan *s)
{
	size_t phnum, i;

	if (elf_getphdrnum(elf, &phnum) || !phnum)
		return 0;
	d->loads = calloc(phnum, sizeof(*d->loads));
	if (!d->loads)
		return -ENOMEM;
	for (i = 0; i < phnum; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)i, &ph))
			continue;
		if (ph.p_type == PT_LOAD) {
			struct dso_load *l = &d->loads[d->nloads++];

			l->off = ph.p_offset;
			l->filesz = ph.p_filesz;
			l->vaddr = ph.p_vaddr;
			l->flags = ph.p_flags;
		} else if (ph.p_type == PT_NOTE && !s->build_id_len) {
			notes_build_id(
				elf_getdata_rawchunk(elf, (int64_t)ph.p_offset, ph.p_filesz,
						     ph.p_align == 8 ? ELF_T_NHDR8 : ELF_T_NHDR),
				s);
		}
	}
	return 0;
}

/* A candidate symbol, before sorting; name points into libelf's data. */
struct cand {
	uint64_t start, size;
	const char *name;
	uint32_t rank; /* lower is a better name for the address */
	uint32_t shndx;
	bool plt; /* a PLT stub: named NAME@plt */
};

static int cand_cmp(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->rank < y->rank ? -1 : x->rank > y->rank;
}

static uint32_t cand_rank(const GElf_Sym *sym, const char *name, size_t idx)
{
	unsigned int bind = GELF_ST_BIND(sym->st_info), unders = 0;
	uint32_t r = 0;

	while (name[unders] == '_' && unders < 3)
		unders++;
	/* Sized, global, a function, fewer leading underscores; then table order. */
	if (!sym->st_size)
		r |= 1u << 31;
	if (bind != STB_GLOBAL)
		r |= (bind == STB_WEAK ? 1u : 2u) << 29;
	if (GELF_ST_TYPE(sym->st_info) == STT_NOTYPE)
		r |= 1u << 28;
	r |= unders << 26;
	return r | (uint32_t)(idx & ((1u << 26) - 1));
}

static bool cand_keep(const GElf_Sym *sym, const struct dso_file *f)
{
	unsigned int type = GELF_ST_TYPE(sym->st_info), bind = GELF_ST_BIND(sym->st_info);

	if (sym->st_shndx == SHN_UNDEF || sym->st_shndx >= SHN_LORESERVE)
		return false;
	if (type == STT_FUNC || type == STT_GNU_IFUNC)
		return true;
	/* Labels of hand-written assembly: global, in code, no type, no size. */
	return type == STT_NOTYPE && !sym->st_size && (bind == STB_GLOBAL || bind == STB_WEAK) &&
	       sym->st_shndx < f->nsecs && (f->secs[sym->st_shndx].flags & SHF_EXECINSTR);
}

static size_t sec_find(const struct dso_file *f, const char *name)
{
	size_t i;

	for (i = 1; i < f->nsecs; i++)
		if (f->secs[i].name && f->secs[i].type != SHT_NOBITS &&
		    !strcmp(f->secs[i].name, name))
			return i;
	return 0;
}

/*
 * PLT stubs, named from the relocations as perf names them: entry i of .plt.sec, or of .plt
 * after its header, jumps through the GOT slot of the i-th .rela.plt (.rel.plt) relocation,
 * so it is "SYMBOL@plt".  x86-64, i386 and AArch64; a stub whose relocation has no symbol
 * (IRELATIVE) stays unnamed.  Fills at most @max candidates of @out (none with @out NULL)
 * and returns how many there are.
 */
static size_t plt_cands(Elf *elf, const struct dso_file *f, int machine, struct cand *out,
			size_t max)
{
	size_t rel = sec_find(f, ".rela.plt"), plt = sec_find(f, ".plt.sec"), n = 0, i, count;
	unsigned int jump_slot, header = 16;
	Elf_Scn *relscn, *symscn, *strscn;
	Elf_Data *reldata, *symdata, *strdata;
	GElf_Shdr rsh, ssh;
	bool is_rela = true;
	uint64_t base, end;

	switch (machine) {
	case EM_X86_64:
		jump_slot = R_X86_64_JUMP_SLOT;
		break;
	case EM_386:
		jump_slot = R_386_JMP_SLOT;
		break;
	case EM_AARCH64:
		jump_slot = R_AARCH64_JUMP_SLOT;
		header = 32;
		break;
	default:
		return 0;
	}
	if (!rel) {
		rel = sec_find(f, ".rel.plt");
		is_rela = false;
	}
	if (plt)
		header = 0;
	else
		plt = sec_find(f, ".plt");
	if (!rel || !plt || !(f->secs[plt].flags & SHF_EXECINSTR))
		return 0;
	base = f->secs[plt].addr + header;
	end = f->secs[plt].addr + f->secs[plt].size;
	relscn = elf_getscn(elf, rel);
	if (!relscn || !gelf_getshdr(relscn, &rsh) || !rsh.sh_entsize)
		return 0;
	reldata = elf_getdata(relscn, NULL);
	symscn = elf_getscn(elf, rsh.sh_link);
	if (!reldata || !symscn || !gelf_getshdr(symscn, &ssh))
		return 0;
	symdata = elf_getdata(symscn, NULL);
	strscn = elf_getscn(elf, ssh.sh_link);
	strdata = strscn ? elf_getdata(strscn, NULL) : NULL;
	if (!symdata || !strdata || !strdata->d_size ||
	    ((const char *)strdata->d_buf)[strdata->d_size - 1] != '\0')
		return 0;
	count = reldata->d_size / rsh.sh_entsize;
	for (i = 0; i < count && base + 16 * (i + 1) <= end && base + 16 * (i + 1) > base; i++) {
		GElf_Rela ra;
		GElf_Rel r;
		GElf_Sym sym;
		uint64_t info;
		const char *name;

		if (is_rela ? !gelf_getrela(reldata, (int)i, &ra)
			    : !gelf_getrel(reldata, (int)i, &r))
			continue;
		info = is_rela ? ra.r_info : r.r_info;
		if (GELF_R_TYPE(info) != jump_slot || !GELF_R_SYM(info) ||
		    !gelf_getsym(symdata, (int)GELF_R_SYM(info), &sym) ||
		    sym.st_name >= strdata->d_size)
			continue;
		name = (const char *)strdata->d_buf + sym.st_name;
		if (!*name)
			continue;
		if (out && n < max) {
			out[n].start = base + 16 * i;
			out[n].size = 16;
			out[n].name = name;
			out[n].rank = UINT32_MAX; /* a real symbol there names it better */
			out[n].shndx = (uint32_t)plt;
			out[n].plt = true;
		}
		n++;
	}
	return n;
}

/* Symbols of section @symidx of @elf, and the PLT stubs of @plt_elf (the file itself). */
static int load_symbols(struct sym_dso *d, Elf *elf, size_t symidx, const struct dso_file *f,
			int machine, Elf *plt_elf, const struct dso_file *plt_f)
{
	Elf_Scn *scn = elf_getscn(elf, symidx), *strscn;
	Elf_Data *data, *strdata;
	struct cand *cands = NULL;
	char **demangled = NULL, *w;
	size_t count, n = 0, i, out, names = 0, nplt;
	const char *strs;
	GElf_Shdr sh;
	int err = -ENOMEM;

	if (!scn || !gelf_getshdr(scn, &sh) || !sh.sh_entsize)
		return 0;
	data = elf_getdata(scn, NULL);
	strscn = elf_getscn(elf, sh.sh_link);
	strdata = strscn ? elf_getdata(strscn, NULL) : NULL;
	if (!data || !strdata || !strdata->d_size ||
	    ((const char *)strdata->d_buf)[strdata->d_size - 1] != '\0')
		return 0;
	strs = strdata->d_buf;
	count = data->d_size / gelf_fsize(elf, ELF_T_SYM, 1, EV_CURRENT);
	if (count < 2)
		return 0;
	nplt = plt_cands(plt_elf, plt_f, machine, NULL, 0);
	cands = malloc((count + nplt) * sizeof(*cands));
	if (!cands)
		return -ENOMEM;

	for (i = 1; i < count; i++) {
		GElf_Sym sym;

		if (!gelf_getsym(data, (int)i, &sym) || !cand_keep(&sym, f) ||
		    sym.st_name >= strdata->d_size || !strs[sym.st_name])
			continue;
		cands[n].start = sym.st_value;
		if (machine == EM_ARM)
			cands[n].start &= ~1ull; /* Thumb bit */
		cands[n].size = sym.st_size;
		cands[n].name = strs + sym.st_name;
		cands[n].rank = cand_rank(&sym, cands[n].name, i);
		cands[n].shndx = sym.st_shndx;
		cands[n].plt = false;
		n++;
	}
	n += plt_cands(plt_elf, plt_f, machine, cands + n, nplt);
	if (!n) {
		err = 0;
		goto out;
	}
	qsort(cands, n, sizeof(*cands), cand_cmp);
	for (i = 1, out = 1; i < n; i++) {
		if (cands[i].start != cands[out - 1].start)
			cands[out++] = cands[i];
	}
	n = out;

	d->syms = malloc(n * sizeof(*d->syms));
	demangled = calloc(n, sizeof(*demangled));
	if (!d->syms || !demangled)
		goto out;
	for (i = 0; i < n; i++) {
		struct dso_sym *s = &d->syms[i];
		const struct cand *cd = &cands[i];

		s->start = cd->start;
		if (cd->size) {
			s->end = cd->start + cd->size;
		} else {
			/* Up to the next symbol, within its section. */
			uint64_t sec_end = cd->start + 1;

			if (cd->shndx < f->nsecs && f->secs[cd->shndx].addr <= cd->start)
				sec_end = f->secs[cd->shndx].addr + f->secs[cd->shndx].size;
			s->end = i + 1 < n && cands[i + 1].start < sec_end ? cands[i + 1].start
									   : sec_end;
			if (s->end <= s->start)
				s->end = s->start + 1;
		}
		demangled[i] = sym_demangle(d->cache, cd->name);
		names += strlen(demangled[i] ? demangled[i] : cd->name) + 1 + (cd->plt ? 4 : 0);
	}
	d->names = malloc(names);
	if (!d->names)
		goto out;
	d->names_size = names;
	for (i = 0, w = d->names; i < n; i++) {
		const char *src = demangled[i] ? demangled[i] : cands[i].name;
		size_t len = strlen(src) + 1;
		const char *at = strchr(src, '@');

		/* "memcpy@@GLIBC_2.14" -> "memcpy": the version only splits a
		 * function into several flamegraph nodes */
		if (at && at != src && !demangled[i])
			len = (size_t)(at - src) + 1;
		memcpy(w, src, len - 1);
		if (cands[i].plt) {
			memcpy(w + len - 1, "@plt", 4);
			len += 4;
		}
		w[len - 1] = 0;
		d->syms[i].name = w;
		w += len;
	}
	d->nsyms = n;
	err = 0;
out:
	if (demangled) {
		for (i = 0; i < n; i++)
			free(demangled[i]);
		free(demangled);
	}
	if (err) {
		free(d->syms);
		d->syms = NULL;
	}
	free(cands);
	return err;
}

/* Map @fd whole and hand it to libelf; both released by the caller. */
static Elf *file_open_elf(struct dso_file *f, const char *path, int fd, const struct stat *st)
{
	size_t size = (size_t)st->st_size;
	Elf *elf;

	f->path = strdup(path);
	f->dev = st->st_dev;
	f->ino = st->st_ino;
	f->image = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (f->image == MAP_FAILED) {
		f->image = NULL;
		return NULL;
	}
	f->size = size;
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (elf && elf_kind(elf) != ELF_K_ELF) {
		elf_end(elf);
		elf = NULL;
	}
	return elf;
}

/*
 * Try @path as the debug file of @d: matching build-id (@crc NULL) or
 * .gnu_debuglink CRC.  On success d->debug is filled and its Elf returned.
 */
static Elf *debug_try(struct sym_dso *d, const char *path, const uint32_t *crc,
		      const struct stat *self, int *fd_out)
{
	struct dso_file f = {0};
	struct elf_scan s;
	struct stat st;
	Elf *elf = NULL;
	int fd;

	fd = open_rooted(d->pid, path, NULL, &st, NULL);
	if (fd < 0)
		return NULL;
	if (st.st_dev == self->st_dev && st.st_ino == self->st_ino)
		goto fail; /* the debuglink named the file itself */
	elf = file_open_elf(&f, path, fd, &st);
	if (!elf)
		goto fail;
	if (crc && crc32_buf(f.image, f.size) != *crc)
		goto fail;
	if (elf_scan(elf, &f, &s))
		goto fail;
	if (!crc &&
	    (s.build_id_len != d->build_id_len || memcmp(s.build_id, d->build_id, s.build_id_len)))
		goto fail;
	d->debug = f;
	*fd_out = fd;
	return elf;
fail:
	if (elf)
		elf_end(elf);
	file_release(&f);
	close(fd);
	return NULL;
}

static Elf *debug_find(struct sym_dso *d, const struct elf_scan *s, const struct stat *self,
		       int *fd_out, const char **source)
{
	char path[PATH_MAX], dir[PATH_MAX];
	const char *slash;
	Elf *elf;
	size_t i;
	int n;

	if (d->build_id_len) {
		n = snprintf(path, sizeof(path), "/usr/lib/debug/.build-id/%02x/", d->build_id[0]);
		for (i = 1; i < d->build_id_len; i++)
			n += snprintf(path + n, sizeof(path) - (size_t)n, "%02x", d->build_id[i]);
		snprintf(path + n, sizeof(path) - (size_t)n, ".debug");
		elf = debug_try(d, path, NULL, self, fd_out);
		if (elf) {
			*source = "build-id";
			return elf;
		}
	}
	if (!s->debuglink || strchr(s->debuglink, '/'))
		return NULL;
	slash = strrchr(d->path, '/');
	n = (int)(slash - d->path);
	if (n >= (int)sizeof(dir))
		return NULL;
	memcpy(dir, d->path, (size_t)n);
	dir[n] = '\0';
	/* Next to the file, in .debug/ beside it, under /usr/lib/debug (as gdb does). */
	for (i = 0; i < 3; i++) {
		const char *pre = i == 2 ? "/usr/lib/debug" : "", *sub = i == 1 ? "/.debug" : "";

		n = snprintf(path, sizeof(path), "%s%s%s/%s", pre, dir, sub, s->debuglink);
		if (n < 0 || n >= (int)sizeof(path))
			continue;
		elf = debug_try(d, path, &s->debuglink_crc, self, fd_out);
		if (elf) {
			*source = "debuglink";
			return elf;
		}
	}
	return NULL;
}

static void dso_load_elf(struct sym_dso *d)
{
	Elf *elf = NULL, *dbg_elf = NULL;
	int fd = -1, dbg_fd = -1, machine;
	const char *dbg_source = NULL;
	struct stat want, st = {0};
	struct elf_scan s;
	GElf_Ehdr eh;

	elf_version(EV_CURRENT);
	if (d->is_vdso) {
		elf = elf_memory(d->file.image, d->file.size);
	} else {
		want.st_dev = (dev_t)d->dev;
		want.st_ino = (ino_t)d->ino;
		fd = open_rooted(d->pid, d->path, &want, &st, &d->mismatch);
		if (fd < 0)
			return;
		elf = file_open_elf(&d->file, d->path, fd, &st);
	}
	if (!elf || !gelf_getehdr(elf, &eh)) {
		if (!d->is_vdso)
			file_release(&d->file);
		goto out;
	}
	machine = eh.e_machine;
	if (elf_scan(elf, &d->file, &s) || elf_segments(d, elf, &s))
		goto out;
	memcpy(d->build_id, s.build_id, s.build_id_len);
	d->build_id_len = (uint8_t)s.build_id_len;

	if (!d->is_vdso && (!s.symtab || !s.has_cfi))
		dbg_elf = debug_find(d, &s, &st, &dbg_fd, &dbg_source);
	if (dbg_elf && !s.symtab) {
		size_t i, symtab = 0;

		for (i = 0; i < d->debug.nsecs; i++) {
			if (d->debug.secs[i].type == SHT_SYMTAB && d->debug.secs[i].size)
				symtab = i;
		}
		if (symtab &&
		    !load_symbols(d, dbg_elf, symtab, &d->debug, machine, elf, &d->file) &&
		    d->nsyms) {
			d->source = dbg_source;
			goto out;
		}
	}
	if (s.symtab && !load_symbols(d, elf, s.symtab, &d->file, machine, elf, &d->file) &&
	    d->nsyms)
		d->source = "symtab";
	else if (s.dynsym && !load_symbols(d, elf, s.dynsym, &d->file, machine, elf, &d->file) &&
		 d->nsyms)
		d->source = "dynsym";
out:
	if (dbg_elf)
		elf_end(dbg_elf);
	if (dbg_fd >= 0)
		close(dbg_fd);
	if (elf)
		elf_end(elf);
	if (fd >= 0)
		close(fd);
}

/* Our vdso is the kernel's image for processes of our ABI: copy it once. */
static struct sym_dso *vdso_make(struct sym_cache *c)
{
	const ElfW(Ehdr) *eh = (const ElfW(Ehdr) *)getauxval(AT_SYSINFO_EHDR);
	const ElfW(Phdr) * ph;
	struct sym_dso *d;
	size_t size, i;

	if (!eh || memcmp(eh->e_ident, ELFMAG, SELFMAG))
		return NULL;
	size = eh->e_shoff + (size_t)eh->e_shnum * eh->e_shentsize;
	ph = (const ElfW(Phdr) *)((const char *)eh + eh->e_phoff);
	for (i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type == PT_LOAD && ph[i].p_offset + ph[i].p_filesz > size)
			size = ph[i].p_offset + ph[i].p_filesz;
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->file.image = malloc(size);
	d->path = strdup("[vdso]");
	if (!d->file.image || !d->path) {
		free(d->file.image);
		free(d->path);
		free(d);
		return NULL;
	}
	memcpy(d->file.image, eh, size);
	d->file.size = size;
	d->file.heap = true;
	d->is_vdso = true;
	d->cache = c;
	d->source = "none";
	d->next = c->dso_list;
	c->dso_list = d;
	return d;
}

struct sym_dso *sym_dso__vdso(struct sym_cache *c, uint64_t size)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);

	if (!c->vdso_tried) {
		c->vdso_tried = 1;
		c->vdso = vdso_make(c);
	}
	/* A process of another ABI (32-bit) has another vdso; its size tells, mostly. */
	if (!c->vdso || (size && size != ((c->vdso->file.size + page - 1) & ~(page - 1))))
		return NULL;
	return c->vdso;
}

/*
 * Decompress an SHF_COMPRESSED section once, through libelf, which wants the
 * file (not our read-only mapping): open it again, and only if it is the same.
 */
static int sec_inflate(const struct sym_dso *d, struct dso_file *f, size_t idx)
{
	struct dso_sec *sec = &f->secs[idx];
	struct stat want, st;
	bool mismatch;
	Elf_Data *data;
	Elf_Scn *scn;
	Elf *elf;
	int fd, err = -ENOENT;

	if (!f->path)
		return -ENOENT;
	want.st_dev = f->dev;
	want.st_ino = f->ino;
	fd = open_rooted(d->pid, f->path, &want, &st, &mismatch);
	if (fd < 0)
		return -ENOENT;
	if (mismatch) {
		close(fd);
		return -ENOENT;
	}
	elf = elf_begin(fd, ELF_C_READ, NULL);
	scn = elf ? elf_getscn(elf, idx) : NULL;
	if (scn && elf_compress(scn, 0, 0) >= 0 && (data = elf_getdata(scn, NULL)) &&
	    data->d_size) {
		sec->inflated = malloc(data->d_size);
		if (sec->inflated) {
			memcpy(sec->inflated, data->d_buf, data->d_size);
			sec->inflated_size = data->d_size;
			err = 0;
		} else {
			err = -ENOMEM;
		}
	}
	if (elf)
		elf_end(elf);
	close(fd);
	return err;
}

#else /* !HAVE_LIBELF */

static void dso_load_elf(struct sym_dso *d)
{
}

struct sym_dso *sym_dso__vdso(struct sym_cache *c, uint64_t size)
{
	return NULL;
}

static int sec_inflate(const struct sym_dso *d, struct dso_file *f, size_t idx)
{
	return -ENOENT;
}

#endif /* HAVE_LIBELF */

static void dso_load(struct sym_dso *d)
{
	if (d->loaded)
		return;
	d->loaded = true;
	dso_load_elf(d);
	dso_account(d);
}

const char *sym_dso__find_symbol(struct sym_dso *d, uint64_t vaddr)
{
	size_t lo = 0, hi;

	dso_load(d);
	hi = d->nsyms;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (d->syms[mid].start <= vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo || vaddr >= d->syms[lo - 1].end)
		return NULL;
	return d->syms[lo - 1].name;
}

/* Accessors below are logically const; the first one loads the file. */
const uint8_t *sym_dso__build_id(const struct sym_dso *d, size_t *len)
{
	dso_load((struct sym_dso *)d);
	if (len)
		*len = d->build_id_len;
	return d->build_id_len ? d->build_id : NULL;
}

const char *sym_dso__symbol_source(const struct sym_dso *d)
{
	dso_load((struct sym_dso *)d);
	return d->source;
}

int sym_dso__mismatch(const struct sym_dso *d)
{
	dso_load((struct sym_dso *)d);
	return d->mismatch;
}

const void *sym_dso__image(struct sym_dso *d, size_t *size)
{
	dso_load(d);
	if (size)
		*size = d->file.image ? d->file.size : 0;
	return d->file.image;
}

static int file_section(const struct sym_dso *d, struct dso_file *f, const char *name,
			const void **image_out, uint64_t *offset, uint64_t *vaddr, uint64_t *size)
{
	size_t i;

	for (i = 0; i < f->nsecs; i++) {
		struct dso_sec *sec = &f->secs[i];

		if (!sec->name || sec->type == SHT_NOBITS || strcmp(sec->name, name))
			continue;
		if (sec->flags & SHF_COMPRESSED) {
			/* Handed out as its own image, starting at offset 0. */
			if (!sec->inflated) {
				if (sec_inflate(d, f, i))
					return -ENOENT;
				dso_account((struct sym_dso *)d);
			}
			if (image_out)
				*image_out = sec->inflated;
			if (offset)
				*offset = 0;
			if (size)
				*size = sec->inflated_size;
		} else {
			if (sec->off > f->size || sec->size > f->size - sec->off)
				return -ENOENT;
			if (image_out)
				*image_out = f->image;
			if (offset)
				*offset = sec->off;
			if (size)
				*size = sec->size;
		}
		if (vaddr)
			*vaddr = sec->addr;
		return 0;
	}
	return -ENOENT;
}

int sym_dso__section(struct sym_dso *d, const char *name, const void **image_out, uint64_t *offset,
		     uint64_t *vaddr, uint64_t *size)
{
	dso_load(d);
	if (!file_section(d, &d->file, name, image_out, offset, vaddr, size))
		return 0;
	return file_section(d, &d->debug, name, image_out, offset, vaddr, size);
}

uint64_t sym_dso__offset_to_vaddr(struct sym_dso *d, uint64_t offset)
{
	size_t i, pass;

	dso_load(d);
	/*
	 * Executable segments first (the offset is normally that of an ip or of
	 * a code mapping), exact file range before the pages around it: a code
	 * segment that does not start on a page boundary (lld) is mapped from
	 * the page below, which may hold the tail of the segment before.
	 */
	for (pass = 0; pass < 4; pass++) {
		for (i = 0; i < d->nloads; i++) {
			const struct dso_load *l = &d->loads[i];
			uint64_t lo = l->off, hi = l->off + l->filesz;

			if (pass < 2 && !(l->flags & PF_X))
				continue;
			if (pass & 1) {
				lo &= ~4095ull;
				hi = (hi + 4095) & ~4095ull;
			}
			if (offset >= lo && offset < hi)
				return offset - l->off + l->vaddr;
		}
	}
	return offset;
}
