/* SPDX-License-Identifier: MIT */
/*
 * plugins/probes/tracefs.c: our uprobe events in tracefs.
 *
 * Each running pftrace owns the group "pftrace_<pid>" and removes exactly the
 * events it created.  A pftrace killed with SIGKILL leaves its group behind;
 * the next one sweeps groups whose pid is not a running pftrace.  Nothing here
 * ever writes a line for a group that is not "pftrace_<pid>", and
 * uprobe_events is only ever opened with O_APPEND: opening it with O_TRUNC
 * would delete every uprobe on the system, everyone's.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "probes.h"
#include "internal.h"

/* The kernel's MAX_EVENT_NAME_LEN is 64 with the NUL; room is left for "_NNN". */
#define EVENT_BASE_MAX 56

int prb_tracefs__find(char *dir, size_t len)
{
	char *line = NULL, mnt[PATH_MAX], type[64];
	char debugfs[PATH_MAX + 16] = "";
	size_t cap = 0;
	int ret = -ENOENT;
	FILE *f = fopen("/proc/mounts", "re");

	if (!f)
		return -ENOENT;
	while (ret && getline(&line, &cap, f) > 0) {
		if (sscanf(line, "%*s %4095s %63s", mnt, type) != 2)
			continue;
		if (strcmp(type, "tracefs") == 0)
			ret = snprintf(dir, len, "%s", mnt) >= (int)len ? -ENAMETOOLONG : 0;
		else if (strcmp(type, "debugfs") == 0 && !*debugfs)
			snprintf(debugfs, sizeof(debugfs), "%s/tracing", mnt);
	}
	free(line);
	fclose(f);
	if (ret == -ENOENT && *debugfs && access(debugfs, F_OK) == 0)
		ret = snprintf(dir, len, "%s", debugfs) >= (int)len ? -ENAMETOOLONG : 0;
	return ret;
}

/* The kernel's error_log message for the command @line, if it logged one. */
static void kernel_error(const char *tracefs, const char *line, char *msg, size_t msglen)
{
	char path[PATH_MAX], buf[16384], *p, *found = NULL;
	size_t used = 0, cmp = strlen(line) < 48 ? strlen(line) : 48;
	ssize_t n;
	int fd;

	msg[0] = '\0';
	snprintf(path, sizeof(path), "%s/error_log", tracefs);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	while (used < sizeof(buf) - 1 && (n = read(fd, buf + used, sizeof(buf) - 1 - used)) > 0)
		used += (size_t)n;
	close(fd);
	buf[used] = '\0';
	/* entries: "[ts] trace_uprobe: error: MSG\n  Command: LINE\n  ^\n"; the last one
	 * for our command is ours */
	for (p = buf; (p = strstr(p, "error: ")); p++) {
		char *cmd = strstr(p, "Command: ");

		if (cmd && strncmp(cmd + 9, line, cmp) == 0)
			found = p + 7;
	}
	if (found)
		snprintf(msg, msglen, "%.*s", (int)strcspn(found, "\n"), found);
}

/* Append one line to uprobe_events.  0 or -errno (kernel's message in err). */
static int write_events(const char *tracefs, const char *line, char *err, size_t errlen)
{
	char path[PATH_MAX], kmsg[256];
	size_t len = strlen(line);
	char *buf = malloc(len + 2);
	int fd, ret = 0;

	if (!buf)
		return -ENOMEM;
	memcpy(buf, line, len);
	buf[len] = '\n';
	buf[len + 1] = '\0';
	snprintf(path, sizeof(path), "%s/uprobe_events", tracefs);
	fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		prb_err(err, errlen, "%s: %s", path, strerror(errno));
		goto out_free;
	}
	if (write(fd, buf, len + 1) != (ssize_t)(len + 1)) {
		ret = errno ? -errno : -EIO;
		kernel_error(tracefs, line, kmsg, sizeof(kmsg));
		prb_err(err, errlen, "the kernel refused '%s': %s%s%s", line, strerror(-ret),
			*kmsg ? ": " : "", kmsg);
	}
	close(fd);
out_free:
	free(buf);
	return ret;
}

int prb_group__init(struct prb_group *g, const char *tracefs, pid_t pid)
{
	int ret = 0;

	memset(g, 0, sizeof(*g));
	if (tracefs)
		ret = snprintf(g->tracefs, sizeof(g->tracefs), "%s", tracefs) >=
				      (int)sizeof(g->tracefs)
			      ? -ENAMETOOLONG
			      : 0;
	else
		ret = prb_tracefs__find(g->tracefs, sizeof(g->tracefs));
	snprintf(g->name, sizeof(g->name), PRB_GROUP_PREFIX "%d", (int)pid);
	return ret;
}

static int has_event(const struct prb_group *g, const char *name)
{
	for (size_t i = 0; i < g->nr_events; i++)
		if (strcmp(g->events[i], name) == 0)
			return 1;
	return 0;
}

/* @want as a unique event name of the group. */
static void event_name(const struct prb_group *g, const char *want, char *out)
{
	size_t n = 0;

	if (!isalpha((unsigned char)want[0]) && want[0] != '_')
		out[n++] = '_';
	for (; *want && n < EVENT_BASE_MAX; want++)
		out[n++] = isalnum((unsigned char)*want) ? *want : '_';
	out[n] = '\0';
	for (unsigned i = 1; has_event(g, out); i++)
		snprintf(out + n, 64 - n, "_%u", i);
}

int prb_group__format(const struct prb_group *g, int ret, const char *event, const char *path,
		      uint64_t offset, uint64_t ref_ctr, const char *args, char *out, size_t outlen)
{
	char ref[32] = "";
	int n;

	if (ref_ctr)
		snprintf(ref, sizeof(ref), "(0x%llx)", (unsigned long long)ref_ctr);
	n = snprintf(out, outlen, "%c:%s/%s %s:0x%llx%s%s%s", ret ? 'r' : 'p', g->name, event, path,
		     (unsigned long long)offset, ref, args && *args ? " " : "", args ? args : "");
	return n < 0 || (size_t)n >= outlen ? -ENAMETOOLONG : 0;
}

int prb_group__add(struct prb_group *g, int ret, const char *want, const char *path,
		   uint64_t offset, uint64_t ref_ctr, const char *args, char *event,
		   size_t eventlen, char *err, size_t errlen)
{
	char name[64], line[PATH_MAX + 1024], **ev;
	int r;

	if (strpbrk(path, " \t\n")) {
		prb_err(err, errlen, "%s: tracefs cannot take a path with whitespace", path);
		return -EINVAL;
	}
	event_name(g, want, name);
	r = prb_group__format(g, ret, name, path, offset, ref_ctr, args, line, sizeof(line));
	if (r) {
		prb_err(err, errlen, "%s: probe definition too long", path);
		return r;
	}
	ev = realloc(g->events, (g->nr_events + 1) * sizeof(*ev));
	if (!ev)
		return -ENOMEM;
	g->events = ev;
	ev[g->nr_events] = strdup(name);
	if (!ev[g->nr_events])
		return -ENOMEM;
	r = write_events(g->tracefs, line, err, errlen);
	if (r) {
		free(ev[g->nr_events]);
		return r;
	}
	g->nr_events++;
	if (event)
		snprintf(event, eventlen, "%s", name);
	return 0;
}

static int remove_event(const char *tracefs, const char *group, const char *event, char *err,
			size_t errlen)
{
	char line[256];
	int ret;

	snprintf(line, sizeof(line), "-:%s/%s", group, event);
	ret = write_events(tracefs, line, err, errlen);
	return ret == -ENOENT ? 0 : ret; /* already gone */
}

int prb_group__remove_all(struct prb_group *g, char *err, size_t errlen)
{
	size_t kept = 0;
	int first = 0;

	for (size_t i = 0; i < g->nr_events; i++) {
		int ret =
			remove_event(g->tracefs, g->name, g->events[i], first ? NULL : err, errlen);

		if (ret) {
			first = first ? first : ret;
			g->events[kept++] = g->events[i]; /* for a retry */
		} else {
			free(g->events[i]);
		}
	}
	g->nr_events = kept;
	return first;
}

void prb_group__exit(struct prb_group *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < g->nr_events; i++)
		free(g->events[i]);
	free(g->events);
	g->events = NULL;
	g->nr_events = 0;
}

/* Whether @pid is a running pftrace (by its comm, or its executable's name). */
static int is_pftrace(pid_t pid)
{
	char path[64], buf[PATH_MAX];
	ssize_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	n = fgets(buf, sizeof(buf), f) ? 1 : 0;
	fclose(f);
	if (n && strcmp(buf, "pftrace\n") == 0)
		return 1;
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	n = readlink(path, buf, sizeof(buf) - 1);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return strcmp(strrchr(buf, '/') ? strrchr(buf, '/') + 1 : buf, "pftrace") == 0;
}

/* The pid of a group named "pftrace_<pid>", else 0. */
static pid_t group_pid(const char *group, size_t len)
{
	size_t plen = strlen(PRB_GROUP_PREFIX);
	long pid = 0;

	if (len <= plen || strncmp(group, PRB_GROUP_PREFIX, plen) != 0 || len - plen > 9)
		return 0;
	for (size_t i = plen; i < len; i++) {
		if (!isdigit((unsigned char)group[i]))
			return 0;
		pid = pid * 10 + (group[i] - '0');
	}
	return (pid_t)pid;
}

int prb_tracefs__sweep(const char *tracefs, pid_t self, int *removed, char *err, size_t errlen)
{
	char path[PATH_MAX], *line = NULL, **stale = NULL;
	size_t cap = 0, n = 0;
	int ret = 0, count = 0;
	FILE *f;

	if (removed)
		*removed = 0;
	snprintf(path, sizeof(path), "%s/uprobe_events", tracefs);
	f = fopen(path, "re");
	if (!f) {
		ret = -errno;
		prb_err(err, errlen, "%s: %s", path, strerror(errno));
		return ret;
	}
	/* "p:GROUP/EVENT /path:0x..." -- collect first, remove after reading */
	while (getline(&line, &cap, f) > 0) {
		char *colon = strchr(line, ':'), *slash, **s;
		size_t glen, elen;
		pid_t pid;

		if (!colon || !(slash = strchr(colon, '/')))
			continue;
		glen = (size_t)(slash - colon - 1);
		elen = strcspn(slash + 1, " \n");
		pid = group_pid(colon + 1, glen);
		if (!pid || pid == self || is_pftrace(pid))
			continue;
		s = realloc(stale, (n + 1) * sizeof(*s));
		if (!s) {
			ret = -ENOMEM;
			break;
		}
		stale = s;
		colon[1 + glen + 1 + elen] = '\0';
		stale[n] = strdup(colon + 1); /* "GROUP/EVENT" */
		if (!stale[n]) {
			ret = -ENOMEM;
			break;
		}
		n++;
	}
	free(line);
	fclose(f);
	for (size_t i = 0; i < n; i++) {
		char *slash = strchr(stale[i], '/');
		int r;

		*slash = '\0';
		r = remove_event(tracefs, stale[i], slash + 1, ret ? NULL : err, errlen);
		if (!r)
			count++;
		else if (!ret)
			ret = r;
		free(stale[i]);
	}
	free(stale);
	if (removed)
		*removed = count;
	return ret;
}
