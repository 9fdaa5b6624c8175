/* SPDX-License-Identifier: MIT */
/*
 * core/output: creating the output file safely.  Never through a symlink
 * (O_NOFOLLOW), never into a hard-linked or non-regular file, and nothing
 * is truncated until recording really starts.  Under sudo the new file is
 * handed to the invoking user.
 */
#ifndef PFTRACE_CORE_OUTPUT_H
#define PFTRACE_CORE_OUTPUT_H

struct output {
	const char *path;
	int fd;
	int created; /* we created it: remove it if recording never starts */
};

/* 0 or -errno, with one error line printed. */
int output_open(struct output *o, const char *path);
/* Empty the file just before the first packet.  0 or -errno (printed). */
int output_begin(struct output *o);
/* Recording never started: close, and remove the file if we created it. */
void output_discard(struct output *o);

#endif
