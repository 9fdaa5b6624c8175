/* SPDX-License-Identifier: MIT */
/*
 * core/plugin: the plugin loader.  See plugin.h for the search order.
 */
#include "config.h"
#include "core/plugin.h"
#include "core/cmds.h"
#include "core/util.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef PFT_PLUGIN_DIR
#define PFT_PLUGIN_DIR "/usr/local/lib/pftrace/plugins"
#endif

#define MAX_DIRS 16

/* The directories searched for NAME.so, in order; returns how many. */
static unsigned search_dirs(char dirs[][PATH_MAX], unsigned cap)
{
	const char *env = getenv("PFTRACE_PLUGIN_PATH");
	char exe[PATH_MAX];
	unsigned n = 0;
	ssize_t len;

	if (env && *env) {
		const char *p = env;

		while (*p && n < cap) {
			size_t l = strcspn(p, ":");

			if (l && l < PATH_MAX) {
				memcpy(dirs[n], p, l);
				dirs[n++][l] = 0;
			}
			p += l;
			if (*p == ':')
				p++;
		}
	}
	len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (len > 0 && n < cap) {
		char *slash;

		exe[len] = 0;
		slash = strrchr(exe, '/');
		if (slash) {
			*slash = 0;
			/* the build tree: plugins/NAME/NAME.so next to the binary */
			if (snprintf(dirs[n], PATH_MAX, "%s/plugins/*", exe) < PATH_MAX)
				n++;
		}
	}
	if (n < cap)
		snprintf(dirs[n++], PATH_MAX, "%s", PFT_PLUGIN_DIR);
	return n;
}

/* The file of plugin @name in @dir ("DIR/ *" means DIR/NAME/NAME.so). */
static int plugin_file(const char *dir, const char *name, char *out, size_t cap)
{
	size_t dl = strlen(dir);
	int n;

	if (dl >= 2 && !strcmp(dir + dl - 2, "/*"))
		n = snprintf(out, cap, "%.*s/%s/%s.so", (int)(dl - 2), dir, name, name);
	else
		n = snprintf(out, cap, "%s/%s.so", dir, name);
	return n > 0 && (size_t)n < cap && access(out, R_OK) == 0 ? 0 : -ENOENT;
}

static int find_plugin(const char *name, char *out, size_t cap)
{
	char dirs[MAX_DIRS][PATH_MAX];
	unsigned i, n = search_dirs(dirs, MAX_DIRS);

	for (i = 0; i < n; i++)
		if (!plugin_file(dirs[i], name, out, cap))
			return 0;
	return -ENOENT;
}

/* Open @path and check what it exports; NULL with *why set. */
static const struct pft_plugin *open_plugin(const char *path, void **dl, char *why, size_t cap)
{
	const struct pft_plugin *p;

	*dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!*dl) {
		snprintf(why, cap, "%s", dlerror());
		return NULL;
	}
	p = (const struct pft_plugin *)dlsym(*dl, PFT_PLUGIN_SYMBOL);
	if (!p) {
		snprintf(why, cap, "it exports no '%s' symbol: not a pftrace plugin",
			 PFT_PLUGIN_SYMBOL);
		goto out_close;
	}
	if (p->abi_version != PFT_ABI_VERSION) {
		snprintf(why, cap,
			 "it was built for plugin ABI %u, this pftrace has ABI %u: "
			 "rebuild it against this pftrace's pftrace.h",
			 p->abi_version, PFT_ABI_VERSION);
		goto out_close;
	}
	if (!p->name || !p->source || !p->source->init || !p->source->fini ||
	    p->source->abi_version != PFT_ABI_VERSION) {
		snprintf(why, cap,
			 "its struct pft_plugin is incomplete (name, source with init "
			 "and fini, and matching ABI versions are required)");
		goto out_close;
	}
	return p;
out_close:
	dlclose(*dl);
	*dl = NULL;
	return NULL;
}

static int known_option(const struct pft_plugin *p, const char *key)
{
	const struct pft_plugin_option *o;

	for (o = p->options; o && o->name; o++)
		if (!strcmp(o->name, key))
			return 1;
	return 0;
}

/* Add "k=v,k2,k3=v3" to @pl's options (a plugin named twice merges them). */
static int parse_options(struct plugin *pl, const char *text, const char *arg)
{
	const char *p = text;

	while (*p) {
		size_t l = strcspn(p, ",");
		char *tok, *eq;

		if (pl->nkv == PLUGIN_MAX_KV) {
			pft_error("--plugin %s: too many options", arg);
			return -EINVAL;
		}
		tok = strndup(p, l);
		if (!tok)
			return -ENOMEM;
		eq = strchr(tok, '=');
		if (eq)
			*eq = 0;
		if (!*tok || !known_option(pl->p, tok)) {
			if (*tok)
				pft_error(
					"--plugin %s: plugin '%s' has no option '%s' (see: pftrace "
					"plugins)",
					arg, pl->p->name, tok);
			else
				pft_error("--plugin %s: an option without a name", arg);
			free(tok);
			return -EINVAL;
		}
		pl->kv[pl->nkv] = tok;
		pl->vals[pl->nkv] = eq ? eq + 1 : "";
		pl->nkv++;
		p += l;
		if (*p == ',')
			p++;
	}
	return 0;
}

static void plugin_clear(struct plugin *pl)
{
	unsigned i;

	for (i = 0; i < pl->nkv; i++)
		free(pl->kv[i]);
	pl->nkv = 0;
	free(pl->path);
	pl->path = NULL;
}

static struct plugin *find_loaded(struct plugin_set *set, const char *name)
{
	unsigned i;

	for (i = 0; i < set->n; i++)
		if (!strcmp(set->v[i].p->name, name))
			return &set->v[i];
	return NULL;
}

struct plugin *plugins__load(struct plugin_set *set, const char *arg)
{
	char name[128], path[PATH_MAX], why[512];
	const char *colon = NULL, *opts = "";
	const struct pft_plugin *p;
	struct plugin *pl;
	void *dl;
	size_t nl;

	if (!strchr(arg, '/'))
		colon = strchr(arg, ':');
	else if (strstr(arg, ".so:"))
		colon = strstr(arg, ".so:") + 3;
	nl = colon ? (size_t)(colon - arg) : strlen(arg);
	if (colon)
		opts = colon + 1;
	if (!nl || nl >= sizeof(name)) {
		pft_error("--plugin '%s': expected NAME, NAME:key=val,... or a path to a .so", arg);
		return NULL;
	}
	memcpy(name, arg, nl);
	name[nl] = 0;
	if (strchr(name, '/')) {
		snprintf(path, sizeof(path), "%s", name);
	} else {
		pl = find_loaded(set, name);
		if (pl)
			return *opts && parse_options(pl, opts, arg) ? NULL : pl;
		if (find_plugin(name, path, sizeof(path))) {
			pft_error("plugin '%s' not found (looked in $PFTRACE_PLUGIN_PATH, next to "
				  "the "
				  "pftrace binary and in %s)",
				  name, PFT_PLUGIN_DIR);
			pft_hint("'pftrace plugins' lists the plugins that are installed");
			return NULL;
		}
	}
	p = open_plugin(path, &dl, why, sizeof(why));
	if (!p) {
		pft_error("cannot load plugin '%s' (%s): %s", name, path, why);
		return NULL;
	}
	pl = find_loaded(set, p->name);
	if (pl) {
		/* the same plugin by another path: keep the first */
		dlclose(dl);
		return *opts && parse_options(pl, opts, arg) ? NULL : pl;
	}
	if (set->n == PLUGIN_MAX) {
		pft_error("too many plugins (at most %d)", PLUGIN_MAX);
		dlclose(dl);
		return NULL;
	}
	pl = &set->v[set->n];
	memset(pl, 0, sizeof(*pl));
	pl->dl = dl;
	pl->p = p;
	pl->path = strdup(path);
	if (!pl->path || (*opts && parse_options(pl, opts, arg))) {
		plugin_clear(pl);
		dlclose(dl);
		if (!*opts)
			pft_error("out of memory loading plugin '%s'", name);
		return NULL;
	}
	set->n++;
	pft_debug("plugin %s loaded from %s", p->name, path);
	return pl;
}

static int claims(const struct pft_plugin *p, const char *prefix)
{
	const char *const *s;

	for (s = p->spec_prefixes; s && *s; s++)
		if (!strcmp(*s, prefix))
			return 1;
	return 0;
}

/* Call @fn for each plugin file on the search path (first of each name). */
static unsigned foreach_file(int (*fn)(void *ctx, const char *name, const char *path), void *ctx)
{
	char dirs[MAX_DIRS][PATH_MAX];
	char seen[64][64];
	unsigned i, nseen = 0, n = search_dirs(dirs, MAX_DIRS), found = 0;

	for (i = 0; i < n; i++) {
		size_t dl = strlen(dirs[i]);
		int nested = dl >= 2 && !strcmp(dirs[i] + dl - 2, "/*");
		char base[PATH_MAX];
		struct dirent *de;
		DIR *d;

		snprintf(base, sizeof(base), "%.*s", (int)(nested ? dl - 2 : dl), dirs[i]);
		d = opendir(base);
		if (!d)
			continue;
		while ((de = readdir(d))) {
			char name[64], path[PATH_MAX];
			size_t l = strlen(de->d_name);
			unsigned k;

			if (de->d_name[0] == '.')
				continue;
			if (nested) {
				if (l >= sizeof(name))
					continue;
				memcpy(name, de->d_name, l + 1);
			} else {
				if (l < 4 || l - 3 >= sizeof(name) ||
				    strcmp(de->d_name + l - 3, ".so"))
					continue;
				memcpy(name, de->d_name, l - 3);
				name[l - 3] = 0;
			}
			if (plugin_file(dirs[i], name, path, sizeof(path)))
				continue;
			for (k = 0; k < nseen && strcmp(seen[k], name); k++)
				;
			if (k < nseen)
				continue;
			if (nseen < 64)
				snprintf(seen[nseen++], sizeof(seen[0]), "%s", name);
			found++;
			if (fn(ctx, name, path)) {
				closedir(d);
				return found;
			}
		}
		closedir(d);
	}
	return found;
}

struct prefix_ctx {
	struct plugin_set *set;
	const char *prefix;
	struct plugin *hit;
};

static int try_prefix(void *ctx, const char *name, const char *path)
{
	struct prefix_ctx *c = ctx;
	const struct pft_plugin *p;
	char why[512];
	void *dl;

	(void)name;
	p = open_plugin(path, &dl, why, sizeof(why));
	if (!p)
		return 0;
	if (!claims(p, c->prefix)) {
		dlclose(dl);
		return 0;
	}
	dlclose(dl);
	c->hit = plugins__load(c->set, path);
	return 1;
}

struct plugin *plugins__for_prefix(struct plugin_set *set, const char *prefix)
{
	struct prefix_ctx c = {set, prefix, NULL};
	unsigned i;

	for (i = 0; i < set->n; i++)
		if (claims(set->v[i].p, prefix))
			return &set->v[i];
	foreach_file(try_prefix, &c);
	return c.hit;
}

const char *plugin__option(const struct plugin *pl, const char *key)
{
	unsigned i;

	/* the last one given wins */
	for (i = pl->nkv; i-- > 0;)
		if (!strcmp(pl->kv[i], key))
			return pl->vals[i];
	return NULL;
}

void plugins__free(struct plugin_set *set)
{
	unsigned i;

	if (!set)
		return;
	for (i = 0; i < set->n; i++) {
		plugin_clear(&set->v[i]);
		if (set->v[i].dl)
			dlclose(set->v[i].dl);
	}
	set->n = 0;
}

static int list_one(void *ctx, const char *name, const char *path)
{
	FILE *out = ctx;
	const struct pft_plugin *p;
	const struct pft_plugin_option *o;
	const char *const *s;
	char why[512];
	void *dl;

	p = open_plugin(path, &dl, why, sizeof(why));
	if (!p) {
		fprintf(out, "%-10s (cannot load %s: %s)\n", name, path, why);
		return 0;
	}
	fprintf(out, "%-10s %s\n", p->name, p->description ? p->description : "");
	if (p->spec_prefixes && p->spec_prefixes[0]) {
		fprintf(out, "%-10s events:", "");
		for (s = p->spec_prefixes; *s; s++)
			fprintf(out, " -e %s:...", *s);
		fprintf(out, "\n");
	}
	for (o = p->options; o && o->name; o++) {
		char kv[96];

		snprintf(kv, sizeof(kv), "%s=%s", o->name, o->defval ? o->defval : "");
		fprintf(out, "%-10s   %-22s %s\n", "", kv, o->help ? o->help : "");
	}
	if (pft_verbose)
		fprintf(out, "%-10s   (%s)\n", "", path);
	dlclose(dl);
	return 0;
}

unsigned plugins__list(FILE *out)
{
	return foreach_file(list_one, out);
}

struct command_ctx {
	const char *name;
	int argc;
	char **argv;
	int status;
	int found;
};

static int try_command(void *ctx, const char *name, const char *path)
{
	struct command_ctx *c = ctx;
	const struct pft_plugin_command *cmd;
	const struct pft_plugin *p;
	char why[512];
	void *dl;

	(void)name;
	p = open_plugin(path, &dl, why, sizeof(why));
	if (!p)
		return 0;
	for (cmd = p->commands; cmd && cmd->name; cmd++) {
		if (!strcmp(cmd->name, c->name) && cmd->run) {
			c->found = 1;
			c->status = cmd->run(c->argc, c->argv);
			break;
		}
	}
	dlclose(dl);
	return c->found;
}

int plugins__run_command(const char *name, int argc, char **argv, int *status)
{
	struct command_ctx c = {name, argc, argv, 0, 0};

	foreach_file(try_command, &c);
	*status = c.status;
	return c.found;
}

static int list_commands(void *ctx, const char *name, const char *path)
{
	const struct pft_plugin_command *cmd;
	const struct pft_plugin *p;
	FILE *out = ctx;
	char why[512];
	void *dl;

	(void)name;
	p = open_plugin(path, &dl, why, sizeof(why));
	if (!p)
		return 0;
	for (cmd = p->commands; cmd && cmd->name; cmd++)
		fprintf(out, "  %-9s%s (plugin %s)\n", cmd->name,
			cmd->description ? cmd->description : "", p->name);
	dlclose(dl);
	return 0;
}

void plugins__list_commands(FILE *out)
{
	foreach_file(list_commands, out);
}

int cmd_plugins(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose")) {
			pft_verbose++;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			printf("usage: pftrace plugins [-v]\n\n"
			       "List the plugins found ($PFTRACE_PLUGIN_PATH, next to the pftrace "
			       "binary,\n%s) with their description, the events they add and "
			       "their options\n(--plugin NAME:key=value,...).  -v also shows "
			       "where each was found.\n",
			       PFT_PLUGIN_DIR);
			return 0;
		} else {
			fprintf(stderr, "pftrace: error: plugins: unknown argument '%s'\n",
				argv[i]);
			return 2;
		}
	}
	if (!plugins__list(stdout)) {
		printf("no plugins found (looked in $PFTRACE_PLUGIN_PATH, next to the pftrace "
		       "binary and in %s)\n",
		       PFT_PLUGIN_DIR);
		return 1;
	}
	return 0;
}
