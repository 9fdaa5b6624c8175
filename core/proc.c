/* SPDX-License-Identifier: MIT */
/*
 * core/proc: /proc snapshots and incremental process/thread descriptions.
 */
#include "config.h"
#include "core/proc.h"
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
#include <unistd.h>

#define PF_KTHREAD 0x00200000
#define TREE_CHUNK 512

enum pending_kind { PEND_PROCESS, PEND_THREAD, PEND_EXEC };

struct pending {
	uint64_t ts;
	int32_t tid, tgid;
	int32_t ppid; /* the creator's tgid, when known */
	enum pending_kind kind;
	char comm[16];
	char filename[128];
};

struct proc_state {
	struct pw_writer *w;
	struct pending *q;
	size_t nq, capq;
	uint64_t described;
	/* scratch for one ProcessTree packet */
	struct pw_process procs[TREE_CHUNK];
	struct pw_thread threads[TREE_CHUNK];
	char *cmdbuf[TREE_CHUNK];
	char *namebuf[TREE_CHUNK];
	size_t np, nt;
	uint64_t ts;
};

struct proc_state *proc_state__new(struct pw_writer *w)
{
	struct proc_state *ps = calloc(1, sizeof(*ps));

	if (ps)
		ps->w = w;
	return ps;
}

static void tree_reset(struct proc_state *ps)
{
	size_t i;

	for (i = 0; i < ps->np; i++)
		free(ps->cmdbuf[i]);
	for (i = 0; i < ps->nt; i++)
		free(ps->namebuf[i]);
	ps->np = ps->nt = 0;
}

static void tree_emit(struct proc_state *ps)
{
	if (ps->np || ps->nt)
		pw_process_tree(ps->w, ps->ts, ps->procs, ps->np, ps->threads, ps->nt);
	ps->described += ps->np;
	tree_reset(ps);
}

void proc_state__free(struct proc_state *ps)
{
	if (!ps)
		return;
	tree_reset(ps);
	free(ps->q);
	free(ps);
}

uint64_t proc_state__described(const struct proc_state *ps)
{
	return ps->described;
}

/* stat: "pid (comm) S ppid ... flags(9th)" -- comm may hold spaces and ')'. */
static int read_stat(int dirfd, pid_t *ppid, unsigned long *flags, char *comm, size_t cap)
{
	char buf[1024], *l, *r;
	ssize_t n = pft_read_file_at(dirfd, "stat", buf, sizeof(buf));
	int ppid_i;
	unsigned long fl;
	char st;

	if (n <= 0)
		return -ENOENT;
	l = strchr(buf, '(');
	r = strrchr(buf, ')');
	if (!l || !r || r < l)
		return -EINVAL;
	if (comm) {
		size_t len = (size_t)(r - l - 1);

		if (len >= cap)
			len = cap - 1;
		memcpy(comm, l + 1, len);
		comm[len] = 0;
	}
	if (sscanf(r + 1, " %c %d %*d %*d %*d %*d %lu", &st, &ppid_i, &fl) != 3)
		return -EINVAL;
	*ppid = ppid_i;
	*flags = fl;
	return 0;
}

static char *read_cmdline(int dirfd, size_t *len)
{
	char *buf = malloc(4096);
	ssize_t n;

	if (!buf)
		return NULL;
	n = pft_read_file_at(dirfd, "cmdline", buf, 4096);
	if (n <= 0) {
		free(buf);
		return NULL;
	}
	*len = (size_t)n;
	return buf;
}

static void add_process(struct proc_state *ps, pid_t pid, pid_t ppid, int uid, char *cmdline,
			size_t len, int kthread, int is_comm)
{
	struct pw_process *p;

	if (ps->np == TREE_CHUNK || ps->nt == TREE_CHUNK)
		tree_emit(ps);
	p = &ps->procs[ps->np];
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->ppid = ppid;
	p->uid = uid;
	p->cmdline = cmdline;
	p->cmdline_len = len;
	p->is_kthread = kthread;
	p->cmdline_is_comm = is_comm;
	ps->cmdbuf[ps->np++] = cmdline;
}

static void add_thread(struct proc_state *ps, pid_t tid, pid_t tgid, const char *name)
{
	struct pw_thread *t;

	if (ps->np == TREE_CHUNK || ps->nt == TREE_CHUNK)
		tree_emit(ps);
	t = &ps->threads[ps->nt];
	t->tid = tid;
	t->tgid = tgid;
	ps->namebuf[ps->nt] = strdup(name ? name : "");
	t->name = ps->namebuf[ps->nt];
	ps->nt++;
}

/* Describe one live process (and its threads) from its /proc directory. */
static int describe_pid(struct proc_state *ps, pid_t pid, const char *fallback_cmd)
{
	char path[64], comm[64];
	unsigned long flags = 0;
	pid_t ppid = 0;
	struct stat st;
	char *cmd;
	size_t len = 0;
	int kthread, dfd, tfd;
	DIR *d;
	struct dirent *de;

	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	if (read_stat(dfd, &ppid, &flags, comm, sizeof(comm)) || fstat(dfd, &st)) {
		close(dfd);
		return -ENOENT;
	}
	kthread = (flags & PF_KTHREAD) || pid == 2 || ppid == 2;
	cmd = kthread ? NULL : read_cmdline(dfd, &len);
	if (!cmd && fallback_cmd) {
		cmd = strdup(fallback_cmd);
		len = cmd ? strlen(cmd) + 1 : 0;
	}
	if (!cmd) {
		cmd = strdup(comm);
		len = cmd ? strlen(cmd) + 1 : 0;
		add_process(ps, pid, ppid, (int)st.st_uid, cmd, len, kthread, 1);
	} else {
		add_process(ps, pid, ppid, (int)st.st_uid, cmd, len, kthread, 0);
	}

	tfd = openat(dfd, "task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	d = tfd >= 0 ? fdopendir(tfd) : NULL;
	if (!d) {
		if (tfd >= 0)
			close(tfd);
		add_thread(ps, pid, pid, comm);
	} else {
		while ((de = readdir(d)) != NULL) {
			char tcomm[64], p2[300];
			long tid;

			if (pft_parse_long(de->d_name, &tid))
				continue;
			snprintf(p2, sizeof(p2), "%s/comm", de->d_name);
			if (pft_read_file_at(tfd, p2, tcomm, sizeof(tcomm)) <= 0)
				snprintf(tcomm, sizeof(tcomm), "%s", comm);
			tcomm[strcspn(tcomm, "\n")] = 0;
			add_thread(ps, (pid_t)tid, pid, tcomm);
		}
		closedir(d);
	}
	close(dfd);
	return 0;
}

int proc_state__scan(struct proc_state *ps, uint64_t ts, int (*want)(void *ctx, pid_t pid),
		     void *ctx)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int n = 0;

	if (!d)
		return -errno;
	ps->ts = ts;
	while ((de = readdir(d)) != NULL) {
		long pid;

		if (pft_parse_long(de->d_name, &pid) || pid <= 0)
			continue;
		if (want && !want(ctx, (pid_t)pid))
			continue;
		if (!describe_pid(ps, (pid_t)pid, NULL))
			n++;
	}
	closedir(d);
	tree_emit(ps);
	return n;
}

static struct pending *queue(struct proc_state *ps)
{
	if (ps->nq == ps->capq) {
		size_t ncap = ps->capq ? ps->capq * 2 : 64;
		struct pending *nq = realloc(ps->q, ncap * sizeof(*nq));

		if (!nq)
			return NULL;
		ps->q = nq;
		ps->capq = ncap;
	}
	return &ps->q[ps->nq++];
}

void proc_state__new_task(struct proc_state *ps, uint64_t ts, int32_t tid, int32_t creator_tgid,
			  int is_thread, const char *comm)
{
	struct pending *p = queue(ps);

	if (!p)
		return;
	p->ts = ts;
	p->tid = tid;
	p->tgid = is_thread ? creator_tgid : tid;
	p->kind = is_thread ? PEND_THREAD : PEND_PROCESS;
	p->ppid = creator_tgid;
	snprintf(p->comm, sizeof(p->comm), "%s", comm);
	p->filename[0] = 0;
}

void proc_state__exec(struct proc_state *ps, uint64_t ts, int32_t pid, const char *filename)
{
	struct pending *p = queue(ps);

	if (!p)
		return;
	p->ts = ts;
	p->tid = pid;
	p->tgid = pid;
	p->kind = PEND_EXEC;
	p->ppid = 0;
	p->comm[0] = 0;
	snprintf(p->filename, sizeof(p->filename), "%s", filename);
}

/* The comm exec gives a task: the file's base name, cut to TASK_COMM_LEN - 1. */
static void exec_comm(const char *filename, char *comm, size_t cap)
{
	const char *base = strrchr(filename, '/');
	size_t n;

	base = base ? base + 1 : filename;
	n = strnlen(base, 15);
	if (n >= cap)
		n = cap - 1;
	memcpy(comm, base, n);
	comm[n] = 0;
}

void proc_state__flush(struct proc_state *ps)
{
	size_t i;

	if (!ps->nq)
		return;
	ps->ts = ps->q[0].ts;
	for (i = 0; i < ps->nq; i++) {
		struct pending *p = &ps->q[i];
		char path[64];
		size_t len = 0;
		char *cmd = NULL;
		int dfd;

		switch (p->kind) {
		case PEND_THREAD:
			add_thread(ps, p->tid, p->tgid, p->comm);
			break;
		case PEND_PROCESS:
		case PEND_EXEC: {
			pid_t ppid = 0;
			unsigned long flags;
			struct stat st;
			int uid = 0;

			snprintf(path, sizeof(path), "/proc/%d", (int)p->tid);
			dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (dfd >= 0) {
				if (read_stat(dfd, &ppid, &flags, NULL, 0))
					ppid = 0;
				if (!fstat(dfd, &st))
					uid = (int)st.st_uid;
				cmd = read_cmdline(dfd, &len);
				close(dfd);
			}
			if (!ppid)
				ppid = p->ppid; /* gone already: the creator from the event */
			if (p->kind == PEND_PROCESS) {
				size_t k;

				/* forked and exec'ed within one batch: /proc has the
				 * new image for both; describe the process once */
				for (k = i + 1; k < ps->nq; k++)
					if (ps->q[k].kind == PEND_EXEC && ps->q[k].tid == p->tid)
						break;
				if (k < ps->nq) {
					free(cmd);
					if (!ps->q[k].ppid)
						ps->q[k].ppid = ppid;
					add_thread(ps, p->tid, p->tid, p->comm);
					break;
				}
				if (!cmd) {
					cmd = strdup(p->comm);
					len = cmd ? strlen(cmd) + 1 : 0;
				}
				add_process(ps, p->tid, ppid, uid, cmd, len, 0, !cmd);
				add_thread(ps, p->tid, p->tid, p->comm);
			} else {
				/* after exec the cmdline is new; the process may be gone */
				if (!cmd) {
					cmd = strdup(p->filename);
					len = cmd ? strlen(cmd) + 1 : 0;
				}
				add_process(ps, p->tid, ppid, uid, cmd, len, 0, 0);
				/* and its main thread's new name: trace_processor keeps a
				 * process-tree name over the ftrace task_rename, so the
				 * pre-exec one would stick */
				exec_comm(p->filename, p->comm, sizeof(p->comm));
				add_thread(ps, p->tid, p->tid, p->comm);
			}
			break;
		}
		}
		if (i + 1 < ps->nq && (ps->np == TREE_CHUNK - 1 || ps->nt == TREE_CHUNK - 1)) {
			tree_emit(ps);
			ps->ts = ps->q[i + 1].ts;
		}
	}
	ps->nq = 0;
	tree_emit(ps);
}

/* --- target discovery ----------------------------------------------------- */

struct tidvec {
	pid_t *v;
	unsigned n, cap;
};

static int tidvec_add(struct tidvec *t, pid_t tid)
{
	if (t->n == t->cap) {
		unsigned ncap = t->cap ? t->cap * 2 : 32;
		pid_t *nv = realloc(t->v, ncap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		t->v = nv;
		t->cap = ncap;
	}
	t->v[t->n++] = tid;
	return 0;
}

static int add_threads_of(struct tidvec *t, pid_t pid)
{
	char path[64];
	DIR *d;
	struct dirent *de;
	int ret = 0;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return -errno;
	while ((de = readdir(d)) != NULL) {
		long tid;

		if (pft_parse_long(de->d_name, &tid))
			continue;
		ret = tidvec_add(t, (pid_t)tid);
		if (ret)
			break;
	}
	closedir(d);
	return ret;
}

int proc_list_tree(pid_t root, pid_t **tids, unsigned *n)
{
	struct tidvec t = {0};
	struct {
		pid_t pid, ppid;
	} *all = NULL;
	size_t nall = 0, capall = 0, i;
	pid_t *procs = NULL;
	size_t nprocs = 0;
	DIR *d;
	struct dirent *de;
	int ret, changed;

	{
		char path[32];
		struct stat st;

		snprintf(path, sizeof(path), "/proc/%d", (int)root);
		if (stat(path, &st))
			return -ESRCH;
	}
	d = opendir("/proc");
	if (!d)
		return -errno;
	while ((de = readdir(d)) != NULL) {
		char path[64];
		long pid;
		pid_t ppid;
		unsigned long fl;
		int dfd;

		if (pft_parse_long(de->d_name, &pid) || pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%ld", pid);
		dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0)
			continue;
		if (!read_stat(dfd, &ppid, &fl, NULL, 0)) {
			if (nall == capall) {
				size_t nc = capall ? capall * 2 : 256;
				void *na = realloc(all, nc * sizeof(*all));

				if (!na) {
					close(dfd);
					closedir(d);
					free(all);
					return -ENOMEM;
				}
				all = na;
				capall = nc;
			}
			all[nall].pid = (pid_t)pid;
			all[nall].ppid = ppid;
			nall++;
		}
		close(dfd);
	}
	closedir(d);

	/* the root and its descendants, by repeated passes (trees are shallow) */
	procs = malloc((nall + 1) * sizeof(*procs));
	if (!procs) {
		free(all);
		return -ENOMEM;
	}
	procs[nprocs++] = root;
	do {
		changed = 0;
		for (i = 0; i < nall; i++) {
			size_t j;
			int in = 0, parent_in = 0;

			for (j = 0; j < nprocs; j++) {
				if (procs[j] == all[i].pid)
					in = 1;
				if (procs[j] == all[i].ppid)
					parent_in = 1;
			}
			if (!in && parent_in) {
				procs[nprocs++] = all[i].pid;
				changed = 1;
			}
		}
	} while (changed);
	free(all);

	ret = 0;
	for (i = 0; i < nprocs && !ret; i++) {
		ret = add_threads_of(&t, procs[i]);
		if (ret == -ENOENT && i > 0)
			ret = 0; /* a descendant exited meanwhile */
	}
	free(procs);
	if (ret == -ENOENT)
		ret = -ESRCH;
	if (ret) {
		free(t.v);
		return ret;
	}
	*tids = t.v;
	*n = t.n;
	return 0;
}

static int cgroup_walk(struct tidvec *t, const char *dir, int depth)
{
	char path[PATH_MAX], *buf, *line, *save = NULL;
	DIR *d;
	struct dirent *de;
	int ret = 0;

	if (depth > 32)
		return 0;
	snprintf(path, sizeof(path), "%s/cgroup.threads", dir);
	buf = pft_slurp(path, NULL);
	if (!buf) {
		snprintf(path, sizeof(path), "%s/tasks", dir); /* cgroup v1 */
		buf = pft_slurp(path, NULL);
	}
	if (!buf)
		return -errno;
	for (line = strtok_r(buf, "\n", &save); line && !ret; line = strtok_r(NULL, "\n", &save)) {
		long tid;

		if (!pft_parse_long(line, &tid))
			ret = tidvec_add(t, (pid_t)tid);
	}
	free(buf);
	d = opendir(dir);
	if (!d)
		return ret;
	while (!ret && (de = readdir(d)) != NULL) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		ret = cgroup_walk(t, path, depth + 1);
		if (ret == -ENOENT)
			ret = 0;
	}
	closedir(d);
	return ret;
}

int proc_list_cgroup(const char *dir, pid_t **tids, unsigned *n)
{
	struct tidvec t = {0};
	int ret = cgroup_walk(&t, dir, 0);

	if (ret) {
		free(t.v);
		return ret;
	}
	*tids = t.v;
	*n = t.n;
	return 0;
}
