#!/bin/bash
# SPDX-License-Identifier: MIT
#
# bench/overload.sh: the overload case at defaults.  `perf bench sched
# messaging` saturates every CPU with hundreds of runnable tasks; pftrace runs
# as `pftrace record --syscalls` and nothing else (its defaults: stacks, ring
# size, reader priority), perf records the same tracepoints at its own
# defaults.  Reports, side by side in one run: records lost, the workload's
# slowdown and the time added per recorded event.  No thresholds; the load
# average is printed with every run, as other work on the machine skews all
# columns alike.  See bench/README.md.
#
# Run from the build directory (`make bench` does that) as root.
# Environment (all optional):
#   PFTRACE=./pftrace  PERF=perf
#   BENCH_RUNS=3                 repetitions (interleaved); the median is reported
#   BENCH_MSG_GROUPS=10 BENCH_MSG_LOOPS=200   perf bench sched messaging -g -l
#   BENCH_TRACERS="none perf pftrace"
#   BENCH_PFTRACE_ARGS=""        extra pftrace options (the point is: none)
#   BENCH_KEEP=0                 1: keep the temporary directory
set -u

PFTRACE=${PFTRACE:-./pftrace}
PERF=${PERF:-perf}
RUNS=${BENCH_RUNS:-3}
MSG_GROUPS=${BENCH_MSG_GROUPS:-10}
MSG_LOOPS=${BENCH_MSG_LOOPS:-200}
TRACERS=${BENCH_TRACERS:-none perf pftrace}
PFT_ARGS=${BENCH_PFTRACE_ARGS:-}
KEEP=${BENCH_KEEP:-0}
STOP_TIMEOUT=${BENCH_STOP_TIMEOUT:-180}
WORK_TIMEOUT=${BENCH_WORK_TIMEOUT:-300}
TIME=/usr/bin/time

# pftrace's default sched/irq events plus --syscalls, for perf
PERF_EVENTS=(
	-e sched:sched_switch -e sched:sched_waking -e sched:sched_wakeup_new
	-e sched:sched_process_fork -e sched:sched_process_exec
	-e sched:sched_process_exit -e sched:sched_process_free
	-e task:task_newtask -e task:task_rename -e sched:sched_migrate_task
	-e irq:irq_handler_entry -e irq:irq_handler_exit
	-e irq:softirq_entry -e irq:softirq_exit
)

PROG=overload
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

need_root "perf_event_open system-wide, tracefs"
need_tracefs
need_gnu_time
command -v "$PERF" >/dev/null 2>&1 || die "'$PERF bench' is the workload: install perf"
make_tmp pftrace-overload
probe_perf -e sched:sched_switch
have_pftrace=0
[ -x "$PFTRACE" ] && have_pftrace=1
pick_tracers 1 ""

workload() {
	timeout "$WORK_TIMEOUT" "$PERF" bench sched messaging -g "$MSG_GROUPS" -l "$MSG_LOOPS"
}

start_tracer() { # TRACER OUT ERR CPU
	: >"$3"
	case $1 in
	perf)
		# shellcheck disable=SC2016 # $$: perf's own pid after exec
		"$TIME" -f '%U %S' -o "$4" bash -c 'p=$1; shift; exec "$p" "$@" \
			-e raw_syscalls:sys_enter --filter "common_pid != $$" \
			-e raw_syscalls:sys_exit --filter "common_pid != $$"' \
			bash "$PERF" record -B -a -o "$2" "${PERF_EVENTS[@]}" 2>"$3" &
		;;
	pftrace)
		# shellcheck disable=SC2086 # PFT_ARGS: words on purpose
		"$TIME" -f '%U %S' -o "$4" "$PFTRACE" record --syscalls $PFT_ARGS -o "$2" 2>"$3" &
		;;
	esac
	await_tracer "$1" "$3" 50 30
}

pftrace_counts() { # the summary line: events, lost
	awk '/recorded .* events/ && ev == "" {
		for (i = 2; i <= NF; i++) {
			if ($i ~ /^events/) ev = $(i - 1)
			if ($i ~ /^lost/) lost = $(i - 1)
		} }
		END { print (ev == "" ? "?" : ev), (lost == "" ? "?" : lost) }' "$1"
}

measure() { # TRACER RUN
	local t=$1 rep=$2 out="$TMP/$1.$2.out" err="$TMP/$1.$2.err" cpu="$TMP/$1.$2.cpu"
	local t0 t1 ev=- lost=- load
	if [ "$t" != none ] && ! start_tracer "$t" "$out" "$err" "$cpu"; then
		note "$t run $rep: the tracer did not start: $(tail -2 "$err" | tr '\n' ' ')"
		CPID=""
		return
	fi
	load=$(loadavg)
	t0=$(now)
	workload >/dev/null 2>&1 || note "$t run $rep: the workload failed"
	t1=$(now)
	put M "$t" wall "$(fsub "$t1" "$t0")"
	put M "$t" load "${load%% *}"
	if [ "$t" != none ]; then
		stop_tracer
		stop_notes "$t run $rep" ""
		put M "$t" cpu "$(awk '/^[0-9.]+ [0-9.]+$/ { printf "%.2f", $1 + $2 }' "$cpu")"
		case $t in
		perf) read -r ev lost < <(perf_counts "$out") ;;
		pftrace) read -r ev lost < <(pftrace_counts "$err") ;;
		esac
		put M "$t" events "$ev"
		put M "$t" lost "$lost"
		put M "$t" lostpct "$(awk -v e="$ev" -v l="$lost" 'BEGIN {
			if (e + l > 0) printf "%.2f", 100 * l / (e + l); else print "-" }')"
	fi
	say "overload: run $rep $t: wall $(fsub "$t1" "$t0")s events $ev lost $lost (load $load)"
	[ "$KEEP" = 1 ] || rm -f "$out"
}

say "overload: $(nproc) CPUs, kernel $(uname -r), $RUNS runs, tracers: ${run_tracers[*]}"
START=$(now)
note_busy before
for rep in $(seq "$RUNS"); do
	for t in "${run_tracers[@]}"; do
		measure "$t" "$rep"
	done
done
note_busy after

base=$(get M none wall)
echo
echo "overload: perf bench sched messaging -g $MSG_GROUPS -l $MSG_LOOPS, median of $RUNS runs; $(nproc) CPUs; kernel $(uname -r)"
echo "pftrace: record --syscalls${PFT_ARGS:+ $PFT_ARGS} (its defaults); perf: record -B -a, same tracepoints, its defaults"
printf '%-8s %8s %12s %9s %11s %10s %7s %13s %10s %8s\n' tracer wall_s wall_range slowdown \
	events lost lost% us/event_add tracer_cpu load1
for t in "${run_tracers[@]}"; do
	wall=$(get M "$t" wall)
	if [ "$t" = none ]; then
		printf '%-8s %8s %12s %9s %11s %10s %7s %13s %10s %8s\n' none "$(fmt "$wall")" \
			"$(range M none wall)" 1.00x - - - - - "$(fmt "$(get M none load)")"
		continue
	fi
	ev=$(get M "$t" events)
	printf '%-8s %8s %12s %9s %11s %10s %7s %13s %10s %8s\n' "$t" "$(fmt "$wall")" \
		"$(range M "$t" wall)" "$(ratio "$wall" "$base")x" "$(fmt "$ev")" \
		"$(fmt "$(get M "$t" lost)")" "$(fmt "$(get M "$t" lostpct)")" \
		"$(awk -v w="$wall" -v b="$base" -v e="$ev" 'BEGIN {
			if (w == "" || b == "" || e + 0 == 0) print "-"; else printf "%.3f", 1e6 * (w - b) / e }')" \
		"$(fmt "$(get M "$t" cpu)")" "$(fmt "$(get M "$t" load)")"
done
echo "(us/event_add: (wall - untraced wall) / events recorded, the workload's time per event kept)"
report_end
