/* SPDX-License-Identifier: MIT */
/* core/src_generic: any event named with -e (a tracepoint SYS:NAME, or a probe
 * spec a plugin resolves), every field kept. */
#include "config.h"
#include "core/options.h"
#include "core/session.h"
#include "core/source.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct gen_tp {
	struct pft_host *h;
	const struct pft_host_ops *ops;
	struct pft_event *tp;
};

struct gen_src {
	struct gen_tp tps[PFT_MAX_EVENTS];
	unsigned n;
};

static int on_event(void *priv, const struct pft_record *r)
{
	struct gen_tp *g = priv;

	g->ops->emit_generic(g->h, g->tp, r);
	return 1;
}

static int gen_init(struct pft_host *h, const struct pft_host_ops *ops, void **priv)
{
	const struct record_opts *o = session__opts(h);
	struct gen_src *s = calloc(1, sizeof(*s));
	unsigned i;

	if (!s)
		return -ENOMEM;
	*priv = s;
	for (i = 0; i < o->nevents; i++) {
		struct gen_tp *g = &s->tps[s->n];

		g->h = h;
		g->ops = ops;
		/* a tracepoint, or a probe resolved by the plugin of its prefix */
		g->tp = ops->event(h, o->events[i], 0, on_event, g);
		if (!g->tp)
			return -ENOENT;
		s->n++;
	}
	return 0;
}

static void gen_fini(void *priv)
{
	free(priv);
}

const struct pft_source_ops src_generic_ops = {
	.abi_version = PFT_ABI_VERSION,
	.name = "events",
	.description = "tracepoints named with -e, recorded with all their fields",
	.init = gen_init,
	.fini = gen_fini,
};
