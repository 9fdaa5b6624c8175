#!/bin/bash
# SPDX-License-Identifier: MIT
#
# bench/markers.sh: the cost of one marker write() as the writing program sees
# it, side by side in one run (as root, from the build directory):
#   bare /dev/null        write() of a sysdig line to /dev/null, no pftrace
#   bare trace_marker     write() to tracefs trace_marker, no pftrace
#   trace_marker channel  the same under `pftrace record --markers=trace_marker -- ...`
#   devnull channel       /dev/null under `pftrace record --markers=devnull -- ...`
#   devnull, other write  a write() that is no marker, under the devnull channel
#                         (what every write() of a recorded process pays)
# Each is the median of BENCH_RUNS runs (default 5) of marker_loop's mean
# ns/write over N writes (BENCH_N, default 100000; the devnull channel 20000),
# in the writer's CPU time (user + kernel, the uprobe trap included), so that
# other load on the machine does not count.
# Compare with sysdig's claim of "< 1 us" per marker.
set -u
PROG=markers
B=${top_builddir:-.}
PFTRACE=${PFTRACE:-$B/pftrace}
LOOP=${MARKER_LOOP:-$B/bench/marker_loop}
RUNS=${BENCH_RUNS:-5}
N=${BENCH_N:-100000}
ND=${BENCH_N_DEVNULL:-20000}

[ "$(id -u)" = 0 ] || { echo "$PROG: must run as root" >&2; exit 1; }
[ -x "$LOOP" ] || { echo "$PROG: $LOOP not built (make bench/marker_loop)" >&2; exit 1; }
TMP=$(mktemp -d /tmp/pftrace-markers.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
"$PFTRACE" record --no-stacks --markers=trace_marker -o "$TMP/warm.pb" -- true 2>/dev/null
TFS=$(awk '$3 == "tracefs" { print $2; exit }' /proc/mounts)
TM=$TFS/trace_marker

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# run NAME CMD...: RUNS times, the median ns/write; pftrace's summary kept
run() {
	local name=$1 i
	shift
	for i in $(seq "$RUNS"); do
		"$@" 2>>"$TMP/$name.err"
	done | median
}

bare_dn=$(run bare_dn "$LOOP" /dev/null "$N")
bare_tm=$(run bare_tm "$LOOP" "$TM" "$N")
tm=$(run tm "$PFTRACE" record -q --no-stacks --markers=trace_marker -o "$TMP/tm.pb" -- \
	"$LOOP" "$TM" "$N")
dn=$(run dn "$PFTRACE" record -q --no-stacks --markers=devnull -o "$TMP/dn.pb" -- \
	"$LOOP" /dev/null "$ND")
dn_other=$(run dno "$PFTRACE" record -q --no-stacks --markers=devnull -o "$TMP/dno.pb" -- \
	"$LOOP" /dev/null "$ND" "an ordinary line")

# the last recordings: how many markers made it into the trace
spans() { "$PFTRACE" dump --spans "$1" 2>/dev/null | awk '$1 == "bench" { sub("count=", "", $2); print $2 }'; }

printf '%-34s %10s   %s\n' "marker write()" "ns/write" "vs sysdig's < 1 us"
row() { printf '%-34s %10s   %s\n' "$1" "$2" "$(awk -v v="$2" 'BEGIN { printf "%.2fx", v / 1000 }')"; }
row "bare /dev/null (no pftrace)" "$bare_dn"
row "bare trace_marker (no pftrace)" "$bare_tm"
row "trace_marker channel" "$tm"
row "devnull channel" "$dn"
row "devnull channel, a non-marker write" "$dn_other"
echo "spans in the last traces: trace_marker $(spans "$TMP/tm.pb")/$((N / 2)), devnull $(spans "$TMP/dn.pb")/$((ND / 2))"
echo "machine: $(nproc) CPUs, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
