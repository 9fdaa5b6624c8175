#!/bin/bash
# SPDX-License-Identifier: MIT
#
# bench/churn.sh: a long system-wide recording under process churn, with
# pftrace's memory sampled over time.  The workload, for SECS seconds:
#   - processes: batches of short-lived processes (true, env, sh -c), some
#     renaming themselves (task_rename) before they exit: thousands a minute;
#   - threads: a python3 process (if there is one) starting short-lived
#     threads that rename themselves through /proc/self/task/TID/comm;
#   - a steady system call load (dd with small blocks, paced).
# pftrace runs as `pftrace record --syscalls -v` (plus BENCH_PFTRACE_ARGS);
# VmRSS of the recorder is sampled every BENCH_RSS_EVERY seconds.  At the end
# the summary's counts are compared with the trace's (`pftrace dump --no-stacks`):
# each tracepoint's recorded events, and the stacks' samples.
#
#   bench/churn.sh [SECS]           # as root, in the build directory; default 600
#   bench/churn.sh --workload SECS  # only the workload (to record it by hand)
#
# Environment: PFTRACE=./pftrace BENCH_RSS_EVERY=10 BENCH_PFTRACE_ARGS=
# BENCH_KEEP=0 (1: keep the trace and logs).
set -u

PFTRACE=${PFTRACE:-./pftrace}
EVERY=${BENCH_RSS_EVERY:-10}
PFT_ARGS=${BENCH_PFTRACE_ARGS:-}
KEEP=${BENCH_KEEP:-0}

say() { printf '%s\n' "$*" >&2; }

# --- the workload --------------------------------------------------------------
churn_procs() { # until $1 (epoch seconds)
	local i
	while [ "$(date +%s)" -lt "$1" ]; do
		for i in 1 2 3 4 5 6 7 8; do
			true &
			/bin/true &
			env >/dev/null &
			sh -c 'echo "churn$$" > /proc/self/comm; :' &
		done
		wait
	done
}
churn_threads() { # until $1
	command -v python3 >/dev/null 2>&1 || return 0
	python3 - "$1" <<'EOF'
import sys, threading, time
end = float(sys.argv[1])
def work(i):
    try:
        with open("/proc/self/task/%d/comm" % threading.get_native_id(), "w") as f:
            f.write("thr%d" % (i % 100000))
    except OSError:
        pass
    time.sleep(0.001)
i = 0
while time.time() < end:
    ts = [threading.Thread(target=work, args=(i + k,)) for k in range(16)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    i += 16
EOF
}
churn_syscalls() { # until $1
	while [ "$(date +%s)" -lt "$1" ]; do
		dd if=/dev/zero of=/dev/null bs=64 count=20000 status=none
		sleep 0.05
	done
}
workload() { # SECS
	local end=$(($(date +%s) + $1))
	churn_procs "$end" &
	churn_threads "$end" &
	churn_syscalls "$end" &
	wait
}

if [ "${1:-}" = --workload ]; then
	workload "${2:-600}"
	exit 0
fi

# --- the recording -------------------------------------------------------------
SECS=${1:-600}
[ "$(id -u)" = 0 ] || { say "churn: must run as root"; exit 1; }
[ -x "$PFTRACE" ] || { say "churn: $PFTRACE not found"; exit 1; }
TMP=$(mktemp -d /tmp/pftrace-churn.XXXXXX) || exit 1
PID=""
cleanup() {
	[ -n "$PID" ] && kill -KILL "$PID" 2>/dev/null
	if [ "$KEEP" = 1 ]; then say "churn: outputs kept in $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# shellcheck disable=SC2086 # PFT_ARGS: words on purpose
"$PFTRACE" record --syscalls -v $PFT_ARGS -o "$TMP/churn.pb" 2>"$TMP/record.err" &
PID=$!
for _ in $(seq 50); do
	grep -q recording "$TMP/record.err" && break
	sleep 0.1
done
kill -0 "$PID" 2>/dev/null || { cat "$TMP/record.err" >&2; exit 1; }
say "churn: $SECS s of churn, pftrace pid $PID, load $(cut -d' ' -f1-3 /proc/loadavg)"
workload "$SECS" &
WL=$!
T0=$(date +%s)
echo "t_s rss_kib load1"
while kill -0 "$WL" 2>/dev/null; do
	printf '%s %s %s\n' $(($(date +%s) - T0)) \
		"$(awk '/^VmRSS:/ { print $2 }' "/proc/$PID/status" 2>/dev/null)" \
		"$(cut -d' ' -f1 /proc/loadavg)"
	for _ in $(seq "$EVERY"); do
		kill -0 "$WL" 2>/dev/null || break
		sleep 1
	done
done
printf '%s %s %s\n' $(($(date +%s) - T0)) \
	"$(awk '/^VmRSS:/ { print $2 }' "/proc/$PID/status" 2>/dev/null)" "$(cut -d' ' -f1 /proc/loadavg)"
kill -INT "$PID"
wait "$PID"
rc=$?
PID=""
echo
grep -v '^pftrace: recording' "$TMP/record.err"
summary=$(awk '/recorded .* events/ { for (i = 2; i <= NF; i++) if ($i ~ /^events/) print $(i - 1) }' \
	"$TMP/record.err")
"$PFTRACE" dump --no-stacks "$TMP/churn.pb" 2>"$TMP/dump.err" |
	awk '{ n[$4]++ } END { for (k in n) print k, n[k] }' >"$TMP/dump.counts"
echo "churn: exit $rc; summary: ${summary:-?} events; $(stat -c %s "$TMP/churn.pb") bytes"
[ -s "$TMP/dump.err" ] && head -3 "$TMP/dump.err"
# The summary's counts against the trace's: each tracepoint's "recorded" column with
# the dump's lines of that event, the stacks' samples with the dump's sample lines.
awk 'FNR == NR { dump[$1] = $2; next }
	/^  [a-z_]+:[a-z_]+ +[0-9]+ +[0-9]+$/ {
		split($1, p, ":"); kinds++; want = $2; got = dump[p[2]] + 0
		if (got != want) { bad++; printf "churn: %s: summary %d, trace %d\n", $1, want, got }
		total += want
	}
	/^  stacks .* samples$/ { samples += $(NF - 1) }
	END {
		got = dump["sample"] + 0
		if (got != samples) { bad++; printf "churn: samples: summary %d, trace %d\n", samples, got }
		printf "churn: summary vs trace: %d event kinds (%d events) and %d samples: %s\n",
			kinds, total, samples, bad ? bad " differ" : "all equal"
	}' "$TMP/dump.counts" "$TMP/record.err"
exit 0
