/* SPDX-License-Identifier: MIT */
/*
 * tests/test_track: track events (proto/tracks.c) written, decoded with
 * protobuf-c to check the descriptors and the interning rules, and read back
 * through proto/reader exactly.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proto/reader.h"
#include "proto/writer.h"
#include "pftrace.pb-c.h"
#include "tests/tap.h"

typedef Perfetto__Protos__TracePacket Packet;

static char tmpdir[256];

/* --- what the reader hands out, copied ------------------------------------------- */

struct got_arg {
	char name[32];
	uint32_t kind;
	int64_t i;
	uint64_t u;
	double d;
	char s[64];
	int b;
};

struct got {
	uint64_t ts, track_uuid, begin_ts;
	uint32_t type, seq, track_kind;
	int32_t pid, tid;
	char name[64], track_name[64];
	int resolved, matched;
	unsigned depth, nargs;
	double value;
	struct got_arg args[8];
};

struct gots {
	struct got v[64];
	int n;
	int unresolved; /* events whose name did not resolve */
	int other_descriptors;
};

static void on_track_event(void *ctx, const struct prd_track_event *e)
{
	struct gots *g = ctx;
	struct got *o;
	unsigned i;

	if (!e->name_resolved)
		g->unresolved++;
	if (g->n == 64)
		return;
	o = &g->v[g->n++];
	memset(o, 0, sizeof(*o));
	o->ts = e->ts;
	o->track_uuid = e->track_uuid;
	o->type = e->type;
	o->seq = e->seq_id;
	if (e->track) {
		o->track_kind = e->track->kind;
		o->pid = e->track->pid;
		o->tid = e->track->tid;
		snprintf(o->track_name, sizeof(o->track_name), "%s", e->track->name);
	}
	snprintf(o->name, sizeof(o->name), "%s", e->name);
	o->resolved = e->name_resolved;
	o->matched = e->matched;
	o->begin_ts = e->begin_ts;
	o->depth = e->depth;
	o->value = e->value;
	o->nargs = e->nargs;
	for (i = 0; i < e->nargs && i < 8; i++) {
		struct got_arg *a = &o->args[i];

		snprintf(a->name, sizeof(a->name), "%s", e->args[i].name);
		a->kind = e->args[i].kind;
		a->i = e->args[i].i;
		a->u = e->args[i].u;
		a->d = e->args[i].d;
		a->b = e->args[i].b;
		snprintf(a->s, sizeof(a->s), "%s", e->args[i].s);
	}
}

static void on_other(void *ctx, uint32_t kind)
{
	struct gots *g = ctx;

	if (kind == 60)
		g->other_descriptors++;
}

static const struct prd_callbacks cbs = {.track_event = on_track_event, .other = on_other};

/* --- the file's packets --------------------------------------------------------- */

static uint8_t *slurp(const char *path, size_t *len)
{
	struct stat st;
	uint8_t *buf;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || fstat(fd, &st) < 0)
		return NULL;
	buf = malloc((size_t)st.st_size + 1);
	if (buf && read(fd, buf, (size_t)st.st_size) != st.st_size) {
		free(buf);
		buf = NULL;
	}
	close(fd);
	*len = (size_t)st.st_size;
	return buf;
}

static size_t varint(const uint8_t *p, uint64_t *v)
{
	size_t i = 0;

	*v = 0;
	do {
		*v |= (uint64_t)(p[i] & 0x7f) << (7 * i);
	} while (p[i++] & 0x80);
	return i;
}

/* Calls @fn on each packet; returns the number of packets or -1 when one does not unpack
 * or does not re-pack to its own bytes. */
static int each_packet(const uint8_t *buf, size_t len, void (*fn)(void *, const Packet *),
		       void *ctx)
{
	size_t off = 0;
	int n = 0;

	while (off < len) {
		uint64_t plen;
		Packet *pk;
		uint8_t *re;

		if (buf[off] != 0x0a)
			return -1;
		off += 1 + varint(buf + off + 1, &plen);
		pk = perfetto__protos__trace_packet__unpack(NULL, plen, buf + off);
		if (!pk)
			return -1;
		re = malloc(plen + 1);
		if (!re || protobuf_c_message_get_packed_size(&pk->base) != plen ||
		    protobuf_c_message_pack(&pk->base, re) != plen || memcmp(re, buf + off, plen)) {
			free(re);
			perfetto__protos__trace_packet__free_unpacked(pk, NULL);
			return -1;
		}
		free(re);
		fn(ctx, pk);
		perfetto__protos__trace_packet__free_unpacked(pk, NULL);
		off += plen;
		n++;
	}
	return n;
}

#define MAXI 8192

/* The interning rules, checked on the track-event sequence. */
struct rules {
	uint32_t seq;
	int packets, events, descriptors, cleared, generations;
	int bad_flags, bad_first, bad_iid_order, bad_ref, redefined, no_ts, bad_seq;
	int dup_descriptor;
	uint64_t uuids[64];
	int nuuids;
	/* per generation: iids defined so far per table (event names, arg names) */
	uint64_t next_iid[2];
};

static void check_packet(void *ctx, const Packet *pk)
{
	struct rules *r = ctx;
	uint32_t flags = pk->has_sequence_flags ? pk->sequence_flags : 0;
	const Perfetto__Protos__InternedData *id = pk->interned_data;
	const Perfetto__Protos__TrackEvent *te = pk->track_event;
	size_t i;
	int k;

	if (!pk->has_trusted_packet_sequence_id || pk->trusted_packet_sequence_id != r->seq) {
		r->bad_seq++;
		return;
	}
	r->packets++;
	if ((r->packets == 1) != (pk->has_first_packet_on_sequence && pk->first_packet_on_sequence))
		r->bad_first++;
	if (pk->data_case == PERFETTO__PROTOS__TRACE_PACKET__DATA_TRACK_DESCRIPTOR) {
		r->descriptors++;
		if (flags || id)
			r->bad_flags++;
		for (k = 0; k < r->nuuids; k++)
			if (r->uuids[k] == pk->track_descriptor->uuid)
				r->dup_descriptor++;
		if (r->nuuids < 64)
			r->uuids[r->nuuids++] = pk->track_descriptor->uuid;
		return;
	}
	if (pk->data_case != PERFETTO__PROTOS__TRACE_PACKET__DATA_TRACK_EVENT)
		return;
	r->events++;
	if (!pk->has_timestamp)
		r->no_ts++;
	/* CLEARED|NEEDS on the first event packet of a generation, NEEDS on the others */
	if (flags == 3) {
		r->cleared++;
		r->next_iid[0] = r->next_iid[1] = 1;
	} else if (flags != 2 || r->cleared == 0) {
		r->bad_flags++;
	}
	if (id) {
		for (i = 0; i < id->n_event_names; i++) {
			if (!id->event_names[i]->has_iid ||
			    id->event_names[i]->iid != r->next_iid[0]++)
				r->bad_iid_order++;
		}
		for (i = 0; i < id->n_debug_annotation_names; i++) {
			if (!id->debug_annotation_names[i]->has_iid ||
			    id->debug_annotation_names[i]->iid != r->next_iid[1]++)
				r->bad_iid_order++;
		}
		if (id->n_function_names || id->n_frames || id->n_event_categories)
			r->redefined++;
	}
	/* every reference to an iid defined in this packet or earlier in the generation */
	if (te->name_field_case == PERFETTO__PROTOS__TRACK_EVENT__NAME_FIELD_NAME_IID &&
	    (!te->name_iid || te->name_iid >= r->next_iid[0]))
		r->bad_ref++;
	for (i = 0; i < te->n_debug_annotations; i++) {
		const Perfetto__Protos__DebugAnnotation *a = te->debug_annotations[i];

		if (a->name_field_case != PERFETTO__PROTOS__DEBUG_ANNOTATION__NAME_FIELD_NAME_IID ||
		    !a->name_iid || a->name_iid >= r->next_iid[1])
			r->bad_ref++;
	}
}

/* --- the main trace --------------------------------------------------------------- */

static void test_main(void)
{
	char *path = xasprintf("%s/track.pb", tmpdir);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	struct pw_writer *w = pw_writer__new(fd, 2);
	uint64_t t1, t1b, t2, a0, a1, a0b, g, cp, cg;
	struct pw_track_stats st;
	struct pw_arg all[] = {
		{.name = "fd", .kind = PW_ARG_INT, .v.i = -5},
		{.name = "n", .kind = PW_ARG_UINT, .v.u = 18446744073709551615ull},
		{.name = "ratio", .kind = PW_ARG_DOUBLE, .v.d = 0.25},
		{.name = "path", .kind = PW_ARG_STR, .v.s = "/x y"},
		{.name = "ok", .kind = PW_ARG_BOOL, .v.b = 1},
		{.name = "addr", .kind = PW_ARG_PTR, .v.u = 0xdeadbeef},
	};
	struct pw_arg endarg[] = {{.name = "ret", .kind = PW_ARG_INT, .v.i = 3}};
	struct gots *gs = calloc(1, sizeof(*gs));
	struct rules r;
	uint8_t *buf;
	size_t len;
	int ret, i;

	if (!tap_ok(fd >= 0 && w && gs, "writer on %s", path))
		return;
	tap_is_int(pw_track_thread(NULL, 1, 1), 0, "pw_track_thread(NULL) = 0");
	t1 = pw_track_thread(w, 100, 100);
	t1b = pw_track_thread(w, 100, 100);
	t2 = pw_track_thread(w, 100, 101);
	a0 = pw_track_process(w, 100, "requests", 0);
	a1 = pw_track_process(w, 100, "requests", 1);
	a0b = pw_track_process(w, 100, "requests", 0);
	g = pw_track_global(w, "global spans", 0);
	cp = pw_track_counter(w, 100, "queue depth");
	cg = pw_track_counter(w, 0, "load");
	tap_ok(t1 && t2 && a0 && a1 && g && cp && cg, "tracks created");
	tap_ok(t1 == t1b && a0 == a0b, "asking again gives the same uuid");
	tap_ok(t1 != t2 && a0 != a1 && a0 != g && cp != cg && t1 != a0,
	       "distinct tracks have distinct uuids (lanes too)");

	ret = 0;
	ret |= pw_slice_begin(w, t1, 1000, "handle", all + 3, 1);
	ret |= pw_slice_begin(w, t1, 1100, "inner", NULL, 0);
	ret |= pw_instant(w, t1, 1200, "mark", all, 6);
	ret |= pw_slice_end(w, t1, 1300, NULL, 0);
	ret |= pw_slice_end(w, t1, 77544, endarg, 1);
	ret |= pw_slice_begin(w, t2, 1050, "handle", NULL, 0);
	ret |= pw_slice_end(w, t2, 1150, NULL, 0);
	ret |= pw_slice_begin(w, a0, 2000, "req", all, 1);
	ret |= pw_slice_begin(w, a1, 2500, "req", all, 1);
	ret |= pw_slice_end(w, a0, 3000, NULL, 0);
	ret |= pw_slice_end(w, a1, 3500, NULL, 0);
	ret |= pw_instant(w, g, 4000, "tick", NULL, 0);
	ret |= pw_counter(w, cp, 5000, 3);
	ret |= pw_counter(w, cp, 6000, 1.5);
	ret |= pw_counter(w, cg, 6000, -42);
	tap_is_int(ret, 0, "every event accepted");
	tap_is_int(pw_slice_begin(w, 0, 7000, "x", NULL, 0), -EINVAL, "track 0 -> -EINVAL");
	pw_track_stats(w, &st);
	tap_is_int(st.seq_id, 2, "track events on sequence 2 (the first free one)");
	tap_is_int(st.events, 15, "stats: 15 events");
	tap_is_int(st.dropped, 1, "stats: the track-0 event dropped");
	/* 2 threads, 1 process, 2 lanes, 1 global, 2 counters */
	tap_is_int(st.tracks, 8, "stats: 8 descriptors");
	/* handle inner mark req tick; path fd n ratio ok addr ret */
	tap_is_int(st.interned_names, 12, "stats: 5 event names + 7 argument names");
	tap_is_int(st.generations, 1, "stats: one generation");
	tap_is_int(pw_writer__close(w), 0, "close");

	/* (a) the packets, by protobuf-c */
	buf = slurp(path, &len);
	memset(&r, 0, sizeof(r));
	r.seq = 2;
	ret = buf ? each_packet(buf, len, check_packet, &r) : -1;
	tap_is_int(ret, 23, "(a) 23 packets, each unpacks and re-packs to its bytes");
	tap_is_int(r.bad_seq, 0, "(a) all on sequence 2");
	tap_is_int(r.descriptors, 8, "(a) 8 descriptors");
	tap_is_int(r.dup_descriptor, 0, "(a) each descriptor once");
	tap_is_int(r.events, 15, "(a) 15 track events");
	tap_is_int(r.bad_first, 0, "(a) first_packet_on_sequence on the first packet only");
	tap_is_int(r.cleared, 1, "(a) one CLEARED");
	tap_is_int(r.bad_flags, 0,
		   "(a) descriptors without flags; CLEARED|NEEDS first, then NEEDS");
	tap_is_int(r.bad_iid_order, 0, "(a) iids 1, 2, ... per table");
	tap_is_int(r.bad_ref, 0, "(a) every name iid defined in its packet or earlier");
	tap_is_int(r.redefined, 0, "(a) no other interned data");
	tap_is_int(r.no_ts, 0, "(a) every event has a timestamp");
	tap_is_int(r.next_iid[0] - 1, 5, "(a) 5 event names defined, each once");
	tap_is_int(r.next_iid[1] - 1, 7, "(a) 7 argument names defined, each once");
	free(buf);

	/* (b) the reader */
	ret = prd_read_file(path, &cbs, gs, NULL);
	tap_is_int(ret, 0, "(b) prd_read_file");
	tap_is_int(gs->n, 15, "(b) 15 track events");
	tap_is_int(gs->unresolved, 0, "(b) every name resolves");
	tap_is_int(gs->other_descriptors, 8, "(b) descriptors reported to other()");
	if (gs->n == 15) {
		struct got *v = gs->v;

		tap_ok(v[0].type == PRD_SLICE_BEGIN && !strcmp(v[0].name, "handle") &&
			       v[0].ts == 1000 && v[0].track_uuid == t1 &&
			       v[0].track_kind == PRD_TRACK_THREAD && v[0].pid == 100 &&
			       v[0].tid == 100 && v[0].depth == 0 && v[0].seq == 2,
		       "(b) BEGIN handle on thread 100/100");
		tap_ok(v[0].nargs == 1 && !strcmp(v[0].args[0].name, "path") &&
			       v[0].args[0].kind == 3 && !strcmp(v[0].args[0].s, "/x y"),
		       "(b) its string argument");
		tap_ok(v[1].type == PRD_SLICE_BEGIN && !strcmp(v[1].name, "inner") &&
			       v[1].depth == 1,
		       "(b) nested BEGIN inner at depth 1");
		tap_ok(v[2].type == PRD_INSTANT && !strcmp(v[2].name, "mark") && v[2].depth == 2 &&
			       v[2].nargs == 6,
		       "(b) instant mark with 6 arguments");
		tap_ok(!strcmp(v[2].args[0].name, "fd") && v[2].args[0].kind == 0 &&
			       v[2].args[0].i == -5,
		       "(b) int argument");
		tap_ok(!strcmp(v[2].args[1].name, "n") && v[2].args[1].kind == 1 &&
			       v[2].args[1].u == 18446744073709551615ull,
		       "(b) uint argument");
		tap_ok(!strcmp(v[2].args[2].name, "ratio") && v[2].args[2].kind == 2 &&
			       v[2].args[2].d == 0.25,
		       "(b) double argument");
		tap_ok(!strcmp(v[2].args[3].name, "path") && v[2].args[3].kind == 3 &&
			       !strcmp(v[2].args[3].s, "/x y"),
		       "(b) string argument");
		tap_ok(!strcmp(v[2].args[4].name, "ok") && v[2].args[4].kind == 4 &&
			       v[2].args[4].b == 1,
		       "(b) bool argument");
		tap_ok(!strcmp(v[2].args[5].name, "addr") && v[2].args[5].kind == 5 &&
			       v[2].args[5].u == 0xdeadbeef,
		       "(b) pointer argument");
		tap_ok(v[3].type == PRD_SLICE_END && v[3].matched && !strcmp(v[3].name, "inner") &&
			       v[3].begin_ts == 1100 && v[3].depth == 1,
		       "(b) END closes inner");
		tap_ok(v[4].type == PRD_SLICE_END && v[4].matched && !strcmp(v[4].name, "handle") &&
			       v[4].begin_ts == 1000 && v[4].ts == 77544 && v[4].depth == 0 &&
			       v[4].nargs == 1 && !strcmp(v[4].args[0].name, "ret") &&
			       v[4].args[0].i == 3,
		       "(b) END closes handle (76544 ns) with its own argument");
		tap_ok(v[5].track_uuid == t2 && v[5].tid == 101 && v[5].pid == 100 &&
			       v[6].matched && v[6].begin_ts == 1050,
		       "(b) the other thread's slice");
		for (i = 7, ret = 0; i < 11; i++)
			ret += v[i].track_kind == PRD_TRACK_NAMED && v[i].pid == 100 &&
			       !strcmp(v[i].track_name, "requests") && !strcmp(v[i].name, "req");
		tap_is_int(ret, 4, "(b) async slices on named tracks of process 100");
		tap_ok(v[7].track_uuid == a0 && v[8].track_uuid == a1 && v[9].track_uuid == a0 &&
			       v[9].begin_ts == 2000 && v[10].track_uuid == a1 &&
			       v[10].begin_ts == 2500 && v[8].depth == 0,
		       "(b) overlapping async slices on two lanes");
		tap_ok(v[11].type == PRD_INSTANT && v[11].track_kind == PRD_TRACK_OTHER &&
			       v[11].pid == 0 && !strcmp(v[11].track_name, "global spans"),
		       "(b) instant on a global track");
		tap_ok(v[12].type == PRD_COUNTER && v[12].value == 3 && v[13].value == 1.5 &&
			       v[12].track_kind == PRD_TRACK_COUNTER && v[12].pid == 100 &&
			       !strcmp(v[12].track_name, "queue depth"),
		       "(b) process counter values");
		tap_ok(v[14].type == PRD_COUNTER && v[14].value == -42 && v[14].pid == 0 &&
			       !strcmp(v[14].track_name, "load"),
		       "(b) global counter value");
	}
	free(gs);
	unlink(path);
	free(path);
}

/* Past the interning bound (16 MiB of names) a new generation starts and names re-intern. */
static void test_generations(void)
{
	char *path = xasprintf("%s/gen.pb", tmpdir);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	struct pw_writer *w = pw_writer__new(fd, 1);
	char *name = malloc(5000);
	struct gots *gs = calloc(1, sizeof(*gs));
	struct pw_track_stats st;
	struct rules r;
	uint64_t t;
	uint8_t *buf;
	size_t len;
	int i, ret = 0;

	if (!tap_ok(fd >= 0 && w && name && gs, "generations: writer"))
		return;
	t = pw_track_thread(w, 7, 7);
	memset(name, 'a', 4999);
	name[4999] = '\0';
	/* 4200 distinct names cut at 4096 bytes: past 16 MiB */
	for (i = 0; i < 4200; i++) {
		snprintf(name, 12, "n%06d", i);
		name[7] = 'a';
		ret |= pw_instant(w, t, 1000 + (uint64_t)i, name, NULL, 0);
	}
	ret |= pw_instant(w, t, 9000, "n000000", NULL, 0);
	tap_is_int(ret, 0, "generations: every instant accepted");
	pw_track_stats(w, &st);
	tap_is_int(st.generations, 2, "generations: a second generation started");
	tap_is_int(pw_writer__close(w), 0, "generations: close");

	buf = slurp(path, &len);
	memset(&r, 0, sizeof(r));
	r.seq = st.seq_id;
	ret = buf ? each_packet(buf, len, check_packet, &r) : -1;
	tap_is_int(ret, 4202, "generations: every packet unpacks");
	tap_is_int(r.cleared, 2, "generations: CLEARED twice");
	tap_ok(!r.bad_flags && !r.bad_iid_order && !r.bad_ref,
	       "generations: iids restart at 1 and every reference resolves (%d %d %d)",
	       r.bad_flags, r.bad_iid_order, r.bad_ref);
	free(buf);
	ret = prd_read_file(path, &cbs, gs, NULL);
	tap_ok(!ret && !gs->unresolved, "generations: the reader resolves every name");
	tap_ok(gs->n == 64 && !strncmp(gs->v[5].name, "n000005a", 8) && strlen(gs->v[5].name) == 63,
	       "generations: names read back");
	free(gs);
	free(name);
	unlink(path);
	free(path);
}

/* A disk that fills: events fail with the writer's sticky error and are counted. */
static void test_disk_full(void)
{
	char *path = xasprintf("%s/full.pb", tmpdir);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	struct pw_writer *w = pw_writer__new(fd, 1);
	struct pw_track_stats st;
	struct rlimit old;
	struct gots *gs = calloc(1, sizeof(*gs));
	uint64_t t;
	int i, ret = 0;

	if (!tap_ok(fd >= 0 && w && gs, "disk full: writer"))
		return;
	if (tap_limit_file_size(64 * 1024, &old) < 0) {
		tap_ok(1, "# SKIP setrlimit");
		pw_writer__close(w);
		free(gs);
		free(path);
		return;
	}
	t = pw_track_thread(w, 7, 7);
	for (i = 0; i < 200000 && !ret; i++)
		ret = pw_instant(w, t, (uint64_t)i, "x", NULL, 0);
	tap_is_int(ret, -EFBIG, "disk full: an event fails with -EFBIG");
	tap_is_int(pw_instant(w, t, 1, "x", NULL, 0), -EFBIG, "disk full: sticky");
	pw_track_stats(w, &st);
	tap_ok(st.dropped >= 2, "disk full: failed events counted as dropped");
	pw_writer__close(w);
	setrlimit(RLIMIT_FSIZE, &old);
	ret = prd_read_file(path, &cbs, gs, NULL);
	tap_ok(!ret && !gs->unresolved, "disk full: the cut file reads, every name resolves");
	free(gs);
	unlink(path);
	free(path);
}

int main(void)
{
	const char *td = getenv("TMPDIR");

	snprintf(tmpdir, sizeof(tmpdir), "%s/test_track.XXXXXX", td && *td ? td : "/tmp");
	if (!mkdtemp(tmpdir)) {
		printf("1..0 # SKIP mkdtemp: %s\n", strerror(errno));
		return 0;
	}
	test_main();
	test_generations();
	test_disk_full();
	rmdir(tmpdir);
	return tap_done();
}
