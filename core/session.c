/* SPDX-License-Identifier: MIT */
/*
 * core/session: one recording's lifetime -- creating and freeing it, the
 * sources' init, start (clock snapshot, system info, enabling the events,
 * the /proc snapshot), stop, and the statistics the record command prints.
 * The host ops are in host.c, the events and their opening in evlist.c,
 * reading the rings in drain.c.
 *
 * Timestamps: perf stamps tracepoints in CLOCK_MONOTONIC (this kernel refuses
 * CLOCK_BOOTTIME for them, as it is not NMI-safe); trace_processor expects
 * BOOTTIME.  The BOOTTIME-MONOTONIC offset is measured at start, added to
 * every record, and measured again at the end (it only moves on suspend).
 */
#include "config.h"
#include "core/session_internal.h"
#include "core/options.h"
#include "core/proc.h"
#include "core/source.h"
#include "core/tp.h"
#include "perfmmap/perfmmap.h"
#include "proto/writer.h"
#include "symbolize/symbolize.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

static struct session *S(struct pft_host *h)
{
	return h->s;
}

struct pw_writer *session__writer(struct pft_host *h)
{
	return S(h)->w;
}
struct proc_state *session__procs(struct pft_host *h)
{
	return S(h)->procs;
}
const struct record_opts *session__opts(struct pft_host *h)
{
	return S(h)->opts;
}
int session__filtered(struct pft_host *h)
{
	return S(h)->mode != SCOPE_ALL;
}

void session__scope_add(struct pft_host *h, uint32_t tid)
{
	struct session *s = S(h);

	if (s->mode != SCOPE_ALL && !u64map_get(&s->scope, (uint64_t)tid + 1))
		u64map_put(&s->scope, (uint64_t)tid + 1, (void *)1);
}

/* --- lifetime ------------------------------------------------------------------ */

struct session *session__new(const struct record_opts *opts, struct pw_writer *w)
{
	struct session *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->host.s = s;
	s->opts = opts;
	s->w = w;
	s->self = getpid();
	/* sources ask at init() whether they must filter: decide it now */
	s->mode = opts->cgroup		       ? SCOPE_CGROUP
		  : (opts->cmd || opts->npids) ? SCOPE_TASKS
					       : SCOPE_ALL;
	s->parser = tp_parser__new();
	s->procs = proc_state__new(w);
	s->ncpus = pm_cpu_count();
	if (!s->parser || !s->procs || s->ncpus <= 0)
		goto fail;
	s->rings = calloc((size_t)s->ncpus, sizeof(*s->rings));
	s->heap = calloc((size_t)s->ncpus, sizeof(*s->heap));
	s->cpu_events = calloc((size_t)s->ncpus, sizeof(*s->cpu_events));
	if (!s->rings || !s->cpu_events || !s->heap)
		goto fail;
	return s;
fail:
	session__free(s);
	errno = ENOMEM;
	return NULL;
}

void session__free(struct session *s)
{
	unsigned i;

	if (!s)
		return;
	/* close the perf events before the sources' fini(): a source may remove
	 * what they are attached to (a uprobe is busy while an event is open) */
	session__close_events(s);
	for (i = 0; i < s->nsrcs; i++)
		if (s->srcs[i].inited && s->srcs[i].ops->fini)
			s->srcs[i].ops->fini(s->srcs[i].priv);
	for (i = 0; i < s->nevents; i++)
		free(s->events[i].gf);
	free(s->fds);
	free(s->pfds);
	free(s->heap);
	free(s->rings);
	free(s->cpu_events);
	u64map_free(&s->ids);
	u64map_free(&s->scope);
	tp_parser__free(s->parser);
	proc_state__free(s->procs);
	/* after fini(): the plugins' code goes away here */
	plugins__free(&s->plugins);
	sym_cache__free(s->syms);
	free(s);
}

struct active_source *session__init_source(struct session *s, const struct pft_source_ops *ops,
					   struct plugin *pl, int *err)
{
	const struct pft_source_ops *saved_src = s->cur_src;
	struct active_source *saved = s->cur, *a;
	unsigned nr_errors;
	int ret;

	if (s->nsrcs == MAX_SOURCES) {
		pft_error("too many event sources (at most %d)", MAX_SOURCES);
		*err = -E2BIG;
		return NULL;
	}
	a = &s->srcs[s->nsrcs++];
	memset(a, 0, sizeof(*a));
	a->ops = ops;
	a->pl = pl;
	s->cur_src = ops;
	s->cur = a;
	nr_errors = s->nr_errors;
	ret = ops->init(&s->host, &session_host_ops, &a->priv);
	s->cur_src = saved_src;
	s->cur = saved;
	if (ret < 0) {
		/* a failed init may have set up part of its state */
		if (a->priv && ops->fini)
			ops->fini(a->priv);
		a->priv = NULL;
		/* one error line: the plugin's own, if it said why */
		if (pl && s->nr_errors == nr_errors)
			pft_error("plugin '%s' failed to initialise: %s", pl->p->name,
				  strerror(-ret));
		*err = ret;
		return NULL;
	}
	a->inited = 1;
	return a;
}

void session__set_stack_attach(struct session *s, session_attach_fn attach, void *priv)
{
	s->stack_attach = attach;
	s->stack_attach_priv = priv;
}

/* Events that asked for a stack at each hit go to the stack source. */
static int attach_stacks(struct session *s)
{
	unsigned i;
	int ret;

	for (i = 0; i < s->nevents; i++) {
		struct pft_event *ev = &s->events[i];

		if (!(ev->flags & PFT_EV_STACK) || ev->kind != EV_TRACEPOINT || ev->dropped)
			continue;
		if (!s->stack_attach) {
			pft_warn("%s:%s: stacks are off (--no-stacks): its hits are recorded "
				 "without a stack",
				 ev->system, ev->name);
			continue;
		}
		ret = s->stack_attach(s->stack_attach_priv, ev);
		if (ret)
			return ret;
	}
	return 0;
}

int session__add_sources(struct session *s)
{
	const struct pft_source_ops *list[MAX_SOURCES];
	unsigned i, n;
	int ret = 0;

	/* plugins first: the built-ins' events may be specs they resolve */
	for (i = 0; i < s->opts->nplugins; i++)
		if (!plugins__load(&s->plugins, s->opts->plugins[i]))
			return -ENOENT;
	for (i = 0; i < s->plugins.n; i++)
		if (!session__init_source(s, s->plugins.v[i].p->source, &s->plugins.v[i], &ret))
			return ret;
	n = source_builtin_list(s->opts, list, MAX_SOURCES);
	for (i = 0; i < n; i++)
		if (!session__init_source(s, list[i], NULL, &ret))
			return ret;
	if ((ret = attach_stacks(s)))
		return ret;
	if (!s->nevents) {
		pft_error("none of the requested tracepoints exist on this kernel");
		return -ENOENT;
	}
	return 0;
}

/* --- accessors ------------------------------------------------------------------- */

void session__set_sideband(struct session *s, uint64_t bits, session_record_fn fn,
			   session_record_fn lost_fn, void *priv)
{
	s->dummy_bits = bits;
	s->sideband_fn = fn;
	s->lost_fn = lost_fn;
	s->sideband_priv = priv;
}

int session__has_stack_hooks(const struct session *s)
{
	return s->nhooks != 0;
}

void session__run_stack_hooks(struct session *s, struct pft_stack *st)
{
	const struct pft_source_ops *saved_src = s->cur_src;
	unsigned i;

	for (i = 0; i < s->nhooks; i++) {
		s->cur_src = s->hooks[i].src;
		s->hooks[i].fn(s->hooks[i].priv, st);
	}
	s->cur_src = saved_src;
}

uint64_t session__perf_to_boot(const struct session *s, uint64_t perf_ns)
{
	return perf_ns + s->mono_to_boot;
}

int session__ncpus(const struct session *s)
{
	return s->ncpus;
}

int session__in_scope(struct session *s, uint32_t pid)
{
	return host__in_scope(s, pid, pid);
}

struct session *session__of(struct pft_host *h)
{
	return h->s;
}

/* --- start ------------------------------------------------------------------------- */

/* BOOTTIME - MONOTONIC, from the tightest of a few bracketed readings. */
static uint64_t measure_offset(uint64_t *mono_out, uint64_t *boot_out)
{
	uint64_t best_gap = UINT64_MAX, off = 0;
	int i;

	for (i = 0; i < 8; i++) {
		uint64_t m1 = pft_clock_ns(CLOCK_MONOTONIC);
		uint64_t b = pft_clock_ns(CLOCK_BOOTTIME);
		uint64_t m2 = pft_clock_ns(CLOCK_MONOTONIC);

		if (m2 - m1 < best_gap) {
			best_gap = m2 - m1;
			off = b - (m1 + (m2 - m1) / 2);
			if (mono_out)
				*mono_out = m1 + (m2 - m1) / 2;
			if (boot_out)
				*boot_out = b;
		}
	}
	return off;
}

static int want_pid(void *ctx, pid_t pid)
{
	struct session *s = ctx;

	return host__in_scope(s, (uint32_t)pid, (uint32_t)pid);
}

/* --ring-buffer: what follows the header packets goes to segments in the
 * output's directory. */
static int ring_begin(struct session *s)
{
	const char *out = s->opts->output, *slash = strrchr(out, '/');
	char *dir;
	int ret;

	if (!slash)
		dir = strdup(".");
	else if (slash == out)
		dir = strdup("/");
	else
		dir = strndup(out, (size_t)(slash - out));
	if (!dir)
		return -ENOMEM;
	ret = pw_writer__ring_begin(s->w, s->opts->max_size, dir);
	if (ret)
		pft_error("--ring-buffer: cannot keep the trace's parts in %s: %s", dir,
			  strerror(-ret));
	free(dir);
	return ret;
}

/* A process tree of the live processes, for a trace that starts at a new
 * ring segment. */
static void ring_snapshot(void *arg)
{
	struct session *s = arg;

	proc_state__scan(s->procs, pft_clock_ns(CLOCK_BOOTTIME), want_pid, s);
}

void session__ring_rotate(struct session *s)
{
	if (pw_writer__ring_rotate(s->w, ring_snapshot, s) == 0)
		s->ring_rotations++;
}

int session__start(struct session *s)
{
	struct pw_clock clocks[4];
	struct pw_system_info si;
	struct utsname u;
	struct sysinfo sinfo;
	uint64_t mono = 0, boot = 0;
	unsigned i;
	int ret;

	s->mono_to_boot = measure_offset(&mono, &boot);
	clocks[0].clock_id = PW_CLOCK_BOOTTIME;
	clocks[0].ts = boot;
	clocks[1].clock_id = PW_CLOCK_MONOTONIC;
	clocks[1].ts = mono;
	clocks[2].clock_id = PW_CLOCK_REALTIME;
	clocks[2].ts = pft_clock_ns(CLOCK_REALTIME);
	clocks[3].clock_id = PW_CLOCK_MONOTONIC_RAW;
	clocks[3].ts = pft_clock_ns(CLOCK_MONOTONIC_RAW);
	ret = pw_clock_snapshot(s->w, clocks, 4);
	if (ret)
		return ret;

	memset(&si, 0, sizeof(si));
	if (!uname(&u)) {
		si.sysname = u.sysname;
		si.release = u.release;
		si.version = u.version;
		si.machine = u.machine;
		si.nodename = u.nodename;
	}
	si.page_size = (uint32_t)sysconf(_SC_PAGESIZE);
	si.num_cpus = (uint32_t)s->ncpus;
	si.hz = sysconf(_SC_CLK_TCK);
	if (!sysinfo(&sinfo))
		si.ram_bytes = (uint64_t)sinfo.totalram * sinfo.mem_unit;
	si.service_version = PACKAGE_NAME " " PACKAGE_VERSION;
	ret = pw_system_info(s->w, &si);
	if (ret)
		return ret;

	/* Enable, then snapshot /proc: a task born in between is in both. */
	for (i = 0; i < s->nfds; i++)
		pm_event_enable(s->fds[i]); /* enable_on_exec events ignore this until exec */
	s->start_boot = pft_clock_ns(CLOCK_BOOTTIME);
	s->start_mono_wall = pft_clock_ns(CLOCK_MONOTONIC);
	ret = proc_state__scan(s->procs, s->start_boot, want_pid, s);
	if (ret < 0)
		pft_warn("cannot read /proc (%s): processes will be named from events only",
			 strerror(-ret));
	if (s->opts->ring_buffer) {
		ret = ring_begin(s);
		if (ret)
			return ret;
	}
	for (i = 0; i < s->nsrcs; i++)
		if (s->srcs[i].ops->start)
			s->srcs[i].ops->start(s->srcs[i].priv);
	return pw_writer__error(s->w);
}

int session__stop(struct session *s)
{
	uint64_t off;
	unsigned i;

	for (i = 0; i < s->nfds; i++)
		pm_event_disable(s->fds[i]);
	s->stop_boot = pft_clock_ns(CLOCK_BOOTTIME);
	s->stop_mono_wall = pft_clock_ns(CLOCK_MONOTONIC);
	session__drain(s);
	for (i = 0; i < s->nsrcs; i++)
		if (s->srcs[i].ops->stop)
			s->srcs[i].ops->stop(s->srcs[i].priv);
	proc_state__flush(s->procs);
	off = measure_offset(NULL, NULL);
	{
		/* BOOTTIME - MONOTONIC only grows, by the time spent suspended */
		int64_t moved = (int64_t)(off - s->mono_to_boot);

		if (moved > 100000000 || moved < -100000000)
			pft_warn("the machine was suspended while recording: events after the "
				 "resume are off by %.3f s",
				 (double)moved / 1e9);
	}
	return pw_writer__flush(s->w);
}

/* --- statistics -------------------------------------------------------------------- */

uint64_t session__lost_total(const struct session *s)
{
	uint64_t n = 0;
	int cpu;

	for (cpu = 0; cpu < s->ncpus; cpu++)
		if (s->rings[cpu])
			n += pm_ring__loss(s->rings[cpu])->lost_records +
			     pm_ring__loss(s->rings[cpu])->lost_samples;
	return n;
}

void session__stats(const struct session *s, struct session_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->elapsed_ns = s->stop_mono_wall - s->start_mono_wall;
	out->records = s->records;
	out->unknown_records = s->unknown_records;
	out->bad_records = s->bad_records;
	out->processes = proc_state__described(s->procs);
	out->ring_bytes = s->ring_bytes;
	out->nfds = s->nfds;
	out->filtered = s->mode != SCOPE_ALL;
}

int session__event_stats(const struct session *s, unsigned i, struct session_event_stats *out)
{
	const struct pft_event *ev;

	if (i >= s->nevents)
		return -ENOENT;
	ev = &s->events[i];
	if (ev->kind == EV_RAW)
		snprintf(out->name, sizeof(out->name), "%s", ev->label);
	else
		snprintf(out->name, sizeof(out->name), "%s:%s", ev->system, ev->name);
	out->read = ev->count;
	out->kept = ev->kept;
	return 0;
}

int session__cpu_stats(const struct session *s, int cpu, struct session_cpu_stats *out)
{
	const struct pm_loss *l;

	if (cpu < 0 || cpu >= s->ncpus || !s->rings[cpu])
		return -ENODEV;
	l = pm_ring__loss(s->rings[cpu]);
	out->events = s->cpu_events[cpu];
	out->lost_records = l->lost_records;
	out->lost_samples = l->lost_samples;
	out->skipped_batches = pm_ring__corrupt(s->rings[cpu]);
	out->bytes_read = pm_ring__bytes_read(s->rings[cpu]);
	return 0;
}

void session__sources_summary(struct session *s)
{
	unsigned i;

	for (i = 0; i < s->nsrcs; i++)
		if (s->srcs[i].ops->summary)
			s->srcs[i].ops->summary(s->srcs[i].priv);
}
