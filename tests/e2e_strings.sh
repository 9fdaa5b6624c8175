#!/bin/sh
# e2e_strings: record --syscall-strings (path names from uprobes on libc's
# wrappers) and file descriptor names in dump: the fixture opens a known file,
# reads from it and closes it; its openat line carries the path, its read and
# close lines the fd's name; without --syscall-strings nothing changes.
. "${top_srcdir:?top_srcdir must be set}/tests/lib.sh"
require_root
if ! have_feature probes; then
	echo "pftrace built without libelf: no probes plugin, so no --syscall-strings to test"
	exit 0
fi
setup_tmp
SC=$(fixture syscaller)
N=50
F="$T/file.txt"
echo "some bytes" >"$F"
ME="proc.exe=$SC"

count()
{
	"$PFTRACE" dump "$1" -p '%evt.num' "$2" 2>"$T/count.err" | wc -l | tr -d ' '
}

# lines TRACE: the fixture's sysdig lines, without the NUM TIME CPU PROC (TID) columns
lines()
{
	"$PFTRACE" dump -S "$1" "$ME" 2>"$T/dump.err" | sed 's/^[^)]*) //'
}

sub "record --syscall-strings -- syscaller $N (opening, reading, closing $F)"
SYSCALLER_OPEN="$F" record "$T/rec.err" --syscall-strings --no-stacks -o "$T/s.pb" -- "$SC" "$N"
expect_record_ok "$T/rec.err"
lines "$T/s.pb" >"$T/s.txt"
expect_eq "getppid entries" "$(count "$T/s.pb" "$ME and evt.type=getppid and evt.dir='>'")" "$N"

sub "the openat of $F carries its path, entry and exit"
expect_eq "openat entries with a string (the loader's own opens are not libc's)" \
	"$(grep -c '^> openat .*("' "$T/s.txt")" 1
expect_eq "openat entries naming $F" \
	"$(grep -c "^> openat dfd=-100(AT_FDCWD) filename=0x[0-9a-f]*(\"$F\") flags=O_RDONLY|O_CLOEXEC mode=0\$" "$T/s.txt")" 1
expect_eq "openat exits naming $F" \
	"$(grep -c "^< openat res=[0-9]* dfd=-100(AT_FDCWD) filename=0x[0-9a-f]*(\"$F\") " "$T/s.txt")" 1
expect_eq "filter on the decorated argument" \
	"$(count "$T/s.pb" "$ME and evt.type=openat and evt.dir='>' and evt.arg.filename contains file.txt")" 1
FD=$(sed -n 's/^< openat res=\([0-9]*\) .*file\.txt").*/\1/p' "$T/s.txt" | head -n 1)
expect_ge "the fd openat returned" "${FD:--1}" 0

sub "read and close of fd $FD name $F; close forgets it"
expect_eq "read entries on fd $FD($F)" \
	"$(grep -c "^> read fd=$FD($F) buf=0x[0-9a-f]* count=16\$" "$T/s.txt")" 1
expect_eq "read exits on fd $FD($F)" "$(grep -c "^< read res=11 fd=$FD($F) " "$T/s.txt")" 1
expect_eq "close entries of fd $FD($F)" "$(grep -c "^> close fd=$FD($F)\$" "$T/s.txt")" 1
expect_eq "lines naming fd $FD($F) in all" "$(grep -cF "fd=$FD($F)" "$T/s.txt")" 4
expect_eq "path instants of the fixture" \
	"$(count "$T/s.pb" "$ME and evt.type=instant and span.name=syscall_string")" \
	"$(grep -c 'instant name=syscall_string' "$T/s.txt")"

sub "without --syscall-strings: no strings, no fd names"
SYSCALLER_OPEN="$F" record "$T/rec2.err" --syscalls --no-stacks -o "$T/p.pb" -- "$SC" "$N"
expect_record_ok "$T/rec2.err"
lines "$T/p.pb" >"$T/p.txt"
expect_eq "getppid entries" "$(count "$T/p.pb" "$ME and evt.type=getppid and evt.dir='>'")" "$N"
expect_eq "openat entries of $F, pointer only" \
	"$(grep -c '^> openat dfd=-100(AT_FDCWD) filename=0x[0-9a-f]* flags=O_RDONLY|O_CLOEXEC mode=0$' "$T/p.txt")" \
	"$(grep -c '^> openat ' "$T/p.txt")"
expect_eq "read entries of 16 bytes, fd plain" \
	"$(grep -c '^> read fd=[0-9]* buf=0x[0-9a-f]* count=16$' "$T/p.txt")" 1
expect_eq "lines with a string or an fd name" "$(grep -cE '\("|fd=[0-9]+\(' "$T/p.txt")" 0
expect_eq "syscall_string instants" "$(grep -c syscall_string "$T/p.txt")" 0

sub "-p: the fds open before the recording are named (a /proc/PID/fd snapshot at start)"
printf 'hello\n' >"$T/g.txt"
sh -c "exec 7<\"$T/g.txt\"; while [ ! -e \"$T/go\" ]; do sleep 0.02; done; read -r l <&7" &
SHPID=$!
at_exit "kill_child $SHPID"
# released well after the recording has started (the snapshot is taken then)
(sleep 1.5 && touch "$T/go") &
record "$T/rec6.err" --syscall-strings --no-stacks -p "$SHPID" -d 3s -o "$T/pid.pb"
expect_record_ok "$T/rec6.err"
wait "$SHPID" 2>/dev/null || true
"$PFTRACE" dump -S "$T/pid.pb" "proc.pid=$SHPID" 2>/dev/null | sed 's/^[^)]*) //' >"$T/pid.txt"
expect_eq "fd_name instants for fd 7" \
	"$(grep -c "^> instant name=fd_name track=thread args: fd=7 path=$T/g.txt\$" "$T/pid.txt")" 1
expect_eq "dup2 of fd 7 named" \
	"$(grep -c "^> dup2 oldfd=7($T/g.txt) newfd=0\$" "$T/pid.txt")" 1
expect_eq "one-byte reads of hello and its newline on fd 0, named after the dup2" \
	"$(grep -c "^> read fd=0($T/g.txt) buf=0x[0-9a-f]* count=1\$" "$T/pid.txt")" 6

sub "a child inherits the fd names: sh opens, cat reads its stdin"
record "$T/rec7.err" --syscall-strings --no-stacks -o "$T/fork.pb" -- \
	sh -c "exec 3<\"$F\"; cat <&3 >/dev/null"
expect_record_ok "$T/rec7.err"
"$PFTRACE" dump -S "$T/fork.pb" "proc.name=cat" 2>/dev/null | sed 's/^[^)]*) //' >"$T/fork.txt"
expect_eq "cat's reads of fd 0($F) (the bytes, then the end)" \
	"$(grep -c "^> read fd=0($F) buf=0x[0-9a-f]* count=[0-9]*\$" "$T/fork.txt")" 2
expect_eq "cat's close of fd 0($F)" "$(grep -c "^> close fd=0($F)\$" "$T/fork.txt")" 1

sub "a command: no warning; system-wide: off with a warning, unless =all (with the cost)"
record "$T/rec3.err" --syscall-strings --no-stacks -o "$T/a.pb" -- true
expect_record_ok "$T/rec3.err"
expect_eq "no warning for a command" "$(grep -c 'syscall-strings' "$T/rec3.err")" 0
record "$T/rec4.err" --syscall-strings --no-stacks -d 200ms -o "$T/w.pb"
expect_record_ok "$T/rec4.err"
expect_eq "system-wide: the warning" \
	"$(grep -c '^pftrace: warning: .*--syscall-strings is off when recording system-wide' "$T/rec4.err")" 1
expect_eq "system-wide: no path instants" \
	"$("$PFTRACE" dump "$T/w.pb" 2>/dev/null | grep -c 'name=syscall_string')" 0
record "$T/rec5.err" --syscall-strings=all --no-stacks -d 200ms -o "$T/w2.pb"
expect_record_ok "$T/rec5.err"
expect_eq "=all: the cost stated" \
	"$(grep -c '^pftrace: warning: .*every open/stat/exec/unlink/... call of every process now traps into a uprobe (~20 us each' "$T/rec5.err")" 1

finish
