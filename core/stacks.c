/* SPDX-License-Identifier: MIT */
/*
 * core/stacks: sampled CPU stacks and off-CPU stacks.
 *
 * Two kinds of perf events feed stack samples:
 *  - a sampling counter per CPU (hardware cycles, falling back to the
 *    cpu-clock software timer where there is no PMU), -F HZ or --period N;
 *  - sched:sched_switch with a kernel filter on prev_state, so a callchain
 *    is taken exactly when a thread leaves the CPU in D state (with
 *    --sleep-stacks, in S too).  The tracepoint fires in the context of the
 *    task going to sleep, so its callchain is that task's stack.
 * Kernel frames come from PERF_SAMPLE_CALLCHAIN.  User frames come from the
 * same callchain (--call-graph fp) or, by default, from a DWARF unwind of the
 * copied user stack (PERF_SAMPLE_REGS_USER + PERF_SAMPLE_STACK_USER).
 * Samples are unwound and symbolized while recording -- the process may be
 * gone by the end -- and written as PerfSample packets, one stream (packet
 * sequence) per kind, so the UI shows separate tracks and flamegraphs.
 *
 * Process address spaces follow PERF_RECORD_MMAP2/COMM/FORK/EXIT from the
 * rings' dummy events, so short-lived processes symbolize as well.
 *
 * A sample's frames are a plain array (struct stack) until it is handed to
 * the writer: the place where a plugin (the Python frames of a later
 * milestone) can rewrite it.
 */
#include "config.h"
#include "compiler.h"
#include "core/options.h"
#include "core/session.h"
#include "core/source.h"
#include "core/util.h"
#include "proto/samples.h"
#include "symbolize/symbolize.h"
#include "symbolize/unwind.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_FRAMES 256
#define MAX_USER 128

/* One frame of a sample, root first once assembled. */
struct stack {
	struct pw_frame f[MAX_FRAMES];
	uint64_t ip[MAX_FRAMES]; /* absolute addresses, for stack hooks */
	unsigned n;
	uint32_t cpu_mode;
	uint32_t unwind_error;
};

enum { KIND_CPU, KIND_OFFCPU, KIND__N };

#define MAX_EVENT_STREAMS 32

/* A stream of stacks taken at the hits of an event (PFT_EV_STACK). */
struct event_stream {
	struct stacks *st;
	struct pft_event *ev;
	struct pw_stream *ps;
	char name[128];
	uint64_t samples, bad;
};

struct stream_state {
	struct pw_stream *ps;
	const char *name; /* its timebase: "cpu-clock", "D-state", ... */
	struct pft_event *tp;
	uint64_t timebase_count;
	uint64_t samples, lost;
	int is_hw;
};

/* A process that exited, and when a flush first saw it (0: not yet). */
struct exited {
	pid_t pid;
	uint64_t seen_ns;
};

struct stacks {
	struct pft_host *h;
	struct session *s;
	const struct record_opts *o;
	struct pw_writer *w;
	struct sym_cache *cache;
	struct sym_unwinder *unw;
	uint64_t regs_mask;
	unsigned nregs;
	int dwarf;     /* user stacks by DWARF unwinding (else the kernel's fp walk) */
	uint64_t freq; /* -F, clamped to what the kernel allows */
	int kallsyms_ok;
	pid_t self;
	struct stream_state st[KIND__N];

	struct exited *exited; /* processes whose address space is to be released */
	size_t nexited, capexited;
	uint64_t trimmed_ns;		      /* the last sym_cache__trim() */
	uint64_t intern_resets, intern_bytes; /* of the sample streams, at stop */

	/* statistics */
	uint64_t user_stacks_dwarf, user_stacks_fp, kernel_only;
	uint64_t unwind_stop[SYM_UNWIND__MAX];
	uint64_t unwind_errors;
	uint64_t bad_samples;

	struct event_stream evs[MAX_EVENT_STREAMS];
	unsigned nevs;

	struct stack scratch;
	struct stack hooked; /* a sample after the plugins' stack hooks */
	struct pft_frame pf[MAX_FRAMES];
	uint64_t ips[MAX_USER];
};

/* --- record parsing ------------------------------------------------------- */

struct parsed {
	uint64_t id;
	uint32_t pid, tid;
	uint64_t time;
	uint32_t cpu;
	uint64_t period;
	uint64_t nr;
	const uint64_t *ips;
	uint64_t regs_abi;
	const uint64_t *regs;
	const unsigned char *stack;
	uint64_t stack_size; /* dynamic size: bytes actually copied */
	const void *raw;     /* PERF_SAMPLE_RAW: a tracepoint's payload */
	uint32_t raw_size;
};

static int parse_sample(const struct perf_event_header *h, uint64_t type, unsigned nregs,
			struct parsed *p)
{
	const unsigned char *c = (const unsigned char *)(h + 1);
	const unsigned char *end = (const unsigned char *)h + h->size;
	uint32_t v[2];

#define NEED(n)                                                                                    \
	do {                                                                                       \
		if ((size_t)(end - c) < (size_t)(n))                                               \
			return -EINVAL;                                                            \
	} while (0)
	memset(p, 0, sizeof(*p));
	NEED(8);
	memcpy(&p->id, c, 8);
	c += 8;
	if (type & PERF_SAMPLE_TID) {
		NEED(8);
		memcpy(v, c, 8);
		p->pid = v[0];
		p->tid = v[1];
		c += 8;
	}
	if (type & PERF_SAMPLE_TIME) {
		NEED(8);
		memcpy(&p->time, c, 8);
		c += 8;
	}
	if (type & PERF_SAMPLE_CPU) {
		NEED(8);
		memcpy(&p->cpu, c, 4);
		c += 8;
	}
	if (type & PERF_SAMPLE_PERIOD) {
		NEED(8);
		memcpy(&p->period, c, 8);
		c += 8;
	}
	if (type & PERF_SAMPLE_CALLCHAIN) {
		NEED(8);
		memcpy(&p->nr, c, 8);
		c += 8;
		if (p->nr > 4096)
			return -EINVAL;
		NEED(p->nr * 8);
		p->ips = (const uint64_t *)(const void *)c; /* records are 8-aligned */
		c += p->nr * 8;
	}
	if (type & PERF_SAMPLE_RAW) {
		uint32_t sz;

		NEED(4);
		memcpy(&sz, c, 4);
		NEED(4 + (size_t)sz);
		p->raw = c + 4;
		p->raw_size = sz;
		c += 4 + sz;
	}
	if (type & PERF_SAMPLE_REGS_USER) {
		NEED(8);
		memcpy(&p->regs_abi, c, 8);
		c += 8;
		if (p->regs_abi) {
			NEED(nregs * 8);
			p->regs = (const uint64_t *)(const void *)c;
			c += nregs * 8;
		}
	}
	if (type & PERF_SAMPLE_STACK_USER) {
		uint64_t size;

		NEED(8);
		memcpy(&size, c, 8);
		c += 8;
		if (size) {
			NEED(size + 8);
			p->stack = c;
			memcpy(&p->stack_size, c + size, 8);
			if (p->stack_size > size)
				p->stack_size = size;
			c += size + 8;
		}
	}
#undef NEED
	return 0;
}

/* --- frames ------------------------------------------------------------------ */

static void kernel_frame(struct stacks *st, struct pw_frame *f, uint64_t ip)
{
	memset(f, 0, sizeof(*f));
	f->kind = PW_FRAME_KERNEL;
	f->rel_pc = ip;
	f->function = st->kallsyms_ok ? sym_kernel__resolve(st->cache, ip) : NULL;
}

static void user_frame(struct stacks *st, struct sym_maps *m, struct pw_frame *f, uint64_t ip,
		       int leaf)
{
	struct sym_frame sf;

	memset(f, 0, sizeof(*f));
	f->kind = PW_FRAME_NATIVE;
	/* return addresses point after the call: look up the call itself */
	if (!m || sym_resolve(st->cache, m, leaf ? ip : ip - 1, &sf) || !sf.map) {
		f->rel_pc = ip;
		return;
	}
	f->function = sf.name;
	f->rel_pc = sf.rel_pc;
	if (sf.jit)
		f->kind = PW_FRAME_JIT;
	f->map_path = sf.map->name;
	f->map_start = sf.map->start;
	f->map_end = sf.map->end;
	f->map_pgoff = sf.map->pgoff;
	if (sf.map->dso) {
		size_t len = 0;

		f->build_id = sym_dso__build_id(sf.map->dso, &len);
		f->build_id_len = (uint32_t)len;
	}
}

static uint32_t unwind_error_of(enum sym_unwind_stop s)
{
	switch (s) {
	case SYM_UNWIND_OK:
		return PW_UNWIND_OK;
	case SYM_UNWIND_NO_MAP:
		return PW_UNWIND_INVALID_MAP;
	case SYM_UNWIND_NO_CFI:
		return PW_UNWIND_UNWIND_INFO;
	case SYM_UNWIND_STACK_SHORT:
		return PW_UNWIND_MEMORY_INVALID;
	case SYM_UNWIND_TRUNCATED:
		return PW_UNWIND_MAX_FRAMES_EXCEEDED;
	case SYM_UNWIND_UNSUPPORTED:
		return PW_UNWIND_UNSUPPORTED;
	default:
		return PW_UNWIND_UNKNOWN;
	}
}

/*
 * Assemble the frames of one sample, root first: the user frames (outermost
 * first), then the kernel frames.  The callchain lists leaf first, with
 * PERF_CONTEXT_* markers before each part.
 */
static void build_stack(struct stacks *st, const struct parsed *p, struct stack *sk, uint16_t misc)
{
	uint64_t kips[MAX_FRAMES], uips[MAX_USER];
	unsigned nk = 0, nu = 0, i;
	uint64_t ctx = 0;
	struct sym_maps *m = NULL;

	sk->n = 0;
	sk->unwind_error = 0;
	for (i = 0; i < p->nr; i++) {
		uint64_t ip = p->ips[i];

		if (ip >= (uint64_t)PERF_CONTEXT_MAX) {
			ctx = ip;
			continue;
		}
		if (ctx == (uint64_t)PERF_CONTEXT_KERNEL && nk < MAX_FRAMES / 2)
			kips[nk++] = ip;
		else if (ctx == (uint64_t)PERF_CONTEXT_USER && nu < MAX_USER)
			uips[nu++] = ip;
	}
	sk->cpu_mode = (misc & PERF_RECORD_MISC_CPUMODE_MASK) == PERF_RECORD_MISC_KERNEL
			       ? PW_MODE_KERNEL
			       : PW_MODE_USER;

	if (p->pid != 0 && p->pid != (uint32_t)-1)
		m = sym_cache__maps(st->cache, (pid_t)p->pid, 1);

	if (st->dwarf && p->regs && p->stack && p->stack_size) {
		enum sym_unwind_stop stop = SYM_UNWIND_OK;
		int n = m ? sym_unwind(st->unw, m, p->regs, p->stack, p->stack_size, st->ips,
				       MAX_USER, &stop)
			  : (stop = SYM_UNWIND_NO_MAP, 0);

		if (n < 0) {
			n = 0;
			stop = SYM_UNWIND_UNSUPPORTED;
		}
		st->unwind_stop[stop < SYM_UNWIND__MAX ? stop : SYM_UNWIND_BAD_FRAME]++;
		if (stop != SYM_UNWIND_OK)
			st->unwind_errors++;
		sk->unwind_error = unwind_error_of(stop);
		memcpy(uips, st->ips, (size_t)n * sizeof(uips[0]));
		nu = (unsigned)n;
		st->user_stacks_dwarf++;
	} else if (nu) {
		st->user_stacks_fp++;
	} else {
		st->kernel_only++;
	}

	for (i = nu; i-- > 0 && sk->n < MAX_FRAMES;)
		sk->ip[sk->n] = uips[i], user_frame(st, m, &sk->f[sk->n++], uips[i], i == 0);
	for (i = nk; i-- > 0 && sk->n < MAX_FRAMES;)
		sk->ip[sk->n] = kips[i], kernel_frame(st, &sk->f[sk->n++], kips[i]);
}

static struct pw_stream *stream_of(struct stacks *st, int kind)
{
	struct stream_state *ss = &st->st[kind];
	struct pw_stream_desc d;

	if (ss->ps)
		return ss->ps;
	memset(&d, 0, sizeof(d));
	if (kind == KIND_CPU) {
		/* named after the event that actually opened (see the fallback) */
		int hw = st->o && ss->tp && !strcmp(session__event_label(ss->tp), "cycles");

		d.name = hw ? "cycles" : "cpu-clock";
		d.counter = hw ? 10 /* HW_CPU_CYCLES */ : 1 /* SW_CPU_CLOCK */;
		d.frequency = st->freq;
		d.period = st->o->period;
	} else {
		d.name = st->o->sleep_stacks ? "off-cpu" : "D-state"; /* S and D / D only */
		d.tracepoint = "sched:sched_switch";
		d.period = 1;
	}
	ss->name = d.name;
	ss->ps = pw_stream__new(st->w, &d);
	return ss->ps;
}

/*
 * Let the plugins' stack hooks rewrite @sk (e.g. interpreter frames into the
 * functions they ran).  Frames the hooks keep carry their pw_frame along in
 * pft_frame.host; new ones are made from what the hook set.  Returns the
 * stack to write.
 */
static struct stack *run_hooks(struct stacks *st, struct stack *sk, const struct parsed *p,
			       const char *stream)
{
	struct stack *out = &st->hooked;
	struct pft_stack ps;
	unsigned i;

	for (i = 0; i < sk->n; i++) {
		const struct pw_frame *f = &sk->f[i];

		st->pf[i].ip = sk->ip[i];
		st->pf[i].kind = f->kind;
		st->pf[i].line = f->line;
		st->pf[i].function = f->function;
		st->pf[i].source_file = f->source_file;
		st->pf[i].map_path = f->map_path;
		st->pf[i].host = f;
	}
	ps.ts = session__perf_to_boot(st->s, p->time);
	ps.pid = p->pid;
	ps.tid = p->tid;
	ps.cpu = p->cpu;
	ps.stream = stream;
	ps.frames = st->pf;
	ps.nframes = sk->n;
	ps.cap = MAX_FRAMES;
	session__run_stack_hooks(st->s, &ps);
	out->cpu_mode = sk->cpu_mode;
	out->unwind_error = sk->unwind_error;
	out->n = ps.nframes < MAX_FRAMES ? ps.nframes : MAX_FRAMES;
	for (i = 0; i < out->n; i++) {
		const struct pft_frame *pf = &st->pf[i];
		struct pw_frame *f = &out->f[i];

		if (pf->host) {
			*f = *(const struct pw_frame *)pf->host;
		} else {
			memset(f, 0, sizeof(*f));
			f->rel_pc = pf->ip;
		}
		/* what the hook set wins */
		f->kind = pf->kind;
		f->function = pf->function;
		f->source_file = pf->source_file;
		f->line = pf->line;
		if (!pf->host)
			f->map_path = pf->map_path;
		out->ip[i] = pf->ip;
	}
	return out;
}

static void on_sample(struct stacks *st, int kind, const struct perf_event_header *h, uint32_t cpu,
		      uint64_t sample_type)
{
	struct stream_state *ss = &st->st[kind];
	struct stack *sk = &st->scratch;
	struct pw_stream *ps;
	struct parsed p;
	struct pw_sample smp;

	if (parse_sample(h, sample_type, st->nregs, &p)) {
		st->bad_samples++;
		return;
	}
	if (p.pid == (uint32_t)st->self)
		return; /* the tracer's own samples stay out */
	build_stack(st, &p, sk, h->misc);
	ps = stream_of(st, kind);
	if (!ps)
		return;
	if (session__has_stack_hooks(st->s))
		sk = run_hooks(st, sk, &p, ss->name);
	ss->timebase_count += kind == KIND_CPU ? p.period : 1;
	ss->samples++;
	memset(&smp, 0, sizeof(smp));
	smp.ts = session__perf_to_boot(st->s, p.time);
	smp.cpu = p.cpu;
	smp.pid = p.pid;
	smp.tid = p.tid;
	smp.cpu_mode = kind == KIND_OFFCPU ? PW_MODE_KERNEL : sk->cpu_mode;
	smp.timebase_count = ss->timebase_count;
	smp.unwind_error = sk->unwind_error;
	smp.frames = sk->f;
	smp.nframes = sk->n;
	(void)cpu;
	pw_stream__sample(ps, &smp);
}

static uint64_t sample_type_of(struct stacks *st, int kind)
{
	uint64_t t = PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_CPU |
		     PERF_SAMPLE_CALLCHAIN;

	if (kind == KIND_CPU)
		t |= PERF_SAMPLE_PERIOD;
	if (st->dwarf)
		t |= PERF_SAMPLE_REGS_USER | PERF_SAMPLE_STACK_USER;
	return t;
}

static void on_cpu_record(void *priv, const struct perf_event_header *h, uint32_t cpu)
{
	struct stacks *st = priv;

	on_sample(st, KIND_CPU, h, cpu, sample_type_of(st, KIND_CPU));
}

static void on_offcpu_record(void *priv, const struct perf_event_header *h, uint32_t cpu)
{
	struct stacks *st = priv;

	on_sample(st, KIND_OFFCPU, h, cpu, sample_type_of(st, KIND_OFFCPU));
}

/* --- stacks at events (PFT_EV_STACK) ----------------------------------------- */

static void on_event_record(void *priv, const struct perf_event_header *h, uint32_t cpu)
{
	struct event_stream *es = priv;
	struct stacks *st = es->st;
	struct stack *sk = &st->scratch;
	struct pft_record rec;
	struct pw_sample smp;
	struct parsed p;

	(void)cpu;
	if (parse_sample(h, sample_type_of(st, KIND_OFFCPU) | PERF_SAMPLE_RAW, st->nregs, &p) ||
	    !p.raw || p.raw_size < session__event_min_raw(es->ev)) {
		es->bad++;
		return;
	}
	rec.ts = session__perf_to_boot(st->s, p.time);
	rec.cpu = p.cpu;
	rec.pid = p.pid;
	rec.tid = p.tid;
	rec.raw = p.raw;
	rec.raw_size = p.raw_size;
	/* the event first: its handler may open a slice the stack belongs to */
	session__deliver(es->ev, &rec);
	if (!es->ps) {
		struct pw_stream_desc d;

		memset(&d, 0, sizeof(d));
		d.name = es->name;
		d.tracepoint = es->name;
		d.period = 1;
		es->ps = pw_stream__new(st->w, &d);
		if (!es->ps)
			return;
	}
	build_stack(st, &p, sk, h->misc);
	if (session__has_stack_hooks(st->s))
		sk = run_hooks(st, sk, &p, es->name);
	es->samples++;
	memset(&smp, 0, sizeof(smp));
	smp.ts = rec.ts;
	smp.cpu = p.cpu;
	smp.pid = p.pid;
	smp.tid = p.tid;
	smp.cpu_mode = sk->cpu_mode;
	smp.timebase_count = es->samples;
	smp.unwind_error = sk->unwind_error;
	smp.frames = sk->f;
	smp.nframes = sk->n;
	pw_stream__sample(es->ps, &smp);
}

static int attach_event(void *priv, struct pft_event *ev)
{
	struct stacks *st = priv;
	struct event_stream *es;

	if (st->nevs == MAX_EVENT_STREAMS) {
		pft_warn("%s: too many events with stacks (at most %d): recorded without a stack",
			 session__event_name(ev), MAX_EVENT_STREAMS);
		return 0;
	}
	es = &st->evs[st->nevs++];
	es->st = st;
	es->ev = ev;
	snprintf(es->name, sizeof(es->name), "%s", session__event_name(ev));
	session__event_set_raw(ev, sample_type_of(st, KIND_OFFCPU) | PERF_SAMPLE_RAW,
			       st->dwarf ? st->regs_mask : 0, st->dwarf ? st->o->stack_size : 0,
			       on_event_record, es);
	return 0;
}

/* --- sideband: address spaces ------------------------------------------------ */

/*
 * A process's address space is released EXIT_GRACE_NS after the flush that
 * first saw its exit, not at once: its last samples may still wait in other
 * cpus' rings.  A pid reused meanwhile (FORK) keeps the new process's maps.
 */
#define EXIT_GRACE_NS 2000000000ull
#define TRIM_EVERY_NS 1000000000ull

static void note_exit(struct stacks *st, pid_t pid)
{
	if (st->nexited == st->capexited) {
		size_t ncap = st->capexited ? st->capexited * 2 : 64;
		struct exited *n = realloc(st->exited, ncap * sizeof(*n));

		if (!n)
			return;
		st->exited = n;
		st->capexited = ncap;
	}
	st->exited[st->nexited].pid = pid;
	st->exited[st->nexited++].seen_ns = 0;
}

static void cancel_exit(struct stacks *st, pid_t pid)
{
	size_t i;

	for (i = 0; i < st->nexited; i++) {
		if (st->exited[i].pid == pid) {
			st->exited[i] = st->exited[--st->nexited];
			return;
		}
	}
}

static void on_sideband(void *priv, const struct perf_event_header *h, uint32_t cpu)
{
	struct stacks *st = priv;
	const unsigned char *c = (const unsigned char *)(h + 1);
	size_t len = h->size - sizeof(*h);
	uint32_t v[4];

	(void)cpu;
	switch (h->type) {
	case PERF_RECORD_MMAP2: {
		struct {
			uint32_t pid, tid;
			uint64_t addr, len, pgoff;
			uint32_t maj, min;
			uint64_t ino, ino_gen;
			uint32_t prot, flags;
		} r;
		struct sym_maps *m;
		size_t fl;

		if (len < sizeof(r) + 1)
			return;
		memcpy(&r, c, sizeof(r));
		if (!session__in_scope(st->s, r.pid))
			return;
		m = sym_cache__maps(st->cache, (pid_t)r.pid, 1);
		if (!m)
			return;
		fl = strnlen((const char *)c + sizeof(r), len - sizeof(r));
		if (fl == len - sizeof(r))
			return; /* not NUL-terminated */
		if (h->misc & PERF_RECORD_MISC_MMAP_BUILD_ID)
			r.maj = r.min = 0, r.ino = 0;
		sym_maps__mmap(m, r.addr, r.len, r.pgoff, r.maj, r.min, r.ino, r.prot,
			       (const char *)c + sizeof(r));
		break;
	}
	case PERF_RECORD_COMM:
		if ((h->misc & PERF_RECORD_MISC_COMM_EXEC) && len >= 8) {
			memcpy(v, c, 8);
			if (v[0] == v[1])
				sym_cache__exec_maps(st->cache, (pid_t)v[0]);
		}
		break;
	case PERF_RECORD_FORK:
		if (len >= 16) {
			memcpy(v, c, 16); /* pid, ppid, tid, ptid */
			if (v[0] == v[2] && st->nexited)
				cancel_exit(st, (pid_t)v[0]); /* the pid is reused */
			if (v[0] != v[1] && v[0] == v[2] && session__in_scope(st->s, v[1]))
				sym_cache__fork_maps(st->cache, (pid_t)v[1], (pid_t)v[0]);
		}
		break;
	case PERF_RECORD_EXIT:
		if (len >= 16) {
			memcpy(v, c, 16);
			if (v[0] == v[2])
				note_exit(st, (pid_t)v[0]);
		}
		break;
	default:
		break;
	}
}

static void on_lost(void *priv, const struct perf_event_header *h, uint32_t cpu)
{
	struct stacks *st = priv;
	uint64_t rec[2]; /* id, lost */
	struct pft_event *tp;
	int kind;

	if (h->size < sizeof(*h) + sizeof(rec))
		return;
	memcpy(rec, h + 1, sizeof(rec));
	tp = session__event_by_id(st->s, rec[0]);
	for (kind = 0; kind < KIND__N; kind++) {
		if (tp && tp == st->st[kind].tp && stream_of(st, kind)) {
			st->st[kind].lost += rec[1];
			pw_stream__lost(st->st[kind].ps, pft_clock_ns(CLOCK_BOOTTIME), cpu, rec[1]);
		}
	}
}

/* --- source ops ----------------------------------------------------------------- */

static int stacks_init(struct pft_host *h, const struct pft_host_ops *ops, void **priv)
{
	struct stacks *st = calloc(1, sizeof(*st));
	struct session_event e;
	int ret;

	(void)ops;
	if (!st)
		return -ENOMEM;
	*priv = st;
	st->h = h;
	st->s = session__of(h);
	st->o = session__opts(h);
	st->w = session__writer(h);
	st->self = getpid();
	st->cache = sym_cache__new();
	if (!st->cache)
		return -ENOMEM;
	ret = sym_kallsyms__load(st->cache, "/proc/kallsyms");
	st->kallsyms_ok = ret == 0;
	if (ret)
		pft_warn("kernel symbols unavailable (%s): kernel frames will have no names",
			 ret == -EPERM ? "kernel.kptr_restrict hides the addresses"
				       : strerror(-ret));
	st->dwarf = st->o->cg_mode == CG_DWARF;
	st->freq = st->o->freq;
	if (st->dwarf) {
		st->unw = sym_unwinder__new(st->cache);
		st->regs_mask = st->unw ? sym_unwind_regs_mask() : 0;
		if (!st->regs_mask) {
			pft_warn("DWARF unwinding is not available in this build; using frame "
				 "pointers");
			st->dwarf = 0;
		}
		st->nregs = (unsigned)__builtin_popcountll(st->regs_mask);
	}

	/* The kernel refuses a frequency above kernel.perf_event_max_sample_rate
	 * (which it lowers itself when sampling interrupts run long): clamp to
	 * it, as perf does, rather than fail. */
	if (st->freq) {
		char buf[32];
		long max;

		if (pft_read_file("/proc/sys/kernel/perf_event_max_sample_rate", buf, sizeof(buf)) >
			    0 &&
		    !pft_parse_long(strtok(buf, "\n"), &max) && max > 0 &&
		    (uint64_t)max < st->freq) {
			pft_warn("-F %llu is above kernel.perf_event_max_sample_rate; sampling at "
				 "%ld Hz",
				 (unsigned long long)st->freq, max);
			st->freq = (uint64_t)max;
		}
	}

	/* CPU samples: cycles where a PMU exists, else the cpu-clock timer */
	memset(&e, 0, sizeof(e));
	e.label = "cycles";
	e.attr.type = PERF_TYPE_HARDWARE;
	e.attr.config = PERF_COUNT_HW_CPU_CYCLES;
	if (st->o->period) {
		e.attr.sample_period = st->o->period;
	} else {
		e.attr.freq = 1;
		e.attr.sample_freq = st->freq;
	}
	e.attr.sample_type = sample_type_of(st, KIND_CPU);
	if (st->dwarf) {
		e.attr.sample_regs_user = st->regs_mask;
		e.attr.sample_stack_user = st->o->stack_size;
		e.attr.exclude_callchain_user = 1;
	}
	e.fallback = e.attr;
	e.fallback_label = "cpu-clock";
	e.fallback.type = PERF_TYPE_SOFTWARE;
	e.fallback.config = PERF_COUNT_SW_CPU_CLOCK;
	e.record = on_cpu_record;
	e.priv = st;
	st->st[KIND_CPU].tp = session__add_event(st->s, &e);
	if (!st->st[KIND_CPU].tp)
		return -errno;

	if (!st->o->no_offcpu) {
		memset(&e, 0, sizeof(e));
		e.label = st->o->sleep_stacks ? "sched:sched_switch (off-cpu S+D)"
					      : "sched:sched_switch (D-state)";
		e.tp_system = "sched";
		e.tp_name = "sched_switch";
		e.attr.sample_period = 1;
		e.attr.sample_type = sample_type_of(st, KIND_OFFCPU);
		if (st->dwarf) {
			e.attr.sample_regs_user = st->regs_mask;
			e.attr.sample_stack_user = st->o->stack_size;
			e.attr.exclude_callchain_user = 1;
		}
		/* TASK_UNINTERRUPTIBLE is 2 in prev_state; S (interruptible) is 1 */
		e.filter = st->o->sleep_stacks ? "prev_state & 3" : "prev_state & 2";
		/* a plugin that reads the sleeper's memory (Python frames) must do
		 * it while the task still sleeps: wake the reader at each one */
		if (session__max_read_delay(st->s))
			e.attr.wakeup_events = 1;
		e.flags = PFT_EV_OPTIONAL;
		e.record = on_offcpu_record;
		e.priv = st;
		st->st[KIND_OFFCPU].tp = session__add_event(st->s, &e);
	}
	session__set_stack_attach(st->s, attach_event, st);
	session__set_sideband(st->s, SESSION_SIDEBAND_MMAP | SESSION_SIDEBAND_TASK, on_sideband,
			      on_lost, st);
	return 0;
}

static int stacks_start(void *priv)
{
	struct stacks *st = priv;
	struct dirent *de;
	DIR *d;

	/* Read the address spaces of the processes alive now, so samples of
	 * those that exit before their first drain still symbolize. */
	d = opendir("/proc");
	if (!d)
		return 0;
	while ((de = readdir(d)) != NULL) {
		long pid;

		if (pft_parse_long(de->d_name, &pid) || pid <= 0 || pid == st->self)
			continue;
		if (session__in_scope(st->s, (uint32_t)pid))
			sym_cache__maps(st->cache, (pid_t)pid, 1);
	}
	closedir(d);
	return 0;
}

static void stacks_flush(void *priv)
{
	struct stacks *st = priv;
	uint64_t now = pft_clock_ns(CLOCK_MONOTONIC_COARSE);
	size_t i, out;

	if (st->nexited) {
		for (i = 0, out = 0; i < st->nexited; i++) {
			struct exited *e = &st->exited[i];

			if (!e->seen_ns)
				e->seen_ns = now;
			if (now - e->seen_ns >= EXIT_GRACE_NS)
				sym_cache__drop_maps(st->cache, e->pid);
			else
				st->exited[out++] = *e;
		}
		st->nexited = out;
	}
	/* between samples, nothing holds the cache's pointers; once a second at most */
	if (now - st->trimmed_ns >= TRIM_EVERY_NS) {
		st->trimmed_ns = now;
		sym_cache__trim(st->cache);
	}
}

static void stacks_summary(void *priv);

static void stacks_fini(void *priv)
{
	struct stacks *st = priv;

	if (!st)
		return;
	sym_unwinder__free(st->unw);
	sym_cache__free(st->cache);
	free(st->exited);
	free(st);
}

/* Interning resets (generations after the first) and heap of a sample stream. */
static void stream_usage(const struct pw_stream *ps, uint64_t *resets, uint64_t *bytes)
{
	struct pw_stream_stats x;

	if (!ps)
		return;
	pw_stream__stats(ps, &x);
	*resets += x.generations > 1 ? x.generations - 1 : 0;
	*bytes += x.memory_bytes;
}

/* The streams go with the writer, which is closed before the summary: keep their figures. */
static void stacks_stop(void *priv)
{
	struct stacks *st = priv;
	unsigned i;

	st->intern_resets = st->intern_bytes = 0;
	for (i = 0; i < KIND__N; i++)
		stream_usage(st->st[i].ps, &st->intern_resets, &st->intern_bytes);
	for (i = 0; i < st->nevs; i++)
		stream_usage(st->evs[i].ps, &st->intern_resets, &st->intern_bytes);
}

/* -v: what the bounded caches forgot to stay within their memory */
static void stacks_summary_caches(const struct stacks *st, const struct sym_stats *ss)
{
	char b1[32], b2[32], b3[32];

	fprintf(stderr,
		"  caches: %llu processes forgotten, %llu ELF files evicted (%s held, cap %s), "
		"%llu stack interning resets (%s held)\n",
		(unsigned long long)ss->processes_dropped, (unsigned long long)ss->dsos_evicted,
		pft_fmt_bytes(ss->elf_bytes, b1, sizeof(b1)),
		ss->elf_limit ? pft_fmt_bytes(ss->elf_limit, b2, sizeof(b2)) : "none",
		(unsigned long long)st->intern_resets,
		pft_fmt_bytes(st->intern_bytes, b3, sizeof(b3)));
}

static void stacks_summary(void *priv)
{
	const struct stacks *st = priv;
	struct sym_stats ss;
	char b[32];
	int kind, i;

	if (pft_quiet || !st)
		return;
	for (kind = 0; kind < KIND__N; kind++) {
		const struct stream_state *x = &st->st[kind];

		if (!x->tp)
			continue;
		fprintf(stderr, "  stacks %-34s %10llu samples", session__event_label(x->tp),
			(unsigned long long)x->samples);
		/* a PERF_RECORD_LOST names the event that found the ring full:
		 * its count covers every record dropped on that cpu meanwhile */
		if (x->lost)
			fprintf(stderr, " (ring full: %llu records dropped meanwhile)",
				(unsigned long long)x->lost);
		fprintf(stderr, "\n");
	}
	for (i = 0; i < (int)st->nevs; i++) {
		fprintf(stderr, "  stacks %-34s %10llu samples", st->evs[i].name,
			(unsigned long long)st->evs[i].samples);
		if (st->evs[i].bad)
			fprintf(stderr, " (%llu malformed)", (unsigned long long)st->evs[i].bad);
		fprintf(stderr, "\n");
	}
	if (!pft_verbose)
		return;
	fprintf(stderr, "  user stacks: %llu dwarf-unwound, %llu frame-pointer, %llu kernel-only\n",
		(unsigned long long)st->user_stacks_dwarf, (unsigned long long)st->user_stacks_fp,
		(unsigned long long)st->kernel_only);
	if (st->user_stacks_dwarf) {
		fprintf(stderr, "  dwarf unwinds ended:");
		for (i = 0; i < SYM_UNWIND__MAX; i++)
			if (st->unwind_stop[i])
				fprintf(stderr, " %s %llu",
					sym_unwind_stop_str((enum sym_unwind_stop)i),
					(unsigned long long)st->unwind_stop[i]);
		fprintf(stderr, "\n");
	}
	sym_cache__stats(st->cache, &ss);
	fprintf(stderr,
		"  symbols: %llu ELF files (%llu without symbols), %llu symbols, %llu kernel "
		"symbols, %llu lookups (%llu unnamed), %s held\n",
		(unsigned long long)ss.dsos, (unsigned long long)ss.dsos_without_symbols,
		(unsigned long long)ss.symbols, (unsigned long long)ss.kernel_symbols,
		(unsigned long long)ss.lookups, (unsigned long long)ss.misses,
		pft_fmt_bytes(ss.memory_bytes, b, sizeof(b)));
	stacks_summary_caches(st, &ss);
	if (st->bad_samples)
		fprintf(stderr, "  %llu malformed samples skipped\n",
			(unsigned long long)st->bad_samples);
}

const struct pft_source_ops src_stacks_ops = {
	.abi_version = PFT_ABI_VERSION,
	.name = "stacks",
	.description = "sampled CPU stacks and off-CPU (D-state) stacks, unwound and symbolized",
	.init = stacks_init,
	.start = stacks_start,
	.flush = stacks_flush,
	.stop = stacks_stop,
	.summary = stacks_summary,
	.fini = stacks_fini,
};
