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

say() { printf '%s\n' "$*" >&2; }
die() { say "bench: $*"; exit 1; }

NOTES=()
note() { NOTES+=("$*"); say "bench: note: $*"; }

# --- preconditions -----------------------------------------------------------
[ "$(id -u)" = 0 ] || die "must run as root (perf_event_open system-wide, tracefs)"
if [ ! -d /sys/kernel/tracing/events ]; then
	mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null ||
		die "tracefs is not mounted and 'mount -t tracefs nodev /sys/kernel/tracing' failed"
fi
[ -x "$SYSCALL_LOOP" ] || die "$SYSCALL_LOOP not found (make bench/syscall_loop)"
if [ ! -x "$TIME" ]; then
	if command -v apt-get >/dev/null; then
		say "bench: installing GNU time"
		apt-get install -y -qq time >/dev/null 2>&1
	fi
	[ -x "$TIME" ] || die "$TIME (GNU time) is needed: apt-get install time"
fi

TMP=$(mktemp -d /tmp/pftrace-bench.XXXXXX) || die "mktemp failed"
cleanup() {
	[ -n "${CPID:-}" ] && kill -KILL "$CPID" 2>/dev/null
	if [ "$KEEP" = 1 ]; then say "bench: outputs kept in $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

have_perf=0
if command -v "$PERF" >/dev/null 2>&1 &&
	"$PERF" record -q -a -e sched:sched_switch -o "$TMP/probe.data" -- true >/dev/null 2>&1; then
	have_perf=1
fi
rm -f "$TMP/probe.data"

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

run_tracers=()
for t in $TRACERS; do
	case $t in
	none) run_tracers+=(none) ;;
	perf)
		if [ $have_perf = 1 ]; then run_tracers+=(perf)
		else note "perf not usable ('$PERF'): perf column skipped"; fi ;;
	pftrace)
		if [ $have_pftrace = 1 ]; then run_tracers+=(pftrace)
		else note "$PFTRACE not found: pftrace column skipped"; fi ;;
	*) die "unknown tracer '$t'" ;;
	esac
done
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

# --- helpers -----------------------------------------------------------------
fsub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.6f", a - b }'; }
now() { echo "$EPOCHREALTIME"; }
median() { # values...; "" when none numeric
	printf '%s\n' "$@" | awk '/^-?[0-9.]+([eE][-+]?[0-9]+)?$/' | sort -g |
		awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'
}
filesize() { stat -c %s "$1" 2>/dev/null || echo ""; }

# Results: R[workload,tracer,metric] = "v1 v2 v3" (one per run).
declare -A R
put() { R[$1,$2,$3]="${R[$1,$2,$3]:-} $4"; }
# shellcheck disable=SC2086 # split on purpose
get() { median ${R[$1,$2,$3]:-}; }
# "min-max" of the runs, to show the noise behind a median
# shellcheck disable=SC2086
range() {
	printf '%s\n' ${R[$1,$2,$3]:-} | awk '/^[0-9.]+$/ { if (n++ == 0 || $1 < lo) lo = $1; if ($1 > hi) hi = $1 }
		END { if (n) printf "%.2f-%.2f", lo, hi; else print "-" }'
}

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
	TPID=$!
	CPID=""
	local i
	for i in $(seq 50); do
		CPID=$(pgrep -P "$TPID" | head -1)
		[ -n "$CPID" ] && break
		sleep 0.02
	done
	[ -n "$CPID" ] || return 1
	# Ready: pftrace says "recording" on stderr; perf says nothing, give it 1 s.
	case $t in
	perf) sleep 1 ;;
	pftrace)
		for i in $(seq 30); do
			grep -qi recording "$err" && break
			kill -0 "$CPID" 2>/dev/null || break
			sleep 0.1
		done
		[ "$i" = 30 ] && PFT_NOREADY=1
		;;
	esac
	kill -0 "$CPID" 2>/dev/null
}

# SIGINT the tracer and wait for it; STOP_S = seconds from SIGINT to exit.
stop_tracer() {
	local t0 i
	t0=$(now)
	kill -INT "$CPID" 2>/dev/null
	for i in $(seq $((STOP_TIMEOUT * 50))); do
		kill -0 "$TPID" 2>/dev/null || break
		sleep 0.02
	done
	if kill -0 "$TPID" 2>/dev/null; then
		kill -KILL "$CPID" 2>/dev/null
		STOP_KILLED=1
	fi
	wait "$TPID" 2>/dev/null
	STOP_RC=$?
	STOP_S=$(fsub "$(now)" "$t0")
	CPID=""
}

# perf: events = SAMPLE records; lost = the kernel's per-event lost-sample
# counts (LOST_SAMPLES, read by perf record at the end; sum over events).
perf_counts() {
	"$PERF" report --stats -i "$1" 2>/dev/null | awk '
		/ stats:$/ && !/^Aggregated/ { per = 1; next }
		!per && /^ *SAMPLE events:/ { ev = $3 }
		!per && /^ *LOST events:/ { lostrec = $3 }
		per && /^ *LOST_SAMPLES events:/ { lost += $3; havels = 1 }
		END { if (!havels && lostrec) lost = "?" lostrec; print ev + 0, lost + 0 }'
}

# pftrace: its end-of-recording summary on stderr,
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
	STOP_KILLED=0
	PFT_NOREADY=0
	if [ "$t" != none ]; then
		if ! start_tracer "$t" "$out" "$err" "$cpu"; then
			note "$w/$t run $rep: tracer exited before the workload: $(tail -3 "$err" | tr '\n' ' ')"
			[ -n "${TPID:-}" ] && wait "$TPID" 2>/dev/null
			CPID=""
			return
		fi
		[ "$PFT_NOREADY" = 1 ] && note "$w/pftrace run $rep: no 'recording' on stderr within 3 s"
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
	stop_tracer
	stop=$STOP_S
	case $STOP_RC in
	0 | 130) ;;	# 130: GNU time's code for a child ended by SIGINT
	*) note "$w/$t run $rep: tracer exit status $STOP_RC after SIGINT: $(tail -2 "$err" | tr '\n' ' ')" ;;
	esac
	[ "$STOP_KILLED" = 1 ] && note "$w/$t run $rep: tracer did not stop within ${STOP_TIMEOUT}s of SIGINT; killed"
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
	say "bench:   $w $t run $rep: wall $(fsub "$t1" "$t0")s events $ev lost $lost bytes $(filesize "$out") cpu $(tail -1 "$cpu" 2>/dev/null) stop ${stop}s"
	[ "$KEEP" = 1 ] || rm -f "$out"
	sync
}

# --- main ----------------------------------------------------------------------
say "bench: $(nproc) CPUs, kernel $(uname -r), ring ${BUF_MB} MiB/CPU, $RUNS runs, tracers: ${run_tracers[*]}"
[ $have_perf = 1 ] && say "bench: $("$PERF" --version)"
START=$(now)
# Is anything else busy?  CPU use over 1 s (the load average would still show
# the build that `make bench` just ran).
busy_pct() {
	local a b
	a=$(head -1 /proc/stat)
	sleep 1
	b=$(head -1 /proc/stat)
	awk -v a="$a" -v b="$b" 'BEGIN {
		na = split(a, x); split(b, y)
		for (i = 2; i <= na; i++) { d = y[i] - x[i]; t += d; if (i == 5 || i == 6) idle += d }
		printf "%.0f", t ? 100 * (t - idle) / t : 0 }'
}
busy=$(busy_pct)
if [ "$busy" -gt 10 ]; then
	note "the machine was ${busy}% busy before the run: other work skews every column"
fi
for w in "${run_workloads[@]}"; do
	say "bench: $w = $(workload_desc "$w")"
	for rep in $(seq "$RUNS"); do
		for t in "${run_tracers[@]}"; do	# interleaved, so drift hits all alike
			measure "$w" "$t" "$rep"
		done
	done
done
busy=$(busy_pct)
if [ "$busy" -gt 10 ]; then
	note "the machine was ${busy}% busy after the run: other work may have skewed every column"
fi

# --- report ------------------------------------------------------------------
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "-"; else printf "%.2f", a / b }'; }
fmt() { [ -n "$1" ] && echo "$1" || echo "-"; }

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
if [ ${#NOTES[@]} -gt 0 ]; then
	echo
	echo "notes:"
	printf '  - %s\n' "${NOTES[@]}"
fi
echo
echo "total bench time: $(awk -v s="$(fsub "$(now)" "$START")" 'BEGIN { printf "%.0f", s }') s"
