#!/bin/sh
# e2e_cgroup: `record -c DIR --syscalls -d 1` records only the tasks of a
# cgroup v2 directory: a workload inside it is recorded completely, a twin
# workload outside it not at all.  A bad cgroup path fails before recording.
. "${top_srcdir:?top_srcdir must be set}/tests/lib.sh"
require_root
setup_tmp
SC=$(fixture syscaller)
D="$T/c.txt"

# The cgroup v2 hierarchy: the mounted one, or our own mount of it.
CGROOT=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
if [ -z "$CGROOT" ]; then
	mkdir "$T/cg2"
	mount -t cgroup2 none "$T/cg2" || die "no cgroup2 mount and mounting one failed"
	at_exit "umount '$T/cg2'"
	CGROOT="$T/cg2"
fi
CG="$CGROOT/pftrace-e2e.$$"
mkdir "$CG" || die "cannot create $CG"
echo "    cgroup $CG"
# Kill whatever is left in the cgroup, wait for it to empty, remove it.
at_exit "touch '$T/stop'; [ -e '$CG/cgroup.kill' ] && echo 1 >'$CG/cgroup.kill';
	for p in \$(cat '$CG/cgroup.procs'); do kill -9 \$p; done;
	i=0; while [ -s '$CG/cgroup.procs' ] && [ \$i -lt 50 ]; do sleep 0.1; i=\$((i + 1)); done;
	rmdir '$CG'"

# Two identical loops; the first moves itself into the cgroup before forking
# anything, so all its children are born there.  Each writes its children's
# pids to a file: the ground truth of who is inside and who is not.
LOOP='[ -z "$3" ] || echo $$ >"$3/cgroup.procs" || exit 1
	while [ ! -e "$1/stop" ]; do
		"$2" 200 & echo $! >>"$4"; wait
		sleep 0.02 & echo $! >>"$4"; wait
	done'
sh -c "$LOOP" sh "$T" "$SC" "$CG" "$T/in" &
IN=$!
sh -c "$LOOP" sh "$T" "$SC" "" "$T/out" &
OUT=$!
at_exit "touch '$T/stop'; kill_child $IN $OUT"
sleep 0.3
grep -qx "$IN" "$CG/cgroup.procs" || die "workload $IN did not enter $CG"

sub "record -c $CG --syscalls -d 1"
record "$T/rec.err" -c "$CG" --syscalls -d 1 -o "$T/c.pb"
touch "$T/stop"
wait "$IN" "$OUT"
expect_record_ok "$T/rec.err" || finish
dump_trace "$T/c.pb" "$D" || finish
{ echo "$IN"; cat "$T/in"; } >"$T/inset"
{ echo "$OUT"; cat "$T/out"; } >"$T/outset"

sub "only tasks of the cgroup make sys_enter"
res=$(awk "$AWK_LIB"'
	FILENAME == inset { ins[$1]; next }
	FILENAME == outset { outs[$1]; next }
	parse() && EV == "sys_enter" {
		if (TID in ins) n_in++
		else { n_other++; if (TID in outs) n_twin++; if (n_other <= 5) ex = ex "\n    | " $0 }
	}
	END { printf "%d %d %d%s\n", n_in, n_other, n_twin, ex }' \
	inset="$T/inset" outset="$T/outset" "$T/inset" "$T/outset" "$D")
set -f
first=$(echo "$res" | head -n 1)
n_in=$(echo "$first" | cut -d' ' -f1)
n_other=$(echo "$first" | cut -d' ' -f2)
n_twin=$(echo "$first" | cut -d' ' -f3)
set +f
expect_ge "sys_enter of tasks in the cgroup" "$n_in" 1
expect_eq "sys_enter of the twin workload outside the cgroup" "$n_twin" 0
if [ "$n_other" != 0 ]; then
	fail "$n_other sys_enter line(s) of tasks outside the cgroup, e.g.:"
	echo "$res" | tail -n +2
else
	echo "    ok: no sys_enter outside the cgroup"
fi

sub "children in the cgroup are recorded completely"
expect_children_complete "$SC" "$D" "$T/in" 200

sub "-c with a cgroup directory that does not exist"
record "$T/e1.err" -c "$CGROOT/pftrace-e2e-nosuch.$$" -d 0.2 -o "$T/none1.pb"
expect_failure "$T/e1.err" "$T/none1.pb"

sub "-c with a directory that is not a cgroup"
mkdir "$T/notcg"
record "$T/e2.err" -c "$T/notcg" -d 0.2 -o "$T/none2.pb"
expect_failure "$T/e2.err" "$T/none2.pb"

sub "-c with a regular file"
record "$T/e3.err" -c "$CG/cgroup.procs" -d 0.2 -o "$T/none3.pb"
expect_failure "$T/e3.err" "$T/none3.pb"

finish
