# shellcheck shell=bash
# SPDX-License-Identifier: MIT
#
# bench/lib.sh: what bench/run.sh and bench/stacks.sh share.  Sourced, not run.
#
# The script sets, before sourcing:
#   PROG          prefix of its messages on stderr ("bench", "stacks")
# and, before calling the functions that use them:
#   PFTRACE PERF TRACERS KEEP STOP_TIMEOUT TIME   (see the scripts' headers)
#   have_perf have_pftrace                        (0 or 1)
# Optional hook: cleanup_extra, called on exit before the temporary directory
# goes (to kill the script's own background processes).
#
# shellcheck disable=SC2154 # the globals above are set by the script
# shellcheck disable=SC2034 # TPID, STOP_* etc. are read by the script

say() { printf '%s\n' "$*" >&2; }
die() { say "$PROG: $*"; exit 1; }

NOTES=()
note() { NOTES+=("$*"); say "$PROG: note: $*"; }

# --- preconditions -----------------------------------------------------------
need_root() { # WHY
	[ "$(id -u)" = 0 ] || die "must run as root ($1)"
}
need_tracefs() {
	if [ ! -d /sys/kernel/tracing/events ]; then
		mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null ||
			die "tracefs is not mounted and 'mount -t tracefs nodev /sys/kernel/tracing' failed"
	fi
}
need_gnu_time() {
	if [ ! -x "$TIME" ]; then
		if command -v apt-get >/dev/null; then
			say "$PROG: installing GNU time"
			apt-get install -y -qq time >/dev/null 2>&1
		fi
		[ -x "$TIME" ] || die "$TIME (GNU time) is needed: apt-get install time"
	fi
}

# make_tmp NAME: TMP = a new /tmp/NAME.XXXXXX, removed on exit (unless KEEP=1)
# along with any tracer still running.
make_tmp() {
	TMP=$(mktemp -d "/tmp/$1.XXXXXX") || die "mktemp failed"
	trap cleanup EXIT
	trap 'exit 130' INT TERM
}
cleanup() {
	[ -n "${CPID:-}" ] && kill -KILL "$CPID" 2>/dev/null
	declare -F cleanup_extra >/dev/null && cleanup_extra
	if [ "$KEEP" = 1 ]; then say "$PROG: outputs kept in $TMP"; else rm -rf "$TMP"; fi
}

# probe_perf PERF_RECORD_ARGS...: have_perf = 1 if perf can record that
# system-wide here
probe_perf() {
	have_perf=0
	if command -v "$PERF" >/dev/null 2>&1 &&
		"$PERF" record -q -a "$@" -o "$TMP/probe.data" -- true >/dev/null 2>&1; then
		have_perf=1
	fi
	rm -f "$TMP/probe.data"
}

# pick_tracers ALLOW_NONE PERF_WHAT: run_tracers = the tracers of $TRACERS
# that can run here ("none", the untraced column, only where ALLOW_NONE is 1);
# PERF_WHAT goes into the note when perf cannot.
pick_tracers() {
	local t
	run_tracers=()
	for t in $TRACERS; do
		case $t in
		none)
			[ "$1" = 1 ] || die "unknown tracer '$t'"
			run_tracers+=(none) ;;
		perf)
			if [ "$have_perf" = 1 ]; then run_tracers+=(perf)
			else note "perf not usable ('$PERF'$2): perf column skipped"; fi ;;
		pftrace)
			if [ "$have_pftrace" = 1 ]; then run_tracers+=(pftrace)
			else note "$PFTRACE not found: pftrace column skipped"; fi ;;
		*) die "unknown tracer '$t'" ;;
		esac
	done
}

# --- helpers -----------------------------------------------------------------
now() { echo "$EPOCHREALTIME"; }
fsub() { awk -v a="$1" -v b="$2" -v d="${3:-3}" 'BEGIN { printf "%." d "f", a - b }'; } # A B [DECIMALS]
median() { # values...; "" when none numeric
	printf '%s\n' "$@" | awk '/^-?[0-9.]+([eE][-+]?[0-9]+)?$/' | sort -g |
		awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'
}
filesize() { stat -c %s "$1" 2>/dev/null || echo ""; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "-"; else printf "%.2f", a / b }'; }
fmt() { [ -n "$1" ] && echo "$1" || echo "-"; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
busy_pct() { # CPU use of the whole machine over 1 s
	local a b
	a=$(head -1 /proc/stat)
	sleep 1
	b=$(head -1 /proc/stat)
	awk -v a="$a" -v b="$b" 'BEGIN {
		na = split(a, x); split(b, y)
		for (i = 2; i <= na; i++) { d = y[i] - x[i]; t += d; if (i == 5 || i == 6) idle += d }
		printf "%.0f", t ? 100 * (t - idle) / t : 0 }'
}
# note_busy before|after: BUSY = busy_pct, noted when above 10%
note_busy() {
	BUSY=$(busy_pct)
	[ "$BUSY" -gt 10 ] || return 0
	case $1 in
	before) note "the machine was ${BUSY}% busy before the run: other work skews every column" ;;
	*) note "the machine was ${BUSY}% busy after the run: other work may have skewed every column" ;;
	esac
}

# Results: R[workload,tracer,metric] = "v1 v2 v3", one word per run ("-" when
# unknown), aligned with R[...,disturbed] where the script records it (1: the
# run was disturbed; for the slowdown, R[...,slowdist]).
declare -A R
put() { R[$1,$2,$3]="${R[$1,$2,$3]:-} ${4:--}"; }
# the values of the quiet runs, one a line; of all runs when none was quiet
# (or none is marked)
vals() {
	local -a v d
	local i flags=disturbed q=()
	[ "$3" = slow ] && flags=slowdist
	read -r -a v <<<"${R[$1,$2,$3]:-}"
	read -r -a d <<<"${R[$1,$2,$flags]:-}"
	for i in "${!v[@]}"; do
		[ "${d[$i]:-1}" = 0 ] && q+=("${v[$i]}")
	done
	[ ${#q[@]} -gt 0 ] || q=("${v[@]}")
	[ ${#q[@]} -gt 0 ] && printf '%s\n' "${q[@]}"
}
# shellcheck disable=SC2046 # split on purpose
get() { median $(vals "$@"); }
range() { # "min-max" of the same runs, to show the noise behind a median
	vals "$@" | awk '/^[0-9.]+$/ { if (n++ == 0 || $1 < lo) lo = $1; if ($1 > hi) hi = $1 }
		END { if (n) printf "%.2f-%.2f", lo, hi; else print "-" }'
}

# perf: "events lost" -- SAMPLE records, and the kernel's lost counts
# (per-event LOST_SAMPLES written by perf record at the end, summed; else the
# LOST records' count).
perf_counts() {
	"$PERF" report --stats -i "$1" 2>/dev/null | awk '
		/ stats:$/ && !/^Aggregated/ { per = 1; next }
		!per && /^ *SAMPLE events:/ { ev = $3 }
		!per && /^ *LOST events:/ { lostrec = $3 }
		per && /^ *LOST_SAMPLES events:/ { lost += $3; havels = 1 }
		END { if (!havels && lostrec) lost = "?" lostrec; print ev + 0, lost + 0 }'
}

# --- tracer start/stop -------------------------------------------------------
# await_tracer TRACER ERR PID_TRIES READY_TRIES, right after the script has
# started the tracer in the background under GNU time: sets TPID (time) and
# CPID (the tracer itself, the one that gets SIGINT), waits until it is ready
# (pftrace says "recording" on stderr; perf says nothing, give it 1 s).
# TRACER_NOREADY = 1 when pftrace did not say so in time.  Non-zero if the
# tracer died.
await_tracer() {
	local t=$1 err=$2 i
	TPID=$!
	CPID=""
	TRACER_NOREADY=0
	for i in $(seq "$3"); do
		CPID=$(pgrep -P "$TPID" | head -1)
		[ -n "$CPID" ] && break
		sleep 0.02
	done
	[ -n "$CPID" ] || return 1
	case $t in
	perf) sleep 1 ;;
	pftrace)
		for i in $(seq "$4"); do
			grep -qi recording "$err" && break
			kill -0 "$CPID" 2>/dev/null || break
			sleep 0.1
		done
		[ "$i" = "$4" ] && TRACER_NOREADY=1
		;;
	esac
	kill -0 "$CPID" 2>/dev/null
}

# stop_tracer [DECIMALS]: SIGINT the tracer (if it did not stop with its
# target) and wait for it; STOP_RC = its exit status, STOP_S = seconds from
# SIGINT to exit, STOP_KILLED = 1 if it had to be killed after STOP_TIMEOUT.
stop_tracer() {
	local t0
	t0=$(now)
	kill -INT "$CPID" 2>/dev/null
	for _ in $(seq $((STOP_TIMEOUT * 50))); do
		kill -0 "$TPID" 2>/dev/null || break
		sleep 0.02
	done
	STOP_KILLED=0
	if kill -0 "$TPID" 2>/dev/null; then
		kill -KILL "$CPID" 2>/dev/null
		STOP_KILLED=1
	fi
	wait "$TPID" 2>/dev/null
	STOP_RC=$?
	STOP_S=$(fsub "$(now)" "$t0" "${1:-3}")
	CPID=""
}
# stop_notes WHAT DETAIL: notes for a tracer that stop_tracer did not see end
# cleanly (DETAIL follows the exit status)
stop_notes() {
	case $STOP_RC in
	0 | 130) ;; # 130: GNU time's code for a child ended by SIGINT
	*) note "$1: tracer exit status $STOP_RC$2" ;;
	esac
	if [ "$STOP_KILLED" = 1 ]; then
		note "$1: tracer did not stop within ${STOP_TIMEOUT}s of SIGINT; killed"
	fi
}

# --- report ------------------------------------------------------------------
# the notes, then the time since START
report_end() {
	if [ ${#NOTES[@]} -gt 0 ]; then
		echo
		echo "notes:"
		printf '  - %s\n' "${NOTES[@]}"
	fi
	echo
	echo "total bench time: $(awk -v s="$(fsub "$(now)" "$START" 6)" 'BEGIN { printf "%.0f", s }') s"
}
