/* SPDX-License-Identifier: MIT */
/*
 * plugins/python: Python frames in sampled and off-CPU stacks.
 *
 * A stack hook: for a sample whose native frames hold CPython's eval loop
 * (_PyEval_EvalFrameDefault), it reads the thread's Python frame chain from
 * the process (process_vm_readv, no ptrace stop) and puts the Python frames
 * in place of the eval frames that ran them: up to 3.10 one eval frame per
 * Python frame, from 3.11 one eval frame per run of frames ending at an
 * entry frame.  A process is looked at the first time one of its samples
 * has an eval frame (other processes cost a scan of their frame names) and
 * again after an exec.  See README.md ("Python stacks") for what it shows.
 */
#include "config.h"
#include "pyframes.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <pftrace/pftrace.h>

#define NBUCKETS 256
#define DELAY_BUCKETS 64 /* log2 of ns */

enum { PY_UNKNOWN, PY_YES, PY_NO };

struct pyproc {
	struct pyproc *next; /* hash chain, or the retired list */
	uint32_t pid;
	int state;
	int version_hex; /* 0x030c01f0 when known exactly, else major/minor only */
	int version;	 /* 312 */
	char comm[17];
	char why[96]; /* PY_NO: why it is not read */
	struct pyf_proc w;
	uint64_t samples, with_frames, truncated;
	uint64_t fails[PYF_E__N];
	uint64_t delay[DELAY_BUCKETS];
	uint64_t hook_ns, hook_n;
	uint64_t attach_ns;
};

struct python {
	struct pft_host *h;
	const struct pft_host_ops *ops;
	struct pyproc *bucket[NBUCKETS];
	struct pyproc *retired; /* exited or exec'ed, kept for the summary */
	unsigned nretired;
	uint32_t pthread_tid_off;
	struct pyf_frame walk[PYF_MAX_DEPTH];
	struct pft_frame *tmp;
	unsigned tmpcap;
	uint64_t gone; /* processes gone before they could be looked at */
};

/* --- process memory and namespaces ------------------------------------------------ */

static struct python *the_x; /* for the read callback: one plugin instance per recording */

static ssize_t read_pid(void *ctx, uint64_t addr, void *buf, size_t len)
{
	struct pyproc *pp = ctx;

	return the_x->ops->read_memory(the_x->h, pp->pid, addr, buf, len);
}

/* The last NSpid of /proc/PID/task/TID/status (the tid inside the process's namespace). */
static int ns_tid(void *ctx, uint32_t tid, uint32_t *out)
{
	struct pyproc *pp = ctx;
	char path[64], line[256];
	FILE *f;
	int ret = -ENOENT;

	snprintf(path, sizeof(path), "/proc/%u/task/%u/status", pp->pid, tid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *p, *end;
		unsigned long v;

		if (strncmp(line, "NSpid:", 6))
			continue;
		for (p = line + 6;; p = end) {
			v = strtoul(p, &end, 10);
			if (end == p)
				break;
			*out = (uint32_t)v;
			ret = 0;
		}
		break;
	}
	fclose(f);
	return ret;
}

/* Is @pid in another pid namespace than ours (more than one NSpid)? */
static int other_pidns(uint32_t pid)
{
	char path[64], line[256];
	FILE *f;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%u/status", pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		char *p = line + 6, *end;

		if (strncmp(line, "NSpid:", 6))
			continue;
		while (strtoul(p, &end, 10), end != p)
			n++, p = end;
		break;
	}
	fclose(f);
	return n > 1;
}

/* offsetof(struct pthread, tid) in our own libc: the int of pthread_self()'s
 * block that holds our tid (read with process_vm_readv: no fault possible). */
static uint32_t calibrate_pthread_tid(void)
{
	unsigned char b[2048];
	struct iovec l = {b, sizeof(b)}, r = {(void *)pthread_self(), sizeof(b)};
	int32_t tid = (int32_t)syscall(SYS_gettid), v;
	ssize_t n = process_vm_readv(getpid(), &l, 1, &r, 1, 0);
	uint32_t off;

	for (off = 0x100; n > 0 && off + 4 <= (size_t)n; off += 4) {
		memcpy(&v, b + off, 4);
		if (v == tid)
			return off;
	}
	return 0x2d0; /* glibc x86-64 */
}

/* --- finding the interpreter -------------------------------------------------------- */

struct scan {
	char lib[4096];		  /* a libpythonX.Y mapping */
	char exe[4096];		  /* or a pythonX.Y executable */
	int lib_minor, exe_minor; /* from the names, -1 unknown */
	int major;
};

static int minor_of(const char *base, int *major)
{
	const char *p = strstr(base, "python");
	char *end;
	long mj, mn;

	if (!p)
		return -1;
	p += 6;
	mj = strtol(p, &end, 10);
	if (end == p || *end != '.')
		return -1;
	mn = strtol(end + 1, &end, 10);
	*major = (int)mj;
	return (int)mn;
}

static int scan_one(void *ctx, const struct pft_mapping *m)
{
	struct scan *s = ctx;
	const char *base = strrchr(m->path, '/');

	if (!base || !(m->prot & PFT_MAP_EXEC))
		return 0;
	base++;
	if (!strncmp(base, "libpython", 9) && !s->lib[0]) {
		snprintf(s->lib, sizeof(s->lib), "%s", m->path);
		s->lib_minor = minor_of(base, &s->major);
	} else if (!strncmp(base, "python", 6) && !s->exe[0]) {
		snprintf(s->exe, sizeof(s->exe), "%s", m->path);
		s->exe_minor = minor_of(base, &s->major);
	}
	return 0;
}

static void read_comm(uint32_t pid, char *out, size_t cap)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/comm", pid);
	out[0] = 0;
	f = fopen(path, "re");
	if (f) {
		if (fgets(out, (int)cap, f))
			out[strcspn(out, "\n")] = 0;
		fclose(f);
	}
}

/* Sets pp->state; on PY_NO, pp->why says why (warned once by the caller). */
static void attach(struct python *x, struct pyproc *pp)
{
	const struct pft_host_ops *ops = x->ops;
	struct scan s;
	const char *file = NULL;
	uint64_t runtime = 0, vaddr = 0, code_type = 0;
	struct pyf_offsets o;
	const struct pyf_offsets *t;
	int minor = -1;
	uint32_t hex = 0;

	pp->state = PY_NO;
	read_comm(pp->pid, pp->comm, sizeof(pp->comm));
	memset(&s, 0, sizeof(s));
	s.lib_minor = s.exe_minor = -1;
	if (ops->mappings(x->h, pp->pid, scan_one, &s) < 0) {
		x->gone++; /* exited before its first sample was read: not a warning */
		return;
	}
	if (!s.lib[0] && !s.exe[0])
		return; /* no Python mapped (any more: a vfork child that exec'ed) */
	/* _PyRuntime lives in libpython when there is one, else in the executable */
	if (s.lib[0] && !ops->symbol_address(x->h, pp->pid, s.lib, "_PyRuntime", &runtime)) {
		file = s.lib;
		minor = s.lib_minor;
	} else if (s.exe[0] && !ops->symbol_address(x->h, pp->pid, s.exe, "_PyRuntime", &runtime)) {
		file = s.exe;
		minor = s.exe_minor;
	} else {
		snprintf(pp->why, sizeof(pp->why), "no _PyRuntime symbol found (stripped?)");
		return;
	}
	/* 3.11+ says its version in Py_Version; before, the file name does */
	if (!ops->symbol_address(x->h, pp->pid, file, "Py_Version", &vaddr) &&
	    ops->read_memory(x->h, pp->pid, vaddr, &hex, 4) == 4 && (hex >> 24) == 3) {
		pp->version_hex = (int)hex;
		s.major = 3;
		minor = (int)(hex >> 16 & 0xff);
	}
	if (s.major != 3 || minor < 0) {
		snprintf(pp->why, sizeof(pp->why), "unknown Python version (%.60s)", file);
		return;
	}
	pp->version = 300 + minor;
	if (pp->version == 313) {
		unsigned char dbg[PYF_DEBUG_OFFSETS_SIZE];

		if (ops->read_memory(x->h, pp->pid, runtime, dbg, sizeof(dbg)) !=
			    (ssize_t)sizeof(dbg) ||
		    pyf_offsets__from_debug(dbg, sizeof(dbg), &o)) {
			snprintf(pp->why, sizeof(pp->why),
				 "Python 3.13 without the expected _Py_DebugOffsets");
			return;
		}
		t = &o;
	} else if (!(t = pyf_offsets__find(pp->version))) {
		snprintf(pp->why, sizeof(pp->why), "Python %d.%d is not supported (3.8-3.13 are)",
			 s.major, minor);
		return;
	}
	ops->symbol_address(x->h, pp->pid, file, "PyCode_Type", &code_type);
	if (pyf_proc__init(&pp->w, t, runtime, read_pid, pp)) {
		snprintf(pp->why, sizeof(pp->why), "out of memory");
		return;
	}
	pp->w.code_type = code_type;
	pp->w.pthread_tid_off = x->pthread_tid_off;
	if (other_pidns(pp->pid))
		pp->w.ns_tid = ns_tid;
	pp->state = PY_YES;
}

static uint64_t now_ns(clockid_t c)
{
	struct timespec t;

	clock_gettime(c, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* --- per-process state ----------------------------------------------------------- */

static struct pyproc *proc_get(struct python *x, uint32_t pid)
{
	struct pyproc **b = &x->bucket[pid % NBUCKETS], *pp;

	for (pp = *b; pp; pp = pp->next)
		if (pp->pid == pid)
			return pp;
	pp = calloc(1, sizeof(*pp));
	if (!pp)
		return NULL;
	pp->pid = pid;
	pp->next = *b;
	*b = pp;
	pp->attach_ns = now_ns(CLOCK_MONOTONIC);
	attach(x, pp);
	pp->attach_ns = now_ns(CLOCK_MONOTONIC) - pp->attach_ns;
	if (pp->state == PY_NO && pp->why[0])
		x->ops->warn(x->h, "pid %u (%s): not reading its Python frames: %s", pid, pp->comm,
			     pp->why);
	return pp;
}

/* The process exited or exec'ed: keep its statistics, drop its state. */
static void proc_retire(struct python *x, uint32_t pid)
{
	struct pyproc **b = &x->bucket[pid % NBUCKETS], *pp;

	for (; (pp = *b); b = &pp->next) {
		if (pp->pid != pid)
			continue;
		*b = pp->next;
		pyf_proc__fini(&pp->w);
		if (pp->state == PY_YES && x->nretired < 4096) {
			pp->next = x->retired;
			x->retired = pp;
			x->nretired++;
		} else {
			free(pp);
		}
		return;
	}
}

static int on_exec(void *priv, const struct pft_record *rec)
{
	proc_retire(priv, rec->pid);
	return 0;
}

static int on_process_exit(void *priv, const struct pft_record *rec)
{
	if (rec->pid == rec->tid)
		proc_retire(priv, rec->pid);
	return 0;
}

/* --- the stack hook ---------------------------------------------------------------- */

static int is_eval(const char *fn)
{
	return fn && fn[0] == '_' && !strncmp(fn, "_PyEval_EvalFrameDefault", 24) &&
	       (fn[24] == 0 || fn[24] == '.');
}

/* Python 2's eval loop: such a process is looked at only to say it is not read. */
static int is_old_eval(const char *fn)
{
	return fn && fn[0] == 'P' && !strcmp(fn, "PyEval_EvalFrameEx");
}

/* Frames a thread starts at: a stack whose root is one of these is whole. */
static int is_root(const char *fn)
{
	static const char *const roots[] = {"_start",
					    "__libc_start_main",
					    "__libc_start_call_main",
					    "start_thread",
					    "clone",
					    "clone3",
					    "__clone",
					    "__clone3"};
	unsigned i;

	for (i = 0; fn && i < sizeof(roots) / sizeof(roots[0]); i++)
		if (!strcmp(fn, roots[i]))
			return 1;
	return 0;
}

static void py_frame(struct pft_frame *f, const struct pyf_frame *pf)
{
	memset(f, 0, sizeof(*f));
	f->kind = PFT_FRAME_INTERPRETED;
	f->function = pf->code->func[0] ? pf->code->func : "[python]";
	f->source_file = pf->code->file;
	f->map_path = pf->code->file;
	f->line = (uint32_t)pf->line;
}

static void marker(struct pft_frame *f, const char *what)
{
	memset(f, 0, sizeof(*f));
	f->kind = PFT_FRAME_INTERPRETED;
	f->function = what;
	f->map_path = "[python]";
}

/*
 * Rewrite @st: eval frames replaced by the runs of Python frames @w[0..@nw)
 * (leaf first) they ran.  Returns PYF_OK, or PYF_E_MISMATCH (then @st is
 * left with its native frames and a marker).
 */
static int interleave(struct python *x, struct pyproc *pp, struct pft_stack *st,
		      const struct pyf_frame *w, unsigned nw)
{
	unsigned evals[256], ne = 0, nseg = 0, i, k, seg_of_first, out = 0;
	unsigned seg_start[PYF_MAX_DEPTH + 1];
	struct pft_frame *t = x->tmp;
	unsigned cap = x->tmpcap;

	for (i = 0; i < st->nframes && ne < 256; i++)
		if (is_eval(st->frames[i].function))
			evals[ne++] = i;
	/* runs, leaf first: run r is w[seg_start[r] .. seg_start[r+1]) */
	for (i = 0; i < nw; i++) {
		if (i == 0 || w[i - 1].entry)
			seg_start[nseg++] = i;
	}
	seg_start[nseg] = nw;
	if (nseg < ne || (nseg > ne && is_root(st->frames[0].function)))
		return PYF_E_MISMATCH;
	if (nseg > ne)
		pp->truncated++; /* the native stack lost its root: extra runs go there */
	/* root first: the runs no eval frame is left for, then each eval frame's run */
	seg_of_first = nseg - ne; /* runs [seg_of_first, nseg) are leftover, rootmost */
	for (k = nseg; k-- > nseg - seg_of_first && out < cap;) {
		for (i = seg_start[k + 1]; i-- > seg_start[k] && out < cap;)
			py_frame(&t[out++], &w[i]);
	}
	{
		unsigned e = 0;

		for (i = 0; i < st->nframes && out < cap; i++) {
			unsigned r, j;

			if (e < ne && i == evals[e]) {
				r = ne - 1 - e; /* the run of this eval frame (leaf = 0) */
				e++;
				if (seg_start[r + 1] == seg_start[r]) {
					t[out++] = st->frames[i]; /* an empty run: keep it */
					continue;
				}
				for (j = seg_start[r + 1]; j-- > seg_start[r] && out < cap;)
					py_frame(&t[out++], &w[j]);
				continue;
			}
			t[out++] = st->frames[i];
		}
	}
	/* too many for the sample: keep the leaf end */
	if (out > st->cap) {
		memmove(t, t + (out - st->cap), st->cap * sizeof(*t));
		out = st->cap;
	}
	memcpy(st->frames, t, out * sizeof(*t));
	st->nframes = out;
	return PYF_OK;
}

/* A marker frame for a failed walk, as the child of the leafmost eval frame. */
static void mark_failed(struct pft_stack *st, const char *what)
{
	unsigned i, at = 0;

	if (st->nframes >= st->cap)
		return;
	for (i = 0; i < st->nframes; i++)
		if (is_eval(st->frames[i].function))
			at = i + 1;
	memmove(st->frames + at + 1, st->frames + at, (st->nframes - at) * sizeof(*st->frames));
	marker(&st->frames[at], what);
	st->nframes++;
}

static void delay_add(struct pyproc *pp, int64_t d)
{
	unsigned b = 0;

	if (d < 0)
		d = 0;
	while (b + 1 < DELAY_BUCKETS && ((uint64_t)d >> b) > 1)
		b++;
	pp->delay[b]++;
}

static void py_hook(void *priv, struct pft_stack *st)
{
	struct python *x = priv;
	struct pyproc *pp;
	uint64_t t0, tstate;
	unsigned i, nw = 0;
	int ret;

	for (i = 0; i < st->nframes; i++)
		if (is_eval(st->frames[i].function) || is_old_eval(st->frames[i].function))
			break;
	if (i == st->nframes)
		return; /* no interpreter on this stack: nothing to do */
	pp = proc_get(x, st->pid);
	if (!pp || pp->state != PY_YES)
		return;
	t0 = now_ns(CLOCK_MONOTONIC);
	if (!x->tmp || x->tmpcap < st->cap + PYF_MAX_DEPTH) {
		free(x->tmp);
		x->tmpcap = st->cap + PYF_MAX_DEPTH;
		x->tmp = calloc(x->tmpcap, sizeof(*x->tmp));
		if (!x->tmp) {
			x->tmpcap = 0;
			return;
		}
	}
	pp->samples++;
	delay_add(pp, (int64_t)(now_ns(CLOCK_BOOTTIME) - st->ts));
	ret = pyf_proc__tstate(&pp->w, st->tid, &tstate);
	if (ret == PYF_OK)
		ret = pyf_proc__walk(&pp->w, tstate, x->walk, PYF_MAX_DEPTH, &nw);
	if (ret == PYF_E_DEPTH)
		pp->fails[PYF_E_DEPTH]++, ret = PYF_OK;
	if (ret == PYF_OK)
		ret = interleave(x, pp, st, x->walk, nw);
	if (ret == PYF_OK && nw) {
		pp->with_frames++;
	} else if (ret != PYF_OK) {
		pp->fails[ret]++;
		if (ret == PYF_E_CHANGED || ret == PYF_E_MISMATCH)
			mark_failed(st, "[python: frames changed under the read]");
		else if (ret == PYF_E_READ || ret == PYF_E_GARBAGE)
			mark_failed(st, "[python: frames unreadable]");
	}
	pp->hook_ns += now_ns(CLOCK_MONOTONIC) - t0;
	pp->hook_n++;
}

/* --- source ops ---------------------------------------------------------------- */

static int python_init(struct pft_host *h, const struct pft_host_ops *ops, void **priv)
{
	struct python *x = calloc(1, sizeof(*x));
	const char *delay = ops->option(h, "delay");
	uint32_t delay_ms = 10;
	int ret;

	if (!x)
		return -ENOMEM;
	*priv = x;
	x->h = h;
	x->ops = ops;
	the_x = x;
	x->pthread_tid_off = calibrate_pthread_tid();
	if (delay) {
		char *end;
		unsigned long ms = strtoul(delay, &end, 10);

		if (end == delay || *end || ms > 1000) {
			ops->error(h, "option delay=%s: expected milliseconds, 0 to 1000", delay);
			return -EINVAL;
		}
		delay_ms = (uint32_t)ms;
	}
	/* the frames are read after the sample: read the rings promptly */
	if (delay_ms)
		ops->max_read_delay(h, delay_ms);
	ret = ops->stack_hook(h, py_hook, x);
	if (ret) {
		ops->error(h, "no stacks to add Python frames to (%s)",
			   ret == -ENOTSUP ? "--no-stacks" : strerror(-ret));
		return ret;
	}
	/* per-process state is dropped at exec and exit (pids are reused) */
	ops->tracepoint(h, "sched", "sched_process_exec", PFT_EV_OPTIONAL | PFT_EV_OTHER_TASK,
			on_exec, x);
	ops->tracepoint(h, "sched", "sched_process_exit", PFT_EV_OPTIONAL | PFT_EV_OTHER_TASK,
			on_process_exit, x);
	return 0;
}

static uint64_t pct(const uint64_t *hist, double q)
{
	uint64_t total = 0, acc = 0;
	unsigned b;

	for (b = 0; b < DELAY_BUCKETS; b++)
		total += hist[b];
	for (b = 0; b < DELAY_BUCKETS; b++) {
		acc += hist[b];
		if (total && acc >= q * (double)total)
			return (uint64_t)2 << b; /* the bucket's upper bound */
	}
	return 0;
}

static void put_ns(char *buf, size_t cap, uint64_t ns)
{
	if (ns < 10000)
		snprintf(buf, cap, "%lluus", (unsigned long long)(ns + 999) / 1000);
	else if (ns < 10000000)
		snprintf(buf, cap, "%.1fms", (double)ns / 1e6);
	else
		snprintf(buf, cap, "%llums", (unsigned long long)ns / 1000000);
}

static void summary_one(const struct pyproc *pp)
{
	char ver[32], p50[32], p99[32], fails[256];
	size_t len = 0;
	unsigned e;

	if (pp->version_hex)
		snprintf(ver, sizeof(ver), "%d.%d.%d", pp->version_hex >> 24,
			 pp->version_hex >> 16 & 0xff, pp->version_hex >> 8 & 0xff);
	else
		snprintf(ver, sizeof(ver), "%d.%d", pp->version / 100, pp->version % 100);
	fails[0] = 0;
	for (e = 1; e < PYF_E__N; e++) {
		if (!pp->fails[e] || len >= sizeof(fails))
			continue;
		len += (size_t)snprintf(fails + len, sizeof(fails) - len, "%s %s %llu",
					len ? "," : "", pyf_error_str((int)e),
					(unsigned long long)pp->fails[e]);
	}
	put_ns(p50, sizeof(p50), pct(pp->delay, 0.5));
	put_ns(p99, sizeof(p99), pct(pp->delay, 0.99));
	fprintf(stderr,
		"  python: pid %u (%s) CPython %s: %llu of %llu samples with Python frames; "
		"not read:%s; sample-to-read delay p50 <=%s p99 <=%s; %.1fus per sample, "
		"%.1f reads/sample, %llu code objects read, %.1fms to attach\n",
		pp->pid, pp->comm, ver, (unsigned long long)pp->with_frames,
		(unsigned long long)pp->samples, fails[0] ? fails : " none", p50, p99,
		pp->hook_n ? (double)pp->hook_ns / 1e3 / (double)pp->hook_n : 0.0,
		pp->samples ? (double)pp->w.reads / (double)pp->samples : 0.0,
		(unsigned long long)pp->w.code_misses, (double)pp->attach_ns / 1e6);
}

static void python_summary(void *priv)
{
	struct python *x = priv;
	const struct pyproc *pp;
	unsigned b, n = 0, shown = 0;

	for (pp = x->retired; pp; pp = pp->next)
		n++;
	for (b = 0; b < NBUCKETS; b++)
		for (pp = x->bucket[b]; pp; pp = pp->next)
			n += pp->state == PY_YES;
	fprintf(stderr, "  python: %u Python process%s read", n, n == 1 ? "" : "es");
	if (x->gone)
		fprintf(stderr, "; %llu process%s gone before their first sample was read",
			(unsigned long long)x->gone, x->gone == 1 ? "" : "es");
	fputc('\n', stderr);
	for (pp = x->retired; pp && shown < 50; pp = pp->next, shown++)
		summary_one(pp);
	for (b = 0; b < NBUCKETS; b++)
		for (pp = x->bucket[b]; pp && shown < 50; pp = pp->next)
			if (pp->state == PY_YES)
				summary_one(pp), shown++;
	if (shown < n)
		fprintf(stderr, "  python: (%u more not listed)\n", n - shown);
}

static void python_fini(void *priv)
{
	struct python *x = priv;
	struct pyproc *pp, *next;
	unsigned b;

	if (!x)
		return;
	for (b = 0; b < NBUCKETS; b++)
		for (pp = x->bucket[b]; pp; pp = next) {
			next = pp->next;
			pyf_proc__fini(&pp->w);
			free(pp);
		}
	for (pp = x->retired; pp; pp = next) {
		next = pp->next;
		free(pp);
	}
	free(x->tmp);
	if (the_x == x)
		the_x = NULL;
	free(x);
}

static const struct pft_source_ops python_source = {
	.abi_version = PFT_ABI_VERSION,
	.name = "python",
	.description = "Python frames (CPython 3.8-3.13) in sampled and off-CPU stacks",
	.init = python_init,
	.summary = python_summary,
	.fini = python_fini,
};

static const struct pft_plugin_option python_options[] = {
	{"delay",
	 "read the rings at least every MS milliseconds (0: only when a quarter full), "
	 "as Python frames are read after the sample",
	 "10"},
	{NULL, NULL, NULL},
};

const struct pft_plugin pftrace_plugin = {
	.abi_version = PFT_ABI_VERSION,
	.name = "python",
	.description = "Python frames (CPython 3.8-3.13) in sampled and off-CPU stacks, in "
		       "place of the interpreter frames that ran them",
	.options = python_options,
	.source = &python_source,
};
