#!/bin/sh
# tests/fuzz/run.sh SRCDIR HARNESS...: `make fuzz`.  Fuzzes each harness for $FUZZ_TIME
# seconds (default 10) from its seed corpus (SRCDIR/tests/fuzz/corpus/NAME) and its past
# crashes (SRCDIR/tests/fuzz/crashes/NAME); new inputs go to fuzz-out/NAME, a crashing input
# to fuzz-out/NAME-crash-*.  Prints executions per harness and fails on any crash.
# Harnesses built with libFuzzer (--enable-fuzzing) or with tests/fuzz/driver.c take the
# same options.
srcdir=$1
shift
time=${FUZZ_TIME:-10}
status=0
total=0
# libtraceevent (not ours) leaks on some malformed formats it rejects
printf 'leak:libtraceevent.so\n' >fuzz-out.lsan 2>/dev/null
LSAN_OPTIONS="suppressions=$(pwd)/fuzz-out.lsan${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export LSAN_OPTIONS
for h in "$@"; do
	name=$(basename "$h")
	corpus="$srcdir/tests/fuzz/corpus/$name"
	crashes="$srcdir/tests/fuzz/crashes/$name"
	mkdir -p "fuzz-out/$name"
	set -- "fuzz-out/$name" "$corpus"
	[ -d "$crashes" ] && set -- "$@" "$crashes"
	echo "fuzz: $name for $time s"
	"$h" -max_total_time="$time" -timeout=20 -seed=1 -print_final_stats=1 \
		-artifact_prefix="fuzz-out/$name-" "$@" >"fuzz-out/$name.log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p; s/.*replayed, \([0-9]*\) mutations.*/\1/p' \
		"fuzz-out/$name.log" | tail -n 1)
	echo "fuzz: $name: ${execs:-?} executions, exit $rc"
	total=$((total + ${execs:-0}))
	if [ "$rc" != 0 ]; then
		status=1
		tail -n 60 "fuzz-out/$name.log"
		ls fuzz-out/"$name"-* 2>/dev/null | sed 's/^/fuzz: crashing input: /'
	fi
done
echo "fuzz: $total executions in total"
exit $status
