/* SPDX-License-Identifier: MIT */
/*
 * core/src_syscalls: raw_syscalls:sys_enter/sys_exit.  The tracer's own
 * thread is filtered out in the kernel (its reads and writes would otherwise
 * feed back into the recording).
 */
#include "config.h"
#include "core/session.h"
#include "core/source.h"
#include "proto/writer.h"

#include <errno.h>
#include <stdlib.h>

struct sys_src {
	struct pft_host *h;
	const struct pft_host_ops *ops;
	struct pw_writer *w;
	struct pft_field enter_id, enter_args, exit_id, exit_ret;
	unsigned nargs;
};

static int on_enter(void *priv, const struct pft_record *r)
{
	struct sys_src *s = priv;
	uint64_t args[6];
	unsigned i;
	struct pw_ev e = {r->ts, r->cpu, r->tid};

	for (i = 0; i < s->nargs; i++)
		args[i] = pft_field_elem_u64(&s->enter_args, r->raw, i);
	pw_ftrace_sys_enter(s->w, &e, pft_field_s64(&s->enter_id, r->raw), args, s->nargs);
	return 1;
}

static int on_exit_(void *priv, const struct pft_record *r)
{
	struct sys_src *s = priv;
	struct pw_ev e = {r->ts, r->cpu, r->tid};

	pw_ftrace_sys_exit(s->w, &e, pft_field_s64(&s->exit_id, r->raw),
			   pft_field_s64(&s->exit_ret, r->raw));
	return 1;
}

static int sys_init(struct pft_host *h, const struct pft_host_ops *ops, void **priv)
{
	struct sys_src *s = calloc(1, sizeof(*s));
	struct pft_event *enter, *exit_;

	if (!s)
		return -ENOMEM;
	*priv = s;
	s->h = h;
	s->ops = ops;
	s->w = session__writer(h);
	enter = ops->tracepoint(h, "raw_syscalls", "sys_enter", PFT_EV_NO_SELF, on_enter, s);
	exit_ = ops->tracepoint(h, "raw_syscalls", "sys_exit", PFT_EV_NO_SELF, on_exit_, s);
	if (!enter || !exit_)
		return -ENOENT;
	if (ops->field(enter, "id", &s->enter_id) || ops->field(enter, "args", &s->enter_args) ||
	    ops->field(exit_, "id", &s->exit_id) || ops->field(exit_, "ret", &s->exit_ret)) {
		ops->warn(h, "unexpected raw_syscalls format: no id/args/ret fields");
		return -EINVAL;
	}
	if (s->enter_args.elem_size == 0 || s->enter_args.elem_size > 8)
		return -EINVAL;
	s->nargs = s->enter_args.size / s->enter_args.elem_size;
	if (s->nargs > 6)
		s->nargs = 6;
	return 0;
}

static void sys_fini(void *priv)
{
	free(priv);
}

const struct pft_source_ops src_syscalls_ops = {
	.abi_version = PFT_ABI_VERSION,
	.name = "syscalls",
	.description = "system call entry and exit (slices on each thread)",
	.init = sys_init,
	.fini = sys_fini,
};
