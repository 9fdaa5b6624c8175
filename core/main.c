// SPDX-License-Identifier: MIT
/* pftrace: the command-line entry point; dispatches to the subcommands. */
#include "config.h"
#include "core/cmds.h"

#include <stdio.h>
#include <string.h>

static void usage(FILE *f)
{
	fprintf(f,
		"usage: pftrace <command> [options]\n"
		"\n"
		"A system tracer built on perf_event_open and tracefs (no BPF, no kernel module)\n"
		"that writes Perfetto traces for https://ui.perfetto.dev.\n"
		"\n"
		"commands:\n"
		"  record   record scheduling, IRQs and syscalls into trace.pb\n"
		"  dump     print a recorded trace as text, one event per line\n"
		"\n"
		"  pftrace <command> --help   options of a command\n"
		"  pftrace --version          version and compiled-in features\n");
}

static void version(void)
{
	printf("pftrace %s\n", PACKAGE_VERSION);
	/* one word per capability; tests read this to decide what to run */
	printf("features: tracepoints syscalls cgroup stacks kallsyms");
#ifdef HAVE_LIBELF
	printf(" elf-symbols debuglink build-id");
#endif
#if defined(HAVE_LIBUNWIND) && defined(HAVE_LIBELF)
	printf(" dwarf-unwind");
#endif
	printf("\n");
	printf("libraries: libtraceevent protobuf-c%s%s\n",
#ifdef HAVE_LIBELF
	       " libelf",
#else
	       "",
#endif
#ifdef HAVE_LIBUNWIND
	       " libunwind"
#else
	       ""
#endif
	       );
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "record"))
		return cmd_record(argc - 1, argv + 1);
	if (!strcmp(argv[1], "dump"))
		return cmd_dump(argc - 1, argv + 1);
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V") ||
	    !strcmp(argv[1], "version")) {
		version();
		return 0;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "pftrace: error: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
