/* SPDX-License-Identifier: MIT */
/* core/target: see target.h. */
#include "config.h"
#include "core/options.h"
#include "core/proc.h"
#include "core/target.h"
#include "core/util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif
#ifndef CGROUP_SUPER_MAGIC
#define CGROUP_SUPER_MAGIC 0x27e0eb
#endif

/* Find @cmd like execvp would; 0 or -ENOENT/-EACCES. */
static int resolve(const char *cmd, char *out, size_t cap)
{
	const char *path = getenv("PATH");
	char *dup, *dir, *save = NULL;
	int err = -ENOENT;

	if (strchr(cmd, '/')) {
		if (access(cmd, X_OK))
			return -errno;
		snprintf(out, cap, "%s", cmd);
		return 0;
	}
	dup = strdup(path && *path ? path : "/usr/local/bin:/usr/bin:/bin");
	if (!dup)
		return -ENOMEM;
	for (dir = strtok_r(dup, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		struct stat st;

		snprintf(out, cap, "%s/%s", *dir ? dir : ".", cmd);
		if (!stat(out, &st) && S_ISREG(st.st_mode)) {
			if (!access(out, X_OK)) {
				free(dup);
				return 0;
			}
			err = -EACCES;
		}
	}
	free(dup);
	return err;
}

int target_check(struct target *t, const struct record_opts *o)
{
	unsigned i;

	memset(t, 0, sizeof(*t));
	t->go_fd = t->err_fd = -1;
	t->st.cgroup_fd = -1;
	t->st.mode = SCOPE_ALL;
	if (o->cmd) {
		int ret = resolve(o->cmd[0], t->cmd_path, sizeof(t->cmd_path));

		if (ret == -ENOENT) {
			pft_error("command not found: %s", o->cmd[0]);
			return ret;
		}
		if (ret) {
			pft_error("cannot run %s: %s", o->cmd[0], strerror(-ret));
			return ret;
		}
		t->st.mode = SCOPE_TASKS;
	}
	for (i = 0; i < o->npids; i++) {
		if (kill(o->pids[i], 0) && errno == ESRCH) {
			pft_error("no process with pid %d", (int)o->pids[i]);
			return -ESRCH;
		}
		t->st.mode = SCOPE_TASKS;
	}
	if (o->cgroup) {
		struct statfs sfs;
		int fd = open(o->cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (fd < 0) {
			int err = errno;

			pft_error("cannot open cgroup %s: %s", o->cgroup, strerror(err));
			return -err;
		}
		if (fstatfs(fd, &sfs) || ((unsigned long)sfs.f_type != CGROUP2_SUPER_MAGIC &&
					  (unsigned long)sfs.f_type != CGROUP_SUPER_MAGIC)) {
			close(fd);
			pft_error(
				"%s is not a cgroup directory (expected e.g. /sys/fs/cgroup/NAME)",
				o->cgroup);
			return -EINVAL;
		}
		t->st.cgroup_fd = fd;
		t->st.mode = SCOPE_CGROUP;
	}
	return 0;
}

static int add_tids(struct target *t, pid_t *v, unsigned n)
{
	pid_t *nv;

	if (!n)
		return 0; /* an empty cgroup: its tasks come as they start */
	nv = realloc(t->st.tids, (t->st.ntids + n) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	memcpy(nv + t->st.ntids, v, n * sizeof(*v));
	t->st.tids = nv;
	t->st.ntids += n;
	return 0;
}

int target_prepare(struct target *t, const struct record_opts *o)
{
	unsigned i;
	int ret;

	for (i = 0; i < o->npids; i++) {
		pid_t *v;
		unsigned n;

		ret = proc_list_tree(o->pids[i], &v, &n);
		if (ret) {
			pft_error("cannot list the threads of pid %d: %s", (int)o->pids[i],
				  strerror(-ret));
			return ret;
		}
		ret = add_tids(t, v, n);
		free(v);
		if (ret)
			return ret;
	}
	if (o->cgroup) {
		pid_t *v;
		unsigned n;

		ret = proc_list_cgroup(o->cgroup, &v, &n);
		if (ret) {
			pft_error("cannot list the tasks of cgroup %s: %s", o->cgroup,
				  strerror(-ret));
			return ret;
		}
		ret = add_tids(t, v, n);
		free(v);
		if (ret)
			return ret;
	}
	if (o->cmd) {
		int go[2], err[2];
		pid_t pid;

		if (pipe(go))
			return -errno;
		if (pipe(err)) {
			close(go[0]);
			close(go[1]);
			return -errno;
		}
		fcntl(go[1], F_SETFD, FD_CLOEXEC);
		fcntl(err[0], F_SETFD, FD_CLOEXEC);
		fcntl(err[1], F_SETFD, FD_CLOEXEC);
		pid = fork();
		if (pid < 0) {
			ret = -errno;
			pft_error("cannot fork: %s", strerror(-ret));
			return ret;
		}
		if (pid == 0) {
			sigset_t none;
			char c;
			int e;

			sigemptyset(&none);
			sigprocmask(SIG_SETMASK, &none, NULL);
			signal(SIGINT, SIG_DFL);
			signal(SIGTERM, SIG_DFL);
			signal(SIGCHLD, SIG_DFL);
			signal(SIGPIPE, SIG_DFL);
			close(go[1]);
			close(err[0]);
			/* wait for the tracer; EOF without a byte means it gave up */
			if (read(go[0], &c, 1) != 1)
				_exit(127);
			close(go[0]);
			execv(t->cmd_path, o->cmd);
			e = errno;
			if (write(err[1], &e, sizeof(e)) < 0)
				_exit(127);
			_exit(127);
		}
		close(go[0]);
		close(err[1]);
		t->go_fd = go[1];
		t->err_fd = err[0];
		t->child = pid;
		ret = add_tids(t, &pid, 1);
		if (ret)
			return ret;
		t->st.enable_on_exec = 1;
	}
	return 0;
}

int target_go(struct target *t, const struct record_opts *o)
{
	ssize_t n;
	int e = 0;

	if (!t->child)
		return 0;
	if (write(t->go_fd, "g", 1) != 1)
		return -errno;
	close(t->go_fd);
	t->go_fd = -1;
	do
		n = read(t->err_fd, &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	close(t->err_fd);
	t->err_fd = -1;
	if (n == (ssize_t)sizeof(e)) {
		pft_error("cannot run %s: %s", o->cmd[0], strerror(e));
		return -e;
	}
	return 0;
}

int target_alive(struct target *t, const struct record_opts *o)
{
	unsigned i;

	if (t->child) {
		int st;
		pid_t r;

		if (t->child_exited)
			return 0;
		r = waitpid(t->child, &st, WNOHANG);
		if (r == t->child) {
			t->child_exited = 1;
			t->child_status = st;
			return 0;
		}
		return 1;
	}
	if (o->npids) {
		for (i = 0; i < o->npids; i++)
			if (!kill(o->pids[i], 0) || errno != ESRCH)
				return 1;
		return 0;
	}
	return 1;
}

void target_fini(struct target *t)
{
	if (t->go_fd >= 0)
		close(t->go_fd); /* the held child sees EOF and exits */
	if (t->err_fd >= 0)
		close(t->err_fd);
	t->go_fd = t->err_fd = -1;
	if (t->child && !t->child_exited) {
		int st = 0;

		if (waitpid(t->child, &st, WNOHANG) == 0) {
			/* recording stopped first (-d, a signal): end the command
			 * as perf does; one that ignores SIGTERM gets SIGKILL after
			 * two seconds, so the tracer never hangs on it */
			int i;

			kill(t->child, SIGTERM);
			for (i = 0; i < 200 && waitpid(t->child, &st, WNOHANG) == 0; i++)
				usleep(10000);
			if (i == 200) {
				kill(t->child, SIGKILL);
				waitpid(t->child, &st, 0);
			}
		}
		t->child_exited = 1;
		t->child_status = st;
	}
	if (t->st.cgroup_fd >= 0)
		close(t->st.cgroup_fd);
	t->st.cgroup_fd = -1;
	free(t->st.tids);
	t->st.tids = NULL;
}
