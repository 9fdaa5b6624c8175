#!/bin/sh
# e2e_pid: `record --syscalls -p PID -d 1` on a shell loop that keeps forking
# syscaller children records the shell and the children created during the
# run, and nothing of any other process; `-p` of a pid that does not exist
# fails before recording.
. "${top_srcdir:?top_srcdir must be set}/tests/lib.sh"
require_root
setup_tmp
SC=$(fixture syscaller)
D="$T/p.txt"

# The workload writes each child's pid to $T/kids: with the loop's own pid,
# that is the ground truth of the target's descendants.  It stops when
# $T/stop exists.
sh -c 'while [ ! -e "$1/stop" ]; do
		"$2" 100 & echo $! >>"$1/kids"; wait
		sleep 0.05 & echo $! >>"$1/kids"; wait
	done' sh "$T" "$SC" &
WL=$!
at_exit "touch '$T/stop'; kill_child $WL"
sleep 0.2

sub "record --syscalls -p $WL -d 1"
record "$T/rec.err" --syscalls -p "$WL" -d 1 -o "$T/p.pb"
touch "$T/stop"
wait "$WL"
expect_record_ok "$T/rec.err" || finish
dump_trace "$T/p.pb" "$D" || finish
echo "$WL" >"$T/set"
cat "$T/kids" >>"$T/set"

sub "events of the target itself"
expect_ge "sys_enter of the loop shell $WL" "$(ev_count "$D" sys_enter "$WL")" 1

sub "children created during the run are followed, completely"
# A syscaller whose exec and exit are both in the trace made all its 100
# getppid calls in between.
expect_children_complete "$SC" "$D" "$T/kids" 100

sub "every event belongs to the target or its descendants"
res=$(awk "$AWK_LIB"'
	FILENAME == set { in_set[$1]; next }
	!parse() || CPU == "[---]" { next }
	TID in in_set { next }
	EV == "sched_switch" && (arg("prev_pid") in in_set || arg("next_pid") in in_set) { next }
	# Scheduler events about a target task recorded in another context: its
	# wakeup, its migration by the stopper thread, the freeing of its
	# task_struct by whoever drops the last reference.
	(EV == "sched_waking" || EV == "sched_wakeup" || EV == "sched_wakeup_new" ||
	 EV == "sched_migrate_task" || EV == "sched_process_free") && arg("pid") in in_set { next }
	{ n++; if (EV == "sys_enter") se++; if (n <= 5) ex = ex "\n    | " $0 }
	END { printf "%d %d%s\n", n, se, ex }' set="$T/set" "$T/set" "$D")
n=$(echo "$res" | head -n 1 | cut -d' ' -f1)
se=$(echo "$res" | head -n 1 | cut -d' ' -f2)
expect_eq "sys_enter lines of other processes" "$se" 0
if [ "$n" != 0 ]; then
	fail "$n event(s) of processes outside the target, e.g.:"
	echo "$res" | tail -n +2
else
	echo "    ok: no event of other processes"
fi

sub "-p with a pid that does not exist"
pid_max=$(cat /proc/sys/kernel/pid_max)
record "$T/e1.err" -p "$pid_max" -d 0.2 -o "$T/none1.pb"
expect_failure "$T/e1.err" "$T/none1.pb"

sub "-p with the pid of a process that has exited"
sh -c 'exit 0' &
gone=$!
wait "$gone"
record "$T/e2.err" -p "$gone" -d 0.2 -o "$T/none2.pb"
expect_failure "$T/e2.err" "$T/none2.pb"

finish
