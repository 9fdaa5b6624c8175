/* SPDX-License-Identifier: MIT */
/*
 * core/spans: slices from pairs of events (--span, --spans, systing's
 * --trace-event-config).  A built-in source like the others: it subscribes to
 * each event of the span set through the host (tracepoints directly, probe
 * specs through the plugin that resolves them) and turns hits into slices,
 * instants and arguments with the host's track calls.
 *
 * Pairing (struct ss_span.kind):
 *  - thread: START opens a slice on the thread's track, the next END of the
 *    same thread closes the latest open one (nesting when START repeats);
 *  - process / cpu: the same per process (a track of the process named after
 *    the span) or per CPU (a global track);
 *  - keyed: START and END carry an argument with the same value (a request
 *    id, a lock address), on any threads of the process: an async slice on a
 *    track of the process; concurrent ones get tracks of their own ("NAME",
 *    "NAME #2", ...), since slices nest strictly per track.
 * An END with nothing open is counted, never invented; slices still open when
 * the recording stops are closed at its end with unfinished=true.
 *
 * Per hit: hash lookups and track calls; a state is allocated the first time
 * a (span, thread/process/key) pair is seen, not per hit.
 */
#include "config.h"
#include "core/options.h"
#include "core/source.h"
#include "core/spanspec.h"
#include "core/util.h"
#include "core/u64map.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_ARGS 8
#define MAX_SLOTS 64 /* concurrent keyed slices per span */

struct spans;

/* One event of the set and what its hits do. */
struct sp_event {
	struct spans *sp;
	size_t idx;
	struct pft_event *ev;
	struct pft_field args[MAX_ARGS]; /* systing args, located by name */
	const char *arg_names[MAX_ARGS];
	unsigned nargs;
	uint64_t hits;
};

/* One open (or once open) pairing context: a thread, process, cpu or key. */
struct sp_ctx {
	uint32_t pid, tid;
	uint32_t depth; /* open slices */
	int slot;	/* keyed: the track slot in use, -1 none */
	pft_track track;
	struct sp_ctx *next; /* all contexts of the span, for the end */
};

struct sp_span {
	const struct ss_span *def;
	struct pft_field key_start, key_end;
	struct u64map ctx; /* context key -> struct sp_ctx */
	struct sp_ctx *all;
	uint64_t slots; /* keyed: slot bitmap */
	uint64_t begun, ended, unmatched, unfinished, dropped;
};

struct spans {
	struct pft_host *h;
	const struct pft_host_ops *ops;
	const struct ss_set *set;
	struct sp_event *events;
	struct sp_span *spans;
	uint64_t last_ts;
};

static uint64_t ctx_key(const struct sp_span *s, const struct pft_record *r, uint64_t keyval)
{
	switch (s->def->kind) {
	case SS_SPAN_PROCESS:
		return (uint64_t)r->pid + 1;
	case SS_SPAN_CPU:
		return (uint64_t)r->cpu + 1;
	case SS_SPAN_KEYED:
		return keyval ? keyval : 0x8000000000000000ull;
	default:
		return (uint64_t)r->tid + 1;
	}
}

static struct sp_ctx *ctx_get(struct sp_span *s, uint64_t key, int create)
{
	struct sp_ctx *c = u64map_get(&s->ctx, key);

	if (c || !create)
		return c;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->slot = -1;
	if (u64map_put(&s->ctx, key, c)) {
		free(c);
		return NULL;
	}
	c->next = s->all;
	s->all = c;
	return c;
}

static pft_track track_for(struct spans *sp, struct sp_span *s, struct sp_ctx *c,
			   const struct pft_record *r)
{
	const struct ss_span *d = s->def;
	char name[160];

	switch (d->kind) {
	case SS_SPAN_PROCESS:
		return sp->ops->track_process(sp->h, r->pid, d->track ? d->track : d->name);
	case SS_SPAN_CPU:
		snprintf(name, sizeof(name), "%s cpu %u", d->track ? d->track : d->name, r->cpu);
		return sp->ops->track_global(sp->h, name);
	case SS_SPAN_KEYED:
		if (c->slot)
			snprintf(name, sizeof(name), "%s #%d", d->track ? d->track : d->name,
				 c->slot + 1);
		else
			snprintf(name, sizeof(name), "%s", d->track ? d->track : d->name);
		return sp->ops->track_process(sp->h, r->pid, name);
	default:
		return sp->ops->track_thread(sp->h, r->pid, r->tid);
	}
}

/* The arguments of a hit of @e, into @out; returns how many. */
static unsigned hit_args(const struct sp_event *e, const struct pft_record *r, struct pft_arg *out,
			 char strs[][128])
{
	unsigned i, n = 0;

	for (i = 0; i < e->nargs; i++) {
		const struct pft_field *f = &e->args[i];

		out[n].name = e->arg_names[i];
		if (f->flags & PFT_FIELD_STRING) {
			out[n].kind = PFT_ARG_STR;
			out[n].v.s = pft_field_str(f, r->raw, r->raw_size, strs[i], 128);
		} else if (f->flags & PFT_FIELD_SIGNED) {
			out[n].kind = PFT_ARG_INT;
			out[n].v.i = pft_field_s64(f, r->raw);
		} else {
			out[n].kind = PFT_ARG_UINT;
			out[n].v.u = pft_field_u64(f, r->raw);
		}
		n++;
	}
	return n;
}

static int arg_named(const struct pft_arg *args, unsigned n, const char *name)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (!strcmp(args[i].name, name))
			return 1;
	return 0;
}

static void span_begin(struct spans *sp, struct sp_span *s, const struct pft_record *r,
		       const struct pft_arg *args, unsigned nargs)
{
	uint64_t keyval = 0;
	struct sp_ctx *c;

	if (s->def->kind == SS_SPAN_KEYED)
		keyval = pft_field_u64(&s->key_start, r->raw);
	c = ctx_get(s, ctx_key(s, r, keyval), 1);
	if (!c) {
		s->dropped++;
		return;
	}
	if (s->def->kind == SS_SPAN_KEYED) {
		int slot;

		if (c->depth) {
			/* the same key again before its end: the first one's end is lost */
			s->unfinished++;
			sp->ops->slice_end(sp->h, c->track, r->ts, NULL, 0);
			c->depth = 0;
			s->slots &= ~(1ull << c->slot);
		}
		for (slot = 0; slot < MAX_SLOTS && (s->slots >> slot & 1); slot++)
			;
		if (slot == MAX_SLOTS) {
			s->dropped++;
			return;
		}
		s->slots |= 1ull << slot;
		c->slot = slot;
	}
	c->pid = r->pid;
	c->tid = r->tid;
	c->track = track_for(sp, s, c, r);
	if (s->def->kind == SS_SPAN_KEYED && nargs < MAX_ARGS + 1) {
		/* the key is what pairs it: show it even when no argument names it */
		struct pft_arg all[MAX_ARGS + 1];

		memcpy(all, args, nargs * sizeof(*args));
		all[nargs].name = s->def->key;
		all[nargs].kind = PFT_ARG_UINT;
		all[nargs].v.u = keyval;
		if (!arg_named(args, nargs, s->def->key))
			nargs++;
		sp->ops->slice_begin(sp->h, c->track, r->ts, s->def->name, all, nargs);
	} else {
		sp->ops->slice_begin(sp->h, c->track, r->ts, s->def->name, args, nargs);
	}
	c->depth++;
	s->begun++;
}

static void span_end(struct spans *sp, struct sp_span *s, const struct pft_record *r,
		     const struct pft_arg *args, unsigned nargs)
{
	uint64_t keyval = 0;
	struct sp_ctx *c;

	if (s->def->kind == SS_SPAN_KEYED)
		keyval = pft_field_u64(&s->key_end, r->raw);
	c = ctx_get(s, ctx_key(s, r, keyval), 0);
	if (!c || !c->depth) {
		s->unmatched++;
		return;
	}
	sp->ops->slice_end(sp->h, c->track, r->ts, args, nargs);
	c->depth--;
	if (s->def->kind == SS_SPAN_KEYED) {
		s->slots &= ~(1ull << c->slot);
		c->slot = -1;
	}
	s->ended++;
}

static int on_hit(void *priv, const struct pft_record *r)
{
	struct sp_event *e = priv;
	struct spans *sp = e->sp;
	const struct ss_set *set = sp->set;
	struct pft_arg args[MAX_ARGS];
	char strs[MAX_ARGS][128];
	unsigned nargs;
	size_t i;

	if (!sp->ops->in_scope(sp->h, r->pid, r->tid))
		return 0;
	e->hits++;
	sp->last_ts = r->ts;
	nargs = hit_args(e, r, args, strs);
	for (i = 0; i < set->nr_spans; i++) {
		struct sp_span *s = &sp->spans[i];

		/* END first: an event that ends one span and starts the next
		 * (a loop's iteration marker) closes before it opens */
		if (s->def->end == e->idx)
			span_end(sp, s, r, args, nargs);
		if (s->def->start == e->idx)
			span_begin(sp, s, r, args, nargs);
	}
	for (i = 0; i < set->nr_instants; i++) {
		const struct ss_instant *in = &set->instants[i];
		pft_track t;

		if (in->event != e->idx)
			continue;
		t = in->track ? sp->ops->track_process(sp->h, r->pid, in->track)
			      : sp->ops->track_thread(sp->h, r->pid, r->tid);
		sp->ops->instant(sp->h, t, r->ts, set->events[e->idx].name, args, nargs);
	}
	return 1;
}

/* The full spec the host resolves: "SPEC FETCHARGS". */
static char *full_spec(const struct ss_event *d)
{
	size_t n = strlen(d->spec) + strlen(d->fetchargs ? d->fetchargs : "") + 2;
	char *s = malloc(n);

	if (s)
		snprintf(s, n, "%s%s%s", d->spec, d->fetchargs && *d->fetchargs ? " " : "",
			 d->fetchargs ? d->fetchargs : "");
	return s;
}

/* systing's arg_index of a tracepoint: the Nth field after the common_*
 * fields (and a syscall's __syscall_nr). */
static int tracepoint_arg(struct spans *sp, struct sp_event *e, unsigned index,
			  struct pft_field *out)
{
	const char *name;
	unsigned i, n = 0;

	for (i = 0; (name = sp->ops->field_at(e->ev, i, out)); i++) {
		if (!strncmp(name, "common_", 7) || !strcmp(name, "__syscall_nr"))
			continue;
		if (n++ == index)
			return 0;
	}
	return -ENOENT;
}

static int subscribe(struct spans *sp, size_t i)
{
	const struct ss_event *d = &sp->set->events[i];
	struct sp_event *e = &sp->events[i];
	char *spec = full_spec(d);
	size_t k;

	if (!spec)
		return -ENOMEM;
	e->sp = sp;
	e->idx = i;
	e->ev = sp->ops->event(sp->h, spec, d->stack ? PFT_EV_STACK : 0, on_hit, e);
	if (!e->ev && d->alt_spec) {
		free(spec);
		spec = malloc(strlen(d->alt_spec) + 1);
		if (!spec)
			return -ENOMEM;
		strcpy(spec, d->alt_spec);
		e->ev = sp->ops->event(sp->h, spec, d->stack ? PFT_EV_STACK : 0, on_hit, e);
	}
	free(spec);
	if (!e->ev)
		return -ENOENT;
	for (k = 0; k < d->nr_args && e->nargs < MAX_ARGS; k++) {
		if (d->kind == SS_EV_TRACEPOINT) {
			if (tracepoint_arg(sp, e, d->args[k].index, &e->args[e->nargs])) {
				sp->ops->error(sp->h, "event '%s' (%s) has no field number %u",
					       d->name, d->spec, d->args[k].index);
				return -ENOENT;
			}
		} else if (sp->ops->field(e->ev, d->args[k].field, &e->args[e->nargs])) {
			sp->ops->error(sp->h, "event '%s' (%s) has no argument '%s'", d->name,
				       d->spec, d->args[k].field);
			return -ENOENT;
		}
		e->arg_names[e->nargs++] = d->args[k].name;
	}
	return 0;
}

static int locate_keys(struct spans *sp, struct sp_span *s)
{
	const struct ss_span *d = s->def;

	if (d->kind != SS_SPAN_KEYED)
		return 0;
	if (sp->ops->field(sp->events[d->start].ev, d->key, &s->key_start) ||
	    sp->ops->field(sp->events[d->end].ev, d->key, &s->key_end)) {
		sp->ops->error(sp->h,
			       "span '%s': key '%s' must be an argument of both its start "
			       "(%s) and its end (%s)",
			       d->name, d->key, sp->set->events[d->start].spec,
			       sp->set->events[d->end].spec);
		return -ENOENT;
	}
	return 0;
}

static int spans_init(struct pft_host *h, const struct pft_host_ops *ops, void **priv)
{
	const struct record_opts *o = session__opts(h);
	struct spans *sp = calloc(1, sizeof(*sp));
	size_t i;
	int ret;

	if (!sp)
		return -ENOMEM;
	*priv = sp;
	sp->h = h;
	sp->ops = ops;
	sp->set = o->spans;
	sp->events = calloc(sp->set->nr_events + 1, sizeof(*sp->events));
	sp->spans = calloc(sp->set->nr_spans + 1, sizeof(*sp->spans));
	if (!sp->events || !sp->spans)
		return -ENOMEM;
	if (sp->set->nr_thresholds || sp->set->nr_stop_events)
		ops->warn(h, "stop_triggers of the config are ignored: pftrace has no continuous "
			     "(flight-recorder) mode yet");
	for (i = 0; i < sp->set->nr_events; i++) {
		if ((ret = subscribe(sp, i)))
			return ret;
	}
	for (i = 0; i < sp->set->nr_spans; i++) {
		sp->spans[i].def = &sp->set->spans[i];
		if ((ret = locate_keys(sp, &sp->spans[i])))
			return ret;
	}
	return 0;
}

/* Close what is still open at the end of the recording (now: the rings are
 * drained, and BOOTTIME is the trace's clock). */
static void spans_stop(void *priv)
{
	struct spans *sp = priv;
	struct pft_arg unfinished = {"unfinished", PFT_ARG_BOOL, {.b = 1}};
	struct timespec now;
	uint64_t end;
	size_t i;

	clock_gettime(CLOCK_BOOTTIME, &now);
	end = (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
	if (end < sp->last_ts)
		end = sp->last_ts;

	for (i = 0; i < sp->set->nr_spans; i++) {
		struct sp_span *s = &sp->spans[i];
		struct sp_ctx *c;

		for (c = s->all; c; c = c->next) {
			while (c->depth) {
				sp->ops->slice_end(sp->h, c->track, end, &unfinished, 1);
				c->depth--;
				s->unfinished++;
			}
		}
	}
}

static void spans_summary(void *priv)
{
	struct spans *sp = priv;
	size_t i;

	fprintf(stderr, "  %-34s %12s %12s %12s\n", "span", "slices", "unmatched end",
		"unfinished");
	for (i = 0; i < sp->set->nr_spans; i++) {
		const struct sp_span *s = &sp->spans[i];

		fprintf(stderr, "  %-34s %12llu %12llu %12llu\n", s->def->name,
			(unsigned long long)s->begun, (unsigned long long)s->unmatched,
			(unsigned long long)s->unfinished);
		if (s->dropped)
			fprintf(stderr,
				"  %-34s %llu starts dropped (more than %d open at once, "
				"or out of memory)\n",
				"", (unsigned long long)s->dropped, MAX_SLOTS);
	}
}

static void spans_fini(void *priv)
{
	struct spans *sp = priv;
	size_t i;

	if (!sp)
		return;
	for (i = 0; sp->spans && sp->set && i < sp->set->nr_spans; i++) {
		struct sp_ctx *c = sp->spans[i].all, *next;

		for (; c; c = next) {
			next = c->next;
			free(c);
		}
		u64map_free(&sp->spans[i].ctx);
	}
	free(sp->events);
	free(sp->spans);
	free(sp);
}

const struct pft_source_ops src_spans_ops = {
	.abi_version = PFT_ABI_VERSION,
	.name = "spans",
	.description = "slices from pairs of events (--span, --spans, --trace-event-config)",
	.init = spans_init,
	.stop = spans_stop,
	.summary = spans_summary,
	.fini = spans_fini,
};
