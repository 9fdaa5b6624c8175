/* SPDX-License-Identifier: MIT */
/*
 * symbolize/elfsym: one symbol of an ELF file by name -- any defined symbol,
 * data as well as code (the function tables of dso.c keep code only).  For
 * plugins that look up a runtime's state (_PyRuntime), a rare call: the
 * file is read each time, nothing is cached.
 */
#include "config.h"
#include "symbolize/symbolize.h"

#include <errno.h>
#include <string.h>

#ifdef HAVE_LIBELF
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <unistd.h>

/* "name" or "name@VERSION" / "name@@VERSION" */
static int same_name(const char *sym, const char *name, size_t nl)
{
	return !strncmp(sym, name, nl) && (!sym[nl] || sym[nl] == '@');
}

static int find_in(Elf *elf, Elf_Scn *scn, const GElf_Shdr *sh, const char *name, GElf_Sym *out)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t i, n, nl = strlen(name);

	if (!data || !sh->sh_entsize)
		return -ENOENT;
	n = sh->sh_size / sh->sh_entsize;
	for (i = 1; i < n; i++) {
		GElf_Sym sym;
		const char *s;

		if (!gelf_getsym(data, (int)i, &sym) || sym.st_shndx == SHN_UNDEF)
			continue;
		s = elf_strptr(elf, sh->sh_link, sym.st_name);
		if (s && same_name(s, name, nl)) {
			*out = sym;
			return 0;
		}
	}
	return -ENOENT;
}

/* The file offset of virtual address @vaddr, through the PT_LOAD holding it. */
static int vaddr_to_offset(Elf *elf, uint64_t vaddr, uint64_t *off)
{
	size_t phnum, i;

	if (elf_getphdrnum(elf, &phnum))
		return -ENOEXEC;
	for (i = 0; i < phnum; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if (vaddr >= ph.p_vaddr && vaddr < ph.p_vaddr + ph.p_memsz) {
			*off = vaddr - ph.p_vaddr + ph.p_offset;
			return 0;
		}
	}
	return -ERANGE;
}

int sym_elf__lookup(const char *path, const char *name, uint64_t *file_offset, uint64_t *size)
{
	Elf_Scn *scn = NULL;
	GElf_Sym sym = {0};
	Elf *elf;
	int fd, ret = -ENOENT;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return -ENOTSUP;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF) {
		ret = -ENOEXEC;
		goto out_end;
	}
	/* .symtab first (complete), then .dynsym (all a stripped file has) */
	for (int pass = 0; pass < 2 && ret == -ENOENT; pass++) {
		scn = NULL;
		while ((scn = elf_nextscn(elf, scn)) != NULL && ret == -ENOENT) {
			GElf_Shdr sh;

			if (!gelf_getshdr(scn, &sh) ||
			    sh.sh_type != (pass ? SHT_DYNSYM : SHT_SYMTAB))
				continue;
			ret = find_in(elf, scn, &sh, name, &sym);
		}
	}
	if (!ret)
		ret = vaddr_to_offset(elf, sym.st_value, file_offset);
	if (!ret && size)
		*size = sym.st_size;
out_end:
	elf_end(elf);
	close(fd);
	return ret;
}
#else
int sym_elf__lookup(const char *path, const char *name, uint64_t *file_offset, uint64_t *size)
{
	(void)path;
	(void)name;
	(void)file_offset;
	(void)size;
	return -ENOTSUP;
}
#endif
