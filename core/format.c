/* SPDX-License-Identifier: MIT */
/* core/format: see format.h. */
#include "config.h"
#include "core/format.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* one event per line on the per-event path: stdio without its lock per character */
#define putc(c, f) putc_unlocked((c), (f))
#define fputs(s, f) fputs_unlocked((s), (f))

struct seg {
	const char *lit; /* literal text before the field (not NUL-terminated) */
	size_t litlen;
	const struct fld_def *fld; /* NULL: only the literal */
	char *sub;
	char *key; /* JSON key: the field's name as written */
};

struct ofmt {
	char *text;
	struct seg *segs;
	size_t nsegs;
	int json, json_default;
};

static int field_char(int c)
{
	return isalnum(c) || c == '.' || c == '_';
}

struct ofmt *ofmt_new(const char *fmt, int json, struct flt_err *err)
{
	struct ofmt *f = calloc(1, sizeof(*f));
	const char *p, *lit;

	memset(err, 0, sizeof(*err));
	if (!f)
		goto oom;
	f->json = json;
	f->json_default = json && !fmt;
	f->text = strdup(fmt	? fmt
			 : json ? OFMT_SYSDIG " %proc.pid %evt.res %evt.latency"
				: OFMT_SYSDIG);
	if (!f->text)
		goto oom;
	p = lit = f->text;
	if (*p == '*') /* sysdig's "print every event" mark */
		p = lit = p + 1;
	for (;;) {
		struct seg *ns, *s;
		const char *st, *sub;
		size_t sublen;

		while (*p && !(*p == '%' && p[1] != '%'))
			p += *p == '%' ? 2 : 1;
		ns = realloc(f->segs, (f->nsegs + 1) * sizeof(*ns));
		if (!ns)
			goto oom;
		f->segs = ns;
		s = &ns[f->nsegs++];
		memset(s, 0, sizeof(*s));
		s->lit = lit;
		s->litlen = (size_t)(p - lit);
		if (!*p)
			break;
		st = ++p;
		while (field_char((unsigned char)*p))
			p++;
		/* "%proc.name." : a trailing dot is text */
		while (p > st && p[-1] == '.')
			p--;
		s->fld = fld_lookup(st, (size_t)(p - st), &sub, &sublen);
		if (!s->fld) {
			err->pos = (int)(st - 1 - f->text);
			err->len = (int)(p - st) + 1;
			snprintf(err->msg, sizeof(err->msg),
				 "unknown field '%.*s' in the format (pftrace dump -l lists them)",
				 (int)(p - st), st);
			ofmt_free(f);
			return NULL;
		}
		if (sub)
			s->sub = strndup(sub, sublen);
		s->key = strndup(st, (size_t)(p - st));
		lit = p;
	}
	return f;
oom:
	snprintf(err->msg, sizeof(err->msg), "out of memory");
	ofmt_free(f);
	return NULL;
}

void ofmt_free(struct ofmt *f)
{
	size_t i;

	if (!f)
		return;
	for (i = 0; i < f->nsegs; i++) {
		free(f->segs[i].sub);
		free(f->segs[i].key);
	}
	free(f->segs);
	free(f->text);
	free(f);
}

void json_str(FILE *out, const char *s)
{
	const unsigned char *p;

	putc('"', out);
	for (p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\') {
			putc('\\', out);
			putc(*p, out);
		} else if (*p == '\n') {
			fputs("\\n", out);
		} else if (*p == '\t') {
			fputs("\\t", out);
		} else if (*p < 0x20 || *p == 0x7f) {
			fprintf(out, "\\u%04x", *p);
		} else {
			putc(*p, out);
		}
	}
	putc('"', out);
}

static int is_ctrl(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

/* The escape of control character @c (\n, \t, \xNN) at @w; returns its end (<= 4 bytes). */
static char *escape_ctrl(char *w, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";

	*w++ = '\\';
	if (c == '\n' || c == '\t') {
		*w++ = c == '\n' ? 'n' : 't';
	} else {
		*w++ = 'x';
		*w++ = hex[c >> 4];
		*w++ = hex[c & 15];
	}
	return w;
}

/* a field's text, with control characters escaped C-style (a comm may hold a
 * newline written into /proc/PID/comm): one event stays one line */
static void put_text(FILE *out, const char *s)
{
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p && !is_ctrl(*p); p++)
		;
	if (!*p) { /* the common case: nothing to escape */
		fputs(s, out);
		return;
	}
	for (p = (const unsigned char *)s; *p; p++) {
		char e[4], *end;

		if (!is_ctrl(*p)) {
			putc(*p, out);
			continue;
		}
		end = escape_ctrl(e, *p);
		fwrite_unlocked(e, 1, (size_t)(end - e), out);
	}
}

const char *text_escape(const char *s, char *buf, size_t size)
{
	const unsigned char *c = (const unsigned char *)s;
	char *w = buf;

	while (*c && !is_ctrl(*c))
		c++;
	if (!*c || size < 5)
		return s;
	for (c = (const unsigned char *)s; *c && w + 5 <= buf + size; c++) {
		if (is_ctrl(*c))
			w = escape_ctrl(w, *c);
		else
			*w++ = (char)*c;
	}
	*w = 0;
	return buf;
}

/* literal text with %% as % */
static void put_lit(FILE *out, const char *s, size_t n)
{
	size_t i;

	if (!memchr(s, '%', n)) {
		fwrite_unlocked(s, 1, n, out);
		return;
	}
	for (i = 0; i < n; i++) {
		putc(s[i], out);
		if (s[i] == '%' && i + 1 < n && s[i + 1] == '%')
			i++;
	}
}

void ofmt_print(const struct ofmt *f, const struct evview *v, FILE *out)
{
	struct fld_val val;
	size_t i;
	int first = 1;

	if (f->json)
		putc('{', out);
	for (i = 0; i < f->nsegs; i++) {
		const struct seg *s = &f->segs[i];
		int have;

		if (!f->json)
			put_lit(out, s->lit, s->litlen);
		if (!s->fld)
			continue;
		have = !fld_get(v, s->fld, s->sub, &val);
		if (!f->json) {
			put_text(out, have ? val.s : "<NA>");
			continue;
		}
		if (!have && f->json_default)
			continue;
		if (!first)
			putc(',', out);
		first = 0;
		json_str(out, s->key);
		putc(':', out);
		if (!have)
			fputs("null", out);
		else if (s->fld->type == FLD_BOOL)
			fputs(val.n ? "true" : "false", out);
		else if (val.is_num && s->fld->type != FLD_ARG && s->fld->type != FLD_TIME)
			fputs(val.s, out);
		else if (s->fld->type == FLD_TIME)
			fputs(val.s, out); /* seconds.nanoseconds: a JSON number */
		else
			json_str(out, val.s);
	}
	if (f->json)
		putc('}', out);
	putc('\n', out);
}
