#!/bin/sh
# e2e_reading: sysdig-style reading of recordings of known workloads: filters
# (exact counts; in, not, parentheses, contains), -p, -j parsed back, syscall
# decoding (ENOENT of a failed openat, flags, latency on exits), `pftrace report`
# (the fixture's syscall first with its exact count, the CPU burner first by CPU
# time), and clear errors for malformed filters and unknown fields.
. "${top_srcdir:?top_srcdir must be set}/tests/lib.sh"
require_root
setup_tmp
SC=$(fixture syscaller)
B=$(fixture burner)
N=1000
MS=400

# count TRACE FILTER: the number of events dump selects
count()
{
	"$PFTRACE" dump "$1" -p '%evt.num' "$2" 2>"$T/count.err" | wc -l | tr -d ' '
}

sub "record --syscalls -- syscaller $N (opening a missing file first)"
SYSCALLER_OPEN="$T/missing" record "$T/rec.err" --syscalls --no-stacks -o "$T/s.pb" -- "$SC" "$N"
expect_record_ok "$T/rec.err"
ME="proc.exe=$SC"

sub "a filter selects exactly the $N getppid entries"
expect_eq "getppid entries" "$(count "$T/s.pb" "$ME and evt.type=getppid and evt.dir='>'")" "$N"
expect_eq "getppid exits with a latency" \
	"$(count "$T/s.pb" "$ME and evt.type=getppid and evt.dir='<' and evt.latency exists")" "$N"
expect_eq "getppid exits that failed" \
	"$(count "$T/s.pb" "$ME and evt.type=getppid and evt.failed=true")" 0

sub "in, not, parentheses, contains"
expect_eq "in (getppid, exit_group), entries" \
	"$(count "$T/s.pb" "$ME and evt.type in (getppid, exit_group) and evt.dir='>'")" $((N + 1))
expect_eq "not (getppid or exits)" \
	"$(count "$T/s.pb" "$ME and evt.type=exit_group and not (evt.type=getppid or evt.dir='<')")" 1
expect_eq "(a or b) and c" \
	"$(count "$T/s.pb" "($ME or thread.tid=0) and (evt.type=getppid) and evt.dir=>")" "$N"
expect_eq "evt.type contains ppid, entries" \
	"$(count "$T/s.pb" "$ME and evt.type contains ppid and evt.dir='>'")" "$N"
expect_eq "startswith/endswith/glob" \
	"$(count "$T/s.pb" "$ME and evt.type startswith getp and evt.type endswith pid and evt.type glob 'g*id' and evt.dir='>'")" "$N"

sub "the failed openat of the missing file shows ENOENT and decoded flags"
"$PFTRACE" dump "$T/s.pb" -p '%evt.type %evt.args' \
	"$ME and evt.type in (openat, getppid) and evt.dir='<'" >"$T/open.txt" 2>"$T/open.err"
line=$(awk '$1 == "getppid" { print prev; exit } { prev = $0 }' "$T/open.txt")
echo "    $line"
case "$line" in
"openat res=-2(ENOENT) dfd=-100(AT_FDCWD) filename=0x"*" flags=O_RDONLY|O_CLOEXEC mode=0") ;;
*) fail "the openat before the first getppid is not the failed one: '$line'"
   show "$T/open.txt" ;;
esac
expect_eq "evt.res=ENOENT selects it" \
	"$(count "$T/s.pb" "$ME and evt.type=openat and evt.res=ENOENT and evt.arg.flags contains O_CLOEXEC")" \
	"$(grep -c 'ENOENT' "$T/open.txt")"

sub "sysdig's default line"
"$PFTRACE" dump "$T/s.pb" "$ME and evt.type=getppid" >"$T/def.txt" 2>"$T/def.err"
show "$T/def.txt" 2
bad=$(awk -v sc="syscaller" '!($1 ~ /^[0-9]+$/ && $2 ~ /^[0-9]+\.[0-9]+$/ && $3 ~ /^[0-9]+$/ &&
	$4 == sc && $5 ~ /^\([0-9]+\)$/ && ($6 == ">" || $6 == "<") && $7 == "getppid") { n++ }
	END { print n + 0 }' "$T/def.txt")
expect_eq "lines not NUM TIME CPU PROC (TID) DIR TYPE" "$bad" 0
expect_eq "lines" "$(wc -l <"$T/def.txt" | tr -d ' ')" $((2 * N))

sub "-j: one JSON object per event, parsed back"
"$PFTRACE" dump "$T/s.pb" -j "$ME and evt.type=getppid" >"$T/j.txt" 2>"$T/j.err"
got=$(python3 -c '
import json, sys
n = e = lat = 0
for line in open(sys.argv[1]):
    o = json.loads(line)
    n += 1
    if o["evt.type"] == "getppid" and o["evt.dir"] == ">": e += 1
    if o["evt.dir"] == "<" and isinstance(o.get("evt.latency"), int) and o["evt.res"] > 0: lat += 1
print(n, e, lat)' "$T/j.txt") || fail "python could not parse the -j output"
expect_eq "objects, entries, exits with latency and res" "$got" "$((2 * N)) $N $N"
"$PFTRACE" dump "$T/s.pb" -j -p '%evt.type %thread.tid %evt.arg.nope' "$ME and evt.type=getppid" \
	>"$T/jp.txt" 2>"$T/jp.err"
got=$(python3 -c '
import json, sys
ks = set()
for line in open(sys.argv[1]):
    o = json.loads(line)
    ks.add(",".join(sorted(o)) + ":" + str(o["evt.arg.nope"]))
print(" ".join(ks))' "$T/jp.txt")
expect_eq "-j -p keys" "$got" "evt.arg.nope,evt.type,thread.tid:None"

sub "report: syscaller's getppid first by count, the burner first by CPU time"
# CPU time comes from the switches in and out of the burner.  This VM drops the
# sched_switch events raised from an idle CPU (see e2e_sleep.sh), so a switch in
# from idle can be missing: a spinner at nice 19 on every CPU keeps them out of
# idle while the burner runs, and every switch in is recorded.
for c in $(online_cpus); do
	nice -n 19 taskset -c "$c" sh -c 'while [ ! -e "$1/spin-stop" ]; do :; done' sh "$T" &
	at_exit "touch '$T/spin-stop'; kill_child $!"
done
record "$T/rec2.err" --syscalls --no-stacks -o "$T/r.pb" -- sh -c '"$1" '$MS'; "$2" 5000' sh "$B" "$SC"
touch "$T/spin-stop"
if expect_record_ok "$T/rec2.err"; then
	"$PFTRACE" report "$T/r.pb" "proc.exe in ($B, $SC)" >"$T/r.txt" 2>"$T/r.err" ||
		fail "report exited non-zero"
	show "$T/r.txt" 40
	"$PFTRACE" report -j "$T/r.pb" "proc.exe in ($B, $SC)" >"$T/r.json" 2>"$T/rj.err"
	got=$(python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
s = r["syscalls"][0]
c = r["cpu"][0]
print(s["syscall"], s["count"], c["name"], int(c["ns"]) // 1000000)' "$T/r.json") ||
		fail "python could not parse report -j"
	set -- $got
	expect_eq "first syscall by count" "$1 $2" "getppid 5000"
	expect_eq "first process by CPU time" "$3" burner
	# its CPU time is what it burned (its own clock): within 10 % below, and not far above
	if [ "${4:-0}" -lt $((MS * 9 / 10)) ] || [ "${4:-0}" -gt $((MS * 3 / 2)) ]; then
		fail "burner's CPU time ${4:-?} ms is not about $MS ms"
	else
		echo "    ok: burner's CPU time $4 ms (burned $MS ms)"
	fi
	"$PFTRACE" report --section syscalls "$T/r.pb" >"$T/sec.txt" 2>&1
	expect_eq "--section syscalls prints one table" "$(grep -c '^Top ' "$T/sec.txt")" 1
fi

sub "malformed filters and unknown fields: one clear error"
for f in "proc.nam=x" "proc.name=" "(evt.type=a" "evt.cpu=one" "proc.name=a evt.cpu=1" "evt.type in (a b)"; do
	st=0
	"$PFTRACE" dump "$T/s.pb" "$f" >"$T/e.out" 2>"$T/e.err" || st=$?
	expect_eq "exit status of dump '$f'" "$st" 2
	expect_error_only "$T/e.err"
	[ -s "$T/e.out" ] && fail "dump '$f' printed events"
done
grep -q "unknown field 'proc.nam'" "$T/e.err" 2>/dev/null || true
st=0
"$PFTRACE" dump "$T/s.pb" "proc.nam=x" 2>"$T/e.err" >/dev/null || st=$?
grep -q "unknown field 'proc.nam'.*column 1" "$T/e.err" || fail "unknown field not named: $(cat "$T/e.err")"
st=0
"$PFTRACE" dump -p '%evt.type %proc.nope' "$T/s.pb" >/dev/null 2>"$T/e.err" || st=$?
expect_eq "exit status of -p with an unknown field" "$st" 2
expect_error_only "$T/e.err"
st=0
"$PFTRACE" report "$T/s.pb" "evt.type=" >/dev/null 2>"$T/e.err" || st=$?
expect_eq "exit status of report with a malformed filter" "$st" 2
expect_error_only "$T/e.err"
expect_eq "dump -l lists evt.latency" "$("$PFTRACE" dump -l | grep -c '^evt.latency ')" 1

sub "a comm with a newline in it: one event, one line (escaped)"
record "$T/nl.err" --syscalls --no-stacks -o "$T/nl.pb" -- sh -c \
	'printf "nl\nname" > /proc/self/comm; "$1" 5' sh "$SC"
if expect_record_ok "$T/nl.err" && dump_trace "$T/nl.pb" "$T/nl.txt"; then
	expect_eq "lines not starting with a timestamp" \
		"$(grep -cv '^[0-9][0-9]*\.[0-9]' "$T/nl.txt")" 0
	expect_ge "lines of the renamed shell, its comm escaped" \
		"$(grep -c ' nl\\nname([0-9]*) ' "$T/nl.txt")" 1
	"$PFTRACE" dump -p '%proc.name|%evt.type' "$T/nl.pb" >"$T/nlp.txt" 2>/dev/null
	expect_eq "-p lines not of the form NAME|TYPE" "$(grep -cv '^[^|]*|[a-z_0-9]*$' "$T/nlp.txt")" 0
	expect_ge "-p: the comm escaped" "$(grep -c '^nl\\nname|' "$T/nlp.txt")" 1
	"$PFTRACE" report "$T/nl.pb" >"$T/nlr.txt" 2>/dev/null
	expect_ge "report: the comm escaped in its tables" "$(grep -c ' nl\\nname ' "$T/nlr.txt")" 1
	expect_eq "report: lines that are only a piece of a name" "$(grep -c '^name ' "$T/nlr.txt")" 0
fi

finish
