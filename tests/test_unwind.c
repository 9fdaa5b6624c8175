/* SPDX-License-Identifier: MIT */
/*
 * tests/test_unwind.c: DWARF unwinding of this process's own stack.
 *
 * Captures registers and a copy of the stack the way PERF_SAMPLE_REGS_USER
 * and PERF_SAMPLE_STACK_USER would (inline asm at a known point of a known
 * call chain, then a copy from sp up), and unwinds the copy through
 * symbolize's maps of this process:
 *  - main -> outer -> middle -> inner: names in that order, through to _start;
 *  - main -> sorter -> qsort (libc, no frame pointers) -> cmp: through libc's CFI;
 *  - a copy cut short, a garbage ip, a frame limit: the stop reasons;
 *  - main -> signaller -> raise (libc) -> [signal frame] -> handler: through
 *    the kernel's signal frame by libc's __restore_rt CFI (DWARF expressions);
 *  - a sample taken at the entry of a vDSO function: the vDSO's CFI;
 *  - the same sample in another process (a fork), before and after another
 *    file is mapped over our code: libunwind caches rules by ip alone; and
 *    with only executable mappings known, as PERF_RECORD_MMAP2 reports them;
 *  - the cost of one unwind of a ~10-frame stack (reported, not asserted).
 */
#include "config.h"

#include <elf.h>
#include <errno.h>
#include <inttypes.h>
#include <link.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "symbolize/symbolize.h"
#include "symbolize/unwind.h"
#include "tap.h"

#if defined(__x86_64__) && defined(HAVE_LIBUNWIND) && defined(HAVE_LIBELF)
#include <asm/perf_regs.h>
#define TEST_CAN_CAPTURE 1
#define REG_IP PERF_REG_X86_IP
#define REG_SP PERF_REG_X86_SP
#endif

#if defined(__GNUC__) && !defined(__clang__)
#define NOINLINE __attribute__((noinline, noclone))
#else
#define NOINLINE __attribute__((noinline))
#endif

#define STACK_COPY (16 * 1024)
#define MAX_FRAMES 64

#ifdef TEST_CAN_CAPTURE

/* One sample: registers in perf numbering (all of them), and the stack copy. */
struct sample {
	uint64_t regs[64];
	uint8_t stack[STACK_COPY];
	size_t stack_size;
};

int main(void);

static struct sample s_chain, s_qsort, s_deep, s_signal;
static uint64_t stack_top; /* end of the mapping holding main's stack */

/*
 * Registers at this point of the caller, all in one asm statement so that
 * ip, sp and the callee-saved registers agree with the CFI at that ip.
 */
#define CAPTURE_REGS(r)                                                                            \
	do {                                                                                       \
		uint64_t t_;                                                                       \
		asm volatile("movq %%rax, 0*8(%[p])\n\t"                                           \
			     "movq %%rbx, 1*8(%[p])\n\t"                                           \
			     "movq %%rcx, 2*8(%[p])\n\t"                                           \
			     "movq %%rdx, 3*8(%[p])\n\t"                                           \
			     "movq %%rsi, 4*8(%[p])\n\t"                                           \
			     "movq %%rdi, 5*8(%[p])\n\t"                                           \
			     "movq %%rbp, 6*8(%[p])\n\t"                                           \
			     "movq %%rsp, 7*8(%[p])\n\t"                                           \
			     "movq %%r8, 16*8(%[p])\n\t"                                           \
			     "movq %%r9, 17*8(%[p])\n\t"                                           \
			     "movq %%r10, 18*8(%[p])\n\t"                                          \
			     "movq %%r11, 19*8(%[p])\n\t"                                          \
			     "movq %%r12, 20*8(%[p])\n\t"                                          \
			     "movq %%r13, 21*8(%[p])\n\t"                                          \
			     "movq %%r14, 22*8(%[p])\n\t"                                          \
			     "movq %%r15, 23*8(%[p])\n\t"                                          \
			     "leaq 0(%%rip), %[t]\n\t"                                             \
			     "movq %[t], 8*8(%[p])"                                                \
			     : [t] "=&r"(t_)                                                       \
			     : [p] "r"(r)                                                          \
			     : "memory");                                                          \
	} while (0)

_Static_assert(PERF_REG_X86_AX == 0 && PERF_REG_X86_SP == 7 && PERF_REG_X86_IP == 8 &&
		       PERF_REG_X86_R8 == 16 && PERF_REG_X86_R15 == 23,
	       "CAPTURE_REGS stores in perf's register numbering");

/*
 * What the kernel does for PERF_SAMPLE_STACK_USER: copy from sp up, as far as
 * the stack goes.  Not through memcpy: ASan would object to reading the
 * redzones of other frames.
 */
__attribute__((no_sanitize_address)) NOINLINE static void copy_stack(struct sample *s)
{
	const volatile uint64_t *src = (const volatile uint64_t *)(uintptr_t)s->regs[REG_SP];
	uint64_t *dst = (uint64_t *)s->stack;
	size_t n = STACK_COPY, i;

	if (stack_top - s->regs[REG_SP] < n)
		n = stack_top - s->regs[REG_SP];
	for (i = 0; i < n / 8; i++)
		dst[i] = src[i];
	s->stack_size = n;
}

#define CAPTURE(s)                                                                                 \
	do {                                                                                       \
		CAPTURE_REGS((s)->regs);                                                           \
		copy_stack(s);                                                                     \
	} while (0)

/* Keep the compiler from folding a value (and so from turning calls into jumps). */
#define OPAQUE(x) asm volatile("" : "+r"(x))

/* --- main -> outer -> middle -> inner ------------------------------------------------- */

NOINLINE static int inner(int x)
{
	CAPTURE(&s_chain);
	OPAQUE(x);
	return x + 1;
}

/*
 * An over-aligned local and alloca: GCC realigns the stack through r10 and
 * describes the CFA with a DWARF expression (DW_CFA_def_cfa_expression),
 * which libunwind evaluates by reading it from .eh_frame.
 */
NOINLINE static int middle(int x)
{
	char buf[64] __attribute__((aligned(64)));
	char *p = __builtin_alloca((size_t)(x & 15) + 16);
	int r;

	asm volatile("" : : "r"(buf), "r"(p) : "memory");
	r = inner(x + 1);
	OPAQUE(r);
	return r + 1;
}

NOINLINE static int outer(int x)
{
	int r = middle(x + 1);

	OPAQUE(r);
	return r + 1;
}

/* --- main -> sorter -> qsort -> cmp ------------------------------------------------------ */

static int cmp_calls;

static int cmp(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	if (!cmp_calls++)
		CAPTURE(&s_qsort);
	return (x > y) - (x < y);
}

NOINLINE static int sorter(void)
{
	int v[32], i;

	for (i = 0; i < 32; i++)
		v[i] = (i * 7919) % 32;
	qsort(v, 32, sizeof(v[0]), cmp);
	OPAQUE(v[0]);
	return v[0] + 1;
}

/* --- main -> signaller -> raise -> signal frame -> on_signal ------------------------------ */

static void on_signal(int sig)
{
	CAPTURE(&s_signal);
}

NOINLINE static int signaller(void)
{
	int r;

	signal(SIGUSR1, on_signal);
	r = raise(SIGUSR1);
	OPAQUE(r);
	signal(SIGUSR1, SIG_DFL);
	return r + 1;
}

/* --- a deeper chain for timing ------------------------------------------------------------ */

NOINLINE static int deep(int n)
{
	int r;

	if (n == 0) {
		CAPTURE(&s_deep);
		return 0;
	}
	r = deep(n - 1);
	OPAQUE(r);
	return r + 1;
}

/*
 * --- checks -------------------------------------------------------------------------------
 * Kept out of main (NOINLINE): their buffers would otherwise sit in main's
 * frame, between the captured frames and the start code, past the copy.
 */

NOINLINE static uint64_t stack_top_of(uint64_t addr)
{
	unsigned long s, e;
	char line[512];
	uint64_t top = 0;
	FILE *f = fopen("/proc/self/maps", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx", &s, &e) == 2 && addr >= s && addr < e)
			top = e;
	if (f)
		fclose(f);
	return top;
}

/* Registers of @s as sym_unwind wants them: the mask's, in ascending order. */
static void sample_regs(const struct sample *s, uint64_t *out)
{
	uint64_t mask = sym_unwind_regs_mask();
	int r, n = 0;

	for (r = 0; r < 64; r++)
		if (mask & (1ULL << r))
			out[n++] = s->regs[r];
}

struct result {
	uint64_t ips[MAX_FRAMES];
	int n;
	enum sym_unwind_stop stop;
};

static void unwind(struct sym_unwinder *u, struct sym_maps *m, const struct sample *s,
		   size_t stack_size, struct result *r)
{
	uint64_t regs[64];

	sample_regs(s, regs);
	r->n = sym_unwind(u, m, regs, s->stack, stack_size, r->ips, MAX_FRAMES, &r->stop);
}

/* Symbolize frame @i (return addresses are looked up at ip - 1). */
static const char *frame_name(struct sym_cache *c, struct sym_maps *m, const struct result *r,
			      int i, struct sym_frame *f)
{
	if (sym_resolve(c, m, r->ips[i] - (i > 0), f))
		return NULL;
	return f->name;
}

static void dump(struct sym_cache *c, struct sym_maps *m, const struct result *r)
{
	struct sym_frame f;
	int i;

	tap_diag("%d frames, stop %s", r->n, sym_unwind_stop_str(r->stop));
	for (i = 0; i < r->n; i++) {
		const char *name = frame_name(c, m, r, i, &f);

		tap_diag("  #%d %#" PRIx64 " %s (%s)", i, r->ips[i], name ? name : "?",
			 f.map && f.map->name ? f.map->name : "no map");
	}
}

/*
 * Is frame @i in function @name (at @fn)?  By symbol name when symbolize
 * has names (GCC may add a ".constprop.0"-style suffix); by address range
 * (the function's first 4 KiB) when it has none (no libelf).
 */
static int frame_is(struct sym_cache *c, struct sym_maps *m, const struct result *r, int i,
		    const char *name, uintptr_t fn)
{
	struct sym_frame f;
	const char *got;
	size_t len = strlen(name);
	uint64_t at = r->ips[i] - (i > 0);

	if (i >= r->n)
		return 0;
	got = frame_name(c, m, r, i, &f);
	if (got)
		return !strncmp(got, name, len) && (got[len] == 0 || got[len] == '.');
	return at >= fn && at - fn < 4096;
}

static int frame_in_lib(struct sym_cache *c, struct sym_maps *m, const struct result *r, int i,
			const char *lib)
{
	struct sym_frame f;

	if (i >= r->n || sym_resolve(c, m, r->ips[i] - (i > 0), &f) || !f.map || !f.map->name)
		return 0;
	return strstr(f.map->name, lib) != NULL;
}

NOINLINE static void test_chain(struct sym_unwinder *u, struct sym_cache *c, struct sym_maps *m,
				struct result *full)
{
	int main_at;

	unwind(u, m, &s_chain, s_chain.stack_size, full);
	dump(c, m, full);
	tap_ok(full->n >= 4, "chain: unwound %d frames (>= 4)", full->n);
	tap_is_int(full->ips[0], s_chain.regs[REG_IP], "chain: ips[0] is the sampled ip");
	tap_ok(frame_is(c, m, full, 0, "inner", (uintptr_t)inner), "chain: #0 inner");
	tap_ok(frame_is(c, m, full, 1, "middle", (uintptr_t)middle), "chain: #1 middle");
	tap_ok(frame_is(c, m, full, 2, "outer", (uintptr_t)outer), "chain: #2 outer");
	main_at = 3;
	tap_ok(frame_is(c, m, full, main_at, "main", (uintptr_t)main), "chain: #3 main");
	tap_ok(full->stop == SYM_UNWIND_OK, "chain: stopped at the outermost frame (%s)",
	       sym_unwind_stop_str(full->stop));
	tap_ok(full->n > main_at + 1 && frame_in_lib(c, m, full, main_at + 1, "libc"),
	       "chain: past main into libc's start code");
}

NOINLINE static void test_qsort(struct sym_unwinder *u, struct sym_cache *c, struct sym_maps *m)
{
	struct result r;
	int i = 1, libc = 0;

	unwind(u, m, &s_qsort, s_qsort.stack_size, &r);
	dump(c, m, &r);
	tap_ok(frame_is(c, m, &r, 0, "cmp", (uintptr_t)cmp), "qsort: #0 cmp");
	/* libc's qsort, or ASan's interceptor of it: a shared object either way */
	while (i < r.n && frame_in_lib(c, m, &r, i, ".so")) {
		i++;
		libc++;
	}
	tap_ok(libc >= 1, "qsort: %d frames inside a shared library", libc);
	tap_ok(frame_is(c, m, &r, i, "sorter", (uintptr_t)sorter), "qsort: then sorter (#%d)", i);
	tap_ok(frame_is(c, m, &r, i + 1, "main", (uintptr_t)main), "qsort: then main");
	tap_ok(r.stop == SYM_UNWIND_OK, "qsort: stop %s", sym_unwind_stop_str(r.stop));
}

NOINLINE static void test_signal(struct sym_unwinder *u, struct sym_cache *c, struct sym_maps *m,
				 struct result *r)
{
	int i = 1, libc = 0;

	unwind(u, m, &s_signal, s_signal.stack_size, r);
	dump(c, m, r);
	tap_ok(frame_is(c, m, r, 0, "on_signal", (uintptr_t)on_signal), "signal: #0 on_signal");
	while (i < r->n && frame_in_lib(c, m, r, i, ".so")) {
		i++;
		libc++;
	}
	/* __restore_rt, then raise and what it calls */
	tap_ok(libc >= 2, "signal: %d frames in libc: the trampoline and raise", libc);
	tap_ok(frame_is(c, m, r, i, "signaller", (uintptr_t)signaller), "signal: then signaller");
	tap_ok(frame_is(c, m, r, i + 1, "main", (uintptr_t)main), "signal: then main");
	tap_ok(r->stop == SYM_UNWIND_OK, "signal: stop %s", sym_unwind_stop_str(r->stop));
}

/* A copy that ends just below the slot of main's return address. */
NOINLINE static void test_short(struct sym_unwinder *u, struct sym_cache *c, struct sym_maps *m,
				const struct result *full)
{
	const uint64_t *words = (const uint64_t *)s_chain.stack;
	struct result r;
	size_t i, cut = 0;
	int k = 3, same = 1, j;

	for (i = 0; i < s_chain.stack_size / 8; i++) {
		if (words[i] == full->ips[k]) {
			cut = i * 8;
			break;
		}
	}
	tap_ok(cut > 0, "short: main's return address is in the copy at +%zu", cut);
	unwind(u, m, &s_chain, cut, &r);
	dump(c, m, &r);
	tap_is_int(r.n, k, "short: the frames below main still unwind");
	for (j = 0; j < r.n && j < k; j++)
		same &= r.ips[j] == full->ips[j];
	tap_ok(same, "short: and are the same as with the whole copy");
	tap_ok(r.stop == SYM_UNWIND_STACK_SHORT, "short: stop %s", sym_unwind_stop_str(r.stop));

	unwind(u, m, &s_chain, 0, &r);
	tap_ok(r.n == 1 && r.stop == SYM_UNWIND_STACK_SHORT, "short: empty copy: %d frame, %s", r.n,
	       sym_unwind_stop_str(r.stop));
}

NOINLINE static void test_bad(struct sym_unwinder *u, struct sym_maps *m, const struct result *full)
{
	static struct sample s;
	uint64_t regs[64];
	struct result r;

	s = s_chain;
	s.regs[REG_IP] = 0x10;
	unwind(u, m, &s, s.stack_size, &r);
	tap_ok(r.n == 1 && r.ips[0] == 0x10 && r.stop == SYM_UNWIND_NO_MAP,
	       "garbage ip: 1 frame, stop %s", sym_unwind_stop_str(r.stop));

	sample_regs(&s_chain, regs);
	r.n = sym_unwind(u, m, regs, s_chain.stack, s_chain.stack_size, r.ips, 2, &r.stop);
	tap_ok(r.n == 2 && r.ips[0] == full->ips[0] && r.ips[1] == full->ips[1] &&
		       r.stop == SYM_UNWIND_TRUNCATED,
	       "max 2: 2 frames, stop %s", sym_unwind_stop_str(r.stop));
	r.n = sym_unwind(u, m, regs, s_chain.stack, s_chain.stack_size, r.ips, full->n, &r.stop);
	tap_ok(r.n == full->n && r.stop == SYM_UNWIND_OK, "max == depth: not truncated (%s)",
	       sym_unwind_stop_str(r.stop));
	tap_is_int(sym_unwind(u, m, regs, s_chain.stack, s_chain.stack_size, r.ips, 0, &r.stop),
		   -EINVAL, "max 0: -EINVAL");
}

/* The first FDE of the vDSO: a function entry, where CFA = sp + 8. */
static uint64_t vdso_function(void)
{
	const uint8_t *base = (const uint8_t *)getauxval(AT_SYSINFO_EHDR);
	const ElfW(Ehdr) *eh = (const ElfW(Ehdr) *)base;
	const ElfW(Phdr) * ph;
	int i;

	if (!base)
		return 0;
	ph = (const ElfW(Phdr) *)(base + eh->e_phoff);
	for (i = 0; i < eh->e_phnum; i++) {
		const uint8_t *hdr = base + ph[i].p_offset;
		int32_t start;

		/* version 1, table: datarel|sdata4, count: udata4 after a 4-byte pointer */
		if (ph[i].p_type != PT_GNU_EH_FRAME || hdr[0] != 1 || hdr[2] != 0x03 ||
		    hdr[3] != 0x3b || (hdr[1] & 0x0f) != 0x0b)
			continue;
		memcpy(&start, hdr + 12, 4);
		return (uintptr_t)base + ph[i].p_vaddr + start;
	}
	return 0;
}

/*
 * As if inner() had called into the vDSO and been sampled at the callee's
 * first instruction: the return address (inner's ip) on top of inner's stack.
 */
NOINLINE static void test_vdso(struct sym_unwinder *u, struct sym_cache *c, struct sym_maps *m,
			       const struct result *full)
{
	static struct sample s;
	uint64_t fn = vdso_function();
	struct result r;
	int same = 1, i;

	if (!fn || s_chain.stack_size + 8 > STACK_COPY) {
		tap_skip("vdso: no vDSO with an .eh_frame_hdr");
		return;
	}
	s = s_chain;
	s.regs[REG_IP] = fn;
	s.regs[REG_SP] = s_chain.regs[REG_SP] - 8;
	memcpy(s.stack, &s_chain.regs[REG_IP], 8);
	memcpy(s.stack + 8, s_chain.stack, s_chain.stack_size);
	s.stack_size = s_chain.stack_size + 8;
	unwind(u, m, &s, s.stack_size, &r);
	dump(c, m, &r);
	for (i = 0; i < full->n && i + 1 < r.n; i++)
		same &= r.ips[i + 1] == full->ips[i];
	tap_ok(r.n == full->n + 1 && same && r.stop == full->stop,
	       "vdso: from a vDSO function entry through inner to the end (%s)",
	       sym_unwind_stop_str(r.stop));
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts); /* CPU time: the host may be busy */
	return (uint64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int same_frames(const struct result *a, const struct result *b)
{
	return a->n == b->n && a->stop == b->stop && !memcmp(a->ips, b->ips, a->n * 8);
}

/*
 * What a recorder knows of a process that exec'ed during the trace: only the
 * executable mappings (MMAP2 without mmap_data), so no .eh_frame segment.
 */
NOINLINE static int exec_only_maps(struct sym_cache *c, pid_t pid, struct sym_maps *cm)
{
	unsigned long s, e, off, ino;
	unsigned int maj, min;
	char line[4096], perm[8], path[4096];
	int n = 0;
	FILE *f = fopen("/proc/self/maps", "r");

	sym_cache__exec_maps(c, pid);
	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx %7s %lx %x:%x %lu %4095s", &s, &e, perm, &off, &maj, &min,
			   &ino, path) != 8 ||
		    perm[2] != 'x')
			continue;
		if (!sym_maps__mmap(cm, s, e - s, off, maj, min, ino, PROT_READ | PROT_EXEC, path))
			n++;
	}
	if (f)
		fclose(f);
	return n;
}

NOINLINE static void test_other_process(struct sym_unwinder *u, struct sym_cache *c,
					struct sym_maps *m, const struct result *full,
					const struct result *sig)
{
	const struct sym_map *text, *lib;
	struct sym_maps *cm;
	struct sym_frame f;
	struct result r;
	uint64_t t0, t1;
	int fds[2], i, iters = 10000;
	pid_t pid;
	char ch = 0;

	if (pipe(fds)) {
		tap_ok(0, "pipe: %s", strerror(errno));
		return;
	}
	pid = fork();
	if (pid == 0) {
		close(fds[1]);
		if (read(fds[0], &ch, 1) < 0)
			_exit(1);
		_exit(0);
	}
	close(fds[0]);
	cm = pid > 0 ? sym_cache__maps(c, pid, 1) : NULL;
	if (!tap_ok(cm != NULL, "maps of a forked child"))
		goto out;

	unwind(u, cm, &s_chain, s_chain.stack_size, &r);
	tap_ok(same_frames(&r, full), "fork: same files at the same addresses, same frames");
	t0 = now_ns();
	for (i = 0; i < iters; i++)
		unwind(u, i & 1 ? cm : m, &s_chain, s_chain.stack_size, &r);
	t1 = now_ns();
	tap_diag("alternating between two processes: %" PRIu64 " ns per unwind", (t1 - t0) / iters);

	/* The child maps a shared library's text where our code is. */
	text = sym_maps__find(cm, full->ips[0]);
	lib = NULL;
	if (full->n > 4 && !sym_resolve(c, m, full->ips[4] - 1, &f))
		lib = f.map;
	if (!tap_ok(text && lib && lib->name, "our text and a library's"))
		goto out;
	tap_ok(!sym_maps__mmap(cm, text->start, text->end - text->start, lib->pgoff, 0, 0, 0,
			       text->prot, lib->name),
	       "child: %s mapped over our text", lib->name);
	unwind(u, cm, &s_chain, s_chain.stack_size, &r);
	dump(c, cm, &r);
	tap_ok(!same_frames(&r, full) && r.ips[0] == full->ips[0],
	       "other code at the same ips: not unwound with our code's cached rules");
	unwind(u, m, &s_chain, s_chain.stack_size, &r);
	tap_ok(same_frames(&r, full), "and back in our process: our frames again");

	/*
	 * libunwind already holds the rules of these ips (same files, same
	 * addresses): __restore_rt's are DWARF expressions, read from libc's
	 * .eh_frame, which this address space does not map.
	 */
	tap_ok(exec_only_maps(c, pid, cm) > 2, "child exec'ed: only executable mappings");
	unwind(u, cm, &s_signal, s_signal.stack_size, &r);
	tap_ok(same_frames(&r, sig), "signal sample, executable mappings only: same frames");
	unwind(u, cm, &s_chain, s_chain.stack_size, &r);
	tap_ok(same_frames(&r, full), "chain sample, executable mappings only: same frames");
out:
	if (write(fds[1], &ch, 1) < 0)
		tap_diag("write: %s", strerror(errno));
	close(fds[1]);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	sym_cache__drop_maps(c, pid);
}

/*
 * The cache frees every ELF file (the address space dropped, limit 1 byte) and
 * reads them again, maybe at the addresses of the freed ones: the unwinder must
 * forget its tables of the old ones (sym_cache__epoch) and unwind as before.
 * Returns the new address space.
 */
#define HOLE_PAGES 8192

NOINLINE static struct sym_maps *test_evicted(struct sym_unwinder *u, struct sym_cache *c,
					      const struct result *full)
{
	struct sym_stats st;
	struct sym_maps *m;
	static void *holes[HOLE_PAGES];
	struct result r;
	uint64_t epoch = sym_cache__epoch(c);
	size_t n, i;

	sym_cache__drop_maps(c, getpid());
	sym_cache__set_limit(c, 1);
	n = sym_cache__trim(c);
	sym_cache__stats(c, &st);
	tap_ok(n > 2 && sym_cache__epoch(c) != epoch && st.dsos_evicted == n,
	       "evicted: %zu ELF files freed, epoch changed", n);
	/* the holes the images left get inaccessible pages: a table of an old file
	 * still in use would fault, not read the same file mapped there again */
	for (i = 0; i < HOLE_PAGES; i++)
		holes[i] = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	sym_cache__set_limit(c, SYM_CACHE_DEFAULT_LIMIT);
	m = sym_cache__maps(c, getpid(), 1);
	if (!tap_ok(m != NULL, "evicted: maps of this process read again"))
		return NULL;
	unwind(u, m, &s_chain, s_chain.stack_size, &r);
	tap_ok(same_frames(&r, full), "evicted: chain unwinds with the files read again");
	/* a sample not unwound before: libunwind has no rules for it, so it reads CFI */
	unwind(u, m, &s_deep, s_deep.stack_size, &r);
	tap_ok(r.n >= 10 && r.stop == SYM_UNWIND_OK, "evicted: deep sample: %d frames (%s)", r.n,
	       sym_unwind_stop_str(r.stop));
	for (i = 0; i < HOLE_PAGES; i++)
		if (holes[i] != MAP_FAILED)
			munmap(holes[i], 4096);
	return m;
}

NOINLINE static void test_speed(struct sym_unwinder *u, struct sym_cache *c, struct sym_maps *m)
{
	struct result r;
	uint64_t regs[64], t0, t1;
	int i, iters = 20000;

	sample_regs(&s_deep, regs);
	t0 = now_ns();
	r.n = sym_unwind(u, m, regs, s_deep.stack, s_deep.stack_size, r.ips, MAX_FRAMES, &r.stop);
	t1 = now_ns();
	tap_ok(r.n >= 10 && r.stop == SYM_UNWIND_OK, "deep: %d frames (%s)", r.n,
	       sym_unwind_stop_str(r.stop));
	tap_diag("first unwind (parses CFI): %" PRIu64 " ns", t1 - t0);
	t0 = now_ns();
	for (i = 0; i < iters; i++)
		r.n = sym_unwind(u, m, regs, s_deep.stack, s_deep.stack_size, r.ips, MAX_FRAMES,
				 &r.stop);
	t1 = now_ns();
	tap_diag("%d-frame unwind: %" PRIu64 " ns each (%d runs, cache warm)", r.n,
		 (t1 - t0) / iters, iters);
}

int main(void)
{
	struct sym_unwinder *u;
	struct sym_cache *c;
	struct sym_maps *m;
	struct result full, sig;
	int i, named = 1, x = 1;

	for (i = 0; i < SYM_UNWIND__MAX; i++)
		named &= strcmp(sym_unwind_stop_str(i), "unknown") != 0;
	tap_ok(named, "every stop reason has a name");

	stack_top = stack_top_of((uintptr_t)&x);
	OPAQUE(x);
	x = outer(x);
	OPAQUE(x);
	x += sorter();
	OPAQUE(x);
	x += deep(6);
	OPAQUE(x);
	x += signaller();
	OPAQUE(x);
	tap_ok(s_chain.stack_size > 0 && s_qsort.stack_size > 0 && s_signal.stack_size > 0,
	       "captured the samples");

	c = sym_cache__new();
	m = c ? sym_cache__maps(c, getpid(), 1) : NULL;
	u = sym_unwinder__new(c);
	if (!tap_ok(c && m && u, "cache, maps of this process, unwinder"))
		return tap_done();

	test_chain(u, c, m, &full);
	test_qsort(u, c, m);
	test_signal(u, c, m, &sig);
	test_short(u, c, m, &full);
	test_bad(u, m, &full);
	test_vdso(u, c, m, &full);
	{
		struct result again;

		unwind(u, m, &s_chain, s_chain.stack_size, &again);
		tap_ok(same_frames(&again, &full), "chain again after the others: same frames");
	}
	m = test_evicted(u, c, &full);
	if (!m)
		return tap_done();
	test_speed(u, c, m);
	test_other_process(u, c, m, &full, &sig);

	sym_unwinder__free(u);
	sym_cache__free(c);
	return tap_done();
}

#else /* !TEST_CAN_CAPTURE */

int main(void)
{
	struct sym_unwinder *u = sym_unwinder__new(NULL);
	enum sym_unwind_stop stop = SYM_UNWIND_OK;
	uint64_t regs[1] = {0}, ips[4];
	int ret;

	tap_ok(u != NULL, "unwinder__new");
	if (sym_unwind_regs_mask()) {
		/* an unwinder for this architecture, but no register capture in this test */
		tap_skip("registers are captured on x86_64 only");
	} else {
		ret = sym_unwind(u, NULL, regs, NULL, 0, ips, 4, &stop);
		tap_is_int(ret, -EOPNOTSUPP, "without libunwind or libelf: -EOPNOTSUPP");
		tap_ok(stop == SYM_UNWIND_UNSUPPORTED, "stop: %s", sym_unwind_stop_str(stop));
	}
	sym_unwinder__free(u);
	return tap_done();
}
#endif
