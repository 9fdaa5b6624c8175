#!/bin/bash
# SPDX-License-Identifier: MIT
#
# bench/run.sh: pftrace against `perf record` on the same tracepoints, side by
# side in one run.  Reports ratios (slowdown against an untraced run, bytes per
# event, tracer CPU), never pass/fail thresholds.  See bench/README.md.
#
# Run from the build directory (`make bench` does that) as root.
# Environment (all optional):
#   PFTRACE=./pftrace  SYSCALL_LOOP=./bench/syscall_loop  PERF=perf
#   BENCH_RUNS=3            repetitions; the median is reported
#   BENCH_N=12000000        getppid calls of W1
#   BENCH_MSG_GROUPS=10 BENCH_MSG_LOOPS=400   W2 = perf bench sched messaging
#   BENCH_BUF_MB=4          ring size per CPU for both tracers (MiB)
#   BENCH_TRACERS="none perf pftrace"  which columns to run
#   BENCH_WORKLOADS="W1 W2"
#   BENCH_PERF_NOSELF=1     kernel-filter perf's own syscalls out (as pftrace
#                           does); 0 to let perf trace its own write()s
#   BENCH_KEEP=0            1: keep the temporary directory with all outputs
#   BENCH_PFTRACE_ARGS      extra pftrace record options (default: --no-stacks,
#                           so that both tracers record the same tracepoints)
set -u

PFTRACE=${PFTRACE:-./pftrace}
SYSCALL_LOOP=${SYSCALL_LOOP:-./bench/syscall_loop}
PERF=${PERF:-perf}
RUNS=${BENCH_RUNS:-3}
N=${BENCH_N:-12000000}
MSG_GROUPS=${BENCH_MSG_GROUPS:-10}
MSG_LOOPS=${BENCH_MSG_LOOPS:-400}
BUF_MB=${BENCH_BUF_MB:-4}
TRACERS=${BENCH_TRACERS:-none perf pftrace}
WORKLOADS=${BENCH_WORKLOADS:-W1 W2}
PERF_NOSELF=${BENCH_PERF_NOSELF:-1}
KEEP=${BENCH_KEEP:-0}
STOP_TIMEOUT=${BENCH_STOP_TIMEOUT:-180}
WORK_TIMEOUT=${BENCH_WORK_TIMEOUT:-300}
TIME=/usr/bin/time

# The tracepoints both tracers record (pftrace: the default sched/irq sources
# plus --syscalls).
PERF_EVENTS=(
	-e sched:sched_switch -e sched:sched_waking -e sched:sched_wakeup_new
	-e sched:sched_process_fork -e sched:sched_process_exec
	-e sched:sched_process_exit -e sched:sched_process_free
	-e task:task_newtask -e task:task_rename -e sched:sched_migrate_task
	-e irq:irq_handler_entry -e irq:irq_handler_exit
	-e irq:softirq_entry -e irq:softirq_exit
)

PROG=bench
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# --- preconditions -----------------------------------------------------------
need_root "perf_event_open system-wide, tracefs"
need_tracefs
[ -x "$SYSCALL_LOOP" ] || die "$SYSCALL_LOOP not found (make bench/syscall_loop)"
need_gnu_time

make_tmp pftrace-bench
probe_perf -e sched:sched_switch

have_pftrace=0
if [ -x "$PFTRACE" ]; then
	have_pftrace=1
	# Same events as perf: no stack sampling (pftrace samples cpu-clock
	# stacks by default), unless BENCH_PFTRACE_ARGS says otherwise.
	if [ -z "${BENCH_PFTRACE_ARGS+x}" ]; then
		PFT_ARGS=""
		"$PFTRACE" record --help 2>&1 | grep -q -- --no-stacks && PFT_ARGS="--no-stacks"
	else
		PFT_ARGS=$BENCH_PFTRACE_ARGS
	fi
fi

pick_tracers 1 ""
run_workloads=()
for w in $WORKLOADS; do
	case $w in
	W1) run_workloads+=(W1) ;;
	W2)
		if command -v "$PERF" >/dev/null 2>&1; then run_workloads+=(W2)
		else note "W2 needs 'perf bench': skipped"; fi ;;
	*) die "unknown workload '$w'" ;;
	esac
done

workload_desc() {
	case $1 in
	W1) echo "syscall_loop $N" ;;
	W2) echo "perf bench sched messaging -g $MSG_GROUPS -l $MSG_LOOPS" ;;
	esac
}
run_workload() {
	case $1 in
	W1) timeout "$WORK_TIMEOUT" "$SYSCALL_LOOP" "$N" ;;
	W2) timeout "$WORK_TIMEOUT" "$PERF" bench sched messaging -g "$MSG_GROUPS" -l "$MSG_LOOPS" ;;
	esac
}

# Results (lib.sh's put/get/range): R[workload,tracer,metric], one word per
# run; no run is marked disturbed here.

# --- tracer start/stop -------------------------------------------------------
# Starts a tracer system-wide under GNU time.  Sets TPID (time) and CPID (the
# tracer itself, the one that gets SIGINT).  Returns non-zero if it died.
start_tracer() {
	local t=$1 out=$2 err=$3 cpu=$4
	: >"$err"
	case $t in
	perf)
		local pages=$((BUF_MB * 1024 / 4))
		if [ "$PERF_NOSELF" = 1 ]; then
			# exec keeps the shell's pid, so $$ is perf's own pid
			# shellcheck disable=SC2016
			"$TIME" -f '%U %S' -o "$cpu" bash -c 'p=$1; shift; exec "$p" "$@" \
				-e raw_syscalls:sys_enter --filter "common_pid != $$" \
				-e raw_syscalls:sys_exit --filter "common_pid != $$"' \
				bash "$PERF" record -B -a -m "$pages" -o "$out" "${PERF_EVENTS[@]}" \
				2>"$err" &
		else
			"$TIME" -f '%U %S' -o "$cpu" "$PERF" record -B -a -m "$pages" -o "$out" \
				"${PERF_EVENTS[@]}" -e raw_syscalls:sys_enter -e raw_syscalls:sys_exit \
				2>"$err" &
		fi
		;;
	pftrace)
		# shellcheck disable=SC2086 # PFT_ARGS: words on purpose
		"$TIME" -f '%U %S' -o "$cpu" "$PFTRACE" record --syscalls $PFT_ARGS \
			--buffer-size "${BUF_MB}M" -o "$out" 2>"$err" &
		;;
	esac
	# ready within 50 x 0.02 s / 30 x 0.1 s
	await_tracer "$t" "$err" 50 30
}

# pftrace: its end-of-recording summary on stderr (perf: lib.sh's perf_counts),
#   "pftrace: recorded 2.097 s: 188631 events (89958/s), 1479278 lost, 6.24 MiB written"
pftrace_counts() {
	awk '
		/recorded .* events/ && ev == "" {
			for (i = 2; i <= NF; i++) {
				if ($i ~ /^events/ && $(i - 1) ~ /^[0-9]+$/) ev = $(i - 1)
				if ($i ~ /^lost/ && $(i - 1) ~ /^[0-9]+$/) lost = $(i - 1)
			}
		}
		END { if (ev == "") ev = "?"; if (lost == "") lost = "?"; print ev, lost }' "$1"
}

# --- one measurement ---------------------------------------------------------
measure() {
	local w=$1 t=$2 rep=$3
	local out="$TMP/$w.$t.$rep.out" err="$TMP/$w.$t.$rep.err" cpu="$TMP/$w.$t.$rep.cpu"
	local wout="$TMP/$w.$t.$rep.wl" t0 t1 rc stop ev lost
	if [ "$t" != none ]; then
		if ! start_tracer "$t" "$out" "$err" "$cpu"; then
			note "$w/$t run $rep: tracer exited before the workload: $(tail -3 "$err" | tr '\n' ' ')"
			[ -n "${TPID:-}" ] && wait "$TPID" 2>/dev/null
			CPID=""
			return
		fi
		[ "$TRACER_NOREADY" = 1 ] && note "$w/pftrace run $rep: no 'recording' on stderr within 3 s"
	fi
	t0=$(now)
	run_workload "$w" >"$wout" 2>&1
	rc=$?
	t1=$(now)
	[ $rc = 0 ] || note "$w/$t run $rep: workload exited $rc: $(tail -2 "$wout" | tr '\n' ' ')"
	put "$w" "$t" wall "$(awk -v a="$t1" -v b="$t0" 'BEGIN { printf "%.3f", a - b }')"
	if [ "$t" = none ]; then
		return
	fi
	if ! kill -0 "$CPID" 2>/dev/null; then
		note "$w/$t run $rep: tracer died during the workload: $(tail -3 "$err" | tr '\n' ' ')"
	fi
	stop_tracer 6
	stop=$STOP_S
	stop_notes "$w/$t run $rep" " after SIGINT: $(tail -2 "$err" | tr '\n' ' ')"
	put "$w" "$t" stop "$(awk -v a="$stop" 'BEGIN { printf "%.2f", a }')"
	if ! grep -q '^[0-9.]* [0-9.]*$' "$cpu" 2>/dev/null; then
		note "$w/$t run $rep: tracer exit: $(head -1 "$cpu" 2>/dev/null)"
	fi
	put "$w" "$t" cpu "$(awk '/^[0-9.]+ [0-9.]+$/ { printf "%.2f", $1 + $2 }' "$cpu" 2>/dev/null)"
	put "$w" "$t" bytes "$(filesize "$out")"
	case $t in
	perf) read -r ev lost < <(perf_counts "$out") ;;
	pftrace) read -r ev lost < <(pftrace_counts "$err") ;;
	esac
	put "$w" "$t" events "$ev"
	put "$w" "$t" lost "$lost"
	say "bench:   $w $t run $rep: wall $(fsub "$t1" "$t0" 6)s events $ev lost $lost bytes $(filesize "$out") cpu $(tail -1 "$cpu" 2>/dev/null) stop ${stop}s"
	[ "$KEEP" = 1 ] || rm -f "$out"
	sync
}

# --- main ----------------------------------------------------------------------
say "bench: $(nproc) CPUs, kernel $(uname -r), ring ${BUF_MB} MiB/CPU, $RUNS runs, tracers: ${run_tracers[*]}"
[ $have_perf = 1 ] && say "bench: $("$PERF" --version)"
START=$(now)
# Is anything else busy?  CPU use over 1 s (the load average would still show
# the build that `make bench` just ran).
note_busy before
for w in "${run_workloads[@]}"; do
	say "bench: $w = $(workload_desc "$w")"
	for rep in $(seq "$RUNS"); do
		for t in "${run_tracers[@]}"; do	# interleaved, so drift hits all alike
			measure "$w" "$t" "$rep"
		done
	done
done
note_busy after

# --- report ------------------------------------------------------------------

echo
echo "pftrace benchmark: median of $RUNS runs (each column on its own; wall_range = fastest-slowest run); $(nproc) CPUs; kernel $(uname -r); ring ${BUF_MB} MiB per CPU for both tracers"
[ $have_pftrace = 1 ] && echo "pftrace: record --syscalls${PFT_ARGS:+ $PFT_ARGS} --buffer-size ${BUF_MB}M"
[ $have_perf = 1 ] && [ "$PERF_NOSELF" = 1 ] && echo "perf: its own raw_syscalls filtered out in the kernel (common_pid != perf), -B (no build-id pass)"
for w in "${run_workloads[@]}"; do
	base=$(get "$w" none wall)
	echo
	echo "$w: $(workload_desc "$w")"
	printf '%-8s %8s %12s %9s %11s %10s %7s %12s %8s %10s %7s\n' \
		tracer wall_s wall_range slowdown events lost lost% out_bytes B/event tracer_cpu stop_s
	for t in "${run_tracers[@]}"; do
		wall=$(get "$w" "$t" wall)
		if [ "$t" = none ]; then
			printf '%-8s %8.3f %12s %9s %11s %10s %7s %12s %8s %10s %7s\n' none "${wall:-0}" \
				"$(range "$w" none wall)" 1.00x - - - - - - -
			continue
		fi
		ev=$(get "$w" "$t" events)
		lost=$(get "$w" "$t" lost)
		bytes=$(get "$w" "$t" bytes)
		cpu=$(get "$w" "$t" cpu)
		stop=$(get "$w" "$t" stop)
		slow=$(ratio "$wall" "$base")
		[ "$slow" != - ] && slow="${slow}x"
		lpct=$(awk -v e="$ev" -v l="$lost" 'BEGIN { if (e == "" || l == "" || e + l == 0) print "-"; else printf "%.2f", 100 * l / (e + l) }')
		bpe=$(awk -v b="$bytes" -v e="$ev" 'BEGIN { if (b == "" || e == "" || e + 0 == 0) print "-"; else printf "%.1f", b / e }')
		printf '%-8s %8s %12s %9s %11s %10s %7s %12s %8s %10s %7s\n' "$t" "$(fmt "$wall")" \
			"$(range "$w" "$t" wall)" "$slow" \
			"$(fmt "$ev")" "$(fmt "$lost")" "$lpct" "$(fmt "$bytes")" "$bpe" "$(fmt "$cpu")" "$(fmt "$stop")"
	done
done

if [[ " ${run_tracers[*]} " == *" perf "* && " ${run_tracers[*]} " == *" pftrace "* ]]; then
	echo
	echo "pftrace vs perf (ratio = pftrace / perf; below 1 favours pftrace):"
	for w in "${run_workloads[@]}"; do
		base=$(get "$w" none wall)
		sp=$(ratio "$(get "$w" pftrace wall)" "$base")
		sq=$(ratio "$(get "$w" perf wall)" "$base")
		bp=$(awk -v b="$(get "$w" pftrace bytes)" -v e="$(get "$w" pftrace events)" 'BEGIN { if (e + 0) printf "%.1f", b / e; else print "-" }')
		bq=$(awk -v b="$(get "$w" perf bytes)" -v e="$(get "$w" perf events)" 'BEGIN { if (e + 0) printf "%.1f", b / e; else print "-" }')
		cp=$(get "$w" pftrace cpu)
		cq=$(get "$w" perf cpu)
		printf '%s  slowdown %sx vs %sx (%s) | lost %s vs %s | bytes/event %s vs %s (%s) | tracer CPU %ss vs %ss (%s)\n' \
			"$w" "$sp" "$sq" "$(ratio "$sp" "$sq")" \
			"$(fmt "$(get "$w" pftrace lost)")" "$(fmt "$(get "$w" perf lost)")" \
			"$bp" "$bq" "$(ratio "$bp" "$bq")" "$(fmt "$cp")" "$(fmt "$cq")" "$(ratio "$cp" "$cq")"
	done
fi
report_end
