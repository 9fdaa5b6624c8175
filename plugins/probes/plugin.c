/* SPDX-License-Identifier: MIT */
/*
 * plugins/probes: user probes as a pftrace plugin.
 *
 * Resolves the event specs `uprobe:PATH:SYMBOL[+OFFSET] [ARGS]`,
 * `uretprobe:PATH:SYMBOL [ARGS]` and `usdt:PATH:[PROVIDER:]NAME [ARGS]` into
 * uprobe events of a tracefs group of its own (pftrace_<pid>), which the host
 * then opens like any tracepoint -- per CPU, per task or per cgroup, so the
 * breakpoints go only where the recording looks when the kernel allows.
 *
 * Lifetime of the group: init() sweeps groups of pftraces that are gone (a
 * run killed with SIGKILL) and creates ours lazily; fini() -- after the host
 * closed the perf events -- removes every event we created.  Nothing else in
 * uprobe_events is touched.
 *
 * Each hit goes through a small trampoline that counts it (the summary prints
 * hits per probe and warns above ~100k/s: every hit is a trap into the
 * kernel) and calls the subscriber.
 *
 * USDT ARGS may name the note's arguments: `NAME=argN` (its value, with the
 * note's size and sign) and `NAME=+0(argN):ustring` (the string it points
 * to); without ARGS every argument is recorded as arg0..argN-1.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pftrace/pftrace.h>

#include "probes.h"

#define MAX_SUBS 256
#define MAX_LOCS 64
#define RATE_WARN 100000.0

struct sub {
	pft_handler fn;
	void *priv;
	char label[160]; /* the spec as given, for the summary */
	uint64_t hits, first_ts, last_ts;
};

struct probes {
	struct pft_host *h;
	const struct pft_host_ops *ops;
	struct prb_group g;
	int group_ready;
	struct sub subs[MAX_SUBS];
	unsigned nsubs;
};

static int trampoline(void *priv, const struct pft_record *r)
{
	struct sub *s = priv;

	if (!s->hits)
		s->first_ts = r->ts;
	s->hits++;
	s->last_ts = r->ts;
	return s->fn(s->priv, r);
}

static int probes_init(struct pft_host *h, const struct pft_host_ops *ops, void **priv)
{
	struct probes *p = calloc(1, sizeof(*p));
	char err[512];
	int removed = 0, ret;

	if (!p)
		return -ENOMEM;
	*priv = p;
	p->h = h;
	p->ops = ops;
	ret = prb_tracefs__sweep(ops->tracefs_dir(h), getpid(), &removed, err, sizeof(err));
	if (ret)
		ops->warn(h, "cannot remove probes left by an earlier pftrace: %s", err);
	else if (removed)
		ops->warn(h, "removed %d probes left behind by a pftrace that is gone", removed);
	ret = prb_group__init(&p->g, ops->tracefs_dir(h), getpid());
	if (ret) {
		ops->error(h, "no tracefs to create uprobes in: %s", strerror(-ret));
		return ret;
	}
	p->group_ready = 1;
	return 0;
}

/* "x=%ax:s32" -> loc "%ax", type "s32" */
static int split_fetch(const char *fetch, char *loc, size_t loccap, char *type, size_t typecap)
{
	const char *eq = strchr(fetch, '='), *colon;

	if (!eq)
		return -EINVAL;
	colon = strrchr(eq + 1, ':');
	if (!colon || (size_t)(colon - eq - 1) >= loccap || strlen(colon + 1) >= typecap)
		return -EINVAL;
	memcpy(loc, eq + 1, (size_t)(colon - eq - 1));
	loc[colon - eq - 1] = 0;
	strcpy(type, colon + 1);
	return 0;
}

/* The @n-th (0-based) argument spec of a note's @args ("-4@%eax 8@-16(%rbp)"). */
static int note_arg(const char *args, unsigned n, char *out, size_t cap)
{
	const char *p = args;
	unsigned i = 0;

	while (*p) {
		size_t l;

		while (*p == ' ')
			p++;
		l = strcspn(p, " ");
		if (!l)
			break;
		if (i++ == n) {
			if (l >= cap)
				return -ENAMETOOLONG;
			memcpy(out, p, l);
			out[l] = 0;
			return 0;
		}
		p += l;
	}
	return -ENOENT;
}

/*
 * USDT ARGS naming the note's arguments ("id=arg0 path=+0(arg1):ustring") as
 * fetch args of one location.  0, or -errno with @err set.
 */
static int usdt_user_args(const char *user, const char *note_args, char *out, size_t cap, char *err,
			  size_t errlen)
{
	const char *p = user;
	size_t used = 0;

	out[0] = 0;
	while (*p) {
		char tok[256], res[512], spec[128], fetch[160], loc[128], type[32];
		const char *a;
		size_t l;
		unsigned n;
		int w;

		while (*p == ' ' || *p == '\t')
			p++;
		l = strcspn(p, " \t");
		if (!l)
			break;
		if (l >= sizeof(tok)) {
			snprintf(err, errlen, "argument '%.40s...' is too long", p);
			return -EINVAL;
		}
		memcpy(tok, p, l);
		tok[l] = 0;
		p += l;
		a = strstr(tok, "arg");
		if (!a || sscanf(a + 3, "%u", &n) != 1 || !strchr(tok, '=')) {
			snprintf(err, errlen,
				 "argument '%s': a USDT argument is NAME=argN or "
				 "NAME=+0(argN):ustring",
				 tok);
			return -EINVAL;
		}
		if (note_arg(note_args, n, spec, sizeof(spec))) {
			snprintf(err, errlen,
				 "argument '%s': the probe has no argument %u (it has "
				 "'%s')",
				 tok, n, note_args);
			return -EINVAL;
		}
		if (prb_usdt__arg_to_fetch(spec, "x", fetch, sizeof(fetch)) ||
		    split_fetch(fetch, loc, sizeof(loc), type, sizeof(type))) {
			snprintf(err, errlen,
				 "argument '%s': the note's spec '%s' cannot be "
				 "fetched by a uprobe",
				 tok, spec);
			return -EOPNOTSUPP;
		}
		{
			const char *end = a + 3;

			while (*end >= '0' && *end <= '9')
				end++;
			if (!*end && a[-1] == '=') /* NAME=argN: the value, typed */
				w = snprintf(res, sizeof(res), "%.*s%s:%s", (int)(a - tok), tok,
					     loc, type);
			else /* an expression around argN */
				w = snprintf(res, sizeof(res), "%.*s%s%s", (int)(a - tok), tok, loc,
					     end);
		}
		if (w < 0 || used + (size_t)w + 2 > cap) {
			snprintf(err, errlen, "arguments too long");
			return -ENAMETOOLONG;
		}
		used += (size_t)snprintf(out + used, cap - used, "%s%s", used ? " " : "", res);
	}
	return 0;
}

static struct pft_event *subscribe(struct probes *p, const char *event, const char *spec,
				   unsigned flags, pft_handler fn, void *fn_priv)
{
	struct sub *s;

	if (p->nsubs == MAX_SUBS) {
		p->ops->error(p->h, "%s: too many probe subscriptions (at most %d)", spec,
			      MAX_SUBS);
		return NULL;
	}
	s = &p->subs[p->nsubs++];
	s->fn = fn;
	s->priv = fn_priv;
	snprintf(s->label, sizeof(s->label), "%s", spec);
	return p->ops->tracepoint(p->h, p->g.name, event, flags | PFT_EV_INSTANT, trampoline, s);
}

/* One uprobe or uretprobe. */
static struct pft_event *resolve_uprobe(struct probes *p, const struct prb_spec *ps,
					const char *path, const char *spec, unsigned flags,
					pft_handler fn, void *fn_priv)
{
	char err[512], event[64], want[96];
	uint64_t off;
	int ret;

	ret = prb_elf__func_offset(path, ps->symbol, ps->offset, &off, NULL, err, sizeof(err));
	if (ret) {
		p->ops->error(p->h, "%s: %s", spec, err);
		return NULL;
	}
	snprintf(want, sizeof(want), "%s%s", ps->symbol, ps->kind == PRB_URETPROBE ? "_ret" : "");
	ret = prb_group__add(&p->g, ps->kind == PRB_URETPROBE, want, path, off, 0, ps->args, event,
			     sizeof(event), err, sizeof(err));
	if (ret) {
		p->ops->error(p->h, "%s: %s", spec, err);
		return NULL;
	}
	return subscribe(p, event, spec, flags, fn, fn_priv);
}

/* Every location of a USDT probe; returns the first location's event. */
static struct pft_event *resolve_usdt(struct probes *p, const struct prb_spec *ps,
				      const char *user_args, const char *path, const char *spec,
				      unsigned flags, pft_handler fn, void *fn_priv)
{
	struct prb_usdt_note *notes = NULL;
	struct pft_event *first = NULL;
	size_t n = 0, idx[MAX_LOCS];
	char err[512];
	int nloc, i, ret;

	ret = prb_usdt__read(path, &notes, &n, err, sizeof(err));
	if (ret) {
		p->ops->error(p->h, "%s: %s", spec, err);
		return NULL;
	}
	nloc = prb_usdt__select(notes, n, ps->provider, ps->symbol, idx, MAX_LOCS, err,
				sizeof(err));
	if (nloc < 0) {
		p->ops->error(p->h, "%s: %s", spec, err);
		goto out_free;
	}
	for (i = 0; i < nloc && i < MAX_LOCS; i++) {
		const struct prb_usdt_note *nt = &notes[idx[i]];
		char args[1024], bad[512], event[64];
		struct pft_event *ev;
		int left_out = 0;

		if (user_args && *user_args) {
			if (usdt_user_args(user_args, nt->args ? nt->args : "", args, sizeof(args),
					   err, sizeof(err))) {
				p->ops->error(p->h, "%s: %s", spec, err);
				first = NULL;
				goto out_free;
			}
		} else {
			left_out = prb_usdt__fetch_args(nt->args ? nt->args : "", args,
							sizeof(args), bad, sizeof(bad));
			if (left_out < 0) {
				p->ops->error(p->h,
					      "%s: cannot read the arguments '%s' of the note",
					      spec, nt->args ? nt->args : "");
				first = NULL;
				goto out_free;
			}
			if (left_out && !i)
				p->ops->warn(p->h,
					     "%s: arguments a uprobe cannot fetch are left out: %s",
					     spec, bad);
		}
		ret = prb_group__add(&p->g, 0, nt->name, path, nt->pc_offset, nt->sema_offset,
				     *args ? args : NULL, event, sizeof(event), err, sizeof(err));
		if (ret) {
			p->ops->error(p->h, "%s: %s", spec, err);
			first = NULL;
			goto out_free;
		}
		ev = subscribe(p, event, spec, flags, fn, fn_priv);
		if (!ev) {
			first = NULL;
			goto out_free;
		}
		if (!first)
			first = ev;
	}
out_free:
	prb_usdt__free(notes, n);
	return first;
}

static struct pft_event *probes_resolve(void *priv, const char *spec, unsigned flags,
					pft_handler fn, void *fn_priv)
{
	struct probes *p = priv;
	struct pft_event *ev = NULL;
	struct prb_spec ps;
	char err[512], path[4096], *text = NULL;
	const char *user_args = NULL;
	pid_t pids[64];
	unsigned npids;

	memset(&ps, 0, sizeof(ps));
	/* USDT args name the note's arguments: kept here, not by the parser */
	if (!strncmp(spec, "usdt:", 5)) {
		size_t l = strcspn(spec, " \t");

		text = strndup(spec, l);
		if (!text)
			return NULL;
		user_args = spec + l;
	}
	if (prb_spec__parse(text ? text : spec, &ps, err, sizeof(err))) {
		p->ops->error(p->h, "%s", err);
		goto out;
	}
	npids = p->ops->target_pids(p->h, pids, 64);
	if (prb_path__resolve(ps.path, pids, npids, path, sizeof(path), err, sizeof(err))) {
		p->ops->error(p->h, "%s: %s", spec, err);
		goto out;
	}
	if (ps.kind == PRB_USDT)
		ev = resolve_usdt(p, &ps, user_args, path, spec, flags, fn, fn_priv);
	else
		ev = resolve_uprobe(p, &ps, path, spec, flags, fn, fn_priv);
out:
	prb_spec__exit(&ps);
	free(text);
	return ev;
}

static void probes_summary(void *priv)
{
	struct probes *p = priv;
	unsigned i;

	for (i = 0; i < p->nsubs; i++) {
		const struct sub *s = &p->subs[i];
		double secs = (double)(s->last_ts - s->first_ts) / 1e9;

		if (s->hits > 1000 && secs > 0 && s->hits / secs > RATE_WARN)
			p->ops->warn(p->h,
				     "%s fired %.0f times a second: each hit is a trap into "
				     "the kernel (~1-15 us), which slows the probed program",
				     s->label, s->hits / secs);
	}
}

static void probes_fini(void *priv)
{
	struct probes *p = priv;
	char err[512];

	if (!p)
		return;
	if (p->group_ready && prb_group__remove_all(&p->g, err, sizeof(err)))
		p->ops->warn(p->h, "cannot remove our uprobes from tracefs: %s", err);
	if (p->group_ready)
		prb_group__exit(&p->g);
	free(p);
}

static int cmd_probes(int argc, char **argv)
{
	char err[512];

	if (argc < 2 || argc > 3 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fprintf(argc < 2 || argc > 3 ? stderr : stdout,
			"usage: pftrace probes BINARY [PATTERN]\n"
			"\n"
			"List what can be probed in BINARY (a path or a library's short name such "
			"as\n"
			"libc): its USDT probes with their arguments, then its functions whose "
			"name\n"
			"matches the glob PATTERN (all without one).  Each line is a spec for "
			"-e.\n");
		return argc < 2 || argc > 3 ? 2 : 0;
	}
	{
		char path[4096];

		if (prb_path__resolve(argv[1], NULL, 0, path, sizeof(path), err, sizeof(err)) ||
		    prb_list(stdout, path, argc == 3 ? argv[2] : NULL, err, sizeof(err))) {
			fprintf(stderr, "pftrace: error: %s\n", err);
			return 1;
		}
	}
	return 0;
}

static const struct pft_source_ops probes_source = {
	.abi_version = PFT_ABI_VERSION,
	.name = "probes",
	.description = "uprobes, uretprobes and USDT probes through tracefs",
	.init = probes_init,
	.resolve = probes_resolve,
	.summary = probes_summary,
	.fini = probes_fini,
};

static const char *const probe_prefixes[] = {"uprobe", "uretprobe", "usdt", NULL};

static const struct pft_plugin_command probe_commands[] = {
	{"probes", "list the USDT probes and functions of a binary", cmd_probes},
	{NULL, NULL, NULL},
};

const struct pft_plugin pftrace_plugin = {
	.abi_version = PFT_ABI_VERSION,
	.name = "probes",
	.description = "user probes: -e uprobe:PATH:SYMBOL, uretprobe:PATH:SYMBOL, "
		       "usdt:PATH:PROVIDER:NAME",
	.spec_prefixes = probe_prefixes,
	.source = &probes_source,
	.commands = probe_commands,
};
