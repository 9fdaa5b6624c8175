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

struct dline {
	uint8_t kind;		/* enum rline_kind */
	uint8_t has_dur;
	uint64_t dur;		/* slice ends */
	uint64_t ts;
	uint64_t seq;
	int32_t cpu;		/* -1: process tree entry */
	int32_t tid;
	int32_t hint_tid[2];
	char *hint[2];
	char *text;		/* "EVENT ARGS" (samples: and their frames, one per line) */
	char *fold;		/* samples: "root;...;leaf" for --folded */
};

struct fold_count {
	char *key;
	uint64_t n;
};

/*
 * Lines are buffered and printed in time order through a sliding window: the
 * writer emits each CPU's events in order and the CPUs' bundles a drain
 * round apart, so once the buffer is large, everything older than the newest
 * time seen minus DUMP_WINDOW_NS is final and can go out.  Memory stays
 * bounded by the window, not by the trace.
 */
#define DUMP_WINDOW_NS (1000000000ull)
#define DUMP_FLUSH_LINES 65536

struct dump {
	const struct dump_opts *o;
	struct dline *v;
	size_t n, cap;
	size_t flush_at;
	uint64_t seq;			/* file order, for stable sorting */
	uint64_t max_ts, last_out_ts;
	uint64_t late;			/* lines older than what was printed already */
	int oom;
	uint64_t samples, lost_samples;
	struct fold_count *folds;
	size_t nfolds, capfolds;
	struct u64map comms;	/* tid + 1 -> char * */
	uint64_t lost_bundles;
	rline_sink *sink;	/* the reading commands' view of each line (core/reading.h) */
	void *sink_ctx;
};

static void flush_window(struct dump *d, int final);

static struct dline *push(struct dump *d)
{
	if (d->n >= d->flush_at)
		flush_window(d, 0);
	if (d->n == d->cap) {
		size_t ncap = d->cap ? d->cap * 2 : 4096;
		struct dline *nv = realloc(d->v, ncap * sizeof(*nv));

		if (!nv) {
			d->oom = 1;
			return NULL;
		}
		d->v = nv;
		d->cap = ncap;
	}
	memset(&d->v[d->n], 0, sizeof(d->v[0]));
	d->v[d->n].seq = d->seq++;
	return &d->v[d->n++];
}

static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *f, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, f);
	if (vasprintf(&s, f, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

static void on_event(void *ctx, const struct prd_event *e)
{
	struct dump *d = ctx;
	struct dline *l = push(d);
	int i;

	if (!l)
		return;
	l->ts = e->ts;
	l->cpu = (int32_t)e->cpu;
	l->tid = (int32_t)e->pid;
	if (e->syscall_id >= 0 && !strncmp(e->args, "id=", 3)) {
		/* "id=N rest" -> "id=N name=NAME rest" */
		const char *sp = strchr(e->args, ' ');
		const char *name = syscall_name(e->syscall_id);
		int idlen = sp ? (int)(sp - e->args) : (int)strlen(e->args);

		l->text = fmt("%s %.*s name=%s%s", e->name, idlen, e->args, name ? name : "?",
			      sp ? sp : "");
	} else {
		l->text = fmt("%s%s%s", e->name, e->args[0] ? " " : "", e->args);
	}
	for (i = 0; i < 2; i++) {
		if (e->comm_tid[i] > 0 && e->comm[i]) {
			l->hint_tid[i] = e->comm_tid[i];
			l->hint[i] = strdup(e->comm[i]);
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
	l->text = fmt("process pid=%d ppid=%d uid=%d%s cmdline=%s", p->pid, p->ppid, p->uid,
		      p->is_kthread ? " kthread=1" : "", q ? q : "?");
	free(q);
	if (c[0]) {
		/* name a process without a thread entry after its argv[0] */
		const char *sp = strchr(c, ' ');
		size_t len = sp ? (size_t)(sp - c) : strlen(c);
		char *base = strndup(c, len), *slash = base ? strrchr(base, '/') : NULL;

		if (base && slash && !p->is_kthread)
			memmove(base, slash + 1, strlen(slash));
		l->hint_tid[0] = -p->pid;	/* weak hint: only if nothing better */
		l->hint[0] = base;
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
	l->text = fmt("thread tid=%d tgid=%d name=%s", t->tid, t->tgid, q ? q : "?");
	free(q);
	l->hint_tid[0] = t->tid;
	l->hint[0] = strdup(n);
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
	l->text = strdup("lost_events (the kernel dropped records on this cpu before here)");
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
		"", "ok", "memory-invalid", "unwind-info", "unsupported", "invalid-map",
		"max-frames", "ptrace", "registers", "system-call", "invalid-elf", "not-elf",
		"no-unwind-info", "access-fault", "unknown",
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
	if (d->o->folded && (smp->lost || !smp->nframes ||
			     (!d->o->stream && !is_cpu_stream(smp->timebase))))
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
		l->text = fmt("samples_lost stream=%s count=%llu", smp->timebase,
			      (unsigned long long)smp->lost);
		return;
	}
	d->samples++;
	if (d->o->folded || d->sink) {
		size_t need = prd_sample__fold(smp, NULL, 0) + 1;

		l->fold = malloc(need);
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
		smp->cpu_mode == 1 ? "kernel" : smp->cpu_mode == 2 ? "user" : "unknown",
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
			const char *map = fr->kind == 2 ? "[kernel]" : fr->mapping[0]
				? base_name(fr->mapping) : "";

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
	l->text = text;
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

/* track=thread | process | process:NAME | global:NAME | counter | 0xUUID (no descriptor) */
static void put_track(FILE *f, const struct prd_track_event *e)
{
	static const char *const kinds[] = {
		[PRD_TRACK_OTHER] = "global", [PRD_TRACK_THREAD] = "thread",
		[PRD_TRACK_PROCESS] = "process", [PRD_TRACK_NAMED] = "process",
		[PRD_TRACK_COUNTER] = "counter",
	};
	const struct prd_track *t = e->track;

	if (!t || t->kind >= sizeof(kinds) / sizeof(kinds[0])) {
		fprintf(f, " track=0x%llx", (unsigned long long)e->track_uuid);
		return;
	}
	fprintf(f, " track=%s", kinds[t->kind]);
	if (t->kind != PRD_TRACK_THREAD && t->kind != PRD_TRACK_PROCESS &&
	    t->kind != PRD_TRACK_COUNTER && t->name[0]) {
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
		}
		else
			fputs("? unmatched", f);
	}
	if (e->type == PRD_COUNTER)
		fprintf(f, " value=%.15g", e->value);
	put_track(f, e);
	put_args(f, e->args, e->nargs);
	fclose(f);
	l->text = text;
}

static int cmp_fold(const void *a, const void *b)
{
	return strcmp(((const struct fold_count *)a)->key, ((const struct fold_count *)b)->key);
}

static int cmp_line(const void *a, const void *b)
{
	const struct dline *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
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
	char cpu[16];
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
			.kind = l->kind, .ts = l->ts, .cpu = l->cpu, .tid = l->tid, .comm = comm,
			.text = l->text, .fold = l->fold, .has_dur = l->has_dur, .dur = l->dur,
		};

		if (d->sink(d->sink_ctx, &rl))
			return;
	}
	if (d->o->folded) {
		/* comm;root;...;leaf, counted at the end */
		if (l->fold && l->fold[0]) {
			char *key = fmt("%s;%s", comm, l->fold);

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
	if (l->cpu < 0)
		snprintf(cpu, sizeof(cpu), "---");
	else
		snprintf(cpu, sizeof(cpu), "%03d", l->cpu);
	printf("%" PRIu64 ".%09" PRIu64 " [%s] %s(%d) %s\n", l->ts / 1000000000u,
	       l->ts % 1000000000u, cpu, comm, l->tid, l->text ? l->text : "?");
}

static void free_line(struct dline *l)
{
	free(l->fold);
	free(l->text);
	free(l->hint[0]);
	free(l->hint[1]);
}

/* Print what the window says is final (everything when @final), in time order. */
static void flush_window(struct dump *d, int final)
{
	uint64_t cut;
	size_t i, out = 0;

	if (!d->o->raw_order && d->n) {
		qsort(d->v, d->n, sizeof(*d->v), cmp_line);
		if (d->v[d->n - 1].ts > d->max_ts)
			d->max_ts = d->v[d->n - 1].ts;
	}
	cut = d->max_ts > DUMP_WINDOW_NS ? d->max_ts - DUMP_WINDOW_NS : 0;
	for (i = 0; i < d->n; i++) {
		struct dline *l = &d->v[i];

		if (!final && !d->o->raw_order && l->ts >= cut)
			break;
		if (l->ts < d->last_out_ts)
			d->late++;
		else
			d->last_out_ts = l->ts;
		emit_line(d, l);
		free_line(l);
		out++;
	}
	if (out && out < d->n)
		memmove(d->v, d->v + out, (d->n - out) * sizeof(*d->v));
	d->n -= out;
	d->flush_at = d->n * 2 > DUMP_FLUSH_LINES ? d->n * 2 : DUMP_FLUSH_LINES;
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
	struct dump d;
	struct prd_stats st;
	size_t i;
	int ret, status = 0;

	memset(&d, 0, sizeof(d));
	d.o = o;
	d.sink = sink;
	d.sink_ctx = sink_ctx;
	d.flush_at = DUMP_FLUSH_LINES;
	ret = prd_read_file(o->input, &cb, &d, &st);
	if (ret == -EBADMSG) {
		pft_error("%s is not a valid trace (or is truncated); %llu events before the damage",
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
			 "printed out of order", (unsigned long long)d.late,
			 (double)DUMP_WINDOW_NS / 1e9);
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
	for (i = 0; i < d.nfolds; i++)
		free(d.folds[i].key);
	free(d.folds);
	free(d.v);
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
	if (o.list_fields) {
		fld_list(stdout);
		return 0;
	}
	if (dump_view_wanted(&o))
		return dump_view(&o);
	return dump_run(&o, NULL, NULL);
}
