/* SPDX-License-Identifier: MIT */
/*
 * core/cmd_dump: `pftrace dump TRACE` -- one line per event, in time order:
 *	TIME [CPU] COMM(TID) EVENT ARGS
 * Process-tree entries and track events (slices, instants, counters; on the
 * thread's, process's or no task) print with "[---]" as the cpu.  The COMM shown is the
 * thread's name at that moment (process tree, then task_newtask/task_rename
 * and sched_switch update it), so names change where the trace says so.
 */
#include "config.h"
#include "core/cmds.h"
#include "core/dump.h"
#include "core/format.h"
#include "core/evview.h"
#include "core/options.h"
#include "core/reading.h"
#include "core/syscall_names.h"
#include "core/u64map.h"
#include "core/util.h"
#include "proto/reader.h"

#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A line waiting in the window.  Its strings live in the dump's text chunks (tstr_*). */
struct dline {
	uint8_t kind; /* enum rline_kind */
	uint8_t has_dur;
	uint64_t dur; /* slice ends */
	uint64_t ts;
	uint64_t seq; /* file order */
	int32_t cpu;  /* -1: process tree entry */
	int32_t tid;
	int32_t hint_tid[2];
	char *hint[2];
	char *text; /* "EVENT ARGS" (samples: and their frames, one per line) */
	char *fold; /* samples: "root;...;leaf" for --folded */
};

struct fold_count {
	char *key;
	uint64_t n;
};

/*
 * Lines are buffered and printed in time order through a sliding window: the
 * writer emits each CPU's events in order and the CPUs' bundles a drain
 * round apart, so everything older than the newest time seen minus
 * DUMP_WINDOW_NS is final and can go out.  Memory stays bounded by the
 * window, not by the trace.
 *
 * The window is a set of runs: FIFOs of lines in ascending (time, file order),
 * one open run per stream (kind of line and cpu), a new one when a stream goes
 * back in time.  A heap of the runs by their first line merges them, so the
 * output is exactly a stable sort of the window by time, and each line is
 * written once and read once, in sequence: no sorting pass, no moving.  The
 * lines' strings are carved from large chunks, each reused once its last line
 * is out: no malloc per line.
 */
#define DUMP_WINDOW_NS (1000000000ull)
#define RUN_BLOCK_LINES 512
#define TCHUNK_BYTES (256u << 10)

struct run_block {
	struct run_block *next;
	struct dline l[RUN_BLOCK_LINES];
};

struct run {
	struct run_block *head, *tail; /* lines head->l[hpos] .. tail->l[tpos - 1] */
	unsigned hpos, tpos;
	size_t n;
	uint64_t last_ts; /* the newest line's time */
	uint64_t stream;  /* its key in d->open, 0: closed */
	size_t heap_pos;  /* in d->heap when n > 0 */
	struct run *next_free;
};

struct tchunk {
	struct tchunk *next; /* spare list */
	size_t live;	     /* strings not freed yet */
	size_t used, cap;
	max_align_t data[];
};

struct dump {
	const struct dump_opts *o;
	struct dline stage; /* the line being filled (push() returns it) */
	int staged;
	struct run **heap; /* non-empty runs, by their first line */
	size_t nheap, capheap;
	struct u64map open; /* stream + 1 -> its open run */
	struct run *free_runs;
	struct run_block *free_blocks;
	struct tchunk *chunk; /* strings are carved from this one */
	struct tchunk *spare; /* empty chunks for reuse */
	uint64_t seq;	      /* lines read */
	uint64_t max_ts, last_out_ts;
	uint64_t late; /* lines older than what was printed already */
	int oom;
	uint64_t samples, lost_samples;
	struct fold_count *folds;
	size_t nfolds, capfolds;
	struct u64map comms; /* tid + 1 -> char * */
	uint64_t lost_bundles;
	struct span_dur *durs; /* --spans: every closed slice */
	size_t ndurs, capdurs;
	rline_sink *sink; /* the reading commands' view of each line (core/reading.h) */
	void *sink_ctx;
};

static void flush_window(struct dump *d, int final);

/* --spans: one closed slice */
struct span_dur {
	char *name;
	uint64_t ns;
};

/* --- the lines' strings ------------------------------------------------------------ */

/* Each string is preceded by its chunk's address, so tstr_free() finds the chunk. */
#define TSTR_HDR (sizeof(max_align_t))

static void tchunk_release(struct dump *d, struct tchunk *c)
{
	/* spares are bounded by the window's peak */
	if (c->cap == TCHUNK_BYTES) {
		c->used = 0;
		c->next = d->spare;
		d->spare = c;
	} else {
		free(c);
	}
}

/* @n bytes for a line's string; NULL (and d->oom) when out of memory. */
static char *tstr_alloc(struct dump *d, size_t n)
{
	size_t need = (TSTR_HDR + n + TSTR_HDR - 1) & ~(TSTR_HDR - 1);
	struct tchunk *c = d->chunk;
	char *p;

	if (!c || c->cap - c->used < need) {
		if (c && !c->live && c->cap >= need) {
			c->used = 0;
		} else {
			if (need <= TCHUNK_BYTES && d->spare) {
				c = d->spare;
				d->spare = c->next;
			} else {
				size_t cap = need > TCHUNK_BYTES ? need : TCHUNK_BYTES;

				c = malloc(sizeof(*c) + cap);
				if (!c) {
					d->oom = 1;
					return NULL;
				}
				c->cap = cap;
			}
			c->used = 0;
			c->live = 0;
			if (d->chunk && !d->chunk->live)
				tchunk_release(d, d->chunk);
			d->chunk = c;
		}
	}
	p = (char *)c->data + c->used;
	*(struct tchunk **)p = c;
	c->used += need;
	c->live++;
	return p + TSTR_HDR;
}

static void tstr_free(struct dump *d, char *s)
{
	struct tchunk *c;

	if (!s)
		return;
	c = *(struct tchunk **)(s - TSTR_HDR);
	if (!--c->live && c != d->chunk)
		tchunk_release(d, c);
}

static char *tstr_dup(struct dump *d, const char *s, size_t n)
{
	char *p = tstr_alloc(d, n + 1);

	if (p) {
		memcpy(p, s, n);
		p[n] = 0;
	}
	return p;
}

/* A malloc'd string (NULL: out of memory) moved into the chunks. */
static char *tstr_take(struct dump *d, char *s)
{
	char *p;

	if (!s) {
		d->oom = 1;
		return NULL;
	}
	p = tstr_dup(d, s, strlen(s));
	free(s);
	return p;
}

static void tchunks_free(struct dump *d)
{
	while (d->spare) {
		struct tchunk *c = d->spare;

		d->spare = c->next;
		free(c);
	}
	free(d->chunk);
	d->chunk = NULL;
}

static void commit(struct dump *d);

/* The next line, to be filled by the caller; it joins the window at the next push or flush. */
static struct dline *push(struct dump *d)
{
	if (d->staged)
		commit(d);
	memset(&d->stage, 0, sizeof(d->stage));
	d->stage.seq = d->seq++;
	d->staged = 1;
	return &d->stage;
}

static char *fmt(struct dump *d, const char *f, ...) __attribute__((format(printf, 2, 3)));
static char *fmt(struct dump *d, const char *f, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, f);
	if (vasprintf(&s, f, ap) < 0)
		s = NULL;
	va_end(ap);
	return tstr_take(d, s);
}

static void on_event(void *ctx, const struct prd_event *e)
{
	struct dump *d = ctx;
	struct dline *l = push(d);
	size_t nl, al;
	char *w;
	int i;

	if (!l)
		return;
	l->ts = e->ts;
	l->cpu = (int32_t)e->cpu;
	l->tid = (int32_t)e->pid;
	nl = strlen(e->name);
	al = strlen(e->args);
	if (e->syscall_id >= 0 && !strncmp(e->args, "id=", 3)) {
		/* "id=N rest" -> "id=N name=NAME rest" */
		const char *sp = memchr(e->args, ' ', al);
		const char *name = syscall_name(e->syscall_id);
		size_t idlen = sp ? (size_t)(sp - e->args) : al;
		size_t snl;

		if (!name)
			name = "?";
		snl = strlen(name);
		l->text = w = tstr_alloc(d, nl + 1 + al + 6 + snl + 1);
		if (w) {
			memcpy(w, e->name, nl);
			w += nl;
			*w++ = ' ';
			memcpy(w, e->args, idlen);
			w += idlen;
			memcpy(w, " name=", 6);
			w += 6;
			memcpy(w, name, snl);
			w += snl;
			memcpy(w, e->args + idlen, al - idlen);
			w[al - idlen] = 0;
		}
	} else {
		l->text = w = tstr_alloc(d, nl + 1 + al + 1);
		if (w) {
			memcpy(w, e->name, nl);
			w += nl;
			if (al)
				*w++ = ' ';
			memcpy(w, e->args, al + 1);
		}
	}
	for (i = 0; i < 2; i++) {
		if (e->comm_tid[i] > 0 && e->comm[i]) {
			l->hint_tid[i] = e->comm_tid[i];
			l->hint[i] = tstr_dup(d, e->comm[i], strlen(e->comm[i]));
		}
	}
}

/* A value as dump prints it: bare when it is one plain word, else quoted
 * with C escapes, so one event stays one line.  malloc'd. */
static char *quote(const char *s)
{
	const unsigned char *p;
	size_t n = 3;
	char *out, *w;
	int plain = *s != 0;

	for (p = (const unsigned char *)s; *p; p++) {
		if (*p <= ' ' || *p == '"' || *p == '\\' || *p == '=' || *p == 0x7f)
			plain = 0;
		n += 4;
	}
	if (plain)
		return strdup(s);
	out = malloc(n);
	if (!out)
		return NULL;
	w = out;
	*w++ = '"';
	for (p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\') {
			*w++ = '\\';
			*w++ = (char)*p;
		} else if (*p == '\n') {
			*w++ = '\\';
			*w++ = 'n';
		} else if (*p == '\t') {
			*w++ = '\\';
			*w++ = 't';
		} else if (*p < ' ' || *p == 0x7f) {
			w += sprintf(w, "\\x%02x", *p);
		} else {
			*w++ = (char)*p;
		}
	}
	*w++ = '"';
	*w = 0;
	return out;
}

static void on_process(void *ctx, uint64_t ts, const struct prd_process *p)
{
	struct dump *d = ctx;
	struct dline *l = push(d);
	const char *c = p->cmdline ? p->cmdline : "";
	char *q;

	if (!l)
		return;
	l->kind = RL_PROCESS;
	l->ts = ts;
	l->cpu = -1;
	l->tid = p->pid;
	q = quote(c);
	l->text = fmt(d, "process pid=%d ppid=%d uid=%d%s cmdline=%s", p->pid, p->ppid, p->uid,
		      p->is_kthread ? " kthread=1" : "", q ? q : "?");
	free(q);
	if (c[0]) {
		/* name a process without a thread entry after its argv[0] */
		const char *sp = strchr(c, ' ');
		size_t len = sp ? (size_t)(sp - c) : strlen(c);
		char *base = strndup(c, len), *slash = base ? strrchr(base, '/') : NULL;

		if (base && slash && !p->is_kthread)
			memmove(base, slash + 1, strlen(slash));
		l->hint_tid[0] = -p->pid; /* weak hint: only if nothing better */
		l->hint[0] = tstr_take(d, base);
	}
}

static void on_thread(void *ctx, uint64_t ts, const struct prd_thread *t)
{
	struct dump *d = ctx;
	struct dline *l = push(d);
	const char *n = t->name ? t->name : "";
	char *q;

	if (!l)
		return;
	l->kind = RL_THREAD;
	l->ts = ts;
	l->cpu = -1;
	l->tid = t->tid;
	q = quote(n);
	l->text = fmt(d, "thread tid=%d tgid=%d name=%s", t->tid, t->tgid, q ? q : "?");
	free(q);
	l->hint_tid[0] = t->tid;
	l->hint[0] = tstr_dup(d, n, strlen(n));
}

static void on_lost(void *ctx, uint32_t cpu, uint64_t ts)
{
	struct dump *d = ctx;
	struct dline *l = push(d);

	d->lost_bundles++;
	if (!l)
		return;
	l->kind = RL_LOST;
	l->ts = ts;
	l->cpu = (int32_t)cpu;
	l->tid = -1;
	l->text = tstr_take(
		d, strdup("lost_events (the kernel dropped records on this cpu before here)"));
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s && s[1] ? s + 1 : path;
}

/* The stream --folded shows by default: CPU samples, not off-CPU stacks. */
static int is_cpu_stream(const char *timebase)
{
	return strncmp(timebase, "D-state", 7) && strncmp(timebase, "off-cpu", 7);
}

static const char *unwind_error_str(uint32_t e)
{
	static const char *const names[] = {
		"",
		"ok",
		"memory-invalid",
		"unwind-info",
		"unsupported",
		"invalid-map",
		"max-frames",
		"ptrace",
		"registers",
		"system-call",
		"invalid-elf",
		"not-elf",
		"no-unwind-info",
		"access-fault",
		"unknown",
	};

	return e < sizeof(names) / sizeof(names[0]) ? names[e] : "?";
}

static void on_sample(void *ctx, const struct prd_sample *smp)
{
	struct dump *d = ctx;
	struct dline *l;
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	unsigned i;

	if (d->o->stream && strcmp(d->o->stream, smp->timebase))
		return;
	if (d->o->folded &&
	    (smp->lost || !smp->nframes || (!d->o->stream && !is_cpu_stream(smp->timebase))))
		return;
	l = push(d);
	if (!l)
		return;
	l->kind = RL_SAMPLE;
	l->ts = smp->ts;
	l->cpu = (int32_t)smp->cpu;
	l->tid = smp->lost ? -1 : (int32_t)smp->tid;
	if (smp->lost) {
		d->lost_samples += smp->lost;
		l->text = fmt(d, "samples_lost stream=%s count=%llu", smp->timebase,
			      (unsigned long long)smp->lost);
		return;
	}
	d->samples++;
	if (d->o->folded || d->sink) {
		size_t need = prd_sample__fold(smp, NULL, 0) + 1;

		l->fold = tstr_alloc(d, need);
		if (l->fold)
			prd_sample__fold(smp, l->fold, need);
		if (d->o->folded)
			return;
	}
	f = open_memstream(&text, &len);
	if (!f) {
		d->oom = 1;
		return;
	}
	fprintf(f, "sample stream=%s pid=%u mode=%s frames=%u", smp->timebase, smp->pid,
		smp->cpu_mode == 1   ? "kernel"
		: smp->cpu_mode == 2 ? "user"
				     : "unknown",
		smp->nframes);
	/* the recorder sets unwind_error only on DWARF unwinds; user frames
	 * without it came from the kernel's frame-pointer walk */
	if (smp->unwind_error) {
		fprintf(f, " unwinder=dwarf unwind=%s", unwind_error_str(smp->unwind_error));
	} else {
		for (i = 0; i < smp->nframes; i++)
			if (smp->frames[i].kind == 1 || smp->frames[i].kind == 4)
				break;
		if (i < smp->nframes)
			fprintf(f, " unwinder=fp");
	}
	if (smp->callstack_iid && !smp->stack_resolved)
		fprintf(f, " stack=unresolved");
	if (!d->o->no_stacks) {
		/* leaf first, as perf script prints */
		for (i = smp->nframes; i-- > 0;) {
			const struct prd_frame *fr = &smp->frames[i];
			const char *map = fr->kind == 2	   ? "[kernel]"
					  : fr->mapping[0] ? base_name(fr->mapping)
							   : "";

			fprintf(f, "\n\t%s", fr->function[0] ? fr->function : "[unknown]");
			if (fr->kind == 3 && fr->source_file[0])
				fprintf(f, " (%s:%u)", fr->source_file, fr->line);
			else if (map[0])
				fprintf(f, " (%s)", map);
			if (!fr->function[0] && fr->kind != 2)
				fprintf(f, " +0x%llx", (unsigned long long)fr->rel_pc);
		}
	}
	fclose(f);
	l->text = tstr_take(d, text);
}

/* "76.544us": exact, in the largest unit that keeps it readable */
static void put_dur(FILE *f, uint64_t ns)
{
	if (ns < 1000)
		fprintf(f, "%lluns", (unsigned long long)ns);
	else if (ns < 1000000)
		fprintf(f, "%llu.%03lluus", (unsigned long long)(ns / 1000),
			(unsigned long long)(ns % 1000));
	else if (ns < 1000000000)
		fprintf(f, "%llu.%06llums", (unsigned long long)(ns / 1000000),
			(unsigned long long)(ns % 1000000));
	else
		fprintf(f, "%llu.%09llus", (unsigned long long)(ns / 1000000000),
			(unsigned long long)(ns % 1000000000));
}

static void put_quoted(FILE *f, const char *s)
{
	char *q = quote(s);

	fputs(q ? q : "?", f);
	free(q);
}

/* track=thread | thread:NAME (a thread's own track) | process | process:NAME | global:NAME |
 * counter | 0xUUID (no descriptor) */
static void put_track(FILE *f, const struct prd_track_event *e)
{
	static const char *const kinds[] = {
		[PRD_TRACK_OTHER] = "global",	 [PRD_TRACK_THREAD] = "thread",
		[PRD_TRACK_PROCESS] = "process", [PRD_TRACK_NAMED] = "process",
		[PRD_TRACK_COUNTER] = "counter",
	};
	const struct prd_track *t = e->track;

	if (!t || t->kind >= sizeof(kinds) / sizeof(kinds[0])) {
		fprintf(f, " track=0x%llx", (unsigned long long)e->track_uuid);
		return;
	}
	fprintf(f, " track=%s", kinds[t->kind]);
	if (t->kind != PRD_TRACK_PROCESS && t->kind != PRD_TRACK_COUNTER && t->name[0]) {
		fputc(':', f);
		put_quoted(f, t->name);
	}
}

static void put_args(FILE *f, const struct prd_arg *a, unsigned n)
{
	unsigned i;

	if (n)
		fputs(" args:", f);
	for (i = 0; i < n; i++, a++) {
		fputc(' ', f);
		put_quoted(f, a->name);
		fputc('=', f);
		switch (a->kind) {
		case 0:
			fprintf(f, "%lld", (long long)a->i);
			break;
		case 1:
			fprintf(f, "%llu", (unsigned long long)a->u);
			break;
		case 2:
			fprintf(f, "%.15g", a->d);
			break;
		case 3:
			put_quoted(f, a->s);
			break;
		case 4:
			fputs(a->b ? "true" : "false", f);
			break;
		case 5:
			fprintf(f, "0x%llx", (unsigned long long)a->u);
			break;
		default:
			fputs("?", f);
			break;
		}
	}
}

/*
 * slice_begin name=N track=T [args: k=v ...]
 * slice_end name=N dur=D track=T [args: ...]	(unmatched: "dur=? unmatched")
 * instant name=N track=T [args: ...]
 * counter name=TRACK value=V track=T
 */
static void on_track_event(void *ctx, const struct prd_track_event *e)
{
	struct dump *d = ctx;
	const struct prd_track *t = e->track;
	struct dline *l;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	if (d->o->folded)
		return;
	l = push(d);
	if (!l)
		return;
	l->kind = RL_TRACK;
	l->ts = e->ts;
	l->cpu = -1;
	l->tid = !t ? -1 : t->kind == PRD_TRACK_THREAD ? t->tid : t->pid > 0 ? t->pid : -1;
	f = open_memstream(&text, &len);
	if (!f) {
		d->oom = 1;
		return;
	}
	switch (e->type) {
	case PRD_SLICE_BEGIN:
		fputs("slice_begin name=", f);
		break;
	case PRD_SLICE_END:
		fputs("slice_end name=", f);
		break;
	case PRD_INSTANT:
		fputs("instant name=", f);
		break;
	case PRD_COUNTER:
		fputs("counter name=", f);
		break;
	default:
		fprintf(f, "track_event type=%u name=", e->type);
		break;
	}
	put_quoted(f, e->type == PRD_COUNTER && t ? t->name : e->name);
	if (!e->name_resolved)
		fputs(" name=unresolved", f);
	if (e->type == PRD_SLICE_END) {
		fputs(" dur=", f);
		if (e->matched) {
			put_dur(f, e->ts - e->begin_ts);
			l->has_dur = 1;
			l->dur = e->ts - e->begin_ts;
		} else
			fputs("? unmatched", f);
	}
	if (e->type == PRD_COUNTER)
		fprintf(f, " value=%.15g", e->value);
	put_track(f, e);
	put_args(f, e->args, e->nargs);
	fclose(f);
	l->text = tstr_take(d, text);
}

static int cmp_fold(const void *a, const void *b)
{
	return strcmp(((const struct fold_count *)a)->key, ((const struct fold_count *)b)->key);
}

static void put_u64(char **w, uint64_t v, int width)
{
	char tmp[24], *e = tmp + sizeof(tmp), *q = e;

	do {
		*--q = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (e - q < width)
		*--q = '0';
	memcpy(*w, q, (size_t)(e - q));
	*w += e - q;
}

/* TIME [CPU] COMM(TID) TEXT, written without printf (the per-line path). */
static void print_line(const struct dline *l, const char *comm)
{
	const char *text = l->text ? l->text : "?";
	char buf[512], *w = buf, esc[80];
	size_t cl, tl = strlen(text);

	comm = text_escape(comm, esc, sizeof(esc));
	cl = strlen(comm);

	if (cl + tl > sizeof(buf) - 80) {
		char cpu[16];

		if (l->cpu < 0)
			snprintf(cpu, sizeof(cpu), "---");
		else
			snprintf(cpu, sizeof(cpu), "%03d", l->cpu);
		printf("%" PRIu64 ".%09" PRIu64 " [%s] %s(%d) %s\n", l->ts / 1000000000u,
		       l->ts % 1000000000u, cpu, comm, l->tid, text);
		return;
	}
	put_u64(&w, l->ts / 1000000000u, 0);
	*w++ = '.';
	put_u64(&w, l->ts % 1000000000u, 9);
	*w++ = ' ';
	*w++ = '[';
	if (l->cpu < 0) {
		memcpy(w, "---", 3);
		w += 3;
	} else {
		put_u64(&w, (uint64_t)l->cpu, 3);
	}
	*w++ = ']';
	*w++ = ' ';
	memcpy(w, comm, cl);
	w += cl;
	*w++ = '(';
	if (l->tid < 0) {
		*w++ = '-';
		put_u64(&w, (uint64_t)0 - (uint64_t)(int64_t)l->tid, 0);
	} else {
		put_u64(&w, (uint64_t)l->tid, 0);
	}
	*w++ = ')';
	*w++ = ' ';
	memcpy(w, text, tl);
	w += tl;
	*w++ = '\n';
	fwrite_unlocked(buf, 1, (size_t)(w - buf), stdout);
}

static void set_comm(struct dump *d, int32_t tid, char *name, int weak)
{
	char *old;

	if (tid <= 0 || !name || !*name)
		return;
	old = u64map_get(&d->comms, (uint64_t)tid + 1);
	if (weak && old)
		return;
	if (old && !strcmp(old, name))
		return;
	{
		char *dup = strdup(name);

		if (dup && !u64map_put(&d->comms, (uint64_t)tid + 1, dup))
			free(old);
		else
			free(dup);
	}
}

static void emit_line(struct dump *d, struct dline *l)
{
	const char *comm;
	int k;

	/* a thread's own name change applies from this event on */
	for (k = 0; k < 2; k++) {
		if (l->hint_tid[k] < 0)
			set_comm(d, -l->hint_tid[k], l->hint[k], 1);
		else if (l->hint_tid[k] > 0)
			set_comm(d, l->hint_tid[k], l->hint[k], 0);
	}
	comm = l->tid > 0 ? u64map_get(&d->comms, (uint64_t)l->tid + 1) : NULL;
	if (!comm)
		comm = l->tid == 0 ? "swapper" : "?";
	if (d->sink) {
		struct rline rl = {
			.kind = l->kind,
			.ts = l->ts,
			.cpu = l->cpu,
			.tid = l->tid,
			.comm = comm,
			.text = l->text,
			.fold = l->fold,
			.has_dur = l->has_dur,
			.dur = l->dur,
		};

		if (d->sink(d->sink_ctx, &rl))
			return;
	}
	if (d->o->folded) {
		/* comm;root;...;leaf, counted at the end */
		if (l->fold && l->fold[0]) {
			char *key = NULL;

			if (asprintf(&key, "%s;%s", comm, l->fold) < 0)
				key = NULL;

			if (key && d->nfolds == d->capfolds) {
				size_t ncap = d->capfolds ? d->capfolds * 2 : 256;
				struct fold_count *nf = realloc(d->folds, ncap * sizeof(*nf));

				if (nf) {
					d->folds = nf;
					d->capfolds = ncap;
				}
			}
			if (key && d->nfolds < d->capfolds) {
				d->folds[d->nfolds].key = key;
				d->folds[d->nfolds].n = 1;
				d->nfolds++;
			} else {
				free(key);
				d->oom = 1;
			}
		}
		return;
	}
	print_line(l, comm);
}

static void free_line(struct dump *d, struct dline *l)
{
	tstr_free(d, l->fold);
	tstr_free(d, l->text);
	tstr_free(d, l->hint[0]);
	tstr_free(d, l->hint[1]);
}

static void emit(struct dump *d, struct dline *l)
{
	if (l->ts < d->last_out_ts)
		d->late++;
	else
		d->last_out_ts = l->ts;
	emit_line(d, l);
	free_line(d, l);
}

/* --- the window's runs ------------------------------------------------------------- */

static inline const struct dline *run_first(const struct run *r)
{
	return &r->head->l[r->hpos];
}

static inline int run_before(const struct run *a, const struct run *b)
{
	const struct dline *x = run_first(a), *y = run_first(b);

	return x->ts < y->ts || (x->ts == y->ts && x->seq < y->seq);
}

static void heap_set(struct dump *d, size_t i, struct run *r)
{
	d->heap[i] = r;
	r->heap_pos = i;
}

static void heap_up(struct dump *d, size_t i)
{
	struct run *r = d->heap[i];

	while (i) {
		size_t p = (i - 1) / 2;

		if (!run_before(r, d->heap[p]))
			break;
		heap_set(d, i, d->heap[p]);
		i = p;
	}
	heap_set(d, i, r);
}

static void heap_down(struct dump *d, size_t i)
{
	struct run *r = d->heap[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= d->nheap)
			break;
		if (c + 1 < d->nheap && run_before(d->heap[c + 1], d->heap[c]))
			c++;
		if (!run_before(d->heap[c], r))
			break;
		heap_set(d, i, d->heap[c]);
		i = c;
	}
	heap_set(d, i, r);
}

static void run_free(struct dump *d, struct run *r)
{
	if (r->head) {
		r->head->next = d->free_blocks;
		d->free_blocks = r->head;
	}
	r->next_free = d->free_runs;
	d->free_runs = r;
}

static struct run *run_new(struct dump *d, uint64_t stream)
{
	struct run *r = d->free_runs;

	if (r)
		d->free_runs = r->next_free;
	else if (!(r = malloc(sizeof(*r))))
		return NULL;
	memset(r, 0, sizeof(*r));
	if (u64map_put(&d->open, stream + 1, r)) {
		run_free(d, r);
		return NULL;
	}
	r->stream = stream;
	return r;
}

/* Append @l to @r; 0 or -ENOMEM. */
static int run_append(struct dump *d, struct run *r, const struct dline *l)
{
	if (!r->tail || r->tpos == RUN_BLOCK_LINES) {
		struct run_block *b = d->free_blocks;

		if (b)
			d->free_blocks = b->next;
		else if (!(b = malloc(sizeof(*b))))
			return -ENOMEM;
		b->next = NULL;
		if (r->tail)
			r->tail->next = b;
		else
			r->head = b;
		r->tail = b;
		r->tpos = 0;
	}
	r->tail->l[r->tpos++] = *l;
	r->last_ts = l->ts;
	if (!r->n++) {
		if (d->nheap == d->capheap) {
			size_t ncap = d->capheap ? d->capheap * 2 : 64;
			struct run **nh = realloc(d->heap, ncap * sizeof(*nh));

			if (!nh) {
				r->n--;
				r->tpos--;
				return -ENOMEM;
			}
			d->heap = nh;
			d->capheap = ncap;
		}
		heap_set(d, d->nheap++, r);
		heap_up(d, r->heap_pos);
	}
	return 0;
}

/* Take the first line of the first run out of the window (into @out). */
static void pop_first(struct dump *d, struct dline *out)
{
	struct run *r = d->heap[0];

	*out = r->head->l[r->hpos++];
	r->n--;
	if (r->hpos == RUN_BLOCK_LINES || !r->n) {
		struct run_block *b = r->head;

		if (r->n || b != r->tail) {
			r->head = b->next;
			b->next = d->free_blocks;
			d->free_blocks = b;
		} else {
			/* empty: keep its block for the next line */
			r->tpos = 0;
		}
		r->hpos = 0;
	}
	if (r->n) {
		heap_down(d, 0);
		return;
	}
	heap_set(d, 0, d->heap[--d->nheap]);
	if (d->nheap)
		heap_down(d, 0);
	if (!r->stream || u64map_get(&d->open, r->stream + 1) != r)
		run_free(d, r); /* a closed run: done */
}

/* The staged line joins its stream's run (a new run when the stream went back in time). */
static void commit(struct dump *d)
{
	struct dline *l = &d->stage;
	/* --no-sort: one run in file order */
	uint64_t stream =
		d->o->raw_order ? 1 : ((uint64_t)l->kind << 32 | (uint32_t)(l->cpu + 1)) + 1;
	struct run *r = u64map_get(&d->open, stream + 1);

	d->staged = 0;
	if (r && !d->o->raw_order && r->n && l->ts < r->last_ts)
		r = NULL; /* the old one stays in the heap; run_new() replaces it in d->open */
	if (!r)
		r = run_new(d, stream);
	if (!r || run_append(d, r, l)) {
		/* no memory for the window: print the line now rather than lose it */
		d->oom = 1;
		emit(d, l);
		return;
	}
	if (l->ts > d->max_ts)
		d->max_ts = l->ts;
	flush_window(d, 0);
}

/* Print what the window says is final (everything when @final), in time order. */
static void flush_window(struct dump *d, int final)
{
	uint64_t cut = d->max_ts > DUMP_WINDOW_NS ? d->max_ts - DUMP_WINDOW_NS : 0;
	struct dline l;

	if (final && d->staged)
		commit(d);
	while (d->nheap && (final || d->o->raw_order || run_first(d->heap[0])->ts < cut)) {
		pop_first(d, &l);
		emit(d, &l);
	}
}

static void window_free(struct dump *d)
{
	size_t i;

	for (i = 0; i < d->open.cap; i++)
		if (d->open.keys[i]) {
			struct run *r = d->open.vals[i];

			if (r && !r->n)
				run_free(d, r);
		}
	u64map_free(&d->open);
	while (d->free_runs) {
		struct run *r = d->free_runs;

		d->free_runs = r->next_free;
		free(r);
	}
	while (d->free_blocks) {
		struct run_block *b = d->free_blocks;

		d->free_blocks = b->next;
		free(b);
	}
	free(d->heap);
}

/* --- --spans: duration statistics per slice name ---------------------------------- */

static int cmp_span_dur(const void *a, const void *b)
{
	const struct span_dur *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c)
		return c;
	return x->ns < y->ns ? -1 : x->ns > y->ns;
}

static void add_span_dur(struct dump *d, const char *name, uint64_t ns)
{
	if (d->ndurs == d->capdurs) {
		size_t cap = d->capdurs ? 2 * d->capdurs : 1024;
		struct span_dur *v = realloc(d->durs, cap * sizeof(*v));

		if (!v) {
			d->oom = 1;
			return;
		}
		d->durs = v;
		d->capdurs = cap;
	}
	d->durs[d->ndurs].name = strdup(name);
	if (!d->durs[d->ndurs].name) {
		d->oom = 1;
		return;
	}
	d->durs[d->ndurs++].ns = ns;
}

static void on_span_event(void *ctx, const struct prd_track_event *e)
{
	if (e->type == PRD_SLICE_END && e->matched && e->name)
		add_span_dur(ctx, e->name, e->ts - e->begin_ts);
}

static void on_span_sample(void *ctx, const struct prd_sample *s)
{
	(void)ctx;
	(void)s;
}

/* The nearest-rank percentile @p of the sorted @v[0..n). */
static uint64_t percentile(const struct span_dur *v, size_t n, unsigned p)
{
	size_t r = (n * p + 99) / 100;

	return v[r ? r - 1 : 0].ns;
}

/* "NAME count=N total=D p50=D p95=D max=D", one line per slice name, by name */
static void print_span_durs(struct dump *d)
{
	size_t i, j;

	if (d->ndurs)
		qsort(d->durs, d->ndurs, sizeof(*d->durs), cmp_span_dur);
	for (i = 0; i < d->ndurs; i = j) {
		uint64_t total = 0;
		char *q = quote(d->durs[i].name);

		for (j = i; j < d->ndurs && !strcmp(d->durs[j].name, d->durs[i].name); j++)
			total += d->durs[j].ns;
		printf("%s count=%zu total=", q ? q : "?", j - i);
		free(q);
		put_dur(stdout, total);
		fputs(" p50=", stdout);
		put_dur(stdout, percentile(d->durs + i, j - i, 50));
		fputs(" p95=", stdout);
		put_dur(stdout, percentile(d->durs + i, j - i, 95));
		fputs(" max=", stdout);
		put_dur(stdout, d->durs[j - 1].ns);
		fputc('\n', stdout);
	}
	for (i = 0; i < d->ndurs; i++)
		free(d->durs[i].name);
	free(d->durs);
}

int dump_run(const struct dump_opts *o, rline_sink *sink, void *sink_ctx)
{
	static const struct prd_callbacks cb = {
		.event = on_event,
		.process = on_process,
		.thread = on_thread,
		.lost = on_lost,
		.sample = on_sample,
		.track_event = on_track_event,
	};
	static const struct prd_callbacks span_cb = {
		.sample = on_span_sample,
		.track_event = on_span_event,
	};
	struct dump d;
	struct prd_stats st;
	size_t i;
	int ret, status = 0;

	memset(&d, 0, sizeof(d));
	d.o = o;
	d.sink = sink;
	d.sink_ctx = sink_ctx;
	ret = prd_read_file(o->input, o->spans ? &span_cb : &cb, &d, &st);
	if (ret == -EBADMSG) {
		pft_error(
			"%s is not a valid trace (or is truncated); %llu events before the damage",
			o->input, (unsigned long long)d.seq);
		status = 1;
	} else if (ret) {
		pft_error("cannot read %s: %s", o->input, strerror(-ret));
		status = 1;
	}
	flush_window(&d, 1);
	if (d.oom) {
		pft_error("out of memory reading %s", o->input);
		status = 1;
	}
	if (d.late && !o->raw_order)
		pft_warn("%llu events came more than %.0f s after newer ones in the file and are "
			 "printed out of order",
			 (unsigned long long)d.late, (double)DUMP_WINDOW_NS / 1e9);
	if (o->folded && d.nfolds) {
		size_t j = 0;

		qsort(d.folds, d.nfolds, sizeof(*d.folds), cmp_fold);
		for (i = 0; i < d.nfolds; i = j) {
			uint64_t n = 0;

			for (j = i; j < d.nfolds && !strcmp(d.folds[j].key, d.folds[i].key); j++)
				n += d.folds[j].n;
			printf("%s %llu\n", d.folds[i].key, (unsigned long long)n);
		}
	}
	if (o->spans)
		print_span_durs(&d);
	for (i = 0; i < d.nfolds; i++)
		free(d.folds[i].key);
	free(d.folds);
	window_free(&d);
	tchunks_free(&d);
	for (i = 0; i < d.comms.cap; i++)
		if (d.comms.keys[i])
			free(d.comms.vals[i]);
	u64map_free(&d.comms);
	if (fflush(stdout) && !status) {
		pft_error("writing the dump failed: %s", strerror(errno));
		status = 1;
	}
	return status;
}

int cmd_dump(int argc, char **argv)
{
	struct dump_opts o;
	int ret;

	ret = dump_opts_parse(&o, argc, argv);
	if (ret)
		return ret > 0 ? 0 : 2;
	/* a large stdout buffer when it is not a terminal: fewer writes (nothing printed yet) */
	if (!isatty(STDOUT_FILENO))
		setvbuf(stdout, NULL, _IOFBF, 1 << 18);
	if (o.list_fields) {
		fld_list(stdout);
		return 0;
	}
	if (dump_view_wanted(&o))
		return dump_view(&o);
	return dump_run(&o, NULL, NULL);
}
