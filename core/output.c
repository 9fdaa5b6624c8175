/* SPDX-License-Identifier: MIT */
/* core/output: see output.h. */
#include "config.h"
#include "core/output.h"
#include "core/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
	if (st.st_nlink > 1) {
		close(fd);
		pft_error("refusing to write the trace to %s: it has other hard links", path);
		return -EMLINK;
	}
	fcntl(fd, F_SETFL, 0);	/* clear O_NONBLOCK */
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
