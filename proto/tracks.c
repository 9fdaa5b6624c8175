/* SPDX-License-Identifier: MIT */
/*
 * proto/tracks: TrackDescriptors and TrackEvents (slices, instants, counters)
 * on a sequence of their own (see writer.h, "track events").
 *
 * Tracks.  A track's uuid is a hash of what names it (kind, pid, tid, name,
 * lane), so the caller needs no table of its own and the same request gives
 * the same uuid; a set of the uuids whose descriptor went out keeps each
 * descriptor to one packet.  Descriptors carry no sequence flags: they use no
 * interned data, and trace_processor reads them whatever the sequence state.
 *
 * Interning.  Two tables, event names and argument names, map a name to its
 * iid (open addressing over a hash, names kept in an arena).  A new name is
 * encoded at once into the pending entries of its InternedData field, and the
 * event packet that first uses it carries them.  Past max_bytes of names the
 * next event starts a new generation: tables emptied (capacity kept),
 * CLEARED|NEEDS again, iids from 1.  Descriptors are trace-global and stay.
 *
 * Packets are built in a scratch buffer that only grows (for a larger event
 * than seen before) and appended through pw_writer__append().
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
#include "proto/writer.h"

#define PT_STR_MAX 4096
#define PT_MAX_INTERN ((size_t)16 << 20)
#define PT_HEADROOM 16

enum {
	SEQ_INCREMENTAL_STATE_CLEARED = 1,
	SEQ_NEEDS_INCREMENTAL_STATE = 2,
};

/* field numbers (perfetto_trace.proto) */
enum {
	TP_TIMESTAMP = 8,
	TP_SEQ_ID = 10,
	TP_TRACK_EVENT = 11,
	TP_INTERNED_DATA = 12,
	TP_SEQUENCE_FLAGS = 13,
	TP_TRACK_DESCRIPTOR = 60,
	TP_FIRST_PACKET_ON_SEQUENCE = 87,
	TD_UUID = 1,
	TD_NAME = 2,
	TD_PROCESS = 3,
	TD_THREAD = 4,
	TD_PARENT_UUID = 5,
	TD_COUNTER = 8,
	TD_DISALLOW_MERGING = 9,
	PD_PID = 1,
	THD_PID = 1,
	THD_TID = 2,
	TE_DEBUG_ANNOTATIONS = 4,
	TE_TYPE = 9,
	TE_NAME_IID = 10,
	TE_TRACK_UUID = 11,
	TE_NAME = 23,
	TE_DOUBLE_COUNTER_VALUE = 44,
	DA_NAME_IID = 1,
	DA_BOOL = 2,
	DA_UINT = 3,
	DA_INT = 4,
	DA_DOUBLE = 5,
	DA_STRING = 6,
	DA_POINTER = 7,
	ID_EVENT_NAMES = 2,
	ID_DEBUG_ANNOTATION_NAMES = 3,
	EN_IID = 1,
	EN_NAME = 2,
};

enum { TYPE_SLICE_BEGIN = 1, TYPE_SLICE_END = 2, TYPE_INSTANT = 3, TYPE_COUNTER = 4 };

/* the tables, in InternedData field order */
enum { N_EVENT, N_ARG, N_NUM };
static const uint32_t tab_field[N_NUM] = {ID_EVENT_NAMES, ID_DEBUG_ANNOTATION_NAMES};

/* track kinds, hashed into the uuid */
enum { K_THREAD = 1, K_PROCESS, K_NAMED, K_GLOBAL, K_COUNTER, K_THREAD_OWN };

struct pt_buf {
	uint8_t *p;
	size_t len, cap;
};

/* A track whose descriptor went out. */
struct pt_track {
	uint64_t uuid;	    /* 0: free slot */
	struct pt_buf open; /* --ring-buffer: its open slices, oldest first (PT_OPEN_FIXED) */
};

struct pw_tracks {
	struct pw_writer *w;
	uint32_t seq;
	bool started; /* a packet went out on the sequence */
	bool clear;   /* the next event packet starts a generation */
	size_t live, max_bytes;
	struct pi_table tab[N_NUM];
	struct pt_buf pend[N_NUM];
	struct pt_buf pkt;
	struct pt_track *tracks; /* the set of descriptors written, by uuid */
	size_t umask, ucount;
	struct pw_track_stats st;

	/* --ring-buffer (pw_tracks__ring): what pw_tracks__carry() writes */
	uint32_t ring_seq;   /* the carried BEGINs' sequence; 0: no ring */
	struct pt_buf descs; /* the descriptors written since, framed packets */
};

/* --- helpers ----------------------------------------------------------------------- */

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
}

static uint64_t str_hash(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static size_t str_len(const char *s)
{
	return s ? strnlen(s, PT_STR_MAX) : 0;
}

static int buf_reserve(struct pw_tracks *t, struct pt_buf *b, size_t n)
{
	size_t cap;
	uint8_t *p;

	if (likely(b->cap - b->len >= n))
		return 0;
	cap = b->cap ? b->cap : 512;
	while (cap - b->len < n)
		cap *= 2;
	p = realloc(b->p, cap);
	if (!p)
		return -ENOMEM;
	t->st.memory_bytes += cap - b->cap;
	b->p = p;
	b->cap = cap;
	return 0;
}

/* --- state ------------------------------------------------------------------------- */

static struct pw_tracks *tracks_get(struct pw_writer *w)
{
	struct pw_tracks **slot, *t;

	if (!w)
		return NULL;
	slot = pw_writer__tracks(w);
	if (likely(*slot))
		return *slot;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->w = w;
	t->seq = pw_writer__new_seq(w);
	t->clear = true;
	t->max_bytes = PT_MAX_INTERN;
	t->st.seq_id = t->seq;
	t->st.memory_bytes = sizeof(*t);
	t->ring_seq = pw_writer__ring_seq(w);
	*slot = t;
	return t;
}

void pw_tracks__free(struct pw_tracks *t)
{
	int i;

	if (!t)
		return;
	for (i = 0; i < N_NUM; i++) {
		pi_free(&t->tab[i]);
		free(t->pend[i].p);
	}
	free(t->pkt.p);
	for (i = 0; t->tracks && (size_t)i <= t->umask; i++)
		free(t->tracks[i].open.p);
	free(t->tracks);
	free(t->descs.p);
	free(t);
}

void pw_track_stats(const struct pw_writer *w, struct pw_track_stats *out)
{
	const struct pw_tracks *t;

	if (!out)
		return;
	memset(out, 0, sizeof(*out));
	if (!w)
		return;
	t = *pw_writer__tracks((struct pw_writer *)w);
	if (t)
		*out = t->st;
}

static void new_generation(struct pw_tracks *t)
{
	int i;

	for (i = 0; i < N_NUM; i++) {
		pi_clear(&t->tab[i]);
		t->pend[i].len = 0;
	}
	t->live = 0;
	t->clear = true;
}

/* --- the uuid set ------------------------------------------------------------------ */

static struct pt_track *track_find(const struct pw_tracks *t, uint64_t uuid)
{
	size_t i;

	if (!t->ucount)
		return NULL;
	for (i = mix64(uuid) & t->umask; t->tracks[i].uuid; i = (i + 1) & t->umask) {
		if (t->tracks[i].uuid == uuid)
			return &t->tracks[i];
	}
	return NULL;
}

static bool uuid_known(const struct pw_tracks *t, uint64_t uuid)
{
	return track_find(t, uuid) != NULL;
}

/* Room for one more uuid. */
static int uuid_reserve(struct pw_tracks *t)
{
	size_t n, i, j;
	struct pt_track *v;

	if (t->tracks && (t->ucount + 1) * 2 <= t->umask + 1)
		return 0;
	n = t->tracks ? (t->umask + 1) * 2 : 64;
	v = calloc(n, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (i = 0; t->tracks && i <= t->umask; i++) {
		if (!t->tracks[i].uuid)
			continue;
		for (j = mix64(t->tracks[i].uuid) & (n - 1); v[j].uuid; j = (j + 1) & (n - 1))
			;
		v[j] = t->tracks[i];
	}
	t->st.memory_bytes += (n - (t->tracks ? t->umask + 1 : 0)) * sizeof(*v);
	free(t->tracks);
	t->tracks = v;
	t->umask = n - 1;
	return 0;
}

static void uuid_add(struct pw_tracks *t, uint64_t uuid)
{
	size_t i;

	for (i = mix64(uuid) & t->umask; t->tracks[i].uuid; i = (i + 1) & t->umask)
		;
	t->tracks[i].uuid = uuid;
	t->ucount++;
}

/* --- packets ----------------------------------------------------------------------- */

/* Frames the packet body at [PT_HEADROOM, end) of t->pkt and appends it. */
static int packet_out(struct pw_tracks *t, uint8_t *end)
{
	uint8_t *body = t->pkt.p + PT_HEADROOM, *start;
	size_t plen = (size_t)(end - body), hdr = 1 + pb_varint_size(plen);
	int ret;

	start = body - hdr;
	pb_varint(pb_tag(start, 1, PB_WT_LEN), plen);
	ret = pw_writer__append(t->w, start, hdr + plen);
	if (ret < 0)
		return ret;
	t->started = true;
	return 0;
}

/* --- --ring-buffer: open slices and the carry ------------------------------------- */

void pw_tracks__ring(struct pw_tracks *t, uint32_t seq)
{
	t->ring_seq = seq;
}

void pw_tracks__restart(struct pw_tracks *t)
{
	new_generation(t);
}

/* The open-slice stack of @uuid; NULL for a track without a descriptor. */
static struct pt_buf *open_stack(struct pw_tracks *t, uint64_t uuid)
{
	struct pt_track *k = track_find(t, uuid);

	return k ? &k->open : NULL;
}

/* Open-slice stack entries: [u32 name length][u64 ts][name][u32 name length] (the
 * length at both ends: walked forwards by the carry, popped from the top). */
#define PT_OPEN_FIXED (2 * sizeof(uint32_t) + sizeof(uint64_t))

/* A BEGIN went out: remember it (name and time) until its END. */
static void open_push(struct pw_tracks *t, uint64_t uuid, uint64_t ts, const char *name, size_t nl)
{
	struct pt_buf *b = open_stack(t, uuid);
	uint32_t len = (uint32_t)nl;
	uint8_t *q;

	if (!b || buf_reserve(t, b, nl + PT_OPEN_FIXED) < 0) {
		t->st.dropped++; /* the carry will miss it; counted with the drops */
		return;
	}
	q = b->p + b->len;
	memcpy(q, &len, sizeof(len));
	memcpy(q + sizeof(len), &ts, sizeof(ts));
	memcpy(q + sizeof(len) + sizeof(ts), name, nl);
	memcpy(q + sizeof(len) + sizeof(ts) + nl, &len, sizeof(len));
	b->len += nl + PT_OPEN_FIXED;
}

static void open_pop(struct pw_tracks *t, uint64_t uuid)
{
	struct pt_buf *b = open_stack(t, uuid);
	uint32_t len;

	if (!b || b->len < PT_OPEN_FIXED)
		return; /* begun before the ring */
	memcpy(&len, b->p + b->len - sizeof(len), sizeof(len));
	b->len -= len + PT_OPEN_FIXED;
}

/* One BEGIN of the carry: a name of its own (no interning), CLEARED. */
static int carry_begin(struct pw_tracks *t, uint64_t uuid, uint64_t ts, const uint8_t *name,
		       uint32_t nl)
{
	uint8_t *p, *lp;

	t->pkt.len = 0;
	if (buf_reserve(t, &t->pkt, PT_HEADROOM + 8 * PB_FIELD_MAX + nl) < 0)
		return -ENOMEM;
	p = t->pkt.p + PT_HEADROOM;
	p = pb_u64(p, TP_TIMESTAMP, ts);
	p = pb_u64(p, TP_SEQ_ID, t->ring_seq);
	lp = pb_msg_begin(p, TP_TRACK_EVENT);
	p = pb_u64(pb_msg_body(lp), TE_TYPE, TYPE_SLICE_BEGIN);
	p = pb_u64(p, TE_TRACK_UUID, uuid);
	p = pb_bytes(p, TE_NAME, name, nl);
	p = pb_msg_end(lp, p);
	p = pb_u64(p, TP_SEQUENCE_FLAGS, SEQ_INCREMENTAL_STATE_CLEARED);
	return packet_out(t, p);
}

int pw_tracks__carry(struct pw_tracks *t)
{
	size_t i;
	int ret;

	if (!t->ring_seq)
		return 0;
	if (t->descs.len) {
		ret = pw_writer__append(t->w, t->descs.p, t->descs.len);
		if (ret < 0)
			return ret;
	}
	for (i = 0; t->tracks && i <= t->umask; i++) {
		const struct pt_buf *b = &t->tracks[i].open;
		size_t at = 0;

		while (t->tracks[i].uuid && at + PT_OPEN_FIXED <= b->len) {
			uint32_t len;
			uint64_t ts;

			memcpy(&len, b->p + at, sizeof(len));
			memcpy(&ts, b->p + at + sizeof(len), sizeof(ts));
			ret = carry_begin(t, t->tracks[i].uuid, ts,
					  b->p + at + sizeof(len) + sizeof(ts), len);
			if (ret < 0)
				return ret;
			at += len + PT_OPEN_FIXED;
		}
	}
	return 0;
}

struct td {
	uint64_t uuid, parent;
	const char *name;
	size_t name_len;
	int kind;
	uint32_t pid, tid;
};

static int descriptor_out(struct pw_tracks *t, const struct td *d)
{
	uint8_t *p, *lp, *lq, *body_end;
	int ret;

	if (uuid_known(t, d->uuid))
		return 0;
	ret = pw_writer__error(t->w);
	if (ret)
		return ret;
	t->pkt.len = 0;
	if (uuid_reserve(t) < 0 ||
	    (t->ring_seq &&
	     buf_reserve(t, &t->descs, PB_TAG_MAX + PB_LEN_MAX + 12 * PB_FIELD_MAX + d->name_len) <
		     0) ||
	    buf_reserve(t, &t->pkt, PT_HEADROOM + 12 * PB_FIELD_MAX + d->name_len) < 0)
		return -ENOMEM;
	p = t->pkt.p + PT_HEADROOM;
	p = pb_u64(p, TP_SEQ_ID, t->seq);
	lp = pb_msg_begin(p, TP_TRACK_DESCRIPTOR);
	p = pb_u64(pb_msg_body(lp), TD_UUID, d->uuid);
	if (d->name)
		p = pb_bytes(p, TD_NAME, d->name, d->name_len);
	if (d->kind == K_PROCESS) {
		lq = pb_msg_begin(p, TD_PROCESS);
		p = pb_msg_end(lq, pb_i64(pb_msg_body(lq), PD_PID, (int32_t)d->pid));
	} else if (d->kind == K_THREAD || d->kind == K_THREAD_OWN) {
		lq = pb_msg_begin(p, TD_THREAD);
		p = pb_i64(pb_msg_body(lq), THD_PID, (int32_t)d->pid);
		p = pb_msg_end(lq, pb_i64(p, THD_TID, (int32_t)d->tid));
		if (d->kind == K_THREAD_OWN)
			p = pb_bool(p, TD_DISALLOW_MERGING, 1);
	}
	if (d->parent)
		p = pb_u64(p, TD_PARENT_UUID, d->parent);
	if (d->kind == K_COUNTER) {
		lq = pb_msg_begin(p, TD_COUNTER);
		p = pb_msg_end(lq, pb_msg_body(lq));
	}
	p = pb_msg_end(lp, p);
	body_end = p;
	if (!t->started)
		p = pb_bool(p, TP_FIRST_PACKET_ON_SEQUENCE, 1);
	ret = packet_out(t, p);
	if (ret < 0)
		return ret;
	if (t->ring_seq) {
		/* a copy for the carry, without first_packet_on_sequence */
		const uint8_t *body = t->pkt.p + PT_HEADROOM;
		size_t blen = (size_t)(body_end - body);
		uint8_t *q = t->descs.p + t->descs.len;

		q = pb_varint(pb_tag(q, 1, PB_WT_LEN), blen);
		memcpy(q, body, blen);
		t->descs.len = (size_t)(q + blen - t->descs.p);
	}
	uuid_add(t, d->uuid);
	t->st.tracks++;
	return 0;
}

static uint64_t make_uuid(int kind, uint32_t pid, uint32_t tid, const char *name, size_t nl,
			  uint32_t lane)
{
	uint64_t h = mix64(((uint64_t)kind << 56) ^ ((uint64_t)pid << 24) ^ 0x5046545241434bull);

	h = mix64(h ^ tid ^ ((uint64_t)lane << 32));
	if (name)
		h = mix64(h ^ str_hash(name, nl));
	return h ? h : 1;
}

/* The ProcessDescriptor track of @pid, written if new; 0 on failure. */
static uint64_t process_track(struct pw_tracks *t, uint32_t pid)
{
	struct td d = {.kind = K_PROCESS, .pid = pid};

	d.uuid = make_uuid(K_PROCESS, pid, 0, NULL, 0, 0);
	return descriptor_out(t, &d) < 0 ? 0 : d.uuid;
}

uint64_t pw_track_thread(struct pw_writer *w, uint32_t pid, uint32_t tid)
{
	struct pw_tracks *t = tracks_get(w);
	struct td d = {.kind = K_THREAD, .pid = pid, .tid = tid};

	if (!t)
		return 0;
	d.uuid = make_uuid(K_THREAD, pid, tid, NULL, 0, 0);
	return descriptor_out(t, &d) < 0 ? 0 : d.uuid;
}

uint64_t pw_track_thread_own(struct pw_writer *w, uint32_t pid, uint32_t tid, const char *name)
{
	struct pw_tracks *t = tracks_get(w);
	struct td d = {.kind = K_THREAD_OWN, .pid = pid, .tid = tid, .name = name ? name : ""};

	if (!t)
		return 0;
	d.name_len = str_len(d.name);
	d.uuid = make_uuid(K_THREAD_OWN, pid, tid, d.name, d.name_len, 0);
	return descriptor_out(t, &d) < 0 ? 0 : d.uuid;
}

static uint64_t named_track(struct pw_writer *w, int kind, uint32_t pid, const char *name,
			    uint32_t lane)
{
	struct pw_tracks *t = tracks_get(w);
	struct td d = {.kind = kind, .pid = pid, .name = name ? name : ""};

	if (!t)
		return 0;
	d.name_len = str_len(d.name);
	d.uuid = make_uuid(kind, pid, 0, d.name, d.name_len, lane);
	/* the common case first: a known track costs a hash and a lookup */
	if (uuid_known(t, d.uuid))
		return d.uuid;
	if (pid && !(d.parent = process_track(t, pid)))
		return 0;
	return descriptor_out(t, &d) < 0 ? 0 : d.uuid;
}

uint64_t pw_track_process(struct pw_writer *w, uint32_t pid, const char *name, uint32_t lane)
{
	return named_track(w, K_NAMED, pid, name, lane);
}

uint64_t pw_track_global(struct pw_writer *w, const char *name, uint32_t lane)
{
	return named_track(w, K_GLOBAL, 0, name, lane);
}

uint64_t pw_track_counter(struct pw_writer *w, uint32_t pid, const char *name)
{
	return named_track(w, K_COUNTER, pid, name, 0);
}

/* --- interning --------------------------------------------------------------------- */

/* The iid of @name (@len bytes) in table @k, defined as a pending entry if new. */
static int intern(struct pw_tracks *t, int k, const char *name, size_t len, uint64_t *iid)
{
	struct pi_table *tb = &t->tab[k];
	struct pt_buf *b = &t->pend[k];
	struct pi_piece key[1] = {{name, (uint32_t)len}};
	uint32_t h = (uint32_t)str_hash(name, len), id;
	uint8_t *p, *lp;

	id = pi_find(tb, key, 1, (uint32_t)len, h);
	if (id) {
		*iid = id;
		return 0;
	}
	if (buf_reserve(t, b, 2 * (PB_TAG_MAX + PB_LEN_MAX) + PB_FIELD_MAX + len) < 0 ||
	    pi_add(tb, key, 1, (uint32_t)len, h, &id, &t->st.memory_bytes) < 0)
		return -ENOMEM;
	t->live += len + PI_ENTRY_OVERHEAD;
	*iid = tb->count;

	p = b->p + b->len;
	lp = pb_msg_begin(p, tab_field[k]);
	p = pb_u64(pb_msg_body(lp), EN_IID, *iid);
	p = pb_bytes(p, EN_NAME, name, len);
	p = pb_msg_end(lp, p);
	b->len = (size_t)(p - b->p);
	t->st.interned_names++;
	return 0;
}

/* --- events ------------------------------------------------------------------------ */

/* Upper bound of one argument's encoding. */
static size_t arg_bound(const struct pw_arg *a)
{
	size_t n = 2 * (PB_TAG_MAX + PB_LEN_MAX) + 2 * PB_FIELD_MAX;

	if (a->kind == PW_ARG_STR)
		n += str_len(a->v.s);
	return n;
}

static uint8_t *put_arg(uint8_t *p, const struct pw_arg *a, uint64_t name_iid)
{
	uint8_t *lp = pb_msg_begin(p, TE_DEBUG_ANNOTATIONS);

	p = pb_u64(pb_msg_body(lp), DA_NAME_IID, name_iid);
	switch (a->kind) {
	case PW_ARG_BOOL:
		p = pb_bool(p, DA_BOOL, a->v.b);
		break;
	case PW_ARG_UINT:
		p = pb_u64(p, DA_UINT, a->v.u);
		break;
	case PW_ARG_INT:
		p = pb_i64(p, DA_INT, a->v.i);
		break;
	case PW_ARG_DOUBLE:
		p = pb_double(p, DA_DOUBLE, a->v.d);
		break;
	case PW_ARG_STR:
		p = pb_bytes(p, DA_STRING, a->v.s ? a->v.s : "", str_len(a->v.s));
		break;
	case PW_ARG_PTR:
	default:
		p = pb_u64(p, DA_POINTER, a->v.u);
		break;
	}
	return pb_msg_end(lp, p);
}

/*
 * One TrackEvent packet.  Fields go in field number order (as protobuf-c
 * packs them; the tests compare bytes): timestamp, sequence id, track_event
 * {debug_annotations, type, name_iid, track_uuid, double_counter_value},
 * interned_data, sequence_flags, first_packet_on_sequence.
 */
static int track_event(struct pw_writer *w, int type, uint64_t track, uint64_t ts, const char *name,
		       const struct pw_arg *args, unsigned nargs, double value)
{
	struct pw_tracks *t = tracks_get(w);
	uint64_t name_iid = 0, arg_iid[PW_ARGS_MAX];
	size_t bound, idata = 0, nl = 0;
	uint8_t *p, *lp;
	unsigned i;
	int k, ret;

	if (!t)
		return w ? -ENOMEM : -EINVAL;
	ret = pw_writer__error(w);
	if (ret)
		goto drop;
	ret = -EINVAL;
	if (!track || (nargs && !args))
		goto drop;
	if (nargs > PW_ARGS_MAX)
		nargs = PW_ARGS_MAX;
	if (unlikely(t->live > t->max_bytes))
		new_generation(t);

	ret = -ENOMEM;
	if (name) {
		nl = str_len(name);
		if (intern(t, N_EVENT, name, nl, &name_iid) < 0)
			goto drop;
	}
	bound = PT_HEADROOM + 8 * PB_FIELD_MAX + 2 * (PB_TAG_MAX + PB_LEN_MAX) + 8;
	for (i = 0; i < nargs; i++) {
		const char *an = args[i].name ? args[i].name : "";

		if (intern(t, N_ARG, an, str_len(an), &arg_iid[i]) < 0)
			goto drop;
		bound += arg_bound(&args[i]);
	}
	for (k = 0; k < N_NUM; k++)
		idata += t->pend[k].len;
	t->pkt.len = 0;
	if (buf_reserve(t, &t->pkt, bound + idata) < 0)
		goto drop;

	p = t->pkt.p + PT_HEADROOM;
	p = pb_u64(p, TP_TIMESTAMP, ts);
	p = pb_u64(p, TP_SEQ_ID, t->seq);
	lp = pb_msg_begin(p, TP_TRACK_EVENT);
	p = pb_msg_body(lp);
	for (i = 0; i < nargs; i++)
		p = put_arg(p, &args[i], arg_iid[i]);
	p = pb_u64(p, TE_TYPE, (uint64_t)type);
	if (name_iid)
		p = pb_u64(p, TE_NAME_IID, name_iid);
	p = pb_u64(p, TE_TRACK_UUID, track);
	if (type == TYPE_COUNTER)
		p = pb_double(p, TE_DOUBLE_COUNTER_VALUE, value);
	p = pb_msg_end(lp, p);
	if (idata) {
		p = pb_varint(pb_tag(p, TP_INTERNED_DATA, PB_WT_LEN), idata);
		for (k = 0; k < N_NUM; k++) {
			if (!t->pend[k].len)
				continue; /* (.p may be NULL: memcpy must not see it) */
			memcpy(p, t->pend[k].p, t->pend[k].len);
			p += t->pend[k].len;
		}
	}
	p = pb_u64(p, TP_SEQUENCE_FLAGS,
		   t->clear ? SEQ_INCREMENTAL_STATE_CLEARED | SEQ_NEEDS_INCREMENTAL_STATE
			    : SEQ_NEEDS_INCREMENTAL_STATE);
	if (!t->started)
		p = pb_bool(p, TP_FIRST_PACKET_ON_SEQUENCE, 1);
	ret = packet_out(t, p);
	if (ret < 0) {
		/* the writer's errors are sticky: nothing reaches the file any more */
		new_generation(t);
		goto drop;
	}
	for (k = 0; k < N_NUM; k++)
		t->pend[k].len = 0;
	if (t->clear)
		t->st.generations++;
	t->clear = false;
	t->st.events++;
	if (unlikely(t->ring_seq)) {
		if (type == TYPE_SLICE_BEGIN)
			open_push(t, track, ts, name, nl);
		else if (type == TYPE_SLICE_END)
			open_pop(t, track);
	}
	return 0;
drop:
	/* new entries stay pending: the next packet defines them */
	t->st.dropped++;
	return ret;
}

int pw_slice_begin(struct pw_writer *w, uint64_t track, uint64_t ts, const char *name,
		   const struct pw_arg *args, unsigned nargs)
{
	return track_event(w, TYPE_SLICE_BEGIN, track, ts, name ? name : "", args, nargs, 0);
}

int pw_slice_end(struct pw_writer *w, uint64_t track, uint64_t ts, const struct pw_arg *args,
		 unsigned nargs)
{
	return track_event(w, TYPE_SLICE_END, track, ts, NULL, args, nargs, 0);
}

int pw_instant(struct pw_writer *w, uint64_t track, uint64_t ts, const char *name,
	       const struct pw_arg *args, unsigned nargs)
{
	return track_event(w, TYPE_INSTANT, track, ts, name ? name : "", args, nargs, 0);
}

int pw_counter(struct pw_writer *w, uint64_t track, uint64_t ts, double value)
{
	return track_event(w, TYPE_COUNTER, track, ts, NULL, NULL, 0, value);
}
