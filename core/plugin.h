/* SPDX-License-Identifier: MIT */
/*
 * core/plugin: finding, loading and listing plugins (dlopen'ed shared
 * objects exporting a struct pft_plugin, see include/pftrace/pftrace.h).
 *
 * A plugin is named on the command line as NAME, NAME:key=val,key=val or a
 * path (anything with a '/'), and found in this order: the path itself; the
 * build tree next to the running binary (plugins/NAME/NAME.so); the install
 * directory ($(pkglibdir)/plugins); $PFTRACE_PLUGIN_PATH (colon-separated
 * directories) first of all when set.
 */
#ifndef PFTRACE_CORE_PLUGIN_H
#define PFTRACE_CORE_PLUGIN_H

#include <stdio.h>
#include <pftrace/pftrace.h>

#define PLUGIN_MAX 16
#define PLUGIN_MAX_KV 32

struct plugin {
	void *dl;
	const struct pft_plugin *p;
	char *path;
	char *kv[PLUGIN_MAX_KV];	 /* "key\0value" */
	const char *vals[PLUGIN_MAX_KV]; /* into kv[i], or "" */
	unsigned nkv;
};

struct plugin_set {
	struct plugin v[PLUGIN_MAX];
	unsigned n;
};

/* Load the plugin named by @arg (NAME[:k=v,...] or a path) into @set, check
 * its ABI version and options.  Loading the same plugin twice merges the
 * options.  The loaded plugin, or NULL with one error printed. */
struct plugin *plugins__load(struct plugin_set *set, const char *arg);

/* The plugin of @set (loading it if needed from the search path) that
 * resolves event specs starting with "@prefix:".  NULL if none: quiet. */
struct plugin *plugins__for_prefix(struct plugin_set *set, const char *prefix);

/* The value of option @key of @pl: "" when given without a value, NULL when
 * absent. */
const char *plugin__option(const struct plugin *pl, const char *key);

/* dlclose everything. */
void plugins__free(struct plugin_set *set);

/* `pftrace plugins`: every plugin found on the search path, with its
 * description and options.  Returns the number found. */
unsigned plugins__list(FILE *out);

/* Run subcommand @name (`pftrace NAME ...`) if a plugin on the search path
 * adds it: returns 1 and its exit status in *status; 0 when none does. */
int plugins__run_command(const char *name, int argc, char **argv, int *status);

/* "  NAME  description (plugin P)" for each plugin subcommand, for --help. */
void plugins__list_commands(FILE *out);

#endif
