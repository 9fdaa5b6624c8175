/* SPDX-License-Identifier: MIT */
/*
 * plugins/python/walk: thread states and frame chains of a CPython process,
 * read through a callback (process_vm_readv in the plugin, a fake address
 * space in the tests).  Every loop is bounded and every pointer read is
 * checked by the read itself: garbage gives an error, never a crash.
 */
#include "config.h"
#include "pyframes.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define HDR_MAX 512 /* bytes of a thread state, frame or code object read at once */

const char *pyf_error_str(int e)
{
	static const char *const s[PYF_E__N] = {
		"ok",
		"no-thread-state",
		"read-failed",
		"not-a-code-object",
		"changed-during-read",
		"eval-frame-mismatch",
		"too-deep",
	};

	return e >= 0 && e < PYF_E__N ? s[e] : "?";
}

/* A fresh read of the target. */
static int rd_now(struct pyf_proc *p, uint64_t addr, void *buf, size_t len)
{
	if (!addr || addr + len < addr)
		return -EFAULT;
	p->reads++;
	return p->read(p->ctx, addr, buf, len) == (ssize_t)len ? 0 : -EFAULT;
}

/* A read through the pages kept for the current sample. */
static int rd(struct pyf_proc *p, uint64_t addr, void *buf, size_t len)
{
	uint64_t base = addr & ~(uint64_t)(PYF_PAGE - 1);
	struct pyf_page *pg;
	unsigned i;

	if (!addr || len > PYF_PAGE / 4 || addr - base + len > PYF_PAGE)
		return rd_now(p, addr, buf, len);
	for (i = 0; i < PYF_PAGES; i++) {
		pg = &p->pages[i];
		if (pg->base == base && pg->buf) {
			memcpy(buf, pg->buf + (addr - base), len);
			return 0;
		}
	}
	pg = &p->pages[p->next_page++ % PYF_PAGES];
	pg->base = 0;
	if (!pg->buf && !(pg->buf = malloc(PYF_PAGE)))
		return rd_now(p, addr, buf, len);
	if (rd_now(p, base, pg->buf, PYF_PAGE))
		return rd_now(p, addr, buf, len); /* a page not wholly readable */
	pg->base = base;
	memcpy(buf, pg->buf + (addr - base), len);
	return 0;
}

static uint64_t u64_at(const unsigned char *b, int off)
{
	uint64_t v;

	memcpy(&v, b + off, 8);
	return v;
}

static int32_t s32_at(const unsigned char *b, int off)
{
	int32_t v;

	memcpy(&v, b + off, 4);
	return v;
}

/* One past the largest of @n offsets (+8 for the field), at most HDR_MAX; 0 if one is out of range.
 */
static size_t span(const int *offs, unsigned n)
{
	size_t end = 0;
	unsigned i;

	for (i = 0; i < n; i++) {
		if (offs[i] < 0)
			continue;
		if ((size_t)offs[i] + 8 > HDR_MAX)
			return 0;
		if ((size_t)offs[i] + 8 > end)
			end = (size_t)offs[i] + 8;
	}
	return end;
}

int pyf_proc__init(struct pyf_proc *p, const struct pyf_offsets *o, uint64_t runtime,
		   pyf_read_fn read, void *ctx)
{
	memset(p, 0, sizeof(*p));
	p->o = *o;
	p->runtime = runtime;
	p->read = read;
	p->ctx = ctx;
	p->pthread_tid_off = 0x2d0; /* glibc x86-64; the plugin calibrates it */
	p->codes = calloc(PYF_CODE_SLOTS, sizeof(*p->codes));
	return p->codes ? 0 : -ENOMEM;
}

void pyf_proc__fini(struct pyf_proc *p)
{
	unsigned i;

	if (!p->codes)
		return;
	for (i = 0; i < PYF_CODE_SLOTS; i++)
		free(p->codes[i].table);
	for (i = 0; i < PYF_PAGES; i++)
		free(p->pages[i].buf);
	for (i = 0; p->spill && i < PYF_MAX_DEPTH; i++)
		free(p->spill[i].table);
	free(p->spill);
	p->spill = NULL;
	free(p->codes);
	p->codes = NULL;
}

/* --- strings ------------------------------------------------------------------------- */

static size_t put_utf8(char *out, size_t cap, size_t len, uint32_t c)
{
	unsigned char b[4];
	size_t n, i;

	if (c < 0x80) {
		b[0] = (unsigned char)c, n = 1;
	} else if (c < 0x800) {
		b[0] = (unsigned char)(0xc0 | c >> 6), b[1] = (unsigned char)(0x80 | (c & 63)),
		n = 2;
	} else if (c < 0x10000) {
		if (c >= 0xd800 && c < 0xe000)
			c = 0xfffd; /* a lone surrogate */
		b[0] = (unsigned char)(0xe0 | c >> 12),
		b[1] = (unsigned char)(0x80 | ((c >> 6) & 63));
		b[2] = (unsigned char)(0x80 | (c & 63)), n = 3;
	} else {
		if (c > 0x10ffff)
			c = 0xfffd;
		b[0] = (unsigned char)(0xf0 | c >> 18),
		b[1] = (unsigned char)(0x80 | ((c >> 12) & 63));
		b[2] = (unsigned char)(0x80 | ((c >> 6) & 63)),
		b[3] = (unsigned char)(0x80 | (c & 63));
		n = 4;
	}
	if (len + n >= cap)
		return len;
	for (i = 0; i < n; i++)
		out[len + i] = (char)b[i];
	return len + n;
}

/* A str object at @addr into @out (UTF-8, truncated to @cap-1 bytes); 0 or -EFAULT. */
static int read_str(struct pyf_proc *p, uint64_t addr, char *out, size_t cap)
{
	unsigned char h[HDR_MAX], data[PYF_FILE_MAX * 4];
	const struct pyf_offsets *o = &p->o;
	uint32_t state;
	int64_t length;
	unsigned kind, i;
	size_t len = 0, nbytes;
	uint64_t at;

	out[0] = 0;
	if ((size_t)o->compact_size > sizeof(h) || rd(p, addr, h, (size_t)o->ascii_size))
		return -EFAULT;
	memcpy(&state, h + o->unicode_state, 4);
	memcpy(&length, h + o->unicode_length, 8);
	kind = (state >> 2) & 7;
	if (!((state >> 5) & 1) || length < 0 || (kind != 1 && kind != 2 && kind != 4))
		return -EFAULT; /* names and file names are compact strings */
	if (length > PYF_FILE_MAX)
		length = PYF_FILE_MAX;
	at = addr + (uint64_t)(((state >> 6) & 1) ? o->ascii_size : o->compact_size);
	nbytes = (size_t)length * kind;
	if (nbytes && rd(p, at, data, nbytes))
		return -EFAULT;
	for (i = 0; i < (unsigned)length; i++) {
		uint32_t c;

		if (kind == 1) {
			c = data[i];
		} else if (kind == 2) {
			uint16_t v;

			memcpy(&v, data + 2 * i, 2);
			c = v;
		} else {
			memcpy(&c, data + 4 * i, 4);
		}
		if (!c)
			break;
		len = put_utf8(out, cap, len, c);
	}
	out[len] = 0;
	return 0;
}

/* The bytes object at @addr (a line table) into a malloc'd buffer. */
static int read_bytes(struct pyf_proc *p, uint64_t addr, uint8_t **out, uint32_t *n)
{
	int64_t size;

	*out = NULL;
	*n = 0;
	if (rd(p, addr + (uint64_t)p->o.bytes_size, &size, 8))
		return -EFAULT;
	if (size < 0 || size > PYF_LINETABLE_MAX)
		return -EFAULT;
	if (!size)
		return 0;
	*out = malloc((size_t)size);
	if (!*out)
		return -ENOMEM;
	if (rd(p, addr + (uint64_t)p->o.bytes_sval, *out, (size_t)size)) {
		free(*out);
		*out = NULL;
		return -EFAULT;
	}
	*n = (uint32_t)size;
	return 0;
}

/* --- code objects ---------------------------------------------------------------- */

static const struct pyf_code *read_code(struct pyf_proc *p, uint64_t addr)
{
	const struct pyf_offsets *o = &p->o;
	const int offs[] = {8,
			    o->code_filename,
			    o->code_name,
			    o->code_qualname,
			    o->code_linetable,
			    o->code_firstlineno};
	unsigned char h[HDR_MAX];
	size_t n = span(offs, sizeof(offs) / sizeof(offs[0]));
	struct pyf_code *c = &p->codes[((addr >> 4) * 0x9e3779b97f4a7c15ull) >>
				       (64 - 9)] /* 9 bits: PYF_CODE_SLOTS */;
	uint64_t filename, name, table;
	int first;

	if (!n || (addr & 7) || rd(p, addr, h, n))
		return NULL;
	if (p->code_type && u64_at(h, 8) != p->code_type)
		return NULL; /* not a code object: freed and reused, or garbage */
	filename = u64_at(h, o->code_filename);
	name = u64_at(h, o->code_qualname >= 0 ? o->code_qualname : o->code_name);
	table = u64_at(h, o->code_linetable);
	first = s32_at(h, o->code_firstlineno);
	if (c->addr == addr && c->filename == filename && c->name == name &&
	    c->linetable == table && c->firstlineno == first) {
		c->gen = p->gen;
		return c;
	}
	if (c->gen == p->gen && c->addr) {
		/* an earlier frame of this sample uses the slot: spill */
		if (!p->spill && !(p->spill = calloc(PYF_MAX_DEPTH, sizeof(*p->spill))))
			return NULL;
		if (p->nspill == PYF_MAX_DEPTH)
			return NULL;
		c = &p->spill[p->nspill++];
	}
	/* a miss: (re)fill the slot */
	p->code_misses++;
	free(c->table);
	memset(c, 0, sizeof(*c));
	if (read_str(p, name, c->func, sizeof(c->func)) ||
	    read_str(p, filename, c->file, sizeof(c->file)) ||
	    read_bytes(p, table, &c->table, &c->ntable)) {
		free(c->table);
		memset(c, 0, sizeof(*c));
		return NULL;
	}
	c->addr = addr;
	c->gen = p->gen;
	c->filename = filename;
	c->name = name;
	c->linetable = table;
	c->firstlineno = first;
	return c;
}

static int line_of(const struct pyf_proc *p, const struct pyf_code *c, int off)
{
	int line;

	if (p->o.version <= 309)
		line = pyf_line_lnotab(c->table, c->ntable, c->firstlineno, off);
	else if (p->o.version == 310)
		line = pyf_line_310(c->table, c->ntable, c->firstlineno, off);
	else
		line = pyf_line_311(c->table, c->ntable, c->firstlineno, off);
	if (line < 0 && off < 0)
		line = c->firstlineno;
	return line > 0 ? line : 0;
}

/* --- thread states ------------------------------------------------------------------ */

/* Does the thread state whose first bytes are @h belong to (namespace) tid @want? */
static int tstate_is(struct pyf_proc *p, const unsigned char *h, uint32_t want, uint64_t *thread_id)
{
	int32_t t;

	if (p->o.tstate_native_thread_id >= 0) {
		*thread_id = u64_at(h, p->o.tstate_native_thread_id);
		return *thread_id == want;
	}
	*thread_id = u64_at(h, p->o.tstate_thread_id);
	/* up to 3.10: thread_id is the pthread_t, a struct pthread holding the tid */
	if (!*thread_id || rd(p, *thread_id + p->pthread_tid_off, &t, 4))
		return 0;
	return (uint32_t)t == want;
}

static size_t tstate_span(const struct pyf_offsets *o)
{
	const int offs[] = {o->tstate_next, o->tstate_thread_id, o->tstate_native_thread_id,
			    o->tstate_frame};

	return span(offs, sizeof(offs) / sizeof(offs[0]));
}

int pyf_proc__tstate(struct pyf_proc *p, uint32_t tid, uint64_t *tstate)
{
	const struct pyf_offsets *o = &p->o;
	unsigned slot = tid % PYF_TID_SLOTS, ni, nt;
	unsigned char h[HDR_MAX];
	size_t n = tstate_span(o);
	uint64_t interp, ts, thread_id;
	uint32_t want = tid;

	if (!n)
		return PYF_E_READ;
	for (ni = 0; ni < PYF_PAGES; ni++)
		p->pages[ni].base = 0; /* a new sample: read afresh */
	p->gen++;
	p->nspill = 0;
	if (p->tids[slot].tid == tid && p->tids[slot].tstate) {
		/* still that thread's? (thread states are freed and reused) */
		int idf = o->tstate_native_thread_id >= 0 ? o->tstate_native_thread_id
							  : o->tstate_thread_id;

		if (!rd(p, p->tids[slot].tstate, h, n) &&
		    u64_at(h, idf) == p->tids[slot].thread_id) {
			*tstate = p->tids[slot].tstate;
			return PYF_OK;
		}
		p->tids[slot].tid = 0;
	}
	if (p->ns_tid && p->ns_tid(p->ctx, tid, &want))
		return PYF_E_NO_THREAD;
	if (rd(p, p->runtime + (uint64_t)o->runtime_interp_head, &interp, 8))
		return PYF_E_READ;
	for (ni = 0; interp && ni < 16; ni++) {
		if (rd(p, interp + (uint64_t)o->interp_tstate_head, &ts, 8))
			return PYF_E_READ;
		for (nt = 0; ts && nt < PYF_MAX_THREADS; nt++) {
			if (rd(p, ts, h, n))
				return PYF_E_READ;
			if (tstate_is(p, h, want, &thread_id)) {
				p->tids[slot].tid = tid;
				p->tids[slot].tstate = ts;
				p->tids[slot].thread_id = thread_id;
				*tstate = ts;
				return PYF_OK;
			}
			ts = u64_at(h, o->tstate_next);
		}
		if (rd(p, interp + (uint64_t)o->interp_next, &interp, 8))
			return PYF_E_READ;
	}
	return PYF_E_NO_THREAD;
}

/* The thread's current (leaf) frame: 0 or -EFAULT.  @fresh: not from the pages. */
static int current_frame(struct pyf_proc *p, uint64_t tstate, uint64_t *frame, int fresh)
{
	int (*r)(struct pyf_proc *, uint64_t, void *, size_t) = fresh ? rd_now : rd;
	uint64_t v;

	if (r(p, tstate + (uint64_t)p->o.tstate_frame, &v, 8))
		return -EFAULT;
	if (p->o.cframe_current_frame >= 0 && v &&
	    r(p, v + (uint64_t)p->o.cframe_current_frame, &v, 8))
		return -EFAULT;
	*frame = v;
	return 0;
}

int pyf_proc__walk(struct pyf_proc *p, uint64_t tstate, struct pyf_frame *out, unsigned cap,
		   unsigned *n)
{
	const struct pyf_offsets *o = &p->o;
	const int offs[] = {o->frame_back, o->frame_code, o->frame_instr, o->frame_owner,
			    o->frame_is_entry};
	size_t fn = span(offs, sizeof(offs) / sizeof(offs[0]));
	unsigned char h[HDR_MAX];
	uint64_t head, f, again;
	unsigned steps, k = 0;
	int ret = PYF_OK;

	*n = 0;
	if (!fn || current_frame(p, tstate, &head, 0))
		return PYF_E_READ;
	f = head;
	for (steps = 0; f && ret == PYF_OK; steps++) {
		const struct pyf_code *c;
		int off;

		if (k == cap || steps >= 2 * PYF_MAX_DEPTH) {
			ret = PYF_E_DEPTH;
			break;
		}
		if ((f & 7) || rd(p, f, h, fn))
			return PYF_E_READ;
		if (o->version >= 312 && h[o->frame_owner] == 3 /* FRAME_OWNED_BY_CSTACK */) {
			/* 3.12+: the shim frame an eval call starts with; ends a run */
			if (k)
				out[k - 1].entry = 1;
			f = u64_at(h, o->frame_back);
			continue;
		}
		c = read_code(p, u64_at(h, o->frame_code));
		if (!c)
			return PYF_E_GARBAGE;
		if (o->code_adaptive >= 0) {
			/* 3.11+: a pointer to the (last or next) instruction, in code units */
			int64_t d =
				(int64_t)(u64_at(h, o->frame_instr) -
					  (u64_at(h, o->frame_code) + (uint64_t)o->code_adaptive));

			off = d < -2 || d > (int64_t)1 << 30 ? -1 : (int)(d / 2);
		} else {
			off = s32_at(h, o->frame_instr);
			if (o->version == 310 && off >= 0)
				off *= 2; /* 3.10 counts code units */
		}
		out[k].code = c;
		out[k].line = line_of(p, c, off);
		out[k].entry =
			o->version <= 310 || (o->frame_is_entry >= 0 && h[o->frame_is_entry] != 0);
		k++;
		f = u64_at(h, o->frame_back);
	}
	if (k)
		out[k - 1].entry = 1; /* the root ends the last run */
	/* the frame we started from must still be the leaf: else it moved on
	 * while we read and the chain may mix two moments */
	if (current_frame(p, tstate, &again, 1))
		return PYF_E_READ;
	if (again != head)
		return PYF_E_CHANGED;
	*n = k;
	return ret;
}
