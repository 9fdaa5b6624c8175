/* SPDX-License-Identifier: MIT */
/* core/spanspec: see spanspec.h. */
#include "config.h"
#include "core/spanspec.h"

/* The unit test builds this file a second time with SPANSPEC_NO_JSON_C, to
 * check the build without json-c on a machine that has it. */
#ifdef SPANSPEC_NO_JSON_C
#undef HAVE_JSON_C
#endif

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#ifdef HAVE_JSON_C
#include <json-c/json.h>
#endif

/* The argument registers of the function-call ABI, for systing's arg_index on
 * uprobes and kprobes; arguments past them are on the stack at function entry
 * (x86_64: above the return address). */
#if defined(__x86_64__)
#define SS_ARGREGS "%di", "%si", "%dx", "%cx", "%r8", "%r9"
#define SS_STACK_ARG_BASE 8
#define SS_ARG0 "%di"
#elif defined(__aarch64__)
#define SS_ARGREGS "%x0", "%x1", "%x2", "%x3", "%x4", "%x5", "%x6", "%x7"
#define SS_STACK_ARG_BASE 0
#define SS_ARG0 "%x0"
#endif

const struct ss_readymade ss_readymades[] = {
	{"pthread_mutex", "time blocked in pthread_mutex_lock (entry to return)",
	 "uprobe:libc:pthread_mutex_lock", "uretprobe:libc:pthread_mutex_lock",
	 "uprobe:libpthread:pthread_mutex_lock", "uretprobe:libpthread:pthread_mutex_lock"},
	{"pthread_cond", "time waiting in pthread_cond_wait (entry to return)",
	 "uprobe:libc:pthread_cond_wait", "uretprobe:libc:pthread_cond_wait",
	 "uprobe:libpthread:pthread_cond_wait", "uretprobe:libpthread:pthread_cond_wait"},
	{"pthread_rwlock_rd", "time blocked in pthread_rwlock_rdlock, per thread",
	 "uprobe:libc:pthread_rwlock_rdlock", "uretprobe:libc:pthread_rwlock_rdlock",
	 "uprobe:libpthread:pthread_rwlock_rdlock", "uretprobe:libpthread:pthread_rwlock_rdlock"},
	{"pthread_rwlock_wr", "time blocked in pthread_rwlock_wrlock, per thread",
	 "uprobe:libc:pthread_rwlock_wrlock", "uretprobe:libc:pthread_rwlock_wrlock",
	 "uprobe:libpthread:pthread_rwlock_wrlock", "uretprobe:libpthread:pthread_rwlock_wrlock"},
#ifdef SS_ARG0
	{"malloc", "time in malloc, with the size asked (frequent: costly)",
	 "uprobe:libc:malloc size=" SS_ARG0 ":u64", "uretprobe:libc:malloc", NULL, NULL},
#else
	{"malloc", "time in malloc, per thread (frequent: costly)", "uprobe:libc:malloc",
	 "uretprobe:libc:malloc", NULL, NULL},
#endif
	{NULL, NULL, NULL, NULL, NULL, NULL},
};

/* --- messages and arrays ---------------------------------------------------- */

static int ss__errf(struct ss_set *set, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int ss__errf(struct ss_set *set, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(set->error, sizeof(set->error), fmt, ap);
	va_end(ap);
	return err;
}

/* Make room for one more element of @size in *@arr holding @n. */
static int ss__grow(void *arr, size_t n, size_t size)
{
	void **p = arr;
	void *q = realloc(*p, (n + 1) * size);

	if (!q)
		return -ENOMEM;
	*p = q;
	memset((char *)q + n * size, 0, size);
	return 0;
}

static void ss_event__clear(struct ss_event *ev)
{
	for (size_t i = 0; i < ev->nr_args; i++) {
		free(ev->args[i].name);
		free(ev->args[i].field);
	}
	free(ev->args);
	free(ev->name);
	free(ev->spec);
	free(ev->fetchargs);
	free(ev->alt_spec);
}

static void ss_span__clear(struct ss_span *sp)
{
	free(sp->name);
	free(sp->track);
	free(sp->key);
}

struct ss_mark {
	size_t events, spans, instants, thresholds, stop_events;
};

static struct ss_mark ss_set__mark(const struct ss_set *set)
{
	return (struct ss_mark){set->nr_events, set->nr_spans, set->nr_instants, set->nr_thresholds,
				set->nr_stop_events};
}

/* Drop what was added after @m (a failed parse adds nothing). */
static void ss_set__rollback(struct ss_set *set, struct ss_mark m)
{
	while (set->nr_events > m.events)
		ss_event__clear(&set->events[--set->nr_events]);
	while (set->nr_spans > m.spans)
		ss_span__clear(&set->spans[--set->nr_spans]);
	while (set->nr_instants > m.instants)
		free(set->instants[--set->nr_instants].track);
	set->nr_thresholds = m.thresholds;
	set->nr_stop_events = m.stop_events;
}

struct ss_set *ss_set__new(void)
{
	return calloc(1, sizeof(struct ss_set));
}

void ss_set__free(struct ss_set *set)
{
	if (!set)
		return;
	ss_set__rollback(set, (struct ss_mark){0});
	for (size_t i = 0; i < set->nr_warnings; i++)
		free(set->warnings[i]);
	free(set->warnings);
	free(set->events);
	free(set->spans);
	free(set->instants);
	free(set->thresholds);
	free(set->stop_events);
	free(set);
}

bool ss_have_systing(void)
{
#ifdef HAVE_JSON_C
	return true;
#else
	return false;
#endif
}

const char *ss_event_kind__name(enum ss_event_kind kind)
{
	static const char *const names[] = {
		[SS_EV_TRACEPOINT] = "tracepoint", [SS_EV_UPROBE] = "uprobe",
		[SS_EV_URETPROBE] = "uretprobe",   [SS_EV_USDT] = "usdt",
		[SS_EV_KPROBE] = "kprobe",	   [SS_EV_KRETPROBE] = "kretprobe",
	};

	return (unsigned)kind < sizeof(names) / sizeof(names[0]) ? names[kind] : "?";
}

const struct ss_readymade *ss_readymade__find(const char *name)
{
	for (const struct ss_readymade *r = ss_readymades; r->name; r++)
		if (strcmp(r->name, name) == 0)
			return r;
	return NULL;
}

void ss_readymade__print(FILE *f)
{
	for (const struct ss_readymade *r = ss_readymades; r->name; r++)
		fprintf(f, "  %-18s %s\n", r->name, r->desc);
}

/* --- event specs ------------------------------------------------------------- */

static size_t ss__count_parts(const char *spec, bool *empty)
{
	size_t n = 1;
	const char *p = spec;

	*empty = !*spec;
	for (; *p; p++) {
		if (*p != ':')
			continue;
		n++;
		if (p == spec || p[1] == ':' || !p[1])
			*empty = true;
	}
	return n;
}

int ss_spec__kind(const char *spec, bool systing, enum ss_event_kind *kind)
{
	static const struct {
		const char *prefix;
		enum ss_event_kind kind;
		size_t parts;
	} kinds[] = {
		{"uprobe", SS_EV_UPROBE, 3},	   {"uretprobe", SS_EV_URETPROBE, 3},
		{"usdt", SS_EV_USDT, 4},	   {"kprobe", SS_EV_KPROBE, 2},
		{"kretprobe", SS_EV_KRETPROBE, 2}, {"tracepoint", SS_EV_TRACEPOINT, 3},
	};
	size_t len = strcspn(spec, ":"), parts, want = 2;
	bool empty, reserved = false;

	*kind = SS_EV_TRACEPOINT;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (strlen(kinds[i].prefix) != len || strncmp(spec, kinds[i].prefix, len) != 0)
			continue;
		*kind = kinds[i].kind;
		want = kinds[i].parts;
		/* "tracepoint:" is systing's; -e would read it as a tracepoint system */
		reserved = kinds[i].kind == SS_EV_TRACEPOINT && !systing;
	}
	parts = ss__count_parts(spec, &empty);
	if (reserved || empty || parts != want || strpbrk(spec, " \t\n\r\v\f"))
		return -EINVAL;
	return 0;
}

static const char *ss__spec_usage(enum ss_event_kind kind)
{
	switch (kind) {
	case SS_EV_UPROBE:
		return "uprobe:PATH:SYMBOL[+OFFSET]";
	case SS_EV_URETPROBE:
		return "uretprobe:PATH:SYMBOL";
	case SS_EV_USDT:
		return "usdt:PATH:PROVIDER:NAME";
	case SS_EV_KPROBE:
		return "kprobe:SYMBOL[+OFFSET]";
	case SS_EV_KRETPROBE:
		return "kretprobe:SYMBOL";
	case SS_EV_TRACEPOINT:
		break;
	}
	return "SYS:NAME";
}

/* Index of the event with this spec and fetch args, or -1. */
static long ss_set__find_spec(const struct ss_set *set, const char *spec, const char *fetchargs)
{
	for (size_t i = 0; i < set->nr_events; i++)
		if (strcmp(set->events[i].spec, spec) == 0 &&
		    strcmp(set->events[i].fetchargs, fetchargs) == 0)
			return (long)i;
	return -1;
}

static long ss_set__find_name(const struct ss_set *set, const char *name)
{
	for (size_t i = 0; i < set->nr_events; i++)
		if (strcmp(set->events[i].name, name) == 0)
			return (long)i;
	return -1;
}

/* Append an event (strings copied); its index or -ENOMEM. */
static long ss_set__push_event(struct ss_set *set, const char *name, const char *spec,
			       const char *fetchargs, enum ss_event_kind kind)
{
	struct ss_event *ev;

	if (ss__grow(&set->events, set->nr_events, sizeof(*set->events)))
		return -ENOMEM;
	ev = &set->events[set->nr_events];
	ev->name = strdup(name);
	ev->spec = strdup(spec);
	ev->fetchargs = strdup(fetchargs);
	ev->kind = kind;
	if (!ev->name || !ev->spec || !ev->fetchargs) {
		ss_event__clear(ev);
		return -ENOMEM;
	}
	return (long)set->nr_events++;
}

static int ss_set__push_span(struct ss_set *set, const char *name, const char *track, size_t start,
			     size_t end, const char *key, enum ss_span_kind kind)
{
	struct ss_span *sp;

	if (ss__grow(&set->spans, set->nr_spans, sizeof(*set->spans)))
		return -ENOMEM;
	sp = &set->spans[set->nr_spans];
	sp->name = strdup(name);
	sp->track = track ? strdup(track) : NULL;
	sp->key = key ? strdup(key) : NULL;
	sp->start = start;
	sp->end = end;
	sp->kind = kind;
	if (!sp->name || (track && !sp->track) || (key && !sp->key)) {
		ss_span__clear(sp);
		return -ENOMEM;
	}
	set->nr_spans++;
	return 0;
}

/* --- --span ------------------------------------------------------------------ */

static bool ss__is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Trim @s in place; returns its first non-blank. */
static char *ss__trim(char *s)
{
	char *e = s + strlen(s);

	while (ss__is_space(*s))
		s++;
	while (e > s && ss__is_space(e[-1]))
		*--e = '\0';
	return s;
}

/* Blanks in @s (leading and trailing ones dropped) collapsed to one space, in place. */
static void ss__collapse(char *s)
{
	char *o = s, *p = ss__trim(s);

	for (; *p; p++)
		if (!ss__is_space(*p))
			*o++ = *p;
		else if (!ss__is_space(p[1]))
			*o++ = ' ';
	*o = '\0';
}

/* Whether fetch args @fa ("a=%di:u64 b=+0(%si):ustring") name @arg. */
static bool ss__fetchargs_name(const char *fa, const char *arg)
{
	size_t len = strlen(arg);

	for (const char *p = fa; *p; p += strcspn(p, " ")) {
		p += strspn(p, " ");
		if (strncmp(p, arg, len) == 0 && p[len] == '=')
			return true;
	}
	return false;
}

static bool ss__usdt_argname(const char *arg)
{
	if (strncmp(arg, "arg", 3) != 0 || !isdigit((unsigned char)arg[3]))
		return false;
	for (arg += 3; isdigit((unsigned char)*arg); arg++)
		;
	return !*arg;
}

/* Whether an event of this kind and fetch args carries argument @key. */
static bool ss__carries(enum ss_event_kind kind, const char *fetchargs, const char *key)
{
	if (kind == SS_EV_TRACEPOINT)
		return true; /* a field of the format: checked when the format is read */
	if (kind == SS_EV_USDT && ss__usdt_argname(key))
		return true;
	return ss__fetchargs_name(fetchargs, key);
}

/*
 * Resolve one START or END spec text ("uprobe:/bin/app:fn id=%di:u64") to an
 * event index, adding the event unless one with the same spec and fetch args
 * exists.  @where prefixes error messages.
 */
static long ss_set__span_event(struct ss_set *set, const char *where, const char *what, char *text,
			       const char *key)
{
	enum ss_event_kind kind;
	char *spec = ss__trim(text), *fa, *name;
	long idx;
	int n;

	if (!*spec)
		return ss__errf(set, -EINVAL, "%s: the %s event is empty", where, what);
	fa = spec + strcspn(spec, " \t\n\r\v\f");
	if (*fa)
		*fa++ = '\0';
	ss__collapse(fa);
	if (ss_spec__kind(spec, false, &kind))
		return ss__errf(set, -EINVAL, "%s: %s event '%s' is not an event spec (%s)", where,
				what, spec, ss__spec_usage(kind));
	if (kind == SS_EV_KPROBE || kind == SS_EV_KRETPROBE)
		return ss__errf(set, -EINVAL, "%s: %s event '%s': kprobes are not supported", where,
				what, spec);
	if (kind == SS_EV_TRACEPOINT && *fa)
		return ss__errf(set, -EINVAL,
				"%s: %s event '%s' is a tracepoint: it takes no fetch args ('%s')",
				where, what, spec, fa);
	if (key && !ss__carries(kind, fa, key))
		return ss__errf(set, -EINVAL,
				"%s: %s event '%s' carries no argument '%s' (name it in its fetch "
				"args, e.g. '%s %s=%%di:u64')",
				where, what, spec, key, spec, key);
	idx = ss_set__find_spec(set, spec, fa);
	if (idx >= 0)
		return idx;
	/* named after the spec; a second use of the spec with other fetch args gets "#N" */
	if (ss_set__find_name(set, spec) < 0)
		return ss_set__push_event(set, spec, spec, fa, kind);
	for (n = 2;; n++) {
		if (asprintf(&name, "%s#%d", spec, n) < 0)
			return -ENOMEM;
		if (ss_set__find_name(set, name) < 0)
			break;
		free(name);
	}
	idx = ss_set__push_event(set, name, spec, fa, kind);
	free(name);
	return idx;
}

/* Split @s in place at unescaped commas (handling "\," and "\\"); returns the
 * number of fields, at most @max (+1 when there are more). */
static size_t ss__split_commas(char *s, char **fields, size_t max)
{
	size_t n = 0;
	char *o = s;

	fields[n++] = o;
	for (; *s; s++) {
		if (*s == '\\' && (s[1] == ',' || s[1] == '\\')) {
			*o++ = *++s;
		} else if (*s == ',') {
			*o++ = '\0';
			if (n == max)
				return max + 1;
			fields[n++] = o;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
	return n;
}

static int ss_set__span_fields(struct ss_set *set, const char *where, char *name, char *rest)
{
	char *f[3], *key = NULL;
	size_t n = ss__split_commas(rest, f, 3);
	long start, end;

	if (n < 2 || n > 3)
		return ss__errf(set, -EINVAL, "%s: expected NAME=START,END[,key=ARG]", where);
	if (n == 3) {
		char *opt = ss__trim(f[2]), *eq = strchr(opt, '=');
		size_t len = eq ? (size_t)(eq - opt) : 0;

		while (len && ss__is_space(opt[len - 1]))
			len--;
		if (len != 3 || strncmp(opt, "key", 3) != 0)
			return ss__errf(set, -EINVAL,
					"%s: '%s' is not key=ARG (the only option a span takes)",
					where, opt);
		key = ss__trim(eq + 1);
		if (!*key || strpbrk(key, " \t=:"))
			return ss__errf(set, -EINVAL, "%s: key= needs an argument name", where);
	}
	start = ss_set__span_event(set, where, "start", f[0], key);
	if (start < 0)
		return (int)start;
	end = ss_set__span_event(set, where, "end", f[1], key);
	if (end < 0)
		return (int)end;
	return ss_set__push_span(set, name, NULL, (size_t)start, (size_t)end, key,
				 key ? SS_SPAN_KEYED : SS_SPAN_THREAD);
}

static int ss_set__readymade(struct ss_set *set, const char *where, const char *name)
{
	const struct ss_readymade *r = ss_readymade__find(name);
	struct ss_span *sp;
	char *text;
	size_t first;
	int err;

	if (!r)
		return ss__errf(set, -EINVAL,
				"%s: no ready-made span '%s' (see --help; or NAME=START,END)",
				where, name);
	first = set->nr_events;
	if (asprintf(&text, "%s,%s", r->start, r->end) < 0)
		return -ENOMEM;
	err = ss_set__span_fields(set, where, (char *)r->name, text);
	free(text);
	if (err)
		return err;
	/* the fallbacks go to the events this span created, not to shared ones */
	sp = &set->spans[set->nr_spans - 1];
	if (r->alt_start && sp->start >= first &&
	    !(set->events[sp->start].alt_spec = strdup(r->alt_start)))
		return -ENOMEM;
	if (r->alt_end && sp->end >= first && !(set->events[sp->end].alt_spec = strdup(r->alt_end)))
		return -ENOMEM;
	return 0;
}

static int ss_set__span_at(struct ss_set *set, const char *where, const char *arg)
{
	char *copy = strdup(arg), *eq, *name;
	int err;

	if (!copy)
		return -ENOMEM;
	eq = strchr(copy, '=');
	if (!eq) {
		err = ss_set__readymade(set, where, ss__trim(copy));
		goto out_free;
	}
	*eq = '\0';
	name = ss__trim(copy);
	if (!*name)
		err = ss__errf(set, -EINVAL, "%s: the span has no name (NAME=START,END)", where);
	else
		err = ss_set__span_fields(set, where, name, eq + 1);
out_free:
	free(copy);
	return err;
}

int ss_set__add_span(struct ss_set *set, const char *arg)
{
	struct ss_mark m = ss_set__mark(set);
	char *where;
	int err;

	if (asprintf(&where, "--span '%s'", arg) < 0)
		return -ENOMEM;
	err = ss_set__span_at(set, where, arg);
	free(where);
	if (err)
		ss_set__rollback(set, m);
	return err;
}

int ss_set__parse_spans(struct ss_set *set, const char *name, const char *text)
{
	struct ss_mark m = ss_set__mark(set);
	char *copy = strdup(text), *line, *next, *where;
	unsigned lineno = 0;
	int err = 0;

	if (!copy)
		return -ENOMEM;
	for (line = copy; line && !err; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		line = ss__trim(line);
		if (!*line || *line == '#')
			continue;
		if (asprintf(&where, "%s:%u", name, lineno) < 0) {
			err = -ENOMEM;
			break;
		}
		err = ss_set__span_at(set, where, line);
		free(where);
	}
	free(copy);
	if (err)
		ss_set__rollback(set, m);
	return err;
}

/* Read @path whole, NUL-terminated; NULL + errno. */
static char *ss__slurp(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (!f)
		return NULL;
	do {
		if (cap - len < 4096) {
			char *b = realloc(buf, cap = cap ? cap * 2 : 16384);
			if (!b) {
				free(buf);
				fclose(f);
				errno = ENOMEM;
				return NULL;
			}
			buf = b;
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
	} while (n);
	if (ferror(f) || memchr(buf, '\0', len)) {
		int e = ferror(f) ? EIO : EINVAL;
		free(buf);
		fclose(f);
		errno = e;
		return NULL;
	}
	fclose(f);
	buf[len] = '\0';
	return buf;
}

int ss_set__read_spans(struct ss_set *set, const char *path)
{
	char *text = ss__slurp(path);
	int err;

	if (!text)
		return ss__errf(set, -errno, "--spans %s: %s", path,
				errno == EINVAL ? "not a text file" : strerror(errno));
	err = ss_set__parse_spans(set, path, text);
	free(text);
	return err;
}

/* --- systing's trace event config -------------------------------------------- */

int ss_set__read_systing(struct ss_set *set, const char *path)
{
	char *text;
	int err;

	if (!ss_have_systing())
		return ss__errf(set, -ENOTSUP,
				"--trace-event-config %s: pftrace was built without json-c "
				"(install libjson-c-dev / json-c-devel and rebuild)",
				path);
	text = ss__slurp(path);
	if (!text)
		return ss__errf(set, -errno, "--trace-event-config %s: %s", path,
				errno == EINVAL ? "not a text file" : strerror(errno));
	err = ss_set__parse_systing(set, path, text);
	free(text);
	return err;
}

#ifndef HAVE_JSON_C

int ss_set__parse_systing(struct ss_set *set, const char *name, const char *json)
{
	return ss__errf(set, -ENOTSUP,
			"%s: pftrace was built without json-c: it cannot read systing configs",
			name);
}

#else

static int ss__warnf(struct ss_set *set, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int ss__warnf(struct ss_set *set, const char *fmt, ...)
{
	char **w;
	va_list ap;
	int n;

	w = realloc(set->warnings, (set->nr_warnings + 1) * sizeof(*w));
	if (!w)
		return -ENOMEM;
	set->warnings = w;
	va_start(ap, fmt);
	n = vasprintf(&w[set->nr_warnings], fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	set->nr_warnings++;
	return 0;
}

/* The walk over one config: errors say "FILE: events[1].args[0]: ...". */
struct ss_json {
	struct ss_set *set;
	const char *file;
	/* systing's per-config bookkeeping, as event indexes into set->events */
	size_t first, first_span;      /* the config's first event and span */
	size_t *starts, *ends, *insts; /* used as range start / range end / instant */
	size_t nr_starts, nr_ends, nr_insts;
};

static int ss_json__err(struct ss_json *js, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int ss_json__err(struct ss_json *js, const char *path, const char *fmt, ...)
{
	char msg[480];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return ss__errf(js->set, -EINVAL, "%s: %s%s%s", js->file, path, *path ? ": " : "", msg);
}

static const char *ss_json__type(json_object *o)
{
	return o ? json_type_to_name(json_object_get_type(o)) : "null";
}

/* Check @o is an object whose keys are all in @known (NULL-terminated). */
static int ss_json__object(struct ss_json *js, json_object *o, const char *path,
			   const char *const *known)
{
	if (!json_object_is_type(o, json_type_object))
		return ss_json__err(js, path, "expected an object, found %s", ss_json__type(o));
	json_object_object_foreach(o, key, val)
	{
		const char *const *k;

		(void)val;
		for (k = known; *k && strcmp(*k, key) != 0; k++)
			;
		if (!*k)
			return ss_json__err(js, path,
					    "unknown field \"%s\" (systing rejects it too)", key);
	}
	return 0;
}

/* *@out = the string field @key of @o, NULL when absent and not @required. */
static int ss_json__str(struct ss_json *js, json_object *o, const char *path, const char *key,
			bool required, const char **out)
{
	json_object *v;

	*out = NULL;
	if (!json_object_object_get_ex(o, key, &v) || (!v && !required))
		return required ? ss_json__err(js, path, "missing field \"%s\"", key) : 0;
	if (!json_object_is_type(v, json_type_string))
		return ss_json__err(js, path, "\"%s\" must be a string, found %s", key,
				    ss_json__type(v));
	*out = json_object_get_string(v);
	return 0;
}

static int ss_json__bool(struct ss_json *js, json_object *o, const char *path, const char *key,
			 int *out)
{
	json_object *v;

	*out = -1;
	if (!json_object_object_get_ex(o, key, &v) || !v)
		return 0;
	if (!json_object_is_type(v, json_type_boolean))
		return ss_json__err(js, path, "\"%s\" must be true or false, found %s", key,
				    ss_json__type(v));
	*out = json_object_get_boolean(v);
	return 0;
}

/* An unsigned integer field no larger than @max; *@present says whether it was there. */
static int ss_json__uint(struct ss_json *js, json_object *o, const char *path, const char *key,
			 uint64_t max, uint64_t *out, bool *present)
{
	json_object *v;
	int64_t i;

	*out = 0;
	*present = json_object_object_get_ex(o, key, &v) && v;
	if (!*present)
		return 0;
	if (!json_object_is_type(v, json_type_int))
		return ss_json__err(js, path, "\"%s\" must be an integer, found %s", key,
				    ss_json__type(v));
	errno = 0;
	i = json_object_get_int64(v);
	if (i < 0 || (uint64_t)i > max)
		return ss_json__err(js, path, "\"%s\" is out of range (0..%llu)", key,
				    (unsigned long long)max);
	*out = (uint64_t)i;
	return 0;
}

/* The array field @key (NULL when absent or null: systing's Option). */
static int ss_json__array(struct ss_json *js, json_object *o, const char *path, const char *key,
			  bool required, json_object **out)
{
	json_object *v;

	*out = NULL;
	if (!json_object_object_get_ex(o, key, &v) || !v)
		return required ? ss_json__err(js, path, "missing field \"%s\"", key) : 0;
	if (!json_object_is_type(v, json_type_array))
		return ss_json__err(js, path, "\"%s\" must be an array, found %s", key,
				    ss_json__type(v));
	*out = v;
	return 0;
}

/* The config's event named @name, or -1. */
static long ss_json__event(struct ss_json *js, const char *name)
{
	long i = ss_set__find_name(js->set, name);

	return i >= (long)js->first ? i : -1;
}

static bool ss__in(const size_t *arr, size_t n, size_t v)
{
	for (size_t i = 0; i < n; i++)
		if (arr[i] == v)
			return true;
	return false;
}

static int ss__push_index(size_t **arr, size_t *n, size_t v)
{
	if (ss__grow(arr, *n, sizeof(**arr)))
		return -ENOMEM;
	(*arr)[(*n)++] = v;
	return 0;
}

/* systing's arg_name as a fetch-arg name: a C identifier, not a reserved
 * field name of the kernel's probe events, unique in the event. */
static char *ss__field_name(const struct ss_event *ev, const char *name)
{
	char *f, *u;
	size_t len = strlen(name);

	if (asprintf(&f, "%s%s",
		     !len || isdigit((unsigned char)*name) || !strncmp(name, "common_", 7) ||
				     !strncmp(name, "__probe_", 8)
			     ? "a_"
			     : "",
		     name) < 0)
		return NULL;
	for (char *p = f; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_')
			*p = '_';
	for (size_t i = 0; i < ev->nr_args; i++) {
		if (strcmp(ev->args[i].field, f) != 0)
			continue;
		if (asprintf(&u, "%s_%zu", f, ev->nr_args) < 0)
			u = NULL;
		free(f);
		return u;
	}
	return f;
}

/* The fetch arg for argument @a of @ev, appended to *@fa. */
static int ss_json__fetcharg(struct ss_json *js, const char *path, struct ss_event *ev,
			     const struct ss_arg *a, char **fa)
{
	char loc[64], *s;
	bool uspace = ev->kind == SS_EV_UPROBE || ev->kind == SS_EV_URETPROBE;
	int n;

	if (ev->kind == SS_EV_TRACEPOINT)
		return 0;
	if (a->type == SS_ARG_RETVAL) {
		snprintf(loc, sizeof(loc), "$retval");
	} else if (ev->kind == SS_EV_USDT) {
		snprintf(loc, sizeof(loc), "arg%u", a->index);
	} else {
#ifdef SS_ARG0
		static const char *const ss_argregs[] = {SS_ARGREGS};
		size_t nregs = sizeof(ss_argregs) / sizeof(ss_argregs[0]);

		if (a->index < nregs)
			snprintf(loc, sizeof(loc), "%s", ss_argregs[a->index]);
		else
			snprintf(loc, sizeof(loc), "+%zu(%%sp)",
				 SS_STACK_ARG_BASE + 8 * (a->index - nregs));
#else
		return ss_json__err(js, path,
				    "arg_index on probes is mapped to registers on x86_64 and "
				    "aarch64 only");
#endif
	}
	if (a->type == SS_ARG_STRING)
		n = asprintf(&s, "%s%s%s=+0(%s):%s", *fa, **fa ? " " : "", a->field, loc,
			     uspace || ev->kind == SS_EV_USDT ? "ustring" : "string");
	else
		n = asprintf(&s, "%s%s%s=%s%s", *fa, **fa ? " " : "", a->field, loc,
			     ev->kind == SS_EV_USDT ? "" : ":s64");
	if (n < 0)
		return -ENOMEM;
	free(*fa);
	*fa = s;
	return 0;
}

static int ss_json__args(struct ss_json *js, json_object *args, const char *epath,
			 struct ss_event *ev)
{
	static const char *const known[] = {"arg_index", "arg_type", "arg_name", NULL};
	size_t n = json_object_array_length(args);
	char path[160], *fa = strdup("");
	int err = 0;

	if (!fa)
		return -ENOMEM;
	if (n > 4) {
		free(fa);
		return ss_json__err(js, epath,
				    "at most 4 args per event (systing's limit), got %zu", n);
	}
	for (size_t i = 0; i < n && !err; i++) {
		json_object *o = json_object_array_get_idx(args, i);
		const char *type, *name;
		struct ss_arg *a;
		uint64_t index;
		bool has_index;

		snprintf(path, sizeof(path), "%s.args[%zu]", epath, i);
		if ((err = ss_json__object(js, o, path, known)) ||
		    (err = ss_json__str(js, o, path, "arg_type", true, &type)) ||
		    (err = ss_json__str(js, o, path, "arg_name", true, &name)) ||
		    (err = ss_json__uint(js, o, path, "arg_index", 255, &index, &has_index)))
			break;
		if ((err = ss__grow(&ev->args, ev->nr_args, sizeof(*ev->args))))
			break;
		a = &ev->args[ev->nr_args];
		a->index = (unsigned)index;
		if (strcmp(type, "long") == 0) {
			a->type = SS_ARG_LONG;
		} else if (strcmp(type, "string") == 0) {
			a->type = SS_ARG_STRING;
		} else if (strcmp(type, "retval") == 0) {
			a->type = SS_ARG_RETVAL;
		} else {
			err = ss_json__err(js, path,
					   "arg_type \"%s\" is not long, string or retval", type);
			break;
		}
		if (a->type == SS_ARG_RETVAL && index != 0) {
			err = ss_json__err(js, path, "arg_index must be 0 or omitted for retval");
			break;
		}
		if (a->type == SS_ARG_RETVAL && ev->kind != SS_EV_URETPROBE &&
		    ev->kind != SS_EV_KRETPROBE) {
			err = ss_json__err(js, path,
					   "retval needs a uretprobe or kretprobe event, not %s",
					   ss_event_kind__name(ev->kind));
			break;
		}
		a->name = strdup(name);
		a->field = ss__field_name(ev, name);
		ev->nr_args++;
		if (!a->name || !a->field)
			err = -ENOMEM;
		else
			err = ss_json__fetcharg(js, path, ev, a, &fa);
	}
	if (!err) {
		free(ev->fetchargs);
		ev->fetchargs = fa;
	} else {
		free(fa);
	}
	return err;
}

static int ss_json__one_event(struct ss_json *js, json_object *o, const char *path)
{
	static const char *const known[] = {"name", "event", "scope", "percpu",
					    "args", "stack", NULL};
	const char *name, *spec, *scope;
	enum ss_event_kind kind;
	struct ss_event *ev;
	json_object *args;
	int stack, percpu, err;
	long idx;

	if ((err = ss_json__object(js, o, path, known)) ||
	    (err = ss_json__str(js, o, path, "name", true, &name)) ||
	    (err = ss_json__str(js, o, path, "event", true, &spec)) ||
	    (err = ss_json__str(js, o, path, "scope", false, &scope)) ||
	    (err = ss_json__bool(js, o, path, "stack", &stack)) ||
	    (err = ss_json__bool(js, o, path, "percpu", &percpu)) ||
	    (err = ss_json__array(js, o, path, "args", false, &args)))
		return err;
	if (ss_spec__kind(spec, true, &kind)) {
		size_t len = strcspn(spec, ":");
		bool known_kind = strchr(spec, ':') && kind != SS_EV_TRACEPOINT;

		if (!known_kind && (len != 10 || strncmp(spec, "tracepoint", 10) != 0))
			return ss_json__err(js, path,
					    "event \"%s\": invalid event type (usdt, uprobe, "
					    "uretprobe, kprobe, kretprobe or tracepoint)",
					    spec);
		return ss_json__err(js, path, "event \"%s\" is not %s", spec,
				    known_kind ? ss__spec_usage(kind) : "tracepoint:SYS:NAME");
	}
	if (kind == SS_EV_TRACEPOINT && strncmp(spec, "tracepoint:", 11) != 0)
		return ss_json__err(js, path,
				    "event \"%s\": invalid event type (tracepoints are "
				    "\"tracepoint:SYS:NAME\")",
				    spec);
	if (ss_set__find_name(js->set, name) >= 0)
		return ss_json__err(js, path, "event %s already exists", name);
	idx = ss_set__push_event(js->set, name, kind == SS_EV_TRACEPOINT ? spec + 11 : spec, "",
				 kind);
	if (idx < 0)
		return (int)idx;
	ev = &js->set->events[idx];
	ev->stack = stack == 1;
	if (!scope || strcmp(scope, "thread") == 0) {
		ev->scope = SS_SCOPE_THREAD;
	} else if (strcmp(scope, "process") == 0) {
		ev->scope = SS_SCOPE_PROCESS;
	} else if (strcmp(scope, "cpu") == 0) {
		ev->scope = SS_SCOPE_CPU;
	} else {
		return ss_json__err(js, path, "scope \"%s\" is not thread, process or cpu", scope);
	}
	if (percpu == 1) {
		if (scope && ev->scope != SS_SCOPE_CPU)
			return ss_json__err(js, path, "\"percpu\": true contradicts scope \"%s\"",
					    scope);
		ev->scope = SS_SCOPE_CPU;
	}
	return args ? ss_json__args(js, args, path, ev) : 0;
}

static int ss_json__events(struct ss_json *js, json_object *events)
{
	char path[48];
	int err = 0;

	for (size_t i = 0; i < json_object_array_length(events) && !err; i++) {
		snprintf(path, sizeof(path), "events[%zu]", i);
		err = ss_json__one_event(js, json_object_array_get_idx(events, i), path);
	}
	return err;
}

/* An event reference field @key: the config's event index, or -errno. */
static long ss_json__ref(struct ss_json *js, json_object *o, const char *path, const char *key,
			 const char *what)
{
	const char *name;
	long idx;
	int err = ss_json__str(js, o, path, key, true, &name);

	if (err)
		return err;
	idx = ss_json__event(js, name);
	if (idx < 0)
		return ss_json__err(js, path, "%s event %s does not exist", what, name);
	return idx;
}

static int ss_json__thresholds(struct ss_json *js, json_object *arr)
{
	static const char *const known[] = {"start", "end", "duration_us", NULL};
	struct ss_set *set = js->set;
	size_t first = set->nr_thresholds;
	char path[64];

	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		json_object *o = json_object_array_get_idx(arr, i);
		struct ss_threshold t;
		long start, end;
		bool present;
		int err;

		snprintf(path, sizeof(path), "stop_triggers.thresholds[%zu]", i);
		if ((err = ss_json__object(js, o, path, known)))
			return err;
		start = ss_json__ref(js, o, path, "start", "Start");
		if (start < 0)
			return (int)start;
		end = ss_json__ref(js, o, path, "end", "Stop");
		if (end < 0)
			return (int)end;
		if ((err = ss_json__uint(js, o, path, "duration_us", UINT64_MAX >> 1,
					 &t.duration_us, &present)))
			return err;
		if (!present)
			return ss_json__err(js, path, "missing field \"duration_us\"");
		for (size_t j = first; j < set->nr_thresholds; j++) {
			if (set->thresholds[j].start == (size_t)start)
				return ss_json__err(js, path, "Start event %s already exists",
						    set->events[start].name);
			if (set->thresholds[j].end == (size_t)end)
				return ss_json__err(js, path, "Stop event %s already exists",
						    set->events[end].name);
		}
		if (ss__grow(&set->thresholds, set->nr_thresholds, sizeof(t)))
			return -ENOMEM;
		t.start = (size_t)start;
		t.end = (size_t)end;
		set->thresholds[set->nr_thresholds++] = t;
	}
	return 0;
}

static int ss_json__stop_instants(struct ss_json *js, json_object *arr)
{
	static const char *const known[] = {"event", NULL};
	struct ss_set *set = js->set;
	size_t first = set->nr_stop_events;
	char path[64];

	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		json_object *o = json_object_array_get_idx(arr, i);
		long ev;
		int err;

		snprintf(path, sizeof(path), "stop_triggers.instants[%zu]", i);
		if ((err = ss_json__object(js, o, path, known)))
			return err;
		ev = ss_json__ref(js, o, path, "event", "Instant");
		if (ev < 0)
			return (int)ev;
		if (set->nr_stop_events > first &&
		    ss__in(set->stop_events + first, set->nr_stop_events - first, (size_t)ev))
			return ss_json__err(js, path, "Instant trigger for event %s already exists",
					    set->events[ev].name);
		if ((err = ss__push_index(&set->stop_events, &set->nr_stop_events, (size_t)ev)))
			return err;
	}
	return 0;
}

static int ss_json__stop_triggers(struct ss_json *js, json_object *o)
{
	static const char *const known[] = {"thresholds", "instants", NULL};
	json_object *thresholds, *instants;
	int err;

	if ((err = ss_json__object(js, o, "stop_triggers", known)) ||
	    (err = ss_json__array(js, o, "stop_triggers", "thresholds", false, &thresholds)) ||
	    (err = ss_json__array(js, o, "stop_triggers", "instants", false, &instants)))
		return err;
	if (thresholds) {
		/* systing reads the instants only when there are no thresholds */
		if (instants && (err = ss__warnf(js->set,
						 "%s: stop_triggers: \"instants\" are ignored "
						 "next to \"thresholds\" (as systing does)",
						 js->file)))
			return err;
		return ss_json__thresholds(js, thresholds);
	}
	if (instants)
		return ss_json__stop_instants(js, instants);
	return ss_json__err(js, "stop_triggers",
			    "Invalid trigger format (neither thresholds "
			    "nor instants)");
}

static int ss_json__ranges(struct ss_json *js, json_object *arr, const char *tpath,
			   const char *track)
{
	static const char *const known[] = {"name", "start", "end", NULL};
	static const enum ss_span_kind kinds[] = {
		[SS_SCOPE_THREAD] = SS_SPAN_THREAD,
		[SS_SCOPE_PROCESS] = SS_SPAN_PROCESS,
		[SS_SCOPE_CPU] = SS_SPAN_CPU,
	};
	struct ss_set *set = js->set;
	char path[192];

	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		json_object *o = json_object_array_get_idx(arr, i);
		const struct ss_event *s, *e;
		const char *name;
		long start, end;
		int err;

		snprintf(path, sizeof(path), "%s.ranges[%zu]", tpath, i);
		if ((err = ss_json__object(js, o, path, known)) ||
		    (err = ss_json__str(js, o, path, "name", true, &name)))
			return err;
		start = ss_json__ref(js, o, path, "start", "Start");
		if (start < 0)
			return (int)start;
		end = ss_json__ref(js, o, path, "end", "Stop");
		if (end < 0)
			return (int)end;
		s = &set->events[start];
		e = &set->events[end];
		if (ss__in(js->starts, js->nr_starts, (size_t)start))
			return ss_json__err(js, path, "Start event %s already exists", s->name);
		if (ss__in(js->ends, js->nr_ends, (size_t)end))
			return ss_json__err(js, path, "Stop event %s already exists", e->name);
		if (s->scope != e->scope)
			return ss_json__err(js, path,
					    "range '%s': start event '%s' and end event '%s' have "
					    "different scopes; they must match",
					    name, s->name, e->name);
		for (size_t j = js->first_span; j < set->nr_spans; j++)
			if (strcmp(set->spans[j].name, name) == 0)
				return ss_json__err(js, path, "Range %s already exists", name);
		if ((err = ss__push_index(&js->starts, &js->nr_starts, (size_t)start)) ||
		    (err = ss__push_index(&js->ends, &js->nr_ends, (size_t)end)) ||
		    (err = ss_set__push_span(set, name, track, (size_t)start, (size_t)end, NULL,
					     kinds[s->scope])))
			return err;
	}
	return 0;
}

static int ss_json__instants(struct ss_json *js, json_object *arr, const char *tpath,
			     const char *track)
{
	static const char *const known[] = {"event", NULL};
	struct ss_set *set = js->set;
	char path[192];

	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		json_object *o = json_object_array_get_idx(arr, i);
		struct ss_instant *in;
		const char *name;
		long ev;
		int err;

		snprintf(path, sizeof(path), "%s.instants[%zu]", tpath, i);
		if ((err = ss_json__object(js, o, path, known)))
			return err;
		ev = ss_json__ref(js, o, path, "event", "Instant");
		if (ev < 0)
			return (int)ev;
		name = set->events[ev].name;
		if (ss__in(js->insts, js->nr_insts, (size_t)ev))
			return ss_json__err(js, path, "Instant event %s already exists", name);
		if (ss__in(js->starts, js->nr_starts, (size_t)ev))
			return ss_json__err(js, path, "Start event %s already exists", name);
		if (ss__in(js->ends, js->nr_ends, (size_t)ev))
			return ss_json__err(js, path, "Stop event %s already exists", name);
		if ((err = ss__push_index(&js->insts, &js->nr_insts, (size_t)ev)) ||
		    (err = ss__grow(&set->instants, set->nr_instants, sizeof(*in))))
			return err;
		in = &set->instants[set->nr_instants];
		in->event = (size_t)ev;
		in->track = strdup(track);
		if (!in->track)
			return -ENOMEM;
		set->nr_instants++;
	}
	return 0;
}

static int ss_json__tracks(struct ss_json *js, json_object *tracks)
{
	static const char *const known[] = {"track_name", "ranges", "instants", NULL};
	char path[48];

	for (size_t i = 0; i < json_object_array_length(tracks); i++) {
		json_object *o = json_object_array_get_idx(tracks, i), *ranges, *instants;
		const char *track;
		int err;

		snprintf(path, sizeof(path), "tracks[%zu]", i);
		if ((err = ss_json__object(js, o, path, known)) ||
		    (err = ss_json__str(js, o, path, "track_name", true, &track)) ||
		    (err = ss_json__array(js, o, path, "ranges", false, &ranges)) ||
		    (err = ss_json__array(js, o, path, "instants", false, &instants)))
			return err;
		if (!ranges && !instants &&
		    (err = ss__warnf(js->set,
				     "%s: %s: track \"%s\" has neither ranges nor instants",
				     js->file, path, track)))
			return err;
		if ((ranges && (err = ss_json__ranges(js, ranges, path, track))) ||
		    (instants && (err = ss_json__instants(js, instants, path, track))))
			return err;
	}
	return 0;
}

/* "LINE:COL" of byte @off in @text. */
static void ss__linecol(const char *text, size_t off, unsigned *line, unsigned *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off && text[i]; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

static int ss_json__root(struct ss_json *js, json_object *root)
{
	static const char *const known[] = {"events", "tracks", "stop_triggers", NULL};
	json_object *events, *tracks, *stop = NULL;
	int err;

	if ((err = ss_json__object(js, root, "", known)) ||
	    (err = ss_json__array(js, root, "", "events", true, &events)) ||
	    (err = ss_json__array(js, root, "", "tracks", false, &tracks)))
		return err;
	if ((err = ss_json__events(js, events)))
		return err;
	/* systing adds the stop triggers before the tracks; the order shows in errors */
	if (json_object_object_get_ex(root, "stop_triggers", &stop) && stop &&
	    (err = ss_json__stop_triggers(js, stop)))
		return err;
	return tracks ? ss_json__tracks(js, tracks) : 0;
}

int ss_set__parse_systing(struct ss_set *set, const char *name, const char *json)
{
	struct ss_json js = {
		.set = set, .file = name, .first = set->nr_events, .first_span = set->nr_spans};
	struct ss_mark m = ss_set__mark(set);
	size_t warnings = set->nr_warnings;
	size_t len = strlen(json), end;
	struct json_tokener *tok;
	enum json_tokener_error jerr;
	json_object *root;
	unsigned line, col;
	int err;

	tok = json_tokener_new();
	if (!tok)
		return -ENOMEM;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	root = json_tokener_parse_ex(tok, json, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (jerr == json_tokener_continue || (jerr == json_tokener_success && !root)) {
		json_object_put(root);
		return ss__errf(set, -EINVAL, "%s: not a complete JSON document", name);
	}
	if (jerr != json_tokener_success) {
		ss__linecol(json, end, &line, &col);
		return ss__errf(set, -EINVAL, "%s:%u:%u: invalid JSON: %s", name, line, col,
				json_tokener_error_desc(jerr));
	}
	while (end < len && ss__is_space(json[end]))
		end++;
	if (end < len) {
		ss__linecol(json, end, &line, &col);
		json_object_put(root);
		return ss__errf(set, -EINVAL, "%s:%u:%u: invalid JSON: trailing data", name, line,
				col);
	}
	err = ss_json__root(&js, root);
	json_object_put(root);
	free(js.starts);
	free(js.ends);
	free(js.insts);
	if (err) {
		ss_set__rollback(set, m);
		while (set->nr_warnings > warnings)
			free(set->warnings[--set->nr_warnings]);
		if (err == -ENOMEM)
			ss__errf(set, err, "%s: out of memory", name);
	}
	return err;
}

#endif /* HAVE_JSON_C */
