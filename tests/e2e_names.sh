#!/bin/sh
# e2e_names: thread names and the process tree under `record -- namer`: the
# worker thread's creation (task_newtask with CLONE_THREAD) and rename, the
# forked child's fork, process line, rename and exit, and the comm shown for
# each event is the name the thread had at that time.
. "${top_srcdir:?top_srcdir must be set}/tests/lib.sh"
require_root
setup_tmp
NAMER=$(fixture namer)
D="$T/n.txt"

sub "record -- namer"
record "$T/rec.err" -o "$T/n.pb" -- "$NAMER"
expect_record_ok "$T/rec.err" || finish
dump_trace "$T/n.pb" "$D" || finish
main=$(tid_of_exec "$NAMER" "$D") || finish
echo "    namer main tid $main"

sub "the command's thread described with its name after exec"
# The pre-exec child is "pftrace"; trace_processor prefers process-tree names
# over ftrace renames, so the exec must describe the thread again.
expect_eq "thread tid=$main name=namer described after the exec" \
	"$(awk "$AWK_LIB"'parse() && EV == "thread" && arg("tid") == m && arg("name") == "namer" &&
		execd { n++ } parse() && EV == "sched_process_exec" && arg("pid") == m { execd = 1 }
		END { print n + 0 }' m="$main" "$D")" 1

sub "main thread renamed to namer-main"
expect_eq "task_rename by $main to namer-main" \
	"$(ev_count "$D" task_rename "$main" pid="$main" newcomm=namer-main)" 1

sub "worker thread created by the main thread"
# CLONE_THREAD is 0x10000.
workers=$(awk "$AWK_LIB"'parse() && EV == "task_newtask" && TID == m &&
	hasbit(hex(arg("clone_flags")), 65536) { print arg("pid") " " COMM }' m="$main" "$D")
expect_eq "task_newtask with CLONE_THREAD by $main" "$(printf '%s' "$workers" | grep -c .)" 1
worker=$(echo "$workers" | awk 'NR == 1 { print $1 }')
wcomm=$(echo "$workers" | awk 'NR == 1 { print $2 }')
[ -n "$worker" ] && echo "    worker tid $worker"
[ -z "$workers" ] || expect_eq "comm of the task_newtask line" "$wcomm" namer-main

sub "worker renamed to namer-worker, its events show namer-worker"
if [ -n "$worker" ]; then
	expect_eq "task_rename of $worker to namer-worker" \
		"$(ev_count "$D" task_rename "$worker" pid="$worker" oldcomm=namer-main \
			newcomm=namer-worker)" 1
	# After its rename every event of the worker carries its new name; it
	# sleeps once (a sched_switch) and exits, so there are at least two.
	res=$(awk "$AWK_LIB"'parse() && TID == w && CPU != "[---]" {
		if (renamed) { n++; if (COMM != "namer-worker") { bad++; if (!ex) ex = $0 } }
		if (EV == "task_rename" && arg("newcomm") == "namer-worker") renamed = 1
	} END { print n + 0, bad + 0, ex }' w="$worker" "$D")
	n=$(echo "$res" | cut -d' ' -f1)
	bad=$(echo "$res" | cut -d' ' -f2)
	expect_ge "events of $worker after its rename" "$n" 2
	[ "$bad" = 0 ] ||
		fail "$bad event(s) of $worker after its rename show another comm, e.g.: $(echo "$res" | cut -d' ' -f3-)"
	expect_eq "sched_switch prev_pid=$worker prev_comm=namer-worker" \
		"$(ev_count "$D" sched_switch "$worker" prev_pid="$worker" prev_comm=namer-worker \
			prev_state=0x1)" 1
	expect_eq "sched_process_exit of $worker as namer-worker" \
		"$(ev_count "$D" sched_process_exit "$worker" pid="$worker" comm=namer-worker)" 1
else
	fail "no worker tid to check"
fi

sub "child forked by the main thread"
# sched_process_fork also reports the worker thread's creation: skip it.
children=$(awk "$AWK_LIB"'parse() && EV == "sched_process_fork" && TID == m &&
	arg("parent_pid") == m && arg("child_pid") != w { print arg("child_pid") }' \
	m="$main" w="${worker:-none}" "$D")
expect_eq "sched_process_fork with parent_pid=$main, other than the worker's" \
	"$(printf '%s' "$children" | grep -c .)" 1
child=$(echo "$children" | head -n 1)
if [ -n "$child" ]; then
	echo "    child pid $child"
	expect_eq "task_newtask of $child by $main without CLONE_THREAD" \
		"$(awk "$AWK_LIB"'parse() && EV == "task_newtask" && TID == m && arg("pid") == c &&
			!hasbit(hex(arg("clone_flags")), 65536)' m="$main" c="$child" "$D" | grep -c .)" 1
	expect_eq "process line pid=$child ppid=$main" \
		"$(awk "$AWK_LIB"'parse() && CPU == "[---]" && EV == "process" && arg("pid") == c &&
			arg("ppid") == m' m="$main" c="$child" "$D" | grep -c .)" 1

	sub "child renamed to namer-child and exits under that name"
	expect_eq "task_rename of $child to namer-child" \
		"$(ev_count "$D" task_rename "$child" pid="$child" oldcomm=namer-main \
			newcomm=namer-child)" 1
	expect_eq "sched_process_exit of $child as namer-child" \
		"$(ev_count "$D" sched_process_exit "$child" pid="$child" comm=namer-child)" 1
	res=$(awk "$AWK_LIB"'parse() && TID == c && CPU != "[---]" {
		if (renamed) { n++; if (COMM != "namer-child") { bad++; if (!ex) ex = $0 } }
		if (EV == "task_rename" && arg("newcomm") == "namer-child") renamed = 1
	} END { print n + 0, bad + 0, ex }' c="$child" "$D")
	n=$(echo "$res" | cut -d' ' -f1)
	bad=$(echo "$res" | cut -d' ' -f2)
	expect_ge "events of $child after its rename" "$n" 2
	[ "$bad" = 0 ] ||
		fail "$bad event(s) of $child after its rename show another comm, e.g.: $(echo "$res" | cut -d' ' -f3-)"
else
	fail "no child pid to check"
fi

finish
