#!/bin/sh
# e2e_reaped: threads reaped before their last context switch.  perf reports
# such a switch (and a cpu-clock sample landing there) with pid/tid -1; the
# trace must not carry an event, thread or process with id 2^32-1.  Threads
# created and joined in a loop, recorded system-wide and with -- CMD.
. "${top_srcdir:?top_srcdir must be set}/tests/lib.sh"
require_root
setup_tmp
TH=$(fixture threader)

no_reaped_ids()	# DUMP: no 4294967295 (or -1 as a tid) anywhere in it
{
	n=$(grep -c -e '4294967295' -e '(-1) ' "$1")
	expect_eq "lines with id 2^32-1" "$n" 0
	[ "$n" = 0 ] || grep -m 5 -e '4294967295' -e '(-1) ' "$1" | sed 's/^/    | /'
}

sub "record -- threader 300"
record "$T/cmd.err" -o "$T/cmd.pb" -- "$TH" 300
expect_record_ok "$T/cmd.err" || finish
dump_trace "$T/cmd.pb" "$T/cmd.txt" || finish
no_reaped_ids "$T/cmd.txt"
expect_ge "threads of threader" "$(awk "$AWK_LIB"'parse() && CPU == "[---]" && EV == "thread" &&
	arg("name") ~ /threader/' "$T/cmd.txt" | grep -c .)" 100
expect_ge "sched_switch of threader" \
	"$(ev_count "$T/cmd.txt" sched_switch '*' prev_comm=threader)" 100

sub "system-wide record -d 1 while threader runs"
"$TH" 100000 &
at_exit "kill_child $!"
record "$T/sys.err" -d 1 -o "$T/sys.pb"
expect_record_ok "$T/sys.err" || finish
dump_trace "$T/sys.pb" "$T/sys.txt" || finish
no_reaped_ids "$T/sys.txt"
expect_ge "sched_switch of threader" \
	"$(ev_count "$T/sys.txt" sched_switch '*' prev_comm=threader)" 50

finish
