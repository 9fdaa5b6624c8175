/* SPDX-License-Identifier: MIT */
/* core/src_irq: hard IRQ handlers and softirqs, shown as slices per CPU. */
#include "config.h"
#include "core/session.h"
#include "core/source.h"
#include "proto/writer.h"

#include <errno.h>
#include <stdlib.h>

struct irq_src {
	struct pft_host *h;
	const struct pft_host_ops *ops;
	struct pw_writer *w;
	struct pft_field entry[2], exit_[2], si_entry, si_exit; /* {irq, name}, {irq, ret}, vec */
};

static int on_irq_entry(void *priv, const struct pft_record *r)
{
	struct irq_src *s = priv;
	char name[64];
	struct pw_ev e = {r->ts, r->cpu, r->tid};

	pw_ftrace_irq_handler_entry(
		s->w, &e, (int32_t)pft_field_s64(&s->entry[0], r->raw),
		pft_field_str(&s->entry[1], r->raw, r->raw_size, name, sizeof(name)));
	return 1;
}

static int on_irq_exit(void *priv, const struct pft_record *r)
{
	struct irq_src *s = priv;
	struct pw_ev e = {r->ts, r->cpu, r->tid};

	pw_ftrace_irq_handler_exit(s->w, &e, (int32_t)pft_field_s64(&s->exit_[0], r->raw),
				   (int32_t)pft_field_s64(&s->exit_[1], r->raw));
	return 1;
}

static int on_softirq_entry(void *priv, const struct pft_record *r)
{
	struct irq_src *s = priv;
	struct pw_ev e = {r->ts, r->cpu, r->tid};

	pw_ftrace_softirq_entry(s->w, &e, (uint32_t)pft_field_u64(&s->si_entry, r->raw));
	return 1;
}

static int on_softirq_exit(void *priv, const struct pft_record *r)
{
	struct irq_src *s = priv;
	struct pw_ev e = {r->ts, r->cpu, r->tid};

	pw_ftrace_softirq_exit(s->w, &e, (uint32_t)pft_field_u64(&s->si_exit, r->raw));
	return 1;
}

#define NAMES(...) ((const char *const[]){__VA_ARGS__})

static int irq_init(struct pft_host *h, const struct pft_host_ops *ops, void **priv)
{
	struct irq_src *s = calloc(1, sizeof(*s));
	struct pft_event *tp;

	if (!s)
		return -ENOMEM;
	*priv = s;
	s->h = h;
	s->ops = ops;
	s->w = session__writer(h);
	tp = ops->tracepoint(h, "irq", "irq_handler_entry", PFT_EV_OPTIONAL, on_irq_entry, s);
	ops->fields(tp, NAMES("irq", "name"), s->entry, 2);
	tp = ops->tracepoint(h, "irq", "irq_handler_exit", PFT_EV_OPTIONAL, on_irq_exit, s);
	ops->fields(tp, NAMES("irq", "ret"), s->exit_, 2);
	tp = ops->tracepoint(h, "irq", "softirq_entry", PFT_EV_OPTIONAL, on_softirq_entry, s);
	ops->fields(tp, NAMES("vec"), &s->si_entry, 1);
	tp = ops->tracepoint(h, "irq", "softirq_exit", PFT_EV_OPTIONAL, on_softirq_exit, s);
	ops->fields(tp, NAMES("vec"), &s->si_exit, 1);
	return 0;
}

static void irq_fini(void *priv)
{
	free(priv);
}

const struct pft_source_ops src_irq_ops = {
	.abi_version = PFT_ABI_VERSION,
	.name = "irq",
	.description = "hard IRQ handlers and softirqs",
	.init = irq_init,
	.fini = irq_fini,
};
