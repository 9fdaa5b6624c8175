/* SPDX-License-Identifier: MIT */
/* fuzz_dump: `pftrace dump FILE`, `pftrace dump --folded FILE` (proto/reader through
 * core/cmd_dump), `pftrace dump -j FILE FILTER` (core/reading, core/dump_view) and
 * `pftrace report FILE` (core/cmd_report) on any bytes. */
#define _GNU_SOURCE
#include "config.h"
#include "core/cmds.h"
#include "core/util.h"
#include "fuzz.h"

#include <getopt.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[64];
	static int fd = -1;
	char *plain[] = {"dump", path, NULL}, *folded[] = {"dump", "--folded", path, NULL};
	char *json[] = {"dump", "-j", path, "evt.type exists or not evt.res<0", NULL};
	char *report[] = {"report", path, NULL};

	if (fd < 0) {
		fd = memfd_create("fuzz_dump", 0);
		if (fd < 0)
			return 0;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		if (!freopen("/dev/null", "w", stdout))
			return 0;
		fuzz_quiet();
		pft_quiet = 1;
	}
	if (ftruncate(fd, 0) || (size && pwrite(fd, data, size, 0) != (ssize_t)size))
		return 0;
	optind = 0;
	cmd_dump(2, plain);
	optind = 0;
	cmd_dump(3, folded);
	optind = 0;
	cmd_dump(4, json);
	optind = 0;
	cmd_report(2, report);
	return 0;
}
