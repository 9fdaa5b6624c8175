#!/bin/sh
# e2e_markers: `record --markers`: sysdig tracer lines written to /dev/null
# and atrace/sysdig lines written to trace_marker become slices and counters,
# with exact counts; bad lines are counted; markers of processes outside the
# recording are not recorded; the C and Python helpers; nothing of pftrace's
# stays in tracefs however the recording ends.
. "${top_srcdir:?top_srcdir must be set}/tests/lib.sh"
require_root
if ! have_feature probes; then
	# most checks here write to /dev/null, the channel the probes plugin makes;
	# a build without libelf has trace_marker only (checked in the full builds)
	echo "pftrace built without libelf: no devnull channel, the markers are checked in full builds"
	exit 0
fi
setup_tmp
MC=$(fixture marker_c)

# the tracefs directory pftrace uses (it mounts it if needed: run once first)
"$PFTRACE" record --markers=trace_marker --no-stacks -o "$T/warm.pb" -- true 2>/dev/null
TFS=$(awk '$3 == "tracefs" { print $2; exit }' /proc/mounts)
[ -n "$TFS" ] || die "tracefs is not mounted after a recording"
TM="$TFS/trace_marker"
[ -e "$TFS/instances" ] || die "no $TFS/instances"

# slice_end lines named NAME on thread TID ("*" any) whose duration is at
# least MIN ns: "COUNT_ALL COUNT_AT_LEAST_MIN"
AWK_DUR='
function ns(d) {
	if (d ~ /ns$/) return d + 0
	if (d ~ /us$/) return d * 1000
	if (d ~ /ms$/) return d * 1000000
	return d * 1000000000
}'
slices_min()
{
	awk -v name="$2" -v tid="$3" -v min="$4" "$AWK_LIB$AWK_DUR"'
	parse() && EV == "slice_end" && arg("name") == name && (tid == "*" || TID == tid) {
		n++; if (ns(arg("dur")) >= min) m++ }
	END { print n + 0, m + 0 }' "$1"
}

# leftovers PID: what pftrace PID left in tracefs (instances, uprobes)
leftovers()
{
	ls -d "$TFS/instances/pftrace_$1" 2>/dev/null
	grep "pftrace_$1/" "$TFS/uprobe_events" 2>/dev/null
}

expect_clean()
{
	_left=$(leftovers "$1")
	if [ -n "$_left" ]; then
		fail "pftrace $1 left in tracefs: $_left"
	else
		echo "    ok: nothing of pftrace $1 left in tracefs (instance, uprobes)"
	fi
}

# 1. sysdig's shell example, N spans to /dev/null, each around a sleep
N=20
sub "sysdig spans to /dev/null under -- CMD: exactly $N slices, each >= the sleep"
record "$T/dn.err" --markers --no-stacks -o "$T/dn.pb" -- sh -c '
	echo $PPID > "$1/dn.ppid"
	i=0
	while [ $i -lt '$N' ]; do
		echo ">::website-latency::" > /dev/null
		sleep 0.02
		echo "<::website-latency::" > /dev/null
		i=$((i + 1))
	done' sh "$T"
if expect_record_ok "$T/dn.err" && dump_trace "$T/dn.pb" "$T/dn.txt"; then
	expect_eq "website-latency slices, all >= 20 ms" \
		"$(slices_min "$T/dn.txt" website-latency '*' 20000000)" "$N $N"
	expect_eq "slice_end lines of any other name" \
		"$(awk "$AWK_LIB"'parse() && EV == "slice_end" && arg("name") != "website-latency"' \
			"$T/dn.txt" | wc -l)" 0
	grep -q "markers: $N spans" "$T/dn.err" || fail "summary does not say $N spans"
	expect_clean "$(cat "$T/dn.ppid")"
fi

# 2. nested tags, IDs, args, JSON
sub "nested tags, IDs t/p/pp/number/empty, args, the JSON form"
record "$T/ids.err" --markers=devnull --no-stacks -o "$T/ids.pb" -- sh -c '
	echo $$ > "$1/ids.pid"; echo $PPID > "$1/ids.ppid"
	echo ">:t:req:user=ann,n=1:" > /dev/null
	sleep 0.01
	echo ">:t:req.db:table=t1:" > /dev/null
	sleep 0.01
	echo "<:t:req.db:rows=3:" > /dev/null
	echo "<:t:req::" > /dev/null
	for id in p pp 42 ""; do
		echo ">:$id:id$id::" > /dev/null
		echo "<:$id:id$id::" > /dev/null
	done
	echo "[\">\", 12, [\"js\", \"x\"], [{\"k\": \"v\"}]]" > /dev/null
	echo "[\"<\", 12, [\"js\", \"x\"]]" > /dev/null' sh "$T"
if expect_record_ok "$T/ids.err" && dump_trace "$T/ids.pb" "$T/ids.txt"; then
	pid=$(cat "$T/ids.pid")
	ppid=$(cat "$T/ids.ppid")
	expect_eq "req slices with user=ann n=1 id=$pid" \
		"$(ev_count "$T/ids.txt" slice_begin "$pid" name=req user=ann n=1 id="$pid")" 1
	expect_eq "req.db slices with table=t1" \
		"$(ev_count "$T/ids.txt" slice_begin "$pid" name=req.db table=t1)" 1
	expect_eq "req.db end carries rows=3" \
		"$(ev_count "$T/ids.txt" slice_end "$pid" name=req.db rows=3)" 1
	# req.db begins after req and ends before it, on the same thread track
	order=$(awk "$AWK_LIB"'parse() && TID == t && (arg("name") == "req" || arg("name") == "req.db") &&
		(EV == "slice_begin" || EV == "slice_end") { printf "%s:%s ", EV, arg("name") }' \
		t="$pid" "$T/ids.txt")
	expect_eq "order on the thread" "$order" \
		"slice_begin:req slice_begin:req.db slice_end:req.db slice_end:req "
	expect_eq "ID p: id=$pid" "$(ev_count "$T/ids.txt" slice_begin "$pid" name=idp id="$pid")" 1
	expect_eq "ID pp: id=$ppid" \
		"$(ev_count "$T/ids.txt" slice_begin "$pid" name=idpp id="$ppid")" 1
	expect_eq "ID 42" "$(ev_count "$T/ids.txt" slice_begin "$pid" name=id42 id=42)" 1
	expect_eq "empty ID: a slice without id" \
		"$(awk "$AWK_LIB"'parse() && EV == "slice_begin" && arg("name") == "id" &&
			arg("id") == "" ' "$T/ids.txt" | wc -l)" 1
	if have_feature markers-json; then
		expect_eq "JSON span js.x with k=v id=12" \
			"$(ev_count "$T/ids.txt" slice_begin "$pid" name=js.x k=v id=12)" 1
	else
		grep -q "2 JSON lines unsupported" "$T/ids.err" ||
			fail "without json-c the summary should count 2 JSON lines unsupported"
	fi
fi

# 3. atrace and sysdig lines to trace_marker
sub "atrace B/E, C, S/F and sysdig lines written to trace_marker"
record "$T/tm.err" --markers=trace_marker --no-stacks -o "$T/tm.pb" -- sh -c '
	echo $$ > "$1/tm.pid"
	i=0
	while [ $i -lt 10 ]; do
		echo "B|$$|at.work" > "$2"
		sleep 0.01
		echo "E|$$" > "$2"
		echo "C|$$|at.count|$i" > "$2"
		i=$((i + 1))
	done
	echo "S|$$|fetch|1" > "$2"; echo "S|$$|fetch|2" > "$2"
	echo "F|$$|fetch|1" > "$2"; echo "F|$$|fetch|2" > "$2"
	echo ">:t:tm.span::" > "$2"; sleep 0.01; echo "<:t:tm.span::" > "$2"' sh "$T" "$TM"
if expect_record_ok "$T/tm.err" && dump_trace "$T/tm.pb" "$T/tm.txt"; then
	pid=$(cat "$T/tm.pid")
	expect_eq "at.work slices >= 10 ms" "$(slices_min "$T/tm.txt" at.work "$pid" 10000000)" \
		"10 10"
	expect_eq "at.count counter values" \
		"$(awk "$AWK_LIB"'parse() && EV == "counter" && arg("name") == "at.count" {
			printf "%s ", arg("value") }' "$T/tm.txt")" "0 1 2 3 4 5 6 7 8 9 "
	expect_eq "async fetch slices" "$(slices_min "$T/tm.txt" fetch '*' 0)" "2 2"
	expect_eq "sysdig span through trace_marker" "$(slices_min "$T/tm.txt" tm.span "$pid" \
		10000000)" "1 1"
fi

# 3b. with --syscalls, a trace_marker span would not nest with the write()s that carry it
sub "trace_marker spans with --syscalls: on the thread's own track, every one whole"
record "$T/tms.err" --markers=trace_marker --syscalls --no-stacks -o "$T/tms.pb" -- sh -c '
	echo $$ > "$1/tms.pid"
	echo "B|$$|at.outer" > "$2"
	i=0
	while [ $i -lt 10 ]; do
		echo "B|$$|at.work" > "$2"
		sleep 0.01
		echo "E|$$" > "$2"
		i=$((i + 1))
	done
	echo "E|$$" > "$2"' sh "$T" "$TM"
if expect_record_ok "$T/tms.err" && dump_trace "$T/tms.pb" "$T/tms.txt"; then
	pid=$(cat "$T/tms.pid")
	expect_eq "at.work slices >= 10 ms" "$(slices_min "$T/tms.txt" at.work "$pid" 10000000)" \
		"10 10"
	expect_eq "at.outer slices >= 100 ms" "$(slices_min "$T/tms.txt" at.outer "$pid" 100000000)" \
		"1 1"
	expect_eq "slice events on the thread's 'markers' track" \
		"$(grep -c 'slice_.*track=thread:markers$' "$T/tms.txt")" 22
	expect_ge "write() calls recorded" "$(ev_count "$T/tms.txt" sys_enter "$pid" name=write)" 22
fi

# 4. bad input: unmatched ends, over 128 open per ID, garbage, 4 KiB lines
# (No long line goes to trace_marker here: on this 6.18 kernel a write to trace_marker
# sometimes reaches a copy_trace_marker instance holding the bytes of an earlier write of
# the same process -- "E|PID" again -- which no reader can tell from a real one: about one
# run in three for writes of 1 KiB or more, now and then for short ones.  A recording whose
# counts are off is made once more before it counts as a failure, as in sub-check 8.)
sub "unmatched ends, more than 128 open, garbage and 4 KiB lines: counted, never misparsed"
bad_counts_ok()
{
	grep -q "2 unmatched ends, 2 begins dropped (over 128 open per ID)" "$T/bad.err" &&
		grep -q "unfinished, 3 bad lines" "$T/bad.err"
}
for attempt in 1 2; do
	record "$T/bad.err" --markers --no-stacks -o "$T/bad.pb" -- sh -c '
	echo "<:t:nothing.open::" > /dev/null
	echo "E|$$" > "$1"
	i=0
	while [ $i -lt 130 ]; do echo ">:7:open$i::" > /dev/null; i=$((i + 1)); done
	echo ">:zz:bad.id::" > /dev/null
	echo ">:1:a..b::" > /dev/null
	echo "C|$$|x|notanumber" > "$1"
	long=$(printf "%04096d" 0)
	echo ">:1:long$long::" > /dev/null
	echo ">:t:after.garbage::" > /dev/null
	echo "<:t:after.garbage::" > /dev/null' sh "$TM"
	[ "$REC_STATUS" = 0 ] && [ "$attempt" = 1 ] && ! bad_counts_ok || break
	grep markers: "$T/bad.err" | sed 's/^/    | /'
	echo "    (the counts are off: recording once more)"
done
if expect_record_ok "$T/bad.err" && dump_trace "$T/bad.pb" "$T/bad.txt"; then
	grep markers: "$T/bad.err" | sed 's/^/    | /'
	grep -q "2 unmatched ends, 2 begins dropped (over 128 open per ID)" "$T/bad.err" ||
		fail "summary: expected 2 unmatched ends and 2 begins dropped"
	grep -q "unfinished, 3 bad lines" "$T/bad.err" ||
		fail "summary: expected 3 bad lines"
	expect_eq "after.garbage slices" "$(slices_min "$T/bad.txt" after.garbage '*' 0)" "1 1"
	expect_eq "open0..open127 closed at the end, unfinished" \
		"$(awk "$AWK_LIB"'parse() && EV == "slice_end" && arg("name") ~ /^open/ &&
			arg("unfinished") == "true"' "$T/bad.txt" | wc -l)" 128
fi

# 5. scope: a writer outside the recorded command is not recorded
sub "markers of a process outside the recording are not recorded"
sh -c 'while :; do echo ">:t:outside::" > /dev/null; echo ">:t:outside::" > "$1";
	echo "<:t:outside::" > /dev/null; echo "<:t:outside::" > "$1"; sleep 0.005; done' \
	sh "$TM" &
OUT_PID=$!
at_exit "kill_child $OUT_PID"
record "$T/sc.err" --markers --no-stacks -o "$T/sc.pb" -- sh -c '
	sleep 0.3; echo ">:t:inside::" > /dev/null; echo "<:t:inside::" > /dev/null'
kill_child "$OUT_PID"
if expect_record_ok "$T/sc.err" && dump_trace "$T/sc.pb" "$T/sc.txt"; then
	expect_eq "outside slices" "$(ev_count "$T/sc.txt" slice_end '*' name=outside)" 0
	expect_eq "inside slices" "$(ev_count "$T/sc.txt" slice_end '*' name=inside)" 1
	grep -q "trace_marker lines of processes not recorded" "$T/sc.err" ||
		fail "the summary does not count the outside writer's trace_marker lines"
fi

# 6. the C helper
sub "C helper (include/pftrace/marker.h)"
: >"$T/c.out"
PFTRACE_MARKER_FILE="$T/c.out" "$MC" 2 1 >/dev/null
expect_eq "lines written" "$(cat "$T/c.out" | sed 's/|[0-9]*|/|PID|/' | tr '\n' ' ')" \
	">:t:c.work:i=0: >:t:c.work.inner:: <:t:c.work.inner:: <:t:c.work:: C|PID|c.count|0 >:t:c.work:i=1: >:t:c.work.inner:: <:t:c.work.inner:: <:t:c.work:: C|PID|c.count|1 "
for ch in trace_marker devnull; do
	record "$T/c$ch.err" --markers=$ch --no-stacks -o "$T/c$ch.pb" -- sh -c '
		[ "$1" = devnull ] && export PFTRACE_MARKER_FILE=/dev/null
		exec "$2" 10 10 > "$3"' sh "$ch" "$MC" "$T/c$ch.used"
	if expect_record_ok "$T/c$ch.err" && dump_trace "$T/c$ch.pb" "$T/c$ch.txt"; then
		expect_eq "$ch: the helper wrote to" "$(cat "$T/c$ch.used")" "$ch"
		expect_eq "$ch: c.work slices >= 10 ms" \
			"$(slices_min "$T/c$ch.txt" c.work '*' 10000000)" "10 10"
		expect_eq "$ch: c.work.inner slices" \
			"$(slices_min "$T/c$ch.txt" c.work.inner '*' 10000000)" "10 10"
		expect_eq "$ch: c.work with i=3" \
			"$(ev_count "$T/c$ch.txt" slice_begin '*' name=c.work i=3)" 1
		want=10
		[ $ch = devnull ] && want=0	# counters go to trace_marker only
		expect_eq "$ch: c.count counter values" \
			"$(ev_count "$T/c$ch.txt" counter '*' name=c.count)" $want
	fi
done

# 7. the Python helper
sub "Python helper (python/pftrace_marker.py)"
if command -v python3 >/dev/null 2>&1; then
	: >"$T/py.out"
	PFTRACE_MARKER_FILE="$T/py.out" python3 "$top_srcdir/tests/fixtures/marker_py.py" 1 1 \
		>/dev/null
	expect_eq "lines written" "$(sed 's/|[0-9]*|/|PID|/' "$T/py.out" | tr '\n' ' ')" \
		">:t:py.work:i=0: >:t:py.inner:: <:t:py.inner:: <:t:py.work:: C|PID|py.count|0.0 >:t:py.fail:: <:t:py.fail:error=ValueError: "
	record "$T/py.err" --markers --no-stacks -o "$T/py.pb" -- \
		python3 "$top_srcdir/tests/fixtures/marker_py.py" 10 20
	if expect_record_ok "$T/py.err" && dump_trace "$T/py.pb" "$T/py.txt"; then
		expect_eq "py.work slices >= 20 ms" "$(slices_min "$T/py.txt" py.work '*' 20000000)" \
			"10 10"
		expect_eq "py.inner slices (decorator)" \
			"$(slices_min "$T/py.txt" py.inner '*' 10000000)" "10 10"
		expect_eq "py.fail with error=ValueError" \
			"$(ev_count "$T/py.txt" slice_end '*' name=py.fail error=ValueError)" 1
		n=$(ev_count "$T/py.txt" counter '*' name=py.count)
		if [ "$n" != 10 ]; then
			# the counters come through trace_marker alone, whose copy on this
			# 6.18 kernel now and then holds an earlier write's bytes (see
			# sub-check 5): one more recording before it counts as a failure
			echo "    (py.count counter values: $n, not 10: recording once more)"
			record "$T/py2.err" --markers --no-stacks -o "$T/py2.pb" -- \
				python3 "$top_srcdir/tests/fixtures/marker_py.py" 10 20
			expect_record_ok "$T/py2.err" && dump_trace "$T/py2.pb" "$T/py2.txt" &&
				n=$(ev_count "$T/py2.txt" counter '*' name=py.count)
		fi
		expect_eq "py.count counter values" "$n" 10
	fi
else
	echo "    (python3 is not installed: the Python helper is not run)"
fi

# 8. dump --spans
sub "pftrace dump --spans"
"$PFTRACE" dump --spans "$T/dn.pb" >"$T/spans.txt" 2>&1 || fail "dump --spans failed"
show "$T/spans.txt"
expect_eq "website-latency statistics" \
	"$(awk '$1 == "website-latency" && $2 == "count='$N'" && $3 ~ /^total=/ && $4 ~ /^p50=/ &&
		$5 ~ /^p95=/ && $6 ~ /^max=/' "$T/spans.txt" | wc -l)" 1

# 9. nothing left in tracefs: SIGINT, SIGTERM, an error
for sig in INT TERM; do
	sub "nothing left in tracefs after SIG$sig"
	bg_default_int "$PFTRACE" record --markers --no-stacks -o "$T/sig$sig.pb" -- \
		sh -c 'while :; do echo ">:t:loop::" >/dev/null; sleep 0.01; done' 2>"$T/sig$sig.err"
	pf=$BG_PID
	i=0
	while [ $i -lt 100 ] && [ -z "$(leftovers "$pf")" ]; do sleep 0.05; i=$((i + 1)); done
	[ -n "$(leftovers "$pf" | grep instances)" ] || fail "no instance while recording"
	[ -n "$(leftovers "$pf" | grep -v instances)" ] || fail "no uprobe while recording"
	sleep 0.3
	kill -$sig "$pf"
	wait "$pf" 2>/dev/null
	expect_clean "$pf"
done
sub "nothing left in tracefs after an error"
# (other pftraces may run alongside: only instances that appeared meanwhile count)
gone_instances() {
	for d in "$TFS"/instances/pftrace_*; do
		[ -d "$d" ] || continue
		p=${d##*_}
		[ -d "/proc/$p" ] || echo "$d"
	done
}
before=$(gone_instances)
record "$T/err.err" --markers -o "$T/err.pb" -- /nonexistent/command
[ "$REC_STATUS" != 0 ] || fail "a command that does not exist did not fail"
expect_eq "new instances of pftraces that are gone" \
	"$(gone_instances | grep -vxF -e "${before:-/none}")" ""

# 10. a stale instance of a pftrace that is gone is swept at start
sub "a stale instance of a gone pftrace is swept"
sh -c 'exit 0' &
gone=$!
wait $gone
mkdir "$TFS/instances/pftrace_$gone" || fail "cannot create a stale instance"
record "$T/sw.err" --markers=trace_marker --no-stacks -o "$T/sw.pb" -- true
expect_record_ok "$T/sw.err"
[ -d "$TFS/instances/pftrace_$gone" ] && { fail "stale instance not swept"; rmdir "$TFS/instances/pftrace_$gone"; }
grep -q "removed 1 tracefs instance" "$T/sw.err" && echo "    ok: stale instance pftrace_$gone swept and reported" ||
	fail "the sweep is not reported"

finish
