/* SPDX-License-Identifier: MIT */
/* core/output: see output.h. */
#include "config.h"
#include "core/output.h"
#include "core/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

/*
 * Filesystems whose "regular files" are kernel interfaces, not storage: a trace written
 * there fails at the first write (EIO, EINVAL), after the whole recording.  Their name, or
 * NULL for a filesystem that stores data.
 */
static const char *pseudo_fs(int fd)
{
	static const struct {
		unsigned long magic;
		const char *name;
	} fs[] = {
		{PROC_SUPER_MAGIC, "proc"},	  {SYSFS_MAGIC, "sysfs"},
		{DEBUGFS_MAGIC, "debugfs"},	  {TRACEFS_MAGIC, "tracefs"},
		{CGROUP_SUPER_MAGIC, "cgroup"},	  {CGROUP2_SUPER_MAGIC, "cgroup2"},
		{SECURITYFS_MAGIC, "securityfs"}, {BPF_FS_MAGIC, "bpf"},
		{PSTOREFS_MAGIC, "pstore"},	  {EFIVARFS_MAGIC, "efivarfs"},
	};
	struct statfs sf;
	size_t i;

	if (fstatfs(fd, &sf))
		return NULL;
	for (i = 0; i < sizeof(fs) / sizeof(fs[0]); i++)
		if ((unsigned long)sf.f_type == fs[i].magic)
			return fs[i].name;
	return NULL;
}

int output_open(struct output *o, const char *path)
{
	struct stat st;
	int fd, err;

	o->path = path;
	o->fd = -1;
	o->created = 0;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd >= 0) {
		o->created = 1;
	} else if (errno == EEXIST) {
		fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	}
	if (fd < 0) {
		err = errno;
		if (err == ELOOP || err == EEXIST)
			pft_error("refusing to write the trace to %s: it is a symbolic link", path);
		else
			pft_error("cannot create the output file %s: %s", path, strerror(err));
		return -err;
	}
	if (fstat(fd, &st)) {
		err = errno;
		close(fd);
		pft_error("cannot stat the output file %s: %s", path, strerror(err));
		return -err;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		pft_error("refusing to write the trace to %s: not a regular file", path);
		return -EINVAL;
	}
	if (pseudo_fs(fd)) {
		pft_error("refusing to write the trace to %s: not a regular file (a file of the %s "
			  "filesystem)",
			  path, pseudo_fs(fd));
		close(fd);
		return -EINVAL;
	}
	if (st.st_nlink > 1) {
		close(fd);
		pft_error("refusing to write the trace to %s: it has other hard links", path);
		return -EMLINK;
	}
	fcntl(fd, F_SETFL, 0); /* clear O_NONBLOCK */
	if (o->created && geteuid() == 0) {
		/* sudo pftrace record: the user who ran sudo should own the trace */
		const char *u = getenv("SUDO_UID"), *g = getenv("SUDO_GID");
		long uid, gid;

		if (u && g && !pft_parse_long(u, &uid) && !pft_parse_long(g, &gid) && uid > 0)
			if (fchown(fd, (uid_t)uid, (gid_t)gid))
				pft_debug("cannot hand %s to uid %ld", path, uid);
	}
	o->fd = fd;
	return 0;
}

int output_begin(struct output *o)
{
	if (ftruncate(o->fd, 0) || lseek(o->fd, 0, SEEK_SET) < 0) {
		int err = errno;

		pft_error("cannot write the output file %s: %s", o->path, strerror(err));
		return -err;
	}
	return 0;
}

void output_discard(struct output *o)
{
	if (o->fd >= 0)
		close(o->fd);
	o->fd = -1;
	if (o->created)
		unlink(o->path);
	o->created = 0;
}
