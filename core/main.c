/* SPDX-License-Identifier: MIT */
/* pftrace: the command-line entry point; dispatches to the subcommands. */
#include "config.h"
#include "core/cmds.h"
#include "core/plugin.h"

#include <stdio.h>
#include <string.h>

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *what; /* one line in `pftrace --help` */
};

static const struct command commands[] = {
	{"record", cmd_record,
	 "record scheduling, IRQs, syscalls and stacks into a Perfetto trace"},
	{"dump", cmd_dump,
	 "print a recorded trace as text, one event per line (or filtered, "
	 "sysdig-style)"},
	{"report", cmd_report, "summarise a trace: top processes, syscalls, errors, stacks, spans"},
	{"plugins", cmd_plugins, "list the plugins (--plugin NAME) with their options"},
	{NULL, NULL, NULL},
};

static const struct command *find_command(const char *name)
{
	const struct command *c;

	for (c = commands; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

static void usage(FILE *f)
{
	const struct command *c;

	fprintf(f,
		"usage: pftrace <command> [options]\n"
		"\n"
		"A system tracer built on perf_event_open and tracefs (no BPF, no kernel module)\n"
		"that writes Perfetto traces for https://ui.perfetto.dev.\n"
		"\n"
		"commands:\n");
	for (c = commands; c->name; c++)
		fprintf(f, "  %-8s %s\n", c->name, c->what);
	plugins__list_commands(f);
	fprintf(f,
		"\n"
		"  pftrace <command> --help   options of a command (or: pftrace help <command>)\n"
		"  pftrace --version          version and compiled-in features\n");
}

static void version(void)
{
	printf("pftrace %s\n", PACKAGE_VERSION);
	/* one word per capability; tests read this to decide what to run */
	printf("features: tracepoints syscalls cgroup stacks kallsyms plugins spans markers");
#ifdef HAVE_JSON_C
	printf(" systing-config markers-json");
#endif
#ifdef HAVE_LIBELF
	printf(" elf-symbols debuglink build-id probes");
#endif
#if defined(HAVE_LIBUNWIND) && defined(HAVE_LIBELF)
	printf(" dwarf-unwind");
#endif
	printf("\n");
	printf("plugin ABI: %d\n", PFT_ABI_VERSION);
	printf("libraries: libtraceevent protobuf-c%s%s%s\n",
#ifdef HAVE_LIBELF
	       " libelf",
#else
	       "",
#endif
#ifdef HAVE_LIBUNWIND
	       " libunwind",
#else
	       "",
#endif
#ifdef HAVE_JSON_C
	       " json-c"
#else
	       ""
#endif
	);
}

int main(int argc, char **argv)
{
	const struct command *c;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	c = find_command(argv[1]);
	if (c)
		return c->run(argc - 1, argv + 1);
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V") ||
	    !strcmp(argv[1], "version")) {
		version();
		return 0;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		if (argc > 2) {
			/* pftrace help record: that command's --help */
			char help[] = "--help", *av[] = {argv[2], help, NULL};

			c = find_command(argv[2]);
			if (c)
				return c->run(2, av);
			fprintf(stderr, "pftrace: error: unknown command '%s'\n", argv[2]);
			return 2;
		}
		usage(stdout);
		return 0;
	}
	{
		/* a subcommand a plugin adds (pftrace probes BINARY) */
		int status;

		if (argv[1][0] != '-' && plugins__run_command(argv[1], argc - 1, argv + 1, &status))
			return status;
	}
	fprintf(stderr, "pftrace: error: unknown command '%s' (see pftrace --help)\n", argv[1]);
	return 2;
}
