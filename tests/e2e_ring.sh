#!/bin/sh
# e2e_ring: --ring-buffer keeps the last --max-size of a recording (the flight
# recorder).  `record --syscalls --no-stacks --ring-buffer --max-size 1M --
# sh -c "syscaller 300000; tailcall 77"` (tailcall: a copy of syscaller under
# another name) writes several MB: the file must be at most 1 MiB and at least
# half of it, hold every one of tailcall's 77 getppid calls (the end of the
# recording) and only part of syscaller's, read whole, and the summary's count
# of kernel events in the trace must be the dump's.  A recording that fits
# overwrites nothing and keeps every event; a system-wide one stopped by
# SIGINT is assembled too; less than 1M is refused; no part is left on disk.
. "${top_srcdir:?top_srcdir must be set}/tests/lib.sh"
require_root
setup_tmp
SC=$(fixture syscaller)
cp "$SC" "$T/tailcall"
LIMIT=1048576

sub "record --ring-buffer --max-size 1M: several MB of syscalls, the end kept"
record "$T/rec.err" --syscalls --no-stacks --ring-buffer --max-size 1M -o "$T/r.pb" -- \
	sh -c "'$SC' 300000 && '$T/tailcall' 77"
expect_record_ok "$T/rec.err" || finish
line=$(grep -- '--ring-buffer kept the last' "$T/rec.err")
if [ -z "$line" ]; then
	fail "no line about what --ring-buffer kept on stderr:"
	show "$T/rec.err"
else
	echo "    ok: $line"
fi
size=$(stat -c %s "$T/r.pb")
if [ "$size" -gt "$LIMIT" ]; then
	fail "the trace is $size bytes, over the 1M of --max-size"
else
	echo "    ok: $size bytes <= $LIMIT"
fi
expect_ge "trace bytes" "$size" $((LIMIT / 2))

sub "the trace reads whole and ends with the recording's end"
dump_trace "$T/r.pb" "$T/r.txt" || finish
if [ -s "$T/r.txt.err" ]; then
	fail "pftrace dump complained:"
	show "$T/r.txt.err"
fi
tail_tid=$(tid_of_exec tailcall "$T/r.txt")
if [ -z "$tail_tid" ]; then
	fail "no exec of tailcall in the trace"
else
	expect_eq "tailcall's getppid entries" "$(ev_count "$T/r.txt" sys_enter "$tail_tid" name=getppid)" 77
	expect_eq "tailcall's getppid exits" "$(ev_count "$T/r.txt" sys_exit "$tail_tid" name=getppid)" 77
	expect_eq "tailcall's exit" "$(ev_count "$T/r.txt" sched_process_exit "$tail_tid")" 1
fi
head=$(grep -c ' sys_enter .*name=getppid' "$T/r.txt")
head=$((head - 77))
if [ "$head" -ge 300000 ] || [ "$head" -le 0 ]; then
	fail "syscaller's getppid entries in the trace: $head, expected some of its last ones only"
else
	echo "    ok: $head of syscaller's 300000 getppid calls kept (the last ones)"
fi

sub "the summary counts the trace's kernel events"
want=$(sed -n 's/.*parts, \([0-9]*\) kernel events;.*/\1/p' "$T/rec.err")
got=$(grep -c '^[0-9.]* \[[0-9]*\] ' "$T/r.txt")
expect_eq "kernel events in the trace (summary vs dump)" "$got" "${want:-?}"

sub "a recording that fits: nothing overwritten"
record "$T/rec2.err" --syscalls --no-stacks --ring-buffer -o "$T/f.pb" -- "$SC" 1000
expect_record_ok "$T/rec2.err" || finish
if ! grep -q -- '--ring-buffer: nothing overwritten' "$T/rec2.err"; then
	fail "no 'nothing overwritten' on stderr:"
	show "$T/rec2.err"
fi
dump_trace "$T/f.pb" "$T/f.txt" || finish
tid=$(tid_of_exec syscaller "$T/f.txt")
expect_eq "getppid entries" "$(ev_count "$T/f.txt" sys_enter "$tid" name=getppid)" 1000

sub "system-wide, stopped by SIGINT"
"$SC" 2000000 >/dev/null 2>&1 &
load=$!
at_exit "kill $load 2>/dev/null"
bg_default_int timeout -s KILL 60 "$PFTRACE" record --syscalls --ring-buffer --max-size 2M \
	-o "$T/s.pb" 2>"$T/rec3.err"
rec=$BG_PID
sleep 3
kill -INT "$rec"
st=0
wait "$rec" || st=$?
kill "$load" 2>/dev/null
expect_eq "exit status after SIGINT" "$st" 0
size=$(stat -c %s "$T/s.pb" 2>/dev/null || echo 0)
if [ "$size" -gt 2097152 ] || [ "$size" -lt 524288 ]; then
	fail "the trace is $size bytes, expected up to 2M (and more than 512K)"
	show "$T/rec3.err"
else
	echo "    ok: $size bytes"
fi
dump_trace "$T/s.pb" "$T/s.txt" || finish
expect_ge "samples in the trace (stacks interned again per part)" "$(grep -c ' sample ' "$T/s.txt")" 10

sub "a disk smaller than SIZE: the oldest parts make room, the recording goes on"
mkdir "$T/full"
if mount -t tmpfs -o size=3m tmpfs "$T/full"; then
	at_exit "umount '$T/full'"
	sh -c 'while [ ! -e "$1/stop" ]; do "$2" 1000000; done' sh "$T" "$SC" &
	busy=$!
	at_exit "touch '$T/stop'; kill_child $busy"
	record "$T/full.err" --syscalls --no-stacks --ring-buffer --max-size 3M -d 3 \
		-o "$T/full/r.pb"
	touch "$T/stop"
	wait "$busy"
	expect_record_ok "$T/full.err"
	if grep -q '^pftrace: the disk was full: [0-9]* of them were dropped early' "$T/full.err"; then
		echo "    ok: $(grep '^pftrace: the disk was full' "$T/full.err")"
	else
		fail "no line about the full disk:"
		show "$T/full.err"
	fi
	grep -q '^pftrace: error' "$T/full.err" && { fail "an error:"; show "$T/full.err"; }
	dump_trace "$T/full/r.pb" "$T/full.txt" || finish
	expect_ge "getppid entries kept" "$(grep -c ' sys_enter .*name=getppid' "$T/full.txt")" 10000
	umount "$T/full" || fail "cannot umount $T/full"
else
	fail "cannot mount a tmpfs on $T/full"
fi

sub "no part left on disk, and less than 1M is refused"
left=$(find "$T" -name '.pftrace-ring-*' | wc -l)
expect_eq "segment files left in the output's directory" "$left" 0
record "$T/rec4.err" --ring-buffer --max-size 512K -o "$T/n.pb" -- true
expect_failure "$T/rec4.err" "$T/n.pb"
finish
