#!/bin/sh
# e2e_golden: `pftrace dump` of a known workload, compared as text with a
# checked-in expected output (uftrace's runtest.py style).
#
# Records `syscaller 3` with --syscalls --no-irq --no-stacks, keeps the
# fixture's own lines from its exec on, and of those only what the fixture
# determines: its exec, process line, exit, and the system calls it makes
# itself (execve's return, getppid, exit_group) -- not the dynamic loader's
# calls (they depend on the C library) nor scheduling (it depends on the
# machine).  Then normalises what varies between runs: timestamps and CPU
# numbers are dropped, the fixture's pid and its parent's become PID and
# PPID, the test's directory becomes $T, and fields that depend on the
# machine (args=, the registers; id=, the architecture's syscall numbers;
# prio=, oom_score_adj=) are dropped.  What is left is compared with
# tests/golden/dump_syscaller.txt.
#
# PFTRACE_GOLDEN_UPDATE=1 rewrites the golden file from this run instead
# (review the diff before committing it).
. "${top_srcdir:?top_srcdir must be set}/tests/lib.sh"
require_root
setup_tmp
GOLDEN="$top_srcdir/tests/golden/dump_syscaller.txt"
SC=$(fixture syscaller)

# normalise DUMP PID: the fixture's deterministic lines, normalised.
normalise()
{
	awk -v pid="$2" -v tdir="$T" "$AWK_LIB"'
	function keep() {
		if (EV == "sched_process_exec" || EV == "sched_process_exit") return 1
		if (EV == "process") return arg("pid") == pid
		if (EV == "sys_enter" || EV == "sys_exit")
			return arg("name") == "getppid" || arg("name") == "exit_group" ||
			    (EV == "sys_exit" && arg("name") == "execve")
		return 0
	}
	function subst(s, from, to,   out, p) {
		out = ""
		while ((p = index(s, from)) > 0) {
			out = out substr(s, 1, p - 1) to
			s = substr(s, p + length(from))
		}
		return out s
	}
	!parse() { next }
	EV == "sched_process_exec" && TID == pid { on = 1 }
	!on || !(TID == pid || (EV == "process" && arg("pid") == pid)) || !keep() { next }
	EV == "process" && ppid == "" { ppid = arg("ppid") }
	{
		line = COMM "(" TID ") " EV " " ARGS
		line = subst(line, tdir, "$T")
		gsub(/ (id|args|prio|oom_score_adj)=[^ ]*/, "", line)
		n = split(line, w, " ")
		line = ""
		for (i = 1; i <= n; i++) {
			v = w[i]
			if (match(v, /[0-9]+\)?$/)) {
				num = substr(v, RSTART, RLENGTH); tail = ""
				if (substr(num, RLENGTH, 1) == ")") { num = substr(num, 1, RLENGTH - 1); tail = ")" }
				pre = substr(v, 1, RSTART - 1)
				if ((pre == "" || pre ~ /[=(]$/) && num == pid) v = pre "PID" tail
				else if ((pre == "" || pre ~ /[=(]$/) && ppid != "" && num == ppid) v = pre "PPID" tail
			}
			line = line (i > 1 ? " " : "") v
		}
		print line
	}' "$1"
}

sub "dump of record --syscalls --no-irq --no-stacks -- syscaller 3 matches $GOLDEN"
record "$T/rec.err" --syscalls --no-irq --no-stacks -o "$T/s.pb" -- "$SC" 3
if expect_record_ok "$T/rec.err" && dump_trace "$T/s.pb" "$T/s.txt" &&
    pid=$(tid_of_exec "$SC" "$T/s.txt"); then
	normalise "$T/s.txt" "$pid" >"$T/got.txt"
	if [ "${PFTRACE_GOLDEN_UPDATE:-}" = 1 ]; then
		cp "$T/got.txt" "$GOLDEN"
		echo "    wrote $GOLDEN"
	elif diff -u "$GOLDEN" "$T/got.txt" >"$T/diff.txt"; then
		echo "    ok: $(wc -l <"$T/got.txt") normalised lines equal the golden file"
	else
		fail "normalised dump differs from $GOLDEN (- expected, + got):"
		show "$T/diff.txt" 40
	fi
fi

finish
