#!/bin/sh
# e2e_bigtrace: a multi-hundred-MiB synthetic trace (tests/fixtures/bigtrace, written
# through the proto writer; PFTRACE_BIG_MIB sets its size, 1024 by default) is read by
# `pftrace dump FILTER` with an exact count and a peak RSS that does not grow with
# the file: dump's window holds one second of trace, and the reader drops the
# mapped file's pages behind it.  No kernel access: runs without root too.
. "${top_srcdir:?top_srcdir must be set}/tests/lib.sh"
setup_tmp
MIB=${PFTRACE_BIG_MIB:-1024}
# a bound far below the file size: the window (a few MiB here) plus the program
MAX_KB=131072
# AddressSanitizer keeps freed memory in quarantine (256 MiB by default) and
# adds its shadow: a bound three times as high still shows no growth with the
# file (sanitized runs use a smaller file: PFTRACE_BIG_MIB)
if sanitized; then
	MAX_KB=$((MAX_KB * 3))
fi

[ -x /usr/bin/time ] || skip "needs /usr/bin/time (GNU time) to measure the peak RSS"
BIG=$(fixture bigtrace)

sub "write a $MIB MiB synthetic trace"
N=$("$BIG" "$T/big.pb" "$MIB") || die "bigtrace failed"
SIZE=$(wc -c <"$T/big.pb")
echo "    $SIZE bytes, $N rounds"
expect_ge "trace size (MiB)" $((SIZE >> 20)) "$MIB"

sub "dump FILTER counts exactly the getppid exits in bounded memory"
/usr/bin/time -f '%M' -o "$T/rss" "$PFTRACE" dump "$T/big.pb" -p '%evt.num' \
	"proc.name=bigtrace and evt.type=getppid and evt.dir='<' and evt.res=4241" \
	>"$T/out" 2>"$T/err" || { show "$T/err"; fail "dump failed"; }
expect_eq "getppid exits" "$(wc -l <"$T/out" | tr -d ' ')" "$N"
RSS=$(tail -n 1 "$T/rss")
echo "    peak RSS ${RSS} KiB for a $((SIZE >> 20)) MiB trace"
[ "$RSS" -le "$MAX_KB" ] || fail "peak RSS ${RSS} KiB > ${MAX_KB} KiB"

rm -f "$T/big.pb"
finish
