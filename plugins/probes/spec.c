/* SPDX-License-Identifier: MIT */
/*
 * plugins/probes/spec.c: parsing probe specs ("uprobe:PATH:SYM+OFF args",
 * "usdt:PATH:PROVIDER:NAME").  Only the text: paths and symbols are checked
 * against files later (resolve.c, elf.c).
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "probes.h"
#include "internal.h"

static const struct {
	const char *prefix;
	enum prb_kind kind;
} kinds[] = {
	{"uprobe:", PRB_UPROBE},
	{"uretprobe:", PRB_URETPROBE},
	{"usdt:", PRB_USDT},
};

int prb_spec__is_probe(const char *text)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strncmp(text, kinds[i].prefix, strlen(kinds[i].prefix)) == 0)
			return 1;
	return 0;
}

/* A tracefs event/argument name: [A-Za-z_][A-Za-z0-9_]*. */
static int good_name(const char *s, size_t len)
{
	if (!len || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
		return 0;
	for (size_t i = 1; i < len; i++)
		if (!(isalnum((unsigned char)s[i]) || s[i] == '_'))
			return 0;
	return 1;
}

/* Each whitespace-separated fetch arg must read NAME=VALUE. */
static int check_args(const char *spec, const char *args, char *err, size_t errlen)
{
	const char *p = args;

	while (*p) {
		size_t len = strcspn(p, " \t");
		const char *eq = memchr(p, '=', len);

		if (!eq || !good_name(p, (size_t)(eq - p)) || eq + 1 == p + len) {
			prb_err(err, errlen,
				"probe '%s': fetch argument '%.*s' is not NAME=FETCHARG[:TYPE]",
				spec, (int)len, p);
			return -EINVAL;
		}
		p += len;
		p += strspn(p, " \t");
	}
	return 0;
}

/* "SYM" or "SYM+OFFSET" (the last '+' followed by a number: C++ names may hold a '+'). */
static int split_offset(const char *spec, char *sym, uint64_t *offset, char *err, size_t errlen)
{
	char *plus = strrchr(sym, '+'), *end;
	unsigned long long v;

	*offset = 0;
	if (!plus || !isdigit((unsigned char)plus[1]))
		return 0;
	errno = 0;
	v = strtoull(plus + 1, &end, 0);
	if (errno || *end) {
		prb_err(err, errlen, "probe '%s': bad offset '%s' (a number: +16 or +0x10)", spec,
			plus);
		return -EINVAL;
	}
	if (plus == sym) {
		prb_err(err, errlen, "probe '%s': an offset needs a symbol before it", spec);
		return -EINVAL;
	}
	*plus = '\0';
	*offset = v;
	return 0;
}

static int parse_body(const char *spec, char *body, struct prb_spec *s, char *err, size_t errlen)
{
	char *colon = strchr(body, ':'), *rest;
	static const char *const forms[] = {
		[PRB_UPROBE] = "uprobe:PATH:SYMBOL[+OFFSET]",
		[PRB_URETPROBE] = "uretprobe:PATH:SYMBOL[+OFFSET]",
		[PRB_USDT] = "usdt:PATH:[PROVIDER:]NAME",
	};

	if (!colon || colon == body || !colon[1]) {
		prb_err(err, errlen, "probe '%s': expected %s", spec, forms[s->kind]);
		return -EINVAL;
	}
	*colon = '\0';
	rest = colon + 1;
	s->path = strdup(body);
	if (!s->path)
		return -ENOMEM;
	if (s->kind != PRB_USDT) {
		s->symbol = strdup(rest);
		if (!s->symbol)
			return -ENOMEM;
		return split_offset(spec, s->symbol, &s->offset, err, errlen);
	}
	colon = strchr(rest, ':');
	if (colon) {
		if (colon == rest || !colon[1] || strchr(colon + 1, ':')) {
			prb_err(err, errlen, "probe '%s': expected %s", spec, forms[s->kind]);
			return -EINVAL;
		}
		s->provider = strndup(rest, (size_t)(colon - rest));
		rest = colon + 1;
		if (!s->provider)
			return -ENOMEM;
	}
	s->symbol = strdup(rest);
	return s->symbol ? 0 : -ENOMEM;
}

int prb_spec__parse(const char *text, struct prb_spec *spec, char *err, size_t errlen)
{
	size_t i, n = sizeof(kinds) / sizeof(kinds[0]), blen;
	const char *body, *args;
	char *copy;
	int ret;

	memset(spec, 0, sizeof(*spec));
	for (i = 0; i < n; i++)
		if (strncmp(text, kinds[i].prefix, strlen(kinds[i].prefix)) == 0)
			break;
	if (i == n) {
		prb_err(err, errlen, "probe '%s': expected uprobe:, uretprobe: or usdt:", text);
		return -EINVAL;
	}
	spec->kind = kinds[i].kind;
	body = text + strlen(kinds[i].prefix);
	blen = strcspn(body, " \t\n");
	args = body + blen;
	args += strspn(args, " \t\n");
	copy = strndup(body, blen);
	if (!copy)
		return -ENOMEM;
	ret = parse_body(text, copy, spec, err, errlen);
	free(copy);
	if (ret)
		goto out_free;
	if (*args) {
		ret = -EINVAL;
		if (spec->kind == PRB_USDT) {
			prb_err(err, errlen,
				"probe '%s': usdt probes take their arguments from the probe's "
				"note",
				text);
			goto out_free;
		}
		spec->args = strdup(args);
		ret = spec->args ? 0 : -ENOMEM;
		/* trailing whitespace (a line read from a file) is not an argument */
		while (!ret && *spec->args &&
		       isspace((unsigned char)spec->args[strlen(spec->args) - 1]))
			spec->args[strlen(spec->args) - 1] = '\0';
		if (!ret)
			ret = check_args(text, spec->args, err, errlen);
		if (ret)
			goto out_free;
	}
	return 0;
out_free:
	prb_spec__exit(spec);
	return ret;
}

void prb_spec__exit(struct prb_spec *spec)
{
	if (!spec)
		return;
	free(spec->path);
	free(spec->symbol);
	free(spec->provider);
	free(spec->args);
	memset(spec, 0, sizeof(*spec));
}
