/* SPDX-License-Identifier: MIT */
/*
 * core/markers: parsing sysdig tracer and atrace marker lines, and pairing
 * them into slices (see markers.h).
 *
 * sysdig spans are emitted when they end, begin and end at once: an END
 * matches the latest open BEGIN with the same ID and tags, which need not be
 * the innermost span of its thread.  A span that is the innermost open span
 * of the thread that began it (the usual LIFO case) goes on that thread's
 * track, where slices nest by time (so "req" is the parent of "req.db");
 * one that is not (it overlaps another without enclosing it, or ended on
 * another thread) goes on a track of its process named after it.
 *
 * atrace B/E are emitted as they come on the writer's thread track, C as a
 * counter of the process, S/F as async slices on a track of the process
 * named after the slice ("NAME", "NAME #2", ... for concurrent cookies).
 *
 * Allocation: a state the first time an ID, thread or async name is seen;
 * span entries are recycled.  Nothing per line otherwise (the JSON form
 * allocates in json-c).
 */
#include "config.h"
#include "core/markers.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* the unit tests build this file again without json-c */
#if defined(HAVE_JSON_C) && !defined(MARKERS_NO_JSON_C)
#define MK_JSON 1
#include <json-c/json.h>
#endif

/* --- parsing ----------------------------------------------------------------- */

/* A thread's own spans go on its track, or on the one e->thread_track gives. */
static pft_track th_track(struct mk_engine *e, uint32_t pid, uint32_t tid)
{
	return e->thread_track ? e->thread_track(e->thread_track_ctx, pid, tid)
			       : e->ops->track_thread(e->h, pid, tid);
}

static int parse_i64(const char *s, int64_t *out)
{
	char *end;
	long long v;

	if (!*s)
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

static int parse_id(const char *s, struct mk_line *out)
{
	out->id = 0;
	out->id_kind = MK_ID_NUM;
	if (!*s)
		return 0;
	if (!strcmp(s, "t"))
		out->id_kind = MK_ID_TID;
	else if (!strcmp(s, "p"))
		out->id_kind = MK_ID_PID;
	else if (!strcmp(s, "pp"))
		out->id_kind = MK_ID_PPID;
	else if (parse_i64(s, &out->id))
		return -EINVAL;
	return 0;
}

/* Tags: one or more non-empty names joined by '.'. */
static int check_tags(const char *t)
{
	const char *p = t;

	if (!*t)
		return -EINVAL;
	for (;;) {
		size_t n = strcspn(p, ".");

		if (!n)
			return -EINVAL;
		p += n;
		if (!*p)
			return 0;
		p++;
	}
}

/* "a=1,b=2" in place; "" gives none.  Extra arguments past MK_MAX_ARGS are ignored. */
static int parse_args(char *s, struct mk_line *out)
{
	out->nargs = 0;
	while (*s) {
		char *comma = strchr(s, ','), *eq;

		if (comma)
			*comma = 0;
		eq = strchr(s, '=');
		if (!eq || eq == s)
			return -EINVAL;
		*eq = 0;
		if (out->nargs < MK_MAX_ARGS) {
			out->args[out->nargs].key = s;
			out->args[out->nargs].val = eq + 1;
			out->nargs++;
		}
		if (!comma)
			break;
		s = comma + 1;
	}
	return 0;
}

/* ">:ID:TAGS:ARGS:" in out->buf (NUL-terminated, newline stripped). */
static int parse_sysdig(struct mk_line *out)
{
	char *p = out->buf + 2, *c;

	out->kind = out->buf[0] == '>' ? MK_SD_BEGIN : MK_SD_END;
	c = strchr(p, ':');
	if (!c)
		return -EINVAL;
	*c = 0;
	if (parse_id(p, out))
		return -EINVAL;
	p = c + 1;
	c = strchr(p, ':');
	if (c)
		*c = 0;
	out->tags = p;
	if (check_tags(p))
		return -EINVAL;
	out->nargs = 0;
	if (!c)
		return 0;
	p = c + 1;
	c = strchr(p, ':');
	if (c) {
		*c = 0;
		if (c[1])
			return -EINVAL; /* anything after the closing ':' */
	}
	return parse_args(p, out);
}

/* atrace: "X|pid|rest" -- the pid, and the rest (NULL when absent). */
static int atrace_pid(char *p, int32_t *pid, char **rest)
{
	char *bar = strchr(p, '|');
	int64_t v;

	*rest = NULL;
	if (bar) {
		*bar = 0;
		*rest = bar + 1;
	}
	if (parse_i64(p, &v) || v < 0 || v > 0x7fffffff)
		return -EINVAL;
	*pid = (int32_t)v;
	return 0;
}

static int parse_atrace(struct mk_line *out)
{
	char kind = out->buf[0], *rest, *last;

	out->pid = 0;
	out->tags = "";
	out->nargs = 0;
	switch (kind) {
	case 'B':
		out->kind = MK_AT_BEGIN;
		break;
	case 'E':
		out->kind = MK_AT_END;
		break;
	case 'C':
		out->kind = MK_AT_COUNTER;
		break;
	case 'S':
		out->kind = MK_AT_ASYNC_BEGIN;
		break;
	case 'F':
		out->kind = MK_AT_ASYNC_END;
		break;
	default:
		out->kind = MK_AT_INSTANT;
		break;
	}
	if (!out->buf[1])
		return kind == 'E' ? 0 : -EINVAL; /* a bare "E" */
	if (atrace_pid(out->buf + 2, &out->pid, &rest))
		return -EINVAL;
	if (kind == 'E')
		return 0; /* "E|pid" and "E|pid|name..." alike */
	if (!rest || !*rest)
		return -EINVAL;
	out->tags = rest;
	if (kind == 'B' || kind == 'I')
		return 0;
	/* C, S, F: the value or cookie after the last '|' */
	last = strrchr(rest, '|');
	if (!last || last == rest || !last[1])
		return -EINVAL;
	*last = 0;
	if (kind == 'C') {
		char *end;

		errno = 0;
		out->value = strtod(last + 1, &end);
		if (errno || *end)
			return -EINVAL;
		return 0;
	}
	return parse_i64(last + 1, &out->cookie) ? -EINVAL : 0;
}

#ifdef MK_JSON
/* Append @s to out->buf at *pos; the copy's start, or NULL when full. */
static const char *buf_add(struct mk_line *out, size_t *pos, const char *s, size_t len)
{
	char *d = out->buf + *pos;

	if (*pos + len + 1 > sizeof(out->buf))
		return NULL;
	memcpy(d, s, len);
	d[len] = 0;
	*pos += len + 1;
	return d;
}

static int json_arg(struct mk_line *out, size_t *pos, const char *k, struct json_object *v)
{
	const char *ks, *vs, *sv = json_object_get_string(v);

	if (out->nargs >= MK_MAX_ARGS)
		return 0;
	if (!sv)
		sv = "null";
	ks = buf_add(out, pos, k, strlen(k));
	vs = ks ? buf_add(out, pos, sv, strlen(sv)) : NULL;
	if (!vs)
		return -EINVAL;
	out->args[out->nargs].key = ks;
	out->args[out->nargs].val = vs;
	out->nargs++;
	return 0;
}

/* ["<dir>", ID, ["tag1", "tag2"], [{"arg1": "val1"}, ...]] */
static int parse_json(const char *text, size_t len, struct mk_line *out)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *root = NULL, *dir, *id, *tags, *args;
	char line[MK_MAX_LINE + 8];
	size_t pos, i, n;
	int ret = -EINVAL;

	if (!tok)
		return -ENOMEM;
	memcpy(line, text, len); /* json-c reads text of a given length */
	line[len] = 0;
	root = json_tokener_parse_ex(tok, line, (int)len);
	if (!root || json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != len || !json_object_is_type(root, json_type_array) ||
	    json_object_array_length(root) < 3 || json_object_array_length(root) > 4)
		goto out;
	dir = json_object_array_get_idx(root, 0);
	id = json_object_array_get_idx(root, 1);
	tags = json_object_array_get_idx(root, 2);
	args = json_object_array_length(root) > 3 ? json_object_array_get_idx(root, 3) : NULL;
	if (!json_object_is_type(dir, json_type_string))
		goto out;
	if (!strcmp(json_object_get_string(dir), ">"))
		out->kind = MK_SD_BEGIN;
	else if (!strcmp(json_object_get_string(dir), "<"))
		out->kind = MK_SD_END;
	else
		goto out;
	if (!id || json_object_is_type(id, json_type_null)) {
		out->id_kind = MK_ID_NUM;
		out->id = 0;
	} else if (json_object_is_type(id, json_type_int)) {
		out->id_kind = MK_ID_NUM;
		out->id = json_object_get_int64(id);
	} else if (!json_object_is_type(id, json_type_string) ||
		   parse_id(json_object_get_string(id), out)) {
		goto out;
	}
	/* the tags, joined by '.', at the start of buf */
	pos = 0;
	if (json_object_is_type(tags, json_type_string)) {
		const char *s = json_object_get_string(tags);

		if (!buf_add(out, &pos, s, strlen(s)))
			goto out;
	} else if (json_object_is_type(tags, json_type_array)) {
		n = json_object_array_length(tags);
		for (i = 0; i < n; i++) {
			struct json_object *t = json_object_array_get_idx(tags, i);
			const char *s;
			size_t l;

			if (!json_object_is_type(t, json_type_string))
				goto out;
			s = json_object_get_string(t);
			l = strlen(s);
			if (pos + l + 2 > sizeof(out->buf))
				goto out;
			if (i)
				out->buf[pos - 1] = '.'; /* over the previous NUL */
			memcpy(out->buf + pos, s, l);
			out->buf[pos + l] = 0;
			pos += l + 1;
		}
		if (!n)
			goto out;
	} else {
		goto out;
	}
	out->tags = out->buf;
	if (check_tags(out->tags))
		goto out;
	out->nargs = 0;
	if (args && json_object_is_type(args, json_type_array)) {
		n = json_object_array_length(args);
		for (i = 0; i < n; i++) {
			struct json_object *o = json_object_array_get_idx(args, i);

			if (!json_object_is_type(o, json_type_object))
				goto out;
			json_object_object_foreach(o, k, v) if (json_arg(out, &pos, k, v)) goto out;
		}
	} else if (args && json_object_is_type(args, json_type_object)) {
		json_object_object_foreach(args, k, v) if (json_arg(out, &pos, k, v)) goto out;
	} else if (args && !json_object_is_type(args, json_type_null)) {
		goto out;
	}
	ret = 0;
out:
	json_object_put(root);
	json_tokener_free(tok);
	return ret;
}
#endif

int mk_is_marker(const char *text, size_t len)
{
	if (!len)
		return 0;
	switch (text[0]) {
	case '>':
	case '<':
		return len > 1 && text[1] == ':';
	case '[': {
		size_t i = 1;

		while (i < len && text[i] == ' ')
			i++;
		return i < len && text[i] == '"'; /* ["<", ... or [">", ... */
	}
	case 'B':
	case 'C':
	case 'S':
	case 'F':
	case 'I':
		return len > 1 && text[1] == '|';
	case 'E':
		return len == 1 || text[1] == '|' || text[1] == '\n';
	default:
		return 0;
	}
}

int mk_parse(const char *text, size_t len, struct mk_line *out)
{
	if (len > MK_MAX_LINE)
		len = MK_MAX_LINE;
	/* the line ends at its first newline (or NUL) */
	{
		const char *nl = memchr(text, '\n', len), *nul = memchr(text, 0, len);

		if (nl)
			len = (size_t)(nl - text);
		if (nul && (size_t)(nul - text) < len)
			len = (size_t)(nul - text);
	}
	while (len && (text[len - 1] == '\r' || text[len - 1] == ' '))
		len--;
	out->kind = MK_NONE;
	out->nargs = 0;
	out->tags = "";
	out->id = 0;
	out->id_kind = MK_ID_NUM;
	if (!mk_is_marker(text, len))
		return -EINVAL;
	if (text[0] == '[') {
#ifdef MK_JSON
		return parse_json(text, len, out);
#else
		out->kind = MK_SD_BEGIN;
		return -ENOTSUP;
#endif
	}
	memcpy(out->buf, text, len);
	out->buf[len] = 0;
	if (text[0] == '>' || text[0] == '<')
		return parse_sysdig(out);
	return parse_atrace(out);
}

/* --- the engine -------------------------------------------------------------- */

struct mk_open {
	struct mk_open *id_next; /* older on its ID's stack (or the free list) */
	struct mk_open *th_prev; /* older on its thread */
	struct mk_open *th_next; /* newer on its thread */
	struct mk_thread *th;
	struct mk_idstack *ids;
	uint64_t ts, hash;
	int64_t id;
	uint32_t pid, tid;
	unsigned nargs;
	char tags[MK_TAGS_MAX];
	char args[MK_ARGS_MAX]; /* key\0val\0... */
};

struct mk_idstack {
	struct mk_open *top;
	unsigned n;
};

struct mk_thread {
	struct mk_open *top; /* the newest open sysdig span it began */
	uint32_t pid;
	uint32_t depth; /* atrace B open */
};

struct mk_async {
	pft_track track;
	struct mk_slots *slots;
	int slot;
	uint32_t depth;
};

struct mk_slots {
	uint64_t bits;
};

struct mk_block {
	struct mk_block *next;
	/* data follows */
};

static void *mk_alloc(struct mk_engine *e, size_t size)
{
	struct mk_block *b = calloc(1, sizeof(*b) + size);

	if (!b)
		return NULL;
	b->next = e->allocs;
	e->allocs = b;
	return b + 1;
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *c = p;

	while (n--) {
		h ^= *c++;
		h *= 0x100000001b3ull;
	}
	return h;
}

static uint64_t str_hash(const char *s)
{
	uint64_t h = fnv(0xcbf29ce484222325ull, s, strlen(s));

	return h ? h : 1;
}

void mk_engine__init(struct mk_engine *e, struct pft_host *h, const struct pft_host_ops *ops)
{
	memset(e, 0, sizeof(*e));
	e->h = h;
	e->ops = ops;
}

static struct mk_thread *thread_get(struct mk_engine *e, uint32_t pid, uint32_t tid)
{
	struct mk_thread *t = u64map_get(&e->threads, (uint64_t)tid + 1);

	if (t)
		return t;
	t = mk_alloc(e, sizeof(*t));
	if (!t || u64map_put(&e->threads, (uint64_t)tid + 1, t))
		return NULL;
	t->pid = pid;
	return t;
}

static unsigned add_args(struct pft_arg *a, unsigned n, unsigned cap, const char *packed,
			 unsigned nargs)
{
	const char *p = packed;
	unsigned i;

	for (i = 0; i < nargs && n < cap; i++) {
		a[n].name = p;
		p += strlen(p) + 1;
		a[n].kind = PFT_ARG_STR;
		a[n].v.s = p;
		p += strlen(p) + 1;
		n++;
	}
	return n;
}

static int64_t resolve_id(struct mk_engine *e, const struct mk_line *l, const struct mk_writer *w)
{
	switch (l->id_kind) {
	case MK_ID_TID:
		return w->tid;
	case MK_ID_PID:
		return w->pid;
	case MK_ID_PPID:
		return e->ppid ? e->ppid(e->ppid_ctx, w->pid) : 0;
	default:
		return l->id;
	}
}

/* The ID's key in e->ids: never 0. */
static uint64_t id_key(int64_t id)
{
	return (uint64_t)id + 1 ? (uint64_t)id + 1 : 0x8000000000000001ull;
}

static void sd_begin(struct mk_engine *e, const struct mk_writer *w, const struct mk_line *l)
{
	int64_t id = resolve_id(e, l, w);
	struct mk_idstack *s = u64map_get(&e->ids, id_key(id));
	struct mk_thread *th = thread_get(e, w->pid, w->tid);
	struct mk_open *o;
	size_t pos = 0;
	unsigned i;

	if (!s) {
		s = mk_alloc(e, sizeof(*s));
		if (!s || u64map_put(&e->ids, id_key(id), s)) {
			e->st.dropped++;
			return;
		}
	}
	if (s->n >= MK_MAX_OPEN || !th) {
		e->st.dropped++;
		return;
	}
	o = e->free;
	if (o)
		e->free = o->id_next;
	else if (!(o = mk_alloc(e, sizeof(*o)))) {
		e->st.dropped++;
		return;
	}
	o->ts = w->ts;
	o->pid = w->pid;
	o->tid = w->tid;
	o->id = id;
	o->hash = str_hash(l->tags);
	snprintf(o->tags, sizeof(o->tags), "%s", l->tags);
	o->nargs = 0;
	for (i = 0; i < l->nargs; i++) {
		size_t kl = strlen(l->args[i].key) + 1, vl = strlen(l->args[i].val) + 1;

		if (pos + kl + vl > sizeof(o->args))
			break;
		memcpy(o->args + pos, l->args[i].key, kl);
		memcpy(o->args + pos + kl, l->args[i].val, vl);
		pos += kl + vl;
		o->nargs++;
	}
	o->ids = s;
	o->id_next = s->top;
	s->top = o;
	s->n++;
	o->th = th;
	o->th_prev = th->top;
	o->th_next = NULL;
	if (th->top)
		th->top->th_next = o;
	th->top = o;
	e->st.begins++;
}

/* Take @o off its ID's stack and its thread's list; emit it; recycle it. */
static void sd_close(struct mk_engine *e, struct mk_open *o, uint64_t ts, uint32_t end_tid,
		     const struct mk_line *l, int unfinished)
{
	struct mk_open **pp;
	struct pft_arg a[2 * MK_MAX_ARGS + 2];
	unsigned n = 0;
	int innermost = o->th->top == o && end_tid == o->tid;
	pft_track track;

	for (pp = &o->ids->top; *pp; pp = &(*pp)->id_next)
		if (*pp == o) {
			*pp = o->id_next;
			break;
		}
	o->ids->n--;
	if (o->th_next)
		o->th_next->th_prev = o->th_prev;
	else
		o->th->top = o->th_prev;
	if (o->th_prev)
		o->th_prev->th_next = o->th_next;

	if (innermost)
		track = th_track(e, o->pid, o->tid);
	else
		track = e->ops->track_process(e->h, o->pid, o->tags);
	if (o->id) {
		a[n].name = "id";
		a[n].kind = PFT_ARG_INT;
		a[n].v.i = o->id;
		n++;
	}
	n = add_args(a, n, MK_MAX_ARGS + 1, o->args, o->nargs);
	e->ops->slice_begin(e->h, track, o->ts, o->tags, a, n);
	n = 0;
	if (l)
		for (unsigned i = 0; i < l->nargs && n < MK_MAX_ARGS; i++) {
			a[n].name = l->args[i].key;
			a[n].kind = PFT_ARG_STR;
			a[n].v.s = l->args[i].val;
			n++;
		}
	if (unfinished) {
		a[n].name = "unfinished";
		a[n].kind = PFT_ARG_BOOL;
		a[n].v.b = 1;
		n++;
	}
	e->ops->slice_end(e->h, track, ts, a, n);
	if (!innermost)
		e->st.async_spans++;
	o->id_next = e->free;
	e->free = o;
}

static void sd_end(struct mk_engine *e, const struct mk_writer *w, const struct mk_line *l)
{
	int64_t id = resolve_id(e, l, w);
	struct mk_idstack *s = u64map_get(&e->ids, id_key(id));
	uint64_t h = str_hash(l->tags);
	struct mk_open *o;

	for (o = s ? s->top : NULL; o; o = o->id_next)
		if (o->hash == h && !strncmp(o->tags, l->tags, sizeof(o->tags) - 1))
			break;
	if (!o) {
		e->st.unmatched++;
		return;
	}
	sd_close(e, o, w->ts, w->tid, l, 0);
	e->st.ends++;
}

static uint64_t async_key(uint32_t pid, const char *name, int64_t cookie, int with_cookie)
{
	uint64_t h = fnv(0xcbf29ce484222325ull, &pid, sizeof(pid));

	h = fnv(h, name, strlen(name));
	if (with_cookie)
		h = fnv(h ^ 0xff, &cookie, sizeof(cookie));
	return h ? h : 1;
}

static void at_async(struct mk_engine *e, const struct mk_writer *w, const struct mk_line *l)
{
	uint32_t pid = l->pid ? (uint32_t)l->pid : w->pid;
	uint64_t key = async_key(pid, l->tags, l->cookie, 1);
	struct mk_async *a = u64map_get(&e->async, key);

	if (l->kind == MK_AT_ASYNC_END) {
		if (!a || !a->depth) {
			e->st.unmatched++;
			return;
		}
		e->ops->slice_end(e->h, a->track, w->ts, NULL, 0);
		if (!--a->depth)
			a->slots->bits &= ~(1ull << a->slot);
		e->st.atrace++;
		return;
	}
	if (!a) {
		a = mk_alloc(e, sizeof(*a));
		if (!a || u64map_put(&e->async, key, a)) {
			e->st.dropped++;
			return;
		}
	}
	if (!a->depth) {
		uint64_t nkey = async_key(pid, l->tags, 0, 0);
		struct mk_slots *s = u64map_get(&e->names, nkey);
		char name[MK_TAGS_MAX + 16];
		int slot;

		if (!s) {
			s = mk_alloc(e, sizeof(*s));
			if (!s || u64map_put(&e->names, nkey, s)) {
				e->st.dropped++;
				return;
			}
		}
		if (!~s->bits) {
			e->st.dropped++;
			return;
		}
		for (slot = 0; s->bits & (1ull << slot); slot++)
			;
		s->bits |= 1ull << slot;
		a->slots = s;
		a->slot = slot;
		if (slot)
			snprintf(name, sizeof(name), "%.*s #%d", MK_TAGS_MAX - 1, l->tags,
				 slot + 1);
		else
			snprintf(name, sizeof(name), "%.*s", MK_TAGS_MAX - 1, l->tags);
		a->track = e->ops->track_process(e->h, pid, name);
	}
	a->depth++;
	{
		struct pft_arg arg = {.name = "cookie", .kind = PFT_ARG_INT, .v.i = l->cookie};

		e->ops->slice_begin(e->h, a->track, w->ts, l->tags, &arg, 1);
	}
	e->st.atrace++;
}

void mk_engine__feed(struct mk_engine *e, const struct mk_writer *w, const char *text, size_t len)
{
	struct mk_line *l = &e->line;
	struct mk_thread *th;
	int ret;

	e->st.lines++;
	ret = mk_parse(text, len, l);
	if (ret == -ENOTSUP) {
		e->st.unsupported++;
		return;
	}
	if (ret) {
		if (l->kind == MK_NONE)
			e->st.other++;
		else
			e->st.bad++;
		return;
	}
	switch (l->kind) {
	case MK_SD_BEGIN:
		sd_begin(e, w, l);
		break;
	case MK_SD_END:
		sd_end(e, w, l);
		break;
	case MK_AT_BEGIN:
		th = thread_get(e, w->pid, w->tid);
		if (!th) {
			e->st.dropped++;
			break;
		}
		th->depth++;
		e->ops->slice_begin(e->h, th_track(e, w->pid, w->tid), w->ts, l->tags, NULL, 0);
		e->st.atrace++;
		break;
	case MK_AT_END:
		th = u64map_get(&e->threads, (uint64_t)w->tid + 1);
		if (!th || !th->depth) {
			e->st.unmatched++;
			break;
		}
		th->depth--;
		e->ops->slice_end(e->h, th_track(e, th->pid, w->tid), w->ts, NULL, 0);
		e->st.atrace++;
		break;
	case MK_AT_COUNTER:
		e->ops->counter(
			e->h,
			e->ops->track_counter(e->h, l->pid ? (uint32_t)l->pid : w->pid, l->tags),
			w->ts, l->value);
		e->st.atrace++;
		break;
	case MK_AT_ASYNC_BEGIN:
	case MK_AT_ASYNC_END:
		at_async(e, w, l);
		break;
	case MK_AT_INSTANT:
		e->ops->instant(e->h, th_track(e, w->pid, w->tid), w->ts, l->tags, NULL, 0);
		e->st.atrace++;
		break;
	default:
		e->st.other++;
		break;
	}
}

void mk_engine__finish(struct mk_engine *e, uint64_t ts)
{
	static const struct pft_arg unf = {.name = "unfinished", .kind = PFT_ARG_BOOL, .v.b = 1};
	size_t i;

	for (i = 0; i < e->threads.cap; i++) {
		struct mk_thread *th = e->threads.vals[i];
		uint32_t tid = (uint32_t)(e->threads.keys[i] - 1);

		if (!e->threads.keys[i])
			continue;
		/* innermost first: each is the thread's newest when it is closed */
		while (th->top) {
			sd_close(e, th->top, ts, th->top->tid, NULL, 1);
			e->st.unfinished++;
		}
		while (th->depth) {
			th->depth--;
			e->ops->slice_end(e->h, th_track(e, th->pid, tid), ts, &unf, 1);
			e->st.unfinished++;
		}
	}
	for (i = 0; i < e->async.cap; i++) {
		struct mk_async *a = e->async.vals[i];

		if (!e->async.keys[i])
			continue;
		while (a->depth) {
			a->depth--;
			e->ops->slice_end(e->h, a->track, ts, &unf, 1);
			e->st.unfinished++;
		}
		a->slots->bits &= ~(1ull << a->slot);
	}
}

void mk_engine__free(struct mk_engine *e)
{
	struct mk_block *b = e->allocs, *n;

	while (b) {
		n = b->next;
		free(b);
		b = n;
	}
	e->allocs = NULL;
	e->free = NULL;
	u64map_free(&e->ids);
	u64map_free(&e->threads);
	u64map_free(&e->async);
	u64map_free(&e->names);
}

/* --- ring-buffer pages ------------------------------------------------------- */

#define RB_PAGE_HDR 16
#define RB_MISSED_EVENTS (1ull << 31)
#define RB_MISSED_STORED (1ull << 30)
#define RB_TYPE_PADDING 29
#define RB_TYPE_TIME_EXTEND 30
#define RB_TYPE_TIME_STAMP 31

static uint32_t rd32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

int mk_rb_page__parse(const void *page, size_t n, mk_rb_fn fn, void *ctx, int *missed)
{
	const unsigned char *p = page, *end;
	uint64_t ts, commit;
	size_t size;

	*missed = 0;
	if (n < RB_PAGE_HDR)
		return -EINVAL;
	memcpy(&ts, p, 8);
	memcpy(&commit, p + 8, 8);
	*missed = !!(commit & (RB_MISSED_EVENTS | RB_MISSED_STORED));
	size = (size_t)(commit & (RB_MISSED_STORED - 1));
	if (size > n - RB_PAGE_HDR)
		return -EINVAL;
	p += RB_PAGE_HDR;
	end = p + size;
	while (p + 4 <= end) {
		uint32_t hdr = rd32(p), type = hdr & 0x1f, delta = hdr >> 5, len;

		switch (type) {
		case RB_TYPE_PADDING:
			if (!delta)
				return 0; /* the rest of the page is empty */
			if (p + 8 > end)
				return -EINVAL;
			len = rd32(p + 4);
			if (len > (size_t)(end - p) - 4)
				return -EINVAL;
			p += 4 + len; /* a discarded event */
			continue;
		case RB_TYPE_TIME_EXTEND:
			if (p + 8 > end)
				return -EINVAL;
			ts += ((uint64_t)rd32(p + 4) << 27) + delta;
			p += 8;
			continue;
		case RB_TYPE_TIME_STAMP:
			if (p + 8 > end)
				return -EINVAL;
			/* absolute: the low 59 bits, the page's top bits kept */
			ts = (ts & ~((1ull << 59) - 1)) | (((uint64_t)rd32(p + 4) << 27) + delta);
			p += 8;
			continue;
		case 0:
			if (p + 8 > end)
				return -EINVAL;
			len = rd32(p + 4);
			if (len < 4 || len > (size_t)(end - p) - 4)
				return -EINVAL;
			ts += delta;
			fn(ctx, ts, p + 8, len - 4);
			p += 4 + len;
			continue;
		default:
			len = type * 4;
			if (len > (size_t)(end - p) - 4)
				return -EINVAL;
			ts += delta;
			fn(ctx, ts, p + 4, len);
			p += 4 + len;
			continue;
		}
	}
	return p == end ? 0 : -EINVAL;
}
