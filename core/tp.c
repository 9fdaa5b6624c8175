/* SPDX-License-Identifier: MIT */
/*
 * core/tp: tracepoint format parsing through libtraceevent.  Everything slow
 * (parsing, name lookups) happens once per tracepoint; the results are plain
 * struct pft_field offsets for the per-record path.
 */
#include "config.h"
#include "core/tp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <traceevent/event-parse.h>

struct tp_format {
	struct tep_event *ev;
	unsigned nfields;
	struct tep_format_field **fields; /* from tep_event_fields(), free()d */
	struct tp_format *next;
};

struct tp_parser {
	struct tep_handle *tep;
	struct tp_format *formats;
};

struct tp_parser *tp_parser__new(void)
{
	struct tp_parser *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->tep = tep_alloc();
	if (!p->tep) {
		free(p);
		errno = ENOMEM;
		return NULL;
	}
#ifdef HAVE_TEP_SET_LOGLEVEL
	tep_set_loglevel(TEP_LOG_NONE);
#endif
	return p;
}

void tp_parser__free(struct tp_parser *p)
{
	struct tp_format *f, *n;

	if (!p)
		return;
	for (f = p->formats; f; f = n) {
		n = f->next;
		free(f->fields);
		free(f);
	}
	tep_free(p->tep);
	free(p);
}

struct tp_format *tp_parser__parse(struct tp_parser *p, const char *system, const char *text,
				   size_t len)
{
	struct tep_event *ev = NULL;
	struct tp_format *f;
	enum tep_errno ret;

	ret = tep_parse_event(p->tep, text, len, system);
	if (ret != 0 && ret != TEP_ERRNO__PARSE_EVENT_FAILED) {
		errno = EINVAL;
		return NULL;
	}
	/* The print fmt of some events fails to parse; the fields still did,
	 * and fields are all we use.  Look the event up by the id line. */
	{
		const char *idl = strstr(text, "\nID: ");
		int id;

		if (!idl) {
			errno = EINVAL;
			return NULL;
		}
		id = atoi(idl + 5);
		ev = tep_find_event(p->tep, id);
	}
	if (!ev) {
		errno = EINVAL;
		return NULL;
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->ev = ev;
	f->fields = tep_event_fields(ev);
	if (f->fields)
		while (f->fields[f->nfields])
			f->nfields++;
	f->next = p->formats;
	p->formats = f;
	return f;
}

int tp_format__id(const struct tp_format *f)
{
	return f->ev->id;
}

const char *tp_format__name(const struct tp_format *f)
{
	return f->ev->name;
}

const char *tp_format__system(const struct tp_format *f)
{
	return f->ev->system;
}

static void fill(const struct tep_format_field *tf, struct pft_field *out)
{
	memset(out, 0, sizeof(*out));
	out->offset = (uint32_t)tf->offset;
	out->size = (uint32_t)tf->size;
	out->elem_size = (uint32_t)tf->size;
	if (tf->flags & TEP_FIELD_IS_SIGNED)
		out->flags |= PFT_FIELD_SIGNED;
	if (tf->flags & TEP_FIELD_IS_STRING)
		out->flags |= PFT_FIELD_STRING;
	if (tf->flags & TEP_FIELD_IS_DYNAMIC) {
		out->flags |= PFT_FIELD_DYNAMIC;
		/* libtraceevent 1.1 has no TEP_FIELD_IS_RELATIVE: read the type */
		if (tf->type && !strncmp(tf->type, "__rel_loc", 9))
			out->flags |= PFT_FIELD_RELATIVE;
		if (tf->type && strstr(tf->type, "char"))
			out->flags |= PFT_FIELD_STRING;
	} else if (tf->flags & TEP_FIELD_IS_ARRAY) {
		out->flags |= PFT_FIELD_ARRAY;
		if (tf->elementsize > 0)
			out->elem_size = (uint32_t)tf->elementsize;
	}
}

int tp_format__field(const struct tp_format *f, const char *name, struct pft_field *out)
{
	struct tep_format_field *tf = tep_find_any_field(f->ev, name);

	if (!tf)
		return -ENOENT;
	fill(tf, out);
	return 0;
}

unsigned tp_format__nfields(const struct tp_format *f)
{
	return f->nfields;
}

const char *tp_format__field_at(const struct tp_format *f, unsigned i, struct pft_field *out)
{
	if (i >= f->nfields)
		return NULL;
	fill(f->fields[i], out);
	return f->fields[i]->name;
}
