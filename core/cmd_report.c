/* SPDX-License-Identifier: MIT */
/*
 * core/cmd_report: `pftrace report TRACE [FILTER]` -- sysdig's chisels
 * (topprocs_cpu, topscalls, topscalls_time, ...) as aligned tables or JSON.
 *
 * It reads dump's time-ordered stream (core/dump.h) as event views.  The
 * scheduling state (what runs on each CPU, who waits runnable, who sleeps in
 * D) follows every sched event; the FILTER chooses which events count: the
 * thread tables show the threads that have an event passing it, a syscall exit
 * counts its call, a sample its stack, a slice end its span.  Memory grows with the
 * number of threads, syscalls, distinct stacks and spans, not with the trace.
 */
#include "config.h"
#include "core/cmds.h"
#include "core/dump.h"
#include "core/filter.h"
#include "core/format.h"
#include "core/options.h"
#include "core/syscall_names.h"
#include "core/u64map.h"
#include "core/util.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SYSCALLS 1024

struct tstat {
	int tid, pid;
	char name[32], pname[32];
	uint64_t cpu, runnable, dstate;
	uint64_t wait_since, d_since; /* 0: not waiting / not in D */
	int matched;		      /* an event of the thread passed the filter */
};

struct sstat {
	uint64_t count, timed, total, max;
};

struct slow {
	uint64_t lat, ts;
	int64_t id, res;
	int tid;
	char comm[32];
};

/* a string-keyed counter (stacks, spans, errors) */
struct sent {
	char *key;
	uint64_t n, total;
	uint64_t *durs;
	size_t ndurs, capdurs;
};

struct smap {
	struct sent *v;
	size_t cap, n;
};

struct report {
	const struct report_opts *o;
	struct reading *rd;
	struct flt *flt;
	struct u64map threads; /* tid + 1 -> struct tstat * */
	int *cpu_tid;	       /* per cpu: running tid, -1 unknown */
	uint64_t *cpu_since;
	size_t ncpus;
	struct sstat sys[MAX_SYSCALLS];
	struct slow *slowest;
	size_t nslow;
	struct smap errors, stacks, spans;
	uint64_t last_ts, events, matched, samples;
	int oom;
};

/* ---- small containers ------------------------------------------------------ */

static uint64_t str_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static struct sent *smap_get(struct smap *m, const char *key)
{
	size_t i, mask;

	if (m->n * 2 >= m->cap) {
		size_t ncap = m->cap ? m->cap * 2 : 256, j;
		struct sent *nv = calloc(ncap, sizeof(*nv));

		if (!nv)
			return NULL;
		for (j = 0; j < m->cap; j++) {
			if (!m->v[j].key)
				continue;
			for (i = str_hash(m->v[j].key) & (ncap - 1); nv[i].key;
			     i = (i + 1) & (ncap - 1))
				;
			nv[i] = m->v[j];
		}
		free(m->v);
		m->v = nv;
		m->cap = ncap;
	}
	mask = m->cap - 1;
	for (i = str_hash(key) & mask; m->v[i].key; i = (i + 1) & mask)
		if (!strcmp(m->v[i].key, key))
			return &m->v[i];
	m->v[i].key = strdup(key);
	if (!m->v[i].key)
		return NULL;
	m->n++;
	return &m->v[i];
}

static void smap_free(struct smap *m)
{
	size_t i;

	for (i = 0; i < m->cap; i++) {
		free(m->v[i].key);
		free(m->v[i].durs);
	}
	free(m->v);
}

static struct tstat *tstat(struct report *r, int tid)
{
	struct tstat *t;

	if (tid <= 0)
		return NULL;
	t = u64map_get(&r->threads, (uint64_t)tid + 1);
	if (t)
		return t;
	t = calloc(1, sizeof(*t));
	if (!t || u64map_put(&r->threads, (uint64_t)tid + 1, t)) {
		free(t);
		r->oom = 1;
		return NULL;
	}
	t->tid = tid;
	t->pid = tid;
	return t;
}

static int cpu_slot(struct report *r, int cpu)
{
	if (cpu < 0 || cpu >= 4096)
		return -1;
	if ((size_t)cpu >= r->ncpus) {
		size_t n = (size_t)cpu + 1, i;
		int *nt = realloc(r->cpu_tid, n * sizeof(*nt));
		uint64_t *ns;

		if (!nt)
			return -1;
		r->cpu_tid = nt;
		ns = realloc(r->cpu_since, n * sizeof(*ns));
		if (!ns)
			return -1;
		r->cpu_since = ns;
		for (i = r->ncpus; i < n; i++) {
			nt[i] = -1;
			ns[i] = 0;
		}
		r->ncpus = n;
	}
	return cpu;
}

static void name_thread(struct tstat *t, const struct evview *v)
{
	if (v->thread_name)
		snprintf(t->name, sizeof(t->name), "%s", v->thread_name);
	if (v->proc_name)
		snprintf(t->pname, sizeof(t->pname), "%s", v->proc_name);
	if (v->pid > 0)
		t->pid = v->pid;
}

/* ---- accounting -------------------------------------------------------------- */

static void on_sched(struct report *r, const struct evview *v)
{
	if (!strcmp(v->type, "sched_switch")) {
		int prev = (int)ev_arg_long(v, "prev_pid", v->tid),
		    next = (int)ev_arg_long(v, "next_pid", -1);
		long state = ev_arg_long(v, "prev_state", 0);
		int c = cpu_slot(r, v->cpu);
		struct tstat *pt = tstat(r, prev), *nt = tstat(r, next);

		if (c >= 0 && r->cpu_tid[c] >= 0 && pt && r->cpu_tid[c] == prev)
			pt->cpu += v->ts - r->cpu_since[c];
		if (pt) {
			name_thread(pt, v);
			if ((state & 0x7f) == 0)
				pt->wait_since = v->ts; /* preempted: runnable */
			else if (state & 2)
				pt->d_since = v->ts; /* uninterruptible sleep */
		}
		if (nt && nt->wait_since) {
			nt->runnable += v->ts - nt->wait_since;
			nt->wait_since = 0;
		}
		if (c >= 0) {
			r->cpu_tid[c] = next;
			r->cpu_since[c] = v->ts;
		}
	} else if (!strcmp(v->type, "sched_waking") || !strcmp(v->type, "sched_wakeup") ||
		   !strcmp(v->type, "sched_wakeup_new")) {
		struct tstat *t = tstat(r, (int)ev_arg_long(v, "pid", -1));

		if (!t)
			return;
		if (t->d_since) {
			t->dstate += v->ts - t->d_since;
			t->d_since = 0;
		}
		if (!t->wait_since)
			t->wait_since = v->ts;
	}
}

static void on_syscall_exit(struct report *r, const struct evview *v)
{
	struct sstat *s;
	size_t i;

	if (v->sysid < 0 || v->sysid >= MAX_SYSCALLS)
		return;
	s = &r->sys[v->sysid];
	s->count++;
	if (v->has_latency) {
		s->timed++;
		s->total += v->latency;
		if (v->latency > s->max)
			s->max = v->latency;
		/* the slowest calls: a sorted array of at most --top */
		if (r->nslow < (size_t)r->o->top || v->latency > r->slowest[r->nslow - 1].lat) {
			if (r->nslow < (size_t)r->o->top)
				r->nslow++;
			for (i = r->nslow - 1; i > 0 && r->slowest[i - 1].lat < v->latency; i--)
				r->slowest[i] = r->slowest[i - 1];
			r->slowest[i].lat = v->latency;
			r->slowest[i].ts = v->ts;
			r->slowest[i].id = v->sysid;
			r->slowest[i].res = v->res;
			r->slowest[i].tid = v->tid;
			snprintf(r->slowest[i].comm, sizeof(r->slowest[i].comm), "%s",
				 v->thread_name ? v->thread_name : "?");
		}
	}
	if (v->has_res && v->res < 0 && v->res >= -4095) {
		const char *en = errno_name((int)-v->res);
		const char *sn = syscall_name(v->sysid);
		char key[96];
		struct sent *e;

		snprintf(key, sizeof(key), "%s %s", sn ? sn : "?", en ? en : "?");
		e = smap_get(&r->errors, key);
		if (e)
			e->n++;
		else
			r->oom = 1;
	}
}

static void on_span(struct report *r, const struct evview *v)
{
	struct sent *e = smap_get(&r->spans, v->span_name);

	if (!e) {
		r->oom = 1;
		return;
	}
	e->n++;
	e->total += v->span_dur;
	if (e->ndurs == e->capdurs) {
		size_t n = e->capdurs ? e->capdurs * 2 : 16;
		uint64_t *nd = realloc(e->durs, n * sizeof(*nd));

		if (!nd) {
			r->oom = 1;
			return;
		}
		e->durs = nd;
		e->capdurs = n;
	}
	e->durs[e->ndurs++] = v->span_dur;
}

static int on_line(void *ctx, const struct rline *l)
{
	struct report *r = ctx;
	struct evview *v = reading__view(r->rd, l);
	int counts;

	if (!v) {
		r->oom = 1;
		return 1;
	}
	r->events++;
	if (v->ts > r->last_ts)
		r->last_ts = v->ts;
	counts = !r->flt || flt_match(r->flt, v);
	r->matched += counts;
	if (!strcmp(v->kind, "sched"))
		on_sched(r, v);
	if (!counts)
		return 1;
	if (r->flt) {
		struct tstat *t = tstat(r, v->tid);

		if (t)
			t->matched = 1;
	}
	if (v->is_syscall && v->dir == '<')
		on_syscall_exit(r, v);
	else if (v->stack) {
		struct sent *e = smap_get(&r->stacks, v->stack);

		r->samples++;
		if (e)
			e->n++;
		else
			r->oom = 1;
	} else if (v->has_span_dur && v->span_name)
		on_span(r, v);
	return 1;
}

/* ---- output ----------------------------------------------------------------------- */

#define MAX_COLS 6

struct table {
	const char *name, *title;
	int ncols;
	const char *cols[MAX_COLS];
	int num[MAX_COLS]; /* right-aligned; a JSON number */
	char **cells;	   /* nrows * ncols */
	size_t nrows;
};

static void put_dur(char *buf, size_t cap, uint64_t ns)
{
	if (ns < 1000)
		snprintf(buf, cap, "%" PRIu64 "ns", ns);
	else if (ns < 1000000)
		snprintf(buf, cap, "%.3fus", (double)ns / 1e3);
	else if (ns < 1000000000)
		snprintf(buf, cap, "%.3fms", (double)ns / 1e6);
	else
		snprintf(buf, cap, "%.3fs", (double)ns / 1e9);
}

static void row(struct table *t, ...)
{
	va_list ap;
	char **nc = realloc(t->cells, (t->nrows + 1) * (size_t)t->ncols * sizeof(*nc));
	int i;

	if (!nc)
		return;
	t->cells = nc;
	va_start(ap, t);
	for (i = 0; i < t->ncols; i++) {
		const char *s = va_arg(ap, const char *);

		nc[t->nrows * (size_t)t->ncols + (size_t)i] = strdup(s ? s : "");
	}
	va_end(ap);
	t->nrows++;
}

static void table_print(struct table *t, int json, int *first)
{
	size_t w[MAX_COLS], r;
	int c;

	if (json) {
		printf("%s\"%s\":[", *first ? "" : ",", t->name);
		for (r = 0; r < t->nrows; r++) {
			printf("%s{", r ? "," : "");
			for (c = 0; c < t->ncols; c++) {
				const char *s = t->cells[r * (size_t)t->ncols + (size_t)c];

				printf("%s", c ? "," : "");
				json_str(stdout, t->cols[c]);
				putchar(':');
				if (t->num[c] == 1)
					fputs(s, stdout);
				else
					json_str(stdout, s);
			}
			putchar('}');
		}
		putchar(']');
		*first = 0;
		return;
	}
	for (r = 0; r < t->nrows * (size_t)t->ncols; r++) {
		char buf[256], *e;
		const char *s = text_escape(t->cells[r], buf, sizeof(buf));

		if (s != t->cells[r] && (e = strdup(s))) {
			free(t->cells[r]);
			t->cells[r] = e;
		}
	}
	for (c = 0; c < t->ncols; c++)
		w[c] = strlen(t->cols[c]);
	for (r = 0; r < t->nrows; r++)
		for (c = 0; c < t->ncols; c++) {
			size_t l = strlen(t->cells[r * (size_t)t->ncols + (size_t)c]);

			if (l > w[c])
				w[c] = l;
		}
	printf("%s%s\n", *first ? "" : "\n", t->title);
	*first = 0;
	for (c = 0; c < t->ncols; c++)
		printf("%s%*s%s", c ? "  " : "", t->num[c] ? (int)w[c] : -(int)w[c], t->cols[c],
		       "");
	putchar('\n');
	for (c = 0; c < t->ncols; c++) {
		size_t i;

		printf("%s", c ? "  " : "");
		for (i = 0; i < w[c]; i++)
			putchar('-');
	}
	putchar('\n');
	if (!t->nrows)
		printf("(none)\n");
	for (r = 0; r < t->nrows; r++) {
		for (c = 0; c < t->ncols; c++)
			printf("%s%*s", c ? "  " : "", t->num[c] ? (int)w[c] : -(int)w[c],
			       t->cells[r * (size_t)t->ncols + (size_t)c]);
		putchar('\n');
	}
}

static void table_free(struct table *t)
{
	size_t i;

	for (i = 0; i < t->nrows * (size_t)t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
}

static const struct report *sort_r;
static int sort_key; /* which tstat member */

static uint64_t tkey(const struct tstat *t)
{
	return sort_key == 0 ? t->cpu : sort_key == 1 ? t->runnable : t->dstate;
}

static int cmp_t(const void *a, const void *b)
{
	const struct tstat *x = *(const struct tstat *const *)a,
			   *y = *(const struct tstat *const *)b;

	if (tkey(x) != tkey(y))
		return tkey(x) > tkey(y) ? -1 : 1;
	return x->tid - y->tid;
}

static int cmp_sys_count(const void *a, const void *b)
{
	const struct sstat *x = &sort_r->sys[*(const int *)a], *y = &sort_r->sys[*(const int *)b];

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return *(const int *)a - *(const int *)b;
}

static int cmp_sys_time(const void *a, const void *b)
{
	const struct sstat *x = &sort_r->sys[*(const int *)a], *y = &sort_r->sys[*(const int *)b];

	if (x->total != y->total)
		return x->total > y->total ? -1 : 1;
	return *(const int *)a - *(const int *)b;
}

static int cmp_sent(const void *a, const void *b)
{
	const struct sent *x = *(const struct sent *const *)a, *y = *(const struct sent *const *)b;
	uint64_t kx = sort_key ? x->total : x->n, ky = sort_key ? y->total : y->n;

	if (kx != ky)
		return kx > ky ? -1 : 1;
	return strcmp(x->key, y->key);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int want(const struct report *r, const char *name)
{
	return !r->o->section || !strcmp(r->o->section, name);
}

/* threads (or processes, summed by pid) by one of cpu/runnable/dstate */
static void thread_table(struct report *r, const char *name, const char *title, int key,
			 int by_proc, int json, int *first)
{
	struct tstat **v = calloc(r->threads.n + 1, sizeof(*v)), *procs = NULL;
	struct u64map pm = {0};
	size_t i, n = 0;
	struct table t = {name,		title, 4, {by_proc ? "pid" : "tid", "name", "time", "ns"},
			  {1, 0, 2, 1}, NULL,  0};
	char a[32], b[32], c[32];

	if (!v) {
		r->oom = 1;
		return;
	}
	if (by_proc)
		procs = calloc(r->threads.n + 1, sizeof(*procs));
	for (i = 0; i < r->threads.cap; i++) {
		struct tstat *th = r->threads.keys[i] ? r->threads.vals[i] : NULL, *p;

		if (!th || (r->flt && !th->matched))
			continue;
		if (!by_proc) {
			v[n++] = th;
			continue;
		}
		if (!procs)
			break;
		p = u64map_get(&pm, (uint64_t)th->pid + 1);
		if (!p) {
			p = &procs[n];
			p->tid = p->pid = th->pid;
			if (u64map_put(&pm, (uint64_t)th->pid + 1, p))
				continue;
			v[n++] = p;
		}
		p->cpu += th->cpu;
		p->runnable += th->runnable;
		p->dstate += th->dstate;
		if (th->tid == th->pid || !p->name[0])
			snprintf(p->name, sizeof(p->name), "%s",
				 th->pname[0] ? th->pname : th->name);
	}
	sort_key = key;
	qsort(v, n, sizeof(*v), cmp_t);
	for (i = 0; i < n && i < (size_t)r->o->top && tkey(v[i]); i++) {
		snprintf(a, sizeof(a), "%d", v[i]->tid);
		put_dur(b, sizeof(b), tkey(v[i]));
		snprintf(c, sizeof(c), "%" PRIu64, tkey(v[i]));
		row(&t, a, v[i]->name[0] ? v[i]->name : "?", b, c);
	}
	table_print(&t, json, first);
	table_free(&t);
	u64map_free(&pm);
	free(procs);
	free(v);
}

static void sys_table(struct report *r, int by_time, int json, int *first)
{
	int ids[MAX_SYSCALLS], n = 0, i;
	struct table t = {by_time ? "syscall-time" : "syscalls",
			  by_time ? "Top syscalls by total time" : "Top syscalls by count",
			  5,
			  {"syscall", "count", "total", "avg", "max"},
			  {0, 1, 2, 2, 2},
			  NULL,
			  0};
	char a[32], b[32], c[32], d[32];

	for (i = 0; i < MAX_SYSCALLS; i++)
		if (r->sys[i].count)
			ids[n++] = i;
	sort_r = r;
	qsort(ids, (size_t)n, sizeof(ids[0]), by_time ? cmp_sys_time : cmp_sys_count);
	for (i = 0; i < n && i < r->o->top; i++) {
		const struct sstat *s = &r->sys[ids[i]];
		const char *nm = syscall_name(ids[i]);

		snprintf(a, sizeof(a), "%" PRIu64, s->count);
		put_dur(b, sizeof(b), s->total);
		put_dur(c, sizeof(c), s->timed ? s->total / s->timed : 0);
		put_dur(d, sizeof(d), s->max);
		row(&t, nm ? nm : "?", a, b, c, d);
	}
	table_print(&t, json, first);
	table_free(&t);
}

static void slow_table(struct report *r, int json, int *first)
{
	struct table t = {"slowest",
			  "Slowest syscalls",
			  5,
			  {"syscall", "latency", "tid", "name", "res"},
			  {0, 2, 1, 0, 0},
			  NULL,
			  0};
	char a[32], b[32], c[48];
	size_t i;

	for (i = 0; i < r->nslow; i++) {
		const char *nm = syscall_name(r->slowest[i].id);
		const char *en = r->slowest[i].res < 0 ? errno_name((int)-r->slowest[i].res) : NULL;

		put_dur(a, sizeof(a), r->slowest[i].lat);
		snprintf(b, sizeof(b), "%d", r->slowest[i].tid);
		snprintf(c, sizeof(c), en ? "%" PRId64 "(%s)" : "%" PRId64, r->slowest[i].res, en);
		row(&t, nm ? nm : "?", a, b, r->slowest[i].comm, c);
	}
	table_print(&t, json, first);
	table_free(&t);
}

static struct sent **sorted(struct smap *m, int key)
{
	struct sent **v = calloc(m->n + 1, sizeof(*v));
	size_t i, n = 0;

	if (!v)
		return NULL;
	for (i = 0; i < m->cap; i++)
		if (m->v[i].key)
			v[n++] = &m->v[i];
	sort_key = key;
	qsort(v, n, sizeof(*v), cmp_sent);
	return v;
}

static void errors_table(struct report *r, int json, int *first)
{
	struct table t = {"errors",  "Failed syscalls by errno",
			  3,	     {"syscall", "errno", "count"},
			  {0, 0, 1}, NULL,
			  0};
	struct sent **v = sorted(&r->errors, 0);
	size_t i;
	char a[32], sc[64];

	for (i = 0; v && i < r->errors.n && i < (size_t)r->o->top; i++) {
		const char *sp = strchr(v[i]->key, ' ');

		snprintf(sc, sizeof(sc), "%.*s", (int)(sp - v[i]->key), v[i]->key);
		snprintf(a, sizeof(a), "%" PRIu64, v[i]->n);
		row(&t, sc, sp + 1, a);
	}
	table_print(&t, json, first);
	table_free(&t);
	free(v);
}

static void stacks_table(struct report *r, int json, int *first)
{
	struct table t = {"stacks",  "Top stacks by samples",
			  3,	     {"samples", "share", "stack"},
			  {1, 0, 0}, NULL,
			  0};
	struct sent **v = sorted(&r->stacks, 0);
	size_t i;
	char a[32], b[32];

	for (i = 0; v && i < r->stacks.n && i < (size_t)r->o->top; i++) {
		snprintf(a, sizeof(a), "%" PRIu64, v[i]->n);
		snprintf(b, sizeof(b), "%.1f%%", 100.0 * (double)v[i]->n / (double)r->samples);
		row(&t, a, b, v[i]->key);
	}
	table_print(&t, json, first);
	table_free(&t);
	free(v);
}

static void spans_table(struct report *r, int json, int *first)
{
	struct table t = {"spans",
			  "Spans by total duration",
			  5,
			  {"span", "count", "total", "p95", "max"},
			  {0, 1, 2, 2, 2},
			  NULL,
			  0};
	struct sent **v = sorted(&r->spans, 1);
	size_t i;
	char a[32], b[32], c[32], d[32];

	for (i = 0; v && i < r->spans.n && i < (size_t)r->o->top; i++) {
		struct sent *e = v[i];
		size_t k;

		qsort(e->durs, e->ndurs, sizeof(*e->durs), cmp_u64);
		/* nearest rank */
		k = e->ndurs ? (e->ndurs * 95 + 99) / 100 : 0;
		snprintf(a, sizeof(a), "%" PRIu64, e->n);
		put_dur(b, sizeof(b), e->total);
		put_dur(c, sizeof(c), k ? e->durs[k - 1] : 0);
		put_dur(d, sizeof(d), e->ndurs ? e->durs[e->ndurs - 1] : 0);
		row(&t, e->key[0] ? e->key : "?", a, b, c, d);
	}
	table_print(&t, json, first);
	table_free(&t);
	free(v);
}

int cmd_report(int argc, char **argv)
{
	struct report_opts o;
	struct dump_opts dopts;
	struct report r;
	struct flt_err err;
	int ret, status, first = 1, json;
	size_t i;

	ret = report_opts_parse(&o, argc, argv);
	if (ret)
		return ret > 0 ? 0 : 2;
	memset(&r, 0, sizeof(r));
	r.o = &o;
	if (o.filter) {
		r.flt = flt_parse(o.filter, &err);
		if (!r.flt) {
			flt_report(o.filter, &err);
			return 2;
		}
	}
	r.rd = reading_new();
	r.slowest = calloc((size_t)o.top, sizeof(*r.slowest));
	if (!r.rd || !r.slowest) {
		pft_error("out of memory");
		status = 1;
		goto out;
	}
	memset(&dopts, 0, sizeof(dopts));
	dopts.input = o.input;
	dopts.no_stacks = 1;
	status = dump_run(&dopts, on_line, &r);
	/* the tasks still on a CPU at the end ran until the last event */
	for (i = 0; i < r.ncpus; i++) {
		struct tstat *t = r.cpu_tid[i] > 0
					  ? u64map_get(&r.threads, (uint64_t)r.cpu_tid[i] + 1)
					  : NULL;

		if (t)
			t->cpu += r.last_ts - r.cpu_since[i];
	}
	if (r.oom) {
		pft_error("out of memory reading %s", o.input);
		status = 1;
	}
	if (status)
		goto out;
	json = o.json;
	if (json)
		printf("{");
	if (want(&r, "cpu"))
		thread_table(&r, "cpu", "Top processes by CPU time", 0, 1, json, &first);
	if (want(&r, "threads"))
		thread_table(&r, "threads", "Top threads by CPU time", 0, 0, json, &first);
	if (want(&r, "runnable"))
		thread_table(&r, "runnable", "Top threads by time runnable but waiting for a CPU",
			     1, 0, json, &first);
	if (want(&r, "dstate"))
		thread_table(&r, "dstate", "Top threads by time in D state (uninterruptible)", 2, 0,
			     json, &first);
	if (want(&r, "syscalls"))
		sys_table(&r, 0, json, &first);
	if (want(&r, "syscall-time"))
		sys_table(&r, 1, json, &first);
	if (want(&r, "slowest"))
		slow_table(&r, json, &first);
	if (want(&r, "errors"))
		errors_table(&r, json, &first);
	if (want(&r, "stacks"))
		stacks_table(&r, json, &first);
	if (want(&r, "spans"))
		spans_table(&r, json, &first);
	if (json)
		printf("}\n");
	dump_note_argsource(0);
	if (fflush(stdout)) {
		pft_error("writing the report failed");
		status = 1;
	}
out:
	for (i = 0; i < r.threads.cap; i++)
		if (r.threads.keys[i])
			free(r.threads.vals[i]);
	u64map_free(&r.threads);
	free(r.cpu_tid);
	free(r.cpu_since);
	free(r.slowest);
	smap_free(&r.errors);
	smap_free(&r.stacks);
	smap_free(&r.spans);
	reading_free(r.rd);
	flt_free(r.flt);
	return status;
}
