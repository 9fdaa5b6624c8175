/* SPDX-License-Identifier: MIT */
/*
 * tests/fuzz/driver: main() for a harness built without libFuzzer, with libFuzzer's command
 * line: fuzz_NAME [-runs=N] [-seed=S] [-max_total_time=SECS] [-artifact_prefix=P] PATH...
 * Every file of the PATHs (directories: their files, sorted) runs once, then N mutations
 * (default 0), deterministic for a seed: bit flips, byte sets, interesting values, chunk
 * deletes, inserts and duplicates, truncation, splicing two inputs.  On a crash the input
 * that caused it is written to P + "crash-current" (when the sanitizers report, or on a
 * fatal signal).
 */
#include "config.h"
#include "fuzz.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define FUZZ_MAX_INPUT (64 * 1024)

struct input {
	uint8_t *data;
	size_t size;
};

static struct input *inputs;
static size_t ninputs;
static const uint8_t *cur;
static size_t cur_size;
static char crash_path[4096];

extern void __sanitizer_set_death_callback(void (*cb)(void)) __attribute__((weak));

static void save_current(void)
{
	int fd;

	if (!cur || !crash_path[0])
		return;
	fd = open(crash_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0) {
		if (write(fd, cur, cur_size) < 0)
			(void)0;
		close(fd);
	}
}

static void on_fatal(int sig)
{
	save_current();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void add_file(const char *path)
{
	struct input in;
	struct stat st;
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		if (fd >= 0)
			close(fd);
		return;
	}
	in.size = (size_t)st.st_size > FUZZ_MAX_INPUT ? FUZZ_MAX_INPUT : (size_t)st.st_size;
	in.data = malloc(in.size + 1);
	n = in.data ? read(fd, in.data, in.size) : -1;
	close(fd);
	if (n < 0) {
		free(in.data);
		return;
	}
	in.size = (size_t)n;
	inputs = realloc(inputs, (ninputs + 1) * sizeof(*inputs));
	if (!inputs)
		abort();
	inputs[ninputs++] = in;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void add_path(const char *path)
{
	struct dirent *de;
	char **names = NULL, buf[4096];
	size_t n = 0, i;
	DIR *d = opendir(path);

	if (!d) {
		add_file(path);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		names = realloc(names, (n + 1) * sizeof(*names));
		if (!names || !(names[n++] = strdup(de->d_name)))
			abort();
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), name_cmp);
	for (i = 0; i < n; i++) {
		snprintf(buf, sizeof(buf), "%s/%s", path, names[i]);
		add_file(buf);
		free(names[i]);
	}
	free(names);
}

static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

static size_t below(size_t n)
{
	return n ? (size_t)(rnd() % n) : 0;
}

/* One mutation of buf[*size] (capacity FUZZ_MAX_INPUT). */
static void mutate_once(uint8_t *buf, size_t *size)
{
	static const int64_t interesting[] = {
		0,	   1,	       -1,	     0x7f,	   0x80,
		0xff,	   0x100,      0x7fff,	     0x8000,	   0xffff,
		0x10000,   0x7fffffff, 0x80000000LL, 0xffffffffLL, 0x100000000LL,
		INT64_MAX, INT64_MIN};
	size_t n = *size, off, len;
	const struct input *o;
	int64_t v;

	/* never more than the buffer holds; also tells the compiler the range */
	if (n > FUZZ_MAX_INPUT)
		n = *size = FUZZ_MAX_INPUT;
	switch (below(9)) {
	case 0: /* flip a bit */
		if (n)
			buf[below(n)] ^= (uint8_t)(1u << below(8));
		break;
	case 1: /* set a byte */
		if (n)
			buf[below(n)] = (uint8_t)rnd();
		break;
	case 2: /* an interesting value, 1, 2, 4 or 8 bytes */
		len = (size_t)1 << below(4);
		if (n >= len) {
			v = interesting[below(sizeof(interesting) / sizeof(interesting[0]))];
			memcpy(buf + below(n - len + 1), &v, len);
		}
		break;
	case 3: /* add or subtract a small number */
		if (n)
			buf[below(n)] += (uint8_t)(below(35) - 17);
		break;
	case 4: /* delete a chunk */
		if (n > 1) {
			off = below(n);
			len = 1 + below(n - off < 64 ? n - off : 64);
			memmove(buf + off, buf + off + len, n - off - len);
			*size = n - len;
		}
		break;
	case 5: /* insert random bytes */
		len = 1 + below(16);
		if (n + len <= FUZZ_MAX_INPUT) {
			size_t k;

			off = below(n + 1);
			memmove(buf + off + len, buf + off, n - off);
			for (k = 0; k < len; k++)
				buf[off + k] = (uint8_t)rnd();
			*size = n + len;
		}
		break;
	case 6: /* duplicate a chunk */
		if (n) {
			off = below(n);
			len = 1 + below(n - off < 256 ? n - off : 256);
			if (n + len <= FUZZ_MAX_INPUT) {
				size_t to = below(n + 1), tail;

				if (to > n)
					break;
				tail = n - to;
				memmove(buf + to + len, buf + to, tail);
				memmove(buf + to, buf + (off >= to ? off + len : off), len);
				*size = n + len;
			}
		}
		break;
	case 7: /* truncate */
		if (n)
			*size = below(n);
		break;
	default: /* splice: the tail of another input from a random point */
		o = &inputs[below(ninputs)];
		if (o->size) {
			off = below(n + 1);
			len = o->size - below(o->size);
			if (off + len > FUZZ_MAX_INPUT)
				len = FUZZ_MAX_INPUT - off;
			memcpy(buf + off, o->data + (o->size - len), len);
			*size = off + len;
		}
		break;
	}
}

static void run(const uint8_t *data, size_t size)
{
	/* a copy of exactly @size bytes, so that ASan sees reads past the end */
	uint8_t *copy = malloc(size ? size : 1);

	if (!copy)
		abort();
	memcpy(copy, data, size);
	cur = copy;
	cur_size = size;
	LLVMFuzzerTestOneInput(copy, size);
	cur = NULL;
	free(copy);
}

int main(int argc, char **argv)
{
	unsigned long long runs = 0, i, done = 0;
	double max_time = 0;
	const char *prefix = "";
	uint8_t *buf;
	time_t t0 = time(NULL);
	int a;

	rng_state = 0x9e3779b97f4a7c15ull;
	for (a = 1; a < argc; a++) {
		if (!strncmp(argv[a], "-runs=", 6))
			runs = strtoull(argv[a] + 6, NULL, 10);
		else if (!strncmp(argv[a], "-seed=", 6))
			rng_state ^= strtoull(argv[a] + 6, NULL, 10) * 0x2545f4914f6cdd1dull;
		else if (!strncmp(argv[a], "-max_total_time=", 16))
			max_time = strtod(argv[a] + 16, NULL);
		else if (!strncmp(argv[a], "-artifact_prefix=", 17))
			prefix = argv[a] + 17;
		else if (argv[a][0] != '-')
			add_path(argv[a]);
	}
	if (max_time > 0 && !runs)
		runs = ~0ull;
	snprintf(crash_path, sizeof(crash_path), "%scrash-current", prefix);
	if (__sanitizer_set_death_callback)
		__sanitizer_set_death_callback(save_current);
	signal(SIGSEGV, on_fatal);
	signal(SIGBUS, on_fatal);
	signal(SIGABRT, on_fatal);
	signal(SIGFPE, on_fatal);
	for (i = 0; i < ninputs; i++)
		run(inputs[i].data, inputs[i].size);
	buf = malloc(FUZZ_MAX_INPUT);
	if (!buf)
		abort();
	if (!ninputs) {
		inputs = calloc(1, sizeof(*inputs));
		inputs[0].data = buf;
		ninputs = 1;
	}
	for (i = 0; i < runs; i++) {
		const struct input *in = &inputs[i % ninputs];
		size_t size = in->size, k, nmut = 1 + below(4);

		memcpy(buf, in->data, size);
		for (k = 0; k < nmut; k++)
			mutate_once(buf, &size);
		run(buf, size);
		done++;
		if (max_time > 0 && (i & 63) == 0 && difftime(time(NULL), t0) >= max_time)
			break;
	}
	/* fd 2: a harness may have sent stdout and stderr to /dev/null */
	dprintf(2, "%s: %zu inputs replayed, %llu mutations, no crash\n", argv[0], ninputs, done);
	if (inputs[0].data == buf)
		inputs[0].data = NULL;
	free(buf);
	return 0;
}
