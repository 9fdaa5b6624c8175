/* SPDX-License-Identifier: MIT */
/*
 * symbolize/maps.c: the cache, the address spaces of processes and their JIT
 * maps, and sym_resolve().
 *
 * An address space is a sorted array of non-overlapping struct sym_map, read
 * from /proc/PID/maps when first asked for and then kept current by MMAP2
 * records: a new mapping cuts away whatever it overlaps, as mmap(MAP_FIXED)
 * does.  Address spaces live in a pid hash until the process exits.
 *
 * Strings handed out with a map (its name) or a JIT symbol are interned in
 * one append-only pool owned by the cache, so they outlive the process and a
 * re-read of its perf map.
 *
 * JIT: /tmp/perf-PID.map ("START SIZE name", hex) names code in anonymous
 * executable mappings.  It is read when the address space is made and
 * re-read, if it changed, when such an address finds no name, at most once a
 * second per process.
 *
 * sym_resolve() after warm-up: two or three binary searches, no allocation,
 * no system call (a miss in a JIT mapping reads the coarse clock).
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>

#include "symbolize/internal.h"

/* --- interned strings ------------------------------------------------------ */

#define STRPOOL_CHUNK 65536

struct sym_strpool_chunk {
	struct sym_strpool_chunk *next;
	size_t used, size;
	char data[];
};

static inline uint64_t str_hash(const char *s, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */

	while (len--)
		h = (h ^ (unsigned char)*s++) * 0x100000001b3ull;
	return h;
}

static int strpool_grow(struct sym_strpool *p)
{
	size_t nsize = p->tab_size ? p->tab_size * 2 : 1024, i;
	const char **nt = calloc(nsize, sizeof(*nt));

	if (!nt)
		return -ENOMEM;
	for (i = 0; i < p->tab_size; i++) {
		const char *s = p->tab[i];
		size_t j;

		if (!s)
			continue;
		j = (size_t)str_hash(s, strlen(s)) & (nsize - 1);
		while (nt[j])
			j = (j + 1) & (nsize - 1);
		nt[j] = s;
	}
	free(p->tab);
	p->tab = nt;
	p->tab_size = nsize;
	return 0;
}

const char *sym_strpool__intern(struct sym_strpool *p, const char *s, size_t len)
{
	struct sym_strpool_chunk *ch = p->chunks;
	size_t i;
	char *out;

	if ((p->count + 1) * 2 > p->tab_size && strpool_grow(p))
		return NULL;
	i = (size_t)str_hash(s, len) & (p->tab_size - 1);
	for (; p->tab[i]; i = (i + 1) & (p->tab_size - 1)) {
		/* memcmp over the length: @s may hold a NUL (names from records) */
		if (strnlen(p->tab[i], len + 1) == len && !memcmp(p->tab[i], s, len))
			return p->tab[i];
	}
	if (!ch || ch->size - ch->used < len + 1) {
		size_t size = len + 1 > STRPOOL_CHUNK / 4 ? len + 1 : STRPOOL_CHUNK;

		ch = malloc(sizeof(*ch) + size);
		if (!ch)
			return NULL;
		ch->used = 0;
		ch->size = size;
		p->bytes += sizeof(*ch) + size;
		if (size == STRPOOL_CHUNK || !p->chunks) {
			ch->next = p->chunks;
			p->chunks = ch;
		} else {
			/* A big string gets its own chunk, behind the current one. */
			ch->next = p->chunks->next;
			p->chunks->next = ch;
		}
	}
	out = ch->data + ch->used;
	memcpy(out, s, len);
	out[len] = '\0';
	ch->used += len + 1;
	p->tab[i] = out;
	p->count++;
	return out;
}

void sym_strpool__exit(struct sym_strpool *p)
{
	struct sym_strpool_chunk *ch, *next;

	for (ch = p->chunks; ch; ch = next) {
		next = ch->next;
		free(ch);
	}
	free(p->tab);
	memset(p, 0, sizeof(*p));
}

/* --- address spaces --------------------------------------------------------- */

struct jit_sym {
	uint64_t start, end;
	const char *name; /* interned */
};

struct sym_jit {
	struct jit_sym *syms;
	size_t count;
	struct timespec mtime; /* of the file last read */
	off_t size;
	ino_t ino;
	uint64_t checked_ns; /* CLOCK_MONOTONIC_COARSE of the last look */
};

struct sym_maps {
	struct sym_maps *hnext;
	struct sym_cache *cache;
	pid_t pid;
	struct sym_map *maps;
	size_t count, cap;
	struct sym_jit jit;
};

#define JIT_RECHECK_NS 1000000000ull

static inline size_t pid_hash(pid_t pid, size_t size)
{
	return (size_t)(((uint32_t)pid * 0x9e3779b1u) >> 8) & (size - 1);
}

static struct sym_maps *maps_lookup(const struct sym_cache *c, pid_t pid)
{
	struct sym_maps *m;

	if (!c->maps_hash_size)
		return NULL;
	for (m = c->maps_hash[pid_hash(pid, c->maps_hash_size)]; m; m = m->hnext) {
		if (m->pid == pid)
			return m;
	}
	return NULL;
}

static int maps_hash_add(struct sym_cache *c, struct sym_maps *m)
{
	size_t b;

	if (c->maps_count >= c->maps_hash_size) {
		size_t nsize = c->maps_hash_size ? c->maps_hash_size * 2 : 256, i;
		struct sym_maps **nh = calloc(nsize, sizeof(*nh));

		if (!nh)
			return -ENOMEM;
		for (i = 0; i < c->maps_hash_size; i++) {
			struct sym_maps *it, *next;

			for (it = c->maps_hash[i]; it; it = next) {
				next = it->hnext;
				b = pid_hash(it->pid, nsize);
				it->hnext = nh[b];
				nh[b] = it;
			}
		}
		free(c->maps_hash);
		c->maps_hash = nh;
		c->maps_hash_size = nsize;
	}
	b = pid_hash(m->pid, c->maps_hash_size);
	m->hnext = c->maps_hash[b];
	c->maps_hash[b] = m;
	c->maps_count++;
	return 0;
}

static void jit_reset(struct sym_jit *j)
{
	free(j->syms);
	memset(j, 0, sizeof(*j));
}

static void maps_free(struct sym_maps *m)
{
	jit_reset(&m->jit);
	free(m->maps);
	free(m);
}

static int maps_reserve(struct sym_maps *m, size_t need)
{
	struct sym_map *nv;
	size_t ncap;

	if (need <= m->cap)
		return 0;
	ncap = m->cap ? m->cap : 32;
	while (ncap < need)
		ncap *= 2;
	nv = realloc(m->maps, ncap * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	m->maps = nv;
	m->cap = ncap;
	return 0;
}

/* Fill in the name and dso of a new mapping. */
static int map_init(struct sym_maps *m, struct sym_map *map, uint32_t maj, uint32_t min,
		    uint64_t ino, const char *name, size_t name_len)
{
	struct sym_cache *c = m->cache;

	if (!name_len) {
		name = "//anon";
		name_len = 6;
	}
	map->name = sym_strpool__intern(&c->strings, name, name_len);
	if (!map->name)
		return -ENOMEM;
	if (!strcmp(map->name, "[vdso]"))
		map->dso = sym_dso__vdso(c, map->end - map->start);
	else
		map->dso = sym_dso__get(c, m->pid, maj, min, ino, map->name);
	return 0;
}

/* Insert @nm, cutting away the parts of older mappings it covers. */
static int maps_insert(struct sym_maps *m, const struct sym_map *nm)
{
	size_t lo = 0, hi = m->count, i, j, add;
	struct sym_map left, right;
	bool has_left, has_right;

	while (lo < hi) { /* first map ending after nm->start */
		size_t mid = lo + (hi - lo) / 2;

		if (m->maps[mid].end <= nm->start)
			lo = mid + 1;
		else
			hi = mid;
	}
	i = lo;
	for (j = i; j < m->count && m->maps[j].start < nm->end; j++)
		;
	has_left = j > i && m->maps[i].start < nm->start;
	has_right = j > i && m->maps[j - 1].end > nm->end;
	if (has_left) {
		left = m->maps[i];
		left.end = nm->start;
	}
	if (has_right) {
		right = m->maps[j - 1];
		right.pgoff += nm->end - right.start;
		right.start = nm->end;
	}
	add = 1 + has_left + has_right;
	if (maps_reserve(m, m->count - (j - i) + add))
		return -ENOMEM;
	memmove(m->maps + i + add, m->maps + j, (m->count - j) * sizeof(*m->maps));
	m->count = m->count - (j - i) + add;
	if (has_left)
		m->maps[i++] = left;
	m->maps[i++] = *nm;
	if (has_right)
		m->maps[i] = right;
	return 0;
}

int sym_maps__mmap(struct sym_maps *m, uint64_t start, uint64_t len, uint64_t pgoff, uint32_t maj,
		   uint32_t min, uint64_t ino, uint32_t prot, const char *filename)
{
	struct sym_map nm = {.start = start, .end = start + len, .pgoff = pgoff, .prot = prot};
	int err;

	if (!len || nm.end < start)
		return -EINVAL;
	err = map_init(m, &nm, maj, min, ino, filename ? filename : "",
		       filename ? strlen(filename) : 0);
	if (err)
		return err;
	return maps_insert(m, &nm);
}

const struct sym_map *sym_maps__find(const struct sym_maps *m, uint64_t addr)
{
	size_t lo = 0, hi = m->count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->maps[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo || addr >= m->maps[lo - 1].end)
		return NULL;
	return &m->maps[lo - 1];
}

pid_t sym_maps__pid(const struct sym_maps *m)
{
	return m->pid;
}

/* "start-end perms offset maj:min inode   path" per line. */
int sym_maps__parse(struct sym_maps *m, const char *buf, size_t len)
{
	const char *p, *end;
	int err = 0;

	for (p = buf, end = buf + len; p < end; p++) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		char *e;
		struct sym_map map = {0};
		unsigned long maj, min;
		uint64_t ino;

		if (!eol)
			eol = end;
		map.start = strtoull(p, &e, 16);
		if (*e != '-')
			goto next;
		map.end = strtoull(e + 1, &e, 16);
		if (*e != ' ' || eol - e < 6 || map.end <= map.start)
			goto next;
		map.prot = (e[1] == 'r' ? PROT_READ : 0) | (e[2] == 'w' ? PROT_WRITE : 0) |
			   (e[3] == 'x' ? PROT_EXEC : 0);
		map.pgoff = strtoull(e + 5, &e, 16);
		maj = strtoul(e, &e, 16);
		if (*e != ':')
			goto next;
		min = strtoul(e + 1, &e, 16);
		ino = strtoull(e, &e, 10);
		while (e < eol && *e == ' ')
			e++;
		if (e > eol)
			goto next;
		err = map_init(m, &map, (uint32_t)maj, (uint32_t)min, ino, e, (size_t)(eol - e));
		if (!err && m->count && map.start < m->maps[m->count - 1].end)
			err = maps_insert(m, &map); /* never seen: /proc is sorted */
		else if (!err && !(err = maps_reserve(m, m->count + 1)))
			m->maps[m->count++] = map;
		if (err)
			break;
	next:
		p = eol;
	}
	return err;
}

static int maps_read_proc(struct sym_maps *m)
{
	char path[64], *buf;
	size_t len;
	int err;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)m->pid);
	err = sym_read_file(path, &buf, &len);
	if (err)
		return err;
	err = sym_maps__parse(m, buf, len);
	free(buf);
	return err;
}

/* --- JIT maps --------------------------------------------------------------- */

struct jit_line {
	struct jit_sym sym;
	size_t line;
};

static int jit_cmp(const void *a, const void *b)
{
	const struct jit_line *x = a, *y = b;

	if (x->sym.start != y->sym.start)
		return x->sym.start < y->sym.start ? -1 : 1;
	/* Code reuses addresses: the later line describes what is there now. */
	return x->line > y->line ? -1 : x->line < y->line;
}

/* (Re-)read /tmp/perf-PID.map if it changed.  True when new symbols came in. */
static bool jit_load(struct sym_maps *m)
{
	struct sym_jit *j = &m->jit;
	struct jit_line *v = NULL;
	size_t len, n = 0, cap = 0, line = 0, i, out;
	char path[64], *buf, *p, *end;
	struct jit_sym *syms;
	struct stat st;

	snprintf(path, sizeof(path), "/tmp/perf-%d.map", (int)m->pid);
	if (stat(path, &st) || !S_ISREG(st.st_mode))
		return false; /* gone: keep what we had, the code may still run */
	if (j->syms && st.st_ino == j->ino && st.st_size == j->size &&
	    st.st_mtim.tv_sec == j->mtime.tv_sec && st.st_mtim.tv_nsec == j->mtime.tv_nsec)
		return false;
	if (sym_read_file(path, &buf, &len))
		return false;
	for (p = buf, end = buf + len; p < end; p++, line++) {
		char *eol = memchr(p, '\n', (size_t)(end - p)), *e, *name;
		uint64_t start, size;

		if (!eol)
			eol = end;
		start = strtoull(p, &e, 16);
		if (e == p || *e != ' ')
			goto next;
		size = strtoull(e + 1, &name, 16);
		if (name == e + 1 || *name != ' ' || !size || start + size < start)
			goto next;
		name++;
		if (eol > name && eol[-1] == '\r')
			eol[-1] = '\0';
		if (n == cap) {
			struct jit_line *nv;

			cap = cap ? cap * 2 : 256;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv)
				break;
			v = nv;
		}
		v[n].sym.start = start;
		v[n].sym.end = start + size;
		v[n].sym.name = sym_strpool__intern(&m->cache->strings, name,
						    strnlen(name, (size_t)(eol - name)));
		v[n].line = line;
		if (v[n].sym.name)
			n++;
	next:
		p = eol;
	}
	free(buf);
	if (!n) {
		free(v);
		return false;
	}
	qsort(v, n, sizeof(*v), jit_cmp);
	syms = malloc(n * sizeof(*syms));
	if (!syms) {
		free(v);
		return false;
	}
	for (i = 0, out = 0; i < n; i++) {
		if (out && syms[out - 1].start == v[i].sym.start)
			continue;
		syms[out++] = v[i].sym;
	}
	free(v);
	free(j->syms);
	j->syms = syms;
	j->count = out;
	j->ino = st.st_ino;
	j->size = st.st_size;
	j->mtime = st.st_mtim;
	return true;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static const char *jit_find(const struct sym_jit *j, uint64_t ip)
{
	size_t lo = 0, hi = j->count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (j->syms[mid].start <= ip)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo || ip >= j->syms[lo - 1].end)
		return NULL;
	return j->syms[lo - 1].name;
}

/* --- the cache ---------------------------------------------------------------- */

struct sym_cache *sym_cache__new(void)
{
	struct sym_cache *c = calloc(1, sizeof(struct sym_cache));

	if (c)
		c->dso_limit = SYM_CACHE_DEFAULT_LIMIT;
	return c;
}

void sym_cache__set_limit(struct sym_cache *c, size_t bytes)
{
	c->dso_limit = bytes;
}

size_t sym_cache__trim(struct sym_cache *c)
{
	uint32_t gen;
	size_t i, k, n;

	if (!c->dso_limit || c->dso_bytes <= c->dso_limit)
		return 0;
	gen = ++c->mark_gen;
	for (i = 0; i < c->maps_hash_size; i++) {
		const struct sym_maps *m;

		for (m = c->maps_hash[i]; m; m = m->hnext)
			for (k = 0; k < m->count; k++)
				if (m->maps[k].dso)
					sym_dso__mark(m->maps[k].dso, gen);
	}
	n = sym_dsos__sweep(c, gen);
	if (n) {
		c->dsos_evicted += n;
		c->epoch++;
	}
	return n;
}

uint64_t sym_cache__epoch(const struct sym_cache *c)
{
	return c->epoch;
}

void sym_cache__free(struct sym_cache *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->maps_hash_size; i++) {
		struct sym_maps *m, *next;

		for (m = c->maps_hash[i]; m; m = next) {
			next = m->hnext;
			maps_free(m);
		}
	}
	free(c->maps_hash);
	sym_dsos__free(c);
	sym_kernel__exit(&c->kernel);
	sym_strpool__exit(&c->strings);
	sym_demangle__exit(c);
	free(c);
}

static struct sym_maps *maps_new(struct sym_cache *c, pid_t pid)
{
	struct sym_maps *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->cache = c;
	m->pid = pid;
	if (maps_hash_add(c, m)) {
		free(m);
		return NULL;
	}
	return m;
}

static void maps_unlink(struct sym_cache *c, struct sym_maps *m)
{
	struct sym_maps **pp = &c->maps_hash[pid_hash(m->pid, c->maps_hash_size)];

	while (*pp != m)
		pp = &(*pp)->hnext;
	*pp = m->hnext;
	c->maps_count--;
}

struct sym_maps *sym_cache__maps(struct sym_cache *c, pid_t pid, int create)
{
	struct sym_maps *m = maps_lookup(c, pid);
	int err;

	if (m || !create)
		return m;
	if (pid <= 0) {
		errno = EINVAL;
		return NULL;
	}
	m = maps_new(c, pid);
	if (!m) {
		errno = ENOMEM;
		return NULL;
	}
	err = maps_read_proc(m);
	if (err) {
		maps_unlink(c, m);
		maps_free(m);
		errno = -err;
		return NULL;
	}
	m->jit.checked_ns = now_ns();
	jit_load(m);
	return m;
}

void sym_cache__drop_maps(struct sym_cache *c, pid_t pid)
{
	struct sym_maps *m = maps_lookup(c, pid);

	if (!m)
		return;
	maps_unlink(c, m);
	maps_free(m);
	c->maps_dropped++;
}

int sym_cache__fork_maps(struct sym_cache *c, pid_t parent, pid_t child)
{
	struct sym_maps *p, *ch;

	if (parent == child)
		return 0;
	p = maps_lookup(c, parent);
	if (!p) /* parent unknown: the child's own view is the best there is */
		return sym_cache__maps(c, child, 1) ? 0 : -errno;
	ch = maps_lookup(c, child);
	if (!ch) {
		ch = maps_new(c, child);
		if (!ch)
			return -ENOMEM;
	}
	ch->count = 0;
	jit_reset(&ch->jit);
	if (maps_reserve(ch, p->count))
		return -ENOMEM;
	if (p->count)
		memcpy(ch->maps, p->maps, p->count * sizeof(*p->maps));
	ch->count = p->count;
	return 0;
}

void sym_cache__exec_maps(struct sym_cache *c, pid_t pid)
{
	struct sym_maps *m = maps_lookup(c, pid);

	if (!m)
		return;
	m->count = 0;
	jit_reset(&m->jit);
}

int sym_resolve(struct sym_cache *c, struct sym_maps *m, uint64_t ip, struct sym_frame *out)
{
	const struct sym_map *map;

	c->lookups++;
	out->ip = ip;
	out->rel_pc = 0;
	out->name = NULL;
	out->jit = 0;
	out->map = map = m ? sym_maps__find(m, ip) : NULL;
	if (!map) {
		c->misses++;
		return -ENOENT;
	}
	if (map->dso) {
		out->rel_pc = sym_dso__offset_to_vaddr(map->dso, ip - map->start + map->pgoff);
		out->name = sym_dso__find_symbol(map->dso, out->rel_pc);
	} else {
		/* No file: relative to the mapping (an anonymous pgoff means nothing). */
		out->rel_pc = ip - map->start;
		out->name = jit_find(&m->jit, ip);
		if (!out->name && (map->prot & PROT_EXEC)) {
			uint64_t now = now_ns();

			if (now - m->jit.checked_ns >= JIT_RECHECK_NS) {
				m->jit.checked_ns = now;
				if (jit_load(m))
					out->name = jit_find(&m->jit, ip);
			}
		}
		out->jit = out->name != NULL;
	}
	if (!out->name)
		c->misses++;
	return 0;
}

void sym_cache__stats(const struct sym_cache *c, struct sym_stats *out)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	sym_dsos__stats(c, out);
	out->kernel_symbols = c->kernel.count;
	out->processes = c->maps_count;
	out->lookups = c->lookups;
	out->misses = c->misses;
	out->processes_dropped = c->maps_dropped;
	out->memory_bytes += sizeof(*c) + c->kernel.memory + c->strings.bytes +
			     c->strings.tab_size * sizeof(*c->strings.tab) +
			     c->maps_hash_size * sizeof(*c->maps_hash);
	for (i = 0; i < c->maps_hash_size; i++) {
		const struct sym_maps *m;

		for (m = c->maps_hash[i]; m; m = m->hnext)
			out->memory_bytes += sizeof(*m) + m->cap * sizeof(*m->maps) +
					     m->jit.count * sizeof(*m->jit.syms);
	}
}
