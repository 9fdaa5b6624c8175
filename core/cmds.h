/* SPDX-License-Identifier: MIT */
/* core/cmds: the subcommands; each takes argv from its own name on and returns the exit status
 * (0 ok, 1 failure, 2 usage error). */
#ifndef PFTRACE_CORE_CMDS_H
#define PFTRACE_CORE_CMDS_H

int cmd_record(int argc, char **argv);
int cmd_dump(int argc, char **argv);

#endif
