/* SPDX-License-Identifier: MIT */
/*
 * plugins/probes/elf.c: what a uprobe needs from an ELF file -- function
 * symbols as file offsets, the function list, and the .note.stapsdt notes.
 *
 * uprobes take a FILE offset: a symbol's address is mapped through the PT_LOAD
 * segment that contains it (p_vaddr -> p_offset), which must be executable.
 * Files are read with libelf, opened read-only, closed before returning.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "probes.h"
#include "internal.h"

struct elf_file {
	int fd;
	Elf *elf;
};

static int elf_file__open(struct elf_file *f, const char *path, char *err, size_t errlen)
{
	int ret;

	f->elf = NULL;
	if (elf_version(EV_CURRENT) == EV_NONE) {
		prb_err(err, errlen, "%s: libelf: %s", path, elf_errmsg(-1));
		return -EINVAL;
	}
	f->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (f->fd < 0) {
		ret = -errno;
		prb_err(err, errlen, "%s: %s", path, strerror(errno));
		return ret;
	}
	f->elf = elf_begin(f->fd, ELF_C_READ, NULL);
	if (!f->elf || elf_kind(f->elf) != ELF_K_ELF) {
		prb_err(err, errlen, "%s: not an ELF file", path);
		elf_end(f->elf);
		close(f->fd);
		f->elf = NULL;
		return -ENOEXEC;
	}
	return 0;
}

static void elf_file__close(struct elf_file *f)
{
	if (!f->elf)
		return;
	elf_end(f->elf);
	close(f->fd);
	f->elf = NULL;
}

/* The file offset of @addr in a PT_LOAD segment (executable only, when @exec).  -ENOENT. */
static int vaddr_to_offset(Elf *elf, uint64_t addr, int exec, uint64_t *off)
{
	size_t n;

	if (elf_getphdrnum(elf, &n) < 0)
		return -ENOENT;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if (addr < ph.p_vaddr || addr >= ph.p_vaddr + ph.p_memsz)
			continue;
		if ((exec && !(ph.p_flags & PF_X)) || addr >= ph.p_vaddr + ph.p_filesz)
			return -EINVAL;
		*off = addr - ph.p_vaddr + ph.p_offset;
		return 0;
	}
	return -ENOENT;
}

static Elf_Scn *find_section(Elf *elf, Elf64_Word type, const char *name)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;

	if (elf_getshdrstrndx(elf, &shstrndx) < 0)
		return NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *s;

		if (!gelf_getshdr(scn, &sh) || (type && sh.sh_type != type))
			continue;
		s = elf_strptr(elf, shstrndx, sh.sh_name);
		if (s && (!name || strcmp(s, name) == 0))
			return scn;
	}
	return NULL;
}

/* The length of a symbol name without its version ("write@@GLIBC_2.2.5" -> 5). */
static size_t unversioned_len(const char *name)
{
	return strcspn(name, "@");
}

static int is_func(const GElf_Sym *sym)
{
	int type = GELF_ST_TYPE(sym->st_info);

	return (type == STT_FUNC || type == STT_GNU_IFUNC) && sym->st_shndx != SHN_UNDEF &&
	       sym->st_value != 0;
}

/* Call @fn for each defined function symbol of the section of @type.  Returns -ENOENT when
 * there is no such section, else what @fn returned last (nonzero stops). */
static int each_func(Elf *elf, Elf64_Word type,
		     int (*fn)(void *priv, const char *name, const GElf_Sym *sym), void *priv)
{
	Elf_Scn *scn = find_section(elf, type, NULL);
	Elf_Data *data;
	GElf_Shdr sh;
	int ret = 0;

	if (!scn || !gelf_getshdr(scn, &sh) || !sh.sh_entsize)
		return -ENOENT;
	data = elf_getdata(scn, NULL);
	if (!data)
		return -ENOENT;
	for (size_t i = 0; !ret && i < sh.sh_size / sh.sh_entsize; i++) {
		GElf_Sym sym;
		const char *name;

		if (!gelf_getsym(data, (int)i, &sym) || !is_func(&sym))
			continue;
		name = elf_strptr(elf, sh.sh_link, sym.st_name);
		if (name && *name)
			ret = fn(priv, name, &sym);
	}
	return ret;
}

struct lookup {
	const char *want;
	GElf_Sym sym;
	int found; /* rank of the best match so far, 0 for none */
};

/* Match ranks: an exact name beats one equal without the version suffix ("write" for
 * "write@@GLIBC_2.2.5" and the reverse), a global or weak definition beats a local one. */
static int lookup_fn(void *priv, const char *name, const GElf_Sym *sym)
{
	struct lookup *l = priv;
	size_t len = unversioned_len(name);
	int rank;

	if (strcmp(name, l->want) == 0)
		rank = 3;
	else if (unversioned_len(l->want) == len && strncmp(name, l->want, len) == 0)
		rank = 1;
	else
		return 0;
	rank += GELF_ST_BIND(sym->st_info) != STB_LOCAL;
	if (rank > l->found) {
		l->found = rank;
		l->sym = *sym;
	}
	return l->found == 4;
}

int prb_elf__func_offset(const char *path, const char *symbol, uint64_t add, uint64_t *offset,
			 uint64_t *sym_size, char *err, size_t errlen)
{
	struct lookup l = {.want = symbol};
	struct elf_file f;
	int ret, has_symtab;

	ret = elf_file__open(&f, path, err, errlen);
	if (ret)
		return ret;
	ret = each_func(f.elf, SHT_SYMTAB, lookup_fn, &l);
	has_symtab = ret != -ENOENT;
	if (!l.found)
		each_func(f.elf, SHT_DYNSYM, lookup_fn, &l);
	if (!l.found) {
		if (has_symtab)
			prb_err(err, errlen, "%s: no function '%s'", path, symbol);
		else
			prb_err(err, errlen,
				"%s: no function '%s' among its exported symbols, and the binary "
				"has no symbol table (stripped)",
				path, symbol);
		ret = -ENOENT;
		goto out_close;
	}
	if (l.sym.st_size && add >= l.sym.st_size) {
		prb_err(err, errlen, "%s: offset +%#llx is beyond the end of '%s' (%llu bytes)",
			path, (unsigned long long)add, symbol, (unsigned long long)l.sym.st_size);
		ret = -EINVAL;
		goto out_close;
	}
	ret = vaddr_to_offset(f.elf, l.sym.st_value + add, 1, offset);
	if (ret) {
		prb_err(err, errlen, "%s: '%s'+%#llx (address %#llx) is not code (%s)", path,
			symbol, (unsigned long long)add, (unsigned long long)(l.sym.st_value + add),
			ret == -EINVAL ? "not in an executable segment" : "in no loaded segment");
		ret = -EINVAL;
		goto out_close;
	}
	if (sym_size)
		*sym_size = l.sym.st_size;
out_close:
	elf_file__close(&f);
	return ret;
}

struct collect {
	const char *pattern;
	struct prb_func *funcs;
	size_t n, cap;
	int ret;
};

static int collect_fn(void *priv, const char *name, const GElf_Sym *sym)
{
	struct collect *c = priv;
	char *copy = strndup(name, unversioned_len(name));

	if (!copy)
		return c->ret = -ENOMEM;
	if (c->pattern && fnmatch(c->pattern, copy, 0) != 0) {
		free(copy);
		return 0;
	}
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 256;
		struct prb_func *f = realloc(c->funcs, cap * sizeof(*f));

		if (!f) {
			free(copy);
			return c->ret = -ENOMEM;
		}
		c->funcs = f;
		c->cap = cap;
	}
	c->funcs[c->n++] = (struct prb_func){copy, sym->st_value, sym->st_size};
	return 0;
}

static int func_cmp(const void *a, const void *b)
{
	const struct prb_func *x = a, *y = b;

	return strcmp(x->name, y->name);
}

int prb_elf__funcs(const char *path, const char *pattern, struct prb_func **funcs, size_t *n,
		   char *err, size_t errlen)
{
	struct collect c = {.pattern = pattern};
	struct elf_file f;
	size_t out = 0;
	int ret;

	*funcs = NULL;
	*n = 0;
	ret = elf_file__open(&f, path, err, errlen);
	if (ret)
		return ret;
	if (each_func(f.elf, SHT_SYMTAB, collect_fn, &c) == -ENOENT)
		each_func(f.elf, SHT_DYNSYM, collect_fn, &c);
	elf_file__close(&f);
	if (c.ret) {
		prb_funcs__free(c.funcs, c.n);
		prb_err(err, errlen, "%s: %s", path, strerror(-c.ret));
		return c.ret;
	}
	if (c.n)
		qsort(c.funcs, c.n, sizeof(*c.funcs), func_cmp);
	for (size_t i = 0; i < c.n; i++) {
		if (out && strcmp(c.funcs[out - 1].name, c.funcs[i].name) == 0) {
			free(c.funcs[i].name);
			continue;
		}
		c.funcs[out++] = c.funcs[i];
	}
	*funcs = c.funcs;
	*n = out;
	return 0;
}

void prb_funcs__free(struct prb_func *funcs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(funcs[i].name);
	free(funcs);
}

/* ---- USDT notes -------------------------------------------------------- */

#define NT_STAPSDT 3

/* The strings of one note, not the note itself. */
static void usdt_note_clear(struct prb_usdt_note *u)
{
	free(u->provider);
	free(u->name);
	free(u->args);
}

void prb_usdt__free(struct prb_usdt_note *notes, size_t n)
{
	for (size_t i = 0; i < n; i++)
		usdt_note_clear(&notes[i]);
	free(notes);
}

/* Parse one note's descriptor: pc, base, semaphore (address-sized), then three strings. */
static int parse_note(const char *desc, size_t len, size_t asize, struct prb_usdt_note *u,
		      uint64_t *base)
{
	uint64_t v[3] = {0};
	const char *s, *end = desc + len;
	const char *strs[3];

	if (len < 3 * asize)
		return -EINVAL;
	for (int i = 0; i < 3; i++) {
		if (asize == 8) {
			memcpy(&v[i], desc + 8 * i, 8);
		} else {
			uint32_t w;

			memcpy(&w, desc + 4 * i, 4);
			v[i] = w;
		}
	}
	s = desc + 3 * asize;
	for (int i = 0; i < 3; i++) {
		const char *nul = memchr(s, '\0', (size_t)(end - s));

		if (!nul)
			return -EINVAL;
		strs[i] = s;
		s = nul + 1;
	}
	u->pc = v[0];
	*base = v[1];
	u->sema = v[2];
	u->provider = strdup(strs[0]);
	u->name = strdup(strs[1]);
	u->args = strdup(strs[2]);
	if (!u->provider || !u->name || !u->args)
		return -ENOMEM;
	return 0;
}

int prb_usdt__read(const char *path, struct prb_usdt_note **notes, size_t *n, char *err,
		   size_t errlen)
{
	struct prb_usdt_note *v = NULL;
	size_t nv = 0, cap = 0, off = 0, name_off, desc_off, asize;
	uint64_t sdt_base = 0;
	Elf_Scn *scn, *base_scn;
	struct elf_file f;
	Elf_Data *data;
	GElf_Nhdr nh;
	int ret;

	*notes = NULL;
	*n = 0;
	ret = elf_file__open(&f, path, err, errlen);
	if (ret)
		return ret;
	asize = gelf_getclass(f.elf) == ELFCLASS32 ? 4 : 8;
	scn = find_section(f.elf, SHT_NOTE, ".note.stapsdt");
	if (!scn || !(data = elf_getdata(scn, NULL)))
		goto out_close;
	base_scn = find_section(f.elf, 0, ".stapsdt.base");
	if (base_scn) {
		GElf_Shdr sh;

		if (gelf_getshdr(base_scn, &sh))
			sdt_base = sh.sh_addr;
	}
	while ((off = gelf_getnote(data, off, &nh, &name_off, &desc_off)) > 0) {
		struct prb_usdt_note u = {0};
		uint64_t note_base;

		if (nh.n_type != NT_STAPSDT || nh.n_namesz != 8 ||
		    memcmp((char *)data->d_buf + name_off, "stapsdt", 8) != 0)
			continue;
		ret = parse_note((char *)data->d_buf + desc_off, nh.n_descsz, asize, &u,
				 &note_base);
		if (!ret && nv == cap) {
			struct prb_usdt_note *nv2;

			cap = cap ? 2 * cap : 16;
			nv2 = realloc(v, cap * sizeof(*v));
			if (nv2)
				v = nv2;
			else
				ret = -ENOMEM;
		}
		if (ret) {
			usdt_note_clear(&u);
			v = (prb_usdt__free(v, nv), NULL);
			prb_err(err, errlen, "%s: %s in .note.stapsdt", path,
				ret == -ENOMEM ? strerror(ENOMEM) : "a malformed note");
			goto out_close;
		}
		/* prelink moved the sections but not the notes: .stapsdt.base tells by how much
		 * (as systemtap and libbpf adjust; the semaphore is left as it is, as libbpf does)
		 */
		if (sdt_base && note_base)
			u.pc += sdt_base - note_base;
		if (vaddr_to_offset(f.elf, u.pc, 1, &u.pc_offset) < 0 ||
		    (u.sema && vaddr_to_offset(f.elf, u.sema, 0, &u.sema_offset) < 0)) {
			prb_err(err, errlen,
				"%s: USDT note %s:%s has an address outside the file's "
				"segments",
				path, u.provider, u.name);
			usdt_note_clear(&u);
			v = (prb_usdt__free(v, nv), NULL);
			ret = -EINVAL;
			goto out_close;
		}
		v[nv++] = u;
	}
	*notes = v;
	*n = nv;
out_close:
	elf_file__close(&f);
	return ret;
}

int prb_usdt__select(const struct prb_usdt_note *notes, size_t n, const char *provider,
		     const char *name, size_t *idx, size_t cap, char *err, size_t errlen)
{
	const char *first = NULL;
	size_t count = 0;

	for (size_t i = 0; i < n; i++) {
		if (strcmp(notes[i].name, name) != 0 ||
		    (provider && strcmp(notes[i].provider, provider) != 0))
			continue;
		if (!provider && first && strcmp(first, notes[i].provider) != 0) {
			prb_err(err, errlen,
				"USDT probe '%s' is defined by providers '%s' and '%s': write "
				"usdt:PATH:PROVIDER:%s",
				name, first, notes[i].provider, name);
			return -EINVAL;
		}
		first = notes[i].provider;
		if (count < cap)
			idx[count] = i;
		count++;
	}
	if (!count) {
		prb_err(err, errlen, "no USDT probe '%s%s%s'", provider ? provider : "",
			provider ? ":" : "", name);
		return -ENOENT;
	}
	return (int)count;
}
