/* SPDX-License-Identifier: MIT */
/*
 * symbolize/unwind: DWARF unwinding of a copied user stack.
 *
 * Input is what PERF_SAMPLE_REGS_USER + PERF_SAMPLE_STACK_USER deliver: the
 * user registers at the sample (in perf's register numbering for the
 * architecture) and a copy of the stack from the stack pointer up.  The
 * unwinder runs libunwind's remote interface over that copy, finding CFI in
 * the ELF files of the process (.eh_frame_hdr/.eh_frame, else .debug_frame)
 * through symbolize's maps.  No ptrace, no access to the live process.
 *
 * Without libunwind or libelf (the CFI is read from the ELF images), the
 * register mask is 0 and sym_unwind() returns -EOPNOTSUPP: the caller falls
 * back to frame pointers.
 */
#ifndef PFTRACE_SYMBOLIZE_UNWIND_H
#define PFTRACE_SYMBOLIZE_UNWIND_H

#include <stddef.h>
#include <stdint.h>

#include "symbolize/symbolize.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Why an unwind stopped early. */
enum sym_unwind_stop {
	SYM_UNWIND_OK = 0,	/* reached the outermost frame */
	SYM_UNWIND_NO_MAP,	/* an ip outside every known mapping */
	SYM_UNWIND_NO_CFI,	/* no unwind info for an ip */
	SYM_UNWIND_STACK_SHORT, /* needed memory beyond the copied stack */
	SYM_UNWIND_BAD_FRAME,	/* CFI led nowhere (loop, bad return address) */
	SYM_UNWIND_TRUNCATED,	/* hit max frames */
	SYM_UNWIND_UNSUPPORTED, /* no libunwind / architecture */
	SYM_UNWIND__MAX
};
const char *sym_unwind_stop_str(enum sym_unwind_stop s);

struct sym_unwinder;

struct sym_unwinder *sym_unwinder__new(struct sym_cache *c);
void sym_unwinder__free(struct sym_unwinder *u); /* NULL ok */

/* The perf_event_attr.sample_regs_user mask this unwinder needs. */
uint64_t sym_unwind_regs_mask(void);

/*
 * Unwind one sample of process @m.  @regs holds the registers selected by
 * sym_unwind_regs_mask(), in ascending register-number order (as perf lays
 * them out); @stack/@stack_size the copied stack, whose first byte is at the
 * sampled stack pointer.  Writes up to @max return addresses into @ips, leaf
 * first (ips[0] is the sampled ip), and returns how many, or -errno.
 * *stop says why it ended.
 */
int sym_unwind(struct sym_unwinder *u, struct sym_maps *m, const uint64_t *regs, const void *stack,
	       size_t stack_size, uint64_t *ips, int max, enum sym_unwind_stop *stop);

#ifdef __cplusplus
}
#endif
#endif /* PFTRACE_SYMBOLIZE_UNWIND_H */
