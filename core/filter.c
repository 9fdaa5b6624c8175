/* SPDX-License-Identifier: MIT */
/*
 * core/filter: a recursive-descent parser building a small tree, and its
 * evaluation.  Values are converted once, at parse time, to what the field
 * compares with (numbers, durations, times, errno names).
 */
#include "config.h"
#include "core/filter.h"
#include "core/util.h"

#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum tok_kind { T_END, T_WORD, T_STR, T_OP, T_LP, T_RP, T_COMMA };

enum op {
	OP_EQ,
	OP_NE,
	OP_LT,
	OP_LE,
	OP_GT,
	OP_GE,
	OP_CONTAINS,
	OP_ICONTAINS,
	OP_STARTSWITH,
	OP_ENDSWITH,
	OP_GLOB,
	OP_IN,
	OP_EXISTS,
};

enum node_kind { N_AND, N_OR, N_NOT, N_CHECK };

struct fval {
	char *s;
	int is_num;
	int64_t n;
};

struct flt {
	enum node_kind kind;
	struct flt *a, *b;
	const struct fld_def *fld;
	char *sub; /* evt.arg.NAME */
	enum op op;
	struct fval *vals;
	size_t nvals;
};

struct tok {
	enum tok_kind kind;
	int pos, len;
	char *text; /* words and strings: the value (unescaped) */
};

struct parser {
	const char *src;
	size_t p;
	struct tok t; /* the current token */
	struct flt_err *err;
	int failed;
	int depth; /* of "(" and "not" */
};

/* Deeper nesting is an error, not a stack overflow (a filter can be 128 KiB of "("). */
#define FLT_MAX_DEPTH 200

static void perr(struct parser *ps, int pos, int len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void perr(struct parser *ps, int pos, int len, const char *fmt, ...)
{
	va_list ap;

	if (ps->failed)
		return;
	ps->failed = 1;
	ps->err->pos = pos;
	ps->err->len = len;
	va_start(ap, fmt);
	vsnprintf(ps->err->msg, sizeof(ps->err->msg), fmt, ap);
	va_end(ap);
}

static int word_char(int c)
{
	return c && !isspace(c) && !strchr("()'\",=<>!", c);
}

/* Read the next token into ps->t. */
static void next(struct parser *ps)
{
	const char *s = ps->src;
	size_t p = ps->p;

	free(ps->t.text);
	memset(&ps->t, 0, sizeof(ps->t));
	while (isspace((unsigned char)s[p]))
		p++;
	ps->t.pos = (int)p;
	if (!s[p]) {
		ps->t.kind = T_END;
	} else if (s[p] == '(' || s[p] == ')' || s[p] == ',') {
		ps->t.kind = s[p] == '(' ? T_LP : s[p] == ')' ? T_RP : T_COMMA;
		p++;
	} else if (strchr("=<>!", s[p])) {
		ps->t.kind = T_OP;
		p++;
		if (s[p] == '=')
			p++;
		if (s[ps->t.pos] == '!' && p - (size_t)ps->t.pos == 1) {
			perr(ps, ps->t.pos, 1, "'!' alone is not an operator (use != or not)");
			ps->t.kind = T_END;
		}
	} else if (s[p] == '\'' || s[p] == '"') {
		char q = s[p++], *w;

		ps->t.kind = T_STR;
		ps->t.text = w = malloc(strlen(s + p) + 1);
		if (!w) {
			perr(ps, ps->t.pos, 1, "out of memory");
			ps->t.kind = T_END;
			ps->p = p;
			return;
		}
		while (s[p] && s[p] != q) {
			if (s[p] == '\\' && s[p + 1])
				p++;
			*w++ = s[p++];
		}
		*w = 0;
		if (!s[p]) {
			perr(ps, ps->t.pos, (int)(p - (size_t)ps->t.pos), "unterminated string");
			ps->t.kind = T_END;
		} else {
			p++;
		}
	} else {
		size_t st = p;

		while (word_char((unsigned char)s[p]))
			p++;
		ps->t.kind = T_WORD;
		ps->t.text = strndup(s + st, p - st);
	}
	ps->t.len = (int)(p - (size_t)ps->t.pos);
	ps->p = p;
}

static int is_word(const struct parser *ps, const char *w)
{
	return ps->t.kind == T_WORD && !strcmp(ps->t.text, w);
}

static int keyword(const char *w)
{
	static const char *const kw[] = {"and",	     "or",	 "not",	      "in",
					 "exists",   "contains", "icontains", "startswith",
					 "endswith", "glob",	 NULL};
	int i;

	for (i = 0; kw[i]; i++)
		if (!strcmp(w, kw[i]))
			return 1;
	return 0;
}

/* "10us" "2ms" "1s" "1.5s" "300" (ns) -> ns; 0 or -1 (also beyond +-292 years, inf, nan) */
static int parse_dur(const char *s, int secs_default, int64_t *out)
{
	char *end;
	double v;
	double mul;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno)
		return -1;
	if (!*end)
		mul = secs_default ? 1e9 : 1;
	else if (!strcmp(end, "ns"))
		mul = 1;
	else if (!strcmp(end, "us"))
		mul = 1e3;
	else if (!strcmp(end, "ms"))
		mul = 1e6;
	else if (!strcmp(end, "s"))
		mul = 1e9;
	else
		return -1;
	v = v * mul + (v < 0 ? -0.5 : 0.5);
	if (!(v > -9.2e18 && v < 9.2e18)) /* also nan */
		return -1;
	*out = (int64_t)v;
	return 0;
}

/* Convert a value for the field it is compared with; 0 or -1 after an error. */
static int convert(struct parser *ps, const struct fld_def *f, enum op op, struct fval *fv, int pos,
		   int len)
{
	char *end;
	long long n;

	fv->is_num = 0;
	if (op >= OP_CONTAINS && op <= OP_GLOB)
		return 0; /* text operators compare text */
	switch (f->type) {
	case FLD_NUM:
		errno = 0;
		n = strtoll(fv->s, &end, 0);
		if (!errno && end != fv->s && !*end) {
			fv->n = n;
			fv->is_num = 1;
			return 0;
		}
		if (!strcmp(f->name, "evt.res") && errno_by_name(fv->s)) {
			fv->n = -errno_by_name(fv->s);
			fv->is_num = 1;
			return 0;
		}
		perr(ps, pos, len, "%s compares with integers%s, not '%s'", f->name,
		     strcmp(f->name, "evt.res") ? "" : " or errno names", fv->s);
		return -1;
	case FLD_TIME:
	case FLD_DUR:
		if (parse_dur(fv->s, f->type == FLD_TIME, &fv->n)) {
			perr(ps, pos, len, "%s compares with %s, not '%s'", f->name,
			     f->type == FLD_TIME ? "seconds (12.5) or a duration (500ms)"
						 : "nanoseconds or a duration (10us, 2ms, 1s)",
			     fv->s);
			return -1;
		}
		fv->is_num = 1;
		return 0;
	case FLD_BOOL:
		if (!strcmp(fv->s, "true") || !strcmp(fv->s, "1"))
			fv->n = 1;
		else if (!strcmp(fv->s, "false") || !strcmp(fv->s, "0"))
			fv->n = 0;
		else {
			perr(ps, pos, len, "%s is true or false, not '%s'", f->name, fv->s);
			return -1;
		}
		fv->is_num = 1;
		return 0;
	case FLD_ARG:
		errno = 0;
		n = strtoll(fv->s, &end, 0);
		if (!errno && end != fv->s && !*end) {
			fv->n = n;
			fv->is_num = 1;
		}
		return 0;
	default:
		return 0;
	}
}

static struct flt *node(struct parser *ps, enum node_kind k, struct flt *a, struct flt *b)
{
	struct flt *n = calloc(1, sizeof(*n));

	if (!n) {
		perr(ps, ps->t.pos, ps->t.len, "out of memory");
		flt_free(a);
		flt_free(b);
		return NULL;
	}
	n->kind = k;
	n->a = a;
	n->b = b;
	return n;
}

static const char *tok_desc(const struct parser *ps, char *buf, size_t cap)
{
	if (ps->t.kind == T_END)
		return "the end of the filter";
	snprintf(buf, cap, "'%.*s'", ps->t.len, ps->src + ps->t.pos);
	return buf;
}

/* A value token (a word, a string, or '<'/'>' as evt.dir's values) into a new fval. */
static int take_value(struct parser *ps, struct flt *n)
{
	struct fval *nv;
	char d[64];
	int pos = ps->t.pos, len = ps->t.len;

	if (ps->t.kind == T_OP && ps->t.len == 1 && (ps->src[pos] == '<' || ps->src[pos] == '>')) {
		free(ps->t.text);
		ps->t.text = strndup(ps->src + pos, 1);
	} else if (ps->t.kind != T_WORD && ps->t.kind != T_STR) {
		perr(ps, pos, len, "expected a value after '%s', found %s", n->fld->name,
		     tok_desc(ps, d, sizeof(d)));
		return -1;
	} else if (ps->t.kind == T_WORD &&
		   (!strcmp(ps->t.text, "and") || !strcmp(ps->t.text, "or"))) {
		perr(ps, pos, len, "expected a value, found '%s' (quote it if it is the value)",
		     ps->t.text);
		return -1;
	}
	if (!ps->t.text) {
		perr(ps, pos, len, "out of memory");
		return -1;
	}
	nv = realloc(n->vals, (n->nvals + 1) * sizeof(*nv));
	if (!nv) {
		perr(ps, pos, len, "out of memory");
		return -1;
	}
	n->vals = nv;
	nv[n->nvals].s = ps->t.text;
	ps->t.text = NULL;
	n->nvals++;
	if (convert(ps, n->fld, n->op, &nv[n->nvals - 1], pos, len))
		return -1;
	next(ps);
	return 0;
}

static struct flt *parse_check(struct parser *ps)
{
	static const struct {
		const char *s;
		enum op op;
	} ops[] = {
		{"=", OP_EQ},
		{"==", OP_EQ},
		{"!=", OP_NE},
		{"<", OP_LT},
		{"<=", OP_LE},
		{">", OP_GT},
		{">=", OP_GE},
		{"contains", OP_CONTAINS},
		{"icontains", OP_ICONTAINS},
		{"startswith", OP_STARTSWITH},
		{"endswith", OP_ENDSWITH},
		{"glob", OP_GLOB},
		{"in", OP_IN},
		{"exists", OP_EXISTS},
	};
	const struct fld_def *f;
	const char *sub;
	size_t sublen, i;
	struct flt *n;
	char d[64], opn[16];
	int fpos = ps->t.pos, flen = ps->t.len;

	if (ps->t.kind != T_WORD || keyword(ps->t.text)) {
		perr(ps, ps->t.pos, ps->t.len, "expected a field name, found %s",
		     tok_desc(ps, d, sizeof(d)));
		return NULL;
	}
	f = fld_lookup(ps->t.text, strlen(ps->t.text), &sub, &sublen);
	if (!f) {
		perr(ps, fpos, flen, "unknown field '%s' (pftrace dump -l lists them)", ps->t.text);
		return NULL;
	}
	n = node(ps, N_CHECK, NULL, NULL);
	if (!n)
		return NULL;
	n->fld = f;
	if (sub)
		n->sub = strndup(sub, sublen);
	next(ps);
	opn[0] = 0;
	if (ps->t.kind == T_OP)
		snprintf(opn, sizeof(opn), "%.*s", ps->t.len, ps->src + ps->t.pos);
	else if (ps->t.kind == T_WORD)
		snprintf(opn, sizeof(opn), "%s", ps->t.text);
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (opn[0] && !strcmp(opn, ops[i].s))
			break;
	if (i == sizeof(ops) / sizeof(ops[0])) {
		perr(ps, ps->t.pos, ps->t.len, "expected an operator after '%.*s', found %s", flen,
		     ps->src + fpos, tok_desc(ps, d, sizeof(d)));
		flt_free(n);
		return NULL;
	}
	n->op = ops[i].op;
	next(ps);
	if (n->op == OP_EXISTS)
		return n;
	if (n->op == OP_IN) {
		if (ps->t.kind != T_LP) {
			perr(ps, ps->t.pos, ps->t.len, "expected '(' after 'in', found %s",
			     tok_desc(ps, d, sizeof(d)));
			flt_free(n);
			return NULL;
		}
		next(ps);
		for (;;) {
			if (take_value(ps, n)) {
				flt_free(n);
				return NULL;
			}
			if (ps->t.kind == T_RP)
				break;
			if (ps->t.kind != T_COMMA) {
				perr(ps, ps->t.pos, ps->t.len,
				     "expected ',' or ')' in the list of 'in', found %s",
				     tok_desc(ps, d, sizeof(d)));
				flt_free(n);
				return NULL;
			}
			next(ps);
		}
		next(ps);
		return n;
	}
	if (take_value(ps, n)) {
		flt_free(n);
		return NULL;
	}
	return n;
}

static struct flt *parse_or(struct parser *ps);

static struct flt *parse_unary(struct parser *ps)
{
	struct flt *a;
	char d[64];

	if (ps->failed)
		return NULL;
	if ((is_word(ps, "not") || ps->t.kind == T_LP) && ps->depth >= FLT_MAX_DEPTH) {
		perr(ps, ps->t.pos, ps->t.len, "nested too deep (more than %d '(' and 'not')",
		     FLT_MAX_DEPTH);
		return NULL;
	}
	if (is_word(ps, "not")) {
		next(ps);
		ps->depth++;
		a = parse_unary(ps);
		ps->depth--;
		return a ? node(ps, N_NOT, a, NULL) : NULL;
	}
	if (ps->t.kind == T_LP) {
		int pos = ps->t.pos;

		next(ps);
		ps->depth++;
		a = parse_or(ps);
		ps->depth--;
		if (!a)
			return NULL;
		if (ps->t.kind != T_RP) {
			perr(ps, ps->t.kind == T_END ? pos : ps->t.pos,
			     ps->t.kind == T_END ? 1 : ps->t.len,
			     ps->t.kind == T_END ? "'(' is not closed"
						 : "expected 'and', 'or' or ')', found %s",
			     tok_desc(ps, d, sizeof(d)));
			flt_free(a);
			return NULL;
		}
		next(ps);
		return a;
	}
	return parse_check(ps);
}

static struct flt *parse_and(struct parser *ps)
{
	struct flt *a = parse_unary(ps), *b;

	while (a && is_word(ps, "and")) {
		next(ps);
		b = parse_unary(ps);
		if (!b) {
			flt_free(a);
			return NULL;
		}
		a = node(ps, N_AND, a, b);
	}
	return a;
}

static struct flt *parse_or(struct parser *ps)
{
	struct flt *a = parse_and(ps), *b;

	while (a && is_word(ps, "or")) {
		next(ps);
		b = parse_and(ps);
		if (!b) {
			flt_free(a);
			return NULL;
		}
		a = node(ps, N_OR, a, b);
	}
	return a;
}

struct flt *flt_parse(const char *text, struct flt_err *err)
{
	struct parser ps;
	struct flt *f;
	char d[64];

	memset(&ps, 0, sizeof(ps));
	memset(err, 0, sizeof(*err));
	ps.src = text;
	ps.err = err;
	next(&ps);
	if (ps.t.kind == T_END && !ps.failed) {
		perr(&ps, 0, 0, "the filter is empty");
		free(ps.t.text);
		errno = EINVAL;
		return NULL;
	}
	f = parse_or(&ps);
	if (f && ps.t.kind != T_END) {
		perr(&ps, ps.t.pos, ps.t.len, "expected 'and', 'or' or the end, found %s",
		     tok_desc(&ps, d, sizeof(d)));
		flt_free(f);
		f = NULL;
	}
	free(ps.t.text);
	if (!f)
		errno = strcmp(err->msg, "out of memory") ? EINVAL : ENOMEM;
	return f;
}

void flt_free(struct flt *f)
{
	size_t i;

	if (!f)
		return;
	flt_free(f->a);
	flt_free(f->b);
	for (i = 0; i < f->nvals; i++)
		free(f->vals[i].s);
	free(f->vals);
	free(f->sub);
	free(f);
}

static int icontains(const char *h, const char *n)
{
	size_t ln = strlen(n);

	for (; *h; h++)
		if (!strncasecmp(h, n, ln))
			return 1;
	return !ln;
}

static int compare(const struct fld_val *v, const struct fval *c, enum op op)
{
	int r;
	size_t lv, lc;

	switch (op) {
	case OP_CONTAINS:
		return strstr(v->s, c->s) != NULL;
	case OP_ICONTAINS:
		return icontains(v->s, c->s);
	case OP_STARTSWITH:
		return !strncmp(v->s, c->s, strlen(c->s));
	case OP_ENDSWITH:
		lv = strlen(v->s);
		lc = strlen(c->s);
		return lv >= lc && !strcmp(v->s + lv - lc, c->s);
	case OP_GLOB:
		return !fnmatch(c->s, v->s, 0);
	default:
		break;
	}
	if (v->is_num && c->is_num)
		r = v->n < c->n ? -1 : v->n > c->n;
	else
		r = strcmp(v->s, c->s);
	switch (op) {
	case OP_EQ:
	case OP_IN:
		return r == 0;
	case OP_NE:
		return r != 0;
	case OP_LT:
		return r < 0;
	case OP_LE:
		return r <= 0;
	case OP_GT:
		return r > 0;
	case OP_GE:
		return r >= 0;
	default:
		return 0;
	}
}

int flt_match(const struct flt *f, const struct evview *v)
{
	struct fld_val val;
	size_t i;

	if (!f)
		return 1;
	switch (f->kind) {
	case N_AND:
		return flt_match(f->a, v) && flt_match(f->b, v);
	case N_OR:
		return flt_match(f->a, v) || flt_match(f->b, v);
	case N_NOT:
		return !flt_match(f->a, v);
	case N_CHECK:
		if (fld_get(v, f->fld, f->sub, &val))
			return 0;
		if (f->op == OP_EXISTS)
			return 1;
		for (i = 0; i < f->nvals; i++)
			if (compare(&val, &f->vals[i], f->op))
				return 1;
		return 0;
	}
	return 0;
}

void flt_report(const char *text, const struct flt_err *err)
{
	int len = err->len > 0 ? err->len : 1;
	int pos = err->pos;

	pft_error("filter: %s (column %d)", err->msg, pos + 1);
	if ((size_t)pos > strlen(text))
		pos = (int)strlen(text);
	if ((size_t)(pos + len) > strlen(text))
		len = (int)strlen(text) - pos;
	pft_hint("%.*s>>>%.*s<<<%s", pos, text, len, text + pos, text + pos + len);
}
