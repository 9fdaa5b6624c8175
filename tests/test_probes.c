/* SPDX-License-Identifier: MIT */
/*
 * test_probes: the probe machinery of plugins/probes (specs, library names,
 * symbol offsets, USDT notes and arguments, tracefs groups).
 *
 * Expected offsets come by another route than the ELF reader: the fixture
 * (tests/fixtures/usdt_app --where) and this test itself compute them from
 * their own /proc/self/maps.  The kernel part (root) writes the generated
 * probe lines into uprobe_events in a group of its own, checks the kernel
 * took them, sweeps a stale group next to a foreign one, and leaves nothing.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "probes.h"
#include "tap.h"

static char fixture[PATH_MAX];

/* Whether @hay contains the formatted string. */
static int contains(const char *hay, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int contains(const char *hay, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int ok;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	va_end(ap);
	ok = hay && strstr(hay, s) != NULL;
	free(s);
	return ok;
}

/* ---- specs ---------------------------------------------------------------- */

static void test_spec_good(void)
{
	static const struct {
		const char *text;
		enum prb_kind kind;
		const char *path, *symbol, *provider, *args;
		uint64_t offset;
	} good[] = {
		{"uprobe:/usr/bin/app:handle", PRB_UPROBE, "/usr/bin/app", "handle", NULL, NULL, 0},
		{"uprobe:libc:malloc+16", PRB_UPROBE, "libc", "malloc", NULL, NULL, 16},
		{"uprobe:./app:f+0x1f", PRB_UPROBE, "./app", "f", NULL, NULL, 0x1f},
		{"uretprobe:libc:write", PRB_URETPROBE, "libc", "write", NULL, NULL, 0},
		{"uprobe:/usr/bin/app:handle fd=%di:s32 path=+0(%si):ustring", PRB_UPROBE,
		 "/usr/bin/app", "handle", NULL, "fd=%di:s32 path=+0(%si):ustring", 0},
		{"uprobe:/a:ns::f", PRB_UPROBE, "/a", "ns::f", NULL, NULL, 0},
		{"uprobe:/a:operator+", PRB_UPROBE, "/a", "operator+", NULL, NULL, 0},
		{"uprobe:/a:write@@GLIBC_2.2.5", PRB_UPROBE, "/a", "write@@GLIBC_2.2.5", NULL, NULL,
		 0},
		{"usdt:/bin/app:pftest:tick", PRB_USDT, "/bin/app", "tick", "pftest", NULL, 0},
		{"usdt:/bin/app:tick", PRB_USDT, "/bin/app", "tick", NULL, NULL, 0},
		{"uprobe:/proc/12/root/bin/app:f\tx=%ax  \t", PRB_UPROBE, "/proc/12/root/bin/app",
		 "f", NULL, "x=%ax", 0},
	};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct prb_spec s;
		char err[256] = "";
		int ret = prb_spec__parse(good[i].text, &s, err, sizeof(err));

		if (!tap_ok(ret == 0, "parse '%s'", good[i].text)) {
			tap_diag("%d: %s", ret, err);
			continue;
		}
		tap_ok(s.kind == good[i].kind && !strcmp(s.path, good[i].path) &&
			       !strcmp(s.symbol, good[i].symbol) && s.offset == good[i].offset &&
			       (good[i].provider
					? s.provider && !strcmp(s.provider, good[i].provider)
					: !s.provider) &&
			       (good[i].args ? s.args && !strcmp(s.args, good[i].args) : !s.args),
		       "fields of '%s' (path %s symbol %s provider %s offset %llu args %s)",
		       good[i].text, s.path, s.symbol, s.provider ? s.provider : "-",
		       (unsigned long long)s.offset, s.args ? s.args : "-");
		prb_spec__exit(&s);
	}
	tap_ok(prb_spec__is_probe("usdt:x:y") && prb_spec__is_probe("uretprobe:a:b") &&
		       !prb_spec__is_probe("sched:sched_switch"),
	       "probe specs told from tracepoints");
}

static void test_spec_bad(void)
{
	static const struct {
		const char *text, *msg;
	} bad[] = {
		{"kprobe:do_sys_open", "expected uprobe:, uretprobe: or usdt:"},
		{"uprobe:/bin/app", "expected uprobe:PATH:SYMBOL[+OFFSET]"},
		{"uprobe::f", "expected uprobe:PATH:SYMBOL[+OFFSET]"},
		{"uprobe:/bin/app:", "expected uprobe:PATH:SYMBOL[+OFFSET]"},
		{"uretprobe:/bin/app", "expected uretprobe:PATH:SYMBOL[+OFFSET]"},
		{"uprobe:/bin/app:f+12z", "bad offset '+12z'"},
		{"uprobe:/bin/app:+12", "an offset needs a symbol"},
		{"uprobe:/bin/app:f %di", "fetch argument '%di' is not NAME=FETCHARG[:TYPE]"},
		{"uprobe:/bin/app:f 1x=%di", "fetch argument '1x=%di'"},
		{"uprobe:/bin/app:f x=", "fetch argument 'x='"},
		{"usdt:/bin/app", "expected usdt:PATH:[PROVIDER:]NAME"},
		{"usdt:/bin/app:a:b:c", "expected usdt:PATH:[PROVIDER:]NAME"},
		{"usdt:/bin/app::b", "expected usdt:PATH:[PROVIDER:]NAME"},
		{"usdt:/bin/app:p:n x=%ax", "take their arguments from the probe's note"},
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct prb_spec s;
		char err[256] = "", want[256];
		int ret = prb_spec__parse(bad[i].text, &s, err, sizeof(err));

		snprintf(want, sizeof(want), "probe '%s': ", bad[i].text);
		if (!tap_ok(ret == -EINVAL && strncmp(err, want, strlen(want)) == 0 &&
				    strstr(err, bad[i].msg),
			    "refuse '%s'", bad[i].text))
			tap_diag("%d: %s", ret, err);
	}
}

/* ---- library names -------------------------------------------------------- */

static void test_lib_names(void)
{
	static const struct {
		const char *name, *base;
		int match;
	} t[] = {
		{"libc", "libc.so.6", 1},
		{"c", "libc.so.6", 1},
		{"libc", "libc-2.31.so", 1},
		{"libc", "libc.so", 1},
		{"libc", "libcap.so.2", 0},
		{"libc", "libc-client.so.2007", 0},
		{"libc.so.6", "libc.so.6", 1},
		{"libc.so.6", "libc.so", 0},
		{"libpthread", "libpthread.so.0", 1},
		{"pthread", "libpthread-2.31.so", 1},
		{"libc", "libc.so.6x", 0},
		{"libc", "libc.so.6.1", 1},
		{"libc", "libc.so.", 0},
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char name[128];

		snprintf(name, sizeof(name), "'%s' %s '%s'", t[i].name,
			 t[i].match ? "is" : "is not", t[i].base);
		tap_is_int(prb_lib__matches(t[i].name, t[i].base), t[i].match, name);
	}
}

/* The file this process maps @addr from, and @addr's offset in it (/proc/self/maps). */
static int self_map(const void *addr, char *path, size_t len, uint64_t *off)
{
	unsigned long long start, end, o, a = (uintptr_t)addr;
	char line[PATH_MAX + 128];
	FILE *f = fopen("/proc/self/maps", "r");
	int ret = -ENOENT;

	if (!f)
		return -errno;
	while (ret && fgets(line, sizeof(line), f)) {
		char *file;

		if (sscanf(line, "%llx-%llx %*s %llx", &start, &end, &o) != 3 || a < start ||
		    a >= end || !(file = strchr(line, '/')))
			continue;
		file[strcspn(file, "\n")] = '\0';
		snprintf(path, len, "%s", file);
		*off = a - start + o;
		ret = 0;
	}
	fclose(f);
	return ret;
}

static void *libc_sym(const char *name)
{
	void *h = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);

	return h ? dlsym(h, name) : NULL; /* libc's own, not a sanitizer's interceptor */
}

static void test_resolve(void)
{
	char want[PATH_MAX], got[PATH_MAX], err[256] = "", rw[PATH_MAX], rg[PATH_MAX],
					    cwd[PATH_MAX];
	pid_t self = getpid();
	uint64_t off;
	int ret;

	if (self_map(libc_sym("write"), want, sizeof(want), &off) < 0) {
		tap_ok(0, "libc's write found in /proc/self/maps");
		return;
	}
	ret = prb_path__resolve("libc", &self, 1, got, sizeof(got), err, sizeof(err));
	tap_ok(ret == 0 && !strcmp(got, want), "libc from our maps is %s (got %s %s)", want, got,
	       err);
	ret = prb_path__resolve("libc", NULL, 0, got, sizeof(got), err, sizeof(err));
	tap_ok(ret == 0 && realpath(got, rg) && realpath(want, rw) && !strcmp(rg, rw),
	       "libc from ld.so.cache is the same file (%s)", got);
	ret = prb_ldcache__lookup("/etc/ld.so.cache", "libc.so.6", got, sizeof(got));
	tap_ok(ret == 0 && realpath(got, rg) && !strcmp(rg, rw), "ld.so.cache: libc.so.6 -> %s",
	       got);
	tap_is_int(prb_ldcache__lookup("/etc/ld.so.cache", "libnosuchlib", got, sizeof(got)),
		   -ENOENT, "ld.so.cache: no libnosuchlib");
	tap_is_int(prb_ldcache__lookup("/etc/passwd", "libc", got, sizeof(got)), -EINVAL,
		   "ld.so.cache: /etc/passwd is not a cache");
	ret = prb_path__resolve("libpthread", NULL, 0, got, sizeof(got), err, sizeof(err));
	tap_ok(ret == 0 && strstr(got, "libpthread"), "libpthread -> %s %s", got, err);
	ret = prb_path__resolve("sh", NULL, 0, got, sizeof(got), err, sizeof(err));
	tap_ok(ret == 0 && got[0] == '/' && access(got, X_OK) == 0, "sh from $PATH -> %s", got);
	ret = prb_path__resolve("libnosuchlib", &self, 1, got, sizeof(got), err, sizeof(err));
	tap_ok(ret == -ENOENT && strstr(err, "libnosuchlib") && strstr(err, "ld.so.cache"),
	       "unknown library: %s", err);
	ret = prb_path__resolve("/no/such/file", NULL, 0, got, sizeof(got), err, sizeof(err));
	tap_ok(ret == -ENOENT && strstr(err, "/no/such/file"), "missing path: %s", err);
	if (getcwd(cwd, sizeof(cwd)) && chdir("/usr") == 0) {
		ret = prb_path__resolve("./bin/../bin/sh", NULL, 0, got, sizeof(got), err,
					sizeof(err));
		tap_ok(ret == 0 && !strcmp(got, "/usr/./bin/../bin/sh"), "relative path -> %s",
		       got);
		if (chdir(cwd) < 0)
			abort();
	}
	if (snprintf(want, sizeof(want), "/proc/%d/root%s", (int)self, fixture) >=
	    (int)sizeof(want))
		abort();
	ret = prb_path__resolve(want, NULL, 0, got, sizeof(got), err, sizeof(err));
	tap_ok(ret == 0 && !strcmp(got, want), "/proc/PID/root path kept: %s", got);
}

/* ---- symbols ---------------------------------------------------------------- */

__attribute__((noinline)) int probes_test_target(int x);
__attribute__((noinline)) int probes_test_target(int x)
{
	__asm__ volatile("" ::: "memory");
	return x + 1;
}

/* Run "usdt_app --where": the fixture's own view of where pft_work and its semaphore are. */
static int fixture_where(uint64_t *work, uint64_t *sema)
{
	char *cmd = xasprintf("'%s' --where", fixture);
	unsigned long long w, s;
	FILE *p = popen(cmd, "r");
	int ret = -EIO;

	free(cmd);
	if (!p)
		return -errno;
	if (fscanf(p, "pft_work 0x%llx semaphore 0x%llx", &w, &s) == 2) {
		*work = w;
		*sema = s;
		ret = 0;
	}
	pclose(p);
	return ret;
}

static void test_symbols(void)
{
	char path[PATH_MAX], libc[PATH_MAX], err[256] = "";
	uint64_t want, got = 0, size, sema;
	int ret;

	if (fixture_where(&want, &sema) < 0) {
		tap_ok(0, "run %s --where", fixture);
		return;
	}
	ret = prb_elf__func_offset(fixture, "pft_work", 0, &got, &size, err, sizeof(err));
	tap_ok(ret == 0 && got == want, "fixture pft_work at file offset %#llx (got %#llx %s)",
	       (unsigned long long)want, (unsigned long long)got, err);
	ret = prb_elf__func_offset(fixture, "pft_work", 4, &got, NULL, err, sizeof(err));
	tap_ok(ret == 0 && got == want + 4, "pft_work+4 at %#llx", (unsigned long long)got);
	ret = prb_elf__func_offset(fixture, "pft_work", size, &got, NULL, err, sizeof(err));
	tap_ok(ret == -EINVAL && strstr(err, "beyond the end of 'pft_work'"), "+size: %s", err);
	ret = prb_elf__func_offset(fixture, "pft_nosuch", 0, &got, NULL, err, sizeof(err));
	tap_ok(ret == -ENOENT && strstr(err, "no function 'pft_nosuch'") &&
		       !strstr(err, "stripped"),
	       "missing symbol: %s", err);
	ret = prb_elf__func_offset(fixture, "pft_sink", 0, &got, NULL, err, sizeof(err));
	tap_ok(ret == -ENOENT, "a variable is not a function: %s", err);
	ret = prb_elf__func_offset("/etc/passwd", "main", 0, &got, NULL, err, sizeof(err));
	tap_ok(ret == -ENOEXEC && strstr(err, "/etc/passwd: not an ELF file"), "not ELF: %s", err);

	/* this test's own function, by its runtime address */
	if (self_map((void *)probes_test_target, path, sizeof(path), &want) == 0) {
		ret = prb_elf__func_offset(path, "probes_test_target", 0, &got, NULL, err,
					   sizeof(err));
		tap_ok(ret == 0 && got == want, "own probes_test_target at %#llx (got %#llx %s)",
		       (unsigned long long)want, (unsigned long long)got, err);
	}
	/* libc's write (from .dynsym on a stripped libc), and its versioned spelling */
	if (self_map(libc_sym("write"), libc, sizeof(libc), &want) == 0) {
		ret = prb_elf__func_offset(libc, "write", 0, &got, NULL, err, sizeof(err));
		tap_ok(ret == 0 && got == want, "libc write at %#llx (got %#llx %s)",
		       (unsigned long long)want, (unsigned long long)got, err);
		ret = prb_elf__func_offset(libc, "write@@GLIBC_2.2.5", 0, &got, NULL, err,
					   sizeof(err));
		tap_ok(ret == 0 && got == want, "libc write@@GLIBC_2.2.5 is write (%s)", err);
	}
}

static void test_stripped(void)
{
	char *copy = xasprintf("%s-stripped", fixture), err[256] = "";
	char *cmd = xasprintf("objcopy --strip-all '%s' '%s'", fixture, copy);
	uint64_t got;
	int ret;

	if (system(cmd) != 0) {
		tap_skip("%s", "objcopy --strip-all failed");
		goto out;
	}
	ret = prb_elf__func_offset(copy, "pft_work", 0, &got, NULL, err, sizeof(err));
	tap_ok(ret == -ENOENT && strstr(err, "no symbol table") && strstr(err, "pft_work"),
	       "stripped binary: %s", err);
	unlink(copy);
out:
	free(cmd);
	free(copy);
}

static void test_funcs(void)
{
	struct prb_func *f;
	char err[256] = "";
	size_t n;
	int ret = prb_elf__funcs(fixture, "pft_*", &f, &n, err, sizeof(err));

	tap_ok(ret == 0 && n == 1 && !strcmp(f[0].name, "pft_work"),
	       "functions 'pft_*' of the fixture: pft_work only (%zu)", n);
	if (!ret)
		prb_funcs__free(f, n);
	ret = prb_elf__funcs(fixture, NULL, &f, &n, err, sizeof(err));
	tap_ok(ret == 0 && n > 2, "all functions of the fixture (%zu)", n);
	if (!ret) {
		size_t sorted = 1;

		for (size_t i = 1; i < n; i++)
			sorted &= strcmp(f[i - 1].name, f[i].name) < 0;
		tap_ok(sorted, "sorted by name, one per name");
		prb_funcs__free(f, n);
	}
}

/* ---- USDT ------------------------------------------------------------------- */

static void test_usdt_args(void)
{
	static const struct {
		const char *spec, *want;
		int ret;
	} t[] = {
		{"-4@%eax", "arg0=%ax:s32", 0},
		{"8@-16(%rbp)", "arg0=-16(%bp):u64", 0},
		{"4@$5", "arg0=\\5:u32", 0},
		{"-4@$-5", "arg0=\\-5:s32", 0},
		{"8@%rdi", "arg0=%di:u64", 0},
		{"-8@8(%rsp)", "arg0=+8(%sp):s64", 0},
		{"1@%al", "arg0=%ax:u8", 0},
		{"2@%ax", "arg0=%ax:u16", 0},
		{"-1@%sil", "arg0=%si:s8", 0},
		{"4@%r8d", "arg0=%r8:u32", 0},
		{"2@%r15w", "arg0=%r15:u16", 0},
		{"1@%r12b", "arg0=%r12:u8", 0},
		{"8@%r9", "arg0=%r9:u64", 0},
		{"4@(%rbx)", "arg0=+0(%bx):u32", 0},
		{"8@0x10(%rdi)", "arg0=+16(%di):u64", 0},
		{"%rdx", "arg0=%dx:s64", 0},
		{"8@(%rax,%rbx,8)", NULL, -EOPNOTSUPP},
		{"8@16(%rax,%rbx,8)", NULL, -EOPNOTSUPP},
		{"4@counter(%rip)", NULL, -EOPNOTSUPP},
		{"4@counter+8(%rip)", NULL, -EOPNOTSUPP},
		{"8@16(%rip)", NULL, -EOPNOTSUPP},
		{"1@%ah", NULL, -EOPNOTSUPP},
		{"8@%fs:0x28", NULL, -EOPNOTSUPP},
		{"8@%xmm0", NULL, -EOPNOTSUPP},
		{"3@%eax", NULL, -EINVAL},
		{"x@%eax", NULL, -EINVAL},
		{"4@%foo", NULL, -EINVAL},
		{"4@", NULL, -EINVAL},
		{"4@$", NULL, -EINVAL},
	};
	char out[256], bad[256];

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int ret;

		out[0] = '\0';
		ret = prb_usdt__arg_to_fetch(t[i].spec, "arg0", out, sizeof(out));
		if (t[i].want)
			tap_ok(ret == 0 && !strcmp(out, t[i].want), "%s -> %s (got %d '%s')",
			       t[i].spec, t[i].want, ret, out);
		else
			tap_ok(ret == t[i].ret, "%s -> %s (got %d)", t[i].spec,
			       t[i].ret == -EINVAL ? "malformed" : "not expressible", ret);
	}
	tap_is_int(prb_usdt__fetch_args("-4@%eax 8@(%rax,%rbx,8)  4@$5", out, sizeof(out), bad,
					sizeof(bad)),
		   1, "one of three specs left out");
	tap_is_str(out, "arg0=%ax:s32 arg2=\\5:u32", "kept ones keep their position");
	tap_is_str(bad, "arg1 (8@(%rax,%rbx,8))", "the left-out one named");
	tap_is_int(prb_usdt__fetch_args("", out, sizeof(out), bad, sizeof(bad)), 0, "no args");
	tap_is_str(out, "", "no args: empty");
	tap_is_int(prb_usdt__fetch_args("-4@%eax 8@%rdi", out, 8, bad, sizeof(bad)), -ENAMETOOLONG,
		   "a too small buffer");
}

static void test_usdt_notes(void)
{
	struct prb_usdt_note *notes;
	char err[256] = "", out[256], bad[256];
	size_t n, idx[8];
	uint64_t work, sema;
	int ret, cnt;

	ret = prb_usdt__read(fixture, &notes, &n, err, sizeof(err));
	if (!tap_ok(ret == 0 && n == 2, "fixture has 2 USDT notes (%d %zu %s)", ret, n, err))
		return;
	cnt = prb_usdt__select(notes, n, "pftest", "tick", idx, 8, err, sizeof(err));
	tap_is_int(cnt, 1, "pftest:tick: one location");
	if (cnt == 1 && fixture_where(&work, &sema) == 0) {
		const struct prb_usdt_note *u = &notes[idx[0]];

		tap_is_str(u->provider, "pftest", "tick provider");
		tap_ok(u->sema && u->sema_offset == sema,
		       "tick semaphore at file offset %#llx (got %#llx)", (unsigned long long)sema,
		       (unsigned long long)u->sema_offset);
		tap_ok(!strncmp(u->args, "-4@", 3) && strchr(u->args, ' ') &&
			       (!strncmp(strchr(u->args, ' '), " 8@", 3) ||
				!strncmp(strchr(u->args, ' '), " -8@", 4)) &&
			       !strchr(strchr(u->args, ' ') + 1, ' '),
		       "tick args: an int and a long (%s)", u->args);
		tap_is_int(prb_usdt__fetch_args(u->args, out, sizeof(out), bad, sizeof(bad)), 0,
			   "tick args all expressible");
		tap_ok(!strncmp(out, "arg0=", 5) && strstr(out, ":s32 arg1=") &&
			       (strstr(out, ":u64") || strstr(out, ":s64")),
		       "tick fetch args: %s", out);
		/* the probe is in main, after the call to pft_work: not at it */
		tap_ok(u->pc_offset != work && u->pc_offset > 0, "tick at file offset %#llx",
		       (unsigned long long)u->pc_offset);
	}
	cnt = prb_usdt__select(notes, n, NULL, "plain", idx, 8, err, sizeof(err));
	tap_ok(cnt == 1 && !strcmp(notes[idx[0]].args, "-4@$5") && !notes[idx[0]].sema,
	       "usdt:PATH:plain without provider, args -4@$5, no semaphore");
	tap_is_int(prb_usdt__select(notes, n, "pftest", "nosuch", idx, 8, err, sizeof(err)),
		   -ENOENT, "missing USDT probe");
	tap_ok(strstr(err, "pftest:nosuch") != NULL, "message names it: %s", err);
	tap_is_int(prb_usdt__select(notes, n, "other", "tick", idx, 8, err, sizeof(err)), -ENOENT,
		   "wrong provider");
	prb_usdt__free(notes, n);

	/* ambiguity without a provider */
	{
		struct prb_usdt_note two[2] = {
			{.provider = "a", .name = "x", .args = ""},
			{.provider = "b", .name = "x", .args = ""},
		};

		tap_is_int(prb_usdt__select(two, 2, NULL, "x", idx, 8, err, sizeof(err)), -EINVAL,
			   "NAME of two providers is ambiguous");
		tap_ok(strstr(err, "'a'") && strstr(err, "'b'"), "message lists them: %s", err);
	}
	ret = prb_usdt__read("/etc/passwd", &notes, &n, err, sizeof(err));
	tap_ok(ret == -ENOEXEC, "USDT of a non-ELF file: %s", err);
}

static void test_list(void)
{
	char *buf = NULL, err[256] = "";
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int ret;

	if (!f)
		abort();
	ret = prb_list(f, fixture, NULL, err, sizeof(err));
	fclose(f);
	tap_ok(ret == 0, "list the fixture (%s)", err);
	if (!buf)
		return;
	tap_ok(contains(buf, "usdt:%s:pftest:tick  [1 location, semaphore]  args: -4@", fixture),
	       "lists usdt tick with its args");
	tap_ok(contains(buf, "usdt:%s:pftest:plain  args: -4@$5\n", fixture), "lists usdt plain");
	tap_ok(contains(buf, "uprobe:%s:pft_work\n", fixture), "lists pft_work");
	tap_ok(contains(buf, "uprobe:%s:main\n", fixture), "lists main");
	free(buf);
	buf = NULL;
	f = open_memstream(&buf, &len);
	if (!f)
		abort();
	ret = prb_list(f, fixture, "pft*", err, sizeof(err));
	fclose(f);
	tap_ok(ret == 0 && contains(buf, "pftest:tick") && contains(buf, "pftest:plain") &&
		       contains(buf, ":pft_work\n") && !contains(buf, ":main\n"),
	       "pattern pft*: USDT probes and pft_work, not main");
	free(buf);
}

/* ---- tracefs (root) --------------------------------------------------------- */

static char *read_file(const char *path)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len), *in = fopen(path, "r");
	int c;

	if (!out)
		abort();
	while (in && (c = getc(in)) != EOF)
		putc(c, out);
	if (in)
		fclose(in);
	fclose(out);
	return buf;
}

static char *read_events(const char *tracefs)
{
	char *path = xasprintf("%s/uprobe_events", tracefs), *s = read_file(path);

	free(path);
	return s;
}

static int append_line(const char *tracefs, const char *line)
{
	char *path = xasprintf("%s/uprobe_events", tracefs);
	int fd = open(path, O_WRONLY | O_APPEND), ret = 0;

	free(path);
	if (fd < 0)
		return -errno;
	if (write(fd, line, strlen(line)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

static int event_exists(const char *tracefs, const char *group, const char *event)
{
	char *p = xasprintf("%s/events/%s/%s/format", tracefs, group, event);
	int ok = access(p, F_OK) == 0;

	free(p);
	return ok;
}

static pid_t dead_pid(void)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	return pid;
}

static void test_tracefs(void)
{
	char tracefs[256], err[512] = "", ev[64], args[256], bad[256], *events, *line;
	struct prb_usdt_note *notes = NULL;
	struct prb_group g, stale;
	uint64_t off;
	size_t n = 0;
	int ret, removed;

	if (geteuid() != 0) {
		tap_skip("%s", "not root: no uprobe_events");
		return;
	}
	if (prb_tracefs__find(tracefs, sizeof(tracefs)) < 0) {
		tap_skip("%s", "tracefs is not mounted");
		return;
	}
	line = xasprintf("%s/uprobe_events", tracefs);
	ret = access(line, W_OK);
	free(line);
	if (ret < 0) {
		tap_skip("%s", "no uprobe_events in tracefs (CONFIG_UPROBE_EVENTS)");
		return;
	}
	tap_ok(prb_group__init(&g, tracefs, getpid()) == 0, "group %s in %s", g.name, tracefs);
	err[0] = '\0';
	ret = prb_elf__func_offset(fixture, "pft_work", 0, &off, NULL, err, sizeof(err));
	err[0] = '\0';
	ret = ret ? ret
		  : prb_group__add(&g, 0, "pft_work", fixture, off, 0, "x=%di:s32", ev, sizeof(ev),
				   err, sizeof(err));
	tap_ok(ret == 0 && !strcmp(ev, "pft_work") && event_exists(tracefs, g.name, ev),
	       "uprobe pft_work accepted (%s)", err);
	err[0] = '\0';
	ret = prb_group__add(&g, 1, "pft_work", fixture, off, 0, "ret=$retval:s64", ev, sizeof(ev),
			     err, sizeof(err));
	tap_ok(ret == 0 && !strcmp(ev, "pft_work_1") && event_exists(tracefs, g.name, ev),
	       "uretprobe pft_work accepted as %s (%s)", ev, err);
	err[0] = '\0';
	ret = prb_usdt__read(fixture, &notes, &n, err, sizeof(err));
	for (size_t i = 0; !ret && i < n; i++) {
		char want[128];

		prb_usdt__fetch_args(notes[i].args, args, sizeof(args), bad, sizeof(bad));
		snprintf(want, sizeof(want), "%s:%s", notes[i].provider, notes[i].name);
		err[0] = '\0';
		ret = prb_group__add(&g, 0, want, fixture, notes[i].pc_offset, notes[i].sema_offset,
				     args, ev, sizeof(ev), err, sizeof(err));
		tap_ok(ret == 0 && event_exists(tracefs, g.name, ev),
		       "usdt %s accepted as %s with '%s'%s (%s)", want, ev, args,
		       notes[i].sema ? " and its semaphore" : "", err);
	}
	prb_usdt__free(notes, n);
	/* every translated form, immediates included, on one probe */
	err[0] = '\0';
	ret = prb_group__add(&g, 0, "forms", fixture, off, 0,
			     "a=%ax:s32 b=-16(%bp):u64 c=\\5:u32 d=%r15:u16 e=+8(%sp):s8", ev,
			     sizeof(ev), err, sizeof(err));
	tap_ok(ret == 0, "the kernel takes every translated form (%s)", err);
	err[0] = '\0';
	ret = prb_group__add(&g, 0, "bad", fixture, off, 0, "x=%nosuchreg", ev, sizeof(ev), err,
			     sizeof(err));
	tap_ok(ret < 0 && strstr(err, "the kernel refused") && strstr(err, "x=%nosuchreg"),
	       "a bad fetch arg refused: %s", err);
	tap_ok(!event_exists(tracefs, g.name, "bad"), "and not created");
	/* a foreign group and a stale one of a pftrace that is gone */
	line = xasprintf("p:otherprobes/x %s:0x%llx\n", fixture, (unsigned long long)off);
	ret = append_line(tracefs, line);
	free(line);
	tap_ok(ret == 0, "foreign probe otherprobes/x created (%d)", ret);
	prb_group__init(&stale, tracefs, dead_pid());
	err[0] = '\0';
	ret = prb_group__add(&stale, 0, "pft_work", fixture, off, 0, NULL, ev, sizeof(ev), err,
			     sizeof(err));
	tap_ok(ret == 0, "stale group %s created (%s)", stale.name, err);
	err[0] = '\0';
	ret = prb_tracefs__sweep(tracefs, getpid(), &removed, err, sizeof(err));
	tap_ok(ret == 0 && removed == 1, "sweep removed the stale event only (%d, %d %s)", ret,
	       removed, err);
	events = read_events(tracefs);
	tap_ok(strstr(events, "p:otherprobes/x ") != NULL, "the foreign probe survives");
	tap_ok(!contains(events, "%s/", stale.name), "the stale group is gone");
	tap_ok(contains(events, "p:%s/pft_work ", g.name), "our own group survives the sweep");
	free(events);
	prb_group__exit(&stale);

	err[0] = '\0';
	ret = prb_group__remove_all(&g, err, sizeof(err));
	tap_ok(ret == 0 && g.nr_events == 0, "our events removed (%s)", err);
	prb_group__exit(&g);
	events = read_events(tracefs);
	tap_ok(!contains(events, "%s/", g.name), "nothing of ours left");
	tap_ok(strstr(events, "p:otherprobes/x ") != NULL, "the foreign probe still there");
	free(events);
	append_line(tracefs, "-:otherprobes/x\n");
	events = read_events(tracefs);
	tap_ok(!strstr(events, "otherprobes/"), "foreign probe cleaned up by the test");
	free(events);
}

int main(void)
{
	const char *top = getenv("top_builddir");

	/* The kernel tests make a group pftrace_<our pid>: a pftrace running in
	 * parallel (make -j check) sweeps such groups unless their owner is
	 * named pftrace, as real owners are. */
	prctl(PR_SET_NAME, "pftrace", 0, 0, 0);

	snprintf(fixture, sizeof(fixture), "%s/tests/fixtures/usdt_app", top ? top : ".");
	if (fixture[0] != '/') {
		char cwd[PATH_MAX];

		if (!getcwd(cwd, sizeof(cwd)))
			abort();
		if (snprintf(fixture, sizeof(fixture), "%s/%s/tests/fixtures/usdt_app", cwd,
			     top ? top : ".") >= (int)sizeof(fixture))
			abort();
	}
	test_spec_good();
	test_spec_bad();
	test_lib_names();
	test_resolve();
	test_symbols();
	test_stripped();
	test_funcs();
	test_usdt_args();
	test_usdt_notes();
	test_list();
	test_tracefs();
	return tap_done();
}
