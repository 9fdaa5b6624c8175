/* SPDX-License-Identifier: MIT */
/*
 * plugins/python/pyframes.h: reading CPython's frame chain from another
 * process, without linking libpython.  The plugin glue (plugin.c) and the
 * unit tests use it; it sees libc and nothing of pftrace but the reader
 * callback, so a test can hand it a fake address space.
 */
#ifndef PFTRACE_PYFRAMES_H
#define PFTRACE_PYFRAMES_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * Where CPython keeps what the walker reads, for one minor version; -1 for a
 * field the version does not have.  offsets.c has a table for 3.8-3.12 (made
 * by gen_offsets.c from each version's headers); 3.13 publishes them in
 * _Py_DebugOffsets at the start of _PyRuntime.
 */
struct pyf_offsets {
	int version; /* 308 ... 313 */
	int runtime_interp_head, interp_next, interp_tstate_head;
	int tstate_next, tstate_thread_id, tstate_native_thread_id;
	int tstate_frame;	  /* frame (<=3.10), cframe (3.11/3.12), current_frame */
	int cframe_current_frame; /* 3.11/3.12 */
	int frame_back, frame_code, frame_instr, frame_owner, frame_is_entry;
	int code_filename, code_name, code_firstlineno;
	int code_qualname, code_linetable, code_adaptive;
	int unicode_state, unicode_length, ascii_size, compact_size;
	int bytes_size, bytes_sval;
};

/* The checked-in table entry of @version (308 for 3.8), or NULL. */
const struct pyf_offsets *pyf_offsets__find(int version);
/* All table entries (for the test that compares them with the headers). */
const struct pyf_offsets *pyf_offsets__table(unsigned *n);
/*
 * 3.13: fill @out from the _Py_DebugOffsets bytes at the start of
 * _PyRuntime (@len >= PYF_DEBUG_OFFSETS_SIZE).  0, or -EINVAL when the
 * cookie or the version is not 3.13's.
 */
#define PYF_DEBUG_OFFSETS_SIZE 576
int pyf_offsets__from_debug(const void *buf, size_t len, struct pyf_offsets *out);

/*
 * Line tables.  Each returns the line of the instruction at @off (bytes for
 * lnotab and the 3.10 table, code units from 3.11) given the code's first
 * line, or -1 when the table says the instruction has no line.  Never reads
 * outside @t[0..@n).
 */
int pyf_line_lnotab(const uint8_t *t, size_t n, int firstlineno, int off);
int pyf_line_310(const uint8_t *t, size_t n, int firstlineno, int off);
int pyf_line_311(const uint8_t *t, size_t n, int firstlineno, int off);

/* Reads @len bytes at @addr of the target: bytes read, or -errno. */
typedef ssize_t (*pyf_read_fn)(void *ctx, uint64_t addr, void *buf, size_t len);

#define PYF_NAME_MAX 128
#define PYF_FILE_MAX 256
#define PYF_LINETABLE_MAX 65536
#define PYF_CODE_SLOTS 512
#define PYF_TID_SLOTS 64
#define PYF_MAX_DEPTH 256    /* Python frames per walk */
#define PYF_MAX_THREADS 4096 /* thread states scanned per lookup */
#define PYF_PAGES 4	     /* 4 KiB pages kept during one sample */
#define PYF_PAGE 4096

/* A code object, as cached by address (with its identity to detect reuse). */
struct pyf_code {
	uint64_t addr;
	uint64_t filename, name, linetable; /* the object pointers it was read with */
	int firstlineno;
	uint32_t gen; /* the sample that last used it */
	char func[PYF_NAME_MAX];
	char file[PYF_FILE_MAX];
	uint8_t *table;
	uint32_t ntable;
};

/* One Python frame of a walk, leaf first. */
struct pyf_frame {
	const struct pyf_code *code;
	int line;  /* 0 when unknown */
	int entry; /* the last (rootmost) frame one C eval call runs */
};

enum pyf_error {
	PYF_OK = 0,
	PYF_E_NO_THREAD, /* no thread state for the tid (a thread without Python) */
	PYF_E_READ,	 /* a read of the target failed */
	PYF_E_GARBAGE,	 /* a pointer that is not a code object where one must be */
	PYF_E_CHANGED,	 /* the chain changed during the read */
	PYF_E_MISMATCH,	 /* Python frames do not match the native eval frames */
	PYF_E_DEPTH,	 /* more than PYF_MAX_DEPTH frames (truncated, not failed) */
	PYF_E__N,
};
const char *pyf_error_str(int e);

/* A Python process: what the walker knows of it. */
struct pyf_proc {
	struct pyf_offsets o;
	uint64_t runtime;	  /* &_PyRuntime */
	uint64_t code_type;	  /* &PyCode_Type, 0 to skip the check */
	uint32_t pthread_tid_off; /* <=3.10: offsetof(struct pthread, tid) */
	pyf_read_fn read;
	void *ctx;
	/* ns tid -> host tid: set when the process lives in another pid namespace */
	int (*ns_tid)(void *ctx, uint32_t tid, uint32_t *ns);
	struct {
		uint32_t tid;
		uint64_t tstate, thread_id;
	} tids[PYF_TID_SLOTS];
	struct pyf_code *codes; /* PYF_CODE_SLOTS, allocated by pyf_proc__init */
	uint64_t code_misses;
	/* a code object whose slot an earlier frame of the same sample holds
	 * goes here (read afresh), so that frame keeps its names */
	struct pyf_code *spill; /* PYF_MAX_DEPTH */
	unsigned nspill;
	uint32_t gen; /* samples seen */
	/* pages read during one sample's lookup and walk (frames of 3.11+ sit
	 * side by side in a thread's data stack: one read serves several) */
	struct pyf_page {
		uint64_t base; /* 0: empty */
		unsigned char *buf;
	} pages[PYF_PAGES];
	unsigned next_page;
	uint64_t reads; /* reads of the target (statistics) */
};

int pyf_proc__init(struct pyf_proc *p, const struct pyf_offsets *o, uint64_t runtime,
		   pyf_read_fn read, void *ctx);
void pyf_proc__fini(struct pyf_proc *p);
/*
 * The PyThreadState of thread @tid: 0, or PYF_E_NO_THREAD / PYF_E_READ.
 * Starts a sample: what was read for the previous one is forgotten.
 */
int pyf_proc__tstate(struct pyf_proc *p, uint32_t tid, uint64_t *tstate);
/*
 * Walk the frames of @tstate into @out (leaf first, at most @cap).  Returns
 * PYF_OK or PYF_E_DEPTH with *@n frames, or another PYF_E_* (frames in @out
 * are then not to be used).
 */
int pyf_proc__walk(struct pyf_proc *p, uint64_t tstate, struct pyf_frame *out, unsigned cap,
		   unsigned *n);

#endif /* PFTRACE_PYFRAMES_H */
