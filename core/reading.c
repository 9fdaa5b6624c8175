/* SPDX-License-Identifier: MIT */
/* core/reading: see reading.h. */
#include "config.h"
#include "core/reading.h"
#include "core/syscall_names.h"
#include "core/sysdecode.h"
#include "core/u64map.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

struct thr {
	int tgid;
	char name[32];
	int pending; /* a sys_enter without its exit yet */
	int64_t pend_id;
	uint64_t pend_ts;
	unsigned pend_n;
	uint64_t pend_args[6];
	char *str, *str2; /* --syscall-strings: the last path(s) fetched, for the next sys_enter */
	char *pend_path;  /* the path of the syscall in progress (open's result names its fd) */
};

struct proc {
	int ppid;
	char *cmdline;
	char *exe;
};

struct reading {
	struct u64map thr;  /* tid + 1 -> struct thr * */
	struct u64map proc; /* pid + 1 -> struct proc * */
	struct u64map fds;  /* (pid << 32 | fd) + 1 -> char * (NULL: closed) */
	struct scd *scd;
	uint64_t num, first_ts;
	int have_first;
	struct evview v;
	char text[4096];
};

struct reading *reading_new(void)
{
	struct reading *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->scd = scd_new();
	if (!r->scd) {
		free(r);
		return NULL;
	}
	return r;
}

void reading_free(struct reading *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->thr.cap; i++) {
		struct thr *t = r->thr.keys[i] ? r->thr.vals[i] : NULL;

		if (t) {
			free(t->str);
			free(t->str2);
			free(t->pend_path);
			free(t);
		}
	}
	for (i = 0; i < r->fds.cap; i++)
		if (r->fds.keys[i])
			free(r->fds.vals[i]);
	u64map_free(&r->fds);
	for (i = 0; i < r->proc.cap; i++) {
		struct proc *p = r->proc.vals ? r->proc.vals[i] : NULL;

		if (r->proc.keys[i] && p) {
			free(p->cmdline);
			free(p->exe);
			free(p);
		}
	}
	u64map_free(&r->thr);
	u64map_free(&r->proc);
	scd_free(r->scd);
	free(r);
}

int reading__argsource(const struct reading *r)
{
	return scd_source(r->scd);
}

static struct thr *thr_get(struct reading *r, int tid)
{
	struct thr *t;

	if (tid <= 0)
		return NULL;
	t = u64map_get(&r->thr, (uint64_t)tid + 1);
	if (t)
		return t;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->tgid = -1;
	if (u64map_put(&r->thr, (uint64_t)tid + 1, t)) {
		free(t);
		return NULL;
	}
	return t;
}

static struct proc *proc_get(struct reading *r, int pid)
{
	struct proc *p;

	if (pid <= 0)
		return NULL;
	p = u64map_get(&r->proc, (uint64_t)pid + 1);
	if (p)
		return p;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->ppid = -1;
	if (u64map_put(&r->proc, (uint64_t)pid + 1, p)) {
		free(p);
		return NULL;
	}
	return p;
}

static const char *kind_of(const char *name, int lk)
{
	switch (lk) {
	case RL_PROCESS:
		return "process";
	case RL_THREAD:
		return "thread";
	case RL_LOST:
		return "lost";
	case RL_SAMPLE:
		return !strncmp(name, "samples_lost", 12) ? "lost" : "sample";
	case RL_TRACK:
		return !strcmp(name, "counter") ? "counter" : "span";
	default:
		break;
	}
	if (!strncmp(name, "sys_", 4))
		return "syscall";
	if (!strncmp(name, "sched_", 6) || !strncmp(name, "task_", 5))
		return "sched";
	return "other";
}

/* --- strings and file descriptors ------------------------------------------------- */

static int is_path_arg(const char *n)
{
	return !strcmp(n, "filename") || !strcmp(n, "pathname") || !strcmp(n, "path") ||
	       !strcmp(n, "oldname") || !strcmp(n, "oldpath");
}

static int is_path2_arg(const char *n)
{
	return !strcmp(n, "newname") || !strcmp(n, "newpath");
}

static int is_fd_arg(const char *n)
{
	return !strcmp(n, "fd") || !strcmp(n, "fildes") || !strcmp(n, "oldfd") ||
	       !strcmp(n, "dfd") || !strcmp(n, "olddfd") || !strcmp(n, "newdfd");
}

static uint64_t fd_key(int pid, long fd)
{
	return ((uint64_t)(uint32_t)pid << 32 | (uint32_t)fd) + 1;
}

static const char *fdn_get(struct reading *r, int pid, long fd)
{
	return pid > 0 && fd >= 0 ? u64map_get(&r->fds, fd_key(pid, fd)) : NULL;
}

static void fdn_set(struct reading *r, int pid, long fd, const char *name)
{
	uint64_t k;
	char *old, *c = NULL;

	if (pid <= 0 || fd < 0)
		return;
	k = fd_key(pid, fd);
	old = u64map_get(&r->fds, k);
	if (!name && !old)
		return; /* nothing to forget: traces without strings keep an empty table */
	if (name && !(c = strdup(name)))
		return;
	if (u64map_put(&r->fds, k, c)) {
		free(c);
		return;
	}
	free(old);
}

/* A new process (task_newtask without CLONE_THREAD) inherits its parent's fd names. */
static void fdn_fork(struct reading *r, int parent, int child)
{
	size_t i, cap = r->fds.cap;

	if (parent <= 0 || child <= 0 || parent == child)
		return;
	/* fdn_set() may grow the table: walk a copy of the parent's entries' keys */
	for (i = 0; i < cap && i < r->fds.cap; i++) {
		uint64_t k = r->fds.keys[i];
		char *name;

		if (!k || (int)(uint32_t)((k - 1) >> 32) != parent || !(name = r->fds.vals[i]))
			continue;
		name = strdup(name);
		if (!name)
			return;
		fdn_set(r, child, (long)(uint32_t)(k - 1), name);
		free(name);
	}
}

/* Strings into the decoded arguments from @first on: a path argument gets the
 * fetched string ("0x7ffd... (\"/etc/passwd\")"), an fd its name ("5(/var/log/x)"). */
static void decorate(struct reading *r, struct evview *v, const char *path, const char *path2,
		     int pid, unsigned first)
{
	unsigned i;
	char buf[600];

	for (i = first; i < v->nargs; i++) {
		const char *n = v->args[i].name, *val = v->args[i].val, *s = NULL;

		if (path && is_path_arg(n))
			s = path;
		else if (path2 && is_path2_arg(n))
			s = path2;
		if (s) {
			snprintf(buf, sizeof(buf), "%s(\"%s\")", val, s);
			v->args[i].val = ev_store(v, buf, strlen(buf));
			continue;
		}
		if (is_fd_arg(n)) {
			char *end;
			long fd = strtol(val, &end, 0);
			const char *fn = end != val ? fdn_get(r, pid, fd) : NULL;

			if (fn && (*end == 0 || *end == '(')) {
				snprintf(buf, sizeof(buf), "%ld(%s)", fd, fn);
				v->args[i].val = ev_store(v, buf, strlen(buf));
			}
		}
	}
}

/* The line's text again from its (decorated) arguments. */
static void args_text(struct reading *r, const struct evview *v)
{
	size_t len = 0;
	unsigned i;

	r->text[0] = 0;
	for (i = 0; i < v->nargs && len < sizeof(r->text); i++)
		len += (size_t)snprintf(r->text + len, sizeof(r->text) - len, "%s%s=%s",
					len ? " " : "", v->args[i].name, v->args[i].val);
}

static int sc_is(const char *name, const char *const *set)
{
	for (; name && *set; set++)
		if (!strcmp(name, *set))
			return 1;
	return 0;
}

static const char *const opens[] = {"open", "openat", "openat2", "creat", NULL};
static const char *const dups[] = {"dup", "dup2", "dup3", NULL};

/* After a syscall's exit: what its result says about the process's fds (open,
 * creat: the path fetched for the call; dup, dup2, dup3, fcntl F_DUPFD: the old
 * fd's name; close: forgotten).  A new process inherits the names (fdn_fork()).
 * Not followed: exec's O_CLOEXEC closes, a process's exit. */
static void fd_track(struct reading *r, struct thr *t, int pid, const char *name, int64_t res)
{
	if (res < 0)
		return;
	if (sc_is(name, opens)) {
		fdn_set(r, pid, (long)res, t->pend_path); /* no path fetched: unnamed */
	} else if ((sc_is(name, dups) ||
		    (!strcmp(name, "fcntl") && t->pend_n > 1 &&
		     (t->pend_args[1] == 0 || t->pend_args[1] == 1030))) && /* F_DUPFD(_CLOEXEC) */
		   t->pend_n) {
		const char *old = fdn_get(r, pid, (long)(int)t->pend_args[0]);

		if (old && (long)res != (long)(int)t->pend_args[0]) {
			char *c = strdup(old);

			if (c) {
				fdn_set(r, pid, (long)res, c);
				free(c);
			}
		}
	} else if (!strcmp(name, "close") && t->pend_n) {
		fdn_set(r, pid, (long)(int)t->pend_args[0], NULL);
	}
}

static void do_syscall(struct reading *r, struct evview *v, struct thr *t, int enter)
{
	uint64_t raw[6] = {0};
	unsigned n = 0;
	const char *a = ev_arg(v, "args"), *name;
	int64_t id = ev_arg_long(v, "id", -1);

	v->is_syscall = 1;
	v->sysid = id;
	name = syscall_name(id);
	v->type = name ? name : "unknown_syscall";
	v->nargs = 0; /* the raw id=/args= are replaced by the decoded arguments */
	r->text[0] = 0;
	if (enter) {
		v->dir = '>';
		while (a && *a && n < 6) {
			char *end;

			raw[n++] = strtoull(a, &end, 0);
			if (*end != ',')
				break;
			a = end + 1;
		}
		scd_args(r->scd, id, raw, n, v, r->text, sizeof(r->text));
		if (t) {
			int pid = t->tgid > 0 ? t->tgid : v->tid;

			free(t->pend_path);
			t->pend_path = t->str; /* NULL when nothing was fetched */
			t->str = NULL;
			if (t->pend_path || r->fds.n) {
				decorate(r, v, t->pend_path, t->str2, pid, 0);
				args_text(r, v);
			}
			free(t->str2);
			t->str2 = NULL;
			t->pending = 1;
			t->pend_id = id;
			t->pend_ts = v->ts;
			t->pend_n = n;
			memcpy(t->pend_args, raw, sizeof(raw));
		}
	} else {
		v->dir = '<';
	}
}

struct evview *reading__view(struct reading *r, const struct rline *l)
{
	struct evview *v = &r->v;
	const char *text = l->text ? l->text : l->kind == RL_SAMPLE ? "sample" : "";
	const char *sp = strchr(text, ' ');
	size_t nlen = sp ? (size_t)(sp - text) : strlen(text);
	struct thr *t = thr_get(r, l->tid);
	struct proc *p;
	char name[64];

	v->used = 0;
	v->nargs = 0;
	v->num = ++r->num;
	if (!r->have_first) {
		r->first_ts = l->ts;
		r->have_first = 1;
	}
	v->ts = l->ts;
	v->reltime = l->ts >= r->first_ts ? l->ts - r->first_ts : 0;
	v->cpu = l->cpu;
	v->tid = l->tid;
	v->pid = v->ppid = -1;
	v->thread_name = v->proc_name = v->cmdline = v->exe = NULL;
	v->dir = '>';
	v->is_syscall = 0;
	v->sysid = -1;
	v->has_res = v->has_latency = v->has_span_dur = 0;
	v->stack = v->span_name = NULL;
	if (nlen >= sizeof(name))
		nlen = sizeof(name) - 1;
	memcpy(name, text, nlen);
	name[nlen] = 0;
	v->type = ev_store(v, name, nlen);
	v->kind = kind_of(name, l->kind);
	v->args_text = sp ? sp + 1 : "";
	/* samples: the frames follow on the next lines; only the first is arguments */
	if (l->kind == RL_SAMPLE && strchr(v->args_text, '\n'))
		v->args_text = ev_store(v, v->args_text, strcspn(v->args_text, "\n"));
	ev_parse_args(v, v->args_text);

	if (t && l->comm && strcmp(l->comm, "?"))
		snprintf(t->name, sizeof(t->name), "%s", l->comm);
	switch (l->kind) {
	case RL_PROCESS: {
		int pid = (int)ev_arg_long(v, "pid", -1);
		const char *c = ev_arg(v, "cmdline");

		p = proc_get(r, pid);
		if (p) {
			p->ppid = (int)ev_arg_long(v, "ppid", -1);
			if (c && (!p->cmdline || strcmp(p->cmdline, c))) {
				size_t w = strcspn(c, " ");

				free(p->cmdline);
				free(p->exe);
				p->cmdline = strdup(c);
				p->exe = strndup(c, w);
			}
		}
		if (t)
			t->tgid = pid;
		break;
	}
	case RL_THREAD:
		if (t)
			t->tgid = (int)ev_arg_long(v, "tgid", -1);
		break;
	case RL_SAMPLE:
		if (t && t->tgid < 0 && ev_arg_long(v, "pid", -1) > 0)
			t->tgid = (int)ev_arg_long(v, "pid", -1);
		v->stack = l->fold && l->fold[0] ? l->fold : NULL;
		break;
	case RL_TRACK:
		v->span_name = ev_arg(v, "name");
		/* --syscall-strings: the path(s) of the thread's next syscall */
		if (t && !strcmp(v->type, "instant") && v->span_name &&
		    !strcmp(v->span_name, "syscall_string")) {
			const char *p1 = ev_arg(v, "path"), *p2 = ev_arg(v, "path2");

			free(t->str);
			free(t->str2);
			t->str = p1 ? strdup(p1) : NULL;
			t->str2 = p2 ? strdup(p2) : NULL;
		}
		/* --syscall-strings: a descriptor open when the recording started */
		if (!strcmp(v->type, "instant") && v->span_name &&
		    !strcmp(v->span_name, "fd_name") && l->tid > 0 && ev_arg(v, "path"))
			fdn_set(r, t && t->tgid > 0 ? t->tgid : l->tid, ev_arg_long(v, "fd", -1),
				ev_arg(v, "path"));
		if (!strcmp(v->type, "slice_end"))
			v->dir = '<';
		if (l->has_dur) {
			v->has_span_dur = 1;
			v->span_dur = l->dur;
		}
		break;
	case RL_EVENT:
		if (r->fds.n && !strcmp(v->type, "task_newtask") &&
		    !(strtoull(ev_arg(v, "clone_flags") ? ev_arg(v, "clone_flags") : "0", NULL, 0) &
		      0x10000 /* CLONE_THREAD */))
			fdn_fork(r, t && t->tgid > 0 ? t->tgid : l->tid,
				 (int)ev_arg_long(v, "pid", -1));
		if (!strcmp(v->type, "sys_enter") || !strcmp(v->type, "sys_exit")) {
			int enter = v->type[4] == 'e' && v->type[5] == 'n';
			const char *ret = ev_arg(v, "ret");
			int64_t res = ret ? strtoll(ret, NULL, 0) : 0;
			int64_t id = ev_arg_long(v, "id", -1);

			do_syscall(r, v, t, enter);
			if (!enter) {
				char rs[48];

				v->res = res;
				v->has_res = ret != NULL;
				scd_res(res, rs, sizeof(rs));
				v->args[v->nargs].name = "res";
				v->args[v->nargs].val = ev_store(v, rs, strlen(rs));
				v->nargs++;
				snprintf(r->text, sizeof(r->text), "res=%s", rs);
				if (t && t->pending && t->pend_id == id) {
					v->has_latency = 1;
					v->latency = v->ts - t->pend_ts;
					scd_args(r->scd, id, t->pend_args, t->pend_n, v, r->text,
						 sizeof(r->text));
					if (t->pend_path || r->fds.n) {
						decorate(r, v, t->pend_path, NULL,
							 t->tgid > 0 ? t->tgid : v->tid, 1);
						args_text(r, v);
					}
					fd_track(r, t, t->tgid > 0 ? t->tgid : v->tid, v->type,
						 res);
				}
				if (t) {
					t->pending = 0;
					free(t->pend_path);
					t->pend_path = NULL;
				}
			}
			v->args_text = ev_store(v, r->text, strlen(r->text));
		}
		break;
	default:
		break;
	}
	/* who: the thread, its process, the process's parent and command line */
	if (t) {
		v->thread_name = t->name[0] ? t->name : NULL;
		v->pid = t->tgid > 0 ? t->tgid : l->tid;
	} else if (l->tid == 0) {
		v->pid = 0;
		v->thread_name = v->proc_name = "swapper";
	}
	if (v->pid > 0) {
		struct thr *lead = u64map_get(&r->thr, (uint64_t)v->pid + 1);

		v->proc_name = lead && lead->name[0] ? lead->name : v->thread_name;
		p = u64map_get(&r->proc, (uint64_t)v->pid + 1);
		if (p) {
			v->ppid = p->ppid;
			v->cmdline = p->cmdline;
			v->exe = p->exe;
		}
	}
	return v;
}
