#!/bin/sh
# e2e_spans: slices from start/end probes (--span, --spans FILE, systing's
# --trace-event-config, the ready-made --span pthread_mutex) over the spanner
# fixture: N slices of a sleeping function, each at least the sleep; a span
# keyed by a request id across two threads as async slices on a process
# track; nested starts; unmatched ENDs counted, never invented; a START open
# at the end closed with unfinished=true.
. "${top_srcdir:?top_srcdir must be set}/tests/lib.sh"
require_root
if ! have_feature elf-symbols; then
	echo "pftrace built without libelf: no probes plugin, no probe spans to test"
	exit 0
fi
setup_tmp
S=$(fixture spanner)

# slices DUMP NAME TID: "B" for each slice_begin and "E" for each slice_end
# of NAME whose track belongs to TID, in trace order, on one line.
slices()
{
	awk -v name="$2" -v t="$3" "$AWK_LIB"'
	parse() && (EV == "slice_begin" || EV == "slice_end") && TID == t && arg("name") == name {
		s = s (EV == "slice_begin" ? "B" : "E") }
	END { print s }' "$1"
}

# count DUMP EREGEX: lines matching EREGEX.
count()
{
	grep -cE -- "$2" "$1"
}

# summary_row ERRFILE SPAN: "slices unmatched unfinished" of SPAN in the
# record summary.
summary_row()
{
	awk -v s="$2" '$1 == "span" && $2 == "slices" { on = 1; next }
		on && $1 == s { print $2, $3, $4; exit }' "$1"
}

AWK_DUR='
function dur_ns(s,   n) {
	n = length(s)
	if (s ~ /ns$/) return substr(s, 1, n - 2) + 0
	if (s ~ /us$/) return substr(s, 1, n - 2) * 1000
	if (s ~ /ms$/) return substr(s, 1, n - 2) * 1000000
	if (s ~ /s$/) return substr(s, 1, n - 1) * 1000000000
	return -1
}'

N=10
sub "--span over a function that sleeps 20 ms: $N slices, each >= 20 ms"
record "$T/nap.err" --no-stacks -o "$T/nap.pb" --span "nap=uprobe:$S:nap,uretprobe:$S:nap" -- \
	"$S" sleep "$N"
if expect_record_ok "$T/nap.err" && dump_trace "$T/nap.pb" "$T/nap.txt" &&
    tid=$(tid_of_exec "$S" "$T/nap.txt"); then
	expect_eq "nap slices of tid $tid (B begin, E end)" "$(slices "$T/nap.txt" nap "$tid")" \
		"$(printf 'BE%.0s' $(seq "$N"))"
	expect_eq "nap slices on the thread's track" \
		"$(count "$T/nap.txt" "^[^ ]+ \[---\] [^ ]+\($tid\) slice_end name=nap dur=[0-9.]+[mun]?s track=thread$")" \
		"$N"
	expect_eq "nap slices shorter than 20 ms" \
		"$(awk "$AWK_LIB$AWK_DUR"'parse() && EV == "slice_end" && arg("name") == "nap" &&
			dur_ns(arg("dur")) < 20000000 { n++; print > "/dev/stderr" } END { print n + 0 }' \
			"$T/nap.txt")" 0
	expect_eq "summary: slices, unmatched ends, unfinished" "$(summary_row "$T/nap.err" nap)" \
		"$N 0 0"
fi

N=50
sub "a span keyed by a request id across two threads: $N async slices"
record "$T/req.err" --no-stacks -o "$T/req.pb" \
	--span "req=uprobe:$S:req_start id=%di:u64,uprobe:$S:req_end id=%di:u64,key=id" -- \
	"$S" req "$N"
if expect_record_ok "$T/req.err" && dump_trace "$T/req.pb" "$T/req.txt" &&
    pid=$(tid_of_exec "$S" "$T/req.txt"); then
	expect_eq "threads named req_a and req_b of spanner $pid" \
		"$(awk -v p="$pid" "$AWK_LIB"'parse() && EV == "task_rename" && arg("pid") != p {
			print arg("newcomm") }' "$T/req.txt" | sort | tr '\n' ' ')" "req_a req_b "
	expect_eq "req slice begins on a track of process $pid" \
		"$(count "$T/req.txt" "\($pid\) slice_begin name=req track=process:")" "$N"
	expect_eq "req slice ends on a track of process $pid" \
		"$(count "$T/req.txt" "\($pid\) slice_end name=req dur=[0-9.]+[mun]?s track=process:")" "$N"
	expect_eq "req slice lines of any other kind (thread track, unmatched, other pid)" \
		"$(grep ' slice_[a-z]* name=req ' "$T/req.txt" |
			grep -vcE "\($pid\) slice_(begin name=req|end name=req dur=[0-9.]+[mun]?s) track=process:")" 0
	# each track's slices pair up: begin, end, begin, end...
	expect_eq "process tracks whose req slices do not alternate begin/end" \
		"$(awk "$AWK_LIB"'parse() && arg("name") == "req" && (EV == "slice_begin" || EV == "slice_end") {
			p = index(ARGS, "track="); tr = substr(ARGS, p)
			sub(/ args:.*/, "", tr)
			if ((EV == "slice_begin") == (open[tr] + 0 == 1)) bad[tr]
			open[tr] = EV == "slice_begin" }
			END { for (tr in open) if (tr in bad || open[tr]) n++; print n + 0 }' "$T/req.txt")" 0
	expect_eq "summary: slices, unmatched ends, unfinished" "$(summary_row "$T/req.err" req)" \
		"$N 0 0"
fi

sub "nested starts, unmatched ends, a start open at the end"
# S0 S1 E2 E3: two nested slices; E4 E5: unmatched; S6 S7 E8: S7 closed by
# E8, S6 still open when spanner exits.
record "$T/m.err" --no-stacks -o "$T/m.pb" --span "m=uprobe:$S:mark_start,uprobe:$S:mark_end" -- \
	"$S" marks SSEEEESSE
if expect_record_ok "$T/m.err" && dump_trace "$T/m.pb" "$T/m.txt" &&
    tid=$(tid_of_exec "$S" "$T/m.txt"); then
	expect_eq "m slices of tid $tid" "$(slices "$T/m.txt" m "$tid")" "BBEEBBEE"
	expect_eq "of which closed with unfinished=true (the last end)" \
		"$(awk "$AWK_LIB"'parse() && EV == "slice_end" && arg("name") == "m" {
			e++; if (arg("unfinished") == "true") u = u " " e } END { print u }' "$T/m.txt")" " 4"
	expect_eq "unmatched slice ends in the trace (never invented)" \
		"$(count "$T/m.txt" 'slice_end name=m dur=\? unmatched')" 0
	# nested: the inner slice (first end) is shorter than the outer one
	expect_eq "the first pair nests (inner end first, shorter)" \
		"$(awk "$AWK_LIB$AWK_DUR"'parse() && EV == "slice_end" && arg("name") == "m" {
			d[++e] = dur_ns(arg("dur")) } END { print (d[1] < d[2]) ? "yes" : "no" }' "$T/m.txt")" yes
	expect_eq "summary: slices, unmatched ends, unfinished" "$(summary_row "$T/m.err" m)" "4 2 1"
fi

sub "only ends: counted as unmatched, no slice"
record "$T/e.err" --no-stacks -o "$T/e.pb" --span "m=uprobe:$S:mark_start,uprobe:$S:mark_end" -- \
	"$S" marks EEE
if expect_record_ok "$T/e.err" && dump_trace "$T/e.pb" "$T/e.txt"; then
	expect_eq "slice lines" "$(count "$T/e.txt" ' slice_(begin|end) ')" 0
	expect_eq "summary: slices, unmatched ends, unfinished" "$(summary_row "$T/e.err" m)" "0 3 0"
fi

N=8
sub "a systing config: a range track and an instant track"
cat >"$T/systing.json" <<EOF
{
  "events": [
    { "name": "nap_begin", "event": "uprobe:$S:nap",
      "args": [ { "arg_index": 0, "arg_type": "long", "arg_name": "i" } ] },
    { "name": "nap_done", "event": "uretprobe:$S:nap",
      "args": [ { "arg_type": "retval", "arg_name": "ret" } ] },
    { "name": "tick", "event": "uprobe:$S:nap_tick",
      "args": [ { "arg_index": 0, "arg_type": "long", "arg_name": "tick no" } ] }
  ],
  "tracks": [
    { "track_name": "Naps",
      "ranges": [ { "name": "nap", "start": "nap_begin", "end": "nap_done" } ] },
    { "track_name": "Ticks", "instants": [ { "event": "tick" } ] }
  ]
}
EOF
record "$T/sy.err" --no-stacks -o "$T/sy.pb" --trace-event-config "$T/systing.json" -- "$S" sleep "$N"
if expect_record_ok "$T/sy.err" && dump_trace "$T/sy.pb" "$T/sy.txt" &&
    tid=$(tid_of_exec "$S" "$T/sy.txt"); then
	expect_eq "nap ranges of tid $tid" "$(slices "$T/sy.txt" nap "$tid")" \
		"$(printf 'BE%.0s' $(seq "$N"))"
	expect_eq "range begins with i=0..$((N - 1)), in order" \
		"$(awk "$AWK_LIB"'parse() && EV == "slice_begin" && arg("name") == "nap" {
			if (arg("i") != n + 0) bad++; n++ } END { print n - bad }' "$T/sy.txt")" "$N"
	expect_eq "range ends with ret=0..$((N - 1)), in order, >= 20 ms" \
		"$(awk "$AWK_LIB$AWK_DUR"'parse() && EV == "slice_end" && arg("name") == "nap" {
			if (arg("ret") != n + 0 || dur_ns(arg("dur")) < 20000000) bad++; n++ }
			END { print n - bad }' "$T/sy.txt")" "$N"
	expect_eq "tick instants on the process track Ticks, \"tick no\"=0..$((N - 1)) in order" \
		"$(grep -E "\($tid\) instant name=tick track=process:Ticks args: \"tick no\"=[0-9]+$" \
			"$T/sy.txt" | sed 's/.*=//' | awk '$1 == NR - 1 { n++ } END { print n + 0 }')" "$N"
	expect_eq "tick instants in all" "$(count "$T/sy.txt" ' instant name=tick ')" "$N"
fi

N=6
sub "--spans FILE: two spans, comments and blank lines"
cat >"$T/spans.txt" <<EOF
# the nap, and the tick it calls first
nap=uprobe:$S:nap,uretprobe:$S:nap

   # indented comment
tick=uprobe:$S:nap_tick,uretprobe:$S:nap_tick
EOF
record "$T/f.err" --no-stacks -o "$T/f.pb" --spans "$T/spans.txt" -- "$S" sleep "$N"
if expect_record_ok "$T/f.err" && dump_trace "$T/f.pb" "$T/f.txt" &&
    tid=$(tid_of_exec "$S" "$T/f.txt"); then
	expect_eq "nap and tick slices of tid $tid, tick nested in nap" \
		"$(awk -v t="$tid" "$AWK_LIB"'parse() && TID == t && (EV == "slice_begin" || EV == "slice_end") {
			s = s substr(arg("name"), 1, 1) (EV == "slice_begin" ? "+" : "-") }
			END { print s }' "$T/f.txt")" "$(printf 'n+t+t-n-%.0s' $(seq "$N"))"
	expect_eq "summary nap" "$(summary_row "$T/f.err" nap)" "$N 0 0"
	expect_eq "summary tick" "$(summary_row "$T/f.err" tick)" "$N 0 0"
fi

sub "--spans FILE with a bad line: the error names FILE:LINE"
printf '# ok\nnap=uprobe:%s:nap,uretprobe:%s:nap\nbroken line without equals\n' "$S" "$S" >"$T/bad.txt"
record "$T/b.err" --no-stacks -o "$T/b.pb" --spans "$T/bad.txt" -- "$S" sleep 1
expect_failure "$T/b.err" "$T/b.pb"
grep -qF "$T/bad.txt:3" "$T/b.err" || fail "the error does not name $T/bad.txt:3"

sub "--span with no END: a usage error naming it"
record "$T/b2.err" --no-stacks -o "$T/b2.pb" --span "x=uprobe:$S:nap" -- "$S" sleep 1
expect_failure "$T/b2.err" "$T/b2.pb"
expect_eq "exit status" "$REC_STATUS" 2
grep -qF "x=uprobe:$S:nap" "$T/b2.err" || fail "the error does not name the --span argument"

N=100
sub "the ready-made --span pthread_mutex: $N locks, $N more slices than none"
"$PFTRACE" record --help 2>&1 | grep -q 'pthread_mutex' || fail "record --help does not list pthread_mutex"
got=
for n in 0 "$N"; do
	record "$T/x$n.err" --no-stacks -o "$T/x$n.pb" --span pthread_mutex -- "$S" mutex "$n"
	expect_record_ok "$T/x$n.err" && dump_trace "$T/x$n.pb" "$T/x$n.txt" &&
		tid=$(tid_of_exec "$S" "$T/x$n.txt") || continue
	s=$(slices "$T/x$n.txt" pthread_mutex "$tid")
	echo "    mutex $n: $(printf '%s' "$s" | grep -o B | wc -l) slices; summary: $(summary_row "$T/x$n.err" pthread_mutex)"
	got="$got $(printf '%s' "$s" | grep -o B | wc -l)"
	expect_eq "unmatched and unfinished of mutex $n" \
		"$(summary_row "$T/x$n.err" pthread_mutex | cut -d' ' -f2-)" "0 0"
	printf '%s' "$s" | grep -qx '\(BE\)*' || fail "pthread_mutex slices do not alternate: $s"
done
set -- $got
if [ $# = 2 ]; then
	# (the C library may lock a mutex of its own, e.g. at exit: the same
	# number in both runs)
	expect_eq "slices with $N locks minus slices with none" "$(($2 - $1))" "$N"
else
	fail "not both runs recorded"
fi

finish
