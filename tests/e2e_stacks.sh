#!/bin/sh
# e2e_stacks: sampled CPU stacks and off-CPU stacks, end to end.
#  - main -> a -> b -> c burning CPU, built without frame pointers (DWARF
#    unwinding), with frame pointers (--call-graph fp), with b and c in a
#    shared library, and stripped with its symbols in a .gnu_debuglink file:
#    at least 90% of the fixture's samples show the whole chain in order;
#  - a parent waiting in vfork() for a sleeping child is in D state: its
#    off-CPU stacks hold the kernel wait and the user function calling vfork;
#  - a process that exits in the middle of a system-wide recording keeps
#    named frames;
#  - the normal dump prints the frames under each sample; --no-stacks
#    records none.
# A build without libelf has no user-space names (`pftrace --version` lists
# the features built): there the chain is checked by its depth of user frames,
# the vfork wait by its kernel frames, and the checks that need names are not
# run (they test code that is compiled out).
. "${top_srcdir:?top_srcdir must be set}/tests/lib.sh"
require_root
setup_tmp
names=yes
if ! have_feature elf-symbols; then
	names=no
	echo "    (this build has no elf-symbols: user frames are checked by depth, not by name)"
fi

# chain_share FOLDED COMM: "full total" -- samples of COMM whose stack holds
# main;a;b;c consecutively (without names: whose stack starts with at least 4
# unnamed user frames, as main, a, b and c give), and all samples of COMM.
chain_share()
{
	awk -v comm="$2" -v names="$names" '
	{
		n = $NF; line = $0; sub(/ [0-9]+$/, "", line)
		nf = split(line, f, ";")
		if (f[1] != comm) next
		total += n
		if (names == "yes") {
			if (index(line ";", ";main;a;b;c;")) full += n
		} else {
			for (d = 0; d + 2 <= nf && f[d + 2] == "[unknown]"; d++)
				;
			if (d >= 4) full += n
		}
	}
	END { print full + 0, total + 0 }' "$1"
}

# expect_chain TRACE COMM MIN_SAMPLES
expect_chain()
{
	"$PFTRACE" dump --folded "$1" >"$1.folded" 2>"$1.folded.err" || {
		fail "pftrace dump --folded $1 failed"
		show "$1.folded.err"
		return 1
	}
	set -- "$1" "$2" "$3" $(chain_share "$1.folded" "$2")
	full=$4 total=$5
	echo "    $2: $full of $total samples show main;a;b;c (names=$names)"
	if [ "$total" -lt "$3" ]; then
		fail "$2: only $total samples (expected at least $3)"
		show "$1.folded" 10
		return 1
	fi
	if [ $((full * 100)) -lt $((total * 90)) ]; then
		fail "$2: only $full of $total samples have the whole chain (< 90%)"
		sort -t' ' -k2 -n -r "$1.folded" | head -n 8 | sed 's/^/    | /'
		return 1
	fi
	echo "    ok: $((full * 100 / total))% of the samples have the whole chain"
}

# A build without libunwind/libelf has no DWARF unwinding (--version says
# so): only the frame-pointer chain can be whole there.
variants="chain_nofp|chain_fp --call-graph fp|chain_so|chain_dbg"
main_chain=chain_nofp
if ! have_feature dwarf-unwind; then
	echo "    (this build has no dwarf-unwind: checking the frame-pointer chain only)"
	variants="chain_fp --call-graph fp"
	main_chain=chain_fp
fi
IFS_SAVE=$IFS
IFS='|'
set -- $variants
IFS=$IFS_SAVE
for variant in "$@"; do
	set -- $variant
	name=$1
	shift
	sub "record -F 999 $* -- $name 1 (main -> a -> b -> c)"
	bin=$(fixture "$name") || continue
	record "$T/$name.err" -F 999 "$@" -o "$T/$name.pb" -- "$bin" 1
	expect_record_ok "$T/$name.err" || continue
	# the fixture burns 1 s of CPU time (however loaded the machine): ~1000
	# samples at 999 Hz; ask for half, the share is what counts
	expect_chain "$T/$name.pb" "$name" 500
done

sub "a parent waiting in vfork() is in D state: kernel wait + user caller"
bin=$(fixture vforker)
record "$T/vfork.err" -o "$T/vfork.pb" -- "$bin" 3 100
if expect_record_ok "$T/vfork.err"; then
	"$PFTRACE" dump --folded --stream D-state "$T/vfork.pb" >"$T/vfork.folded" ||
		fail "dump --folded --stream D-state failed"
	show "$T/vfork.folded" 5
	if [ "$names" = yes ]; then
		n=$(awk '$0 ~ /^vforker;/ && /;main;parent_waits_in_vfork;/ && /;schedule;/ {
			s += $NF } END { print s + 0 }' "$T/vfork.folded")
		# at least the three vfork waits; another D sleep on the way (a kernel
		# mutex in copy_process while a parallel recording opens its events)
		# is a real one too -- the exact count is on the vfork waits below
		expect_ge "D-state samples of vforker in parent_waits_in_vfork -> ... -> schedule" "$n" 3
		k=$(awk '$0 ~ /^vforker;/ && /;parent_waits_in_vfork;/ && (/wait_for_vfork_done|wait_for_completion/) {
			s += $NF } END { print s + 0 }' "$T/vfork.folded")
		expect_eq "of which show the kernel's vfork wait (wait_for_vfork_done/completion)" "$k" 3
	else
		k=$(awk '$0 ~ /^vforker;/ && /;schedule;/ && (/wait_for_vfork_done|wait_for_completion/) {
			s += $NF } END { print s + 0 }' "$T/vfork.folded")
		expect_eq "D-state samples of vforker in the kernel's vfork wait (no user names in this build)" "$k" 3
	fi
fi

# Named frames of a process gone by the end of the recording: nothing to
# check without names.
if [ "$names" = no ]; then
	echo "    (not run without elf-symbols: a process that exits mid-trace keeps named frames)"
else
sub "a process that exits mid-trace keeps named frames (system-wide)"
bin=$(fixture chain_nofp)
# record system-wide until SIGINT; the fixture runs (0.4 s of CPU) and exits
# a good while before the recording ends
bg_default_int "$PFTRACE" record -o "$T/exit.pb"
REC=$BG_PID
at_exit "kill_child $REC"
for _ in $(seq 100); do
	[ -s "$T/exit.pb" ] && break
	sleep 0.1
done
"$bin" 0.4
sleep 1
kill -INT "$REC"
REC_STATUS=0
wait "$REC" || REC_STATUS=$?
echo "    pftrace record exited $REC_STATUS after SIGINT"
if [ "$REC_STATUS" = 0 ]; then
	expect_chain "$T/exit.pb" chain_nofp 200
else
	fail "pftrace record exited $REC_STATUS, expected 0"
fi
fi

sub "dump prints each sample of $main_chain with its frames, leaf first"
if dump_trace "$T/$main_chain.pb" "$T/$main_chain.txt"; then
	# every sample block of the fixture: its line, then one tab-indented
	# line per frame; count the blocks whose frames read c, b, a, main
	# (without names: four frames in a row in the fixture's own file)
	awk -v comm="$main_chain" -v names="$names" '
	function chain(i) {
		if (names == "yes")
			return f[i] == "c" && f[i+1] == "b" && f[i+2] == "a" && f[i+3] == "main"
		return o[i] == own && o[i+1] == own && o[i+2] == own && o[i+3] == own
	}
	function check() { if (inblk) { blocks++; for (i = 1; i + 3 <= nf; i++)
		if (chain(i)) { good++; break } }
		inblk = 0; nf = 0 }
	BEGIN { own = "(" comm ")" }
	/^\t/ { if (inblk) { f[++nf] = $1; o[nf] = $2 }; next }
	{ check() }
	/ sample stream=/ && $3 ~ ("^" comm "\\(") { inblk = 1 }
	END { check(); print good + 0, blocks + 0 }' "$T/$main_chain.txt" >"$T/blocks.txt"
	read good blocks <"$T/blocks.txt"
	grep -m 1 -A 8 " $main_chain([0-9]*) sample stream=" "$T/$main_chain.txt" >"$T/one.txt"
	show "$T/one.txt" 9
	expect_ge "sample blocks of $main_chain" "$blocks" 500
	if [ $((good * 100)) -lt $((blocks * 90)) ]; then
		fail "only $good of $blocks sample blocks list c, b, a, main (leaf first)"
	else
		echo "    ok: $good of $blocks sample blocks list c, b, a, main, leaf first"
	fi
fi

sub "--no-stacks records no samples"
bin=$(fixture chain_nofp)
record "$T/nostacks.err" --no-stacks -o "$T/nostacks.pb" -- "$bin" 0.2
if expect_record_ok "$T/nostacks.err" && dump_trace "$T/nostacks.pb" "$T/nostacks.txt"; then
	expect_eq "sample lines with --no-stacks" "$(grep -c ' sample stream=' "$T/nostacks.txt")" 0
fi

sub "-v says which unwinder produced the user stacks"
bin=$(fixture chain_nofp)
record "$T/verbose.err" -v -o "$T/verbose.pb" -- "$bin" 0.2
if expect_record_ok "$T/verbose.err"; then
	if grep -q "dwarf-unwound" "$T/verbose.err"; then
		grep "user stacks\|unwinds ended" "$T/verbose.err" | sed 's/^/    ok: /'
	else
		fail "-v summary does not report the unwinders"
		show "$T/verbose.err" 30
	fi
fi

finish
