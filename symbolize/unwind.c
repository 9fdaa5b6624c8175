/* SPDX-License-Identifier: MIT */
/*
 * symbolize/unwind.c: DWARF unwinding of a copied user stack (libunwind remote).
 *
 * Owns: one libunwind address space per unwinder, whose accessors read the
 * sample instead of a live process: registers from the sampled set, memory
 * from the copied stack, and CFI from the ELF images that symbolize already
 * maps (sym_dso__image).  The approach is perf's unwind-libunwind-local.c.
 *
 * find_proc_info hands libunwind the .eh_frame_hdr binary search table of the
 * mapping that holds the ip, as a UNW_INFO_FORMAT_REMOTE_TABLE whose
 * addresses are run-time addresses of the traced process; libunwind then
 * reads the table, FDEs and CIEs through access_mem, which translates those
 * addresses back into the file image through a few "CFI windows" recorded
 * by find_proc_info.  A [vdso] mapping without a usable dso is read from our
 * own vDSO (same kernel, same image).
 *
 * Caching, so that nothing is allocated per unwind:
 *  - parsed .eh_frame_hdr per dso, in an open-addressing table keyed by the
 *    dso pointer; dsos live until sym_cache__trim() frees some, which changes
 *    sym_cache__epoch(): the next unwind then drops this table and the shadow
 *    below (their dso pointers may be reused);
 *  - libunwind's own per-address-space cache of register rules keyed by ip
 *    alone (UNW_CACHE_GLOBAL).  One address space serves every process, so
 *    we shadow that cache: every ip libunwind asked find_proc_info about
 *    since the last flush, with the file and load address that was mapped
 *    there.  Before each step the frame's mapping is checked against it, and
 *    when other code now sits at that ip (another process, an exec, a library
 *    replaced) libunwind's cache is flushed.  Processes that map the same
 *    file at the same address share the cached rules.
 *
 * A cached rule may still point into CFI (DW_CFA_expression bytes), read
 * without find_proc_info having run in this unwind; access_mem therefore
 * also maps the CFI of the current frame's file, which need not be in
 * symbolize's maps (PERF_RECORD_MMAP2 only reports executable mappings).
 *
 * Frames returned: ips[0] is the sampled ip; every later entry is a return
 * address (the instruction after the call), as libunwind reports UNW_REG_IP
 * for caller frames.  Symbolizers should look up ip - 1 for those.
 *
 * Not thread safe: one unwinder per thread.  Without libunwind, without libelf
 * (no ELF images, so no CFI) or on another architecture, sym_unwind() returns
 * -EOPNOTSUPP.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "symbolize/unwind.h"

/* CFI comes from symbolize's ELF images, which it maps only when built with libelf. */
#if defined(HAVE_LIBUNWIND) && defined(HAVE_LIBELF) && (defined(__x86_64__) || defined(__aarch64__))
#define SYM_UNWIND_ENABLED 1
#endif

static const char *const stop_names[SYM_UNWIND__MAX] = {
	[SYM_UNWIND_OK] = "ok",
	[SYM_UNWIND_NO_MAP] = "no-map",
	[SYM_UNWIND_NO_CFI] = "no-cfi",
	[SYM_UNWIND_STACK_SHORT] = "stack-short",
	[SYM_UNWIND_BAD_FRAME] = "bad-frame",
	[SYM_UNWIND_TRUNCATED] = "truncated",
	[SYM_UNWIND_UNSUPPORTED] = "unsupported",
};

const char *sym_unwind_stop_str(enum sym_unwind_stop s)
{
	if ((unsigned int)s >= SYM_UNWIND__MAX)
		return "unknown";
	return stop_names[s];
}

#ifndef SYM_UNWIND_ENABLED

struct sym_unwinder {
	struct sym_cache *cache;
};

struct sym_unwinder *sym_unwinder__new(struct sym_cache *c)
{
	struct sym_unwinder *u = calloc(1, sizeof(*u));

	if (u)
		u->cache = c;
	return u;
}

void sym_unwinder__free(struct sym_unwinder *u)
{
	free(u);
}

uint64_t sym_unwind_regs_mask(void)
{
	return 0;
}

int sym_unwind(struct sym_unwinder *u, struct sym_maps *m, const uint64_t *regs, const void *stack,
	       size_t stack_size, uint64_t *ips, int max, enum sym_unwind_stop *stop)
{
	if (stop)
		*stop = SYM_UNWIND_UNSUPPORTED;
	return -EOPNOTSUPP;
}

#else /* SYM_UNWIND_ENABLED */

#include <elf.h>
#include <link.h>
#include <sys/auxv.h>
#include <asm/perf_regs.h>
#include <libunwind.h>

/* Not in libunwind's public headers, but exported (perf declares it too). */
extern int UNW_OBJ(dwarf_search_unwind_table)(unw_addr_space_t as, unw_word_t ip,
					      unw_dyn_info_t *di, unw_proc_info_t *pi,
					      int need_unwind_info, void *arg);
#define dwarf_search_unwind_table UNW_OBJ(dwarf_search_unwind_table)

/*
 * Registers: perf numbering of what we sample, and libunwind's number -> perf's.
 *
 * x86_64: every general-purpose register.  Beyond the leaf frame only the
 * callee-saved ones (rbx, rbp, r12-r15) carry values, but the leaf's CFA rule
 * can name any register (r10 in prologues that realign the stack, rax/rcx in
 * hand-written assembly), and the ip and sp are needed to start.  Flags and
 * segment registers are never used by CFI, so they are left out.
 */
#if defined(__x86_64__)
#define REG_PERF_IP PERF_REG_X86_IP
#define REG_PERF_SP PERF_REG_X86_SP
#define REGS_MASK                                                                                  \
	((1ULL << PERF_REG_X86_AX) | (1ULL << PERF_REG_X86_BX) | (1ULL << PERF_REG_X86_CX) |       \
	 (1ULL << PERF_REG_X86_DX) | (1ULL << PERF_REG_X86_SI) | (1ULL << PERF_REG_X86_DI) |       \
	 (1ULL << PERF_REG_X86_BP) | (1ULL << PERF_REG_X86_SP) | (1ULL << PERF_REG_X86_IP) |       \
	 (1ULL << PERF_REG_X86_R8) | (1ULL << PERF_REG_X86_R9) | (1ULL << PERF_REG_X86_R10) |      \
	 (1ULL << PERF_REG_X86_R11) | (1ULL << PERF_REG_X86_R12) | (1ULL << PERF_REG_X86_R13) |    \
	 (1ULL << PERF_REG_X86_R14) | (1ULL << PERF_REG_X86_R15))

static const int8_t unw_to_perf[] = {
	[UNW_X86_64_RAX] = PERF_REG_X86_AX,  [UNW_X86_64_RDX] = PERF_REG_X86_DX,
	[UNW_X86_64_RCX] = PERF_REG_X86_CX,  [UNW_X86_64_RBX] = PERF_REG_X86_BX,
	[UNW_X86_64_RSI] = PERF_REG_X86_SI,  [UNW_X86_64_RDI] = PERF_REG_X86_DI,
	[UNW_X86_64_RBP] = PERF_REG_X86_BP,  [UNW_X86_64_RSP] = PERF_REG_X86_SP,
	[UNW_X86_64_R8] = PERF_REG_X86_R8,   [UNW_X86_64_R9] = PERF_REG_X86_R9,
	[UNW_X86_64_R10] = PERF_REG_X86_R10, [UNW_X86_64_R11] = PERF_REG_X86_R11,
	[UNW_X86_64_R12] = PERF_REG_X86_R12, [UNW_X86_64_R13] = PERF_REG_X86_R13,
	[UNW_X86_64_R14] = PERF_REG_X86_R14, [UNW_X86_64_R15] = PERF_REG_X86_R15,
	[UNW_X86_64_RIP] = PERF_REG_X86_IP,
};

#elif defined(__aarch64__)
/* x0-x30, sp, pc: libunwind's numbers are perf's (UNW_AARCH64_X0 == 0 .. PC == 32). */
#define REG_PERF_IP PERF_REG_ARM64_PC
#define REG_PERF_SP PERF_REG_ARM64_SP
#define REGS_MASK ((1ULL << (PERF_REG_ARM64_PC + 1)) - 1)

_Static_assert(UNW_AARCH64_SP == PERF_REG_ARM64_SP && UNW_AARCH64_PC == PERF_REG_ARM64_PC,
	       "libunwind and perf number aarch64 registers alike");
#endif

/* DWARF pointer encodings (.eh_frame_hdr). */
enum {
	DW_EH_PE_absptr = 0x00,
	DW_EH_PE_uleb128 = 0x01,
	DW_EH_PE_udata2 = 0x02,
	DW_EH_PE_udata4 = 0x03,
	DW_EH_PE_udata8 = 0x04,
	DW_EH_PE_sleb128 = 0x09,
	DW_EH_PE_sdata2 = 0x0a,
	DW_EH_PE_sdata4 = 0x0b,
	DW_EH_PE_sdata8 = 0x0c,
	DW_EH_PE_pcrel = 0x10,
	DW_EH_PE_datarel = 0x30,
	DW_EH_PE_omit = 0xff,
};

/* The parsed .eh_frame_hdr of one ELF image.  Addresses are ELF vaddrs. */
struct cfi_table {
	const uint8_t *image;
	size_t image_size;
	uint64_t hdr_vaddr;   /* libunwind's segbase: table entries are relative to it */
	uint64_t table_vaddr; /* sorted (initial location, FDE address) pairs */
	uint64_t fde_count;
	/* What libunwind may read: .eh_frame_hdr through .eh_frame, as one file range. */
	uint64_t win_vaddr, win_size, win_off;
};

struct dso_slot {
	struct sym_dso *dso;	 /* NULL: empty */
	struct cfi_table *table; /* NULL: the dso has no usable .eh_frame_hdr */
};

/* A range of the traced process's addresses that reads from a local image. */
struct cfi_window {
	uint64_t start, end;
	const uint8_t *data; /* byte at @start */
};

#define CFI_WINDOWS 8

/* An ip that libunwind may hold register rules for, and what was mapped there. */
struct rs_key {
	uint64_t ip; /* 0: empty slot */
	const struct sym_dso *dso;
	uint64_t base;	  /* map->start - map->pgoff: where file offset 0 sat */
	const char *name; /* map->name, for dso-less maps ([vdso]) */
};

/* Many times libunwind's 128 entries; full at half, then everything is flushed. */
#define RS_KEYS_LOG 13
#define RS_KEYS (1u << RS_KEYS_LOG)

struct sym_unwinder {
	struct sym_cache *cache;
	unw_addr_space_t as;

	struct dso_slot *slots;
	size_t nr_slots, nr_used; /* nr_slots: power of two */
	uint64_t epoch;		  /* sym_cache__epoch() the slots and rs_keys belong to */

	int vdso_state; /* 0: not looked at, 1: usable, -1: unusable */
	struct cfi_table vdso;
	uint64_t vdso_load_vaddr;

	struct rs_key *rs_keys; /* RS_KEYS slots */
	unsigned int nr_rs_keys;

	/* State of the unwind in progress (the accessors' argument). */
	struct sym_maps *maps;
	const uint64_t *regs;
	const uint8_t *stack;
	uint64_t sp, stack_size;
	enum sym_unwind_stop fail;	 /* first reason an accessor gave up in this step */
	const struct sym_map *frame_map; /* of the frame being stepped */
	int frame_win;			 /* its CFI window was added */
	struct cfi_window win[CFI_WINDOWS];
	unsigned int nr_win, next_win;
};

/* --- reading .eh_frame_hdr ----------------------------------------------------- */

/*
 * Decode one encoded value at *p (< end), whose ELF vaddr is @vaddr, in a
 * .eh_frame_hdr at @hdr_vaddr.  Returns 0 and advances *p, or -1 for an
 * encoding a header does not use.
 */
static int read_encoded(const uint8_t **p, const uint8_t *end, uint8_t enc, uint64_t vaddr,
			uint64_t hdr_vaddr, uint64_t *out)
{
	const uint8_t *q = *p;
	uint64_t v = 0;
	size_t n;

	switch (enc & 0x0f) {
	case DW_EH_PE_absptr:
	case DW_EH_PE_udata8:
	case DW_EH_PE_sdata8:
		n = 8;
		break;
	case DW_EH_PE_udata4:
	case DW_EH_PE_sdata4:
		n = 4;
		break;
	case DW_EH_PE_udata2:
	case DW_EH_PE_sdata2:
		n = 2;
		break;
	default:
		return -1; /* leb128 has no place in a binary-search header */
	}
	if ((size_t)(end - q) < n)
		return -1;
	if (n == 8) {
		memcpy(&v, q, 8);
	} else if (n == 4) {
		uint32_t x;

		memcpy(&x, q, 4);
		v = (enc & 0x08) ? (uint64_t)(int64_t)(int32_t)x : x;
	} else {
		uint16_t x;

		memcpy(&x, q, 2);
		v = (enc & 0x08) ? (uint64_t)(int64_t)(int16_t)x : x;
	}
	switch (enc & 0x70) {
	case 0:
		break;
	case DW_EH_PE_pcrel:
		v += vaddr;
		break;
	case DW_EH_PE_datarel:
		v += hdr_vaddr;
		break;
	default:
		return -1;
	}
	if (enc & 0x80) /* indirect */
		return -1;
	*p = q + n;
	*out = v;
	return 0;
}

/*
 * Parse the header at file offset @off (@size bytes, ELF vaddr @vaddr) of
 * @image.  libunwind's remote lookup wants the table in its standard form:
 * int32 pairs relative to the header (datarel | sdata4).
 */
static int cfi_table__parse(struct cfi_table *t, const uint8_t *image, size_t image_size,
			    uint64_t off, uint64_t vaddr, uint64_t size)
{
	const uint8_t *hdr, *p, *end;
	uint64_t eh_frame, count;

	if (off > image_size || size > image_size - off || size < 4)
		return -1;
	hdr = image + off;
	end = hdr + size;
	if (hdr[0] != 1 || hdr[2] == DW_EH_PE_omit ||
	    hdr[3] != (DW_EH_PE_datarel | DW_EH_PE_sdata4))
		return -1;
	p = hdr + 4;
	if (read_encoded(&p, end, hdr[1], vaddr + (p - hdr), vaddr, &eh_frame) ||
	    read_encoded(&p, end, hdr[2], vaddr + (p - hdr), vaddr, &count))
		return -1;
	if (count == 0 || count > (uint64_t)(end - p) / 8)
		return -1;

	t->image = image;
	t->image_size = image_size;
	t->hdr_vaddr = vaddr;
	t->table_vaddr = vaddr + (p - hdr);
	t->fde_count = count;
	/*
	 * .eh_frame normally follows the header in the same segment, at the
	 * same vaddr - offset delta.  Cover both, to the end of the file until
	 * cfi_table__clip() knows better: libunwind only reads where the table
	 * and the FDEs point.  It reads aligned words, so start on one.
	 */
	t->win_vaddr = vaddr;
	t->win_off = off;
	if (eh_frame < vaddr && vaddr - eh_frame <= off) {
		t->win_off = off - (vaddr - eh_frame);
		t->win_vaddr = eh_frame;
	}
	if ((t->win_vaddr & 7) <= t->win_off) {
		t->win_off -= t->win_vaddr & 7;
		t->win_vaddr -= t->win_vaddr & 7;
	}
	t->win_size = image_size - t->win_off;
	return 0;
}

/*
 * Narrow the window to the header and .eh_frame (at file offsets @hdr_end
 * and @eh_off + @eh_size) when the section table says where .eh_frame is.
 */
static void cfi_table__clip(struct cfi_table *t, uint64_t hdr_end, uint64_t eh_off,
			    uint64_t eh_vaddr, uint64_t eh_size)
{
	uint64_t end = eh_off + eh_size;

	if (eh_vaddr - t->win_vaddr != eh_off - t->win_off || eh_off < t->win_off)
		return;
	if (end < hdr_end)
		end = hdr_end;
	if (end > t->win_off && end - t->win_off < t->win_size)
		t->win_size = end - t->win_off;
}

static struct cfi_table *dso_table__load(struct sym_dso *dso)
{
	const void *image, *img;
	size_t image_size;
	uint64_t off, vaddr, size, hdr_end;
	struct cfi_table *t;

	image = sym_dso__image(dso, &image_size);
	if (!image)
		return NULL;
	if (sym_dso__section(dso, ".eh_frame_hdr", &img, &off, &vaddr, &size) || img != image)
		return NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	if (cfi_table__parse(t, image, image_size, off, vaddr, size)) {
		free(t);
		return NULL;
	}
	hdr_end = off + size;
	if (!sym_dso__section(dso, ".eh_frame", &img, &off, &vaddr, &size) && img == image)
		cfi_table__clip(t, hdr_end, off, vaddr, size);
	return t;
}

/* --- per-dso cache ------------------------------------------------------------------ */

static size_t slot_hash(const struct sym_dso *dso, size_t mask)
{
	uint64_t h = (uintptr_t)dso;

	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return (size_t)h & mask;
}

static int slots__grow(struct sym_unwinder *u)
{
	size_t n = u->nr_slots ? u->nr_slots * 2 : 64, i, j;
	struct dso_slot *s = calloc(n, sizeof(*s));

	if (!s)
		return -ENOMEM;
	for (i = 0; i < u->nr_slots; i++) {
		if (!u->slots[i].dso)
			continue;
		for (j = slot_hash(u->slots[i].dso, n - 1); s[j].dso; j = (j + 1) & (n - 1))
			;
		s[j] = u->slots[i];
	}
	free(u->slots);
	u->slots = s;
	u->nr_slots = n;
	return 0;
}

/* The cache freed dsos: forget every table (the slots' memory stays). */
static void slots__clear(struct sym_unwinder *u)
{
	size_t i;

	for (i = 0; i < u->nr_slots; i++)
		free(u->slots[i].table);
	if (u->nr_slots)
		memset(u->slots, 0, u->nr_slots * sizeof(*u->slots));
	u->nr_used = 0;
}

/* The table of @dso, parsed on first use; NULL when it has none (remembered). */
static const struct cfi_table *dso_table(struct sym_unwinder *u, struct sym_dso *dso)
{
	size_t mask = u->nr_slots - 1, i;

	if (u->nr_slots) {
		for (i = slot_hash(dso, mask); u->slots[i].dso; i = (i + 1) & mask)
			if (u->slots[i].dso == dso)
				return u->slots[i].table;
	}
	if ((u->nr_used + 1) * 2 > u->nr_slots) {
		if (slots__grow(u))
			return NULL;
		mask = u->nr_slots - 1;
	}
	for (i = slot_hash(dso, mask); u->slots[i].dso; i = (i + 1) & mask)
		;
	u->slots[i].dso = dso;
	u->slots[i].table = dso_table__load(dso);
	u->nr_used++;
	return u->slots[i].table;
}

/* --- the vDSO -------------------------------------------------------------------------- */

/*
 * A process's [vdso] has no file behind it; it is the image the kernel maps
 * into every process of the same ABI, so ours stands in for it.
 */
static int vdso__load(struct sym_unwinder *u)
{
	const uint8_t *base = (const uint8_t *)getauxval(AT_SYSINFO_EHDR);
	const ElfW(Ehdr) *eh = (const ElfW(Ehdr) *)base;
	const ElfW(Phdr) * ph, *load = NULL, *ehf = NULL;
	size_t size;
	int i;

	if (!base || memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS64)
		return -1;
	ph = (const ElfW(Phdr) *)(base + eh->e_phoff);
	for (i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type == PT_LOAD && !load)
			load = &ph[i];
		else if (ph[i].p_type == PT_GNU_EH_FRAME)
			ehf = &ph[i];
	}
	if (!load || !ehf || load->p_offset != 0)
		return -1;
	size = load->p_filesz;
	if (eh->e_shoff + (size_t)eh->e_shnum * eh->e_shentsize > size)
		size = eh->e_shoff + (size_t)eh->e_shnum * eh->e_shentsize;
	u->vdso_load_vaddr = load->p_vaddr;
	return cfi_table__parse(&u->vdso, base, size, ehf->p_offset, ehf->p_vaddr, ehf->p_filesz);
}

static int map_is_vdso(const struct sym_map *map)
{
	return map->name && map->name[0] == '[' && !strcmp(map->name, "[vdso]");
}

static const struct cfi_table *vdso_table(struct sym_unwinder *u)
{
	if (!u->vdso_state)
		u->vdso_state = vdso__load(u) ? -1 : 1;
	return u->vdso_state > 0 ? &u->vdso : NULL;
}

/* The local image of a mapping's file (its offset 0), NULL when there is none. */
static const uint8_t *map_image(struct sym_unwinder *u, const struct sym_map *map, size_t *size)
{
	const uint8_t *image = NULL;

	if (map->dso)
		image = sym_dso__image(map->dso, size);
	if (!image && map_is_vdso(map) && vdso_table(u)) {
		*size = u->vdso.image_size;
		image = u->vdso.image;
	}
	return image;
}

/* --- shadow of libunwind's register-rule cache ---------------------------------------- */

static size_t rs_key_slot(uint64_t ip)
{
	return (size_t)((ip * 0x9e3779b97f4a7c15ULL) >> (64 - RS_KEYS_LOG));
}

static int rs_key_same(const struct rs_key *k, const struct sym_map *map)
{
	return k->dso == map->dso && k->base == map->start - map->pgoff &&
	       (map->dso || k->name == map->name ||
		(k->name && map->name && !strcmp(k->name, map->name)));
}

static void rs_keys__flush(struct sym_unwinder *u)
{
	unw_flush_cache(u->as, 0, 0);
	memset(u->rs_keys, 0, RS_KEYS * sizeof(*u->rs_keys));
	u->nr_rs_keys = 0;
}

static struct rs_key *rs_keys__find(struct sym_unwinder *u, uint64_t ip)
{
	size_t i;

	for (i = rs_key_slot(ip); u->rs_keys[i].ip; i = (i + 1) & (RS_KEYS - 1))
		if (u->rs_keys[i].ip == ip)
			return &u->rs_keys[i];
	return NULL;
}

/* find_proc_info ran for @ip in @map: libunwind may now cache rules for it. */
static void rs_keys__add(struct sym_unwinder *u, uint64_t ip, const struct sym_map *map)
{
	struct rs_key *k = rs_keys__find(u, ip);
	size_t i;

	if (!k) {
		if (u->nr_rs_keys >= RS_KEYS / 2)
			rs_keys__flush(u);
		for (i = rs_key_slot(ip); u->rs_keys[i].ip; i = (i + 1) & (RS_KEYS - 1))
			;
		k = &u->rs_keys[i];
		u->nr_rs_keys++;
	}
	k->ip = ip;
	k->dso = map->dso;
	k->base = map->start - map->pgoff;
	k->name = map->name;
}

/*
 * About to step the frame at @ip in @map.  libunwind looks its rules up by
 * ip, and asked find_proc_info for ip or ip - 1 when it cached them; if
 * either was cached for other code, drop the cache.
 */
static void rs_keys__check(struct sym_unwinder *u, uint64_t ip, const struct sym_map *map)
{
	const struct rs_key *k;

	if (((k = rs_keys__find(u, ip)) && !rs_key_same(k, map)) ||
	    ((k = rs_keys__find(u, ip - 1)) && !rs_key_same(k, map)))
		rs_keys__flush(u);
}

/* --- accessors ------------------------------------------------------------------------- */

static void note_fail(struct sym_unwinder *u, enum sym_unwind_stop why)
{
	if (u->fail == SYM_UNWIND_OK)
		u->fail = why;
}

static void window__add(struct sym_unwinder *u, const struct cfi_table *t, uint64_t bias)
{
	struct cfi_window w = {
		.start = t->win_vaddr + bias,
		.end = t->win_vaddr + bias + t->win_size,
		.data = t->image + t->win_off,
	};
	unsigned int i;

	for (i = 0; i < u->nr_win; i++) {
		if (u->win[i].start < w.end && w.start < u->win[i].end) {
			u->win[i] = w; /* the same, or stale: one range, one file */
			return;
		}
	}
	if (u->nr_win < CFI_WINDOWS) {
		u->win[u->nr_win++] = w;
	} else {
		u->win[u->next_win] = w;
		u->next_win = (u->next_win + 1) % CFI_WINDOWS;
	}
}

/* The CFI of the file mapped by @map, and its load bias; NULL if none. */
static const struct cfi_table *map_table(struct sym_unwinder *u, const struct sym_map *map,
					 uint64_t *bias)
{
	const struct cfi_table *t = NULL;

	if (map->dso) {
		t = dso_table(u, map->dso);
		*bias = map->start - sym_dso__offset_to_vaddr(map->dso, map->pgoff);
	}
	if (!t && map_is_vdso(map)) {
		t = vdso_table(u);
		*bias = map->start - map->pgoff - u->vdso_load_vaddr;
	}
	return t;
}

static int find_proc_info(unw_addr_space_t as, unw_word_t ip, unw_proc_info_t *pi,
			  int need_unwind_info, void *arg)
{
	struct sym_unwinder *u = arg;
	const struct sym_map *map = sym_maps__find(u->maps, ip);
	const struct cfi_table *t;
	unw_dyn_info_t di;
	uint64_t bias = 0;
	int ret;

	if (!map) {
		note_fail(u, SYM_UNWIND_NO_MAP);
		return -UNW_ENOINFO;
	}
	t = map_table(u, map, &bias);
	if (!t) {
		note_fail(u, SYM_UNWIND_NO_CFI);
		return -UNW_ENOINFO;
	}
	window__add(u, t, bias);

	memset(&di, 0, sizeof(di)); /* 1.6 added load_offset: must be 0 */
	di.format = UNW_INFO_FORMAT_REMOTE_TABLE;
	di.start_ip = map->start;
	di.end_ip = map->end;
	di.u.rti.segbase = t->hdr_vaddr + bias;
	di.u.rti.table_data = t->table_vaddr + bias;
	/* In words; each entry is two int32. */
	di.u.rti.table_len = t->fde_count * 8 / sizeof(unw_word_t);
	ret = dwarf_search_unwind_table(as, ip, &di, pi, need_unwind_info, arg);
	if (ret < 0)
		note_fail(u, SYM_UNWIND_NO_CFI);
	else
		rs_keys__add(u, ip, map);
	return ret;
}

static void put_unwind_info(unw_addr_space_t as, unw_proc_info_t *pi, void *arg)
{
	/* libunwind frees what dwarf_search_unwind_table allocated itself. */
}

static int get_dyn_info_list_addr(unw_addr_space_t as, unw_word_t *dilap, void *arg)
{
	return -UNW_ENOINFO;
}

/* Copy up to 8 bytes at @off of @data (@size bytes), zero-filling past the end. */
static void read_word(unw_word_t *valp, const uint8_t *data, uint64_t size, uint64_t off)
{
	if (size - off >= sizeof(*valp)) {
		memcpy(valp, data + off, sizeof(*valp));
	} else {
		*valp = 0;
		memcpy(valp, data + off, size - off);
	}
}

static int access_mem(unw_addr_space_t as, unw_word_t addr, unw_word_t *valp, int write, void *arg)
{
	struct sym_unwinder *u = arg;
	const struct sym_map *map;
	const uint8_t *image;
	uint64_t off, top;
	size_t size;
	unsigned int i;

	if (write)
		return -UNW_EINVAL;

	/* The stack: values must lie wholly inside the copy. */
	off = addr - u->sp;
	if (off < u->stack_size) {
		if (u->stack_size - off < sizeof(*valp)) {
			note_fail(u, SYM_UNWIND_STACK_SHORT);
			return -UNW_EINVAL;
		}
		memcpy(valp, u->stack + off, sizeof(*valp));
		return 0;
	}

	/* CFI: libunwind reads it a byte at a time in aligned words, so this is hot. */
again:
	for (i = 0; i < u->nr_win; i++) {
		const struct cfi_window *w = &u->win[i];

		if (addr >= w->start && addr < w->end) {
			read_word(valp, w->data, w->end - w->start, addr - w->start);
			return 0;
		}
	}
	if (!u->frame_win && u->frame_map) {
		const struct cfi_table *t;
		uint64_t bias = 0;

		u->frame_win = 1;
		t = map_table(u, u->frame_map, &bias);
		if (t) {
			window__add(u, t, bias);
			goto again;
		}
	}

	/* Anything else in a file mapping (code, read by libunwind's fallbacks). */
	map = sym_maps__find(u->maps, addr);
	if (map) {
		image = map_image(u, map, &size);
		off = addr - map->start + map->pgoff;
		if (image && off < size) {
			read_word(valp, image, size, off);
			return 0;
		}
	}

	/*
	 * Above the copy, in the stack's mapping (or near it when the mapping is
	 * unknown): a deeper copy would have had it.
	 */
	top = u->sp + u->stack_size;
	if (addr >= top && (!map || !map->dso)) {
		const struct sym_map *sm = sym_maps__find(u->maps, u->sp);
		uint64_t limit = sm && !sm->dso ? sm->end : top + (8u << 20);

		if (addr < limit)
			note_fail(u, SYM_UNWIND_STACK_SHORT);
	}
	return -UNW_EINVAL;
}

static int access_reg(unw_addr_space_t as, unw_regnum_t regnum, unw_word_t *valp, int write,
		      void *arg)
{
	struct sym_unwinder *u = arg;
	uint64_t mask = REGS_MASK;
	int r;

	if (write || regnum < 0)
		return -UNW_EBADREG;
#if defined(__x86_64__)
	if ((size_t)regnum >= sizeof(unw_to_perf) / sizeof(unw_to_perf[0]))
		return -UNW_EBADREG;
	r = unw_to_perf[regnum];
#else
	r = regnum;
#endif
	if (r >= 64 || !(mask & (1ULL << r)))
		return -UNW_EBADREG;
	*valp = u->regs[__builtin_popcountll(mask & ((1ULL << r) - 1))];
	return 0;
}

static int access_fpreg(unw_addr_space_t as, unw_regnum_t regnum, unw_fpreg_t *val, int write,
			void *arg)
{
	return -UNW_EINVAL;
}

static int resume(unw_addr_space_t as, unw_cursor_t *cu, void *arg)
{
	return -UNW_EINVAL;
}

static int get_proc_name(unw_addr_space_t as, unw_word_t addr, char *bufp, size_t buf_len,
			 unw_word_t *offp, void *arg)
{
	return -UNW_EINVAL;
}

static unw_accessors_t accessors = {
	.find_proc_info = find_proc_info,
	.put_unwind_info = put_unwind_info,
	.get_dyn_info_list_addr = get_dyn_info_list_addr,
	.access_mem = access_mem,
	.access_reg = access_reg,
	.access_fpreg = access_fpreg,
	.resume = resume,
	.get_proc_name = get_proc_name,
};

/* --- the unwinder ---------------------------------------------------------------------- */

struct sym_unwinder *sym_unwinder__new(struct sym_cache *c)
{
	struct sym_unwinder *u = calloc(1, sizeof(*u));

	if (!u)
		return NULL;
	u->cache = c;
	u->rs_keys = calloc(RS_KEYS, sizeof(*u->rs_keys));
	u->as = unw_create_addr_space(&accessors, 0);
	if (!u->as || !u->rs_keys) {
		if (u->as)
			unw_destroy_addr_space(u->as);
		free(u->rs_keys);
		free(u);
		errno = ENOMEM;
		return NULL;
	}
	unw_set_caching_policy(u->as, UNW_CACHE_GLOBAL);
	return u;
}

void sym_unwinder__free(struct sym_unwinder *u)
{
	size_t i;

	if (!u)
		return;
	unw_destroy_addr_space(u->as);
	for (i = 0; i < u->nr_slots; i++)
		free(u->slots[i].table);
	free(u->slots);
	free(u->rs_keys);
	free(u);
}

uint64_t sym_unwind_regs_mask(void)
{
	return REGS_MASK;
}

int sym_unwind(struct sym_unwinder *u, struct sym_maps *m, const uint64_t *regs, const void *stack,
	       size_t stack_size, uint64_t *ips, int max, enum sym_unwind_stop *stop)
{
	enum sym_unwind_stop why = SYM_UNWIND_OK;
	unw_word_t ip, sp, prev_ip, prev_sp;
	const struct sym_map *map;
	unw_cursor_t cursor;
	uint64_t mask = REGS_MASK;
	int n = 0, ret;

	if (!u || !m || !regs || (!stack && stack_size) || !ips || max <= 0)
		return -EINVAL;
	if (u->cache && u->epoch != sym_cache__epoch(u->cache)) {
		slots__clear(u);
		rs_keys__flush(u);
		u->epoch = sym_cache__epoch(u->cache);
	}

	u->maps = m;
	u->regs = regs;
	u->stack = stack;
	u->stack_size = stack_size;
	u->sp = regs[__builtin_popcountll(mask & ((1ULL << REG_PERF_SP) - 1))];
	u->nr_win = 0;
	u->next_win = 0;
	u->frame_map = NULL;
	u->fail = SYM_UNWIND_OK;

	ip = regs[__builtin_popcountll(mask & ((1ULL << REG_PERF_IP) - 1))];
	prev_ip = ip;
	prev_sp = u->sp;
	if (unw_init_remote(&cursor, u->as, u) < 0) {
		ips[n++] = ip;
		why = SYM_UNWIND_BAD_FRAME;
		goto out;
	}
	for (;;) {
		if (n > 0) {
			if (unw_get_reg(&cursor, UNW_REG_IP, &ip) < 0 ||
			    unw_get_reg(&cursor, UNW_REG_SP, &sp) < 0) {
				why = SYM_UNWIND_BAD_FRAME;
				break;
			}
			if (ip == 0)
				break; /* outermost frame */
			if (ip == prev_ip && sp == prev_sp) {
				why = SYM_UNWIND_BAD_FRAME;
				break;
			}
			prev_ip = ip;
			prev_sp = sp;
		}
		if (n == max) {
			why = SYM_UNWIND_TRUNCATED;
			break;
		}
		ips[n++] = ip;
		/* A return address may be one past its mapping: look at the call. */
		map = sym_maps__find(m, n > 1 ? ip - 1 : ip);
		if (!map) {
			why = SYM_UNWIND_NO_MAP;
			break;
		}
		rs_keys__check(u, ip, map);
		u->frame_map = map;
		u->frame_win = 0;
		u->fail = SYM_UNWIND_OK;
		ret = unw_step(&cursor);
		if (ret > 0)
			continue;
		/*
		 * 0 is libunwind's "outermost frame", also when it gave up on a
		 * frame without CFI through its frame-chain heuristics; what our
		 * accessors saw says which.
		 */
		if (u->fail != SYM_UNWIND_OK)
			why = u->fail;
		else if (ret < 0)
			why = SYM_UNWIND_BAD_FRAME;
		break;
	}
out:
	if (stop)
		*stop = why;
	return n;
}

#endif /* SYM_UNWIND_ENABLED */
