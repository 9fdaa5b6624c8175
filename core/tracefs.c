/* SPDX-License-Identifier: MIT */
/*
 * core/tracefs: where tracefs lives.  Looks in /proc/mounts for a tracefs
 * mount (or debugfs/tracing on old systems); when there is none, mounts
 * tracefs on /sys/kernel/tracing (root only).  Never assumes a path.
 */
#include "config.h"
#include "core/tracefs.h"
#include "core/util.h"

#include <errno.h>
#include <limits.h>
#include <mntent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

static char tfs_path[PATH_MAX];

void tfs_set_dir(const char *dir)
{
	snprintf(tfs_path, sizeof(tfs_path), "%s", dir);
}

static int find_mount(void)
{
	struct mntent *m;
	FILE *f;
	int found = 0;

	f = setmntent("/proc/mounts", "r");
	if (!f)
		return 0;
	while ((m = getmntent(f)) != NULL) {
		if (!strcmp(m->mnt_type, "tracefs")) {
			snprintf(tfs_path, sizeof(tfs_path), "%s", m->mnt_dir);
			found = 1;
			break;
		}
		if (!found && !strcmp(m->mnt_type, "debugfs")) {
			char p[PATH_MAX];
			struct stat st;

			snprintf(p, sizeof(p), "%s/tracing/events", m->mnt_dir);
			if (!stat(p, &st)) {
				snprintf(tfs_path, sizeof(tfs_path), "%s/tracing", m->mnt_dir);
				found = 1; /* keep looking for a real tracefs */
			}
		}
	}
	endmntent(f);
	return found;
}

const char *tfs_dir(void)
{
	const char *target = "/sys/kernel/tracing";

	if (tfs_path[0])
		return tfs_path;
	if (find_mount())
		return tfs_path;
	if (mount("nodev", target, "tracefs", 0, NULL) == 0) {
		pft_debug("mounted tracefs on %s", target);
		snprintf(tfs_path, sizeof(tfs_path), "%s", target);
		return tfs_path;
	}
	{
		int err = errno;

		pft_error("tracefs is not mounted and mounting it on %s failed: %s", target,
			  strerror(err));
		if (err == EPERM || err == EACCES)
			pft_hint("run as root, or mount it first: mount -t tracefs nodev %s",
				 target);
		else
			pft_hint("is the kernel built with CONFIG_FTRACE? try: mount -t tracefs "
				 "nodev %s",
				 target);
		errno = err;
	}
	return NULL;
}

int tfs_event_id(const char *system, const char *name)
{
	char path[PATH_MAX + 256], buf[32];
	long id;
	ssize_t n;

	if (!tfs_path[0])
		return -ENOENT;
	snprintf(path, sizeof(path), "%s/events/%s/%s/id", tfs_path, system, name);
	n = pft_read_file(path, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	buf[strcspn(buf, "\n")] = 0;
	if (pft_parse_long(buf, &id) || id < 0 || id > INT_MAX)
		return -EINVAL;
	return (int)id;
}

char *tfs_event_format(const char *system, const char *name, size_t *len)
{
	char path[PATH_MAX + 256];

	snprintf(path, sizeof(path), "%s/events/%s/%s/format", tfs_path, system, name);
	return pft_slurp(path, len);
}

int tfs_system_exists(const char *system)
{
	char path[PATH_MAX + 256];
	struct stat st;

	if (!tfs_path[0] || strchr(system, '/') || system[0] == '.')
		return 0;
	snprintf(path, sizeof(path), "%s/events/%s", tfs_path, system);
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}
