/* SPDX-License-Identifier: MIT */
/*
 * plugins/example: a complete pftrace plugin, small enough to copy.
 *
 * It marks every exec() of a recorded process with an instant "exec" on the
 * thread's track (the new program's path as an argument) and keeps a global
 * counter track of execs.  It uses only <pftrace/pftrace.h>, so it builds
 * out of tree too:
 *
 *	cc -shared -fPIC $(pkg-config --cflags pftrace) -o example.so example.c
 *	sudo pftrace record --plugin ./example.so:counter=no -d 5
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pftrace/pftrace.h>

struct example {
	struct pft_host *h;
	const struct pft_host_ops *ops;
	struct pft_event *ev;
	struct pft_field filename;
	pft_track counter; /* 0: no counter track */
	uint64_t execs;
};

/* Per record: read the fields, emit; no allocation, no syscall. */
static int on_exec(void *priv, const struct pft_record *rec)
{
	struct example *x = priv;
	char path[256];
	struct pft_arg arg;

	if (!x->ops->in_scope(x->h, rec->pid, rec->tid))
		return 0;
	arg.name = "filename";
	arg.kind = PFT_ARG_STR;
	arg.v.s = pft_field_str(&x->filename, rec->raw, rec->raw_size, path, sizeof(path));
	x->ops->instant(x->h, x->ops->track_thread(x->h, rec->pid, rec->tid), rec->ts, "exec", &arg,
			1);
	x->execs++;
	if (x->counter)
		x->ops->counter(x->h, x->counter, rec->ts, (double)x->execs);
	return 1;
}

static int example_init(struct pft_host *h, const struct pft_host_ops *ops, void **priv)
{
	static const char *const names[] = {"filename"};
	const char *counter = ops->option(h, "counter");
	struct example *x = calloc(1, sizeof(*x));

	if (!x)
		return -ENOMEM;
	*priv = x;
	x->h = h;
	x->ops = ops;
	if (counter && strcmp(counter, "yes") && strcmp(counter, "no") && *counter) {
		ops->error(h, "option counter=%s: expected yes or no", counter);
		return -EINVAL;
	}
	x->ev = ops->tracepoint(h, "sched", "sched_process_exec", PFT_EV_OTHER_TASK, on_exec, x);
	if (!x->ev || ops->fields(x->ev, names, &x->filename, 1))
		return -ENOENT;
	if (!counter || strcmp(counter, "no"))
		x->counter = ops->track_counter(h, 0, "execs");
	return 0;
}

static void example_summary(void *priv)
{
	struct example *x = priv;

	fprintf(stderr, "  example: %llu execs marked\n", (unsigned long long)x->execs);
}

static void example_fini(void *priv)
{
	free(priv);
}

static const struct pft_source_ops example_source = {
	.abi_version = PFT_ABI_VERSION,
	.name = "example",
	.description = "marks each exec with an instant on the thread's track",
	.init = example_init,
	.summary = example_summary,
	.fini = example_fini,
};

static const struct pft_plugin_option example_options[] = {
	{"counter", "also keep a global counter track of execs (yes|no)", "yes"},
	{NULL, NULL, NULL},
};

const struct pft_plugin pftrace_plugin = {
	.abi_version = PFT_ABI_VERSION,
	.name = "example",
	.description = "marks each exec() with an instant on the thread's track; an example "
		       "to copy",
	.options = example_options,
	.source = &example_source,
};
