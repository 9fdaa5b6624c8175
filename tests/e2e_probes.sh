#!/bin/sh
# e2e_probes: user probes through tracefs (the probes plugin): exactly N
# uprobe, uretprobe and USDT hits with their argument values, the USDT
# semaphore raised only while recording, a library's short name (libc), a
# process already running (-p); the probe group removed after a normal end,
# SIGINT, SIGTERM, an error and (by the next run) SIGKILL, a foreign probe
# group never touched; bad specs fail with one error naming them, leaving
# neither probes nor a trace file.
. "${top_srcdir:?top_srcdir must be set}/tests/lib.sh"
require_root
if ! have_feature elf-symbols; then
	echo "pftrace built without libelf: no probes plugin, nothing to test"
	exit 0
fi
setup_tmp
U=$(fixture usdt_app)
S=$(fixture spanner)

# prec ERRFILE ARGS...: `pftrace record ARGS` under a watchdog, stdin from
# /dev/null, stdout to ERRFILE.out, stderr to ERRFILE; sets REC_STATUS and
# REC_PID, the pid of that pftrace (its probes are the tracefs group
# pftrace_$REC_PID).
prec()
{
	_err="$1"
	shift
	echo "+ pftrace record $*"
	rm -f "$T/rec.pid"
	REC_STATUS=0
	timeout -s KILL "${RECORD_TIMEOUT:-60}" sh -c 'p=$1; shift; echo $$ >"$p"; exec "$@"' \
		sh "$T/rec.pid" "$PFTRACE" record "$@" </dev/null >"$_err.out" 2>"$_err" ||
		REC_STATUS=$?
	REC_PID=$(cat "$T/rec.pid" 2>/dev/null)
	[ "$REC_STATUS" = 137 ] && echo "    (pftrace record killed by the watchdog)"
	return 0
}

# unswept ERRFILE: ERRFILE without the warning that pftrace removed probes
# left by a pftrace that is gone (another one killed alongside this test), as
# ERRFILE.u.
unswept()
{
	grep -v '^pftrace: warning: probes: removed [0-9]* probes left behind by a pftrace that is gone$' \
		"$1" >"$1.u"
}

# The uprobe_events file (pftrace mounts tracefs itself; call after a run).
uprobe_events()
{
	for _d in /sys/kernel/tracing /sys/kernel/debug/tracing; do
		[ -e "$_d/uprobe_events" ] && { echo "$_d/uprobe_events"; return 0; }
	done
	return 1
}

# expect_no_probes PID: no probe of the group pftrace_PID is left, nor any
# probe of a pftrace group on this test's files; the foreign group is intact.
expect_no_probes()
{
	_ue=$(uprobe_events) || { fail "no uprobe_events file in tracefs"; return 1; }
	_left=$(grep -e "^[pr]:pftrace_$1/" -e "^[pr]:pftrace_[0-9]*/[^ ]* $T/" "$_ue")
	if [ -n "$_left" ]; then
		fail "probes left in $_ue after pftrace $1:"
		printf '%s\n' "$_left" | sed 's/^/    | /'
	else
		echo "    ok: no probe of pftrace_$1 (nor on $T) left in uprobe_events"
	fi
	if [ -n "${FOREIGN:-}" ]; then
		grep -q "^p:$FOREIGN/x " "$_ue" ||
			fail "the foreign probe group $FOREIGN is gone from $_ue"
	fi
}

# wait_recording ERRFILE PID: waits (10 s at most) until the pftrace PID
# says it is recording; 1 if it did not.
wait_recording()
{
	_i=0
	while ! grep -q '^pftrace: recording' "$1" 2>/dev/null; do
		alive "$2" && [ $_i -lt 100 ] || { fail "pftrace $2 never started recording:"; show "$1"; return 1; }
		sleep 0.1
		_i=$((_i + 1))
	done
	return 0
}

# values DUMP NAME TID KEY: the values of argument KEY of the instants NAME of
# TID, in trace order, one a line.
values()
{
	awk -v name="$2" -v t="$3" -v key="$4" "$AWK_LIB"'
	parse() && EV == "instant" && TID == t && arg("name") == name { print arg(key) }' "$1"
}

N=200
WHERE=$("$U" --where) || die "usdt_app --where failed"
WORK_OFF=$(echo "$WHERE" | awk '{ print $2 }')
echo "usdt_app: $WHERE"

sub "pftrace probes lists a binary's USDT probes and functions"
st=0
"$PFTRACE" probes "$U" >"$T/list.txt" 2>"$T/list.err" || st=$?
expect_eq "exit status" "$st" 0
show "$T/list.txt" 4
grep -qE "^usdt:$U:pftest:tick  \[1 location, semaphore\]  args: -4@[^ ]+ -8@[^ ]+\$" "$T/list.txt" ||
	fail "no line for pftest:tick with its semaphore and two argument specs"
grep -qxF "usdt:$U:pftest:plain  args: -4@\$5" "$T/list.txt" || fail "no line for pftest:plain"
grep -qxF "uprobe:$U:pft_work" "$T/list.txt" || fail "no line for the function pft_work"
expect_eq "functions matching pft_*" "$("$PFTRACE" probes "$U" 'pft_*')" "uprobe:$U:pft_work"
st=0
"$PFTRACE" probes /etc/passwd >/dev/null 2>"$T/list.err" || st=$?
expect_eq "exit status of pftrace probes /etc/passwd" "$st" 1
expect_error_only "$T/list.err"

sub "usdt_app alone does not see its semaphore raised"
"$U" 3 >"$T/alone.out" || fail "usdt_app 3 exited $?"
expect_eq "usdt_app output" "$(cat "$T/alone.out")" "semaphore 0"

sub "uprobe, uretprobe and USDT probes over usdt_app $N"
prec "$T/u.err" --no-stacks -o "$T/u.pb" -e "uprobe:$U:pft_work i=%di:s32" \
	-e "uretprobe:$U:pft_work ret=\$retval:s64" -e "usdt:$U:pftest:tick" \
	-e "usdt:$U:pftest:plain" -- "$U" "$N"
UE=
if expect_record_ok "$T/u.err" && dump_trace "$T/u.pb" "$T/u.txt" &&
    tid=$(tid_of_exec "$U" "$T/u.txt"); then
	UE=$(uprobe_events) || fail "no uprobe_events in tracefs after a probe run"
	expect_eq "usdt_app output (semaphore raised)" "$(cat "$T/u.err.out")" "semaphore $N"
	expect_eq "pft_work entries of tid $tid" \
		"$(values "$T/u.txt" pft_work "$tid" i | wc -l)" "$N"
	expect_eq "pft_work i values, in order, that are not 0..$((N - 1))" \
		"$(values "$T/u.txt" pft_work "$tid" i | awk '$1 != NR - 1 { n++ } END { print n + 0 }')" 0
	# pft_work(i) returns 0 + 1 + ... + i
	expect_eq "pft_work returns of tid $tid" \
		"$(values "$T/u.txt" pft_work_ret "$tid" ret | wc -l)" "$N"
	expect_eq "pft_work return values, in order, that are not i*(i+1)/2" \
		"$(values "$T/u.txt" pft_work_ret "$tid" ret |
			awk '{ i = NR - 1 } $1 != i * (i + 1) / 2 { n++ } END { print n + 0 }')" 0
	expect_eq "USDT pftest:tick hits of tid $tid" \
		"$(values "$T/u.txt" tick "$tid" arg0 | wc -l)" "$N"
	expect_eq "tick hits whose (arg0, arg1) are not (i, 3i) in order" \
		"$(awk -v t="$tid" "$AWK_LIB"'parse() && EV == "instant" && TID == t &&
			arg("name") == "tick" { if (arg("arg0") != k + 0 || arg("arg1") != 3 * k) n++; k++ }
			END { print n + 0 }' "$T/u.txt")" 0
	expect_eq "USDT pftest:plain hits of tid $tid with arg0=5" \
		"$(ev_count "$T/u.txt" instant "$tid" name=plain arg0=5)" "$N"
	expect_eq "probe hits of other threads" \
		"$(awk -v t="$tid" "$AWK_LIB"'parse() && EV == "instant" && TID != t { n++ }
			END { print n + 0 }' "$T/u.txt")" 0
	expect_no_probes "$REC_PID"
fi
"$U" 2 >"$T/after.out" || fail "usdt_app 2 exited $?"
expect_eq "usdt_app output after the recording (semaphore lowered)" "$(cat "$T/after.out")" \
	"semaphore 0"

# A probe group that is not pftrace's: every run below must leave it alone.
[ -n "$UE" ] || UE=$(uprobe_events) || die "no uprobe_events file in tracefs"
FOREIGN=otherprobes_$$
echo "p:$FOREIGN/x $U:$WORK_OFF" >>"$UE" || die "cannot add a probe to $UE"
at_exit "echo '-:$FOREIGN/x' >>'$UE'"
grep "^p:$FOREIGN/x " "$UE" | sed 's/^/    foreign: /'

sub "a library by its short name: uprobe:libc:getppid"
"$PFTRACE" probes libc getppid >"$T/lp.out" 2>"$T/lp.err" || fail "pftrace probes libc getppid exited $?"
grep -q '^uprobe:/.*libc[.-].*:getppid$' "$T/lp.out" ||
	{ fail "pftrace probes libc getppid lists no libc getppid:"; show "$T/lp.out"; show "$T/lp.err"; }
prec "$T/l.err" --no-stacks -o "$T/l.pb" -e "uprobe:libc:getppid" \
	-e "uretprobe:libc:getppid r=\$retval:s32" -- "$S" getppid 300
if expect_record_ok "$T/l.err" && dump_trace "$T/l.pb" "$T/l.txt" &&
    tid=$(tid_of_exec "$S" "$T/l.txt"); then
	ppid=$(awk -v t="$tid" "$AWK_LIB"'parse() && EV == "process" && arg("pid") == t {
		print arg("ppid"); exit }' "$T/l.txt")
	echo "    spanner $tid, parent $ppid"
	expect_eq "getppid entries of tid $tid" "$(ev_count "$T/l.txt" instant "$tid" name=getppid)" 300
	expect_eq "getppid returns of tid $tid with r=$ppid" \
		"$(ev_count "$T/l.txt" instant "$tid" name=getppid_ret r="$ppid")" 300
	expect_no_probes "$REC_PID"
fi

sub "a process already running: -p PID, until it exits"
mkfifo "$T/gate" || die "mkfifo failed"
"$S" -g "$T/gate" sleep 5 >"$T/p.out" &
sp=$!
at_exit "kill_child $sp"
bg_default_int "$PFTRACE" record --no-stacks -o "$T/p.pb" -p "$sp" \
	-e "uprobe:$S:nap i=%di:s32" -e "uretprobe:$S:nap r=\$retval:s32" 2>"$T/p.err" </dev/null
pp=$BG_PID
at_exit "kill_child -9 $pp"
if wait_recording "$T/p.err" "$pp"; then
	echo go >"$T/gate"
	wait "$sp" || fail "spanner exited $?"
	i=0
	while alive "$pp" && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	alive "$pp" && fail "pftrace -p still running 5 s after its target exited"
	kill_child -9 "$pp"
	st=0
	wait "$pp" || st=$?
	expect_eq "pftrace -p exit status" "$st" 0
	if dump_trace "$T/p.pb" "$T/p.txt"; then
		expect_eq "nap entries of $sp" "$(values "$T/p.txt" nap "$sp" i | tr '\n' ' ')" "0 1 2 3 4 "
		expect_eq "nap returns of $sp" "$(values "$T/p.txt" nap_ret "$sp" r | tr '\n' ' ')" \
			"0 1 2 3 4 "
	fi
	expect_no_probes "$pp"
else
	echo go >"$T/gate"
fi

# signal_stop SIG: pftrace probing a running spanner gets SIG; it must stop
# within 2 s with a trace, and leave no probe behind.
signal_stop()
{
	"$S" sleep 100000 >/dev/null &
	_sp=$!
	at_exit "kill_child $_sp"
	rm -f "$T/sig.pb"
	bg_default_int "$PFTRACE" record --no-stacks -o "$T/sig.pb" -p "$_sp" \
		-e "uprobe:$S:nap i=%di:s32" 2>"$T/sig.err" </dev/null
	_pp=$BG_PID
	at_exit "kill_child -9 $_pp"
	wait_recording "$T/sig.err" "$_pp" || { kill_child "$_sp"; return; }
	grep -q "^p:pftrace_$_pp/" "$UE" || fail "no probe of pftrace_$_pp in $UE while recording"
	sleep 0.3
	kill -s "$1" "$_pp"
	_i=0
	while alive "$_pp" && [ $_i -lt 20 ]; do sleep 0.1; _i=$((_i + 1)); done
	alive "$_pp" && fail "pftrace still running 2 s after SIG$1"
	kill_child -9 "$_pp"
	_st=0
	wait "$_pp" || _st=$?
	echo "    pftrace exited $_st after SIG$1"
	kill_child "$_sp"
	wait "$_sp"
	if dump_trace "$T/sig.pb" "$T/sig.txt"; then
		expect_ge "nap entries of $_sp before SIG$1" "$(ev_count "$T/sig.txt" instant "$_sp" name=nap)" 1
	fi
	expect_no_probes "$_pp"
}

sub "SIGINT: the probes are removed"
signal_stop INT

sub "SIGTERM: the probes are removed"
signal_stop TERM

sub "an error after a probe was created: the kernel refuses the second probe's fetch args"
prec "$T/e.err" --no-stacks -o "$T/e.pb" -e "uprobe:$U:pft_work i=%di:s32" \
	-e "uretprobe:$U:pft_work bad=%nosuchreg" -- "$U" 1
unswept "$T/e.err"
expect_failure "$T/e.err.u" "$T/e.pb"
grep -qF "uretprobe:$U:pft_work bad=%nosuchreg" "$T/e.err" || fail "the error does not name the spec"
expect_no_probes "$REC_PID"

sub "SIGKILL: the probes stay, and the next run removes them"
"$S" sleep 100000 >/dev/null &
ksp=$!
at_exit "kill_child $ksp"
"$PFTRACE" record --no-stacks -o "$T/k.pb" -p "$ksp" -e "uprobe:$S:nap" -e "usdt:$U:pftest:tick" \
	2>"$T/k.err" </dev/null &
kp=$!
at_exit "kill_child -9 $kp"
if wait_recording "$T/k.err" "$kp"; then
	kill -9 "$kp"
	wait "$kp"
	kill_child "$ksp"
	wait "$ksp"
	# (another pftrace running alongside may sweep them first)
	echo "    left by the killed pftrace $kp: $(grep -c "^[pr]:pftrace_$kp/" "$UE") probe(s)"
	prec "$T/n.err" --no-stacks -o "$T/n.pb" -e "uprobe:$U:pft_work" -- "$U" 1
	expect_record_ok "$T/n.err"
	grep '^pftrace: warning: probes: removed' "$T/n.err" | sed 's/^/    next run: /'
	expect_no_probes "$kp"
	expect_no_probes "$REC_PID"
fi

# bad SPEC STATUS WORDS...: record with a good probe and then SPEC fails with
# exit STATUS, one error line naming SPEC and containing each of WORDS, no
# trace and no probe left.
bad()
{
	_spec="$1" _want="$2"
	shift 2
	rm -f "$T/bad.pb"
	prec "$T/bad.err" --no-stacks -o "$T/bad.pb" -e "uprobe:$U:pft_work" -e "$_spec" -- "$U" 1
	unswept "$T/bad.err"
	expect_failure "$T/bad.err.u" "$T/bad.pb"
	expect_eq "exit status" "$REC_STATUS" "$_want"
	grep -qF -- "$_spec" "$T/bad.err" || fail "the error does not name the spec '$_spec'"
	for _w in "$@"; do
		grep -qiF -- "$_w" "$T/bad.err" || fail "the error does not say '$_w'"
	done
	expect_no_probes "$REC_PID"
}

sub "bad input: a path that is not ELF"
bad "uprobe:/etc/passwd:main" 1 "not an ELF"

sub "bad input: a missing symbol"
bad "uprobe:$U:no_such_function" 1 "no_such_function"

sub "bad input: a missing USDT probe"
bad "usdt:$U:pftest:no_such_probe" 1 "no_such_probe"

sub "bad input: a malformed spec (usage error)"
bad "uprobe:" 2

sub "bad input: a stripped binary"
cp "$U" "$T/bin/stripped" && ${STRIP:-strip} "$T/bin/stripped" || die "cannot strip a copy of usdt_app"
bad "uprobe:$T/bin/stripped:pft_work" 1 "no symbol table"

sub "bad input: an offset that is not code"
bad "uprobe:$U:pft_work+100000" 1 "offset"

sub "bad input: a missing file"
bad "uprobe:$T/nosuch:main" 1 "No such file"

sub "the foreign probe group survived every run"
if grep -q "^p:$FOREIGN/x " "$UE"; then
	echo "    ok: $FOREIGN/x is still there"
	echo "-:$FOREIGN/x" >>"$UE" || fail "cannot remove $FOREIGN/x"
	grep -q "^p:$FOREIGN/x " "$UE" && fail "$FOREIGN/x could not be removed"
else
	fail "$FOREIGN/x is gone"
fi
FOREIGN=

finish
