#!/bin/sh
# e2e_syscalls: `record --syscalls -- syscaller N` sees exactly N getppid
# entries and exits from the fixture's thread, for N = 1000, 0 and 1.
. "${top_srcdir:?top_srcdir must be set}/tests/lib.sh"
require_root
setup_tmp
SC=$(fixture syscaller)

for N in 1000 0 1; do
	sub "record --syscalls -- syscaller $N"
	record "$T/rec$N.err" --syscalls -o "$T/s$N.pb" -- "$SC" "$N"
	expect_record_ok "$T/rec$N.err" || continue
	dump_trace "$T/s$N.pb" "$T/s$N.txt" || continue
	tid=$(tid_of_exec "$SC" "$T/s$N.txt") || continue
	echo "    syscaller tid $tid"
	expect_eq "sys_enter name=getppid of tid $tid" \
		"$(ev_count "$T/s$N.txt" sys_enter "$tid" name=getppid)" "$N"
	expect_eq "sys_exit name=getppid of tid $tid" \
		"$(ev_count "$T/s$N.txt" sys_exit "$tid" name=getppid)" "$N"
	# getppid returns the same positive pid every time.
	rets=$(awk "$AWK_LIB"'parse() && EV == "sys_exit" && TID == t && arg("name") == "getppid" {
		print arg("ret") }' t="$tid" "$T/s$N.txt" | sort -u)
	if [ "$N" -gt 0 ]; then
		case "$rets" in
		*[!0-9]* | "" | 0) fail "getppid returned several or invalid values: $(echo "$rets" | tr "\n" " ")" ;;
		*) echo "    ok: getppid returned $rets every time" ;;
		esac
	fi
	# Every sys_enter has its six arguments.
	bad=$(awk "$AWK_LIB"'parse() && EV == "sys_enter" && TID == t {
		if (arg("id") == "" || split(arg("args"), a, ",") != 6) n++ } END { print n + 0 }' \
		t="$tid" "$T/s$N.txt")
	expect_eq "sys_enter lines of tid $tid without id= or six args=" "$bad" 0
done

# -e records any tracepoint generically, every field kept.
if [ -d /sys/kernel/tracing/events/syscalls/sys_enter_getppid ] ||
    [ -d /sys/kernel/debug/tracing/events/syscalls/sys_enter_getppid ]; then
	sub "record -e syscalls:sys_enter_getppid -- syscaller 50"
	record "$T/gen.err" -e syscalls:sys_enter_getppid -o "$T/gen.pb" -- "$SC" 50
	if expect_record_ok "$T/gen.err" && dump_trace "$T/gen.pb" "$T/gen.txt" &&
	    tid=$(tid_of_exec "$SC" "$T/gen.txt"); then
		expect_eq "generic sys_enter_getppid events of tid $tid" \
			"$(ev_count "$T/gen.txt" sys_enter_getppid "$tid")" 50
		expect_eq "of which carry the __syscall_nr field" \
			"$(awk "$AWK_LIB"'parse() && EV == "sys_enter_getppid" && TID == t &&
				arg("__syscall_nr") ~ /^[0-9]+$/ { n++ } END { print n + 0 }' \
				t="$tid" "$T/gen.txt")" 50
	fi
else
	echo "    (no syscalls:sys_enter_getppid tracepoint on this kernel: -e case not run)"
fi


# A trace longer than dump's sorting window (1 s) and with more lines than it
# buffers (65536) before printing: the output must still be in time order and
# complete.  (A big ring: this checks dump, not how fast the rings drain.)
sub "dump of a long trace: sorted through its window, nothing lost"
record "$T/long.err" --no-stacks --syscalls --buffer-size 32M -o "$T/long.pb" -- \
	sh -c '"$1" 40000; sleep 1.3; "$1" 40000' sh "$SC"
if expect_record_ok "$T/long.err" && dump_trace "$T/long.pb" "$T/long.txt"; then
	"$PFTRACE" dump --no-sort "$T/long.pb" >"$T/long-raw.txt" || fail "dump --no-sort failed"
	expect_eq "lines, sorted vs file order" "$(wc -l <"$T/long.txt")" "$(wc -l <"$T/long-raw.txt")"
	# (the shell may call getppid itself: count the fixture's)
	expect_eq "getppid entries of the two syscallers" \
		"$(grep -c ' syscaller([0-9]*) sys_enter id=[0-9]* name=getppid ' "$T/long.txt")" 80000
	unsorted=$(awk '{ if ($1 + 0 < last) n++; last = $1 + 0 } END { print n + 0 }' "$T/long.txt")
	expect_eq "lines earlier than the line before them" "$unsorted" 0
	grep -q "out of order" "$T/long.txt.err" && fail "dump warned about events out of order"
fi

finish
