/* SPDX-License-Identifier: MIT */
/*
 * core/src_sysstrings: --syscall-strings, the path names of the open, stat,
 * exec, unlink, access, readlink, mkdir, rmdir and rename families.  This
 * kernel's syscall tracepoints carry only the pointers, so the strings are
 * fetched by uprobes on libc's wrappers (through the probes plugin, as
 * "uprobe:libc:openat path=+0(%si):ustring").  Each hit becomes an instant
 * "syscall_string" on the thread's track with the arguments call= and path=
 * (rename: path2= too); `pftrace dump` attaches it to the thread's next
 * sys_enter (core/reading.c).
 *
 * Only path arguments are fetched as strings: a ustring fetch of a buffer
 * with no NUL within a page makes this kernel WARN and drop the process's
 * later uprobe hits, and paths are NUL-terminated.
 *
 * At start, the descriptors the recorded processes (-p, the command) have
 * open already are written as instants "fd_name" (fd=, path=) on the
 * process's main thread, from /proc/PID/fd.
 *
 * Every call of a probed wrapper traps (~20 us on a VM): on for the recorded
 * processes (-p, COMMAND, -c), system-wide only with --syscall-strings=all.
 */
#include "config.h"
#include "core/options.h"
#include "core/session.h"
#include "core/source.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_PIDS 64
#define MAX_FDS 1024 /* per process, in the snapshot at start */

/* libc function, the register of its path argument, of a second path (or NULL) */
static const struct ssw {
	const char *fn, *reg, *reg2;
} wrappers[] = {
	{"open", "%di", NULL},	    {"openat", "%si", NULL},	 {"creat", "%di", NULL},
	{"stat", "%di", NULL},	    {"lstat", "%di", NULL},	 {"fstatat", "%si", NULL},
	{"statx", "%si", NULL},	    {"execve", "%di", NULL},	 {"unlink", "%di", NULL},
	{"unlinkat", "%si", NULL},  {"access", "%di", NULL},	 {"faccessat", "%si", NULL},
	{"readlink", "%di", NULL},  {"readlinkat", "%si", NULL}, {"mkdir", "%di", NULL},
	{"mkdirat", "%si", NULL},   {"rmdir", "%di", NULL},	 {"rename", "%di", "%si"},
	{"renameat", "%si", "%cx"}, {"truncate", "%di", NULL},	 {"chdir", "%di", NULL},
};
#define NW (sizeof(wrappers) / sizeof(wrappers[0]))

struct ss_probe {
	struct sysstrings *ss;
	const struct ssw *w;
	struct pft_event *ev;
	struct pft_field f[2];
	unsigned nf;
};

struct sysstrings {
	struct pft_host *h;
	const struct pft_host_ops *ops;
	struct ss_probe p[NW];
	unsigned np;
	uint64_t hits, fds;
	int on;
};

static int on_hit(void *priv, const struct pft_record *r)
{
	struct ss_probe *p = priv;
	struct sysstrings *ss = p->ss;
	struct pft_arg args[3];
	char buf[2][256];
	unsigned i;

	if (!ss->ops->in_scope(ss->h, r->pid, r->tid))
		return 0;
	args[0].name = "call";
	args[0].kind = PFT_ARG_STR;
	args[0].v.s = p->w->fn;
	for (i = 0; i < p->nf; i++) {
		args[i + 1].name = i ? "path2" : "path";
		args[i + 1].kind = PFT_ARG_STR;
		args[i + 1].v.s =
			pft_field_str(&p->f[i], r->raw, r->raw_size, buf[i], sizeof(buf[i]));
	}
	ss->hits++;
	ss->ops->instant(ss->h, ss->ops->track_thread(ss->h, r->pid, r->tid), r->ts,
			 "syscall_string", args, p->nf + 1);
	return 1;
}

static int sysstrings_init(struct pft_host *h, const struct pft_host_ops *ops, void **priv)
{
	const struct record_opts *o = session__opts(h);
	struct sysstrings *ss = calloc(1, sizeof(*ss));
	static const char *const names[] = {"path", "path2"};
	unsigned i;

	if (!ss)
		return -ENOMEM;
	*priv = ss;
	ss->h = h;
	ss->ops = ops;
	if (!session__filtered(h) || o->cgroup) {
		if (!o->syscall_strings_all) {
			ops->warn(h,
				  "--syscall-strings is off when recording %s: it would trap "
				  "every path call of every process; give --syscall-strings=all "
				  "to have it anyway",
				  session__filtered(h) ? "a cgroup" : "system-wide");
			return 0;
		}
		ops->warn(h,
			  "--syscall-strings=all: every open/stat/exec/unlink/... call of every "
			  "process now traps into a uprobe (~20 us each on a VM); record a command "
			  "or -p PID to limit it");
	}
	ss->on = 1;
	for (i = 0; i < NW; i++) {
		struct ss_probe *p = &ss->p[ss->np];
		const struct ssw *w = &wrappers[i];
		char spec[160];

		snprintf(spec, sizeof(spec), "uprobe:libc:%s path=+0(%s):ustring%s%s%s", w->fn,
			 w->reg, w->reg2 ? " path2=+0(" : "", w->reg2 ? w->reg2 : "",
			 w->reg2 ? "):ustring" : "");
		p->ss = ss;
		p->w = w;
		p->nf = w->reg2 ? 2 : 1;
		p->ev = ops->event(h, spec, 0, on_hit, p);
		if (!p->ev)
			continue;
		if (ops->fields(p->ev, names, p->f, p->nf)) {
			ops->drop(p->ev);
			continue;
		}
		ss->np++;
	}
	if (!ss->np) {
		ops->error(h, "no uprobe on libc's path functions could be set");
		return -ENOENT;
	}
	return 0;
}

/* The fds of @pid open now, as instants on its main thread's track. */
static void snapshot(struct sysstrings *ss, pid_t pid, uint64_t ts)
{
	char dir[64], link[64 + 256], path[PATH_MAX];
	struct dirent *de;
	unsigned n = 0;
	pft_track t = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d)) && n < MAX_FDS) {
		struct pft_arg args[2];
		char *end;
		long fd = strtol(de->d_name, &end, 10);
		ssize_t len;

		if (de->d_name[0] == '.' || *end || fd < 0)
			continue;
		snprintf(link, sizeof(link), "%s/%s", dir, de->d_name);
		len = readlink(link, path, sizeof(path) - 1);
		if (len <= 0)
			continue;
		path[len] = 0;
		if (!t)
			t = ss->ops->track_thread(ss->h, (uint32_t)pid, (uint32_t)pid);
		args[0].name = "fd";
		args[0].kind = PFT_ARG_INT;
		args[0].v.i = fd;
		args[1].name = "path";
		args[1].kind = PFT_ARG_STR;
		args[1].v.s = path;
		ss->ops->instant(ss->h, t, ts, "fd_name", args, 2);
		n++;
	}
	closedir(d);
	ss->fds += n;
}

static int sysstrings_start(void *priv)
{
	struct sysstrings *ss = priv;
	pid_t pids[MAX_PIDS];
	struct timespec now;
	unsigned n, i;

	if (!ss->on)
		return 0;
	clock_gettime(CLOCK_BOOTTIME, &now);
	n = ss->ops->target_pids(ss->h, pids, MAX_PIDS);
	for (i = 0; i < n && i < MAX_PIDS; i++)
		snapshot(ss, pids[i], (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec);
	return 0;
}

static void sysstrings_summary(void *priv)
{
	struct sysstrings *ss = priv;

	fprintf(stderr,
		"  syscall strings: %llu path names from %u libc functions, %llu fds open at "
		"start\n",
		(unsigned long long)ss->hits, ss->np, (unsigned long long)ss->fds);
}

static void sysstrings_fini(void *priv)
{
	free(priv);
}

const struct pft_source_ops src_sysstrings_ops = {
	.abi_version = PFT_ABI_VERSION,
	.name = "sysstrings",
	.description = "path names of syscalls from uprobes on libc (--syscall-strings)",
	.init = sysstrings_init,
	.start = sysstrings_start,
	.summary = sysstrings_summary,
	.fini = sysstrings_fini,
};
