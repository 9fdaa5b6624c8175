/* SPDX-License-Identifier: MIT */
/*
 * fuzz_ring: any bytes as a perf ring's data (perfmmap/ring.c), through the whole decoder
 * (core/drain.c dispatch, the sources' handlers at the offsets of the canned formats of
 * tests/data/tracefs, the writer), as tests/test_decode.c feeds canned rings.  The first two
 * bytes place the data in the ring, so records wrap around its end.
 */
#include "config.h"
#include "core/options.h"
#include "core/session.h"
#include "core/session_test.h"
#include "core/tracefs.h"
#include "core/util.h"
#include "fuzz.h"
#include "perfmmap/perfmmap.h"
#include "perfmmap/testing.h"
#include "proto/writer.h"

#include <fcntl.h>
#include <linux/perf_event.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PAGE 4096
#define DATA (16 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int null_fd = -1;
	struct perf_event_mmap_page *pc;
	struct record_opts o;
	struct pm_ring *pr;
	struct pw_writer *w;
	struct session *s;
	unsigned char *mem;
	size_t off, i;

	if (null_fd < 0) {
		tfs_set_dir(FUZZ_SRCDIR "/tests/data/tracefs");
		fuzz_quiet();
		pft_quiet = 1;
		null_fd = open("/dev/null", O_WRONLY);
		if (null_fd < 0)
			return 0;
	}
	if (size < 2)
		return 0;
	off = (size_t)(data[0] | data[1] << 8) % DATA;
	data += 2;
	size -= 2;
	if (size > DATA)
		size = DATA;
	mem = aligned_alloc(PAGE, PAGE + DATA);
	if (!mem)
		return 0;
	memset(mem, 0, PAGE + DATA);
	pc = (struct perf_event_mmap_page *)mem;
	pc->data_offset = PAGE;
	pc->data_size = DATA;
	pc->data_tail = off;
	pc->data_head = off + size;
	for (i = 0; i < size; i++)
		mem[PAGE + (off + i) % DATA] = data[i];

	memset(&o, 0, sizeof(o));
	o.buffer_size = 1 << 20;
	o.no_stacks = 1;
	o.syscalls = 1;
	o.quiet = 1;
	w = pw_writer__new(null_fd, 4);
	s = w ? session__new(&o, w) : NULL;
	if (s && !session__add_sources(s)) {
		pr = pm_ring__new_from_buffer(mem, PAGE, DATA, 1);
		if (pr && !session__attach_test_ring(s, pr))
			session__drain(s);
		else
			pm_ring__free(pr);
	}
	session__free(s);
	pw_writer__close(w);
	free(mem);
	return 0;
}
