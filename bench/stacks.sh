#!/bin/bash
# SPDX-License-Identifier: MIT
#
# bench/stacks.sh: pftrace's sampled, DWARF-unwound stacks against
# `perf record --call-graph dwarf` + `perf script`, side by side in one run.
# Reports medians and ratios, never pass/fail thresholds.  See bench/README.md.
#
#   S1  the chain fixture (main -> a -> b -> c, no frame pointers) burning CPU
#       for a fixed time: what it costs to get symbolized stacks (tracer CPU
#       while recording + post-processing), samples recorded and lost, output
#       bytes, and how many of the workload's samples unwind to main;a;b;c.
#   S2  bench/syscall_loop N (a fixed amount of work): slowdown under sampling.
#
# Run from the build directory as root.  Environment (all optional):
#   PFTRACE=./pftrace  CHAIN=./tests/fixtures/chain_nofp
#   SYSCALL_LOOP=./bench/syscall_loop  PERF=perf
#   BENCH_RUNS=3          repetitions (interleaved); the median is reported
#   BENCH_SECS=3          seconds the chain fixture burns (S1)
#   BENCH_N=12000000      getppid calls of syscall_loop (S2)
#   BENCH_FREQ=999        sampling frequency (Hz per CPU), both tracers
#   BENCH_STACK=8192      bytes of user stack copied per sample, both tracers
#   BENCH_BUF_MB=4        ring size per CPU, both tracers (perf -m in pages)
#   BENCH_SCOPE=system    system: tracers run system-wide (perf -a), the
#                         workload runs on its own; pid: the workload is
#                         started held, both tracers attach with -p PID
#   BENCH_TRACERS="perf pftrace"   which tracers to run
#   BENCH_WORKLOADS="S1 S2"
#   BENCH_PERF_BUILDID=0  1: let perf record do its build-id pass (no -B)
#   BENCH_PERF_SCRIPT_ARGS=""  extra perf script options, e.g. --no-inline (by
#                         default perf script resolves inlined frames by
#                         running addr2line on every DSO, which can dominate
#                         its wall time on a loaded machine)
#   BENCH_KEEP=0          1: keep the temporary directory with all outputs
set -u

PFTRACE=${PFTRACE:-./pftrace}
CHAIN=${CHAIN:-./tests/fixtures/chain_nofp}
SYSCALL_LOOP=${SYSCALL_LOOP:-./bench/syscall_loop}
PERF=${PERF:-perf}
RUNS=${BENCH_RUNS:-3}
SECS=${BENCH_SECS:-3}
N=${BENCH_N:-12000000}
FREQ=${BENCH_FREQ:-999}
STACK=${BENCH_STACK:-8192}
BUF_MB=${BENCH_BUF_MB:-4}
SCOPE=${BENCH_SCOPE:-system}
TRACERS=${BENCH_TRACERS:-perf pftrace}
WORKLOADS=${BENCH_WORKLOADS:-S1 S2}
PERF_BUILDID=${BENCH_PERF_BUILDID:-0}
read -r -a PERF_SCRIPT_ARGS <<<"${BENCH_PERF_SCRIPT_ARGS:-}"
KEEP=${BENCH_KEEP:-0}
STOP_TIMEOUT=${BENCH_STOP_TIMEOUT:-120}
WORK_TIMEOUT=${BENCH_WORK_TIMEOUT:-120}
TIME=/usr/bin/time

PROG=stacks
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# --- preconditions -----------------------------------------------------------
need_root "system-wide perf_event_open, tracefs"
need_tracefs
case $SCOPE in system | pid) ;; *) die "BENCH_SCOPE must be 'system' or 'pid'" ;; esac
[ -x "$CHAIN" ] || die "$CHAIN not found (make tests/fixtures/chain_nofp)"
need_gnu_time

make_tmp pftrace-stacks
cleanup_extra() { # on exit, after lib.sh's cleanup killed the tracer
	[ -n "${WPID:-}" ] && kill -KILL "$WPID" 2>/dev/null
	[ -n "${WATCH:-}" ] && kill "$WATCH" 2>/dev/null
}

# The chain fixture runs from a copy with a name of our own, so its samples
# are told apart from any other chain_nofp running on the machine (a comm is
# at most 15 characters).
COMM="stkchain$$"
COMM=${COMM:0:15}
cp "$CHAIN" "$TMP/$COMM" || die "cannot copy $CHAIN"
WCHAIN="$TMP/$COMM"

probe_perf -F "$FREQ" --call-graph "dwarf,$STACK"
have_pftrace=0
[ -x "$PFTRACE" ] && have_pftrace=1

pick_tracers 0 " with --call-graph dwarf"
[ ${#run_tracers[@]} -gt 0 ] || die "no tracer to run"
run_workloads=()
for w in $WORKLOADS; do
	case $w in
	S1) run_workloads+=(S1) ;;
	S2)
		if [ -x "$SYSCALL_LOOP" ]; then run_workloads+=(S2)
		else note "$SYSCALL_LOOP not found (make bench/syscall_loop): S2 skipped"; fi ;;
	*) die "unknown workload '$w'" ;;
	esac
done

# pftrace records its default sched/irq tracepoints besides the stacks unless
# it accepts --no-sched --no-irq on their own (it refuses "nothing to record"
# when stacks are the only source).
PFT_EXTRA=()
PFT_MORE=1
if [ $have_pftrace = 1 ]; then
	if "$PFTRACE" record -q --no-sched --no-irq --no-offcpu -F "$FREQ" -d 0.1 \
		-o "$TMP/probe.pb" >/dev/null 2>&1; then
		PFT_EXTRA=(--no-sched --no-irq)
		PFT_MORE=0
	fi
	rm -f "$TMP/probe.pb"
fi

PAGE=$(getconf PAGESIZE 2>/dev/null || echo 4096)
PERF_PAGES=$((BUF_MB * 1024 * 1024 / PAGE))
PERF_B=(-B)
[ "$PERF_BUILDID" = 1 ] && PERF_B=()

# --- helpers -----------------------------------------------------------------
# "user sys [wall]" from a GNU time -o file (its last numeric line)
cpu_of() { awk '/^[0-9.]+ [0-9.]+/ { c = sprintf("%.2f", $1 + $2) } END { print c }' "$1" 2>/dev/null; }
wall_of() { awk '/^[0-9.]+ [0-9.]+ [0-9.]+$/ { w = $3 } END { print w }' "$1" 2>/dev/null; }

# Results (lib.sh's put/get/range): R[workload,tracer,metric], one word per
# run, aligned with R[...,disturbed] (1: another perf/pftrace process was seen
# during that run's workload; for the slowdown, R[...,slowdist]: during the
# traced or the untraced run of the round); get and range leave the disturbed
# runs out when there is a quiet one.
# "k/n": in how many of the runs another perf/pftrace process was seen
# shellcheck disable=SC2086
disturbed() { printf '%s\n' ${R[$1,$2,${3:-disturbed}]:-} | awk '{ n++; k += $1 } END { printf "%d/%d", k, n }'; }
other_tracers() { # perf/pftrace processes that are not ours: "pid: cmdline; ..."
	local p c
	for p in $( (pgrep -x perf; pgrep -x pftrace) | sort -un); do
		[ "$p" = "${CPID:-}" ] && continue
		c=$(tr '\0' ' ' </proc/"$p"/cmdline 2>/dev/null | cut -c1-70)
		[ -n "$c" ] && printf '%s: %s; ' "$p" "$c"
	done
}

# While a workload runs, note every 0.5 s any other perf/pftrace (e.g. a
# system-wide syscall tracer of some other job, which slows every syscall).
WATCH=""
watch_start() { # FILE
	local f=$1
	: >"$f"
	(
		while :; do
			printf '%s' "$(other_tracers)" | tr ';' '\n' | sed 's/^ *//; /^$/d' >>"$f"
			sleep 0.5
		done
	) &
	WATCH=$!
}
watch_stop() {
	[ -n "$WATCH" ] || return 0
	kill "$WATCH" 2>/dev/null
	wait "$WATCH" 2>/dev/null
	WATCH=""
}

# perf script -F comm,ip,sym -> folded stacks ("comm;root;...;leaf count"),
# as flamegraph's stackcollapse-perf does.  A sample is a header line (the
# comm, right-aligned), frames on tab-indented lines (leaf first), then a
# blank line.
fold_perf() {
	awk '
		function flush() {
			if (have) {
				s = comm
				for (i = nf; i >= 1; i--) s = s ";" f[i]
				n[s]++
			}
			have = 0; nf = 0
		}
		/^\t/ {
			line = $0; sub(/^[ \t]+/, "", line)
			sym = line; sub(/^[0-9a-fA-F]+ ?/, "", sym); sub(/ \(inlined\)$/, "", sym)
			if (sym == "") sym = "[unknown]"
			gsub(/;/, ":", sym)
			f[++nf] = sym
			next
		}
		/^[ \t]*$/ { flush(); next }
		{ flush(); comm = $0; sub(/^[ \t]+/, "", comm); sub(/[ \t]+$/, "", comm); gsub(/;/, ":", comm); have = 1 }
		END { flush(); for (s in n) print s, n[s] }' "$1"
}

# folded stacks -> "total_samples comm_samples full_chain_samples" for COMM
chain_stats() {
	awk -v comm="$2" '
		{ c = $NF; tot += c
		  st = $0; sub(/ [0-9]+$/, "", st)
		  if (index(st, comm ";") == 1 || st == comm) {
			ws += c
			if (st ~ /(^|;)main;a;b;c(;|$)/) full += c
		  } }
		END { print tot + 0, ws + 0, full + 0 }' "$1"
}

# perf: "samples lost" from lib.sh's perf_counts.
# pftrace: "samples lost label" from its summary on stderr:
#   pftrace: recorded 3.949 s: 8814 events (2232/s), 0 lost, 310.0 KiB written
#     stacks cpu-clock      6883 samples [(ring full: M records dropped meanwhile)]
# lost = every record the kernel dropped (one ring per CPU holds the stacks and
# the tracepoints alike).
pftrace_counts() {
	awk '
		/recorded .* events/ && lost == "" {
			for (i = 2; i <= NF; i++)
				if ($i ~ /^lost/ && $(i - 1) ~ /^[0-9]+$/) lost = $(i - 1)
		}
		/^ *stacks / && /samples/ && smp == "" && $2 !~ /^(D-state|sched)/ {
			label = $2
			for (i = 3; i <= NF; i++)
				if ($i ~ /^samples/ && $(i - 1) ~ /^[0-9]+$/) smp = $(i - 1)
		}
		END { if (smp == "") smp = "?"; if (lost == "") lost = "?"; if (label == "") label = "?"
		      print smp, lost, label }' "$1"
}

# --- tracer start/stop -------------------------------------------------------
# start_tracer TRACER OUT ERR CPUFILE [PID]: in the background under GNU time.
# Sets TPID (time) and CPID (the tracer).  Non-zero if it died at once.
start_tracer() {
	local t=$1 out=$2 err=$3 cpu=$4 pid=${5:-}
	local scope=(-a)
	[ -n "$pid" ] && scope=(-p "$pid")
	: >"$err"
	case $t in
	perf)
		"$TIME" -f '%U %S %e' -o "$cpu" "$PERF" record "${PERF_B[@]}" "${scope[@]}" \
			-F "$FREQ" --call-graph "dwarf,$STACK" -m "$PERF_PAGES" -o "$out" 2>"$err" &
		;;
	pftrace)
		scope=()
		[ -n "$pid" ] && scope=(-p "$pid")
		"$TIME" -f '%U %S %e' -o "$cpu" "$PFTRACE" record "${scope[@]}" -F "$FREQ" \
			--call-graph "dwarf,$STACK" --buffer-size "${BUF_MB}M" --no-offcpu \
			"${PFT_EXTRA[@]}" -o "$out" 2>"$err" &
		;;
	esac
	# ready within 100 x 0.02 s / 50 x 0.1 s
	await_tracer "$t" "$err" 100 50
}
# stop_tracer: lib.sh's (SIGINT, if the tracer did not stop with its target)

# --- the workloads -----------------------------------------------------------
workload_desc() {
	case $1 in
	S1) echo "$COMM $SECS  (copy of $CHAIN: main -> a -> b -> c, no frame pointers, burns CPU for a fixed ${SECS} s)" ;;
	S2) echo "syscall_loop $N  (fixed work: $N getppid calls)" ;;
	esac
}
workload_cmd() { # sets CMD
	case $1 in
	S1) CMD=("$WCHAIN" "$SECS") ;;
	S2) CMD=("$SYSCALL_LOOP" "$N") ;;
	esac
}

# Held launcher for BENCH_SCOPE=pid: a subshell that waits on a FIFO, then
# execs the workload (same pid), so the tracers can attach to it first.
launch_held() { # WOUT WCPU CMD... ; sets WPID
	local wout=$1 wcpu=$2
	shift 2
	rm -f "$TMP/go"
	mkfifo "$TMP/go" || die "mkfifo failed"
	(
		read -r _ <"$TMP/go"
		exec timeout "$WORK_TIMEOUT" "$TIME" -f '%U %S %e' -o "$wcpu" "$@"
	) >"$wout" 2>&1 &
	WPID=$!
}

# --- one measurement ---------------------------------------------------------
measure() {
	local w=$1 t=$2 rep=$3
	local p="$TMP/$w.$t.$rep"
	local out="$p.out" err="$p.err" cpu="$p.cpu" wout="$p.wl" wcpu="$p.wlcpu"
	local t0 t1 rc v smp lost label tot ws full post_cpu post_wall msg
	local -a cmd
	local pt0 others dist
	workload_cmd "$w"
	cmd=("${CMD[@]}")
	WPID=""
	if [ "$t" = none ]; then
		watch_start "$p.others"
		t0=$(now)
		timeout "$WORK_TIMEOUT" "$TIME" -f '%U %S %e' -o "$wcpu" "${cmd[@]}" >"$wout" 2>&1
		rc=$?
		t1=$(now)
	else
		if [ "$SCOPE" = pid ]; then
			launch_held "$wout" "$wcpu" "${cmd[@]}"
			start_tracer "$t" "$out" "$err" "$cpu" "$WPID"
		else
			start_tracer "$t" "$out" "$err" "$cpu"
		fi
		rc=$?
		if [ $rc != 0 ]; then
			note "$w/$t run $rep: tracer exited before the workload: $(tail -3 "$err" | tr '\n' ' ')"
			[ -n "$WPID" ] && kill "$WPID" 2>/dev/null
			wait 2>/dev/null
			CPID="" WPID=""
			return
		fi
		watch_start "$p.others"
		t0=$(now)
		if [ "$SCOPE" = pid ]; then
			echo >"$TMP/go"
			wait "$WPID"
			rc=$?
			WPID=""
		else
			timeout "$WORK_TIMEOUT" "$TIME" -f '%U %S %e' -o "$wcpu" "${cmd[@]}" >"$wout" 2>&1
			rc=$?
		fi
		t1=$(now)
	fi
	[ $rc = 0 ] || note "$w/$t run $rep: workload exited $rc: $(tail -2 "$wout" | tr '\n' ' ')"
	watch_stop
	others=$(sort -u "$p.others" 2>/dev/null | tr '\n' ' ')
	dist=0
	if [ -n "$others" ]; then
		note "$w/$t run $rep: another perf/pftrace ran during the workload: $others"
		dist=1
	fi
	put "$w" "$t" disturbed "$dist"
	# wall: syscall_loop's own loop time; the chain: its fixed run, from time
	case $w in
	S2) v=$(sed -n 's/.*elapsed=\([0-9.]*\).*/\1/p' "$wout" | head -1)
	    [ -n "$v" ] && v=$(awk -v v="$v" 'BEGIN { printf "%.3f", v }') ;;
	*) v=$(wall_of "$wcpu") ;;
	esac
	[ -n "$v" ] || v=$(fsub "$t1" "$t0")
	put "$w" "$t" wall "$v"
	put "$w" "$t" wlcpu "$(cpu_of "$wcpu")"
	if [ "$t" = none ]; then
		ROUND[$w,none,$rep]="$v $dist"
		say "stacks:   $w none run $rep: wall ${v}s"
		return
	fi
	ROUND[$w,$t,$rep]="$v $dist"

	kill -0 "$CPID" 2>/dev/null || [ "$SCOPE" = pid ] ||
		note "$w/$t run $rep: tracer died during the workload: $(tail -3 "$err" | tr '\n' ' ')"
	stop_tracer 3
	stop_notes "$w/$t run $rep" ": $(grep -v '^ ' "$err" | tail -2 | tr '\n' ' ')"
	put "$w" "$t" stop "$STOP_S"
	put "$w" "$t" cpu "$(cpu_of "$cpu")"
	put "$w" "$t" bytes "$(filesize "$out")"
	case $t in
	perf)
		read -r smp lost < <(perf_counts "$out")
		label=$("$PERF" evlist -i "$out" 2>/dev/null | grep -v '^dummy' | head -1)
		;;
	pftrace)
		read -r smp lost label < <(pftrace_counts "$err")
		grep -q 'DWARF unwinding is not available' "$err" &&
			note "pftrace: this build has no DWARF unwinding (frame pointers used)"
		;;
	esac
	EVENT[$t]=${label:-?}
	put "$w" "$t" samples "$smp"
	put "$w" "$t" lost "$lost"
	msg="$w $t run $rep: wall ${v}s samples $smp lost $lost bytes $(filesize "$out") rec_cpu $(cpu_of "$cpu")s stop ${STOP_S}s"

	if [ "$w" = S1 ]; then
		# post-processing: the symbolized stacks, as each tracer gives them
		pt0=$(now)
		case $t in
		perf)
			"$TIME" -f '%U %S %e' -o "$p.post" "$PERF" script "${PERF_SCRIPT_ARGS[@]}" -i "$out" -F comm,ip,sym \
				>"$p.script" 2>"$p.posterr"
			rc=$?
			post_wall=$(fsub "$(now)" "$pt0")
			fold_perf "$p.script" >"$p.folded"
			[ "$KEEP" = 1 ] || rm -f "$p.script"
			;;
		pftrace)
			"$TIME" -f '%U %S %e' -o "$p.post" "$PFTRACE" dump --folded "$out" \
				>"$p.folded" 2>"$p.posterr"
			rc=$?
			post_wall=$(fsub "$(now)" "$pt0")
			;;
		esac
		[ $rc = 0 ] || note "$w/$t run $rep: post-processing exited $rc: $(grep -v '^Command' "$p.posterr" | tail -2 | tr '\n' ' ')"
		post_cpu=$(cpu_of "$p.post")
		read -r tot ws full < <(chain_stats "$p.folded" "$COMM")
		put "$w" "$t" post_cpu "$post_cpu"
		put "$w" "$t" post_wall "$post_wall"
		put "$w" "$t" total_cpu "$(awk -v a="$(cpu_of "$cpu")" -v b="$post_cpu" 'BEGIN { if (a != "" && b != "") printf "%.2f", a + b }')"
		put "$w" "$t" wl_samples "$ws"
		put "$w" "$t" folded_samples "$tot"
		# captured: the workload's samples against its CPU time x frequency
		put "$w" "$t" captured "$(awk -v s="$ws" -v c="$(cpu_of "$wcpu")" -v f="$FREQ" 'BEGIN { if (c + 0 > 0) printf "%.1f", 100 * s / (c * f) }')"
		put "$w" "$t" full "$(awk -v a="$full" -v b="$ws" 'BEGIN { if (b + 0 > 0) printf "%.1f", 100 * a / b }')"
		msg+=" | post cpu ${post_cpu}s wall ${post_wall}s | $COMM samples $ws, main;a;b;c $full"
	fi
	say "stacks:   $msg"
	[ "$KEEP" = 1 ] || rm -f "$out" "$p.folded"
	sync
}

# --- main ----------------------------------------------------------------------
declare -A EVENT ROUND
say "stacks: $(nproc) CPUs, kernel $(uname -r), scope $SCOPE, -F $FREQ, dwarf $STACK B, ring ${BUF_MB} MiB/CPU, $RUNS runs, tracers: ${run_tracers[*]}"
[ $have_perf = 1 ] && say "stacks: $("$PERF" --version)"
START=$(now)
LOAD_BEFORE=$(loadavg)
note_busy before
BUSY_BEFORE=$BUSY
OTHERS_BEFORE=$(other_tracers)
[ -n "$OTHERS_BEFORE" ] && note "other tracers were running before the run: $OTHERS_BEFORE"
[ "$PFT_MORE" = 1 ] &&
	note "pftrace also records its default sched/irq tracepoints ('--no-sched --no-irq' is refused: nothing to record); perf records only the samples"

# Interleaved, and each round starts one column further on, so neither drift
# nor the position in a round favours a column.
for rep in $(seq "$RUNS"); do
	for w in "${run_workloads[@]}"; do
		[ "$rep" = 1 ] && say "stacks: $w = $(workload_desc "$w")"
		cols=("${run_tracers[@]}")
		[ "$w" = S2 ] && cols=(none "${run_tracers[@]}")
		k=$(((rep - 1) % ${#cols[@]}))
		for t in "${cols[@]:k}" "${cols[@]:0:k}"; do
			measure "$w" "$t" "$rep"
		done
	done
done

# slowdown: each traced run against the untraced run of its own round (drift
# between rounds, e.g. other work starting or stopping, cancels out)
for w in "${run_workloads[@]}"; do
	[ "$w" = S2 ] || continue
	for rep in $(seq "$RUNS"); do
		read -r bv bd <<<"${ROUND[$w,none,$rep]:--- 1}"
		for t in "${run_tracers[@]}"; do
			[ -n "${ROUND[$w,$t,$rep]:-}" ] || continue
			read -r tv td <<<"${ROUND[$w,$t,$rep]}"
			put "$w" "$t" slow "$(ratio "$tv" "$bv")"
			put "$w" "$t" slowdist $((td | bd))
		done
	done
done

LOAD_AFTER=$(loadavg)
note_busy after
BUSY_AFTER=$BUSY

# --- report ------------------------------------------------------------------
echo
echo "pftrace stack-sampling benchmark: $RUNS runs; $(nproc) CPUs; kernel $(uname -r)"
[ $have_perf = 1 ] && "$PERF" --version
echo "load average before: $LOAD_BEFORE (busy ${BUSY_BEFORE}% over 1 s); after: $LOAD_AFTER (busy ${BUSY_AFTER}%)"
printf 'both tracers: -F %s, DWARF user stacks (%s B copied per sample), %s MiB ring per CPU, ' "$FREQ" "$STACK" "$BUF_MB"
if [ "$SCOPE" = system ]; then
	echo "system-wide (the workload runs on its own)"
else
	echo "attached to the workload (-p PID)"
fi
[[ " ${run_tracers[*]} " == *" perf "* ]] &&
	echo "  perf:    perf record $([ "$PERF_BUILDID" = 1 ] || echo '-B ')$([ "$SCOPE" = system ] && echo '-a ' || echo '-p PID ')-F $FREQ --call-graph dwarf,$STACK -m $PERF_PAGES [event ${EVENT[perf]:-?}]; post: perf script ${PERF_SCRIPT_ARGS[*]:+${PERF_SCRIPT_ARGS[*]} }-F comm,ip,sym (folded with awk, not timed)"
[[ " ${run_tracers[*]} " == *" pftrace "* ]] &&
	echo "  pftrace: pftrace record $([ "$SCOPE" = pid ] && echo '-p PID ')-F $FREQ --call-graph dwarf,$STACK --buffer-size ${BUF_MB}M --no-offcpu${PFT_EXTRA[*]:+ ${PFT_EXTRA[*]}} [${EVENT[pftrace]:-?}]$([ "$PFT_MORE" = 1 ] && echo ', plus sched/irq tracepoints'); post: pftrace dump --folded"
echo "rec_cpu: the tracer's own user+sys CPU while recording (incl. its shutdown); post: CPU (wall) of the post-processing"
echo "(CPU times have GNU time's 10 ms resolution);"
echo "total = rec_cpu + post CPU; lost: records the kernel dropped; wl_samples: the workload's samples in the folded output;"
echo "captured: those against the workload's CPU time x $FREQ Hz; main;a;b;c: share of them whose stack holds the whole chain"
echo "slowdown: median over the rounds of wall / the untraced wall of the same round (syscall_loop's own loop time)"
echo "every figure is the median (ranges: min-max) of the runs in which no other perf/pftrace process was seen while"
echo "the workload ran (of all runs when none was quiet); others: in how many runs one was seen"

for w in "${run_workloads[@]}"; do
	echo
	echo "$w: $(workload_desc "$w")"
	case $w in
	S1)
		printf '%-8s %9s %7s %11s %8s %7s %15s %8s %10s %9s %10s %7s\n' tracer samples lost out_bytes \
			rec_cpu stop_s "post_cpu(wall)" total "wl_samples" captured "main;a;b;c" others
		for t in "${run_tracers[@]}"; do
			printf '%-8s %9s %7s %11s %8s %7s %15s %8s %10s %9s %10s %7s\n' "$t" \
				"$(fmt "$(get S1 "$t" samples)")" "$(fmt "$(get S1 "$t" lost)")" \
				"$(fmt "$(get S1 "$t" bytes)")" "$(fmt "$(get S1 "$t" cpu)")" \
				"$(fmt "$(get S1 "$t" stop)")" \
				"$(fmt "$(get S1 "$t" post_cpu)")($(fmt "$(get S1 "$t" post_wall)"))" \
				"$(fmt "$(get S1 "$t" total_cpu)")" "$(fmt "$(get S1 "$t" wl_samples)")" \
				"$(fmt "$(get S1 "$t" captured)")%" "$(fmt "$(get S1 "$t" full)")%" \
				"$(disturbed S1 "$t")"
		done
		;;
	S2)
		base=$(get S2 none wall)
		printf '%-8s %8s %12s %9s %12s %9s %7s %11s %8s %7s %7s\n' tracer wall_s wall_range slowdown slow_range \
			samples lost out_bytes rec_cpu stop_s others
		printf '%-8s %8s %12s %9s %12s %9s %7s %11s %8s %7s %7s\n' none "$(fmt "$base")" "$(range S2 none wall)" \
			1.00x - - - - - - "$(disturbed S2 none)"
		for t in "${run_tracers[@]}"; do
			s=$(get S2 "$t" slow)
			[ -n "$s" ] && s="${s}x"
			printf '%-8s %8s %12s %9s %12s %9s %7s %11s %8s %7s %7s\n' "$t" "$(fmt "$(get S2 "$t" wall)")" \
				"$(range S2 "$t" wall)" "$(fmt "$s")" "$(range S2 "$t" slow)" "$(fmt "$(get S2 "$t" samples)")" \
				"$(fmt "$(get S2 "$t" lost)")" "$(fmt "$(get S2 "$t" bytes)")" \
				"$(fmt "$(get S2 "$t" cpu)")" "$(fmt "$(get S2 "$t" stop)")" "$(disturbed S2 "$t")"
		done
		;;
	esac
done

if [[ " ${run_tracers[*]} " == *" perf "* && " ${run_tracers[*]} " == *" pftrace "* ]]; then
	echo
	echo "pftrace vs perf (ratio = pftrace / perf; below 1 favours pftrace, except for main;a;b;c and captured):"
	line() { # label pftrace perf [unit]
		printf '  %-44s %10s %10s  %s\n' "$1" "$(fmt "$2")${4:-}" "$(fmt "$3")${4:-}" "$(ratio "$2" "$3")"
	}
	printf '  %-44s %10s %10s  %s\n' "" pftrace perf ratio
	if [[ " ${run_workloads[*]} " == *" S1 "* ]]; then
		line "S1 total CPU for symbolized stacks (s)" "$(get S1 pftrace total_cpu)" "$(get S1 perf total_cpu)"
		line "S1   recording CPU (s)" "$(get S1 pftrace cpu)" "$(get S1 perf cpu)"
		line "S1   post-processing CPU (s)" "$(get S1 pftrace post_cpu)" "$(get S1 perf post_cpu)"
		line "S1   post-processing wall (s)" "$(get S1 pftrace post_wall)" "$(get S1 perf post_wall)"
		line "S1 samples lost" "$(get S1 pftrace lost)" "$(get S1 perf lost)"
		line "S1 output bytes" "$(get S1 pftrace bytes)" "$(get S1 perf bytes)"
		line "S1 workload samples captured (%)" "$(get S1 pftrace captured)" "$(get S1 perf captured)"
		line "S1 main;a;b;c share (%)" "$(get S1 pftrace full)" "$(get S1 perf full)"
	fi
	if [[ " ${run_workloads[*]} " == *" S2 "* ]]; then
		line "S2 syscall_loop slowdown (x)" "$(get S2 pftrace slow)" "$(get S2 perf slow)"
		line "S2 recording CPU (s)" "$(get S2 pftrace cpu)" "$(get S2 perf cpu)"
		line "S2 samples lost" "$(get S2 pftrace lost)" "$(get S2 perf lost)"
		line "S2 output bytes" "$(get S2 pftrace bytes)" "$(get S2 perf bytes)"
	fi
fi
report_end
