/* SPDX-License-Identifier: MIT */
/*
 * symbolize/demangle.c: C++ (and legacy Rust) names, demangled by the C++
 * runtime's own __cxa_demangle, looked up at run time so that pftrace does not
 * link libstdc++.  Names are demangled once, when a dso's symbols load.
 * Without libstdc++ on the machine names stay mangled.
 */
#include "config.h"

#include <dlfcn.h>
#include <stdlib.h>

#include "symbolize/internal.h"

typedef char *(*cxa_demangle_fn)(const char *mangled, char *buf, size_t *len, int *status);

static void cxa_find(struct sym_cache *c)
{
	void *fn;

	c->cxa_tried = 1;
	/* Already in the process (a C++ plugin, the sanitizer runtime)? */
	fn = dlsym(RTLD_DEFAULT, "__cxa_demangle");
	if (!fn) {
		c->cxa_handle = dlopen("libstdc++.so.6", RTLD_LAZY | RTLD_LOCAL);
		if (c->cxa_handle)
			fn = dlsym(c->cxa_handle, "__cxa_demangle");
	}
	c->cxa_demangle = (cxa_demangle_fn)fn;
}

char *sym_demangle(struct sym_cache *c, const char *name)
{
	char *out;
	int status = -1;

	if (name[0] != '_' || name[1] != 'Z')
		return NULL;
	if (!c->cxa_tried)
		cxa_find(c);
	if (!c->cxa_demangle)
		return NULL;
	out = c->cxa_demangle(name, NULL, NULL, &status);
	if (status != 0) {
		free(out);
		return NULL;
	}
	return out;
}

void sym_demangle__exit(struct sym_cache *c)
{
	if (c->cxa_handle)
		dlclose(c->cxa_handle);
	c->cxa_handle = NULL;
	c->cxa_demangle = NULL;
	c->cxa_tried = 0;
}
