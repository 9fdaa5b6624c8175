/* SPDX-License-Identifier: MIT */
/*
 * fuzz_elf: any bytes as an ELF file mapped into a process: symbols, PLT stubs, build-id,
 * sections and debug links through symbolize/dso.c (sym_cache), sym_elf__lookup
 * (symbolize/elfsym.c), and the probes plugin's ELF and USDT note readers
 * (plugins/probes/elf.c, usdt.c).
 */
#include "config.h"
#include "fuzz.h"
#include "probes.h"
#include "symbolize/symbolize.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define BASE 0x7f0000000000ull

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[64];
	struct prb_usdt_note *notes = NULL;
	struct prb_func *funcs = NULL;
	struct sym_cache *c;
	struct sym_maps *m;
	struct sym_frame fr;
	uint64_t off, sz, a;
	char err[256];
	size_t n = 0, i;
	int fd;

	if (!path[0]) {
		fuzz_quiet();
		snprintf(path, sizeof(path), "/tmp/pftrace-fuzz-elf.%d", (int)getpid());
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return 0;
	if (size && write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	close(fd);

	c = sym_cache__new();
	m = c ? sym_cache__maps(c, getpid(), 1) : NULL;
	if (m && !sym_maps__mmap(m, BASE, 1 << 20, 0, 0, 0, 0, PROT_READ | PROT_EXEC, path)) {
		for (a = BASE; a < BASE + 0x4000; a += 0x30)
			(void)sym_resolve(c, m, a, &fr);
		for (i = 0; i + 4 <= size && i < 512; i += 4) {
			uint32_t v;

			memcpy(&v, data + i, 4);
			(void)sym_resolve(c, m, BASE + (v & 0xfffff), &fr);
		}
	}
	sym_cache__free(c);

	(void)sym_elf__lookup(path, "main", &off, &sz);
	(void)sym_elf__lookup(path, "printf", &off, &sz);
	if (!prb_usdt__read(path, &notes, &n, err, sizeof(err)))
		prb_usdt__free(notes, n);
	(void)prb_elf__func_offset(path, "main", 4, &off, &sz, err, sizeof(err));
	n = 0;
	if (!prb_elf__funcs(path, NULL, &funcs, &n, err, sizeof(err)))
		prb_funcs__free(funcs, n);
	unlink(path);
	return 0;
}
