/* SPDX-License-Identifier: MIT */
/*
 * plugins/probes/resolve.c: from what the user wrote after "uprobe:" to a file.
 *
 * Paths are taken as they are; short library names ("libc", "libpthread") are
 * looked up as bpftrace does: the mappings of the recorded processes first (the
 * library they really use, through /proc/PID/root when they live in another
 * mount namespace), then /etc/ld.so.cache (parsed here: the format is stable
 * since glibc 2.0 and `ldconfig -p` may be absent), then the usual library
 * directories, then $PATH for executables.
 */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "probes.h"
#include "internal.h"

int prb_lib__matches(const char *name, const char *base)
{
	char want[NAME_MAX + 1];
	size_t len;

	if (strstr(name, ".so"))
		return strcmp(name, base) == 0;
	if (snprintf(want, sizeof(want), "%s%s", strncmp(name, "lib", 3) ? "lib" : "", name) >=
	    (int)sizeof(want))
		return 0;
	len = strlen(want);
	if (strncmp(base, want, len) != 0)
		return 0;
	base += len;
	if (strncmp(base, ".so", 3) == 0) {
		/* libc.so, libc.so.6, libc.so.6.0.1 */
		for (base += 3; *base; base += len + 1) {
			len = strspn(base + 1, "0123456789");
			if (base[0] != '.' || !len || (base[len + 1] && base[len + 1] != '.'))
				return 0;
		}
		return 1;
	}
	/* glibc before 2.34 installs libc-2.31.so, libpthread-2.31.so */
	if (base[0] == '-' && isdigit((unsigned char)base[1])) {
		len = strlen(base);
		return len > 3 && strcmp(base + len - 3, ".so") == 0;
	}
	return 0;
}

static int copy_out(const char *s, char *out, size_t outlen)
{
	if (strlen(s) >= outlen)
		return -ENAMETOOLONG;
	strcpy(out, s);
	return 0;
}

static int same_mount_ns(pid_t pid)
{
	char path[64];
	struct stat a, b;

	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)pid);
	if (stat("/proc/self/ns/mnt", &a) < 0 || stat(path, &b) < 0)
		return 1; /* cannot tell: the plain path is the best guess */
	return a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}

static int from_maps(const char *name, pid_t pid, char *out, size_t outlen)
{
	char path[64], *line = NULL;
	size_t cap = 0;
	int ret = -ENOENT;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -ENOENT;
	while (ret == -ENOENT && getline(&line, &cap, f) > 0) {
		char *file = strchr(line, '/'), *base;

		if (!file)
			continue;
		file[strcspn(file, "\n")] = '\0';
		if (strstr(file, " (deleted)"))
			continue;
		base = strrchr(file, '/') + 1;
		if (!prb_lib__matches(name, base))
			continue;
		if (same_mount_ns(pid)) {
			ret = copy_out(file, out, outlen);
		} else {
			ret = snprintf(out, outlen, "/proc/%d/root%s", (int)pid, file) >=
					      (int)outlen
				      ? -ENAMETOOLONG
				      : 0;
		}
	}
	free(line);
	fclose(f);
	return ret;
}

/* glibc's elf/dl-cache.h, the "new" format (glibc >= 2.0). */
#define CACHE_OLD "ld.so-1.7.0"
#define CACHE_NEW "glibc-ld.so.cache1.1"
struct cache_old_entry {
	int32_t flags;
	uint32_t key, value;
};
struct cache_new_entry {
	int32_t flags;
	uint32_t key, value; /* string offsets from the start of the new header */
	uint32_t osversion;
	uint64_t hwcap;
};
struct cache_new_header {
	char magic[20]; /* CACHE_NEW, no NUL */
	uint32_t nlibs;
	uint32_t len_strings;
	uint8_t flags;
	uint8_t pad[3];
	uint32_t extension_offset;
	uint32_t unused[3];
};
#define FLAG_ELF_LIBC6 0x0003
#define FLAG_TYPE_MASK 0x00ff
#define FLAG_ARCH_MASK 0xff00
#if defined(__x86_64__) && defined(__ILP32__)
#define FLAG_ARCH_OURS 0x0800 /* x32 */
#elif defined(__x86_64__)
#define FLAG_ARCH_OURS 0x0300
#elif defined(__aarch64__)
#define FLAG_ARCH_OURS 0x0a00
#elif defined(__riscv) && __riscv_xlen == 64
#define FLAG_ARCH_OURS 0x1000 /* lp64d; lp64 is 0x0f00 */
#else
#define FLAG_ARCH_OURS 0x0000 /* 32-bit ABIs carry no arch flag */
#endif

int prb_ldcache__lookup(const char *cache_file, const char *name, char *out, size_t outlen)
{
	const struct cache_new_header *h;
	const struct cache_new_entry *e;
	size_t size, pos = 0;
	struct stat st;
	const char *map;
	int fd, ret = -EINVAL;

	fd = open(cache_file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || st.st_size < (off_t)sizeof(*h)) {
		close(fd);
		return -EINVAL;
	}
	size = (size_t)st.st_size;
	map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return -errno;
	if (memcmp(map, CACHE_OLD, strlen(CACHE_OLD)) == 0) {
		/* old table first, then the new one 8-byte aligned */
		uint32_t nold;

		memcpy(&nold, map + strlen(CACHE_OLD) + 1, sizeof(nold));
		pos = strlen(CACHE_OLD) + 1 + 4 + (size_t)nold * sizeof(struct cache_old_entry);
		pos = (pos + 7) & ~(size_t)7;
	}
	if (pos + sizeof(*h) > size || memcmp(map + pos, CACHE_NEW, strlen(CACHE_NEW)) != 0)
		goto out_unmap;
	h = (const void *)(map + pos);
	if (h->nlibs > (size - pos - sizeof(*h)) / sizeof(*e))
		goto out_unmap;
	e = (const void *)(h + 1);
	ret = -ENOENT;
	for (uint32_t i = 0; i < h->nlibs; i++, e++) {
		const char *key = (const char *)h + e->key, *value = (const char *)h + e->value;

		if ((e->flags & FLAG_TYPE_MASK) != FLAG_ELF_LIBC6 ||
		    (e->flags & FLAG_ARCH_MASK) != FLAG_ARCH_OURS)
			continue;
		if (pos + e->key >= size || pos + e->value >= size ||
		    !memchr(key, '\0', size - pos - e->key) ||
		    !memchr(value, '\0', size - pos - e->value))
			continue;
		if (prb_lib__matches(name, key)) {
			ret = copy_out(value, out, outlen);
			break;
		}
	}
out_unmap:
	munmap((void *)map, size);
	return ret;
}

static const char *const lib_dirs[] = {
#if defined(__x86_64__)
	"/lib/x86_64-linux-gnu",
	"/usr/lib/x86_64-linux-gnu",
#elif defined(__aarch64__)
	"/lib/aarch64-linux-gnu",
	"/usr/lib/aarch64-linux-gnu",
#endif
	"/lib64",
	"/usr/lib64",
	"/lib",
	"/usr/lib",
	"/usr/local/lib",
};

static int from_dirs(const char *name, char *out, size_t outlen)
{
	for (size_t i = 0; i < sizeof(lib_dirs) / sizeof(lib_dirs[0]); i++) {
		DIR *d = opendir(lib_dirs[i]);
		struct dirent *de;
		int ret = -ENOENT;

		if (!d)
			continue;
		while (ret == -ENOENT && (de = readdir(d)))
			if (prb_lib__matches(name, de->d_name))
				ret = snprintf(out, outlen, "%s/%s", lib_dirs[i], de->d_name) >=
						      (int)outlen
					      ? -ENAMETOOLONG
					      : 0;
		closedir(d);
		if (ret != -ENOENT)
			return ret;
	}
	return -ENOENT;
}

static int from_path_env(const char *name, char *out, size_t outlen)
{
	const char *p = getenv("PATH");

	if (!p)
		p = "/usr/local/bin:/usr/bin:/bin";
	while (*p) {
		size_t len = strcspn(p, ":");
		char file[PATH_MAX];

		if (len &&
		    (size_t)snprintf(file, sizeof(file), "%.*s/%s", (int)len, p, name) <
			    sizeof(file) &&
		    access(file, X_OK) == 0)
			return copy_out(file, out, outlen);
		p += len;
		p += *p == ':';
	}
	return -ENOENT;
}

int prb_path__resolve(const char *name, const pid_t *pids, size_t npids, char *out, size_t outlen,
		      char *err, size_t errlen)
{
	char cwd[PATH_MAX];
	int ret;

	if (strchr(name, '/')) {
		if (access(name, F_OK) < 0) {
			ret = -errno;
			prb_err(err, errlen, "%s: %s", name, strerror(errno));
			return ret;
		}
		if (name[0] == '/')
			ret = copy_out(name, out, outlen);
		else if (!getcwd(cwd, sizeof(cwd)))
			ret = -errno;
		else
			ret = snprintf(out, outlen, "%s/%s", cwd, name) >= (int)outlen
				      ? -ENAMETOOLONG
				      : 0;
		if (ret)
			prb_err(err, errlen, "%s: %s", name, strerror(-ret));
		return ret;
	}
	for (size_t i = 0; i < npids; i++) {
		ret = from_maps(name, pids[i], out, outlen);
		if (ret != -ENOENT)
			goto out;
	}
	ret = prb_ldcache__lookup("/etc/ld.so.cache", name, out, outlen);
	if (ret == -ENOENT || ret == -EINVAL)
		ret = from_dirs(name, out, outlen);
	if (ret == -ENOENT)
		ret = from_path_env(name, out, outlen);
	if (ret == -ENOENT) {
		prb_err(err, errlen,
			"%s: no such file, and no library of that name in %s/etc/ld.so.cache, the "
			"library directories, or an executable in $PATH",
			name, npids ? "the processes' mappings, " : "");
		return ret;
	}
out:
	if (ret)
		prb_err(err, errlen, "%s: %s", name, strerror(-ret));
	return ret;
}
