/* SPDX-License-Identifier: MIT */
/* core/sysdecode: see sysdecode.h. */
#include "config.h"
#include "core/sysdecode.h"
#include "core/syscall_names.h"
#include "core/u64map.h"
#include "core/util.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum akind { A_INT, A_UINT, A_LONG, A_ULONG, A_PTR, A_OPEN_FLAGS, A_MODE, A_DFD };

struct scinfo {
	unsigned n;
	char names[6][24];
	enum akind kinds[6];
};

struct scd {
	struct u64map cache; /* id + 1 -> struct scinfo * */
	int source;
};

/* Common syscalls, for machines without readable syscall tracepoint formats. */
static const struct {
	const char *name, *args;
} builtin[] = {
	{"read", "unsigned int fd,char * buf,size_t count"},
	{"write", "unsigned int fd,const char * buf,size_t count"},
	{"open", "const char * filename,int flags,umode_t mode"},
	{"openat", "int dfd,const char * filename,int flags,umode_t mode"},
	{"close", "unsigned int fd"},
	{"pread64", "unsigned int fd,char * buf,size_t count,loff_t pos"},
	{"pwrite64", "unsigned int fd,const char * buf,size_t count,loff_t pos"},
	{"lseek", "unsigned int fd,off_t offset,unsigned int whence"},
	{"mmap", "unsigned long addr,unsigned long len,unsigned long prot,unsigned long flags,"
		 "unsigned long fd,unsigned long off"},
	{"munmap", "unsigned long addr,size_t len"},
	{"ioctl", "unsigned int fd,unsigned int cmd,unsigned long arg"},
	{"newfstatat", "int dfd,const char * filename,struct stat * statbuf,int flag"},
	{"unlinkat", "int dfd,const char * pathname,int flag"},
	{"execve", "const char * filename,const char *const * argv,const char *const * envp"},
	{"getppid", ""},
	{"getpid", ""},
	{"nanosleep", "struct __kernel_timespec * rqsp,struct __kernel_timespec * rmtp"},
	{"exit_group", "int error_code"},
	{"accept", "int fd,struct sockaddr * upeer_sockaddr,int * upeer_addrlen"},
	{"connect", "int fd,struct sockaddr * uservaddr,int addrlen"},
};

struct scd *scd_new(void)
{
	return calloc(1, sizeof(struct scd));
}

void scd_free(struct scd *d)
{
	size_t i;

	if (!d)
		return;
	for (i = 0; i < d->cache.cap; i++)
		if (d->cache.keys[i])
			free(d->cache.vals[i]);
	u64map_free(&d->cache);
	free(d);
}

int scd_source(const struct scd *d)
{
	return d->source;
}

static enum akind kind_of(const char *sc, const char *type, const char *name)
{
	if (!strcmp(name, "flags") && (!strcmp(sc, "open") || !strcmp(sc, "openat")))
		return A_OPEN_FLAGS;
	if (!strcmp(name, "mode") && strstr(type, "mode"))
		return A_MODE;
	if (!strcmp(name, "dfd"))
		return A_DFD;
	if (strchr(type, '*'))
		return A_PTR;
	if (strstr(type, "unsigned long") || strstr(type, "size_t"))
		return A_ULONG;
	if (strstr(type, "long") || strstr(type, "loff_t") || strstr(type, "off_t"))
		return A_LONG;
	if (strstr(type, "unsigned") || strstr(type, "u32") || strstr(type, "umode_t"))
		return A_UINT;
	if (!strcmp(type, "int") || strstr(type, "pid_t") || strstr(type, "key_serial_t"))
		return A_INT;
	return A_ULONG;
}

static void add_arg(struct scinfo *si, const char *sc, const char *type, size_t tlen,
		    const char *name, size_t nlen)
{
	char t[64];

	if (si->n >= 6)
		return;
	snprintf(t, sizeof(t), "%.*s", (int)tlen, type);
	snprintf(si->names[si->n], sizeof(si->names[0]), "%.*s", (int)nlen, name);
	si->kinds[si->n] = kind_of(sc, t, si->names[si->n]);
	si->n++;
}

/* "\tfield:int dfd;\toffset:16;..." lines after __syscall_nr */
static int from_format(struct scinfo *si, const char *sc, const char *fmt)
{
	const char *p = strstr(fmt, "__syscall_nr;");

	if (!p)
		return -1;
	while ((p = strstr(p, "field:")) != NULL) {
		const char *decl = p + 6, *semi = strchr(decl, ';'), *sp;

		if (!semi)
			break;
		for (sp = semi; sp > decl && sp[-1] != ' ' && sp[-1] != '*'; sp--)
			;
		if (sp > decl)
			add_arg(si, sc, decl, (size_t)(sp - decl), sp, (size_t)(semi - sp));
		p = semi;
	}
	return 0;
}

static char *read_format(const char *name)
{
	static const char *const roots[] = {"/sys/kernel/tracing", "/sys/kernel/debug/tracing"};
	char path[256];
	size_t i, len;
	char *s;

	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/events/syscalls/sys_enter_%s/format", roots[i],
			 name);
		s = pft_slurp(path, &len);
		if (s)
			return s;
	}
	return NULL;
}

static struct scinfo *info(struct scd *d, int64_t id)
{
	struct scinfo *si = u64map_get(&d->cache, (uint64_t)id + 1);
	const char *name = syscall_name(id);
	char *fmt, alt[64];
	size_t i;

	if (si || !name)
		return si;
	si = calloc(1, sizeof(*si));
	if (!si)
		return NULL;
	fmt = read_format(name);
	if (!fmt) {
		/* tracefs names some differently: stat -> newstat */
		snprintf(alt, sizeof(alt), "new%s", name);
		fmt = read_format(alt);
	}
	if (fmt && !from_format(si, name, fmt)) {
		d->source = 1;
	} else {
		for (i = 0; i < sizeof(builtin) / sizeof(builtin[0]); i++) {
			const char *p = builtin[i].args;

			if (strcmp(builtin[i].name, name))
				continue;
			while (*p) {
				size_t l = strcspn(p, ",");
				const char *e = p + l, *sp = e;

				while (sp > p && sp[-1] != ' ' && sp[-1] != '*')
					sp--;
				add_arg(si, name, p, (size_t)(sp - p), sp, (size_t)(e - sp));
				p = *e ? e + 1 : e;
			}
			if (!d->source)
				d->source = 2;
			break;
		}
		if (i == sizeof(builtin) / sizeof(builtin[0]))
			si->n = 6; /* unknown: arg0..arg5 */
		for (i = 0; si->n == 6 && i < 6 && !si->names[i][0]; i++) {
			snprintf(si->names[i], sizeof(si->names[0]), "arg%zu", i);
			si->kinds[i] = A_ULONG;
		}
	}
	free(fmt);
	if (u64map_put(&d->cache, (uint64_t)id + 1, si)) {
		free(si);
		return NULL;
	}
	return si;
}

static size_t open_flags(uint64_t v, char *buf, size_t cap)
{
	static const struct {
		uint64_t bit;
		const char *name;
	} fl[] = {
		{O_CREAT, "O_CREAT"},
		{O_EXCL, "O_EXCL"},
		{O_NOCTTY, "O_NOCTTY"},
		{O_TRUNC, "O_TRUNC"},
		{O_APPEND, "O_APPEND"},
		{O_NONBLOCK, "O_NONBLOCK"},
#ifdef O_TMPFILE
		{O_TMPFILE, "O_TMPFILE"},
#endif
		{O_SYNC, "O_SYNC"},
		{O_DSYNC, "O_DSYNC"},
		{O_DIRECTORY, "O_DIRECTORY"},
		{O_NOFOLLOW, "O_NOFOLLOW"},
		{O_CLOEXEC, "O_CLOEXEC"},
#ifdef O_DIRECT
		{O_DIRECT, "O_DIRECT"},
#endif
#ifdef O_NOATIME
		{O_NOATIME, "O_NOATIME"},
#endif
#ifdef O_PATH
		{O_PATH, "O_PATH"},
#endif
#if defined(O_LARGEFILE) && O_LARGEFILE
		{O_LARGEFILE, "O_LARGEFILE"},
#endif
	};
	size_t i, len;
	uint64_t acc = v & O_ACCMODE;

	len = (size_t)snprintf(buf, cap, "%s",
			       acc == O_RDONLY	 ? "O_RDONLY"
			       : acc == O_WRONLY ? "O_WRONLY"
			       : acc == O_RDWR	 ? "O_RDWR"
						 : "O_ACCMODE");
	v &= ~(uint64_t)O_ACCMODE;
	for (i = 0; i < sizeof(fl) / sizeof(fl[0]) && len < cap; i++) {
		if ((v & fl[i].bit) == fl[i].bit) {
			len += (size_t)snprintf(buf + len, cap - len, "|%s", fl[i].name);
			v &= ~fl[i].bit;
		}
	}
	if (v && len < cap)
		len += (size_t)snprintf(buf + len, cap - len, "|0x%" PRIx64, v);
	return len;
}

static void value(enum akind k, uint64_t v, char *buf, size_t cap)
{
	switch (k) {
	case A_INT:
		snprintf(buf, cap, "%d", (int)v);
		break;
	case A_DFD:
		snprintf(buf, cap, "%d%s", (int)v, (int)v == -100 ? "(AT_FDCWD)" : "");
		break;
	case A_UINT:
		snprintf(buf, cap, "%u", (unsigned)v);
		break;
	case A_LONG:
		snprintf(buf, cap, "%" PRId64, (int64_t)v);
		break;
	case A_ULONG:
		snprintf(buf, cap, "%" PRIu64, v);
		break;
	case A_PTR:
		snprintf(buf, cap, "0x%" PRIx64, v);
		break;
	case A_OPEN_FLAGS:
		open_flags(v, buf, cap);
		break;
	case A_MODE:
		snprintf(buf, cap, v ? "0%" PRIo64 : "0", v);
		break;
	}
}

void scd_args(struct scd *d, int64_t id, const uint64_t *raw, unsigned n, struct evview *v,
	      char *text, size_t cap)
{
	struct scinfo *si = info(d, id);
	size_t len = strlen(text);
	unsigned i;
	char val[128];

	if (!si)
		return;
	for (i = 0; i < si->n && i < n && v->nargs < EV_MAX_ARGS; i++) {
		value(si->kinds[i], raw[i], val, sizeof(val));
		v->args[v->nargs].name = si->names[i];
		v->args[v->nargs].val = ev_store(v, val, strlen(val));
		v->nargs++;
		if (len < cap)
			len += (size_t)snprintf(text + len, cap - len, "%s%s=%s", len ? " " : "",
						si->names[i], val);
	}
}

void scd_res(int64_t res, char *buf, size_t cap)
{
	const char *e = res < 0 && res >= -4095 ? errno_name((int)-res) : NULL;

	if (e)
		snprintf(buf, cap, "%" PRId64 "(%s)", res, e);
	else
		snprintf(buf, cap, "%" PRId64, res);
}
