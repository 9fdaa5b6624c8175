#!/bin/sh
# e2e_system: a system-wide `record -d 1` has scheduler events on every CPU,
# wakeups, interrupts, the process tree (pid 1) and the names of the tasks
# that ran, and its summary reports events per type and losses.
. "${top_srcdir:?top_srcdir must be set}/tests/lib.sh"
require_root
setup_tmp
SL=$(fixture sleeper)
D="$T/sys.txt"

# One sleeper loop pinned to each CPU, so that every CPU switches tasks many
# times during the recording however idle the machine is.
CPUS=$(online_cpus)
for c in $CPUS; do
	taskset -c "$c" sh -c 'while [ ! -e "$1/stop" ]; do "$2" 5 20; done' sh "$T" "$SL" &
	at_exit "touch '$T/stop'; kill_child $!"
done
sleep 0.2

sub "record -d 1 (system-wide)"
record "$T/rec.err" -d 1 -o "$T/sys.pb"
touch "$T/stop"
wait
expect_record_ok "$T/rec.err" || finish
dump_trace "$T/sys.pb" "$D" || finish

sub "sched_switch on every CPU"
for c in $CPUS; do
	cpu=$(printf '[%03d]' "$c")
	expect_ge "sched_switch on CPU $c" \
		"$(awk -v cpu="$cpu" '$2 == cpu && $4 == "sched_switch"' "$D" | grep -c .)" 1
done
# Some event lines of the dump contain the comm in field 3; count by parse().
expect_ge "sched_switch (all CPUs)" "$(ev_count "$D" sched_switch '*')" 10

sub "wakeups and interrupts"
expect_ge "sched_waking" "$(ev_count "$D" sched_waking '*')" 1
expect_ge "softirq_entry" "$(ev_count "$D" softirq_entry '*')" 1
irqs=$(($(ev_count "$D" irq_handler_entry '*') + $(ev_count "$D" softirq_entry '*')))
expect_ge "irq_handler_entry + softirq_entry" "$irqs" 1

sub "process tree"
expect_eq "process line of pid 1" \
	"$(awk "$AWK_LIB"'parse() && CPU == "[---]" && EV == "process" && arg("pid") == 1 &&
		TID == 1' "$D" | grep -c .)" 1
expect_ge "thread lines" \
	"$(awk "$AWK_LIB"'parse() && CPU == "[---]" && EV == "thread"' "$D" | grep -c .)" 1

sub "the sleeper is named"
expect_ge "events of a task named sleeper" \
	"$(awk "$AWK_LIB"'parse() && CPU != "[---]" && COMM == "sleeper"' "$D" | grep -c .)" 1
expect_ge "sched_switch prev_comm=sleeper prev_state=0x1" \
	"$(ev_count "$D" sched_switch '*' prev_comm=sleeper prev_state=0x1)" 1
expect_ge "sched_process_exec of sleeper" "$(tids_of_exec "$SL" "$D" | grep -c .)" 1

sub "summary on stderr"
show "$T/rec.err" 40
grep -q 'sched_switch' "$T/rec.err" || fail "the summary does not count sched_switch events"
grep -qi 'lost' "$T/rec.err" || fail "the summary does not mention lost records"

finish
