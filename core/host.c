// SPDX-License-Identifier: MIT
/*
 * core/host: the implementation of `struct pft_host_ops`, what every source
 * (built-in or plugin) calls: subscribe to a tracepoint, locate its fields,
 * ask whether a task is recorded, warn, emit any tracepoint generically,
 * give a subscription back.  The host is the session (core/session.c).
 */
#include "config.h"
#include "core/session_internal.h"
#include "core/tp.h"
#include "proto/writer.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static struct session *S(struct pft_host *h)
{
	return h->s;
}

static struct pft_event *host_tracepoint(struct pft_host *h, const char *system, const char *name,
					 unsigned flags, pft_tp_handler fn, void *priv)
{
	struct pft_event *ev = session__new_tracepoint(S(h), system, name, flags);

	if (!ev)
		return NULL;
	ev->fn = fn;
	ev->priv = priv;
	return ev;
}

static int host_field(struct pft_event *ev, const char *name, struct pft_field *out)
{
	return tp_format__field(ev->fmt, name, out);
}

int host__in_scope(struct session *s, uint32_t pid, uint32_t tid)
{
	if (s->mode == SCOPE_ALL)
		return 1;
	return u64map_get(&s->scope, (uint64_t)tid + 1) != NULL ||
	       (pid && u64map_get(&s->scope, (uint64_t)pid + 1) != NULL);
}

static int host_in_scope(struct pft_host *h, uint32_t pid, uint32_t tid)
{
	return host__in_scope(S(h), pid, tid);
}

static void host_warn(struct pft_host *h, const char *fmt, ...)
{
	struct session *s = S(h);
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	pft_warn("%s: %s", s->cur_src ? s->cur_src->name : "source", buf);
}

static void generic_fields(struct pft_event *ev)
{
	unsigned i, n = tp_format__nfields(ev->fmt);

	ev->gf_done = 1;
	ev->gf = calloc(n ? n : 1, sizeof(*ev->gf));
	if (!ev->gf)
		return;
	for (i = 0; i < n; i++) {
		struct gfield *g = &ev->gf[ev->ngf];

		g->name = tp_format__field_at(ev->fmt, i, &g->f);
		if (g->name)
			ev->ngf++;
	}
}

static void host_emit_generic(struct pft_host *h, struct pft_event *ev, const struct pft_record *r)
{
	struct session *s = S(h);
	struct pw_field out[32];
	char strs[8][128];
	unsigned i, n = 0, ns = 0;
	struct pw_ev e = { r->ts, r->cpu, r->tid };

	if (!ev->gf_done)
		generic_fields(ev);
	for (i = 0; i < ev->ngf && n < 32; i++) {
		const struct gfield *g = &ev->gf[i];
		struct pw_field *o = &out[n];

		if (g->f.offset + (g->f.flags & PFT_FIELD_DYNAMIC ? 4 : g->f.size) > r->raw_size)
			continue;
		o->name = g->name;
		if (g->f.flags & PFT_FIELD_STRING) {
			if (ns == 8)
				continue;
			o->kind = PW_FIELD_STR;
			o->s = pft_field_str(&g->f, r->raw, r->raw_size, strs[ns], sizeof(strs[ns]));
			ns++;
		} else if (g->f.flags & (PFT_FIELD_ARRAY | PFT_FIELD_DYNAMIC)) {
			continue;	/* non-string arrays are not described generically */
		} else if (g->f.flags & PFT_FIELD_SIGNED) {
			o->kind = PW_FIELD_INT;
			o->i = pft_field_s64(&g->f, r->raw);
		} else {
			o->kind = PW_FIELD_UINT;
			o->u = pft_field_u64(&g->f, r->raw);
		}
		n++;
	}
	pw_ftrace_generic(s->w, &e, ev->name, out, n);
}

static void host_drop(struct pft_event *ev)
{
	ev->dropped = 1;
}

static int host_fields(struct pft_event *ev, const char *const *names, struct pft_field *out,
		       unsigned n)
{
	unsigned i;

	if (!ev)
		return -ENOENT;
	for (i = 0; i < n; i++) {
		if (tp_format__field(ev->fmt, names[i], &out[i])) {
			pft_warn("%s: tracepoint %s:%s has no field '%s' on this kernel; not recorded",
				 ev->src ? ev->src->name : "source", ev->system, ev->name, names[i]);
			ev->dropped = 1;
			return -ENOENT;
		}
	}
	return 0;
}

const struct pft_host_ops session_host_ops = {
	.abi_version = PFT_ABI_VERSION,
	.tracepoint = host_tracepoint,
	.field = host_field,
	.in_scope = host_in_scope,
	.warn = host_warn,
	.emit_generic = host_emit_generic,
	.drop = host_drop,
	.fields = host_fields,
};
