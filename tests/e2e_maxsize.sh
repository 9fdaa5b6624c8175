#!/bin/sh
# e2e_maxsize: --max-size stops the recording when the trace reaches SIZE and
# the file never grows past it: `record --syscalls --max-size 256K -- syscaller
# N` with N large enough for several MB of trace stops early (exit 0, a
# message), leaves a file of at most 256 KiB that `pftrace dump` reads whole,
# and with the syscalls of its start in it.
. "${top_srcdir:?top_srcdir must be set}/tests/lib.sh"
require_root
setup_tmp
SC=$(fixture syscaller)
LIMIT=262144

sub "record --syscalls --no-stacks --max-size 256K -- syscaller 2000000"
record "$T/rec.err" --syscalls --no-stacks --max-size 256K -o "$T/m.pb" -- "$SC" 2000000
expect_record_ok "$T/rec.err" || finish
if ! grep -q -- 'reached --max-size' "$T/rec.err"; then
	fail "no message about --max-size on stderr:"
	show "$T/rec.err"
fi
size=$(stat -c %s "$T/m.pb")
if [ "$size" -gt "$LIMIT" ]; then
	fail "the trace is $size bytes, over the 256K limit"
else
	echo "    ok: $size bytes <= $LIMIT"
fi
expect_ge "trace bytes (the limit was reached, nearly)" "$size" $((LIMIT / 2))

sub "the trace reads whole"
dump_trace "$T/m.pb" "$T/m.txt" || finish
n=$(grep -c 'sys_enter' "$T/m.txt")
expect_ge "sys_enter events in the trace" "$n" 1000
if [ -s "$T/m.txt.err" ]; then
	fail "pftrace dump complained:"
	show "$T/m.txt.err"
fi

sub "an option value under 64K is refused"
record "$T/rec2.err" --max-size 1K -o "$T/n.pb" -- true
expect_failure "$T/rec2.err" "$T/n.pb"
finish
