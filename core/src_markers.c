/* SPDX-License-Identifier: MIT */
/*
 * core/src_markers: --markers, lines that programs write to mark their work
 * (parsed and paired by core/markers.c), from two channels:
 *
 *  - trace_marker: a tracefs instance of our own, instances/pftrace_<pid>,
 *    with the option copy_trace_marker (Linux 6.17+): every write to the
 *    top-level trace_marker is copied into it as an ftrace print event.
 *    Nothing else is enabled there.  Its per-CPU trace_pipe_raw is read
 *    (non-blocking) in flush() and at stop(), the pages parsed by
 *    mk_rb_page__parse().  Its trace_clock is "boot" (CLOCK_BOOTTIME, the
 *    trace's clock), or "mono" with the session's MONOTONIC->BOOTTIME offset.
 *    Without copy_trace_marker, programs write to the instance's own
 *    trace_marker, whose path the summary prints.
 *    The instance is removed in fini() (every way a recording ends goes
 *    through it: normal end, Ctrl-C, SIGTERM, an error after init), and
 *    instances of pftraces that are gone are swept at init.  Nothing here
 *    touches an instance not named pftrace_<pid>.
 *  - devnull: sysdig tracer lines written to /dev/null, through a uprobe on
 *    libc's write() that fetches the buffer as a string, kernel-filtered to
 *    the lines that start like a marker.  Every write() of a probed process
 *    traps (~14 us here), so this channel is on only for the recorded
 *    processes (-p, COMMAND, -c), or system-wide with an explicit
 *    --markers=devnull and a warning.
 *
 * The events of all CPUs read in one flush() are put in time order before
 * they are paired; events younger than MERGE_SLACK_NS stay for the next one,
 * so that a BEGIN still being committed on one CPU is not overtaken by its
 * END read from another.
 */
#include "config.h"
#include "core/markers.h"
#include "core/options.h"
#include "core/session.h"
#include "core/source.h"
#include "core/u64map.h"
#include "core/util.h"
#include "proto/writer.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define INSTANCE_PREFIX "pftrace_"
#define MERGE_SLACK_NS 20000000ull /* 20 ms */
#define PAGE_BUF (64 * 1024)	   /* one sub-buffer per read: pages are 4 KiB by default */
/*
 * The written bytes are fetched as fixed arrays, not as a string: a ustring
 * fetch of a buffer with no NUL within a page makes this kernel WARN in
 * prepare_uprobe_buffer() and then drop the process's later hits, and any
 * large write() of a probed process would do that.  Arrays are copied element
 * by element (a fault stops the copy there), and only the first count bytes
 * are used.  The filter reads the first two bytes: ">:", "<:" or "[\"".
 */
#define DEVNULL_CHUNK 512
#define DEVNULL_MAX (2 * DEVNULL_CHUNK) /* longer writes are cut */
#define DEVNULL_SPEC                                                                               \
	"uprobe:libc:write fd=%di:s32 count=%dx:u64 h=+0(%si):u16 b0=+0(%si):u64[64] "             \
	"b1=+512(%si):u64[64]"
#define DEVNULL_FILTER "h == 0x3a3e || h == 0x3a3c || h == 0x225b"

struct pending {
	uint64_t ts;
	uint32_t tid;
	uint32_t off, len; /* the line in the arena */
};

struct markers {
	struct pft_host *h;
	const struct pft_host_ops *ops;
	struct mk_engine eng;

	/* trace_marker channel */
	int tm_on;
	char inst[PATH_MAX]; /* the instance's directory, "" when not made */
	int copy;	     /* copy_trace_marker is set */
	int ncpus;
	int *fds;
	uint32_t print_id, buf_off;
	uint64_t clock_off; /* added to the instance's timestamps */
	unsigned char *page;
	struct pending *pend;
	size_t npend, cappend;
	char *arena;
	size_t arena_len, arena_cap;
	uint64_t tm_lines, tm_scope, tm_missed_pages, tm_bad_pages;
	uint64_t tm_dup; /* sysdig lines the devnull channel had already */

	/* devnull channel */
	struct pft_event *ev;
	struct pft_field f_count, f_b[2];
	uint64_t dn_lines, dn_scope;
	char line[DEVNULL_MAX + 1];

	struct u64map tgid; /* tid + 1 -> tgid + 1 (trace_marker writers) */
	struct u64map ppid; /* pid + 1 -> ppid + 1 */
};

/* --- tracefs files ------------------------------------------------------------- */

static int write_file(const char *dir, const char *name, const char *val)
{
	char path[PATH_MAX + 64];
	ssize_t n;
	int fd, err = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	if (n < 0)
		err = -errno;
	close(fd);
	return err;
}

static int read_file(const char *dir, const char *name, char *buf, size_t cap)
{
	char path[PATH_MAX + 64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, cap - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	return 0;
}

/* Whether @pid is a running pftrace (comm, or the executable's name). */
static int is_pftrace(pid_t pid)
{
	char path[64], buf[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	if (!read_file(path, "comm", buf, sizeof(buf)) && !strcmp(buf, "pftrace\n"))
		return 1;
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	n = readlink(path, buf, sizeof(buf) - 1);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	return !strcmp(strrchr(buf, '/') ? strrchr(buf, '/') + 1 : buf, "pftrace");
}

/* Remove instances/pftrace_<pid> of pftraces that are gone; how many. */
static int sweep_instances(const char *tracefs, pid_t self)
{
	char dir[PATH_MAX], path[PATH_MAX + 300];
	struct dirent *d;
	int n = 0;
	DIR *dp;

	snprintf(dir, sizeof(dir), "%s/instances", tracefs);
	dp = opendir(dir);
	if (!dp)
		return 0;
	while ((d = readdir(dp))) {
		const char *p = d->d_name + strlen(INSTANCE_PREFIX);
		char *end;
		long pid;

		if (strncmp(d->d_name, INSTANCE_PREFIX, strlen(INSTANCE_PREFIX)) || !*p)
			continue;
		pid = strtol(p, &end, 10);
		if (*end || pid <= 0 || pid == self || is_pftrace((pid_t)pid))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		if (!rmdir(path))
			n++;
	}
	closedir(dp);
	return n;
}

/* "field:char buf[];	offset:16;" -> 16 */
static int format_offset(const char *fmt, const char *field, uint32_t *off)
{
	const char *p = strstr(fmt, field), *o;

	if (!p || !(o = strstr(p, "offset:")))
		return -ENOENT;
	*off = (uint32_t)strtoul(o + 7, NULL, 10);
	return 0;
}

static uint64_t clock_ns(clockid_t c)
{
	struct timespec t;

	clock_gettime(c, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static int tm_init(struct markers *m)
{
	const char *tfs = m->ops->tracefs_dir(m->h);
	char buf[4096], path[PATH_MAX + 64];
	int swept, i, err;

	if (!tfs) {
		m->ops->error(m->h, "tracefs is not mounted");
		return -ENOENT;
	}
	swept = sweep_instances(tfs, getpid());
	if (swept)
		m->ops->warn(m->h, "removed %d tracefs instance(s) left by pftraces that are gone",
			     swept);
	snprintf(m->inst, sizeof(m->inst), "%s/instances/" INSTANCE_PREFIX "%d", tfs,
		 (int)getpid());
	if (mkdir(m->inst, 0700)) {
		err = -errno;
		m->ops->error(m->h, "cannot create the tracefs instance %s: %s", m->inst,
			      strerror(errno));
		m->inst[0] = 0;
		return err;
	}
	/* nothing is recorded before start() */
	write_file(m->inst, "tracing_on", "0");
	if (!write_file(m->inst, "trace_clock", "boot")) {
		m->clock_off = 0;
	} else if (!write_file(m->inst, "trace_clock", "mono")) {
		m->clock_off = session__perf_to_boot(session__of(m->h), 0);
	} else {
		m->ops->error(m->h,
			      "the tracefs instance takes neither the boot nor the mono clock");
		return -ENOTSUP;
	}
	if (read_file(m->inst, "events/ftrace/print/format", buf, sizeof(buf)) ||
	    !strstr(buf, "ID:") || format_offset(buf, "buf[", &m->buf_off)) {
		m->ops->error(m->h, "cannot read the format of ftrace:print in %s", m->inst);
		return -ENOENT;
	}
	m->print_id = (uint32_t)strtoul(strstr(buf, "ID:") + 3, NULL, 10);
	snprintf(path, sizeof(path), "%s/options/copy_trace_marker", m->inst);
	m->copy = access(path, F_OK) == 0;
	if (!m->copy)
		m->ops->warn(m->h,
			     "this kernel has no copy_trace_marker (Linux 6.17+): markers "
			     "are read from %s/trace_marker only, not from the top-level one",
			     m->inst);
	m->ncpus = (int)sysconf(_SC_NPROCESSORS_CONF);
	if (m->ncpus <= 0)
		m->ncpus = 1;
	m->fds = malloc((size_t)m->ncpus * sizeof(*m->fds));
	if (!m->fds)
		return -ENOMEM;
	for (i = 0; i < m->ncpus; i++)
		m->fds[i] = -1;
	m->page = malloc(PAGE_BUF);
	if (!m->page)
		return -ENOMEM;
	for (i = 0; i < m->ncpus; i++) {
		snprintf(path, sizeof(path), "%s/per_cpu/cpu%d/trace_pipe_raw", m->inst, i);
		m->fds[i] = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	}
	return 0;
}

static int tm_start(struct markers *m)
{
	struct session_stats st;
	char buf[32];
	int err;

	/* as large per CPU as the perf rings (-b, or the size chosen from memory,
	 * known once the events are open); the default is smaller */
	session__stats(session__of(m->h), &st);
	snprintf(buf, sizeof(buf), "%zu", st.ring_bytes >> 10);
	if (st.ring_bytes && write_file(m->inst, "buffer_size_kb", buf))
		m->ops->warn(m->h, "cannot size the tracefs instance's buffer to %s KiB", buf);

	if (m->copy && (err = write_file(m->inst, "options/copy_trace_marker", "1"))) {
		m->ops->error(m->h, "cannot set copy_trace_marker in %s: %s", m->inst,
			      strerror(-err));
		return err;
	}
	err = write_file(m->inst, "tracing_on", "1");
	if (err)
		m->ops->error(m->h, "cannot turn tracing on in %s: %s", m->inst, strerror(-err));
	return err;
}

/* --- writers: thread -> process, process -> parent ------------------------------- */

/* "Tgid:" / "PPid:" of /proc/ID/status; 0 when gone. */
static uint32_t status_field(uint32_t id, const char *key)
{
	char path[64], line[256];
	uint32_t v = 0;
	size_t kl = strlen(key);
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/status", id);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, kl)) {
			v = (uint32_t)strtoul(line + kl, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

static uint32_t tgid_of(struct markers *m, uint32_t tid)
{
	void *v = u64map_get(&m->tgid, (uint64_t)tid + 1);
	uint32_t t;

	if (v)
		return (uint32_t)((uintptr_t)v - 1);
	t = status_field(tid, "Tgid:");
	if (!t)
		t = tid; /* gone: its own process, as good a guess as any */
	u64map_put(&m->tgid, (uint64_t)tid + 1, (void *)((uintptr_t)t + 1));
	return t;
}

/* For the "pp" ID; may read /proc once per process (on the draining path for
 * the devnull channel: rare, and only for lines that use "pp"). */
static uint32_t ppid_of(void *ctx, uint32_t pid)
{
	struct markers *m = ctx;
	void *v = u64map_get(&m->ppid, (uint64_t)pid + 1);
	uint32_t p;

	if (v)
		return (uint32_t)((uintptr_t)v - 1);
	p = status_field(pid, "PPid:");
	u64map_put(&m->ppid, (uint64_t)pid + 1, (void *)((uintptr_t)p + 1));
	return p;
}

/* --- trace_marker channel: reading ------------------------------------------------- */

static void on_rb_event(void *ctx, uint64_t ts, const unsigned char *d, uint32_t len)
{
	struct markers *m = ctx;
	uint16_t type;
	int32_t pid;
	const unsigned char *s, *nul;
	size_t n;

	if (len < 8 || len <= m->buf_off)
		return;
	memcpy(&type, d, 2);
	if (type != m->print_id)
		return;
	memcpy(&pid, d + 4, 4);
	s = d + m->buf_off;
	n = len - m->buf_off;
	nul = memchr(s, 0, n);
	if (nul)
		n = (size_t)(nul - s);
	if (n > MK_MAX_LINE)
		n = MK_MAX_LINE;
	if (m->npend == m->cappend) {
		size_t cap = m->cappend ? 2 * m->cappend : 256;
		struct pending *p = realloc(m->pend, cap * sizeof(*p));

		if (!p)
			return;
		m->pend = p;
		m->cappend = cap;
	}
	if (m->arena_len + n > m->arena_cap) {
		size_t cap = m->arena_cap ? m->arena_cap : 65536;
		char *a;

		while (cap < m->arena_len + n)
			cap *= 2;
		a = realloc(m->arena, cap);
		if (!a)
			return;
		m->arena = a;
		m->arena_cap = cap;
	}
	memcpy(m->arena + m->arena_len, s, n);
	m->pend[m->npend].ts = ts + m->clock_off;
	m->pend[m->npend].tid = (uint32_t)pid;
	m->pend[m->npend].off = (uint32_t)m->arena_len;
	m->pend[m->npend].len = (uint32_t)n;
	m->npend++;
	m->arena_len += n;
}

static int pend_cmp(const void *a, const void *b)
{
	const struct pending *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->off < y->off ? -1 : x->off > y->off; /* read order */
}

/* Read what the instance holds; pair the events older than @upto (all: ~0). */
static void tm_read(struct markers *m, uint64_t upto)
{
	size_t i, done, keep_bytes;
	int cpu;

	if (m->inst[0] == 0 || !m->fds)
		return;
	for (cpu = 0; cpu < m->ncpus; cpu++) {
		ssize_t n;

		if (m->fds[cpu] < 0)
			continue;
		while ((n = read(m->fds[cpu], m->page, PAGE_BUF)) > 0) {
			int missed = 0;

			if (mk_rb_page__parse(m->page, (size_t)n, on_rb_event, m, &missed))
				m->tm_bad_pages++;
			m->tm_missed_pages += (uint64_t)missed;
		}
	}
	if (!m->npend)
		return;
	qsort(m->pend, m->npend, sizeof(*m->pend), pend_cmp);
	for (done = 0; done < m->npend && m->pend[done].ts < upto; done++) {
		const struct pending *p = &m->pend[done];
		struct mk_writer w = {p->ts, tgid_of(m, p->tid), p->tid};

		m->tm_lines++;
		if (!m->ops->in_scope(m->h, w.pid, w.tid)) {
			m->tm_scope++;
			continue;
		}
		/* the devnull channel's uprobe saw this write() already */
		if (m->ev && p->len && strchr("<>[", m->arena[p->off])) {
			m->tm_dup++;
			continue;
		}
		mk_engine__feed(&m->eng, &w, m->arena + p->off, p->len);
	}
	/* keep the rest, compacted */
	keep_bytes = 0;
	for (i = done; i < m->npend; i++) {
		struct pending p = m->pend[i];

		memmove(m->arena + keep_bytes, m->arena + p.off, p.len);
		p.off = (uint32_t)keep_bytes;
		keep_bytes += p.len;
		m->pend[i - done] = p;
	}
	m->npend -= done;
	m->arena_len = keep_bytes;
}

/* --- devnull channel ----------------------------------------------------------- */

static int on_write(void *priv, const struct pft_record *r)
{
	struct markers *m = priv;
	struct mk_writer w = {r->ts, r->pid, r->tid};
	uint64_t count = pft_field_u64(&m->f_count, r->raw);
	const char *s = m->line;
	size_t len = 0, i;

	/* what was written, cut at DEVNULL_MAX */
	for (i = 0; i < 2; i++) {
		const struct pft_field *f = &m->f_b[i];

		if (f->offset + f->size > r->raw_size || f->size != DEVNULL_CHUNK)
			return 0;
		memcpy(m->line + len, (const char *)r->raw + f->offset, DEVNULL_CHUNK);
		len += DEVNULL_CHUNK;
	}
	if (count < len)
		len = (size_t)count;
	if (memchr(s, 0, len))
		len = (size_t)((const char *)memchr(s, 0, len) - s);
	/* one write may hold several lines */
	while (len) {
		const char *nl = memchr(s, '\n', len);
		size_t l = nl ? (size_t)(nl - s) : len;

		if (mk_is_marker(s, l)) {
			m->dn_lines++;
			mk_engine__feed(&m->eng, &w, s, l);
		}
		if (!nl)
			break;
		len -= l + 1;
		s = nl + 1;
	}
	return 1;
}

static int dn_init(struct markers *m, int asked)
{
	static const char *const names[] = {"count", "b0", "b1"};
	struct pft_field f[3];
	int err;

	/* a cgroup recording opens events per CPU: the uprobe traps everywhere too */
	if (!session__filtered(m->h) || session__opts(m->h)->cgroup) {
		if (!asked) {
			m->ops->warn(m->h,
				     "the devnull channel is off when recording %s: it would "
				     "trap every write() of every process; give "
				     "--markers=devnull to have it anyway",
				     session__filtered(m->h) ? "a cgroup" : "system-wide");
			return 0;
		}
		m->ops->warn(m->h,
			     "devnull channel %s: every write() of every process now traps "
			     "into a uprobe (tens of microseconds each on a VM); record a command "
			     "or -p PID to limit it",
			     session__filtered(m->h) ? "with a cgroup" : "system-wide");
	}
#ifndef HAVE_LIBELF
	/* the uprobe comes from the probes plugin, which needs libelf */
	if (!asked) {
		m->ops->warn(m->h, "the devnull channel needs the probes plugin, which this "
				   "pftrace was built without (libelf): trace_marker only");
		return 0;
	}
	m->ops->error(m->h, "--markers=devnull needs the probes plugin, which this pftrace "
			    "was built without (libelf)");
	return -ENOTSUP;
#endif
	m->ev = m->ops->event(m->h, DEVNULL_SPEC, 0, on_write, m);
	if (!m->ev)
		return -ENOENT;
	err = m->ops->set_filter(m->ev, DEVNULL_FILTER);
	if (!err)
		err = m->ops->fields(m->ev, names, f, 3);
	if (err) {
		m->ops->error(m->h, "cannot set up the devnull channel's uprobe");
		return err;
	}
	m->f_count = f[0];
	m->f_b[0] = f[1];
	m->f_b[1] = f[2];
	return 0;
}

/* --- the source ------------------------------------------------------------------ */

/*
 * A trace_marker line is stamped inside the write() that carries it, so with
 * --syscalls its span would begin inside that write's slice and end inside
 * another's: they do not nest, and trace_processor drops ends
 * (misplaced_end_event).  Then the threads' spans go on a track of their own,
 * "markers", shown with the thread.
 */
static pft_track own_track(void *ctx, uint32_t pid, uint32_t tid)
{
	struct markers *m = ctx;

	return pw_track_thread_own(session__writer(m->h), pid, tid, "markers");
}

static int markers_init(struct pft_host *h, const struct pft_host_ops *ops, void **priv)
{
	const struct record_opts *o = session__opts(h);
	struct markers *m = calloc(1, sizeof(*m));
	int err = 0;

	if (!m)
		return -ENOMEM;
	*priv = m;
	m->h = h;
	m->ops = ops;
	mk_engine__init(&m->eng, h, ops);
	m->eng.ppid = ppid_of;
	m->eng.ppid_ctx = m;
	if (o->markers & PFT_MARKERS_TRACE_MARKER) {
		m->tm_on = 1;
		err = tm_init(m);
		if (o->syscalls) {
			m->eng.thread_track = own_track;
			m->eng.thread_track_ctx = m;
		}
	}
	if (!err && (o->markers & PFT_MARKERS_DEVNULL))
		err = dn_init(m, o->markers_devnull_asked);
	return err;
}

static int markers_start(void *priv)
{
	struct markers *m = priv;

	return m->tm_on ? tm_start(m) : 0;
}

static void markers_flush(void *priv)
{
	struct markers *m = priv;

	if (m->tm_on)
		tm_read(m, clock_ns(CLOCK_BOOTTIME) - MERGE_SLACK_NS);
}

static void markers_stop(void *priv)
{
	struct markers *m = priv;

	if (m->tm_on) {
		write_file(m->inst, "tracing_on", "0");
		tm_read(m, ~0ull);
	}
	mk_engine__finish(&m->eng, clock_ns(CLOCK_BOOTTIME));
}

static void markers_summary(void *priv)
{
	struct markers *m = priv;
	const struct mk_stats *s = &m->eng.st;

	fprintf(stderr,
		"  markers: %llu spans, %llu atrace events (%llu lines: %llu trace_marker, "
		"%llu devnull)\n",
		(unsigned long long)s->ends + s->unfinished, (unsigned long long)s->atrace,
		(unsigned long long)s->lines, (unsigned long long)m->tm_lines,
		(unsigned long long)m->dn_lines);
	if (s->unmatched || s->dropped || s->unfinished || s->bad || s->unsupported || s->other)
		fprintf(stderr,
			"  markers: %llu unmatched ends, %llu begins dropped (over %d open "
			"per ID), %llu unfinished, %llu bad lines, %llu JSON lines "
			"unsupported, %llu lines of no known form\n",
			(unsigned long long)s->unmatched, (unsigned long long)s->dropped,
			MK_MAX_OPEN, (unsigned long long)s->unfinished, (unsigned long long)s->bad,
			(unsigned long long)s->unsupported, (unsigned long long)s->other);
	if (m->tm_scope)
		fprintf(stderr, "  markers: %llu trace_marker lines of processes not recorded\n",
			(unsigned long long)m->tm_scope);
	if (m->tm_missed_pages || m->tm_bad_pages)
		fprintf(stderr, "  markers: %llu trace_marker pages lost events, %llu malformed\n",
			(unsigned long long)m->tm_missed_pages,
			(unsigned long long)m->tm_bad_pages);
	if (m->tm_on && !m->copy)
		fprintf(stderr,
			"  markers: write trace_marker lines to %s/trace_marker (no "
			"copy_trace_marker on this kernel)\n",
			m->inst);
}

static void markers_fini(void *priv)
{
	struct markers *m = priv;
	int i;

	if (!m)
		return;
	if (m->fds) {
		for (i = 0; i < m->ncpus; i++)
			if (m->fds[i] >= 0)
				close(m->fds[i]);
		free(m->fds);
	}
	if (m->inst[0]) {
		write_file(m->inst, "tracing_on", "0");
		if (m->copy)
			write_file(m->inst, "options/copy_trace_marker", "0");
		if (rmdir(m->inst))
			pft_warn("markers: cannot remove the tracefs instance %s: %s", m->inst,
				 strerror(errno));
	}
	mk_engine__free(&m->eng);
	u64map_free(&m->tgid);
	u64map_free(&m->ppid);
	free(m->page);
	free(m->pend);
	free(m->arena);
	free(m);
}

const struct pft_source_ops src_markers_ops = {
	.abi_version = PFT_ABI_VERSION,
	.name = "markers",
	.description = "sysdig tracer and atrace lines (trace_marker, /dev/null) into slices",
	.init = markers_init,
	.start = markers_start,
	.flush = markers_flush,
	.stop = markers_stop,
	.summary = markers_summary,
	.fini = markers_fini,
};
