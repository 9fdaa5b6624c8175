/* SPDX-License-Identifier: MIT */
/* core/cmds: the subcommands; each returns the process exit status. */
#ifndef PFTRACE_CORE_CMDS_H
#define PFTRACE_CORE_CMDS_H

int cmd_record(int argc, char **argv);
int cmd_dump(int argc, char **argv);

#endif
