/* SPDX-License-Identifier: MIT */
/*
 * core/host: the implementation of `struct pft_host_ops`, what every source
 * (built-in or plugin) calls: subscribe to a tracepoint, locate its fields,
 * ask whether a task is recorded, warn, emit any tracepoint generically,
 * give a subscription back.  The host is the session (core/session.c).
 */
#include "config.h"
#include "core/options.h"
#include "core/session_internal.h"
#include "core/session_test.h"
#include "core/tp.h"
#include "core/tracefs.h"
#include "proto/writer.h"
#include "symbolize/symbolize.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

/* struct pft_arg (the ABI) is passed to the writer as struct pw_arg */
_Static_assert(sizeof(struct pft_arg) == sizeof(struct pw_arg) &&
		       offsetof(struct pft_arg, kind) == offsetof(struct pw_arg, kind) &&
		       offsetof(struct pft_arg, v) == offsetof(struct pw_arg, v) &&
		       (int)PFT_ARG_INT == (int)PW_ARG_INT &&
		       (int)PFT_ARG_UINT == (int)PW_ARG_UINT &&
		       (int)PFT_ARG_DOUBLE == (int)PW_ARG_DOUBLE &&
		       (int)PFT_ARG_STR == (int)PW_ARG_STR &&
		       (int)PFT_ARG_BOOL == (int)PW_ARG_BOOL && (int)PFT_ARG_PTR == (int)PW_ARG_PTR,
	       "struct pft_arg and struct pw_arg differ");

static struct session *S(struct pft_host *h)
{
	return h->s;
}

static struct pft_event *host_tracepoint(struct pft_host *h, const char *system, const char *name,
					 unsigned flags, pft_handler fn, void *priv)
{
	struct pft_event *ev = session__new_tracepoint(S(h), system, name, flags);

	if (!ev)
		return NULL;
	ev->fn = fn;
	ev->priv = priv;
	return ev;
}

static const char *host_field_at(struct pft_event *ev, unsigned i, struct pft_field *out)
{
	return ev->fmt && i < tp_format__nfields(ev->fmt) ? tp_format__field_at(ev->fmt, i, out)
							  : NULL;
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

static void host_error(struct pft_host *h, const char *fmt, ...)
{
	struct session *s = S(h);
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	pft_error("%s: %s", s->cur_src ? s->cur_src->name : "source", buf);
	s->nr_errors++;
}

/* The active source of plugin @pl, initialising it now if it is new. */
static struct active_source *plugin_source(struct session *s, struct plugin *pl)
{
	unsigned i;
	int err = 0;

	for (i = 0; i < s->nsrcs; i++)
		if (s->srcs[i].pl == pl)
			return s->srcs[i].inited ? &s->srcs[i] : NULL;
	return session__init_source(s, pl->p->source, pl, &err);
}

/*
 * Any -e spec: "SYS:NAME" is a tracepoint; "PREFIX:..." whose prefix a
 * plugin declares goes to that plugin's resolve() (the plugin is loaded and
 * initialised on first use).
 */
static struct pft_event *host_event(struct pft_host *h, const char *spec, unsigned flags,
				    pft_handler fn, void *priv)
{
	struct session *s = S(h);
	const char *colon = strchr(spec, ':');
	char prefix[64], name[128];
	struct plugin *pl = NULL;
	size_t pl_len;

	pl_len = colon ? (size_t)(colon - spec) : 0;
	if (!colon || !pl_len || pl_len >= sizeof(prefix) || !colon[1]) {
		pft_error("event '%s': expected SYSTEM:EVENT or a probe spec (uprobe:, uretprobe:, "
			  "usdt:)",
			  spec);
		errno = EINVAL;
		return NULL;
	}
	memcpy(prefix, spec, pl_len);
	prefix[pl_len] = 0;
	if (!tfs_system_exists(prefix))
		pl = plugins__for_prefix(&s->plugins, prefix);
	if (pl) {
		const struct pft_source_ops *saved_src = s->cur_src;
		struct active_source *saved = s->cur, *a = plugin_source(s, pl);
		struct pft_event *ev;

		if (!a || !a->ops->resolve) {
			if (a)
				pft_error(
					"plugin '%s' declares '%s:' events but cannot resolve them",
					pl->p->name, prefix);
			errno = ENOENT;
			return NULL;
		}
		s->cur_src = a->ops;
		s->cur = a;
		ev = a->ops->resolve(a->priv, spec, flags, fn, priv);
		s->cur_src = saved_src;
		s->cur = saved;
		if (!ev)
			errno = EINVAL;
		return ev;
	}
	if (strlen(colon + 1) >= sizeof(name) || strpbrk(colon + 1, ": \t/")) {
		pft_error("event '%s': no tracepoint system '%s', and no plugin resolves '%s:' "
			  "events",
			  spec, prefix, prefix);
		pft_hint("tracepoints are SYSTEM:EVENT (see %s/available_events); user probes are "
			 "uprobe:, uretprobe: and usdt: specs",
			 tfs_dir() ? tfs_dir() : "tracefs");
		errno = ENOENT;
		return NULL;
	}
	snprintf(name, sizeof(name), "%s", colon + 1);
	return host_tracepoint(h, prefix, name, flags, fn, priv);
}

static const char *host_event_name(const struct pft_event *ev)
{
	return ev->kind == EV_RAW && !ev->fmt ? ev->label : ev->name;
}

static unsigned host_target_pids(struct pft_host *h, pid_t *out, unsigned cap)
{
	const struct record_opts *o = S(h)->opts;
	unsigned i, n = 0;

	/* a command is not started yet when sources subscribe: only -p */
	for (i = 0; i < o->npids && n < cap; i++)
		out[n++] = o->pids[i];
	return n;
}

static const char *host_tracefs_dir(struct pft_host *h)
{
	(void)h;
	return tfs_dir();
}

static const char *host_option(struct pft_host *h, const char *key)
{
	struct session *s = S(h);

	return s->cur && s->cur->pl ? plugin__option(s->cur->pl, key) : NULL;
}

/* --- tracks and slices ------------------------------------------------------- */

static pft_track host_track_thread(struct pft_host *h, uint32_t pid, uint32_t tid)
{
	return pw_track_thread(S(h)->w, pid, tid);
}

static pft_track host_track_process(struct pft_host *h, uint32_t pid, const char *name)
{
	return pw_track_process(S(h)->w, pid, name, 0);
}

static pft_track host_track_global(struct pft_host *h, const char *name)
{
	return pw_track_global(S(h)->w, name, 0);
}

static pft_track host_track_counter(struct pft_host *h, uint32_t pid, const char *name)
{
	return pw_track_counter(S(h)->w, pid, name);
}

static void host_slice_begin(struct pft_host *h, pft_track track, uint64_t ts, const char *name,
			     const struct pft_arg *args, unsigned nargs)
{
	pw_slice_begin(S(h)->w, track, ts, name, (const struct pw_arg *)args, nargs);
}

static void host_slice_end(struct pft_host *h, pft_track track, uint64_t ts,
			   const struct pft_arg *args, unsigned nargs)
{
	pw_slice_end(S(h)->w, track, ts, (const struct pw_arg *)args, nargs);
}

static void host_instant(struct pft_host *h, pft_track track, uint64_t ts, const char *name,
			 const struct pft_arg *args, unsigned nargs)
{
	pw_instant(S(h)->w, track, ts, name, (const struct pw_arg *)args, nargs);
}

static void host_counter(struct pft_host *h, pft_track track, uint64_t ts, double value)
{
	pw_counter(S(h)->w, track, ts, value);
}

/* --- stacks and process memory ------------------------------------------------- */

static int host_stack_hook(struct pft_host *h, pft_stack_fn fn, void *priv)
{
	struct session *s = S(h);

	if (s->opts->no_stacks)
		return -ENOTSUP;
	if (s->nhooks == MAX_STACK_HOOKS)
		return -E2BIG;
	s->hooks[s->nhooks].fn = fn;
	s->hooks[s->nhooks].priv = priv;
	s->hooks[s->nhooks].src = s->cur_src;
	s->nhooks++;
	return 0;
}

static ssize_t host_read_memory(struct pft_host *h, uint32_t pid, uint64_t addr, void *buf,
				size_t len)
{
	struct iovec local = {buf, len}, remote = {(void *)(uintptr_t)addr, len};
	ssize_t n;

	(void)h;
	n = process_vm_readv((pid_t)pid, &local, 1, &remote, 1, 0);
	return n < 0 ? -errno : n;
}

/* One line of /proc/PID/maps; 0 or -EINVAL. */
int session__parse_maps_line(char *line, struct pft_mapping *m)
{
	unsigned long long start, end, pgoff;
	char perms[8];
	int n = 0;

	if (sscanf(line, "%llx-%llx %7s %llx %*s %*s%n", &start, &end, perms, &pgoff, &n) < 4)
		return -EINVAL;
	while (line[n] == ' ')
		n++;
	line[n + strcspn(line + n, "\n")] = 0;
	m->start = start;
	m->end = end;
	m->pgoff = pgoff;
	m->prot = (perms[0] == 'r' ? PFT_MAP_READ : 0) | (perms[1] == 'w' ? PFT_MAP_WRITE : 0) |
		  (perms[2] == 'x' ? PFT_MAP_EXEC : 0);
	m->path = line + n;
	return 0;
}

static int host_mappings(struct pft_host *h, uint32_t pid,
			 int (*fn)(void *ctx, const struct pft_mapping *m), void *ctx)
{
	char path[64], line[4096 + 128];
	FILE *f;
	int ret = 0;

	(void)h;
	snprintf(path, sizeof(path), "/proc/%u/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (!ret && fgets(line, sizeof(line), f)) {
		struct pft_mapping m;

		if (!session__parse_maps_line(line, &m))
			ret = fn(ctx, &m);
	}
	fclose(f);
	return ret;
}

static int host_symbolize(struct pft_host *h, uint32_t pid, uint64_t addr, char *name, size_t cap,
			  uint64_t *offset)
{
	struct session *s = S(h);
	const char *fn = NULL;

	if (!s->syms && !(s->syms = sym_cache__new()))
		return -ENOMEM;
	if (!pid) {
		if (!s->kallsyms_tried) {
			s->kallsyms_tried = 1;
			sym_kallsyms__load(s->syms, "/proc/kallsyms");
		}
		fn = sym_kernel__resolve(s->syms, addr);
		*offset = addr;
	} else {
		struct sym_maps *m = sym_cache__maps(s->syms, (pid_t)pid, 1);
		struct sym_frame f;

		if (m && !sym_resolve(s->syms, m, addr, &f)) {
			fn = f.name;
			*offset = f.rel_pc;
		}
	}
	if (!fn || !cap)
		return -ENOENT;
	snprintf(name, cap, "%s", fn);
	return 0;
}

struct symaddr_ctx {
	uint32_t pid;
	const char *file, *name;
	uint64_t addr;
	char tried[4096]; /* the last file looked in (its mappings come in a row) */
	int found;	  /* ... whether it has the symbol */
	uint64_t off;	  /* ... at this file offset */
	uint64_t below;	  /* a .bss symbol: the address through the file's last mapping
			   * below its offset (the anonymous bss follows it), or 0 */
	uint64_t below_pgoff;
};

static int symaddr_one(void *ctx, const struct pft_mapping *m)
{
	struct symaddr_ctx *c = ctx;
	char path[4096 + 64];
	size_t pl = strlen(m->path), fl;

	if (m->path[0] != '/')
		return 0;
	if (c->file) {
		fl = strlen(c->file);
		if (pl < fl || strcmp(m->path + pl - fl, c->file))
			return 0;
	}
	if (strcmp(c->tried, m->path)) {
		snprintf(c->tried, sizeof(c->tried), "%s", m->path);
		/* through the process's root: it may live in another mount namespace */
		snprintf(path, sizeof(path), "/proc/%u/root%s", c->pid, m->path);
		c->found = !sym_elf__lookup(path, c->name, &c->off, NULL);
	}
	if (c->found && c->off >= m->pgoff + (m->end - m->start) && m->pgoff >= c->below_pgoff) {
		c->below = m->start + (c->off - m->pgoff);
		c->below_pgoff = m->pgoff;
	}
	if (!c->found || c->off < m->pgoff || c->off >= m->pgoff + (m->end - m->start))
		return 0; /* not there, or another mapping of the file holds it */
	c->addr = m->start + (c->off - m->pgoff);
	return 1;
}

static int host_symbol_address(struct pft_host *h, uint32_t pid, const char *file, const char *name,
			       uint64_t *addr)
{
	struct symaddr_ctx c;

	memset(&c, 0, sizeof(c));
	c.pid = pid;
	c.file = file;
	c.name = name;
	if (host_mappings(h, pid, symaddr_one, &c) != 1) {
		if (!c.below)
			return -ENOENT;
		c.addr = c.below; /* in .bss, past the file's bytes */
	}
	*addr = c.addr;
	return 0;
}

static void host_max_read_delay(struct pft_host *h, uint32_t ms)
{
	struct session *s = S(h);

	if (ms && (!s->max_read_delay_ms || ms < s->max_read_delay_ms))
		s->max_read_delay_ms = ms;
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
		/* uprobes' own bookkeeping (__probe_ip, __probe_ret_ip) says nothing
		 * on an instant: left out once here, not per hit */
		if (g->name && (ev->flags & PFT_EV_INSTANT) && !strncmp(g->name, "__probe_", 8))
			continue;
		if (g->name)
			ev->ngf++;
	}
}

/* A user probe's hit: an instant on the thread's track, fields as arguments. */
static void emit_instant(struct session *s, const struct pft_event *ev, const struct pft_record *r,
			 const struct pw_field *f, unsigned n)
{
	struct pw_arg args[32];
	unsigned i, k = 0;

	for (i = 0; i < n; i++) {
		args[k].name = f[i].name;
		switch (f[i].kind) {
		case PW_FIELD_STR:
			args[k].kind = PW_ARG_STR;
			args[k].v.s = f[i].s;
			break;
		case PW_FIELD_INT:
			args[k].kind = PW_ARG_INT;
			args[k].v.i = f[i].i;
			break;
		default:
			args[k].kind = PW_ARG_UINT;
			args[k].v.u = f[i].u;
			break;
		}
		k++;
	}
	pw_instant(s->w, pw_track_thread(s->w, r->pid, r->tid), r->ts, ev->name, args, k);
}

static void host_emit_generic(struct pft_host *h, struct pft_event *ev, const struct pft_record *r)
{
	struct session *s = S(h);
	struct pw_field out[32];
	char strs[8][128];
	unsigned i, n = 0, ns = 0;
	struct pw_ev e = {r->ts, r->cpu, r->tid};

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
			o->s = pft_field_str(&g->f, r->raw, r->raw_size, strs[ns],
					     sizeof(strs[ns]));
			ns++;
		} else if (g->f.flags & (PFT_FIELD_ARRAY | PFT_FIELD_DYNAMIC)) {
			continue; /* non-string arrays are not described generically */
		} else if (g->f.flags & PFT_FIELD_SIGNED) {
			o->kind = PW_FIELD_INT;
			o->i = pft_field_s64(&g->f, r->raw);
		} else {
			o->kind = PW_FIELD_UINT;
			o->u = pft_field_u64(&g->f, r->raw);
		}
		n++;
	}
	if (ev->flags & PFT_EV_INSTANT)
		emit_instant(s, ev, r, out, n);
	else
		pw_ftrace_generic(s->w, &e, ev->name, out, n);
}

static int host_set_filter(struct pft_event *ev, const char *filter)
{
	if (strlen(filter) >= sizeof(ev->filter))
		return -E2BIG;
	snprintf(ev->filter, sizeof(ev->filter), "%s", filter);
	return 0;
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
			pft_warn("%s: tracepoint %s:%s has no field '%s' on this kernel; not "
				 "recorded",
				 ev->src ? ev->src->name : "source", ev->system, ev->name,
				 names[i]);
			ev->dropped = 1;
			return -ENOENT;
		}
	}
	return 0;
}

const struct pft_host_ops session_host_ops = {
	.abi_version = PFT_ABI_VERSION,
	.tracepoint = host_tracepoint,
	.event = host_event,
	.field = host_field,
	.fields = host_fields,
	.drop = host_drop,
	.event_name = host_event_name,
	.in_scope = host_in_scope,
	.target_pids = host_target_pids,
	.tracefs_dir = host_tracefs_dir,
	.option = host_option,
	.warn = host_warn,
	.error = host_error,
	.emit_generic = host_emit_generic,
	.track_thread = host_track_thread,
	.track_process = host_track_process,
	.track_global = host_track_global,
	.track_counter = host_track_counter,
	.slice_begin = host_slice_begin,
	.slice_end = host_slice_end,
	.instant = host_instant,
	.counter = host_counter,
	.stack_hook = host_stack_hook,
	.read_memory = host_read_memory,
	.mappings = host_mappings,
	.symbolize = host_symbolize,
	.symbol_address = host_symbol_address,
	.field_at = host_field_at,
	.set_filter = host_set_filter,
	.max_read_delay = host_max_read_delay,
};
