/* SPDX-License-Identifier: MIT */
/*
 * Unit test for symbolize (no root needed):
 *  - kallsyms from canned files: modules, unsorted lines, aliases, kptr_restrict;
 *  - address spaces: MMAP2 splitting and replacing, fork, exec, drop;
 *  - ELF files built by make check in tests/symfix: a shared library dlopen()ed
 *    here, and PIE, non-PIE, stripped+debuglink and bad-CRC executables run as
 *    children that print their function addresses; names, rel_pc (checked
 *    against .symtab read here by hand), build-ids (against the note read here),
 *    sections, symbol sources, demangling;
 *  - the vdso, JIT maps (/tmp/perf-PID.map), statistics, speed;
 *  - the bounded cache: sym_cache__trim() frees unused ELF files, least recently
 *    mapped first, keeps those in use, counts evictions and dropped processes.
 */
#include "config.h"

#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "symbolize/symbolize.h"
#include "tap.h"

static char tmpdir[PATH_MAX];
static const char *builddir;
static uint64_t resolves; /* sym_resolve() calls on the main cache */

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static const char *write_file(const char *name, const char *text)
{
	static char path[PATH_MAX + 64];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	if (!f || fputs(text, f) < 0 || fclose(f)) {
		perror(path);
		exit(1);
	}
	return path;
}

/* --- ELF read by hand, to check symbolize against ------------------------------ */

struct elf_file {
	unsigned char *data;
	size_t size;
};

static int elf_read(const char *path, struct elf_file *f)
{
	struct stat st;
	int fd = open(path, O_RDONLY);

	f->data = NULL;
	if (fd < 0 || fstat(fd, &st)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	f->size = (size_t)st.st_size;
	f->data = malloc(f->size);
	if (!f->data || read(fd, f->data, f->size) != (ssize_t)f->size) {
		free(f->data);
		f->data = NULL;
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static const ElfW(Shdr) * elf_section(const struct elf_file *f, const char *name)
{
	const ElfW(Ehdr) *eh = (const void *)f->data;
	const ElfW(Shdr) *sh = (const void *)(f->data + eh->e_shoff);
	const char *names = (const char *)f->data + sh[eh->e_shstrndx].sh_offset;
	int i;

	for (i = 0; i < eh->e_shnum; i++) {
		if (!strcmp(names + sh[i].sh_name, name))
			return &sh[i];
	}
	return NULL;
}

/* st_value of @name in .symtab, or 0. */
static uint64_t elf_symbol(const struct elf_file *f, const char *name)
{
	const ElfW(Ehdr) *eh = (const void *)f->data;
	const ElfW(Shdr) *sh = (const void *)(f->data + eh->e_shoff), *symtab;
	const ElfW(Sym) * sym;
	const char *strs;
	size_t i, n;

	symtab = elf_section(f, ".symtab");
	if (!symtab)
		return 0;
	sym = (const void *)(f->data + symtab->sh_offset);
	strs = (const char *)f->data + sh[symtab->sh_link].sh_offset;
	n = symtab->sh_size / sizeof(*sym);
	for (i = 0; i < n; i++) {
		if (!strcmp(strs + sym[i].st_name, name))
			return sym[i].st_value;
	}
	return 0;
}

/* The GNU build-id note's bytes, read from .note.gnu.build-id. */
static size_t elf_build_id(const struct elf_file *f, const unsigned char **id)
{
	const ElfW(Shdr) *sh = elf_section(f, ".note.gnu.build-id");
	const ElfW(Nhdr) * nh;

	if (!sh)
		return 0;
	nh = (const void *)(f->data + sh->sh_offset);
	if (nh->n_type != NT_GNU_BUILD_ID || nh->n_namesz != 4)
		return 0;
	*id = (const unsigned char *)(nh + 1) + 4;
	return nh->n_descsz;
}

/* --- kallsyms ------------------------------------------------------------------ */

static void test_kallsyms(void)
{
	static const char text[] = "ffffffffc0002000 t mod_fn2\t[mymod]\n"
				   "ffffffff81000100 T func_b\n"
				   "ffffffff81000000 t alias_local\n"
				   "ffffffff81000000 T _stext\n"
				   "ffffffff81000200 D some_data\n"
				   "ffffffff81000300 W weak_fn\n"
				   "0000000000000000 A fixed_percpu_data\n"
				   "ffffffffc0001000 t mod_fn1\t[mymod]\n"
				   "ffffffffc0003000 T other_mod\t[other]\n";
	struct sym_cache *c = sym_cache__new();
	struct sym_stats st;
	const char *path, *name;
	double t0, ms;
	char *big;
	size_t i, len;

	tap_ok(sym_kernel__resolve(c, 0xffffffff81000000ull) == NULL,
	       "kernel: nothing before load");
	tap_is_int(sym_kallsyms__load(c, "/nonexistent/kallsyms"), -ENOENT, "kernel: missing file");
	path = write_file("kallsyms", text);
	tap_is_int(sym_kallsyms__load(c, path), 0, "kernel: canned kallsyms loads");
	tap_is_str(sym_kernel__resolve(c, 0xffffffff81000000ull), "_stext",
		   "kernel: global wins over a local alias");
	tap_is_str(sym_kernel__resolve(c, 0xffffffff810000ffull), "_stext",
		   "kernel: inside a function");
	tap_is_str(sym_kernel__resolve(c, 0xffffffff81000250ull), "func_b",
		   "kernel: data symbols are no boundary");
	tap_is_str(sym_kernel__resolve(c, 0xffffffff81000300ull), "weak_fn", "kernel: W kept");
	name = sym_kernel__resolve(c, 0xffffffffc0001010ull);
	tap_is_str(name, "mod_fn1 [mymod]", "kernel: module symbol (unsorted input)");
	tap_ok(name == sym_kernel__resolve(c, 0xffffffffc0001020ull),
	       "kernel: one string per symbol, no allocation per lookup");
	tap_is_str(sym_kernel__resolve(c, 0xffffffffc0002fffull), "mod_fn2 [mymod]",
		   "kernel: module symbol, end of range");
	tap_is_str(sym_kernel__resolve(c, 0xffffffffc0003000ull), "other_mod [other]",
		   "kernel: another module");
	tap_ok(sym_kernel__resolve(c, 0xffffffff80000000ull) == NULL,
	       "kernel: below the first symbol");
	tap_ok(sym_kernel__resolve(c, 0xffffffffc0003000ull + (64 << 20)) == NULL,
	       "kernel: far past the last symbol");
	sym_cache__stats(c, &st);
	tap_is_int(st.kernel_symbols, 6, "kernel: 7 text symbols, one alias dropped");

	path = write_file("kallsyms0", "0000000000000000 T _stext\n0000000000000000 t foo\n"
				       "0000000000000000 t bar\t[mod]\n");
	tap_is_int(sym_kallsyms__load(c, path), -EPERM, "kernel: all-zero addresses -> -EPERM");
	tap_is_str(sym_kernel__resolve(c, 0xffffffffc0001010ull), "mod_fn1 [mymod]",
		   "kernel: a failed load keeps the previous table");
	path = write_file("kallsyms_empty", "ffffffff81000200 D some_data\n");
	tap_is_int(sym_kallsyms__load(c, path), -ENOENT, "kernel: no text symbols -> -ENOENT");

	/* 150k symbols, modules interleaved out of order: speed. */
	big = malloc(150000 * 64);
	for (i = 0, len = 0; i < 150000; i++) {
		if (i % 10 == 9)
			len += (size_t)sprintf(big + len, "ffffffffc%07zx t mfn_%zu\t[mod%zu]\n",
					       (150000 - i) * 64, i, i % 7);
		else
			len += (size_t)sprintf(big + len, "ffffffff8%07zx %c fn_%zu\n", i * 64,
					       i % 3 ? 'T' : 't', i);
	}
	path = write_file("kallsyms_big", big);
	free(big);
	t0 = now_ms();
	tap_is_int(sym_kallsyms__load(c, path), 0, "kernel: 150k-symbol file loads");
	ms = now_ms() - t0;
	tap_diag("kallsyms: 150k canned symbols loaded in %.1f ms", ms);
	tap_ok(ms < 2000, "kernel: loads in reasonable time");
	tap_is_str(sym_kernel__resolve(c, 0xffffffff80000000ull + 5 * 64 + 3), "fn_5",
		   "kernel: big table, core symbol");
	tap_is_str(sym_kernel__resolve(c, 0xffffffffc0000000ull + (150000 - 19) * 64),
		   "mfn_19 [mod5]", "kernel: big table, module symbol");
	{
		volatile uintptr_t sink = 0;
		double t1 = now_ms();

		for (i = 0; i < 1000000; i++)
			sink += (uintptr_t)sym_kernel__resolve(c, 0xffffffff80000000ull +
									  (i * 7919 % 135000) * 64);
		tap_diag("kernel resolve: %.1f ns/lookup (150k symbols)",
			 (now_ms() - t1) * 1e6 / 1000000);
	}

	/* The real one, when readable. */
	t0 = now_ms();
	switch (sym_kallsyms__load(c, "/proc/kallsyms")) {
	case 0:
		sym_cache__stats(c, &st);
		tap_diag("/proc/kallsyms: %llu text symbols in %.1f ms",
			 (unsigned long long)st.kernel_symbols, now_ms() - t0);
		tap_ok(st.kernel_symbols > 1000, "kernel: /proc/kallsyms loads");
		break;
	case -EPERM:
		tap_skip("/proc/kallsyms addresses hidden (kptr_restrict)");
		break;
	default:
		tap_skip("/proc/kallsyms unreadable");
	}
	sym_cache__free(c);
}

/* --- address spaces ------------------------------------------------------------- */

#define FAKE_PID ((pid_t)0x7ffffff0) /* above any pid_max: no /proc entry */

static void test_maps(struct sym_cache *c)
{
	const struct sym_map *mp;
	struct sym_maps *self, *m;
	struct sym_frame fr;
	const char *kept;
	uint64_t here = (uint64_t)(uintptr_t)&test_maps;

	self = sym_cache__maps(c, getpid(), 1);
	tap_ok(self != NULL, "maps: own /proc/self/maps read");
	if (!self)
		return;
	tap_ok(sym_cache__maps(c, getpid(), 0) == self, "maps: found again, not re-read");
	tap_is_int(sym_maps__pid(self), getpid(), "maps: pid");
	mp = sym_maps__find(self, here);
	tap_ok(mp && mp->start <= here && here < mp->end && (mp->prot & PROT_EXEC),
	       "maps: own code found, executable");
	tap_ok(mp && mp->dso && strstr(mp->name, "test_symbolize"), "maps: own executable named");
	kept = mp ? mp->name : NULL;

	errno = 0;
	tap_ok(sym_cache__maps(c, FAKE_PID, 1) == NULL && errno == ENOENT,
	       "maps: no such process -> NULL, ENOENT");
	tap_ok(sym_cache__maps(c, FAKE_PID, 0) == NULL, "maps: absent without create");
	tap_is_int(sym_cache__fork_maps(c, getpid(), FAKE_PID), 0, "maps: fork copies");
	m = sym_cache__maps(c, FAKE_PID, 0);
	tap_ok(m && sym_maps__find(m, here) && sym_maps__find(m, here)->dso == mp->dso,
	       "maps: the child sees the parent's mappings, same dso");
	sym_cache__exec_maps(c, FAKE_PID);
	tap_ok(m && sym_maps__find(m, here) == NULL, "maps: exec forgets");
	if (!m)
		return;

	tap_is_int(sym_maps__mmap(m, 0x10000, 0x10000, 0, 0, 0, 0, PROT_READ | PROT_EXEC, NULL), 0,
		   "mmap: anonymous");
	mp = sym_maps__find(m, 0x10000);
	tap_ok(mp && mp->start == 0x10000 && mp->end == 0x20000 && !mp->dso &&
		       !strcmp(mp->name, "//anon"),
	       "mmap: anonymous mapping, no dso, named //anon");
	tap_ok(sym_maps__find(m, 0x20000) == NULL && sym_maps__find(m, 0xffff) == NULL,
	       "mmap: [start, end)");
	tap_is_int(sym_maps__mmap(m, 0x14000, 0x2000, 0x5000, 0, 0, 0, PROT_READ, "[fake]"), 0,
		   "mmap: a mapping inside another");
	mp = sym_maps__find(m, 0x13fff);
	tap_ok(mp && mp->start == 0x10000 && mp->end == 0x14000, "mmap: left part kept");
	mp = sym_maps__find(m, 0x14000);
	tap_ok(mp && mp->start == 0x14000 && mp->end == 0x16000 && mp->pgoff == 0x5000 &&
		       !strcmp(mp->name, "[fake]"),
	       "mmap: new mapping in the middle");
	mp = sym_maps__find(m, 0x16000);
	tap_ok(mp && mp->start == 0x16000 && mp->end == 0x20000 && mp->pgoff == 0x6000 &&
		       (mp->prot & PROT_EXEC),
	       "mmap: right part kept, offset moved");
	tap_is_int(sym_maps__mmap(m, 0x30000, 0x1000, 0, 0, 0, 0, PROT_READ, "[far]"), 0,
		   "mmap: another one");
	tap_is_int(sym_maps__mmap(m, 0xf000, 0x12000, 0, 0, 0, 0, PROT_READ, "[big]"), 0,
		   "mmap: one over the first three");
	mp = sym_maps__find(m, 0x15000);
	tap_ok(mp && mp->start == 0xf000 && mp->end == 0x21000 && !strcmp(mp->name, "[big]"),
	       "mmap: overlapped mappings replaced");
	tap_ok(sym_maps__find(m, 0x30000) && !strcmp(sym_maps__find(m, 0x30000)->name, "[far]"),
	       "mmap: others untouched");
	tap_is_int(sym_maps__mmap(m, 0x20000, 0x11000, 0, 0, 0, 0, PROT_READ, "[tail]"), 0,
		   "mmap: overlapping the end of one and all of another");
	mp = sym_maps__find(m, 0x1ffff);
	tap_ok(mp && mp->end == 0x20000 && !strcmp(mp->name, "[big]"), "mmap: end trimmed");
	mp = sym_maps__find(m, 0x30000);
	tap_ok(mp && !strcmp(mp->name, "[tail]") && mp->end == 0x31000, "mmap: covered one gone");
	tap_is_int(sym_maps__mmap(m, 0x40000, 0, 0, 0, 0, 0, PROT_READ, "x"), -EINVAL,
		   "mmap: empty -> -EINVAL");
	resolves++;
	tap_is_int(sym_resolve(c, m, 0x8000, &fr), -ENOENT, "resolve: unmapped -> -ENOENT");
	tap_ok(fr.map == NULL && fr.name == NULL, "resolve: unmapped frame empty");
	resolves++;
	tap_is_int(sym_resolve(c, m, 0x10010, &fr), 0, "resolve: mapped, no name -> 0");
	tap_ok(fr.map && fr.name == NULL && fr.rel_pc == 0x10010 - 0xf000 && !fr.jit,
	       "resolve: no file: rel_pc from the mapping start");

	sym_cache__drop_maps(c, FAKE_PID);
	tap_ok(sym_cache__maps(c, FAKE_PID, 0) == NULL, "maps: dropped");
	sym_cache__drop_maps(c, FAKE_PID);
	tap_ok(kept && strstr(kept, "test_symbolize"), "maps: names outlive their address space");
}

/* --- the vdso ---------------------------------------------------------------------- */

static void test_vdso(struct sym_cache *c)
{
	const ElfW(Ehdr) *eh = (const void *)getauxval(AT_SYSINFO_EHDR);
	const ElfW(Phdr) * ph;
	const ElfW(Shdr) * sh;
	struct sym_maps *m = sym_cache__maps(c, getpid(), 0);
	const struct sym_map *mp;
	uint64_t bias = 0, target = 0;
	struct sym_frame fr;
	int i;

	if (!eh || !m) {
		tap_skip("no vdso (valgrind?)");
		return;
	}
	mp = sym_maps__find(m, (uintptr_t)eh);
	tap_ok(mp && !strcmp(mp->name, "[vdso]"), "vdso: mapping named [vdso]");
	ph = (const void *)((const char *)eh + eh->e_phoff);
	for (i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type == PT_LOAD) {
			bias = (uintptr_t)eh - ph[i].p_vaddr + ph[i].p_offset;
			break;
		}
	}
	/* Find a function in its .dynsym by hand. */
	sh = (const void *)((const char *)eh + eh->e_shoff);
	for (i = 0; i < eh->e_shnum && !target; i++) {
		const ElfW(Sym) *sym = (const void *)((const char *)eh + sh[i].sh_offset);
		const char *strs = (const char *)eh + sh[sh[i].sh_link].sh_offset;
		size_t j;

		if (sh[i].sh_type != SHT_DYNSYM)
			continue;
		for (j = 0; j < sh[i].sh_size / sizeof(*sym); j++) {
			if (strstr(strs + sym[j].st_name, "clock_gettime") &&
			    ELF64_ST_TYPE(sym[j].st_info) == STT_FUNC) {
				target = bias + sym[j].st_value;
				break;
			}
		}
	}
	if (!mp || !mp->dso || !target) {
		tap_ok(0, "vdso: a dso for [vdso] with clock_gettime");
		return;
	}
	resolves++;
	i = sym_resolve(c, m, target + 1, &fr);
	tap_ok(!i && fr.name && strstr(fr.name, "clock_gettime"),
	       "vdso: clock_gettime resolved from our own vdso copy (%s)",
	       fr.name ? fr.name : "null");
	tap_ok(sym_dso__image(mp->dso, NULL) != NULL, "vdso: image for the unwinder");
}

/* --- a shared library dlopen()ed here ------------------------------------------------ */

static const char *fixture(const char *name)
{
	static char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/tests/symfix/%s", builddir, name);
	return path;
}

static int have_cxa_demangle(void)
{
	void *h = dlopen("libstdc++.so.6", RTLD_LAZY);

	if (h)
		dlclose(h);
	return h != NULL;
}

/*
 * The library's code mapped again at a made-up address of a made-up process:
 * as PERF_RECORD_MMAP (no inode: found by stat, same dso) and as MMAP2 with an
 * inode that is not the file's (a file replaced on disk: used, but marked).
 */
static void test_fake_mappings(struct sym_cache *c, const char *path, uint64_t ip,
			       struct sym_maps *self, const struct sym_dso *dso)
{
	const struct sym_map *real = sym_maps__find(self, ip);
	const uint64_t base = 0x10000000;
	struct sym_maps *m;
	struct sym_frame fr;
	struct stat st;
	int err;

	if (!real || stat(path, &st) || sym_cache__fork_maps(c, getpid(), FAKE_PID)) {
		tap_ok(0, "fake mappings: set up");
		return;
	}
	m = sym_cache__maps(c, FAKE_PID, 0);
	sym_cache__exec_maps(c, FAKE_PID);
	err = sym_maps__mmap(m, base, real->end - real->start, real->pgoff, 0, 0, 0,
			     PROT_READ | PROT_EXEC, path);
	resolves++;
	err = err ? err : sym_resolve(c, m, base + (ip - real->start), &fr);
	tap_ok(!err && fr.map && fr.map->dso == dso && fr.name &&
		       !strcmp(fr.name, "symfix_lib_one"),
	       "fake mappings: MMAP without inode shares the dso");
	err = sym_maps__mmap(m, base, real->end - real->start, real->pgoff, major(st.st_dev),
			     minor(st.st_dev), st.st_ino + 1000003, PROT_READ | PROT_EXEC, path);
	resolves++;
	err = err ? err : sym_resolve(c, m, base + (ip - real->start), &fr);
	tap_ok(!err && fr.map && fr.map->dso && fr.map->dso != dso && fr.name &&
		       !strcmp(fr.name, "symfix_lib_one") && sym_dso__mismatch(fr.map->dso),
	       "fake mappings: another inode, another dso, file used but marked");
	sym_cache__drop_maps(c, FAKE_PID);
}

static void test_library(struct sym_cache *c)
{
	static const char *const fns[] = {"symfix_lib_one", "symfix_lib_two", "_ZN6symfix3libEi",
					  "symfix_asm_label"};
	const char *path = fixture("libsymfix.so");
	struct elf_file ef;
	struct sym_maps *m;
	struct sym_frame fr;
	uint64_t bias = 0, off, vaddr, size;
	struct sym_dso *dso = NULL;
	const unsigned char *id;
	const uint8_t *got_id;
	const void *image;
	const ElfW(Shdr) * sh;
	size_t i, id_len, got_len;
	void *h, *fn;
	char *real;

	h = dlopen(path, RTLD_NOW);
	if (!h || elf_read(path, &ef)) {
		tap_skip("tests/symfix/libsymfix.so not built (make check builds it)");
		return;
	}
	real = realpath(path, NULL);
	/* Mappings made after the address space was read arrive as MMAP2: re-read. */
	sym_cache__drop_maps(c, getpid());
	m = sym_cache__maps(c, getpid(), 1);
	for (i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
		const char *want = fns[i];
		uint64_t ip;

		fn = dlsym(h, fns[i]);
		if (!fn) {
			tap_ok(0, "library: dlsym %s", fns[i]);
			continue;
		}
		ip = (uintptr_t)fn;
		if (i == 0)
			bias = ip - elf_symbol(&ef, fns[i]);
		if (!strcmp(want, "_ZN6symfix3libEi") && have_cxa_demangle())
			want = "symfix::lib(int)";
		resolves++;
		tap_ok(!sym_resolve(c, m, ip + 1, &fr) && fr.map && fr.map->dso,
		       "library: %s mapped", fns[i]);
		tap_is_str(fr.name, want, "library: name of a function");
		tap_is_int(fr.rel_pc, elf_symbol(&ef, fns[i]) + 1,
			   "library: rel_pc = st_value + 1");
		dso = fr.map ? fr.map->dso : NULL;
	}
	/* A static function, found through .symtab only. */
	resolves++;
	tap_ok(!sym_resolve(c, m, bias + elf_symbol(&ef, "symfix_lib_local"), &fr) && fr.name &&
		       !strcmp(fr.name, "symfix_lib_local"),
	       "library: a static function (.symtab)");
	if (!dso)
		goto out;
	tap_is_str(sym_dso__symbol_source(dso), "symtab", "library: symbols from .symtab");
	tap_ok(!real || !strcmp(sym_dso__path(dso), real), "library: dso path");
	tap_ok(!sym_dso__mismatch(dso), "library: opened file is the mapped one");
	id_len = elf_build_id(&ef, &id);
	got_id = sym_dso__build_id(dso, &got_len);
	tap_ok(id_len == 20 && got_id && got_len == id_len && !memcmp(id, got_id, id_len),
	       "library: build-id as in .note.gnu.build-id (%zu bytes)", got_len);
	image = sym_dso__image(dso, &size);
	tap_ok(image && size == ef.size && !memcmp(image, ef.data, size),
	       "library: image is the whole file");
	sh = elf_section(&ef, ".eh_frame");
	tap_ok(sh && !sym_dso__section(dso, ".eh_frame", &image, &off, &vaddr, &size) &&
		       image == sym_dso__image(dso, NULL) && off == sh->sh_offset &&
		       vaddr == sh->sh_addr && size == sh->sh_size,
	       "library: .eh_frame section located");
	tap_is_int(sym_dso__section(dso, ".no_such", &image, &off, &vaddr, &size), -ENOENT,
		   "library: missing section -> -ENOENT");
	test_fake_mappings(c, path, (uintptr_t)dlsym(h, "symfix_lib_one"), m, dso);
	/* libc, whatever its symbols come from. */
	fn = dlsym(RTLD_DEFAULT, "getpid");
	resolves++;
	i = fn ? (size_t)sym_resolve(c, m, (uintptr_t)fn, &fr) : 1;
	tap_ok(!i && fr.name, "library: libc's getpid resolves (%s, from %s)",
	       fr.name ? fr.name : "null",
	       fr.map && fr.map->dso ? sym_dso__symbol_source(fr.map->dso) : "-");
	/* Speed after warm-up. */
	{
		uint64_t ips[4];
		volatile uintptr_t sink = 0;
		double t0;

		for (i = 0; i < 4; i++)
			ips[i] = (uintptr_t)dlsym(h, fns[i]) + i;
		t0 = now_ms();
		for (i = 0; i < 1000000; i++) {
			sym_resolve(c, m, ips[i & 3], &fr);
			sink += (uintptr_t)fr.name;
		}
		resolves += 1000000;
		tap_diag("sym_resolve: %.1f ns/lookup (library function)",
			 (now_ms() - t0) * 1e6 / 1000000);
	}
out:
	free(real);
	free(ef.data);
	/* h stays open: its addresses are used no more, but unloading is pointless. */
}

/* --- executables run as children ----------------------------------------------------- */

struct child {
	pid_t pid;
	int in; /* its stdin: closing it ends it */
	struct {
		char name[64];
		uint64_t addr;
	} fns[8];
	int nfns;
};

static int child_start(const char *path, struct child *ch)
{
	int in[2], out[2];
	char line[256];
	FILE *f;

	if (access(path, X_OK) || pipe(in) || pipe(out))
		return -1;
	ch->pid = fork();
	if (ch->pid < 0)
		return -1;
	if (ch->pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[1]);
		close(out[0]);
		execl(path, path, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	ch->in = in[1];
	ch->nfns = 0;
	f = fdopen(out[0], "r");
	while (f && fgets(line, sizeof(line), f) && strcmp(line, "end\n") && ch->nfns < 8) {
		unsigned long long a;

		if (sscanf(line, "%63s %llx", ch->fns[ch->nfns].name, &a) == 2)
			ch->fns[ch->nfns++].addr = a;
	}
	if (f)
		fclose(f);
	return ch->nfns ? 0 : -1;
}

static void child_stop(struct child *ch)
{
	int status;

	close(ch->in);
	waitpid(ch->pid, &status, 0);
}

static const char *expected_name(const char *sym)
{
	if (!strcmp(sym, "_ZN3foo3barEv") && have_cxa_demangle())
		return "foo::bar()";
	return sym;
}

/*
 * Run @file, resolve what it prints; symbols expected from @source, rel_pc
 * checked against the .symtab of the unstripped @ref.  @names: expect names.
 */
static void test_executable(struct sym_cache *c, const char *file, const char *ref,
			    const char *source, int names)
{
	const struct sym_dso *dso = NULL;
	const char *kept = NULL;
	struct sym_maps *m;
	struct sym_frame fr;
	struct elf_file ef;
	struct child ch;
	int i, ok_names = 1, ok_rel = 1;
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s", fixture(file));
	if (elf_read(fixture(ref), &ef) || child_start(path, &ch)) {
		tap_skip("tests/symfix fixtures not built (make check builds them)");
		return;
	}
	m = sym_cache__maps(c, ch.pid, 1);
	tap_ok(m != NULL, "%s: child's maps read", file);
	for (i = 0; m && i < ch.nfns; i++) {
		const char *want = names ? expected_name(ch.fns[i].name) : NULL;
		uint64_t value = elf_symbol(&ef, ch.fns[i].name);

		resolves++;
		if (sym_resolve(c, m, ch.fns[i].addr, &fr) || !fr.map || !fr.map->dso) {
			tap_ok(0, "%s: %s mapped", file, ch.fns[i].name);
			continue;
		}
		dso = fr.map->dso;
		if (want ? !fr.name || strcmp(fr.name, want) : fr.name != NULL) {
			tap_diag("%s: %s resolved to %s", file, ch.fns[i].name,
				 fr.name ? fr.name : "null");
			ok_names = 0;
		}
		if (fr.rel_pc != value) {
			tap_diag("%s: %s rel_pc %#llx, st_value %#llx", file, ch.fns[i].name,
				 (unsigned long long)fr.rel_pc, (unsigned long long)value);
			ok_rel = 0;
		}
		if (!kept)
			kept = fr.name;
	}
	tap_ok(ok_names, names ? "%s: every function named" : "%s: no names", file);
	tap_ok(ok_rel, "%s: rel_pc = st_value for every function", file);
	if (dso) {
		const char *got = sym_dso__symbol_source(dso);

		char what[128];

		snprintf(what, sizeof(what), "%s: symbols from %s", file, source ? source : "-");
		if (source)
			tap_is_str(got, source, what);
		else
			tap_ok(strcmp(got, "debuglink") && strcmp(got, "symtab"),
			       "%s: symbols not from the rejected debug file (%s)", file, got);
	}
	child_stop(&ch);
	sym_cache__drop_maps(c, ch.pid);
	tap_ok(!names || (kept && !strcmp(kept, expected_name(ch.fns[0].name))),
	       "%s: names outlive the process", file);
	free(ef.data);
}

/*
 * The address of @fn's PLT stub in @f, found as a disassembler finds it: the
 * stub of .plt.sec (or .plt) whose "jmp *disp(%rip)" (ff 25, after an
 * endbr64 and a bnd prefix or not) reads the GOT slot of @fn's JUMP_SLOT
 * relocation.  0 when there is none.  x86-64 only.
 */
static uint64_t elf_plt_stub(const struct elf_file *f, const char *fn, const char **secname)
{
#if defined(__x86_64__)
	const ElfW(Ehdr) *eh = (const void *)f->data;
	const ElfW(Shdr) *sh = (const void *)(f->data + eh->e_shoff), *rel, *plt;
	const ElfW(Rela) * r;
	const ElfW(Sym) * dsym;
	const char *dstr;
	uint64_t slot = 0, a;
	size_t i, n;

	rel = elf_section(f, ".rela.plt");
	*secname = ".plt.sec";
	plt = elf_section(f, ".plt.sec");
	if (!plt) {
		*secname = ".plt";
		plt = elf_section(f, ".plt");
	}
	if (!rel || !plt)
		return 0;
	r = (const void *)(f->data + rel->sh_offset);
	dsym = (const void *)(f->data + sh[rel->sh_link].sh_offset);
	dstr = (const char *)f->data + sh[sh[rel->sh_link].sh_link].sh_offset;
	n = rel->sh_size / sizeof(*r);
	for (i = 0; i < n; i++)
		if (ELF64_R_TYPE(r[i].r_info) == R_X86_64_JUMP_SLOT &&
		    !strcmp(dstr + dsym[ELF64_R_SYM(r[i].r_info)].st_name, fn))
			slot = r[i].r_offset;
	if (!slot)
		return 0;
	for (a = plt->sh_addr; a + 16 <= plt->sh_addr + plt->sh_size; a += 16) {
		const unsigned char *p = f->data + plt->sh_offset + (a - plt->sh_addr);
		unsigned k = 0;
		int32_t disp;

		if (!memcmp(p, "\xf3\x0f\x1e\xfa", 4))
			k = 4;
		if (p[k] == 0xf2)
			k++;
		if (p[k] != 0xff || p[k + 1] != 0x25)
			continue;
		memcpy(&disp, p + k + 2, 4);
		if (a + k + 6 + (uint64_t)(int64_t)disp == slot)
			return a;
	}
#else
	(void)f;
	(void)fn;
	*secname = "";
#endif
	return 0;
}

/* PLT stubs named from the relocations, as perf names them: "printf@plt". */
static void test_plt(struct sym_cache *c, const char *file, const char *ref)
{
	struct elf_file ef, rf;
	struct sym_maps *m;
	struct sym_frame fr;
	struct child ch;
	const char *sec = "";
	uint64_t stub, bias = 0;
	int i;

#if !defined(__x86_64__)
	tap_diag("%s: PLT stubs are located by hand on x86-64 only; not run", file);
	return;
#endif
	if (elf_read(fixture(file), &ef) || elf_read(fixture(ref), &rf) ||
	    child_start(fixture(file), &ch)) {
		tap_skip("tests/symfix fixtures not built (make check builds them)");
		return;
	}
	stub = elf_plt_stub(&ef, "printf", &sec);
	tap_ok(stub != 0, "%s: a PLT stub of printf in %s", file, sec);
	for (i = 0; i < ch.nfns; i++)
		if (!strcmp(ch.fns[i].name, "main"))
			bias = ch.fns[i].addr - elf_symbol(&rf, "main");
	m = sym_cache__maps(c, ch.pid, 1);
	memset(&fr, 0, sizeof(fr));
	if (m && stub) {
		resolves++;
		if (sym_resolve(c, m, bias + stub + 4, &fr))
			fr.name = NULL;
	}
	tap_ok(fr.name && !strcmp(fr.name, "printf@plt"), "%s: the stub in %s is printf@plt (%s)",
	       file, sec, fr.name ? fr.name : "null");
	child_stop(&ch);
	sym_cache__drop_maps(c, ch.pid);
	free(ef.data);
	free(rf.data);
}

/* A debug section of a stripped @file: from its debug file, decompressed if need be. */
static void test_debug_section(struct sym_cache *c, const char *file)
{
	char path[PATH_MAX];
	struct sym_maps *m;
	const struct sym_map *mp;
	struct child ch;
	const void *image, *dbg = NULL;
	uint64_t off = 0, vaddr, size = 0;
	struct elf_file ef;
	const ElfW(Shdr) * sh;
	int err = -1;

	snprintf(path, sizeof(path), "%s", fixture(file));
	if (elf_read(fixture("symfix.debug"), &ef) || child_start(path, &ch)) {
		tap_skip("tests/symfix fixtures not built");
		return;
	}
	m = sym_cache__maps(c, ch.pid, 1);
	mp = m ? sym_maps__find(m, ch.fns[0].addr) : NULL;
	sh = elf_section(&ef, ".debug_info");
	if (mp && mp->dso)
		err = sym_dso__section(mp->dso, ".debug_info", &dbg, &off, &vaddr, &size);
	tap_ok(!err && sh && dbg && dbg != sym_dso__image(mp->dso, NULL) && size == sh->sh_size &&
		       !memcmp((const char *)dbg + off, ef.data + sh->sh_offset, size),
	       "%s: .debug_info from the debug file, as in symfix.debug", file);
	tap_ok(mp && mp->dso && !sym_dso__section(mp->dso, ".eh_frame", &image, &off, NULL, NULL) &&
		       image == sym_dso__image(mp->dso, NULL),
	       "%s: .eh_frame from the file itself", file);
	child_stop(&ch);
	sym_cache__drop_maps(c, ch.pid);
	free(ef.data);
}

/* --- bounded cache: sym_cache__trim ------------------------------------------------ */

/* Map all of @path at @base of @m (as MMAP2 does) and load it: its dso. */
static struct sym_dso *map_file(struct sym_maps *m, uint64_t base, const char *path)
{
	const struct sym_map *mp;
	struct stat st;

	if (stat(path, &st) ||
	    sym_maps__mmap(m, base, ((uint64_t)st.st_size + 4095) & ~4095ull, 0, major(st.st_dev),
			   minor(st.st_dev), st.st_ino, PROT_READ | PROT_EXEC, path))
		return NULL;
	mp = sym_maps__find(m, base);
	if (!mp || !mp->dso)
		return NULL;
	sym_dso__symbol_source(mp->dso); /* loads it */
	return mp->dso;
}

/* An anonymous mapping over it: no mapping refers to the file any more. */
static void unmap_file(struct sym_maps *m, uint64_t base)
{
	const struct sym_map *mp = sym_maps__find(m, base);

	if (mp)
		sym_maps__mmap(m, base, mp->end - mp->start, 0, 0, 0, 0, PROT_READ, NULL);
}

static void test_trim(void)
{
	const uint64_t base_a = 0x10000000, base_b = 0x20000000;
	char pa[PATH_MAX], pb[PATH_MAX];
	struct sym_stats s0, s1, s2, s3, sab;
	struct sym_dso *a, *b;
	struct sym_cache *c = sym_cache__new();
	struct sym_maps *m = NULL;
	uint64_t epoch;
	size_t n;

	snprintf(pa, sizeof(pa), "%s", fixture("symfix"));
	snprintf(pb, sizeof(pb), "%s", fixture("symfix-nopie"));
	if (c && sym_cache__maps(c, getpid(), 1) && !sym_cache__fork_maps(c, getpid(), FAKE_PID))
		m = sym_cache__maps(c, FAKE_PID, 0);
	if (!m || access(pa, R_OK) || access(pb, R_OK)) {
		tap_skip("trim: tests/symfix not built (make check builds it)");
		sym_cache__free(c);
		return;
	}
	sym_cache__exec_maps(c, FAKE_PID);
	/* only the made-up process is left: the files ours maps are unused */
	sym_cache__drop_maps(c, getpid());
	sym_cache__stats(c, &s0);
	tap_is_int(s0.elf_limit, SYM_CACHE_DEFAULT_LIMIT, "trim: default limit");
	tap_is_int(sym_cache__trim(c), 0, "trim: nothing freed below the limit");
	a = map_file(m, base_a, pa);
	b = map_file(m, base_b, pb);
	tap_ok(a && b && a != b, "trim: two files mapped and loaded");
	sym_cache__stats(c, &sab);
	sym_cache__set_limit(c, 1);
	epoch = sym_cache__epoch(c);
	n = sym_cache__trim(c);
	tap_ok(n > 0 && n <= sab.dsos - 2, "trim: the unused files freed (limit 1 byte): %zu", n);
	tap_ok(sym_cache__epoch(c) != epoch, "trim: epoch changed");
	tap_ok(map_file(m, base_a, pa) == a && map_file(m, base_b, pb) == b,
	       "trim: the files in use stay, even past the limit");
	epoch = sym_cache__epoch(c);
	tap_is_int(sym_cache__trim(c), 0, "trim: nothing more to free");
	tap_ok(sym_cache__epoch(c) == epoch, "trim: epoch unchanged when nothing is freed");
	sym_cache__stats(c, &s1);
	tap_is_int(s1.dsos, sab.dsos - n, "trim: the files in use left");
	tap_is_int(s1.dsos_evicted, n, "trim: evictions counted");
	a = map_file(m, 0x30000000, pa); /* a is mapped before b again */
	b = map_file(m, 0x40000000, pb);
	sym_cache__stats(c, &s2);
	tap_ok(s2.elf_bytes > 8192, "trim: %llu bytes of ELF files held",
	       (unsigned long long)s2.elf_bytes);

	unmap_file(m, base_a);
	unmap_file(m, base_b);
	unmap_file(m, 0x30000000);
	unmap_file(m, 0x40000000);
	/* the two (all the bytes held) do not fit, one does */
	sym_cache__set_limit(c, s2.elf_bytes - 1);
	tap_is_int(sym_cache__trim(c), 1, "trim: the least recently mapped unused file freed");
	sym_cache__stats(c, &s3);
	tap_is_int(s3.dsos_evicted, s1.dsos_evicted + 1, "trim: eviction counted");
	tap_is_int(s3.dsos, s1.dsos - 1, "trim: one file fewer");
	tap_ok(s3.elf_bytes < s2.elf_bytes, "trim: its bytes given back");
	tap_ok(map_file(m, base_b, pb) == b, "trim: the recently mapped one kept (same dso)");

	unmap_file(m, base_b);
	sym_cache__set_limit(c, 0);
	tap_is_int(sym_cache__trim(c), 0, "trim: limit 0 frees nothing");
	sym_cache__set_limit(c, 1);
	tap_is_int(sym_cache__trim(c), 1, "trim: the other one freed too");
	sym_cache__stats(c, &s3);
	tap_is_int(s3.dsos, s1.dsos - 2, "trim: none of the two left");
	tap_is_int(s3.elf_bytes, 0, "trim: no bytes held");

	a = map_file(m, base_a, pa);
	tap_ok(a && !strcmp(sym_dso__symbol_source(a), "symtab"),
	       "trim: a freed file mapped again is read again");
	sym_cache__drop_maps(c, FAKE_PID);
	sym_cache__stats(c, &s3);
	tap_is_int(s3.processes_dropped, 2, "trim: dropped address spaces counted");
	sym_cache__free(c);
}

/* --- JIT maps ------------------------------------------------------------------------ */

static void test_jit(void)
{
	struct sym_cache *c = sym_cache__new();
	const size_t len = 4 * 4096;
	char path[64], text[256];
	const char *early;
	struct sym_maps *m;
	struct sym_frame fr;
	struct timespec ts = {1, 200 * 1000 * 1000};
	uint64_t base;
	void *code;
	FILE *f;

	code = mmap(NULL, len, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (code == MAP_FAILED) {
		tap_skip("no anonymous executable mapping allowed");
		sym_cache__free(c);
		return;
	}
	base = (uintptr_t)code;
	snprintf(path, sizeof(path), "/tmp/perf-%d.map", (int)getpid());
	snprintf(text, sizeof(text), "%llx 40 jit_old\n%llx 40 jit_two\n0x%llx 0x40 jit_new\n",
		 (unsigned long long)base, (unsigned long long)base + 0x40,
		 (unsigned long long)base);
	f = fopen(path, "w");
	if (!f || fputs(text, f) < 0 || fclose(f)) {
		tap_skip("cannot write /tmp/perf-PID.map");
		munmap(code, len);
		sym_cache__free(c);
		return;
	}
	m = sym_cache__maps(c, getpid(), 1);
	tap_ok(m && !sym_resolve(c, m, base + 0x10, &fr) && fr.jit && fr.name &&
		       !strcmp(fr.name, "jit_new"),
	       "jit: named from /tmp/perf-PID.map, the later line wins");
	early = fr.name;
	tap_ok(m && !sym_resolve(c, m, base + 0x7f, &fr) && fr.jit && fr.name &&
		       !strcmp(fr.name, "jit_two") && fr.rel_pc == 0x7f,
	       "jit: second entry, rel_pc from the mapping start");
	tap_ok(m && !sym_resolve(c, m, base + 0x200, &fr) && !fr.jit && !fr.name,
	       "jit: outside every entry, no name");
	f = fopen(path, "a");
	if (f) {
		fprintf(f, "%llx 10 jit_late\n", (unsigned long long)base + 0x200);
		fclose(f);
	}
	nanosleep(&ts, NULL); /* re-read at most once a second */
	tap_ok(m && !sym_resolve(c, m, base + 0x204, &fr) && fr.jit && fr.name &&
		       !strcmp(fr.name, "jit_late"),
	       "jit: a changed map is re-read on a miss");
	tap_ok(early && !strcmp(early, "jit_new"), "jit: old names survive a re-read");
	unlink(path);
	munmap(code, len);
	sym_cache__free(c);
}

/* --- statistics ---------------------------------------------------------------------- */

static void test_stats(struct sym_cache *c, const struct sym_stats *before)
{
	struct sym_stats st;

	sym_cache__stats(c, &st);
	tap_diag("stats: %llu dsos (%llu without symbols), %llu symbols, %llu processes, "
		 "%llu lookups, %llu misses, %llu bytes",
		 (unsigned long long)st.dsos, (unsigned long long)st.dsos_without_symbols,
		 (unsigned long long)st.symbols, (unsigned long long)st.processes,
		 (unsigned long long)st.lookups, (unsigned long long)st.misses,
		 (unsigned long long)st.memory_bytes);
	tap_is_int(st.lookups, resolves, "stats: every sym_resolve counted");
	tap_ok(st.misses >= 1 && st.misses < st.lookups, "stats: misses counted");
	tap_ok(st.dsos > 3 && st.symbols > 10, "stats: dsos and symbols");
	tap_is_int(st.processes, 1, "stats: one address space alive (ours)");
	tap_ok(st.memory_bytes > before->memory_bytes + st.symbols * 8,
	       "stats: memory grows with the symbols loaded");
}

int main(void)
{
	struct sym_cache *c;
	struct sym_stats before;

	builddir = getenv("top_builddir");
	if (!builddir)
		builddir = ".";
	snprintf(tmpdir, sizeof(tmpdir), "%s/symtest.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}

	test_kallsyms();

	c = sym_cache__new();
	tap_ok(c != NULL, "cache: new");
	sym_cache__stats(c, &before);
	test_maps(c);
#ifdef HAVE_LIBELF
	test_vdso(c);
	test_library(c);
	test_executable(c, "symfix", "symfix", "symtab", 1);
	test_executable(c, "symfix-nopie", "symfix-nopie", "symtab", 1);
	test_executable(c, "symfix-stripped", "symfix", "debuglink", 1);
	test_executable(c, "symfix-badcrc", "symfix", NULL, 0);
	test_executable(c, "symfix-zdebug", "symfix", "debuglink", 1);
	test_debug_section(c, "symfix-stripped");
	test_debug_section(c, "symfix-zdebug");
	test_plt(c, "symfix", "symfix");
	test_plt(c, "symfix-nopie", "symfix-nopie");
	test_plt(c, "symfix-stripped", "symfix");
	test_plt(c, "symfix-ibt", "symfix-ibt");
	test_stats(c, &before);
	test_trim();
#else
	tap_diag("built without libelf: the ELF symbol checks are compiled out, not run");
	(void)test_vdso;
	(void)test_library;
	(void)test_executable;
	(void)test_debug_section;
	(void)test_plt;
	(void)test_stats;
	(void)test_trim;
#endif
	sym_cache__free(c);
	sym_cache__free(NULL);
	test_jit();

	{
		static const char *const files[] = {"kallsyms", "kallsyms0", "kallsyms_empty",
						    "kallsyms_big"};
		char path[PATH_MAX + 32];
		size_t i;

		for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
			snprintf(path, sizeof(path), "%s/%s", tmpdir, files[i]);
			unlink(path);
		}
		if (rmdir(tmpdir))
			tap_diag("could not remove %s", tmpdir);
	}
	return tap_done();
}
