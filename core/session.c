// SPDX-License-Identifier: MIT
/*
 * core/session: one recording, from subscriptions to the summary.
 *
 * Layout: every CPU gets one ring, owned by a dummy software event; every
 * tracepoint event opened on that CPU (system-wide, per task or per cgroup)
 * is redirected into it.  Records carry IDENTIFIER|TID|TIME|CPU|RAW; the
 * identifier maps to the subscribing tracepoint through a hash, and the
 * source's handler decodes the payload and encodes it for the writer.
 *
 * Timestamps: perf stamps tracepoints in CLOCK_MONOTONIC (this kernel refuses
 * CLOCK_BOOTTIME for them, as it is not NMI-safe); trace_processor expects
 * BOOTTIME.  The BOOTTIME-MONOTONIC offset is measured at start, added to
 * every record, and measured again at the end (it only moves on suspend).
 */
#include "config.h"
#include "core/session.h"
#include "core/options.h"
#include "core/proc.h"
#include "core/source.h"
#include "core/tp.h"
#include "core/tracefs.h"
#include "core/util.h"
#include "perfmmap/perfmmap.h"
#include "proto/writer.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

#define MAX_TPS 96
#define PFT_RECORD_LOST_SAMPLES 13	/* an enum in linux/perf_event.h: no #ifdef */
#define MAX_SOURCES 16

#define SAMPLE_TYPE (PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_TID | PERF_SAMPLE_TIME | \
		     PERF_SAMPLE_CPU | PERF_SAMPLE_RAW)
/* header + id + pid/tid + time + cpu/res + raw size */
#define SAMPLE_FIXED (sizeof(struct perf_event_header) + 4 * 8 + 4)

struct gfield {
	const char *name;
	struct pft_field f;
};

struct pft_tp {
	struct session *s;
	char system[64], name[96];
	unsigned flags;
	pft_tp_handler fn;
	void *priv;
	const struct pft_source_ops *src;
	struct tp_format *fmt;
	int id;			/* tracefs id; -1 for non-tracepoint events */
	int dropped;
	uint32_t min_raw;	/* records shorter than the format are malformed */
	/* Events added with session__add_event(): their own attr and a record
	 * handler that parses the whole sample itself. */
	int custom;
	struct perf_event_attr attr, fallback;
	char filter[128];
	session_record_fn record_fn;
	char label[64], fallback_label[64];
	uint64_t count;		/* records read */
	uint64_t kept;		/* records the handler put into the trace */
	struct gfield *gf;	/* for emit_generic, built on first use */
	unsigned ngf;
	int gf_done;
};

struct pft_host {
	struct session *s;
};

/* A min-heap of rings by the time of their next record. */
struct merge_item {
	uint64_t t;
	struct pm_ring *ring;
	const struct perf_event_header *h;
};


struct active_source {
	const struct pft_source_ops *ops;
	void *priv;
	int inited;
};

struct session {
	struct pft_host host;
	const struct record_opts *opts;
	struct pw_writer *w;
	struct proc_state *procs;
	struct tp_parser *parser;
	const struct pft_source_ops *cur_src;	/* during init() */

	struct pft_tp tps[MAX_TPS];
	unsigned ntps;
	struct active_source srcs[MAX_SOURCES];
	unsigned nsrcs;

	int ncpus;
	struct pm_ring **rings;		/* [ncpus], NULL for cpus we could not open */
	uint64_t *cpu_events;		/* [ncpus] */
	int *fds;
	unsigned nfds, capfds;
	struct pollfd *pfds;
	unsigned npfds;
	struct merge_item *heap;	/* [ncpus], for session__drain */
	struct u64map ids;		/* perf id -> struct pft_tp */

	enum scope_mode mode;
	struct u64map scope;		/* tid + 1 -> (void *)1 */
	pid_t self;

	session_record_fn sideband_fn;	/* non-sample records (MMAP2, COMM, FORK, EXIT) */
	void *sideband_priv;
	uint64_t dummy_bits;		/* mmap/comm/task bits for the ring's dummy event */
	session_record_fn lost_fn;	/* PERF_RECORD_LOST of a custom event */
	uint64_t sideband_records;

	uint64_t mono_to_boot;
	uint64_t start_boot, stop_boot;
	uint64_t start_mono_wall, stop_mono_wall;
	uint64_t records, unknown_records, bad_records;
	size_t last_fill;		/* most bytes found in one ring by the last drain */
	size_t ring_bytes;
};

static struct session *S(struct pft_host *h)
{
	return h->s;
}

struct pw_writer *session__writer(struct pft_host *h) { return S(h)->w; }
struct proc_state *session__procs(struct pft_host *h) { return S(h)->procs; }
const struct record_opts *session__opts(struct pft_host *h) { return S(h)->opts; }
int session__filtered(struct pft_host *h) { return S(h)->mode != SCOPE_ALL; }

void session__scope_add(struct pft_host *h, uint32_t tid)
{
	struct session *s = S(h);

	if (s->mode != SCOPE_ALL && !u64map_get(&s->scope, (uint64_t)tid + 1))
		u64map_put(&s->scope, (uint64_t)tid + 1, (void *)1);
}

/* --- host ops --------------------------------------------------------------- */

static struct pft_tp *host_tracepoint(struct pft_host *h, const char *system, const char *name,
				      unsigned flags, pft_tp_handler fn, void *priv)
{
	struct session *s = S(h);
	struct pft_tp *tp;
	char *text;
	size_t len;
	int id;

	if (s->ntps == MAX_TPS) {
		pft_error("too many tracepoints (at most %d)", MAX_TPS);
		errno = E2BIG;
		return NULL;
	}
	id = tracefs_event_id(system, name);
	if (id < 0) {
		if (flags & PFT_TP_OPTIONAL)
			pft_warn("%s: tracepoint %s:%s is not available on this kernel; not recorded",
				 s->cur_src ? s->cur_src->name : "?", system, name);
		else if (id == -ENOENT)
			pft_error("unknown tracepoint %s:%s (see %s/available_events)", system,
				  name, tracefs_dir());
		else
			pft_error("cannot read tracepoint %s:%s: %s", system, name, strerror(-id));
		errno = -id;
		return NULL;
	}
	text = tracefs_event_format(system, name, &len);
	if (!text) {
		pft_error("cannot read the format of %s:%s: %s", system, name, strerror(errno));
		return NULL;
	}
	tp = &s->tps[s->ntps];
	memset(tp, 0, sizeof(*tp));
	tp->fmt = tp_parser__parse(s->parser, system, text, len);
	free(text);
	if (!tp->fmt) {
		pft_error("cannot parse the format of %s:%s", system, name);
		errno = EINVAL;
		return NULL;
	}
	{
		unsigned i, n = tp_format__nfields(tp->fmt);
		struct pft_field f;

		tp->min_raw = 8;	/* the common_* header */
		for (i = 0; i < n; i++)
			if (tp_format__field_at(tp->fmt, i, &f) && f.offset + f.size > tp->min_raw)
				tp->min_raw = f.offset + f.size;
	}
	tp->s = s;
	snprintf(tp->system, sizeof(tp->system), "%s", system);
	snprintf(tp->name, sizeof(tp->name), "%s", name);
	tp->flags = flags;
	tp->fn = fn;
	tp->priv = priv;
	tp->src = s->cur_src;
	tp->id = id;
	s->ntps++;
	return tp;
}

static int host_field(struct pft_tp *tp, const char *name, struct pft_field *out)
{
	return tp_format__field(tp->fmt, name, out);
}

static int host_in_scope(struct pft_host *h, uint32_t pid, uint32_t tid)
{
	struct session *s = S(h);

	if (s->mode == SCOPE_ALL)
		return 1;
	return u64map_get(&s->scope, (uint64_t)tid + 1) != NULL ||
	       (pid && u64map_get(&s->scope, (uint64_t)pid + 1) != NULL);
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

static void generic_fields(struct pft_tp *tp)
{
	unsigned i, n = tp_format__nfields(tp->fmt);

	tp->gf_done = 1;
	tp->gf = calloc(n ? n : 1, sizeof(*tp->gf));
	if (!tp->gf)
		return;
	for (i = 0; i < n; i++) {
		struct gfield *g = &tp->gf[tp->ngf];

		g->name = tp_format__field_at(tp->fmt, i, &g->f);
		if (g->name)
			tp->ngf++;
	}
}

static void host_emit_generic(struct pft_host *h, struct pft_tp *tp, const struct pft_record *r)
{
	struct session *s = S(h);
	struct pw_field out[32];
	char strs[8][128];
	unsigned i, n = 0, ns = 0;
	struct pw_ev e = { r->ts, r->cpu, r->tid };

	if (!tp->gf_done)
		generic_fields(tp);
	for (i = 0; i < tp->ngf && n < 32; i++) {
		const struct gfield *g = &tp->gf[i];
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
	pw_ftrace_generic(s->w, &e, tp->name, out, n);
}

static void host_drop(struct pft_tp *tp)
{
	tp->dropped = 1;
}

static int host_fields(struct pft_tp *tp, const char *const *names, struct pft_field *out,
		       unsigned n)
{
	unsigned i;

	if (!tp)
		return -ENOENT;
	for (i = 0; i < n; i++) {
		if (tp_format__field(tp->fmt, names[i], &out[i])) {
			pft_warn("%s: tracepoint %s:%s has no field '%s' on this kernel; not recorded",
				 tp->src ? tp->src->name : "source", tp->system, tp->name, names[i]);
			tp->dropped = 1;
			return -ENOENT;
		}
	}
	return 0;
}

static const struct pft_host_ops host_ops = {
	.abi_version = PFT_ABI_VERSION,
	.tracepoint = host_tracepoint,
	.field = host_field,
	.in_scope = host_in_scope,
	.warn = host_warn,
	.emit_generic = host_emit_generic,
	.drop = host_drop,
	.fields = host_fields,
};

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
	s->mode = opts->cgroup ? SCOPE_CGROUP : (opts->cmd || opts->npids) ? SCOPE_TASKS
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
	for (i = 0; i < s->nsrcs; i++)
		if (s->srcs[i].inited && s->srcs[i].ops->fini)
			s->srcs[i].ops->fini(s->srcs[i].priv);
	for (i = 0; s->rings && i < (unsigned)s->ncpus; i++)
		pm_ring__free(s->rings[i]);
	for (i = 0; i < s->nfds; i++)
		close(s->fds[i]);
	for (i = 0; i < s->ntps; i++)
		free(s->tps[i].gf);
	free(s->fds);
	free(s->pfds);
	free(s->heap);
	free(s->rings);
	free(s->cpu_events);
	u64map_free(&s->ids);
	u64map_free(&s->scope);
	tp_parser__free(s->parser);
	proc_state__free(s->procs);
	free(s);
}

int session__add_sources(struct session *s)
{
	const struct pft_source_ops *list[MAX_SOURCES];
	unsigned i, n = source_builtin_list(s->opts, list, MAX_SOURCES);
	int ret;

	for (i = 0; i < n; i++) {
		struct active_source *a = &s->srcs[s->nsrcs++];

		a->ops = list[i];
		s->cur_src = a->ops;
		ret = a->ops->init(&s->host, &host_ops, &a->priv);
		s->cur_src = NULL;
		if (ret < 0) {
			/* a failed init may have set up part of its state */
			if (a->priv && a->ops->fini)
				a->ops->fini(a->priv);
			a->priv = NULL;
			return ret;
		}
		a->inited = 1;
	}
	if (!s->ntps) {
		pft_error("none of the requested tracepoints exist on this kernel");
		return -ENOENT;
	}
	return 0;
}

/* --- opening ----------------------------------------------------------------------- */

static int add_fd(struct session *s, int fd)
{
	if (s->nfds == s->capfds) {
		unsigned ncap = s->capfds ? s->capfds * 2 : 64;
		int *nf = realloc(s->fds, ncap * sizeof(*nf));

		if (!nf)
			return -ENOMEM;
		s->fds = nf;
		s->capfds = ncap;
	}
	s->fds[s->nfds++] = fd;
	return 0;
}

static void raise_nofile(void)
{
	struct rlimit rl;

	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static void open_error(int err, const char *what, int cpu)
{
	char buf[32];

	if (err == -EACCES || err == -EPERM) {
		long paranoid = 2;

		if (pft_read_file("/proc/sys/kernel/perf_event_paranoid", buf, sizeof(buf)) > 0)
			pft_parse_long(strtok(buf, "\n"), &paranoid);
		pft_error("not allowed to open perf events for %s (kernel.perf_event_paranoid = %ld)",
			  what, paranoid);
		pft_hint("run as root or give the binary CAP_PERFMON (kernel >= 5.8; CAP_SYS_ADMIN "
			 "before); or allow it for everyone with: sysctl kernel.perf_event_paranoid=-1");
	} else if (err == -EMFILE || err == -ENFILE) {
		pft_error("out of file descriptors opening perf events for %s", what);
		pft_hint("each traced thread needs one descriptor per tracepoint and CPU: raise "
			 "'ulimit -n' or record system-wide");
	} else if (err == -EINVAL) {
		pft_error("the kernel rejected the perf event for %s on cpu %d: Invalid argument "
			  "(an attribute it lacks? use_clockid needs Linux 4.1, user stack copies 3.7)",
			  what, cpu);
	} else {
		pft_error("perf_event_open for %s on cpu %d failed: %s", what, cpu, strerror(-err));
	}
}

static void fill_attr(struct session *s, struct perf_event_attr *a, int tp_id)
{
	memset(a, 0, sizeof(*a));
	a->size = sizeof(*a);
	if (tp_id >= 0) {
		a->type = PERF_TYPE_TRACEPOINT;
		a->config = (uint64_t)tp_id;
	} else {
		a->type = PERF_TYPE_SOFTWARE;
		a->config = PERF_COUNT_SW_DUMMY;
	}
	a->sample_period = 1;
	a->sample_type = SAMPLE_TYPE;
	a->disabled = 1;
	a->sample_id_all = 1;
	a->use_clockid = 1;
	a->clockid = CLOCK_MONOTONIC;
	a->watermark = 1;
	/* wake the reader when a quarter of the ring is full: few wakeups under
	 * load, and three quarters of headroom while it drains */
	a->wakeup_watermark = (uint32_t)(s->ring_bytes / 4);
}

static int open_one(struct session *s, struct pft_tp *tp, struct pm_ring *ring, int cpu,
		    pid_t pid, unsigned long flags, int per_task, int enable_on_exec)
{
	struct perf_event_attr a;
	uint64_t id;
	int fd, ret;

	if (tp->custom) {
		a = tp->attr;
		a.size = sizeof(a);
		a.disabled = 1;
		a.sample_id_all = 1;
		a.use_clockid = 1;
		a.clockid = CLOCK_MONOTONIC;
		a.watermark = 1;
		a.wakeup_watermark = (uint32_t)(s->ring_bytes / 4);
	} else {
		fill_attr(s, &a, tp->id);
	}
	if (per_task) {
		a.inherit = 1;
		a.enable_on_exec = enable_on_exec ? 1 : 0;
	}
	fd = pm_event_open(&a, pid, cpu, -1, flags);
	if (fd < 0 && tp->custom && (tp->fallback.type || tp->fallback.config) &&
	    (fd == -ENOENT || fd == -EOPNOTSUPP || fd == -ENODEV || fd == -EINVAL)) {
		/* e.g. no hardware PMU here: use the software fallback from now on */
		pft_debug("%s: not available (%s); using the fallback event", tp->label,
			  strerror(-fd));
		tp->attr = tp->fallback;
		memset(&tp->fallback, 0, sizeof(tp->fallback));
		memcpy(tp->label, tp->fallback_label, sizeof(tp->label));
		return open_one(s, tp, ring, cpu, pid, flags, per_task, enable_on_exec);
	}
	if (fd < 0)
		return fd;
	if (tp->filter[0] && pm_event_set_filter(fd, tp->filter)) {
		close(fd);
		return -EINVAL;
	}
	if ((tp->flags & PFT_TP_NO_SELF) && pid == -1) {
		char filter[64];

		snprintf(filter, sizeof(filter), "common_pid != %d", (int)s->self);
		if (pm_event_set_filter(fd, filter))
			pft_debug("%s:%s: kernel filter not accepted; own events stay in",
				  tp->system, tp->name);
	}
	ret = pm_ring__add_fd(ring, fd);
	if (!ret)
		ret = pm_event_id(fd, &id);
	if (!ret)
		ret = u64map_put(&s->ids, id, tp);
	if (!ret)
		ret = add_fd(s, fd);
	if (ret) {
		close(fd);
		return ret;
	}
	return 0;
}

int session__open(struct session *s, const struct session_target *t)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t pages = 1;
	unsigned i, k;
	int cpu, ret, opened_cpus = 0;

	raise_nofile();
	if (t->mode != s->mode) {
		pft_error("internal: target mode %d does not match the options", (int)t->mode);
		return -EINVAL;
	}
	while (pages * page < s->opts->buffer_size)
		pages <<= 1;
	s->ring_bytes = pages * page;

	if (t->mode == SCOPE_TASKS || t->mode == SCOPE_CGROUP)
		for (i = 0; i < t->ntids; i++)
			session__scope_add(&s->host, (uint32_t)t->tids[i]);

	for (cpu = 0; cpu < s->ncpus; cpu++) {
		struct perf_event_attr a;
		struct pm_ring *ring;
		int fd;

		fill_attr(s, &a, -1);
		if (s->dummy_bits & SESSION_SIDEBAND_MMAP) {
			a.mmap = 1;
			a.mmap2 = 1;
		}
		if (s->dummy_bits & SESSION_SIDEBAND_TASK) {
			a.comm = 1;
			a.comm_exec = 1;
			a.task = 1;
		}
		fd = pm_event_open(&a, -1, cpu, -1, 0);
		if (fd == -ENODEV || fd == -ENOENT) {
			pft_debug("cpu %d is offline; skipped", cpu);
			continue;
		}
		if (fd < 0) {
			open_error(fd, "the ring buffer", cpu);
			return fd;
		}
		ring = pm_ring__new(fd, cpu, pages);
		if (!ring) {
			ret = -errno;
			close(fd);
			if (ret == -EPERM || ret == -ENOMEM)
				pft_error("cannot map a %zu KiB ring buffer for cpu %d: %s "
					  "(try a smaller --buffer-size, or raise "
					  "kernel.perf_event_mlock_kb)", s->ring_bytes >> 10, cpu,
					  strerror(-ret));
			else
				pft_error("cannot map the ring buffer for cpu %d: %s", cpu,
					  strerror(-ret));
			return ret;
		}
		s->rings[cpu] = ring;
		if ((ret = add_fd(s, fd))) {
			return ret;
		}

		for (i = 0; i < s->ntps; i++) {
			struct pft_tp *tp = &s->tps[i];
			char what[200];

			if (tp->dropped)
				continue;
			if (tp->custom)
				snprintf(what, sizeof(what), "%s", tp->label);
			else
				snprintf(what, sizeof(what), "%s:%s", tp->system, tp->name);
			if (t->mode == SCOPE_ALL || (tp->flags & PFT_TP_ALL_TASKS)) {
				ret = open_one(s, tp, ring, cpu, -1, 0, 0, 0);
			} else if (t->mode == SCOPE_CGROUP) {
				ret = open_one(s, tp, ring, cpu, t->cgroup_fd,
					       PERF_FLAG_PID_CGROUP, 0, 0);
			} else {
				unsigned ok = 0;

				ret = 0;
				for (k = 0; k < t->ntids; k++) {
					ret = open_one(s, tp, ring, cpu, t->tids[k], 0, 1,
						       t->enable_on_exec);
					if (ret == -ESRCH) {
						ret = 0;	/* that thread already exited */
						continue;
					}
					if (ret)
						break;
					ok++;
				}
				if (!ret && !ok) {
					pft_error("the target exited before recording started");
					return -ESRCH;
				}
			}
			if (ret) {
				open_error(ret, what, cpu);
				return ret;
			}
		}
		opened_cpus++;
	}
	if (!opened_cpus) {
		pft_error("no CPU could be opened for recording");
		return -ENODEV;
	}
	s->pfds = calloc((size_t)s->ncpus, sizeof(*s->pfds));
	if (!s->pfds)
		return -ENOMEM;
	for (cpu = 0; cpu < s->ncpus; cpu++) {
		if (!s->rings[cpu])
			continue;
		s->pfds[s->npfds].fd = pm_ring__fd(s->rings[cpu]);
		s->pfds[s->npfds].events = POLLIN;
		s->npfds++;
	}
	pft_debug("%u perf events on %d cpus, %zu KiB ring per cpu", s->nfds, opened_cpus,
		  s->ring_bytes >> 10);
	return 0;
}

struct pft_tp *session__add_event(struct session *s, const struct session_event *e)
{
	struct pft_tp *tp;

	if (e->tp_system) {
		tp = host_tracepoint(&s->host, e->tp_system, e->tp_name, e->flags, NULL, e->priv);
		if (!tp)
			return NULL;
	} else {
		if (s->ntps == MAX_TPS) {
			errno = E2BIG;
			return NULL;
		}
		tp = &s->tps[s->ntps++];
		memset(tp, 0, sizeof(*tp));
		tp->s = s;
		tp->id = -1;
		tp->flags = e->flags;
		tp->priv = e->priv;
		tp->src = s->cur_src;
	}
	tp->custom = 1;
	tp->attr = e->attr;
	if (e->tp_system) {
		tp->attr.type = PERF_TYPE_TRACEPOINT;
		tp->attr.config = (uint64_t)tp->id;
	}
	tp->fallback = e->fallback;
	snprintf(tp->fallback_label, sizeof(tp->fallback_label), "%s",
		 e->fallback_label ? e->fallback_label : e->label);
	tp->record_fn = e->record;
	snprintf(tp->filter, sizeof(tp->filter), "%s", e->filter ? e->filter : "");
	snprintf(tp->label, sizeof(tp->label), "%s", e->label);
	if (!e->tp_system)
		snprintf(tp->system, sizeof(tp->system), "%s", e->label);
	return tp;
}

const char *session__event_label(const struct pft_tp *tp)
{
	return tp->label;
}

void session__set_sideband(struct session *s, uint64_t bits, session_record_fn fn,
			   session_record_fn lost_fn, void *priv)
{
	s->dummy_bits = bits;
	s->sideband_fn = fn;
	s->lost_fn = lost_fn;
	s->sideband_priv = priv;
}

uint64_t session__perf_to_boot(const struct session *s, uint64_t perf_ns)
{
	return perf_ns + s->mono_to_boot;
}

struct pft_tp *session__event_by_id(struct session *s, uint64_t id)
{
	return u64map_get(&s->ids, id);
}

int session__ncpus(const struct session *s)
{
	return s->ncpus;
}

int session__in_scope(struct session *s, uint32_t pid)
{
	return host_in_scope(&s->host, pid, pid);
}

struct session *session__of(struct pft_host *h)
{
	return h->s;
}

int session__attach_test_ring(struct session *s, struct pm_ring *ring)
{
	int cpu = pm_ring__cpu(ring);
	unsigned i;

	if (cpu < 0 || cpu >= s->ncpus || s->rings[cpu])
		return -EINVAL;
	s->rings[cpu] = ring;
	for (i = 0; i < s->ntps; i++)
		if (!s->tps[i].dropped && !s->tps[i].custom &&
		    u64map_put(&s->ids, (uint64_t)s->tps[i].id, &s->tps[i]))
			return -ENOMEM;
	return 0;
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

	return host_in_scope(&s->host, (uint32_t)pid, (uint32_t)pid);
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
		pm_event_enable(s->fds[i]);	/* enable_on_exec events ignore this until exec */
	s->start_boot = pft_clock_ns(CLOCK_BOOTTIME);
	s->start_mono_wall = pft_clock_ns(CLOCK_MONOTONIC);
	ret = proc_state__scan(s->procs, s->start_boot, want_pid, s);
	if (ret < 0)
		pft_warn("cannot read /proc (%s): processes will be named from events only",
			 strerror(-ret));
	for (i = 0; i < s->nsrcs; i++)
		if (s->srcs[i].ops->start)
			s->srcs[i].ops->start(s->srcs[i].priv);
	return pw_writer__error(s->w);
}

/* --- the per-record path ----------------------------------------------------------- */

/* Dispatch one record; 1 when it was an event. */
static inline int handle_record(struct session *s, const struct perf_event_header *h,
				uint32_t cpu)
{
	if (h->type == PERF_RECORD_SAMPLE) {
		const unsigned char *p = (const unsigned char *)(h + 1);
		struct pft_record rec;
		struct pft_tp *tp;
		uint64_t id, t;
		uint32_t v[2], size;

		if (h->size < sizeof(*h) + 8) {
			s->bad_records++;
			return 0;
		}
		memcpy(&id, p, 8);
		tp = u64map_get(&s->ids, id);
		if (!tp) {
			s->unknown_records++;
			return 0;
		}
		if (tp->record_fn) {
			/* a custom event parses its own layout */
			tp->count++;
			tp->kept++;
			tp->record_fn(tp->priv, h, cpu);
			return 1;
		}
		if (h->size < SAMPLE_FIXED) {
			s->bad_records++;
			return 0;
		}
		memcpy(v, p + 8, 8);
		memcpy(&t, p + 16, 8);
		memcpy(&rec.cpu, p + 24, 4);
		memcpy(&size, p + 32, 4);
		if (size > h->size - SAMPLE_FIXED || size < tp->min_raw) {
			s->bad_records++;
			return 0;
		}
		rec.pid = v[0];
		rec.tid = v[1];
		rec.ts = t + s->mono_to_boot;
		rec.raw = p + 36;
		rec.raw_size = size;
		tp->count++;
		if (s->mode != SCOPE_ALL && !(tp->flags & (PFT_TP_ALL_TASKS | PFT_TP_OTHER_TASK)))
			session__scope_add(&s->host, rec.tid);
		tp->kept += tp->fn(tp->priv, &rec) != 0;
		return 1;
	}
	if (h->type == PERF_RECORD_LOST || h->type == PFT_RECORD_LOST_SAMPLES) {
		pw_ftrace_lost(s->w, cpu);
		if (s->lost_fn)
			s->lost_fn(s->sideband_priv, h, cpu);
	} else if (s->sideband_fn) {
		s->sideband_records++;
		s->sideband_fn(s->sideband_priv, h, cpu);
	}
	return 0;
}

/*
 * The perf time of a record: samples carry IDENTIFIER, TID, TIME first;
 * other records end in the sample_id_all trailer (TID, TIME, CPU,
 * IDENTIFIER -- every event here asks for those four).
 */
static inline uint64_t record_time(const struct perf_event_header *h)
{
	const unsigned char *p = (const unsigned char *)h;
	uint64_t t = 0;

	if (h->type == PERF_RECORD_SAMPLE) {
		if (h->size >= sizeof(*h) + 24)
			memcpy(&t, p + sizeof(*h) + 16, 8);
	} else if (h->size >= sizeof(*h) + 32) {
		memcpy(&t, p + h->size - 24, 8);
	}
	return t;
}

static void heap_down(struct merge_item *v, unsigned n, unsigned i)
{
	for (;;) {
		unsigned l = 2 * i + 1, m = i;
		struct merge_item tmp;

		if (l < n && v[l].t < v[m].t)
			m = l;
		if (l + 1 < n && v[l + 1].t < v[m].t)
			m = l + 1;
		if (m == i)
			return;
		tmp = v[i];
		v[i] = v[m];
		v[m] = tmp;
		i = m;
	}
}

/*
 * Drain every ring once, merging the rings in time order: an mmap seen on
 * one CPU is known before a sample taken later on another, and a fork before
 * the child's first switch elsewhere.  Each ring's own order is kept, so each
 * CPU's bundle stays sorted.  The heap holds one pending record per ring:
 * pm_ring__read_event's pointer stays valid until that ring's next read.
 */
uint64_t session__drain(struct session *s)
{
	struct merge_item *heap = s->heap;
	uint64_t before = s->records;
	unsigned n = 0, i;
	int cpu;

	s->last_fill = 0;
	for (cpu = 0; cpu < s->ncpus; cpu++) {
		struct pm_ring *r = s->rings[cpu];
		const struct perf_event_header *h;
		ssize_t avail;

		if (!r || (avail = pm_ring__read_begin(r)) <= 0)
			continue;
		if ((size_t)avail > s->last_fill)
			s->last_fill = (size_t)avail;
		h = pm_ring__read_event(r);
		if (!h) {
			pm_ring__read_end(r);
			continue;
		}
		heap[n].t = record_time(h);
		heap[n].ring = r;
		heap[n].h = h;
		n++;
	}
	for (i = n / 2; i-- > 0;)
		heap_down(heap, n, i);
	while (n) {
		struct pm_ring *r = heap[0].ring;
		uint32_t rcpu = (uint32_t)pm_ring__cpu(r);
		const struct perf_event_header *next;

		if (handle_record(s, heap[0].h, rcpu)) {
			s->cpu_events[rcpu]++;
			s->records++;
		}
		next = pm_ring__read_event(r);
		if (next) {
			heap[0].h = next;
			heap[0].t = record_time(next);
		} else {
			pm_ring__read_end(r);
			pw_writer__flush_cpu(s->w, rcpu);
			heap[0] = heap[--n];
		}
		heap_down(heap, n, 0);
	}
	for (i = 0; i < s->nsrcs; i++)
		if (s->srcs[i].ops->flush)
			s->srcs[i].ops->flush(s->srcs[i].priv);
	proc_state__flush(s->procs);
	pw_writer__sync(s->w);
	return s->records - before;
}

int session__busy(const struct session *s)
{
	return s->last_fill > s->ring_bytes / 8;
}

int session__wait(struct session *s, int timeout_ms, const void *sigmask)
{
	struct timespec ts = { timeout_ms / 1000, (long)(timeout_ms % 1000) * 1000000L };
	int ret = ppoll(s->pfds, s->npfds, timeout_ms < 0 ? NULL : &ts, sigmask);

	return ret < 0 ? -errno : 0;
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
				 "resume are off by %.3f s", (double)moved / 1e9);
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

void session__summary(struct session *s, uint64_t output_bytes)
{
	double secs = (double)(s->stop_mono_wall - s->start_mono_wall) / 1e9;
	uint64_t lost = session__lost_total(s), kept = 0;
	const int filtered = s->mode != SCOPE_ALL;
	char b1[32];
	unsigned i;
	int cpu;

	if (pft_quiet)
		return;
	if (secs <= 0)
		secs = 1e-9;
	for (i = 0; i < s->ntps; i++)
		kept += s->tps[i].kept;
	fprintf(stderr, "pftrace: recorded %.3f s: %llu events (%.0f/s), %llu lost, %s written\n",
		secs, (unsigned long long)kept, (double)kept / secs, (unsigned long long)lost,
		pft_fmt_bytes(output_bytes, b1, sizeof(b1)));
	/* filtered recordings read some events system-wide and keep those of
	 * the target: show both */
	if (filtered)
		fprintf(stderr, "  %-34s %12s %12s %12s\n", "event", "recorded", "per sec", "read");
	else
		fprintf(stderr, "  %-34s %12s %12s\n", "event", "recorded", "per sec");
	for (i = 0; i < s->ntps; i++) {
		const struct pft_tp *tp = &s->tps[i];
		char label[170];

		if (!tp->count && !pft_verbose)
			continue;
		if (tp->custom)
			snprintf(label, sizeof(label), "%s", tp->label);
		else
			snprintf(label, sizeof(label), "%s:%s", tp->system, tp->name);
		fprintf(stderr, "  %-34s %12llu %12.0f", label, (unsigned long long)tp->kept,
			(double)tp->kept / secs);
		if (filtered)
			fprintf(stderr, " %12llu", (unsigned long long)tp->count);
		fprintf(stderr, "\n");
	}
	fprintf(stderr, "  %-6s %12s %14s %14s %12s\n", "cpu", "events read", "lost records",
		"lost samples", "bytes read");
	for (cpu = 0; cpu < s->ncpus; cpu++) {
		const struct pm_loss *l;

		if (!s->rings[cpu])
			continue;
		l = pm_ring__loss(s->rings[cpu]);
		fprintf(stderr, "  %-6d %12llu %14llu %14llu %12s\n", cpu,
			(unsigned long long)s->cpu_events[cpu],
			(unsigned long long)l->lost_records, (unsigned long long)l->lost_samples,
			pft_fmt_bytes(pm_ring__bytes_read(s->rings[cpu]), b1, sizeof(b1)));
	}
	for (i = 0; i < s->nsrcs; i++)
		if (s->srcs[i].ops->summary)
			s->srcs[i].ops->summary(s->srcs[i].priv);
	if (lost)
		fprintf(stderr, "pftrace: the kernel dropped %llu records: the reader fell behind; "
			"try a bigger --buffer-size (now %zu KiB per cpu)\n",
			(unsigned long long)lost, s->ring_bytes >> 10);
	if (pft_verbose) {
		fprintf(stderr, "  ring buffer %zu KiB per cpu, %u perf events, %llu processes "
			"described, %llu bytes/event\n", s->ring_bytes >> 10, s->nfds,
			(unsigned long long)proc_state__described(s->procs),
			(unsigned long long)(s->records ? output_bytes / s->records : 0));
		if (s->unknown_records || s->bad_records)
			fprintf(stderr, "  %llu records of unknown id, %llu malformed\n",
				(unsigned long long)s->unknown_records,
				(unsigned long long)s->bad_records);
	}
}
