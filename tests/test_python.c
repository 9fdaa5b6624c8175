/* SPDX-License-Identifier: MIT */
/*
 * test_python: the Python plugin's pieces without a Python process --
 *  - the three line-table decoders on tables and expected lines taken from
 *    real interpreters (tests/data/python_linetables.h), and on every
 *    truncation of them;
 *  - 3.13's _Py_DebugOffsets (canned bytes of a real _PyRuntime) against the
 *    checked-in table;
 *  - the walker on a hand-built 3.12 address space (thread lookup, frames,
 *    entry frames, qualified names, lines);
 *  - the walker on a fuzzed address space (random words and pointers into
 *    it): it must return, whatever it reads (run it under ASan/UBSan).
 */
#include "config.h"
#include "tap.h"
#include "pyframes.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/python_linetables.h"
#include "data/python313_debug_offsets.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

typedef int (*line_fn)(const uint8_t *, size_t, int, int);

static void check_table(const char *what, line_fn fn, const uint8_t *t, size_t n, int first,
			const int (*exp)[2], size_t nexp)
{
	size_t i, bad = 0, cut;

	for (i = 0; i < nexp; i++) {
		int got = fn(t, n, first, exp[i][0]);

		if (got != exp[i][1] && bad++ < 5)
			tap_diag("%s: offset %d: line %d, expected %d", what, exp[i][0], got,
				 exp[i][1]);
	}
	tap_ok(bad == 0, "%s: %zu offsets, %zu wrong", what, nexp, bad);
	/* every truncation, and offsets past the end: no read outside the table */
	for (cut = 0; cut <= n; cut++) {
		uint8_t *c = malloc(cut ? cut : 1);

		memcpy(c, t, cut);
		for (i = 0; i < nexp; i += 7)
			(void)fn(c, cut, first, exp[i][0]);
		(void)fn(c, cut, first, 1 << 20);
		(void)fn(c, cut, first, -1);
		free(c);
	}
	tap_ok(1, "%s: every truncation decodes within bounds", what);
}

static int max_line(const int (*exp)[2], size_t n)
{
	int m = 0;

	while (n--)
		if (exp[n][1] > m)
			m = exp[n][1];
	return m;
}

/* the index of the last expected entry with the highest line */
static int k_of_max(const int (*exp)[2], size_t n)
{
	int m = max_line(exp, n);

	while (n--)
		if (exp[n][1] == m)
			return (int)n;
	return 0;
}

static void test_linetables(void)
{
	check_table("lnotab (3.8)", pyf_line_lnotab, py38_table, sizeof(py38_table), py38_first,
		    py38_expect, N(py38_expect));
	check_table("linetable (3.10)", pyf_line_310, py310_table, sizeof(py310_table), py310_first,
		    py310_expect, N(py310_expect));
	check_table("location table (3.11)", pyf_line_311, py311_table, sizeof(py311_table),
		    py311_first, py311_expect, N(py311_expect));
	check_table("location table (3.12)", pyf_line_311, py312_table, sizeof(py312_table),
		    py312_first, py312_expect, N(py312_expect));
	check_table("location table (3.13)", pyf_line_311, py313_table, sizeof(py313_table),
		    py313_first, py313_expect, N(py313_expect));
	/* a long jump takes several lnotab pairs / a multi-byte varint */
	tap_ok(max_line(py38_expect, N(py38_expect)) > py38_first + 300 &&
		       max_line(py312_expect, N(py312_expect)) > py312_first + 300,
	       "the canned tables include a jump of more than 300 lines");
}

static void test_debug_offsets(void)
{
	const struct pyf_offsets *t = pyf_offsets__find(313);
	struct pyf_offsets o;
	unsigned char bad[sizeof(py313_debug_offsets)];

	tap_ok(t != NULL, "the table has 3.13");
	tap_is_int(pyf_offsets__from_debug(py313_debug_offsets, sizeof(py313_debug_offsets), &o), 0,
		   "_Py_DebugOffsets of 3.13.0 parse");
	if (!t)
		return;
#define SAME(f) tap_is_int(o.f, t->f, "debug offsets: " #f)
	SAME(runtime_interp_head);
	SAME(interp_next);
	SAME(interp_tstate_head);
	SAME(tstate_next);
	SAME(tstate_thread_id);
	SAME(tstate_native_thread_id);
	SAME(tstate_frame);
	SAME(cframe_current_frame);
	SAME(frame_back);
	SAME(frame_code);
	SAME(frame_instr);
	SAME(frame_owner);
	SAME(code_filename);
	SAME(code_name);
	SAME(code_qualname);
	SAME(code_linetable);
	SAME(code_firstlineno);
	SAME(code_adaptive);
	SAME(unicode_state);
	SAME(unicode_length);
	SAME(ascii_size);
	SAME(compact_size);
	SAME(bytes_size);
	SAME(bytes_sval);
#undef SAME
	memcpy(bad, py313_debug_offsets, sizeof(bad));
	bad[0] ^= 1;
	tap_is_int(pyf_offsets__from_debug(bad, sizeof(bad), &o), -EINVAL,
		   "a wrong cookie is refused");
	memcpy(bad, py313_debug_offsets, sizeof(bad));
	bad[10] = 0x0c; /* version 3.12 */
	tap_is_int(pyf_offsets__from_debug(bad, sizeof(bad), &o), -EINVAL,
		   "another version's layout is refused");
	tap_is_int(pyf_offsets__from_debug(py313_debug_offsets, 100, &o), -EINVAL,
		   "a short buffer is refused");
}

/* --- a fake address space ---------------------------------------------------------- */

#define BASE 0x7f0000000000ull
#define SIZE (1u << 16)

static unsigned char *mem;

static ssize_t fake_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	(void)ctx;
	if (addr < BASE || addr - BASE > SIZE || len > SIZE - (addr - BASE))
		return -EFAULT;
	memcpy(buf, mem + (addr - BASE), len);
	return (ssize_t)len;
}

static void put64(uint64_t at, uint64_t v)
{
	memcpy(mem + (at - BASE), &v, 8);
}

static void put32(uint64_t at, uint32_t v)
{
	memcpy(mem + (at - BASE), &v, 4);
}

static uint64_t put_str(uint64_t at, const struct pyf_offsets *o, const char *s)
{
	uint32_t state = 1u << 2 | 1u << 5 | 1u << 6; /* kind 1, compact, ascii */

	put32(at + (uint64_t)o->unicode_state, state);
	put64(at + (uint64_t)o->unicode_length, strlen(s));
	memcpy(mem + (at - BASE) + o->ascii_size, s, strlen(s) + 1);
	return at;
}

static uint64_t put_bytes(uint64_t at, const struct pyf_offsets *o, const uint8_t *b, size_t n)
{
	put64(at + (uint64_t)o->bytes_size, n);
	memcpy(mem + (at - BASE) + o->bytes_sval, b, n);
	return at;
}

#define CODE_TYPE (BASE + 0x100)

static uint64_t rnd(void);
static uint64_t rnd_next(void)
{
	return rnd();
}

static uint64_t put_code(uint64_t at, const struct pyf_offsets *o, const char *qualname)
{
	uint64_t file = put_str(at + 0x400, o, "/srv/app.py");
	uint64_t name = put_str(at + 0x480, o, qualname);
	uint64_t table = put_bytes(at + 0x500, o, py312_table, sizeof(py312_table));

	put64(at + 8, CODE_TYPE);
	put64(at + (uint64_t)o->code_filename, file);
	put64(at + (uint64_t)o->code_name, name);
	put64(at + (uint64_t)o->code_qualname, name);
	put64(at + (uint64_t)o->code_linetable, table);
	put32(at + (uint64_t)o->code_firstlineno, (uint32_t)py312_first);
	return at;
}

/* frame at @at running @code at code unit @unit, called from @back */
static void put_frame(uint64_t at, const struct pyf_offsets *o, uint64_t code, int unit,
		      uint64_t back, int owner)
{
	put64(at + (uint64_t)o->frame_code, code);
	put64(at + (uint64_t)o->frame_back, back);
	put64(at + (uint64_t)o->frame_instr,
	      code + (uint64_t)o->code_adaptive + 2u * (unsigned)unit);
	mem[at - BASE + (uint64_t)o->frame_owner] = (unsigned char)owner;
}

static void test_walk_312(void)
{
	const struct pyf_offsets *o = pyf_offsets__find(312);
	struct pyf_proc p;
	struct pyf_frame f[8];
	uint64_t runtime = BASE + 0x1000, interp = BASE + 0x1400, ts1 = BASE + 0x1800,
		 ts2 = BASE + 0x1c00, cframe = BASE + 0x2000, tstate = 0;
	uint64_t c_mod = put_code(BASE + 0x4000, o, "<module>");
	uint64_t c_a = put_code(BASE + 0x5000, o, "App.handle");
	uint64_t c_b = put_code(BASE + 0x6000, o, "parse");
	uint64_t fr = BASE + 0x8000; /* the data stack: shim, <module>, shim, handle, parse */
	unsigned n = 0;
	int k_mod = 3, k_b = k_of_max(py312_expect, N(py312_expect));

	memset(mem, 0, SIZE);
	c_mod = put_code(BASE + 0x4000, o, "<module>");
	c_a = put_code(BASE + 0x5000, o, "App.handle");
	c_b = put_code(BASE + 0x6000, o, "parse");
	put64(runtime + (uint64_t)o->runtime_interp_head, interp);
	put64(interp + (uint64_t)o->interp_tstate_head, ts1);
	put64(ts1 + (uint64_t)o->tstate_next, ts2);
	put64(ts1 + (uint64_t)o->tstate_native_thread_id, 100);
	put64(ts2 + (uint64_t)o->tstate_native_thread_id, 101);
	put64(ts2 + (uint64_t)o->tstate_frame, cframe);
	put64(cframe + (uint64_t)o->cframe_current_frame, fr + 0x200);
	put_frame(fr + 0x000, o, 0, 0, 0, 3); /* shim of the first eval call */
	put_frame(fr + 0x080, o, c_mod, py312_expect[k_mod][0], fr, 0);
	put_frame(fr + 0x100, o, 0, 0, fr + 0x080, 3); /* shim of the second */
	put_frame(fr + 0x180, o, c_a, 0, fr + 0x100, 0);
	put_frame(fr + 0x200, o, c_b, py312_expect[k_b][0], fr + 0x180, 0);

	tap_is_int(pyf_proc__init(&p, o, runtime, fake_read, NULL), 0, "3.12: proc init");
	p.code_type = CODE_TYPE;
	tap_is_int(pyf_proc__tstate(&p, 101, &tstate), PYF_OK, "3.12: thread 101 found");
	tap_ok(tstate == ts2, "3.12: ... its thread state is the second");
	tap_is_int(pyf_proc__tstate(&p, 102, &tstate), PYF_E_NO_THREAD, "3.12: no thread 102");
	tap_is_int(pyf_proc__tstate(&p, 101, &tstate), PYF_OK, "3.12: thread 101 again (cached)");
	tap_is_int(pyf_proc__walk(&p, ts2, f, 8, &n), PYF_OK, "3.12: walk");
	tap_is_int((int)n, 3, "3.12: three Python frames (shims skipped)");
	if (n == 3) {
		tap_is_str(f[0].code->func, "parse", "3.12: leaf is parse");
		tap_is_str(f[1].code->func, "App.handle", "3.12: then App.handle (qualified)");
		tap_is_str(f[2].code->func, "<module>", "3.12: root is <module>");
		tap_is_str(f[0].code->file, "/srv/app.py", "3.12: file name");
		tap_is_int(f[0].line, py312_expect[k_b][1],
			   "3.12: leaf line from the location table");
		tap_is_int(f[1].line, py312_first, "3.12: a frame at its first instruction");
		tap_is_int(f[2].line, py312_expect[k_mod][1], "3.12: root line");
		tap_ok(!f[0].entry && f[1].entry && f[2].entry,
		       "3.12: entry frames: handle (under a shim) and the root");
	}
	/* a code object pointer to something that is not a code object */
	put64(fr + 0x180 + (uint64_t)o->frame_code, BASE + 0x3000);
	tap_is_int(pyf_proc__walk(&p, ts2, f, 8, &n), PYF_E_GARBAGE,
		   "3.12: a frame whose code is not a code object fails the walk");
	/* a cycle: the walk is bounded */
	put_frame(fr + 0x180, o, c_a, 0, fr + 0x200, 0);
	tap_is_int(pyf_proc__walk(&p, ts2, f, 8, &n), PYF_E_DEPTH,
		   "3.12: a cycle stops at the cap");
	/* random bytes where the frames and code objects are: the valid
	 * structure, corrupted anew for each walk */
	put_frame(fr + 0x180, o, c_a, 0, fr + 0x100, 0);
	{
		unsigned char *good = malloc(SIZE);
		unsigned it, j, complete = 0;

		memcpy(good, mem, SIZE);
		for (it = 0; it < 20000; it++) {
			memcpy(mem, good, SIZE);
			for (j = 0; j < 1 + it % 8; j++) {
				uint64_t at = 0x4000 + rnd_next() % 0x4400;

				mem[at] = (unsigned char)rnd_next();
			}
			p.nspill = 0;
			if (pyf_proc__tstate(&p, 101, &tstate) == PYF_OK &&
			    pyf_proc__walk(&p, tstate, f, 8, &n) == PYF_OK)
				complete++;
		}
		tap_ok(1,
		       "3.12: 20000 walks over corrupted frames and code objects return "
		       "(%u complete)",
		       complete);
		memcpy(mem, good, SIZE);
		free(good);
	}
	pyf_proc__fini(&p);
}

static uint64_t rnd_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

static void fuzz_fill(void)
{
	unsigned i;

	for (i = 0; i + 8 <= SIZE; i += 8) {
		uint64_t v = rnd();

		switch (v % 4) {
		case 0: /* a pointer into the space, aligned */
			v = BASE + ((v >> 8) % SIZE & ~7ull);
			break;
		case 1: /* a small number */
			v = (v >> 8) % 300;
			break;
		case 2:
			v = CODE_TYPE;
			break;
		default:
			break;
		}
		memcpy(mem + i, &v, 8);
	}
}

static void test_fuzz(void)
{
	static const int versions[] = {308, 309, 310, 311, 312, 313};
	struct pyf_frame f[PYF_MAX_DEPTH];
	unsigned vi, it, ok = 0, walks = 0, frames = 0;

	for (vi = 0; vi < N(versions); vi++) {
		const struct pyf_offsets *o = pyf_offsets__find(versions[vi]);
		struct pyf_proc p;

		if (!o || pyf_proc__init(&p, o, BASE, fake_read, NULL)) {
			tap_ok(0, "fuzz %d: init", versions[vi]);
			continue;
		}
		p.pthread_tid_off = 16;
		for (it = 0; it < 3000; it++) {
			uint64_t ts = 0;
			unsigned n = 0;
			int r;

			if (it % 100 == 0)
				fuzz_fill();
			p.runtime = BASE + (rnd() % SIZE & ~7ull);
			p.code_type = it % 2 ? CODE_TYPE : 0;
			r = pyf_proc__tstate(&p, (uint32_t)(rnd() % 300), &ts);
			if (r != PYF_OK)
				ts = BASE + (rnd() % SIZE & ~7ull);
			r = pyf_proc__walk(&p, ts, f, PYF_MAX_DEPTH, &n);
			walks++;
			if (r == PYF_OK || r == PYF_E_DEPTH)
				frames += n, ok++;
			if (n > PYF_MAX_DEPTH)
				break;
		}
		tap_ok(it == 3000, "fuzz %d: 3000 walks over random memory return", versions[vi]);
		pyf_proc__fini(&p);
	}
	tap_diag("fuzz: %u walks, %u complete, %u frames read", walks, ok, frames);
}

int main(void)
{
	mem = calloc(1, SIZE);
	if (!mem)
		return 1;
	test_linetables();
	test_debug_offsets();
	test_walk_312();
	test_fuzz();
	free(mem);
	return tap_done();
}
