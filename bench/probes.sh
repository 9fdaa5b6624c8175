#!/bin/bash
# SPDX-License-Identifier: MIT
#
# bench/probes.sh: the cost of a uprobe hit under pftrace against `perf probe`
# + `perf record`, side by side in one run.  Reports medians, per-hit costs
# and ratios, never pass/fail thresholds.  See bench/README.md.
#
# The workload is bench/probe_loop N: a noinline function probe_loop_fn(x)
# called N times, timing its own loop.  Columns:
#   none     untraced
#   count    `perf stat -e` on the probe: the kernel's trap and the probe
#            handler, nothing written to a ring (the floor both tracers pay)
#   perf     `perf probe -x BIN FN x=%di:u64`, then `perf record -e GROUP:FN
#            -m PAGES -- BIN N` (only the probe; removed with perf probe -d)
#   pftrace  `pftrace record --no-stacks --no-sched --no-irq --buffer-size
#            SIZE -e 'uprobe:BIN:FN x=%di:u64' -- BIN N`
# Both tracers start the workload themselves (per-task events) under GNU
# time; the tracer's own CPU time is GNU time's user+sys minus the workload's
# own (probe_loop prints its getrusage), which holds the traps.
#
# Run from the build directory as root.  Environment (all optional):
#   PFTRACE=./pftrace  PROBE_LOOP=./bench/probe_loop  PERF=perf
#   BENCH_RUNS=3          repetitions (interleaved, order rotating); medians
#   BENCH_N=1000000       calls of the probed function
#   BENCH_BUF_MB=4        ring size per CPU for both tracers (perf -m in pages)
#   BENCH_TRACERS="none count perf pftrace"   which columns to run
#   BENCH_KEEP=0          1: keep the temporary directory with all outputs
set -u

PFTRACE=${PFTRACE:-./pftrace}
PROBE_LOOP=${PROBE_LOOP:-./bench/probe_loop}
PERF=${PERF:-perf}
RUNS=${BENCH_RUNS:-3}
N=${BENCH_N:-1000000}
BUF_MB=${BENCH_BUF_MB:-4}
TRACERS=${BENCH_TRACERS:-none count perf pftrace}
KEEP=${BENCH_KEEP:-0}
WORK_TIMEOUT=${BENCH_WORK_TIMEOUT:-600}
TIME=/usr/bin/time
FN=probe_loop_fn
FETCH="x=%di:u64"
case $(uname -m) in
aarch64) FETCH="x=%x0:u64" ;;
esac

PROG=probes
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# --- preconditions -----------------------------------------------------------
need_root "uprobes through tracefs, perf_event_open"
need_tracefs
[ -x "$PROBE_LOOP" ] || die "$PROBE_LOOP not found (make bench/probe_loop)"
need_gnu_time
BIN=$(readlink -f "$PROBE_LOOP")

make_tmp pftrace-probes
# perf's probe group, of our own: removed on exit (and never anyone else's)
PGROUP="pfbench$$"
PERF_PROBE_MADE=0
cleanup_extra() {
	[ -n "${WATCH:-}" ] && kill "$WATCH" 2>/dev/null
	if [ "$PERF_PROBE_MADE" = 1 ]; then
		"$PERF" probe -q -d "$PGROUP:*" >/dev/null 2>&1 ||
			say "$PROG: could not remove perf probe $PGROUP:$FN (perf probe -d '$PGROUP:*')"
	fi
}

have_perf=0
if command -v "$PERF" >/dev/null 2>&1; then
	if "$PERF" probe -q -x "$BIN" -a "$PGROUP:$FN=$FN $FETCH" >"$TMP/perfprobe.err" 2>&1; then
		PERF_PROBE_MADE=1
		have_perf=1
	else
		note "perf probe -x $BIN '$FN $FETCH' failed: $(tail -2 "$TMP/perfprobe.err" | tr '\n' ' ')"
	fi
fi
have_pftrace=0
[ -x "$PFTRACE" ] && have_pftrace=1

# pftrace with nothing but the probe: --no-sched --no-irq --no-stacks, if it
# takes them with only -e (else the closest it accepts).
PFT_ARGS=(--no-stacks --no-sched --no-irq)
PFT_MORE=""
if [ $have_pftrace = 1 ]; then
	if ! "$PFTRACE" record -q "${PFT_ARGS[@]}" -e "uprobe:$BIN:$FN $FETCH" -o "$TMP/probe.pb" \
		-- "$BIN" 1 >/dev/null 2>"$TMP/pftprobe.err"; then
		PFT_ARGS=(--no-stacks --no-irq)
		PFT_MORE="sched"
		if ! "$PFTRACE" record -q "${PFT_ARGS[@]}" -e "uprobe:$BIN:$FN $FETCH" \
			-o "$TMP/probe.pb" -- "$BIN" 1 >/dev/null 2>&1; then
			note "pftrace cannot record the probe: $(head -2 "$TMP/pftprobe.err" | tr '\n' ' ')"
			have_pftrace=0
		fi
	fi
	rm -f "$TMP/probe.pb"
fi

run_tracers=()
for t in $TRACERS; do
	case $t in
	none) run_tracers+=(none) ;;
	count | perf)
		if [ $have_perf = 1 ]; then run_tracers+=("$t")
		else note "perf probe not usable ('$PERF'): $t column skipped"; fi ;;
	pftrace)
		if [ $have_pftrace = 1 ]; then run_tracers+=(pftrace)
		else note "$PFTRACE not usable: pftrace column skipped"; fi ;;
	*) die "unknown tracer '$t'" ;;
	esac
done
[ ${#run_tracers[@]} -gt 0 ] || die "nothing to run"
[ -n "$PFT_MORE" ] &&
	note "pftrace refused --no-sched with only -e: it also records its sched tracepoints"

PAGE=$(getconf PAGESIZE 2>/dev/null || echo 4096)
PERF_PAGES=$((BUF_MB * 1024 * 1024 / PAGE))

# --- helpers -----------------------------------------------------------------
# GNU time -o file: "user sys" -> their sum
cpu_of() { awk '/^[0-9.]+ [0-9.]+$/ { c = sprintf("%.2f", $1 + $2) } END { print c }' "$1" 2>/dev/null; }
# probe_loop's line: the field KEY (elapsed, cpu)
wl_field() { sed -n "s/^probe_loop:.* $2=\([0-9.]*\).*/\1/p" "$1" | head -1; }
# pftrace: hits of the probe (its row in the summary) and the lost records
#   pftrace: recorded 28.256 s: 1000000 events (35391/s), 0 lost, 36.22 MiB written
#     pftrace_31801:probe_loop_fn             1000000        35391      1000000
pftrace_counts() {
	awk -v fn=":$FN" '
		/recorded .* events/ && lost == "" {
			for (i = 2; i <= NF; i++)
				if ($i ~ /^lost/ && $(i - 1) ~ /^[0-9]+$/) lost = $(i - 1)
		}
		index($1, fn) && $1 ~ (fn "$") && hits == "" && $2 ~ /^[0-9]+$/ { hits = $2 }
		END { if (hits == "") hits = "?"; if (lost == "") lost = "?"; print hits, lost }' "$1"
}
# busy CPU seconds of the whole machine so far (user nice system irq softirq;
# idle, iowait and steal left out), from /proc/stat
HZ=$(getconf CLK_TCK 2>/dev/null || echo 100)
busy_s() { awk -v hz="$HZ" 'NR == 1 { printf "%.2f", ($2 + $3 + $4 + $7 + $8) / hz; exit }' /proc/stat; }
# While a run goes, every 0.5 s: other perf/pftrace processes (not ours: ours
# name $BIN or $PGROUP on their command line), e.g. another job's system-wide
# tracer.  A run during which one was seen is marked disturbed.
WATCH=""
other_tracers() {
	local p c
	for p in $( (pgrep -x perf; pgrep -x pftrace) | sort -un); do
		c=$(tr '\0' ' ' 2>/dev/null </proc/"$p"/cmdline)
		[ -n "$c" ] || continue
		[[ $c == *"$BIN"* || $c == *"$PGROUP"* ]] && continue
		printf '%s: %s\n' "$p" "${c:0:70}"
	done
}
watch_start() { # FILE
	: >"$1"
	( while :; do other_tracers >>"$1"; sleep 0.5; done ) &
	WATCH=$!
}
watch_stop() {
	[ -n "$WATCH" ] || return 0
	kill "$WATCH" 2>/dev/null
	wait "$WATCH" 2>/dev/null
	WATCH=""
}
# perf stat -x, output: "count,unit,event,..."
stat_count() { awk -F, -v ev="$PGROUP:$FN" '$3 == ev { print $1 }' "$1" | head -1; }

# --- one measurement ---------------------------------------------------------
measure() {
	local t=$1 rep=$2
	local p="$TMP/$t.$rep" el wcpu tcpu hits lost rc
	local out="$p.out" err="$p.err" cpu="$p.cpu" wout="$p.wl"
	local b0 b1 t0 t1 others dist
	: >"$err"
	watch_start "$p.others"
	b0=$(busy_s)
	t0=$(now)
	case $t in
	none)
		timeout "$WORK_TIMEOUT" "$BIN" "$N" >"$wout" 2>"$err"
		rc=$?
		;;
	count)
		timeout "$WORK_TIMEOUT" "$TIME" -f '%U %S' -o "$cpu" "$PERF" stat -x, \
			-e "$PGROUP:$FN" -o "$out" -- "$BIN" "$N" >"$wout" 2>"$err"
		rc=$?
		;;
	perf)
		timeout "$WORK_TIMEOUT" "$TIME" -f '%U %S' -o "$cpu" "$PERF" record -B \
			-m "$PERF_PAGES" -e "$PGROUP:$FN" -o "$out" -- "$BIN" "$N" >"$wout" 2>"$err"
		rc=$?
		;;
	pftrace)
		timeout "$WORK_TIMEOUT" "$TIME" -f '%U %S' -o "$cpu" "$PFTRACE" record \
			"${PFT_ARGS[@]}" --buffer-size "${BUF_MB}M" -e "uprobe:$BIN:$FN $FETCH" \
			-o "$out" -- "$BIN" "$N" >"$wout" 2>"$err"
		rc=$?
		;;
	esac
	[ $rc = 0 ] || note "$t run $rep: exit status $rc: $(grep -v '^ ' "$err" | tail -2 | tr '\n' ' ')"
	t1=$(now)
	b1=$(busy_s)
	watch_stop
	el=$(wl_field "$wout" elapsed)
	wcpu=$(wl_field "$wout" cpu)
	put P "$t" wall "$el"
	put P "$t" wlcpu "$wcpu"
	ROUND[$t,$rep]=$el
	if [ "$t" = none ]; then
		put P none disturbed 0
		say "probes:   none run $rep: loop ${el:-?}s cpu ${wcpu:-?}s"
		return
	fi
	tcpu=$(awk -v a="$(cpu_of "$cpu")" -v b="$wcpu" 'BEGIN { if (a != "" && b != "") printf "%.2f", a - b }')
	put P "$t" cpu "$tcpu"
	# other work on the machine meanwhile: busy CPU seconds that were
	# neither the workload's nor the tracer's, per second of the run; a run
	# with more than a quarter of a CPU of it is marked disturbed
	others=$(awk -v a="$b1" -v b="$b0" -v c="$(cpu_of "$cpu")" -v w="$(fsub "$t1" "$t0" 6)" 'BEGIN {
		o = a - b - c; if (o < 0) o = 0; if (w + 0 > 0) printf "%.2f", o / w }')
	dist=$(awk -v o="$others" 'BEGIN { print (o == "" || o > 0.25) ? 1 : 0 }')
	if [ -s "$p.others" ]; then
		dist=1
		note "$t run $rep: another perf/pftrace ran meanwhile: $(sort -u "$p.others" | head -3 | tr '\n' ';')"
	fi
	put P "$t" others "$others"
	put P "$t" disturbed "$dist"
	case $t in
	count) hits=$(stat_count "$out") lost=0 ;;
	perf) read -r hits lost < <(perf_counts "$out") ;;
	pftrace) read -r hits lost < <(pftrace_counts "$err") ;;
	esac
	put P "$t" hits "$hits"
	put P "$t" lost "$lost"
	put P "$t" bytes "$([ "$t" = count ] || filesize "$out")"
	say "probes:   $t run $rep: loop ${el:-?}s cpu ${wcpu:-?}s hits $hits lost $lost tracer_cpu ${tcpu:-?}s bytes $(filesize "$out") others ${others:-?} CPUs"
	[ "$KEEP" = 1 ] || rm -f "$out"
}

# --- main ----------------------------------------------------------------------
declare -A ROUND
say "probes: $(nproc) CPUs, kernel $(uname -r), $BIN $N, ring ${BUF_MB} MiB/CPU, $RUNS runs, columns: ${run_tracers[*]}"
[ $have_perf = 1 ] && say "probes: $("$PERF" --version)"
# shellcheck disable=SC2034 # read by lib.sh's report_end
START=$(now)
LOAD_BEFORE=$(loadavg)
note_busy before
BUSY_BEFORE=$BUSY
# Interleaved, each round starting one column further on, so neither drift
# nor the position in a round favours a column.
cols=("${run_tracers[@]}")
for rep in $(seq "$RUNS"); do
	k=$(((rep - 1) % ${#cols[@]}))
	for t in "${cols[@]:k}" "${cols[@]:0:k}"; do
		measure "$t" "$rep"
	done
done
LOAD_AFTER=$(loadavg)
note_busy after
BUSY_AFTER=$BUSY

# --- report ------------------------------------------------------------------
# per-hit cost in us: (X - untraced X) / N
per_hit() { awk -v a="$1" -v b="$2" -v n="$N" 'BEGIN { if (a == "" || b == "" || n + 0 == 0) print "-"; else printf "%.2f", (a - b) * 1e6 / n }'; }
range3() { # lib.sh's range with 3 decimals (the untraced loop takes ms)
	vals "$@" | awk '/^[0-9.]+$/ { if (n++ == 0 || $1 < lo) lo = $1; if ($1 > hi) hi = $1 }
		END { if (n) printf "%.3f-%.3f", lo, hi; else print "-" }'
}
has() { [[ " ${run_tracers[*]} " == *" $1 "* ]]; }

echo
echo "pftrace uprobe benchmark: median of $RUNS runs (ranges: min-max); $(nproc) CPUs; kernel $(uname -r)"
[ $have_perf = 1 ] && "$PERF" --version
echo "load average before: $LOAD_BEFORE (busy ${BUSY_BEFORE}% over 1 s); after: $LOAD_AFTER (busy ${BUSY_AFTER}%)"
echo "workload: $BIN $N  ($FN(x) called $N times; loop timed by itself)"
has count && echo "  count:   perf stat -e $PGROUP:$FN (the trap and handler, no ring)"
has perf && echo "  perf:    perf probe -x BIN -a '$PGROUP:$FN=$FN $FETCH'; perf record -B -m $PERF_PAGES -e $PGROUP:$FN -- BIN $N"
has pftrace && echo "  pftrace: pftrace record ${PFT_ARGS[*]} --buffer-size ${BUF_MB}M -e 'uprobe:BIN:$FN $FETCH' -- BIN $N"
echo "loop_s: the loop's CLOCK_MONOTONIC time; wl_cpu: the workload's user+sys (holds the traps);"
echo "per_hit: (traced - untraced) / N in us, from loop_s and from wl_cpu; tracer_cpu: the tracer's own user+sys"
echo "(GNU time minus wl_cpu, 10 ms resolution); hits: events recorded (count: perf stat's count); lost: dropped records;"
echo "others: CPUs' worth of other work on the machine during the run; runs with more than 0.25, or during which"
echo "another perf/pftrace process was seen, are marked disturbed"
echo "and every median leaves them out when a quiet run exists (dist: how many were)"
echo
base=$(get P none wall)
basecpu=$(get P none wlcpu)
# "k/n": how many of the runs were disturbed
# shellcheck disable=SC2086
disturbed() { printf '%s\n' ${R[P,$1,disturbed]:-} | awk '{ n++; k += $1 } END { printf "%d/%d", k, n }'; }
printf '%-8s %9s %13s %10s %8s %13s %9s %9s %7s %11s %10s %6s %5s\n' column loop_s loop_range per_hit_us \
	wl_cpu wl_cpu_range cpu_hit_us hits lost out_bytes tracer_cpu others dist
for t in "${run_tracers[@]}"; do
	wall=$(get P "$t" wall)
	wcpu=$(get P "$t" wlcpu)
	if [ "$t" = none ]; then
		printf '%-8s %9s %13s %10s %8s %13s %9s %9s %7s %11s %10s %6s %5s\n' none "$(fmt "$wall")" \
			"$(range3 P none wall)" - "$(fmt "$wcpu")" "$(range3 P none wlcpu)" - - - - - - -
		continue
	fi
	printf '%-8s %9s %13s %10s %8s %13s %9s %9s %7s %11s %10s %6s %5s\n' "$t" "$(fmt "$wall")" \
		"$(range3 P "$t" wall)" "$(per_hit "$wall" "$base")" "$(fmt "$wcpu")" \
		"$(range3 P "$t" wlcpu)" "$(per_hit "$wcpu" "$basecpu")" "$(fmt "$(get P "$t" hits)")" \
		"$(fmt "$(get P "$t" lost)")" "$(fmt "$(get P "$t" bytes)")" "$(fmt "$(get P "$t" cpu)")" \
		"$(fmt "$(get P "$t" others)")" "$(disturbed "$t")"
done

if has perf && has pftrace; then
	echo
	echo "pftrace vs perf (ratio = pftrace / perf; below 1 favours pftrace):"
	line() { # label pftrace perf
		printf '  %-46s %10s %10s  %s\n' "$1" "$(fmt "$2")" "$(fmt "$3")" "$(ratio "$2" "$3")"
	}
	printf '  %-46s %10s %10s  %s\n' "" pftrace perf ratio
	hp=$(per_hit "$(get P pftrace wall)" "$base")
	hq=$(per_hit "$(get P perf wall)" "$base")
	cp=$(per_hit "$(get P pftrace wlcpu)" "$basecpu")
	cq=$(per_hit "$(get P perf wlcpu)" "$basecpu")
	line "added loop time per hit (us)" "$hp" "$hq"
	line "added workload CPU per hit (us)" "$cp" "$cq"
	line "hits recorded (of $N)" "$(get P pftrace hits)" "$(get P perf hits)"
	line "lost" "$(get P pftrace lost)" "$(get P perf lost)"
	line "tracer CPU (s)" "$(get P pftrace cpu)" "$(get P perf cpu)"
	line "output bytes" "$(get P pftrace bytes)" "$(get P perf bytes)"
	# the issue's check, reported and never asserted: pftrace adds at most
	# 10% on top of perf's added time per hit
	r=$(ratio "$hp" "$hq")
	verdict=$(awk -v r="$r" 'BEGIN { if (r == "-") print "unknown"; else if (r <= 1.10) print "yes"; else print "no" }')
	# the same ratio within each round (pftrace and perf ran minutes apart
	# at most), then its median: less exposed to drift in the machine's load
	for rep in $(seq "$RUNS"); do
		if [ -z "${ROUND[pftrace,$rep]:-}" ] || [ -z "${ROUND[perf,$rep]:-}" ] ||
			[ -z "${ROUND[none,$rep]:-}" ]; then
			continue
		fi
		put P pair ratio "$(ratio "$(fsub "${ROUND[pftrace,$rep]}" "${ROUND[none,$rep]}" 6)" \
			"$(fsub "${ROUND[perf,$rep]}" "${ROUND[none,$rep]}" 6)")"
	done
	echo "  pftrace adds <= 10% on top of perf's added loop time per hit: $verdict (ratio of the medians $r;"
	echo "    within each round: median $(fmt "$(get P pair ratio)"), rounds:${R[P,pair,ratio]:-})"
	rc=$(ratio "$cp" "$cq")
	verdict=$(awk -v r="$rc" 'BEGIN { if (r == "-") print "unknown"; else if (r <= 1.10) print "yes"; else print "no" }')
	echo "  the same on the workload's CPU per hit (not stretched by other work on a busy machine): $verdict (ratio $rc)"
	if has count; then
		hc=$(per_hit "$(get P count wall)" "$base")
		echo "  the trap alone (perf stat): $hc us per hit; recording adds $(fsub "$hp" "$hc" 2) us (pftrace) vs $(fsub "$hq" "$hc" 2) us (perf)"
	fi
fi
report_end
