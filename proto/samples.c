/* SPDX-License-Identifier: MIT */
/*
 * proto/samples: sample streams as PerfSample packets (see samples.h).
 *
 * Interning.  Seven tables per stream, one per InternedData field written:
 * function_names, frames, callstacks, build_ids, mapping_paths, source_paths
 * and mappings.  Each maps an entry's content (a key of bytes, kept in the
 * table's arena) to its iid, by open addressing.  Keys:
 *   string     its bytes
 *   mapping    start, end, pgoff, load_bias, then the path and build id bytes
 *   frame      mapping iid, rel_pc, kind, line, then the function name and
 *              source path bytes
 *   callstack  the frame iids, root first
 * The names are in the frame key, so only a new frame interns its function
 * name and source path.  In front of the frame and mapping tables, small
 * direct-mapped caches keyed by what the caller passed (pointers included,
 * strings re-checked on a hit) spare a known frame the hashing of its
 * strings; within one sample, a run of frames of one binary reuses the
 * previous frame's mapping.
 *
 * A new entry is encoded at once into the pending buffer of its field; the
 * next packet of the stream (the one that first uses it) carries all pending
 * entries in its interned_data.  A sample that fails half-way (ENOMEM) leaves
 * its new entries pending for the next packet, so what the tables hold and
 * what the trace defines never disagree.
 *
 * Memory.  Tables, arenas and scratch buffers only grow, and only for new
 * entries (or a longer stack than seen before): a stream that has seen its
 * stacks allocates nothing.  When the live entries pass max_intern_bytes the
 * next sample starts a new generation: tables emptied (capacity kept),
 * CLEARED|NEEDS with the defaults again, iids from 1.
 */
#include "config.h"
#include "compiler.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "proto/intern.h"
#include "proto/internal.h"
#include "proto/pbenc.h"
#include "proto/samples.h"
#include "proto/testing.h"
#include "proto/writer.h"

#define PS_DEFAULT_MAX_INTERN ((size_t)16 << 20)
/* arena offsets are 32-bit: stay far below 4 GiB */
#define PS_MAX_INTERN_CAP ((size_t)1 << 30)
#define PS_BUILD_ID_MAX 64
#define PS_NAME_MAX 256
/* room in front of a packet body for its "0x0A <len>" */
#define PS_HEADROOM 16
/* upper bound of one encoded Frame / Mapping entry, framing included */
#define PS_ENTRY_MAX (2 * (PB_TAG_MAX + PB_LEN_MAX) + 8 * PB_FIELD_MAX)

enum {
	SEQ_INCREMENTAL_STATE_CLEARED = 1,
	SEQ_NEEDS_INCREMENTAL_STATE = 2,
};

/* field numbers (perfetto_trace.proto) */
enum {
	TP_TIMESTAMP = 8,
	TP_SEQ_ID = 10,
	TP_INTERNED_DATA = 12,
	TP_SEQUENCE_FLAGS = 13,
	TP_TRACE_PACKET_DEFAULTS = 59,
	TP_PERF_SAMPLE = 66,
	TP_FIRST_PACKET_ON_SEQUENCE = 87,
	TPD_PERF_SAMPLE_DEFAULTS = 12,
	PSD_TIMEBASE = 1,
	TB_PERIOD = 1,
	TB_FREQUENCY = 2,
	TB_TRACEPOINT = 3,
	TB_COUNTER = 4,
	TB_NAME = 10,
	TRACEPOINT_NAME = 1,
	IS_IID = 1,
	IS_STR = 2,
	MA_IID = 1,
	MA_BUILD_ID = 2,
	MA_START_OFFSET = 3,
	MA_START = 4,
	MA_END = 5,
	MA_LOAD_BIAS = 6,
	MA_PATH_STRING_IDS = 7,
	FR_IID = 1,
	FR_FUNCTION_NAME_ID = 2,
	FR_MAPPING_ID = 3,
	FR_REL_PC = 4,
	FR_SOURCE_PATH_IID = 5,
	FR_LINE_NUMBER = 6,
	FR_KIND = 7,
	CS_IID = 1,
	CS_FRAME_IDS = 2,
	PS_CPU = 1,
	PS_PID = 2,
	PS_TID = 3,
	PS_CALLSTACK_IID = 4,
	PS_CPU_MODE = 5,
	PS_TIMEBASE_COUNT = 6,
	PS_UNWIND_ERROR = 16,
	PS_KERNEL_RECORDS_LOST = 17,
};

/* The tables, in the order (field number order) their entries go out. */
enum ps_tab { T_FUNC, T_FRAME, T_STACK, T_BUILD_ID, T_PATH, T_SOURCE, T_MAPPING, T_NUM };

static const uint32_t tab_field[T_NUM] = {
	[T_FUNC] = 5,	   /* InternedData.function_names */
	[T_FRAME] = 6,	   /* frames */
	[T_STACK] = 7,	   /* callstacks */
	[T_BUILD_ID] = 16, /* build_ids */
	[T_PATH] = 17,	   /* mapping_paths */
	[T_SOURCE] = 18,   /* source_paths */
	[T_MAPPING] = 19,  /* mappings */
};

struct ps_buf {
	uint8_t *p;
	size_t len, cap;
};

/* Mapping key, followed by the path and build id bytes. */
struct map_key {
	uint64_t start, end, pgoff, load_bias;
	uint32_t path_len, build_id_len;
};

/* Frame key, followed by the function name and source path bytes. */
struct frame_key {
	uint64_t rel_pc;
	uint32_t mapping, kind, line, fn_len, src_len, zero;
};

_Static_assert(sizeof(struct map_key) == 40, "map_key has no padding");
_Static_assert(sizeof(struct frame_key) == 32, "frame_key has no padding");

/*
 * The previous frame's mapping within one pw_stream__sample() call.  Equal
 * pointers stand for equal contents only while the caller's sample is in our
 * hands, so this never outlives the call.
 */
struct map_memo {
	const char *path;
	const uint8_t *build_id;
	uint64_t start, end, pgoff, load_bias;
	uint32_t build_id_len;
	uint32_t iid;
};

/*
 * Front caches, from what the caller passed (its pointers included) to an
 * iid, so that a known frame or mapping costs no hashing of its strings.
 * Pointers only pick and pre-check the entry: a hit is confirmed by comparing
 * the strings with the entry's key bytes, as the caller may reuse memory for
 * other strings between samples.  Entries of an older generation never match.
 */
#define PS_FRAME_CACHE 1024
#define PS_MAP_CACHE 64

struct frame_cent {
	const char *fn, *src;
	uint64_t rel_pc;
	uint32_t mapping, kind, line, fn_len, src_len;
	uint32_t gen, iid, off; /* off: the frame's key in the frames arena */
};

struct map_cent {
	const char *path;
	const uint8_t *build_id;
	uint64_t start, end, pgoff, load_bias;
	uint32_t path_len, build_id_len;
	uint32_t gen, iid, off; /* off: the mapping's key in the mappings arena */
};

struct pw_stream {
	struct pw_writer *w;
	uint32_t seq;
	size_t max_bytes;
	size_t live;	     /* bytes accounted to this generation's entries */
	bool started;	     /* a packet went out on the sequence */
	bool clear;	     /* the next packet starts a generation */
	uint32_t gen;	     /* generation number, from 1 (for the front caches) */
	uint32_t kernel_map; /* the kernel mapping's iid in this generation, 0: not yet */
	struct pi_table tab[T_NUM];
	struct ps_buf pend[T_NUM]; /* encoded entries for the next packet, per field */
	struct ps_buf fids;	   /* scratch: the sample's frame iids (uint32_t) */
	struct ps_buf pkt;	   /* scratch: the packet being built */
	uint8_t *defaults;	   /* the encoded trace_packet_defaults field */
	size_t defaults_len;
	struct pw_stream_stats st;
	struct map_cent mcache[PS_MAP_CACHE];
	struct frame_cent fcache[PS_FRAME_CACHE];
};

/* --- hashing, buffers, tables ---------------------------------------------------- */

/* 64x64 -> 128 multiply folded to 64 bits (a multiply-xorshift where there is no __int128) */
static inline uint64_t mum(uint64_t a, uint64_t b)
{
#ifdef __SIZEOF_INT128__
	__uint128_t r = (__uint128_t)a * b;

	return (uint64_t)r ^ (uint64_t)(r >> 64);
#else
	uint64_t r = (a ^ (a >> 31)) * (b | 1);

	return r ^ (r >> 32);
#endif
}

#define HK0 0xa0761d6478bd642full
#define HK1 0xe7037ed1a0b428dbull

/*
 * Continues hash @h over @n bytes (wyhash-like: 16 bytes a multiply).  Only a
 * table index: equal keys are confirmed by comparing bytes anyway.
 */
static inline uint64_t hash_more(uint64_t h, const void *key, size_t n)
{
	const uint8_t *p = key;
	uint64_t a, b;

	for (; n > 16; p += 16, n -= 16)
		h = mum(pi_load64(p) ^ HK1, pi_load64(p + 8) ^ h);
	if (n > 8) {
		a = pi_load64(p);
		b = pi_load64(p + n - 8);
	} else if (n >= 4) {
		a = pi_load32(p);
		b = pi_load32(p + n - 4);
	} else if (n) {
		a = ((uint64_t)p[0] << 16) | ((uint64_t)p[n >> 1] << 8) | p[n - 1];
		b = 0;
	} else {
		return h;
	}
	return mum(a ^ HK1, b ^ h ^ n);
}

/* A key in pieces (struct pi_piece: header, name, ...) is hashed without copying it together. */
static inline uint32_t key_hash(const struct pi_piece *k, int nk)
{
	uint64_t h = HK0;
	int i;

	for (i = 0; i < nk; i++)
		h = hash_more(h, k[i].p, k[i].n);
	return (uint32_t)mum(h, HK1);
}

/* Makes room for @n more bytes after b->len. */
static int buf_reserve(struct pw_stream *s, struct ps_buf *b, size_t n)
{
	size_t cap;
	uint8_t *p;

	if (likely(b->cap - b->len >= n))
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap - b->len < n)
		cap *= 2;
	p = realloc(b->p, cap);
	if (!p)
		return -ENOMEM;
	s->st.memory_bytes += cap - b->cap;
	b->p = p;
	b->cap = cap;
	return 0;
}

/* Adds the key, known to be absent, as the next iid of table @t. */
static int tab_add(struct pw_stream *s, struct pi_table *t, const struct pi_piece *k, int nk,
		   uint32_t len, uint32_t h, uint32_t *iid)
{
	if (pi_add(t, k, nk, len, h, iid, &s->st.memory_bytes) < 0)
		return -ENOMEM;
	s->live += len + PI_ENTRY_OVERHEAD;
	return 0;
}

static void new_generation(struct pw_stream *s)
{
	int t;

	for (t = 0; t < T_NUM; t++) {
		pi_clear(&s->tab[t]);
		s->pend[t].len = 0;
	}
	s->live = 0;
	s->gen++;
	s->kernel_map = 0;
	s->clear = true;
}

void pw_stream__restart(struct pw_stream *s)
{
	new_generation(s);
}

/* --- interning ------------------------------------------------------------------- */

/* A non-empty string of table @t. */
static int intern_str(struct pw_stream *s, enum ps_tab t, const void *str, uint32_t len,
		      uint32_t *iid)
{
	struct pi_piece k[1] = {{str, len}};
	uint32_t h = key_hash(k, 1);
	struct ps_buf *b = &s->pend[t];
	uint8_t *p, *lp;

	*iid = pi_find(&s->tab[t], k, 1, len, h);
	if (*iid)
		return 0;
	if (buf_reserve(s, b, 2 * (PB_TAG_MAX + PB_LEN_MAX) + PB_FIELD_MAX + len) < 0 ||
	    tab_add(s, &s->tab[t], k, 1, len, h, iid) < 0)
		return -ENOMEM;
	p = b->p + b->len;
	lp = pb_msg_begin(p, tab_field[t]);
	p = pb_u64(pb_msg_body(lp), IS_IID, *iid);
	p = pb_bytes(p, IS_STR, str, len);
	p = pb_msg_end(lp, p);
	b->len = (size_t)(p - b->p);
	s->st.interned_strings++;
	return 0;
}

/* *@off: where the mapping's key is in the mappings arena */
static int intern_mapping(struct pw_stream *s, const struct map_key *mk, const char *path,
			  const uint8_t *build_id, uint32_t *iid, uint32_t *off)
{
	struct pi_piece k[3] = {
		{mk, sizeof(*mk)},
		{path, mk->path_len},
		{build_id, mk->build_id_len},
	};
	uint32_t len = (uint32_t)sizeof(*mk) + mk->path_len + mk->build_id_len;
	uint32_t h = key_hash(k, 3), path_iid = 0, bid_iid = 0;
	const struct pi_slot *sl = pi_lookup(&s->tab[T_MAPPING], k, 3, len, h);
	struct ps_buf *b = &s->pend[T_MAPPING];
	uint8_t *p, *lp;

	if (sl) {
		*iid = sl->iid;
		*off = sl->off;
		return 0;
	}
	*off = (uint32_t)s->tab[T_MAPPING].used;
	if ((mk->path_len && intern_str(s, T_PATH, path, mk->path_len, &path_iid) < 0) ||
	    (mk->build_id_len &&
	     intern_str(s, T_BUILD_ID, build_id, mk->build_id_len, &bid_iid) < 0) ||
	    buf_reserve(s, b, PS_ENTRY_MAX) < 0 ||
	    tab_add(s, &s->tab[T_MAPPING], k, 3, len, h, iid) < 0)
		return -ENOMEM;
	p = b->p + b->len;
	lp = pb_msg_begin(p, tab_field[T_MAPPING]);
	p = pb_u64(pb_msg_body(lp), MA_IID, *iid);
	if (bid_iid)
		p = pb_u64(p, MA_BUILD_ID, bid_iid);
	if (mk->pgoff)
		p = pb_u64(p, MA_START_OFFSET, mk->pgoff);
	p = pb_u64(p, MA_START, mk->start);
	p = pb_u64(p, MA_END, mk->end);
	if (mk->load_bias)
		p = pb_u64(p, MA_LOAD_BIAS, mk->load_bias);
	if (path_iid)
		p = pb_u64(p, MA_PATH_STRING_IDS, path_iid); /* repeated, unpacked as upstream */
	p = pb_msg_end(lp, p);
	b->len = (size_t)(p - b->p);
	s->st.interned_mappings++;
	return 0;
}

/* The conventional kernel mapping: start = end = 0, no build id, path ["kernel"]. */
static int kernel_mapping(struct pw_stream *s, uint32_t *iid)
{
	struct map_key k = {.path_len = 6};
	uint32_t off;
	int ret;

	if (likely(s->kernel_map)) {
		*iid = s->kernel_map;
		return 0;
	}
	ret = intern_mapping(s, &k, "kernel", NULL, iid, &off);
	if (!ret)
		s->kernel_map = *iid;
	return ret;
}

/* @str (the caller's, NUL-terminated) is the @n key bytes at @key, cut as strnlen() cuts. */
static inline bool str_is(const char *str, const uint8_t *key, uint32_t n)
{
	if (!str)
		return !n;
	/* key bytes hold no NUL: strncmp stops at the caller's NUL, never reads past it */
	if (n && strncmp(str, (const char *)key, n))
		return false;
	return n == PW_STREAM_STR_MAX || str[n] == '\0';
}

static int frame_mapping(struct pw_stream *s, const struct pw_frame *f, struct map_memo *m,
			 uint32_t *iid)
{
	struct map_cent *e;
	struct map_key k;
	uint32_t bl, off;
	int ret;

	if (f->kind == PW_FRAME_KERNEL)
		return kernel_mapping(s, iid);
	if (!f->map_path) {
		*iid = 0;
		return 0;
	}
	bl = f->build_id ? f->build_id_len : 0;
	if (bl > PS_BUILD_ID_MAX)
		bl = PS_BUILD_ID_MAX;
	/* frames of one binary come in runs */
	if (m->iid && m->path == f->map_path && m->start == f->map_start && m->end == f->map_end &&
	    m->pgoff == f->map_pgoff && m->load_bias == f->map_load_bias &&
	    m->build_id == f->build_id && m->build_id_len == bl) {
		*iid = m->iid;
		return 0;
	}
	e = &s->mcache[mum((uintptr_t)f->map_path ^ f->map_start ^ HK0, f->map_pgoff ^ HK1) &
		       (PS_MAP_CACHE - 1)];
	if (e->gen == s->gen && e->path == f->map_path && e->start == f->map_start &&
	    e->end == f->map_end && e->pgoff == f->map_pgoff && e->load_bias == f->map_load_bias &&
	    e->build_id == f->build_id && e->build_id_len == bl) {
		const uint8_t *key = s->tab[T_MAPPING].arena + e->off + sizeof(k);

		if (str_is(f->map_path, key, e->path_len) &&
		    (!bl || !memcmp(f->build_id, key + e->path_len, bl))) {
			*iid = e->iid;
			goto memo;
		}
	}
	memset(&k, 0, sizeof(k));
	k.start = f->map_start;
	k.end = f->map_end;
	k.pgoff = f->map_pgoff;
	k.load_bias = f->map_load_bias;
	k.path_len = (uint32_t)strnlen(f->map_path, PW_STREAM_STR_MAX);
	k.build_id_len = bl;
	ret = intern_mapping(s, &k, f->map_path, f->build_id, iid, &off);
	if (ret < 0)
		return ret;
	e->path = f->map_path;
	e->build_id = f->build_id;
	e->start = f->map_start;
	e->end = f->map_end;
	e->pgoff = f->map_pgoff;
	e->load_bias = f->map_load_bias;
	e->path_len = k.path_len;
	e->build_id_len = bl;
	e->gen = s->gen;
	e->iid = *iid;
	e->off = off;
memo:
	m->path = f->map_path;
	m->build_id = f->build_id;
	m->start = f->map_start;
	m->end = f->map_end;
	m->pgoff = f->map_pgoff;
	m->load_bias = f->map_load_bias;
	m->build_id_len = bl;
	m->iid = *iid;
	return 0;
}

static int intern_frame(struct pw_stream *s, const struct pw_frame *f, struct map_memo *m,
			uint32_t *iid)
{
	const struct pi_slot *sl;
	struct frame_cent *e;
	struct frame_key fk;
	struct pi_piece k[3];
	uint32_t len, h, fn_iid = 0, src_iid = 0, mapping, off;
	struct ps_buf *b = &s->pend[T_FRAME];
	uint8_t *p, *lp;
	int ret;

	ret = frame_mapping(s, f, m, &mapping);
	if (ret < 0)
		return ret;
	e = &s->fcache[mum((uintptr_t)f->function ^ f->rel_pc ^ HK0,
			   ((uint64_t)mapping << 32 | f->line) ^ (uintptr_t)f->source_file ^ HK1) &
		       (PS_FRAME_CACHE - 1)];
	if (likely(e->gen == s->gen && e->fn == f->function && e->rel_pc == f->rel_pc &&
		   e->mapping == mapping && e->kind == f->kind && e->line == f->line &&
		   e->src == f->source_file)) {
		const uint8_t *key = s->tab[T_FRAME].arena + e->off + sizeof(fk);

		if (likely(str_is(f->function, key, e->fn_len) &&
			   str_is(f->source_file, key + e->fn_len, e->src_len))) {
			*iid = e->iid;
			return 0;
		}
	}

	memset(&fk, 0, sizeof(fk));
	fk.mapping = mapping;
	fk.rel_pc = f->rel_pc;
	fk.kind = f->kind;
	fk.line = f->line;
	fk.fn_len = f->function ? (uint32_t)strnlen(f->function, PW_STREAM_STR_MAX) : 0;
	fk.src_len = f->source_file ? (uint32_t)strnlen(f->source_file, PW_STREAM_STR_MAX) : 0;
	k[0] = (struct pi_piece){&fk, sizeof(fk)};
	k[1] = (struct pi_piece){f->function, fk.fn_len};
	k[2] = (struct pi_piece){f->source_file, fk.src_len};
	len = (uint32_t)sizeof(fk) + fk.fn_len + fk.src_len;
	h = key_hash(k, 3);
	sl = pi_lookup(&s->tab[T_FRAME], k, 3, len, h);
	if (sl) {
		*iid = sl->iid;
		off = sl->off;
		goto cache;
	}

	off = (uint32_t)s->tab[T_FRAME].used;
	if ((fk.fn_len && intern_str(s, T_FUNC, f->function, fk.fn_len, &fn_iid) < 0) ||
	    (fk.src_len && intern_str(s, T_SOURCE, f->source_file, fk.src_len, &src_iid) < 0) ||
	    buf_reserve(s, b, PS_ENTRY_MAX) < 0 ||
	    tab_add(s, &s->tab[T_FRAME], k, 3, len, h, iid) < 0)
		return -ENOMEM;
	p = b->p + b->len;
	lp = pb_msg_begin(p, tab_field[T_FRAME]);
	p = pb_u64(pb_msg_body(lp), FR_IID, *iid);
	if (fn_iid)
		p = pb_u64(p, FR_FUNCTION_NAME_ID, fn_iid);
	if (fk.mapping)
		p = pb_u64(p, FR_MAPPING_ID, fk.mapping);
	p = pb_u64(p, FR_REL_PC, fk.rel_pc);
	if (src_iid)
		p = pb_u64(p, FR_SOURCE_PATH_IID, src_iid);
	if (fk.line)
		p = pb_u64(p, FR_LINE_NUMBER, fk.line);
	if (fk.kind)
		p = pb_u64(p, FR_KIND, fk.kind);
	p = pb_msg_end(lp, p);
	b->len = (size_t)(p - b->p);
	s->st.interned_frames++;
cache:
	e->fn = f->function;
	e->src = f->source_file;
	e->rel_pc = f->rel_pc;
	e->mapping = mapping;
	e->kind = f->kind;
	e->line = f->line;
	e->fn_len = fk.fn_len;
	e->src_len = fk.src_len;
	e->gen = s->gen;
	e->iid = *iid;
	e->off = off;
	return 0;
}

static int intern_stack(struct pw_stream *s, const uint32_t *fids, unsigned n, uint32_t *iid)
{
	struct pi_piece k[1] = {{fids, n * (uint32_t)sizeof(*fids)}};
	uint32_t h = key_hash(k, 1);
	struct ps_buf *b = &s->pend[T_STACK];
	uint8_t *p, *lp;
	unsigned i;

	*iid = pi_find(&s->tab[T_STACK], k, 1, k[0].n, h);
	if (likely(*iid))
		return 0;
	if (buf_reserve(s, b,
			PB_TAG_MAX + PB_LEN_MAX + PB_FIELD_MAX + (size_t)n * (1 + PB_VARINT_MAX)) <
		    0 ||
	    tab_add(s, &s->tab[T_STACK], k, 1, k[0].n, h, iid) < 0)
		return -ENOMEM;
	p = b->p + b->len;
	lp = pb_msg_begin(p, tab_field[T_STACK]);
	p = pb_u64(pb_msg_body(lp), CS_IID, *iid);
	for (i = 0; i < n; i++)
		p = pb_u64(p, CS_FRAME_IDS, fids[i]); /* repeated, unpacked as upstream */
	p = pb_msg_end(lp, p);
	b->len = (size_t)(p - b->p);
	s->st.interned_callstacks++;
	return 0;
}

/* --- packets ---------------------------------------------------------------------- */

/*
 * One TracePacket: header fields, the defaults when a generation starts, the
 * pending interned entries, and the PerfSample (a loss marker when @lost).
 */
static int emit(struct pw_stream *s, const struct pw_sample *smp, uint32_t cs_iid, uint64_t lost)
{
	size_t idata = 0, bound, plen, hdr;
	uint8_t *body, *p, *lp, *start;
	int t, ret;

	for (t = 0; t < T_NUM; t++)
		idata += s->pend[t].len;
	bound = PS_HEADROOM + 4 * PB_FIELD_MAX + s->defaults_len + PB_TAG_MAX + PB_LEN_MAX + idata +
		PB_TAG_MAX + PB_LEN_MAX + 8 * PB_FIELD_MAX;
	s->pkt.len = 0;
	if (buf_reserve(s, &s->pkt, bound) < 0)
		return -ENOMEM;
	/* fields in field number order, as protobuf-c packs them (the tests compare bytes) */
	body = p = s->pkt.p + PS_HEADROOM;
	p = pb_u64(p, TP_TIMESTAMP, smp->ts);
	p = pb_u64(p, TP_SEQ_ID, s->seq);
	if (idata) {
		p = pb_varint(pb_tag(p, TP_INTERNED_DATA, PB_WT_LEN), idata);
		for (t = 0; t < T_NUM; t++) {
			if (!s->pend[t].len)
				continue;
			memcpy(p, s->pend[t].p, s->pend[t].len);
			p += s->pend[t].len;
		}
	}
	p = pb_u64(p, TP_SEQUENCE_FLAGS,
		   s->clear ? SEQ_INCREMENTAL_STATE_CLEARED | SEQ_NEEDS_INCREMENTAL_STATE
			    : SEQ_NEEDS_INCREMENTAL_STATE);
	if (s->clear) {
		memcpy(p, s->defaults, s->defaults_len);
		p += s->defaults_len;
	}
	lp = pb_msg_begin(p, TP_PERF_SAMPLE);
	p = pb_msg_body(lp);
	p = pb_u64(p, PS_CPU, smp->cpu);
	/* (uint32_t)-1 is the kernel's "task already reaped": left out, not a pid */
	if (smp->pid != UINT32_MAX)
		p = pb_u64(p, PS_PID, smp->pid);
	if (lost) {
		p = pb_u64(p, PS_KERNEL_RECORDS_LOST, lost);
	} else {
		if (smp->tid != UINT32_MAX)
			p = pb_u64(p, PS_TID, smp->tid);
		if (cs_iid)
			p = pb_u64(p, PS_CALLSTACK_IID, cs_iid);
		if (smp->cpu_mode)
			p = pb_u64(p, PS_CPU_MODE, smp->cpu_mode);
		if (smp->timebase_count)
			p = pb_u64(p, PS_TIMEBASE_COUNT, smp->timebase_count);
		if (smp->unwind_error)
			p = pb_u64(p, PS_UNWIND_ERROR, smp->unwind_error);
	}
	p = pb_msg_end(lp, p);
	if (!s->started)
		p = pb_bool(p, TP_FIRST_PACKET_ON_SEQUENCE, 1);

	plen = (size_t)(p - body);
	hdr = 1 + pb_varint_size(plen);
	start = body - hdr;
	pb_varint(pb_tag(start, 1, PB_WT_LEN), plen);
	ret = pw_writer__append(s->w, start, hdr + plen);
	if (ret < 0) {
		/* the writer's errors are sticky: nothing reaches the file any more */
		new_generation(s);
		return ret;
	}
	for (t = 0; t < T_NUM; t++)
		s->pend[t].len = 0;
	if (s->clear)
		s->st.generations++;
	s->clear = false;
	s->started = true;
	return 0;
}

int pw_stream__sample(struct pw_stream *s, const struct pw_sample *smp)
{
	struct map_memo memo = {.iid = 0};
	const struct pw_frame *fr;
	uint32_t *fids, cs_iid = 0;
	unsigned n, i;
	int ret;

	if (!s)
		return -EINVAL;
	if (!smp || (smp->nframes && !smp->frames)) {
		ret = -EINVAL;
		goto drop;
	}
	ret = pw_writer__error(s->w);
	if (ret)
		goto drop;
	if (unlikely(s->live > s->max_bytes))
		new_generation(s);

	fr = smp->frames;
	n = smp->nframes;
	if (n > PW_STREAM_MAX_FRAMES) {
		fr += n - PW_STREAM_MAX_FRAMES;
		n = PW_STREAM_MAX_FRAMES;
	}
	ret = buf_reserve(s, &s->fids, (size_t)n * sizeof(*fids));
	if (ret < 0)
		goto drop;
	fids = (uint32_t *)(void *)s->fids.p;
	for (i = 0; i < n; i++) {
		ret = intern_frame(s, &fr[i], &memo, &fids[i]);
		if (ret < 0)
			goto drop;
	}
	if (n) {
		ret = intern_stack(s, fids, n, &cs_iid);
		if (ret < 0)
			goto drop;
	}
	ret = emit(s, smp, cs_iid, 0);
	if (ret < 0)
		goto drop;
	s->st.samples++;
	return 0;
drop:
	s->st.dropped++;
	return ret;
}

int pw_stream__lost(struct pw_stream *s, uint64_t ts, uint32_t cpu, uint64_t count)
{
	struct pw_sample m = {.ts = ts, .cpu = cpu, .pid = 0};
	int ret;

	if (!s)
		return -EINVAL;
	if (!count)
		return 0; /* kernel_records_lost = 0 would read as a sample */
	ret = pw_writer__error(s->w);
	if (!ret)
		ret = emit(s, &m, 0, count);
	if (!ret)
		s->st.lost += count;
	return ret;
}

/* --- lifetime ------------------------------------------------------------------- */

/* trace_packet_defaults { perf_sample_defaults { timebase { ... } } } */
static int encode_defaults(struct pw_stream *s, const struct pw_stream_desc *d)
{
	size_t nl = d->name ? strnlen(d->name, PS_NAME_MAX) : 0;
	size_t tl = d->tracepoint ? strnlen(d->tracepoint, PS_NAME_MAX) : 0;
	uint8_t *p, *l1, *l2, *l3, *l4;

	s->defaults = malloc(64 + nl + tl);
	if (!s->defaults)
		return -ENOMEM;
	l1 = pb_msg_begin(s->defaults, TP_TRACE_PACKET_DEFAULTS);
	l2 = pb_msg_begin(pb_msg_body(l1), TPD_PERF_SAMPLE_DEFAULTS);
	l3 = pb_msg_begin(pb_msg_body(l2), PSD_TIMEBASE);
	p = pb_msg_body(l3);
	if (d->frequency)
		p = pb_u64(p, TB_FREQUENCY, d->frequency);
	else if (d->period)
		p = pb_u64(p, TB_PERIOD, d->period);
	if (d->tracepoint) {
		l4 = pb_msg_begin(p, TB_TRACEPOINT);
		p = pb_bytes(pb_msg_body(l4), TRACEPOINT_NAME, d->tracepoint, tl);
		p = pb_msg_end(l4, p);
	} else if (d->counter) {
		p = pb_u64(p, TB_COUNTER, d->counter);
	}
	if (nl)
		p = pb_bytes(p, TB_NAME, d->name, nl);
	p = pb_msg_end(l3, p);
	p = pb_msg_end(l2, p);
	p = pb_msg_end(l1, p);
	s->defaults_len = (size_t)(p - s->defaults);
	s->st.memory_bytes += 64 + nl + tl;
	return 0;
}

struct pw_stream *pw_stream__new(struct pw_writer *w, const struct pw_stream_desc *d)
{
	struct pw_stream *s;
	int seq;

	if (!w || !d) {
		errno = EINVAL;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->w = w;
	s->max_bytes = d->max_intern_bytes ? d->max_intern_bytes : PS_DEFAULT_MAX_INTERN;
	if (s->max_bytes > PS_MAX_INTERN_CAP)
		s->max_bytes = PS_MAX_INTERN_CAP;
	s->clear = true;
	s->gen = 1;
	s->st.memory_bytes = sizeof(*s);
	if (encode_defaults(s, d) < 0)
		goto fail;
	seq = pw_writer__add_stream(w, s);
	if (seq < 0)
		goto fail;
	s->seq = (uint32_t)seq;
	return s;

fail:
	free(s->defaults);
	free(s);
	errno = ENOMEM;
	return NULL;
}

void pw_stream__free(struct pw_stream *s)
{
	int t;

	if (!s)
		return;
	for (t = 0; t < T_NUM; t++) {
		pi_free(&s->tab[t]);
		free(s->pend[t].p);
	}
	free(s->fids.p);
	free(s->pkt.p);
	free(s->defaults);
	free(s);
}

void pw_stream__stats(const struct pw_stream *s, struct pw_stream_stats *out)
{
	if (!out)
		return;
	if (!s) {
		memset(out, 0, sizeof(*out));
		return;
	}
	*out = s->st;
}

uint32_t pw_stream__seq_id(const struct pw_stream *s)
{
	return s ? s->seq : 0;
}
