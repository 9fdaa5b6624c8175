/* SPDX-License-Identifier: MIT */
/*
 * core/evlist: the session's perf events.  Creates the event objects
 * (tracepoints for the host, raw events for session__add_event), builds
 * their attributes in one place, and opens them: one ring per CPU, owned by
 * a dummy software event, and every event on that CPU (system-wide, per
 * task or per cgroup) redirected into it.  Records carry
 * IDENTIFIER|TID|TIME|CPU|RAW; the identifier maps back to the event.
 */
#include "config.h"
#include "core/session_internal.h"
#include "core/session_test.h"
#include "core/options.h"
#include "core/tp.h"
#include "core/tracefs.h"
#include "perfmmap/perfmmap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* --- event objects ----------------------------------------------------------------- */

struct pft_event *session__new_event(struct session *s, enum event_kind kind, unsigned flags)
{
	struct pft_event *ev;

	if (s->nevents == MAX_EVENTS) {
		errno = E2BIG;
		return NULL;
	}
	ev = &s->events[s->nevents++];
	memset(ev, 0, sizeof(*ev));
	ev->s = s;
	ev->kind = kind;
	ev->id = -1;
	ev->flags = flags;
	ev->src = s->cur_src;
	return ev;
}

/* The longest record layout the format describes (common_* header first). */
static uint32_t format_min_raw(const struct tp_format *fmt)
{
	unsigned i, n = tp_format__nfields(fmt);
	uint32_t min_raw = 8;
	struct pft_field f;

	for (i = 0; i < n; i++)
		if (tp_format__field_at(fmt, i, &f) && f.offset + f.size > min_raw)
			min_raw = f.offset + f.size;
	return min_raw;
}

struct pft_event *session__new_tracepoint(struct session *s, const char *system, const char *name,
					  unsigned flags)
{
	struct tp_format *fmt;
	struct pft_event *ev;
	char *text;
	size_t len;
	int id;

	if (s->nevents == MAX_EVENTS) {
		pft_error("too many tracepoints (at most %d)", MAX_EVENTS);
		errno = E2BIG;
		return NULL;
	}
	id = tfs_event_id(system, name);
	if (id < 0) {
		if (flags & PFT_EV_OPTIONAL)
			pft_warn("%s: tracepoint %s:%s is not available on this kernel; not "
				 "recorded",
				 s->cur_src ? s->cur_src->name : "?", system, name);
		else if (id == -ENOENT)
			pft_error("unknown tracepoint %s:%s (see %s/available_events)", system,
				  name, tfs_dir());
		else
			pft_error("cannot read tracepoint %s:%s: %s", system, name, strerror(-id));
		errno = -id;
		return NULL;
	}
	text = tfs_event_format(system, name, &len);
	if (!text) {
		pft_error("cannot read the format of %s:%s: %s", system, name, strerror(errno));
		return NULL;
	}
	fmt = tp_parser__parse(s->parser, system, text, len);
	free(text);
	if (!fmt) {
		pft_error("cannot parse the format of %s:%s", system, name);
		errno = EINVAL;
		return NULL;
	}
	ev = session__new_event(s, EV_TRACEPOINT, flags);
	ev->fmt = fmt;
	ev->min_raw = format_min_raw(fmt);
	snprintf(ev->system, sizeof(ev->system), "%s", system);
	snprintf(ev->name, sizeof(ev->name), "%s", name);
	ev->id = id;
	ev->attr.type = PERF_TYPE_TRACEPOINT;
	ev->attr.config = (uint64_t)id;
	ev->attr.sample_period = 1;
	ev->attr.sample_type = SAMPLE_TYPE;
	return ev;
}

struct pft_event *session__add_event(struct session *s, const struct session_event *e)
{
	struct pft_event *ev;

	if (e->tp_system)
		ev = session__new_tracepoint(s, e->tp_system, e->tp_name, e->flags);
	else
		ev = session__new_event(s, EV_RAW, e->flags);
	if (!ev)
		return NULL;
	ev->kind = EV_RAW;
	ev->priv = e->priv;
	ev->attr = e->attr;
	if (e->tp_system) {
		ev->attr.type = PERF_TYPE_TRACEPOINT;
		ev->attr.config = (uint64_t)ev->id;
	}
	ev->fallback = e->fallback;
	snprintf(ev->fallback_label, sizeof(ev->fallback_label), "%s",
		 e->fallback_label ? e->fallback_label : e->label);
	ev->record_fn = e->record;
	ev->record_priv = e->priv;
	snprintf(ev->filter, sizeof(ev->filter), "%s", e->filter ? e->filter : "");
	snprintf(ev->label, sizeof(ev->label), "%s", e->label);
	if (!e->tp_system)
		snprintf(ev->system, sizeof(ev->system), "%s", e->label);
	return ev;
}

void session__event_set_raw(struct pft_event *ev, uint64_t sample_type, uint64_t regs_user,
			    uint32_t stack_user, session_record_fn fn, void *priv)
{
	ev->kind = EV_RAW;
	snprintf(ev->label, sizeof(ev->label), "%.31s:%.31s", ev->system, ev->name);
	ev->attr.sample_type = sample_type;
	ev->attr.sample_regs_user = regs_user;
	ev->attr.sample_stack_user = stack_user;
	/* user frames come from the unwinder, not the kernel's fp walk */
	ev->attr.exclude_callchain_user = regs_user ? 1 : 0;
	ev->record_fn = fn;
	ev->record_priv = priv;
}

const char *session__event_name(const struct pft_event *ev)
{
	return ev->fmt ? ev->name : ev->label;
}

uint32_t session__event_min_raw(const struct pft_event *ev)
{
	return ev->min_raw;
}

const char *session__event_label(const struct pft_event *ev)
{
	return ev->label;
}

struct pft_event *session__event_by_id(struct session *s, uint64_t id)
{
	return u64map_get(&s->ids, id);
}

/* --- attributes -------------------------------------------------------------------- */

/*
 * The attributes of @ev (or of the ring's dummy event when @ev is NULL):
 * what the event asked for plus what every event here shares -- created
 * disabled, stamped with CLOCK_MONOTONIC, sample_id_all for the merge, and a
 * watermark wakeup.
 */
static void session__attr(const struct session *s, const struct pft_event *ev,
			  struct perf_event_attr *a)
{
	if (ev) {
		*a = ev->attr;
	} else {
		memset(a, 0, sizeof(*a));
		a->type = PERF_TYPE_SOFTWARE;
		a->config = PERF_COUNT_SW_DUMMY;
		a->sample_period = 1;
		a->sample_type = SAMPLE_TYPE;
		if (s->dummy_bits & SESSION_SIDEBAND_MMAP) {
			a->mmap = 1;
			a->mmap2 = 1;
		}
		if (s->dummy_bits & SESSION_SIDEBAND_TASK) {
			a->comm = 1;
			a->comm_exec = 1;
			a->task = 1;
		}
	}
	a->size = sizeof(*a);
	a->disabled = 1;
	a->sample_id_all = 1;
	a->use_clockid = 1;
	a->clockid = CLOCK_MONOTONIC;
	if (ev && !ev->attr.watermark && ev->attr.wakeup_events) {
		/* the event asked to wake the reader at each record (off-CPU
		 * stacks a plugin reads process memory for: the sooner the better) */
		return;
	}
	a->watermark = 1;
	/* wake the reader when a quarter of the ring is full: few wakeups under
	 * load, and three quarters of headroom while it drains */
	a->wakeup_watermark = (uint32_t)(s->ring_bytes / 4);
}

/* --- opening ----------------------------------------------------------------------- */

/* What failed while opening an event, for the message. */
enum open_step {
	OPEN_EVENT,  /* perf_event_open */
	OPEN_FILTER, /* the kernel rejected the tracepoint filter */
	OPEN_ATTACH, /* redirecting into the ring, reading its id, bookkeeping */
};

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

static void open_error(const struct session *s, int err, const char *what, int cpu)
{
	char buf[32];

	if (err == -EACCES || err == -EPERM) {
		long paranoid = 2;

		if (pft_read_file("/proc/sys/kernel/perf_event_paranoid", buf, sizeof(buf)) > 0)
			pft_parse_long(strtok(buf, "\n"), &paranoid);
		pft_error(
			"not allowed to open perf events for %s (kernel.perf_event_paranoid = %ld)",
			what, paranoid);
		pft_hint("run as root or give the binary CAP_PERFMON (kernel >= 5.8; CAP_SYS_ADMIN "
			 "before); or allow it for everyone with: sysctl "
			 "kernel.perf_event_paranoid=-1");
	} else if (err == -EMFILE || err == -ENFILE) {
		struct rlimit rl;
		long lim = getrlimit(RLIMIT_NOFILE, &rl) ? -1 : (long)rl.rlim_cur;

		pft_error("out of file descriptors opening perf events for %s (ulimit -n is %ld)",
			  what, lim);
		if (s->mode == SCOPE_ALL)
			pft_hint("a system-wide recording needs one descriptor per event and CPU "
				 "(%u events, %d CPUs here): raise 'ulimit -n'",
				 s->nevents, s->ncpus);
		else
			pft_hint("each traced thread needs one descriptor per tracepoint and CPU: "
				 "raise 'ulimit -n' or record system-wide");
	} else if (err == -EINVAL) {
		pft_error("the kernel rejected the perf event for %s on cpu %d: Invalid argument "
			  "(an attribute it lacks? use_clockid needs Linux 4.1, user stack copies "
			  "3.7)",
			  what, cpu);
	} else {
		pft_error("perf_event_open for %s on cpu %d failed: %s", what, cpu, strerror(-err));
	}
}

static void event_error(const struct pft_event *ev, enum open_step step, int err, int cpu)
{
	char what[200];

	if (ev->kind == EV_RAW)
		snprintf(what, sizeof(what), "%s", ev->label);
	else
		snprintf(what, sizeof(what), "%s:%s", ev->system, ev->name);
	if (step == OPEN_FILTER)
		pft_error("the kernel rejected the filter '%s' of %s: %s", ev->filter, what,
			  strerror(-err));
	else if (step == OPEN_ATTACH)
		pft_error("cannot attach the perf event for %s on cpu %d to its ring buffer: %s",
			  what, cpu, strerror(-err));
	else
		open_error(ev->s, err, what, cpu);
}

/* perf_event_open for @ev; a raw event whose attributes the machine lacks
 * (e.g. no hardware PMU) switches to its fallback for good. */
static int event_open_fd(struct session *s, struct pft_event *ev, int cpu, pid_t pid,
			 unsigned long flags, int per_task, int enable_on_exec)
{
	struct perf_event_attr a;
	int fd;

	for (;;) {
		session__attr(s, ev, &a);
		if (per_task) {
			a.inherit = 1;
			a.enable_on_exec = enable_on_exec ? 1 : 0;
		}
		fd = pm_event_open(&a, pid, cpu, -1, flags);
		if (fd >= 0 || ev->kind != EV_RAW || !(ev->fallback.type || ev->fallback.config) ||
		    !(fd == -ENOENT || fd == -EOPNOTSUPP || fd == -ENODEV || fd == -EINVAL))
			return fd;
		pft_debug("%s: not available (%s); using the fallback event", ev->label,
			  strerror(-fd));
		ev->attr = ev->fallback;
		memset(&ev->fallback, 0, sizeof(ev->fallback));
		memcpy(ev->label, ev->fallback_label, sizeof(ev->label));
	}
}

/* Open @ev for one cpu and pid (or cgroup) into @ring.  0 or -errno, with
 * *step saying what failed. */
static int event_open_one(struct session *s, struct pft_event *ev, struct pm_ring *ring, int cpu,
			  pid_t pid, unsigned long flags, int per_task, int enable_on_exec,
			  enum open_step *step)
{
	uint64_t id;
	int fd, ret;

	*step = OPEN_EVENT;
	fd = event_open_fd(s, ev, cpu, pid, flags, per_task, enable_on_exec);
	if (fd < 0)
		return fd;
	if (ev->filter[0]) {
		ret = pm_event_set_filter(fd, ev->filter);
		if (ret) {
			*step = OPEN_FILTER;
			goto out_close;
		}
	}
	if ((ev->flags & PFT_EV_NO_SELF) && pid == -1) {
		char filter[64];

		snprintf(filter, sizeof(filter), "common_pid != %d", (int)s->self);
		if (pm_event_set_filter(fd, filter))
			pft_debug("%s:%s: kernel filter not accepted; own events stay in",
				  ev->system, ev->name);
	}
	*step = OPEN_ATTACH;
	ret = pm_ring__add_fd(ring, fd);
	if (!ret)
		ret = pm_event_id(fd, &id);
	if (!ret)
		ret = u64map_put(&s->ids, id, ev);
	if (ret)
		goto out_close;
	ret = add_fd(s, fd);
	if (ret)
		goto out_forget_id;
	return 0;

out_forget_id:
	u64map_put(&s->ids, id, NULL); /* no record of a closed event is dispatched */
out_close:
	close(fd);
	return ret;
}

/* Open @ev on @cpu for the target.  0 or -errno (message printed). */
static int event_open_cpu(struct session *s, struct pft_event *ev, struct pm_ring *ring, int cpu,
			  const struct session_target *t)
{
	enum open_step step;
	unsigned k, ok = 0;
	int ret = 0;

	if (t->mode == SCOPE_ALL || (ev->flags & PFT_EV_ALL_TASKS)) {
		ret = event_open_one(s, ev, ring, cpu, -1, 0, 0, 0, &step);
	} else if (t->mode == SCOPE_CGROUP) {
		ret = event_open_one(s, ev, ring, cpu, t->cgroup_fd, PERF_FLAG_PID_CGROUP, 0, 0,
				     &step);
	} else {
		for (k = 0; k < t->ntids; k++) {
			ret = event_open_one(s, ev, ring, cpu, t->tids[k], 0, 1, t->enable_on_exec,
					     &step);
			if (ret == -ESRCH && step == OPEN_EVENT) {
				ret = 0; /* that thread already exited */
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
	if (ret)
		event_error(ev, step, ret, cpu);
	return ret;
}

/* Map @cpu's ring on a new dummy event.  0, 1 when the cpu is offline, or
 * -errno (message printed). */
static int session__open_ring(struct session *s, int cpu, size_t pages)
{
	struct perf_event_attr a;
	struct pm_ring *ring;
	int fd, ret;

	session__attr(s, NULL, &a);
	fd = pm_event_open(&a, -1, cpu, -1, 0);
	if (fd == -ENODEV || fd == -ENOENT) {
		pft_debug("cpu %d is offline; skipped", cpu);
		return 1;
	}
	if (fd < 0) {
		open_error(s, fd, "the ring buffer", cpu);
		return fd;
	}
	ring = pm_ring__new(fd, cpu, pages);
	if (!ring) {
		ret = -errno;
		if (ret == -EPERM || ret == -ENOMEM)
			pft_error("cannot map a %zu KiB ring buffer for cpu %d: %s "
				  "(try a smaller --buffer-size, or raise "
				  "kernel.perf_event_mlock_kb)",
				  s->ring_bytes >> 10, cpu, strerror(-ret));
		else
			pft_error("cannot map the ring buffer for cpu %d: %s", cpu, strerror(-ret));
		goto out_close;
	}
	ret = add_fd(s, fd);
	if (ret) {
		pft_error("cannot set up the ring buffer for cpu %d: %s", cpu, strerror(-ret));
		goto out_free_ring;
	}
	s->rings[cpu] = ring;
	return 0;

out_free_ring:
	pm_ring__free(ring);
out_close:
	close(fd);
	return ret;
}

static int session__open_pollfds(struct session *s)
{
	int cpu;

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
	return 0;
}

int session__open(struct session *s, const struct session_target *t)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t pages = 1;
	uint64_t want;
	unsigned i;
	int cpu, ret, opened_cpus = 0;

	raise_nofile();
	if (t->mode != s->mode) {
		pft_error("internal: target mode %d does not match the options", (int)t->mode);
		return -EINVAL;
	}
	want = s->opts->buffer_size;
	if (!want) {
		/* Larger rings only for root: others are held to
		 * kernel.perf_event_mlock_kb plus RLIMIT_MEMLOCK, which the
		 * smallest automatic size already needs raised. */
		long phys = sysconf(_SC_PHYS_PAGES);

		want = record_opts_auto_buffer(
			geteuid() == 0 && phys > 0 ? (uint64_t)phys * page : 0, pm_cpu_count());
	}
	while (pages * page < want)
		pages <<= 1;
	s->ring_bytes = pages * page;

	if (t->mode == SCOPE_TASKS || t->mode == SCOPE_CGROUP)
		for (i = 0; i < t->ntids; i++)
			session__scope_add(&s->host, (uint32_t)t->tids[i]);

	for (cpu = 0; cpu < s->ncpus; cpu++) {
		ret = session__open_ring(s, cpu, pages);
		if (ret > 0)
			continue;
		if (ret < 0)
			return ret;
		for (i = 0; i < s->nevents; i++) {
			if (s->events[i].dropped)
				continue;
			ret = event_open_cpu(s, &s->events[i], s->rings[cpu], cpu, t);
			if (ret)
				return ret;
		}
		opened_cpus++;
	}
	if (!opened_cpus) {
		pft_error("no CPU could be opened for recording");
		return -ENODEV;
	}
	ret = session__open_pollfds(s);
	if (ret)
		return ret;
	pft_debug("%u perf events on %d cpus, %zu KiB ring per cpu", s->nfds, opened_cpus,
		  s->ring_bytes >> 10);
	return 0;
}

void session__close_events(struct session *s)
{
	unsigned i;

	for (i = 0; s->rings && i < (unsigned)s->ncpus; i++) {
		pm_ring__free(s->rings[i]);
		s->rings[i] = NULL;
	}
	for (i = 0; i < s->nfds; i++)
		close(s->fds[i]);
	s->nfds = 0;
	s->npfds = 0;
}

/* --- test hook (core/session_test.h) ----------------------------------------------- */

int session__attach_test_ring(struct session *s, struct pm_ring *ring)
{
	int cpu = pm_ring__cpu(ring);
	unsigned i;

	if (cpu < 0 || cpu >= s->ncpus || s->rings[cpu])
		return -EINVAL;
	s->rings[cpu] = ring;
	for (i = 0; i < s->nevents; i++)
		if (!s->events[i].dropped && s->events[i].kind == EV_TRACEPOINT &&
		    u64map_put(&s->ids, (uint64_t)s->events[i].id, &s->events[i]))
			return -ENOMEM;
	return 0;
}
