/* SPDX-License-Identifier: MIT */
/*
 * plugins/probes/probes.h: the machinery of the probe source (uprobe,
 * uretprobe, USDT through tracefs), without the plugin glue.
 *
 * Everything here is self-contained (libc + libelf): it is linked into the
 * probes plugin, which sees only include/pftrace/.  Functions return 0 or
 * -errno and never print; on failure they write one message (no "pftrace:"
 * prefix, no newline) into the caller's err[errlen], naming the spec or file.
 *
 * The pieces, in the order a recording uses them:
 *   prb_spec__parse()       "uprobe:PATH:SYM+OFF args" -> struct prb_spec
 *   prb_path__resolve()     "libc" -> /lib/x86_64-linux-gnu/libc.so.6
 *   prb_elf__func_offset()  SYM+OFF -> file offset (checked to be code)
 *   prb_usdt__read()        the .note.stapsdt notes of a file
 *   prb_usdt__fetch_args()  note arg specs -> tracefs fetch args
 *   prb_group__*()          our own tracefs group pftrace_<pid>
 *   prb_tracefs__sweep()    remove groups left by pftraces that are gone
 *   prb_list()              `pftrace probes BINARY [PATTERN]`
 */
#ifndef PFTRACE_PROBES_H
#define PFTRACE_PROBES_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* ---- specs ---------------------------------------------------------------- */

enum prb_kind {
	PRB_UPROBE,
	PRB_URETPROBE,
	PRB_USDT,
};

/* A parsed probe spec.  Strings are owned (free with prb_spec__exit()). */
struct prb_spec {
	enum prb_kind kind;
	char *path;	 /* as written: a path or a library short name */
	char *symbol;	 /* uprobe: the function; usdt: the probe name */
	char *provider;	 /* usdt only; NULL for usdt:PATH:NAME */
	uint64_t offset; /* uprobe +OFFSET, else 0 */
	char *args;	 /* fetch args in tracefs syntax, NULL when none */
};

/* True when @text starts like a probe spec (uprobe:, uretprobe:, usdt:), so a
 * caller can tell it from a tracepoint SYS:NAME. */
int prb_spec__is_probe(const char *text);

/*
 * Parse "uprobe:PATH:SYMBOL[+OFFSET] [ARGS]", "uretprobe:PATH:SYMBOL[+OFFSET] [ARGS]",
 * "usdt:PATH:PROVIDER:NAME" or "usdt:PATH:NAME".  ARGS (after whitespace) are kept as written,
 * tracefs syntax NAME=FETCHARG[:TYPE] ...; each must have the NAME= part.  USDT specs take no
 * ARGS (their arguments come from the note).  0, -EINVAL (message names the spec), -ENOMEM.
 */
int prb_spec__parse(const char *text, struct prb_spec *spec, char *err, size_t errlen);
void prb_spec__exit(struct prb_spec *spec);

/* ---- paths ---------------------------------------------------------------- */

/*
 * Resolve @name to a file to probe, into out[outlen].
 *  - A name with a '/' is a path (relative ones made absolute); it must exist.
 *    "/proc/PID/root/..." paths are kept as they are (another mount namespace).
 *  - Otherwise a library short name ("libc", "c", "libpthread", "libc.so.6"), resolved as
 *    bpftrace does: from the mappings of @pids (/proc/PID/maps; through /proc/PID/root when
 *    that process lives in another mount namespace), else from /etc/ld.so.cache, else from
 *    the standard library directories; else an executable of that name in $PATH.
 * 0, -ENOENT (message says where it looked), -ENAMETOOLONG.
 */
int prb_path__resolve(const char *name, const pid_t *pids, size_t npids, char *out, size_t outlen,
		      char *err, size_t errlen);

/* Look @name ("libc" or "libc.so.6") up in an ld.so.cache file ("glibc-ld.so.cache1.1",
 * alone or after the old "ld.so-1.7.0" table); the first entry of this machine's ABI wins.
 * 0, -ENOENT (no such library), -EINVAL (not a cache file), -errno. */
int prb_ldcache__lookup(const char *cache_file, const char *name, char *out, size_t outlen);

/* Whether a file name (basename) is library @name: "libc" matches libc.so.6,
 * libc.so and libc-2.31.so, not libcap.so.2; "c" is "libc"; "libc.so.6" itself
 * matches only libc.so.6. */
int prb_lib__matches(const char *name, const char *basename);

/* ---- ELF functions -------------------------------------------------------- */

/*
 * The file offset a uprobe on @symbol + @add in @path takes: the symbol from .symtab, else
 * .dynsym (STT_FUNC or STT_GNU_IFUNC, defined; "write" matches "write@@GLIBC_2.2.5"; a global
 * definition wins over a local one), its address + @add mapped through the PT_LOAD segment
 * that contains it, which must be executable.  @sym_size (may be NULL) receives st_size.
 * 0; -ENOEXEC (not ELF), -ENOENT (no such function; the message says whether the file has
 * no symbol table at all), -EINVAL (+OFFSET beyond the function or not in code), -errno.
 */
int prb_elf__func_offset(const char *path, const char *symbol, uint64_t add, uint64_t *offset,
			 uint64_t *sym_size, char *err, size_t errlen);

/* One function of a file, for listings. */
struct prb_func {
	char *name; /* as in the symbol table, version suffix removed */
	uint64_t addr;
	uint64_t size;
};

/* Functions of @path whose name matches the fnmatch(3) @pattern (NULL: all), sorted by name,
 * one per name.  *funcs is malloc'ed: free with prb_funcs__free().  0 or -errno. */
int prb_elf__funcs(const char *path, const char *pattern, struct prb_func **funcs, size_t *n,
		   char *err, size_t errlen);
void prb_funcs__free(struct prb_func *funcs, size_t n);

/* ---- USDT ------------------------------------------------------------------ */

/* One location of a USDT probe (one .note.stapsdt note). */
struct prb_usdt_note {
	char *provider;
	char *name;
	char *args;	      /* the note's argument specs, e.g. "-4@%eax 8@-16(%rbp)" */
	uint64_t pc;	      /* the note's address, prelink-adjusted (.stapsdt.base) */
	uint64_t pc_offset;   /* file offset of pc: the uprobe's offset */
	uint64_t sema;	      /* semaphore address, 0 when none */
	uint64_t sema_offset; /* its file offset: the uprobe's ref_ctr_offset */
};

/* All .note.stapsdt notes of @path in file order.  None is 0 with *n = 0.
 * Free with prb_usdt__free().  0, -ENOEXEC, -errno. */
int prb_usdt__read(const char *path, struct prb_usdt_note **notes, size_t *n, char *err,
		   size_t errlen);
void prb_usdt__free(struct prb_usdt_note *notes, size_t n);

/* Select the locations of probe @provider:@name (@provider NULL: any provider, which must then
 * be unique) from @notes: their indices go into idx[] (capacity @cap), the count is returned.
 * -ENOENT (no such probe), -EINVAL (NAME ambiguous without a provider; message lists them). */
int prb_usdt__select(const struct prb_usdt_note *notes, size_t n, const char *provider,
		     const char *name, size_t *idx, size_t cap, char *err, size_t errlen);

/*
 * One x86_64 SDT argument spec ("-4@%eax", "8@-16(%rbp)", "4@$5", "1@%al") as a tracefs
 * fetch arg "NAME=FETCHARG:TYPE" ("arg0=%ax:s32", "arg1=-16(%bp):u64", "arg2=\5:u32") into
 * out[outlen].  -EOPNOTSUPP for a spec uprobes cannot express (indexed or %rip-relative
 * addressing, segment prefixes, %ah..%dh, other arches); -EINVAL for a malformed one.
 */
int prb_usdt__arg_to_fetch(const char *spec, const char *name, char *out, size_t outlen);

/*
 * All argument specs of a note (@args, space-separated) as fetch args "arg0=... arg1=...",
 * named by position (arg<i> for the i-th spec, also when an earlier one was dropped), into
 * out[outlen].  Specs that cannot be expressed (or are malformed) are left out and listed in
 * bad[badlen] ("arg1 (8@(%rax,%rbx,8))", comma-separated) for the caller to warn about.
 * Returns the number of specs left out (>= 0), or -ENAMETOOLONG.
 */
int prb_usdt__fetch_args(const char *args, char *out, size_t outlen, char *bad, size_t badlen);

/* ---- tracefs --------------------------------------------------------------- */

/* The tracefs mount point from /proc/mounts (tracefs, else debugfs's tracing/).
 * 0 or -ENOENT (not mounted). */
int prb_tracefs__find(char *dir, size_t len);

#define PRB_GROUP_PREFIX "pftrace_"

/* Our own uprobe group, "pftrace_<pid>", and the events we created in it. */
struct prb_group {
	char tracefs[256];
	char name[64];
	char **events;
	size_t nr_events;
};

/* @tracefs: the tracefs directory, NULL to find it.  @pid: the owning pftrace (getpid()).
 * Creates nothing yet.  0, -ENOENT (no tracefs). */
int prb_group__init(struct prb_group *g, const char *tracefs, pid_t pid);

/*
 * Create one probe: "p:GROUP/EVENT PATH:0xOFFSET[(0xREF_CTR)] ARGS" (ret: "r:" and a return
 * probe).  The event name comes from @want sanitised to [A-Za-z0-9_] (a leading digit gets a
 * '_'), cut to fit, and made unique in the group with _1, _2, ...; it is copied to
 * event[eventlen] (may be NULL).  @ref_ctr 0: no semaphore.  @args may be NULL.
 * On a refusal the message quotes the kernel's error_log.  0 or -errno.
 */
int prb_group__add(struct prb_group *g, int ret, const char *want, const char *path,
		   uint64_t offset, uint64_t ref_ctr, const char *args, char *event,
		   size_t eventlen, char *err, size_t errlen);

/* The probe line prb_group__add() writes, without writing it (for messages and tests). */
int prb_group__format(const struct prb_group *g, int ret, const char *event, const char *path,
		      uint64_t offset, uint64_t ref_ctr, const char *args, char *out,
		      size_t outlen);

/* Remove every event this group created ("-:GROUP/EVENT"), nothing else.  Events still
 * open in perf refuse (-EBUSY): close them first.  Tries all; the first error is returned. */
int prb_group__remove_all(struct prb_group *g, char *err, size_t errlen);

/* Forget the group's bookkeeping (removes nothing). */
void prb_group__exit(struct prb_group *g);

/*
 * Remove the uprobe events of groups "pftrace_<pid>" whose pid is not a running pftrace
 * (/proc/PID/comm is not "pftrace"; @self is never swept).  Other groups are never touched.
 * *removed (may be NULL) gets the number of events removed.  0 or the first -errno.
 */
int prb_tracefs__sweep(const char *tracefs, pid_t self, int *removed, char *err, size_t errlen);

/* ---- listing --------------------------------------------------------------- */

/*
 * `pftrace probes BINARY [PATTERN]`: print to @out the USDT probes of @path (one line per
 * probe: "usdt:PATH:PROVIDER:NAME" with its argument specs and location count, in file
 * order) then its functions matching @pattern ("uprobe:PATH:NAME", sorted).  @pattern
 * applies to functions and to "PROVIDER:NAME" of USDT probes; NULL lists all.
 * 0 or -errno (nothing printed on error).
 */
int prb_list(FILE *out, const char *path, const char *pattern, char *err, size_t errlen);

#endif
