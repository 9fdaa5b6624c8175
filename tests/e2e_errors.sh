#!/bin/sh
# e2e_errors: how record and dump fail: bad output paths (never through a
# symlink), bad events, commands and durations, truncated and garbage traces,
# SIGINT/SIGTERM, a full disk, and a user without perf privileges.
. "${top_srcdir:?top_srcdir must be set}/tests/lib.sh"
require_root
setup_tmp
SC=$(fixture syscaller)

sub "unwritable output: -o /nonexistent/dir/x.pb"
record "$T/e.err" -d 0.2 -o /nonexistent/dir/x.pb
expect_failure "$T/e.err" /nonexistent/dir/x.pb

sub "output is a symlink to an existing file"
echo precious >"$T/victim"
ln -s "$T/victim" "$T/link"
record "$T/e.err" -d 0.2 -o "$T/link"
[ "$(cat "$T/victim")" = precious ] || fail "the symlink's target was written through"
if [ "$REC_STATUS" = 0 ]; then
	# Allowed: the link itself was replaced by the trace.
	[ -L "$T/link" ] && fail "record exited 0 but $T/link is still a symlink"
	[ -f "$T/link" ] && dump_trace "$T/link" "$T/link.txt" && echo "    ok: link replaced by a trace"
else
	expect_error_only "$T/e.err" && echo "    ok: refused (exit $REC_STATUS)"
	[ -L "$T/link" ] || fail "record failed but removed the symlink"
fi

sub "output is a dangling symlink"
ln -s "$T/created-through-link" "$T/dangling"
record "$T/e.err" -d 0.2 -o "$T/dangling"
[ -e "$T/created-through-link" ] && fail "a file was created through the dangling symlink"
if [ "$REC_STATUS" = 0 ]; then
	[ -L "$T/dangling" ] && fail "record exited 0 but $T/dangling is still a symlink"
else
	expect_error_only "$T/e.err" && echo "    ok: refused (exit $REC_STATUS)"
fi

sub "unknown event: -e nosuch:event"
record "$T/e.err" -e nosuch:event -d 0.2 -o "$T/x.pb"
expect_failure "$T/e.err" "$T/x.pb"
grep -q 'nosuch' "$T/e.err" || fail "the error does not name the event"

sub "command not found: -- /nonexistent/cmd"
record "$T/e.err" -o "$T/x.pb" -- /nonexistent/cmd arg
expect_failure "$T/e.err" "$T/x.pb"
grep -q '/nonexistent/cmd' "$T/e.err" || fail "the error does not name the command"

sub "invalid duration: -d abc"
record "$T/e.err" -d abc -o "$T/x.pb"
expect_failure "$T/e.err" "$T/x.pb"

sub "a valid trace for the dump checks"
record "$T/ok.err" --syscalls -d 0.3 -o "$T/ok.pb"
expect_record_ok "$T/ok.err" && dump_trace "$T/ok.pb" "$T/ok.txt"

sub "dump of a truncated trace (7 bytes cut off the end)"
size=0
[ -f "$T/ok.pb" ] && size=$(wc -c <"$T/ok.pb")
if [ "$size" -gt 7 ]; then
	head -c $((size - 7)) "$T/ok.pb" >"$T/trunc.pb"
	st=0
	"$PFTRACE" dump "$T/trunc.pb" >/dev/null 2>"$T/d.err" || st=$?
	[ "$st" != 0 ] || fail "dump of a truncated trace exited 0"
	grep -q '^pftrace: error: ' "$T/d.err" || { fail "no 'pftrace: error:' line"; show "$T/d.err"; }
	[ "$(grep -c . "$T/d.err")" -le 2 ] || { fail "more than an error and a hint line:"; show "$T/d.err"; }
	sed 's/^/    got: /' "$T/d.err"
else
	fail "no valid trace to truncate ($size bytes)"
fi

sub "dump of garbage"
i=0
while [ $i -lt 64 ]; do echo "this is not a perfetto trace, only text"; i=$((i + 1)); done >"$T/garbage.pb"
st=0
"$PFTRACE" dump "$T/garbage.pb" >/dev/null 2>"$T/d.err" || st=$?
[ "$st" != 0 ] || fail "dump of garbage exited 0"
grep -q '^pftrace: error: ' "$T/d.err" || { fail "no 'pftrace: error:' line"; show "$T/d.err"; }
sed 's/^/    got: /' "$T/d.err"

sub "dump of a file that does not exist"
st=0
"$PFTRACE" dump "$T/nosuch.pb" >/dev/null 2>"$T/d.err" || st=$?
[ "$st" != 0 ] || fail "dump of a missing file exited 0"
expect_error_only "$T/d.err"

# signal_stop SIG: `record -d 30`, SIG after 1 s, must exit within 1 s and
# leave a trace that dumps with events.
signal_stop()
{
	rm -f "$T/sig.pb"
	bg_default_int "$PFTRACE" record -d 30 -o "$T/sig.pb" 2>"$T/sig.err" </dev/null
	rp=$BG_PID
	at_exit "kill_child -9 $rp"
	sleep 1
	alive "$rp" || { fail "record exited before the signal"; show "$T/sig.err"; return; }
	kill -s "$1" "$rp"
	i=0
	while alive "$rp" && [ $i -lt 10 ]; do sleep 0.1; i=$((i + 1)); done
	if alive "$rp"; then
		fail "record still running 1 s after SIG$1"
		kill_child -9 "$rp"
	fi
	st=0
	wait "$rp" || st=$?
	echo "    record exited $st after SIG$1 (polled $i x 100 ms)"
	if dump_trace "$T/sig.pb" "$T/sig.txt"; then
		expect_ge "events in the trace after SIG$1" \
			"$(grep -vc '^[^ ]* \[---\]' "$T/sig.txt")" 1
	fi
}

sub "SIGINT during record -d 30"
signal_stop INT

sub "SIGTERM during record -d 30"
signal_stop TERM

sub "disk full: --syscalls -d 3 into a 256k tmpfs"
mkdir "$T/full"
if mount -t tmpfs -o size=256k tmpfs "$T/full"; then
	at_exit "umount '$T/full'"
	sh -c 'while [ ! -e "$1/stop" ]; do "$2" 1000000; done' sh "$T" "$SC" &
	busy=$!
	at_exit "touch '$T/stop'; kill_child $busy"
	record "$T/full.err" --syscalls -d 3 -o "$T/full/t.pb"
	touch "$T/stop"
	wait "$busy"
	[ "$REC_STATUS" != 0 ] && [ "$REC_STATUS" != 137 ] ||
		fail "record exited $REC_STATUS, expected a non-zero exit of its own"
	grep -i '^pftrace: error: .*\(no space\|ENOSPC\|disk.*full\)' "$T/full.err" ||
		{ fail "no error line about the full disk:"; show "$T/full.err"; }
	if [ -f "$T/full/t.pb" ]; then
		dump_trace "$T/full/t.pb" "$T/full.txt" && echo "    ok: the partial trace dumps"
	else
		fail "no trace was left on the full disk"
	fi
	umount "$T/full" || fail "cannot umount $T/full"
else
	fail "cannot mount a tmpfs on $T/full"
fi

sub "not root, perf_event_paranoid=2: record names the fix"
# Everything nobody needs lives in a world-readable directory of its own.
NR=$(mktemp -d "${TMPDIR:-/tmp}/pftrace-e2e-nr.XXXXXX") || die "mktemp -d failed"
at_exit "rm -rf '$NR'"
chmod 0777 "$NR"
cp "$PFTRACE" "$NR/pftrace"
chmod 0755 "$NR/pftrace"
old_paranoid=$(cat /proc/sys/kernel/perf_event_paranoid)
if [ "$old_paranoid" -lt 2 ]; then
	echo 2 >/proc/sys/kernel/perf_event_paranoid
	at_exit "echo $old_paranoid >/proc/sys/kernel/perf_event_paranoid"
fi
if command -v setpriv >/dev/null 2>&1; then
	AS_NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all"
else
	AS_NOBODY="su nobody -s /bin/sh -c"
fi
st=0
(cd "$NR" && if [ "${AS_NOBODY%% *}" = su ]; then
	$AS_NOBODY "./pftrace record -d 0.1 -o '$NR/x.pb'"
else
	$AS_NOBODY ./pftrace record -d 0.1 -o "$NR/x.pb"
fi) </dev/null 2>"$T/nr.err" || st=$?
REC_STATUS=$st
expect_failure "$T/nr.err" "$NR/x.pb"
grep -q 'perf_event_paranoid' "$T/nr.err" || fail "the message does not name perf_event_paranoid"
grep -q 'CAP_PERFMON' "$T/nr.err" || fail "the message does not name CAP_PERFMON"


sub "-d ends the recording of a command that ignores SIGTERM: pftrace does not hang"
start=$(date +%s)
record "$T/term.err" -d 0.3 -o "$T/term.pb" -- sh -c 'trap "" TERM; exec sleep 30'
end=$(date +%s)
expect_record_ok "$T/term.err" && dump_trace "$T/term.pb" "$T/term.txt" &&
	echo "    ok: the trace is readable"
if [ $((end - start)) -gt 10 ]; then
	fail "pftrace took $((end - start)) s to end (the command ignores SIGTERM: expected SIGKILL after 2 s)"
else
	echo "    ok: ended after $((end - start)) s"
fi
grep -q "still running after -d" "$T/term.err" ||
	fail "no message that the command was still running"

finish
