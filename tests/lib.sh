# tests/lib.sh: shared helpers of the end-to-end tests (sourced, POSIX sh).
#
# Environment (set by `make check`): PFTRACE (the built binary), top_builddir,
# top_srcdir (both absolute).  A test runs standalone as
#   env PFTRACE=$B/pftrace top_builddir=$B top_srcdir=$S sh $S/tests/e2e_X.sh
#
# Exit codes follow automake's test-driver: 0 pass, 77 skip, 1 fail.  Kernel
# tests skip only when not root, and never when CI=true.
#
# A test calls require_root, then setup_tmp (a private directory $T removed on
# exit), numbers its sub-checks with `sub`, reports with `fail`, and ends with
# `finish`.  Dumps are parsed with the awk prelude $AWK_LIB; a dump line is
#   <sec>.<nsec> [<cpu>] <comm>(<tid>) <event> <key=value ...>
# and process-tree lines have cpu "[---]".
#
# Nothing here mounts tracefs: finding or mounting it is pftrace's job, and a
# test that prepared it would hide a failure to do so.

: "${PFTRACE:?PFTRACE must name the pftrace binary}"
: "${top_builddir:?top_builddir must be set}"
: "${top_srcdir:?top_srcdir must be set}"

LC_ALL=C
export LC_ALL

FIXTURES="$top_builddir/tests/fixtures"
FAILURES=0
SUB=0
SUB_DESC=
T=
CLEANUP_HOOKS=

# skip WHY: the one way to skip a test the environment does not allow (exit
# 77); under CI=true, where the environment promises everything, it fails
# instead (as tap_skip() of tests/tap.h does).  A check of a feature that is
# compiled out is not skipped: the test asks have_feature and does not run it.
skip()
{
	echo "SKIP: $*"
	if [ "${CI:-}" = true ]; then
		echo "FAIL: tests may not skip in CI (CI=true)"
		exit 1
	fi
	exit 77
}

# sanitized: true when pftrace is built with AddressSanitizer (its shadow
# memory makes `ulimit -v` and absolute RSS bounds meaningless there).
sanitized()
{
	ldd "$PFTRACE" 2>/dev/null | grep -q 'libasan'
}

# have_feature NAME: true when this pftrace is built with NAME (a word of the
# "features:" line of `pftrace --version`, e.g. elf-symbols, dwarf-unwind).
have_feature()
{
	"$PFTRACE" --version | grep -q "^features:.* $1\( \|\$\)"
}

# Aborts the test: for broken preconditions, not for assertions.
die()
{
	echo "FAIL: $*"
	exit 1
}

require_root()
{
	[ "$(id -u)" = 0 ] || skip "needs root (perf_event_open of tracepoints and tracefs)"
	[ -x "$PFTRACE" ] || die "PFTRACE=$PFTRACE is not an executable"
}

# fixture NAME: prints a path to the built fixture NAME that is unique to this
# test ($T/bin/NAME, a symlink; call setup_tmp first), or dies.  Its exec
# shows that path as the filename while the comm stays NAME, so a test finds
# its own fixture with tid_of_exec PATH even when other tests run alongside.
fixture()
{
	[ -x "$FIXTURES/$1" ] || die "fixture $FIXTURES/$1 not built (make check builds it)"
	[ -n "$T" ] || die "fixture called before setup_tmp"
	mkdir -p "$T/bin"
	ln -sf "$FIXTURES/$1" "$T/bin/$1" || die "cannot link $T/bin/$1"
	echo "$T/bin/$1"
}

# at_exit CMD: run CMD (a string for eval) at exit, most recent first.
at_exit()
{
	CLEANUP_HOOKS="$1
$CLEANUP_HOOKS"
}

# kill_child PID... [-SIG is not supported; SIGKILL with kill_child -9 PID...]:
# signals each PID only while it is still a child of this shell, so that a
# cleanup never hits an unrelated process that reused the pid of one already
# reaped.
kill_child()
{
	_sig=-TERM
	if [ "$1" = -9 ]; then
		_sig=-KILL
		shift
	fi
	for _p in "$@"; do
		# Field 4 of /proc/PID/stat is the ppid (our children's comms have no
		# spaces or parentheses).
		[ "$(awk '{ print $4 }' "/proc/$_p/stat" 2>/dev/null)" = "$$" ] &&
			kill "$_sig" "$_p" 2>/dev/null
	done
	return 0
}

# alive PID: true while PID runs (a zombie not yet reaped does not count).
alive()
{
	_st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
	[ -n "$_st" ] && [ "$_st" != Z ] && [ "$_st" != X ]
}

_cleanup()
{
	_rc=$?
	trap - EXIT INT TERM
	# Hooks run one by one so that a failing hook does not stop the others.
	printf '%s\n' "$CLEANUP_HOOKS" | while IFS= read -r _h; do
		[ -n "$_h" ] && eval "$_h" >/dev/null 2>&1
	done
	if [ -n "$T" ] && [ -d "$T" ]; then
		if [ "${PFTRACE_KEEP:-}" = 1 ]; then
			echo "kept $T"
		else
			rm -rf "$T"
		fi
	fi
	exit "$_rc"
}

# setup_tmp: creates $T, a private directory removed (with every at_exit hook
# run) when the test exits or is interrupted.
setup_tmp()
{
	T=$(mktemp -d "${TMPDIR:-/tmp}/pftrace-e2e.XXXXXX") || die "mktemp -d failed"
	trap _cleanup EXIT
	trap 'exit 1' INT TERM
}

# sub DESC: starts numbered sub-check N.
sub()
{
	SUB=$((SUB + 1))
	SUB_DESC="$1"
	echo "--- $SUB. $SUB_DESC"
}

fail()
{
	FAILURES=$((FAILURES + 1))
	echo "FAIL [$SUB. $SUB_DESC]: $*"
}

finish()
{
	if [ "$FAILURES" -ne 0 ]; then
		echo "$FAILURES check(s) failed"
		exit 1
	fi
	echo "all $SUB sub-checks passed"
	exit 0
}

# show FILE [LINES]: prints the head of a file into the log, indented.
show()
{
	[ -f "$1" ] || { echo "    ($1 does not exist)"; return 0; }
	[ -s "$1" ] || { echo "    (empty)"; return 0; }
	head -n "${2:-20}" "$1" | sed 's/^/    | /'
}

# record ERRFILE ARGS...: runs `pftrace record ARGS` under a watchdog, stdin
# from /dev/null, stderr to ERRFILE; sets REC_STATUS.  Never fails the test.
record()
{
	_err="$1"
	shift
	echo "+ pftrace record $*"
	REC_STATUS=0
	timeout -s KILL "${RECORD_TIMEOUT:-60}" "$PFTRACE" record "$@" </dev/null 2>"$_err" ||
		REC_STATUS=$?
	if [ "$REC_STATUS" = 137 ]; then
		echo "    (pftrace record killed by the ${RECORD_TIMEOUT:-60} s watchdog)"
	fi
	return 0
}

# expect_record_ok ERRFILE: fails the sub-check unless the last record
# exited 0.
expect_record_ok()
{
	if [ "$REC_STATUS" != 0 ]; then
		fail "pftrace record exited $REC_STATUS, expected 0; stderr:"
		show "$1"
		return 1
	fi
	return 0
}

# dump_trace TRACE OUT: runs `pftrace dump TRACE > OUT`; fails the sub-check
# (and returns 1) unless it exits 0 with at least one line.
dump_trace()
{
	_st=0
	timeout -s KILL 60 "$PFTRACE" dump "$1" >"$2" 2>"$2.err" || _st=$?
	if [ "$_st" != 0 ]; then
		fail "pftrace dump $1 exited $_st, expected 0; stderr:"
		show "$2.err"
		return 1
	fi
	if [ ! -s "$2" ]; then
		fail "pftrace dump $1 printed nothing"
		return 1
	fi
	return 0
}

# expect_error_only ERRFILE: stderr must be exactly one "pftrace: error: "
# line, optionally followed by "pftrace: hint: " lines.
expect_error_only()
{
	if [ "$(grep -c '^pftrace: error: ' "$1")" != 1 ] ||
	    [ "$(head -n 1 "$1" | grep -c '^pftrace: error: ')" != 1 ] ||
	    grep -v -e '^pftrace: error: ' -e '^pftrace: hint: ' "$1" >/dev/null; then
		fail "stderr is not one 'pftrace: error:' line (+ optional 'pftrace: hint:' lines):"
		show "$1"
		return 1
	fi
	sed 's/^/    ok: /' "$1"
	return 0
}

# expect_failure ERRFILE OUTFILE: the last record must have failed (exit
# neither 0 nor the watchdog's kill) with one error line, leaving no OUTFILE.
expect_failure()
{
	if [ "$REC_STATUS" = 0 ] || [ "$REC_STATUS" = 137 ]; then
		fail "pftrace record exited $REC_STATUS, expected a non-zero exit of its own"
	fi
	expect_error_only "$1"
	if [ -e "$2" ] || [ -L "$2" ]; then
		fail "output $2 was left behind"
	fi
}

# bg_default_int CMD...: starts CMD in the background with SIGINT at its
# default disposition (a non-interactive shell makes background jobs ignore
# SIGINT, which a tracer using sigwait/signalfd would never see).  Sets BG_PID.
bg_default_int()
{
	if env --default-signal=INT true 2>/dev/null; then
		env --default-signal=INT "$@" &
	elif command -v perl >/dev/null 2>&1; then
		perl -e '$SIG{INT} = "DEFAULT"; exec @ARGV or die "exec: $!\n"' "$@" &
	else
		echo "    (no way to reset SIGINT for a background job; it may be ignored)"
		"$@" &
	fi
	BG_PID=$!
}

# online_cpus: prints the online CPU numbers, one a line.
online_cpus()
{
	if [ -r /sys/devices/system/cpu/online ]; then
		tr ',' '\n' </sys/devices/system/cpu/online | awk -F- '
			NF == 1 && $1 != "" { print $1 }
			NF == 2 { for (i = $1; i <= $2; i++) print i }'
	else
		_n=$(getconf _NPROCESSORS_ONLN)
		seq 0 $((_n - 1))
	fi
}

# The awk prelude.  parse() splits $0 into TS, CPU, COMM, TID, EV and ARGS
# (the text after the event name); arg(KEY) returns a value with any double
# quotes removed ("" when absent); hex(S) converts "0x1f" or "31" to a number.
# A comm may contain spaces or parentheses: the tid is the first "(<digits>) "
# followed by an event name.
AWK_LIB='
function parse(   s, p, r) {
	TS = $1; CPU = $2; COMM = ""; TID = ""; EV = ""; ARGS = ""
	s = $0
	p = index(s, "] ")
	if (p == 0) return 0
	s = substr(s, p + 2)
	if (!match(s, /\(-?[0-9]+\) [A-Za-z_][A-Za-z0-9_:]*/)) return 0
	COMM = substr(s, 1, RSTART - 1)
	r = substr(s, RSTART + 1, RLENGTH - 1)
	p = index(r, ") ")
	TID = substr(r, 1, p - 1)
	EV = substr(r, p + 2)
	ARGS = substr(s, RSTART + RLENGTH + 1)
	return 1
}
function arg(key,   s, p, v) {
	s = " " ARGS
	p = index(s, " " key "=")
	if (p == 0) return ""
	v = substr(s, p + length(key) + 2)
	if (substr(v, 1, 1) == "\"") {
		v = substr(v, 2)
		p = index(v, "\"")
		return p ? substr(v, 1, p - 1) : v
	}
	p = index(v, " ")
	return p ? substr(v, 1, p - 1) : v
}
function hex(s,   i, c, n, d) {
	n = 0
	s = tolower(s)
	if (substr(s, 1, 2) != "0x") return s + 0
	for (i = 3; i <= length(s); i++) {
		c = substr(s, i, 1)
		d = index("0123456789abcdef", c)
		if (d == 0) break
		n = n * 16 + d - 1
	}
	return n
}
function hasbit(v, bit) {
	return int(v / bit) % 2 == 1
}
'

# tids_of_exec NAME DUMP: prints, in trace order, the pid of every process
# that exec'ed NAME: a sched_process_exec whose filename is NAME when NAME has
# a slash, else ends in /NAME or is NAME.  Failing any, it uses the process
# lines, matching the first word of their cmdline the same way.
tids_of_exec()
{
	awk -v name="$1" "$AWK_LIB"'
	function base(s,   p) { while ((p = index(s, "/")) > 0) s = substr(s, p + 1); return s }
	function is(f) { return index(name, "/") ? f == name : base(f) == name }
	parse() && EV == "sched_process_exec" && is(arg("filename")) {
		if (!(arg("pid") in seen)) { seen[arg("pid")]; print arg("pid"); n++ }
	}
	parse() && EV == "process" {
		c = arg("cmdline"); sp = index(c, " "); if (sp) c = substr(c, 1, sp - 1)
		if (is(c) && !(arg("pid") in fromproc)) { fromproc[arg("pid")]; order[++m] = arg("pid") }
	}
	END { if (n == 0) for (i = 1; i <= m; i++) print order[i] }' "$2"
}

# tid_of_exec NAME DUMP: the single process that exec'ed NAME; prints its
# pid, or fails the sub-check and returns 1 when there is not exactly one.
tid_of_exec()
{
	_tids=$(tids_of_exec "$1" "$2")
	_n=$(printf '%s' "$_tids" | grep -c .)
	if [ "$_n" != 1 ]; then
		fail "expected one exec of $1 in $2, found $_n (${_tids:-none})"
		return 1
	fi
	echo "$_tids"
}

# ev_count DUMP EVENT TID [KEY=VALUE...]: counts EVENT lines whose common tid
# is TID ("*" for any) and whose arguments have the given exact values.
ev_count()
{
	_d="$1" _e="$2" _t="$3"
	shift 3
	awk -v ev="$_e" -v tid="$_t" -v conds="$*" "$AWK_LIB"'
	BEGIN { nc = split(conds, c, " ") }
	parse() && EV == ev && (tid == "*" || TID == tid) {
		for (i = 1; i <= nc; i++) {
			p = index(c[i], "=")
			if (arg(substr(c[i], 1, p - 1)) != substr(c[i], p + 1)) next
		}
		n++
	}
	END { print n + 0 }' "$_d"
}

# expect_children_complete FIXTURE DUMP MEMBERS N: every process that
# exec'ed FIXTURE must be listed in the file MEMBERS (one pid a line); each of
# them that also exited within the trace must show exactly N getppid entries
# and N exits; at least 3 must have done so.
expect_children_complete()
{
	_full=0
	for _k in $(tids_of_exec "$1" "$2"); do
		grep -qx "$_k" "$3" || { fail "syscaller $_k is not one of the workload's children"; continue; }
		[ "$(ev_count "$2" sched_process_exit "$_k" pid="$_k")" = 1 ] || continue
		_full=$((_full + 1))
		_e=$(ev_count "$2" sys_enter "$_k" name=getppid)
		_x=$(ev_count "$2" sys_exit "$_k" name=getppid)
		[ "$_e" = "$4" ] && [ "$_x" = "$4" ] ||
			fail "syscaller $_k exec'ed and exited in the trace but has $_e sys_enter and $_x sys_exit getppid, expected $4 each"
	done
	expect_ge "syscaller children with exec and exit in the trace" "$_full" 3
}

# expect_eq WHAT GOT WANT
expect_eq()
{
	if [ "$2" != "$3" ]; then
		fail "$1: expected $3, got $2"
		return 1
	fi
	echo "    ok: $1 = $2"
	return 0
}

# expect_ge WHAT GOT MIN
expect_ge()
{
	if [ "$2" -lt "$3" ]; then
		fail "$1: expected at least $3, got $2"
		return 1
	fi
	echo "    ok: $1 = $2 (>= $3)"
	return 0
}
