#!/bin/sh
# e2e_faults: pftrace under faults of its environment.  Each fault gives one clear message
# (one "pftrace: error:" line, optionally hints) or a recording that succeeds, a trace of
# what was recorded that `pftrace dump` reads, and nothing left behind in tracefs (no
# pftrace_<pid> probe group of the run).  Faults: a non-regular output (-o /proc/version),
# file descriptors exhausted, memory limited, tracefs not mounted and not mountable,
# perf_event_paranoid 3 (root, and nobody), the traced command killed by a signal, pftrace
# SIGKILLed mid-recording (the next run sweeps its probes), and a CPU going offline (only
# under CI=true or PFTRACE_TEST_CPU_OFFLINE=1: it disturbs whatever else runs).
. "${top_srcdir:?top_srcdir must be set}/tests/lib.sh"
require_root
setup_tmp
# with the probes plugin (libelf), the recordings also hold a uprobe: its
# tracefs leftovers are checked too
UP=""
if have_feature probes; then
	UP="-e uprobe:libc:getpid"
fi
SL=$(fixture sleeper)
TF=/sys/kernel/tracing

# no_leftovers PID: no probe group of the pftrace run PID in tracefs
no_leftovers()
{
	if [ -r "$TF/uprobe_events" ] && grep -q "pftrace_$1/" "$TF/uprobe_events"; then
		fail "probe group pftrace_$1 left behind in uprobe_events"
	fi
	if [ -d "$TF/events/pftrace_$1" ]; then
		fail "events/pftrace_$1 left behind"
	fi
}

# rec_bg ERR ARGS...: pftrace record in the background (REC_PID)
rec_bg()
{
	_err=$1
	shift
	"$PFTRACE" record "$@" </dev/null 2>"$_err" &
	REC_PID=$!
}

sub "-o /proc/version is refused up front"
t0=$(date +%s)
record "$T/proc.err" -d 20 --no-stacks -o /proc/version
expect_ge "seconds before the refusal (< 5)" "$((5 - ($(date +%s) - t0)))" 1
expect_failure "$T/proc.err" /nonexistent
grep -q 'not a regular file' "$T/proc.err" || fail "the message does not say 'not a regular file'"

sub "ulimit -n 64: a system-wide recording and one with -e uprobe work"
(ulimit -n 64 && exec "$PFTRACE" record -d 0.5 -o "$T/fd64.pb" </dev/null) 2>"$T/fd64.err"
REC_STATUS=$?
expect_record_ok "$T/fd64.err" && dump_trace "$T/fd64.pb" "$T/fd64.txt"
(ulimit -n 64 && exec "$PFTRACE" record -d 0.5 --no-stacks $UP \
	-o "$T/fd64u.pb" -- "$SL" 3 10 </dev/null) 2>"$T/fd64u.err" &
p=$!
wait $p
REC_STATUS=$?
expect_record_ok "$T/fd64u.err" && dump_trace "$T/fd64u.pb" "$T/fd64u.txt"
no_leftovers $p

sub "ulimit -n 12: one message naming the limit, no output left"
(ulimit -n 12 && exec "$PFTRACE" record -d 0.5 -o "$T/fd12.pb" </dev/null) 2>"$T/fd12.err"
REC_STATUS=$?
# warnings about what this build lacks may come first (no DWARF unwinder)
grep -v '^pftrace: warning: ' "$T/fd12.err" >"$T/fd12.err2"
expect_failure "$T/fd12.err2" "$T/fd12.pb"
grep -q 'ulimit -n' "$T/fd12.err" || fail "the message does not mention ulimit -n"
(ulimit -n 12 && exec "$PFTRACE" record -d 0.5 $UP -o "$T/fd12u.pb" \
	</dev/null) 2>"$T/fd12u.err" &
p=$!
wait $p
REC_STATUS=$?
grep -v '^pftrace: warning: ' "$T/fd12u.err" >"$T/fd12u.err2"
expect_failure "$T/fd12u.err2" "$T/fd12u.pb"
no_leftovers $p

sub "ulimit -v: a recording that fits works, one that does not fails cleanly"
if sanitized; then
	# ASan reserves terabytes of address space for its shadow before main():
	# under any ulimit -v it cannot start.  The normal build runs this check.
	echo "    (AddressSanitizer build: ulimit -v is checked in the normal build)"
else
	(ulimit -v 200000 && exec "$PFTRACE" record -d 0.5 -o "$T/vm.pb" </dev/null) 2>"$T/vm.err"
	REC_STATUS=$?
	expect_record_ok "$T/vm.err" && dump_trace "$T/vm.pb" "$T/vm.txt"
	(ulimit -v 10000 && exec "$PFTRACE" record -d 0.5 -o "$T/vm2.pb" </dev/null) 2>"$T/vm2.err"
	REC_STATUS=$?
	if [ "$REC_STATUS" = 0 ]; then
		dump_trace "$T/vm2.pb" "$T/vm2.txt"
	else
		# a warning about what it could not load may come first; then exactly one error
		grep -v '^pftrace: warning: ' "$T/vm2.err" >"$T/vm2.err2"
		expect_error_only "$T/vm2.err2"
		[ ! -e "$T/vm2.pb" ] || fail "output left behind"
	fi
fi

sub "tracefs not mounted and not mountable"
if command -v unshare >/dev/null && command -v setpriv >/dev/null; then
	unshare -m sh -c '
		umount -l /sys/kernel/tracing 2>/dev/null
		umount -l /sys/kernel/debug 2>/dev/null
		exec setpriv --bounding-set -sys_admin --inh-caps -sys_admin \
			"$1" record -d 0.5 -o "$2" </dev/null' sh "$PFTRACE" "$T/notf.pb" 2>"$T/notf.err"
	REC_STATUS=$?
	expect_failure "$T/notf.err" "$T/notf.pb"
	grep -q 'tracefs' "$T/notf.err" || fail "the message does not name tracefs"
else
	skip "unshare or setpriv missing"
fi

sub "perf_event_paranoid 3: root records, nobody gets one message saying what to do"
old=$(cat /proc/sys/kernel/perf_event_paranoid)
at_exit "echo $old > /proc/sys/kernel/perf_event_paranoid"
echo 3 >/proc/sys/kernel/perf_event_paranoid
record "$T/p3.err" -d 0.5 -o "$T/p3.pb"
expect_record_ok "$T/p3.err" && dump_trace "$T/p3.pb" "$T/p3.txt"
mkdir -p "$T/nobody" && chmod 777 "$T/nobody"
cp "$PFTRACE" "$T/nobody/pftrace" && chmod 755 "$T/nobody/pftrace" "$T"
setpriv --reuid=nobody --regid=nogroup --clear-groups "$T/nobody/pftrace" record -d 0.5 \
	-o "$T/nobody/n.pb" </dev/null 2>"$T/nobody.err"
REC_STATUS=$?
expect_failure "$T/nobody.err" "$T/nobody/n.pb"
grep -q 'pftrace: hint: ' "$T/nobody.err" || fail "no hint says what to do"
echo "$old" >/proc/sys/kernel/perf_event_paranoid
if command -v setcap >/dev/null; then
	setcap cap_perfmon,cap_sys_ptrace,cap_dac_read_search,cap_sys_admin+ep "$T/nobody/pftrace"
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$T/nobody/pftrace" record -d 0.5 \
		--no-stacks -o "$T/nobody/c.pb" </dev/null 2>"$T/nobodycap.err"
	REC_STATUS=$?
	if [ "$REC_STATUS" = 0 ]; then
		dump_trace "$T/nobody/c.pb" "$T/nobodycap.txt"
	else
		expect_failure "$T/nobodycap.err" "$T/nobody/c.pb"
	fi
	show "$T/nobodycap.err" 3
fi

sub "the traced command killed by a signal"
record "$T/kill.err" --no-stacks -o "$T/kill.pb" -- sh -c 'kill -KILL $$'
[ "$REC_STATUS" != 137 ] || fail "pftrace itself was killed"
dump_trace "$T/kill.pb" "$T/kill.txt"
show "$T/kill.err" 2

sub "pftrace SIGKILLed mid-recording: the trace up to the last flush loads, leftovers swept"
rec_bg "$T/k9.err" -d 30 $UP -o "$T/k9.pb"
victim=$REC_PID
i=0	# until something is flushed (startup takes a while on a loaded machine), then 1 s more
while [ ! -s "$T/k9.pb" ] && [ $i -lt 200 ] && alive "$victim"; do
	sleep 0.1
	i=$((i + 1))
done
sleep 1
kill -KILL "$victim"
wait "$victim"
"$PFTRACE" dump "$T/k9.pb" >"$T/k9.txt" 2>"$T/k9.derr"
st=$?
expect_eq "dump of the killed recording exits" "$st" 0
[ "$(grep -c . "$T/k9.derr")" -le 1 ] || { fail "more than one warning:"; show "$T/k9.derr"; }
expect_ge "events before the kill" "$(grep -c . "$T/k9.txt")" 1
rec_bg "$T/k9b.err" -d 0.3 --no-stacks $UP -o "$T/k9b.pb"
wait $REC_PID
no_leftovers "$victim"
no_leftovers $REC_PID

sub "a CPU going offline mid-recording"
if [ "${CI:-}" != true ] && [ "${PFTRACE_TEST_CPU_OFFLINE:-}" != 1 ]; then
	echo "    (not run: set PFTRACE_TEST_CPU_OFFLINE=1; it disturbs other work on the machine)"
elif [ ! -w /sys/devices/system/cpu/cpu1/online ]; then
	echo "    ok: not possible on this kernel (no cpu1/online)"
else
	rec_bg "$T/off.err" -d 2 -o "$T/off.pb"
	sleep 0.7
	if echo 0 >/sys/devices/system/cpu/cpu1/online 2>"$T/off.w"; then
		sleep 0.5
		echo 1 >/sys/devices/system/cpu/cpu1/online
		wait $REC_PID
		REC_STATUS=$?
		expect_record_ok "$T/off.err" && dump_trace "$T/off.pb" "$T/off.txt" &&
			echo "    ok: cpu1 went offline and back; the recording ended well"
	else
		echo "    ok: not possible on this kernel: $(cat "$T/off.w")"
		wait $REC_PID
	fi
fi

finish
