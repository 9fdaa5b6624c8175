#!/bin/sh
# e2e_oldtrace: a trace written by pftrace 0.1.0 as first released (commit
# 6b9956c: `record --no-stacks --no-irq --syscalls -- syscaller 25`, checked in
# as tests/data/old-0.1.0-syscaller25.pb) reads with today's dump filters, the
# sysdig view and report: what it lacks is simply not shown.  No root needed.
. "${top_srcdir:?top_srcdir must be set}/tests/lib.sh"
setup_tmp
OLD="$top_srcdir/tests/data/old-0.1.0-syscaller25.pb"

sub "dump of the old trace"
"$PFTRACE" dump "$OLD" >"$T/d.txt" 2>"$T/d.err" || { show "$T/d.err"; fail "dump failed"; }
expect_eq "getppid entries of syscaller (classic lines)" \
	"$(grep -c ' syscaller([0-9]*) sys_enter id=[0-9]* name=getppid ' "$T/d.txt")" 25

sub "a filter and the sysdig view over the old trace"
"$PFTRACE" dump "$OLD" "evt.type=getppid and evt.dir='>' and proc.name=syscaller" \
	>"$T/f.txt" 2>"$T/f.err" || { show "$T/f.err"; fail "dump FILTER failed"; }
expect_eq "getppid entries selected by the filter" "$(wc -l <"$T/f.txt" | tr -d ' ')" 25
"$PFTRACE" dump -j "$OLD" "evt.type=getppid and evt.dir='<'" >"$T/j.txt" 2>"$T/j.err" ||
	fail "dump -j failed"
expect_eq "getppid exits as JSON objects" "$(grep -c '^{' "$T/j.txt")" 25

sub "report over the old trace"
"$PFTRACE" report --section syscalls "$OLD" >"$T/r.txt" 2>"$T/r.err" ||
	{ show "$T/r.err"; fail "report failed"; }
expect_eq "the first syscall by count, and its count" \
	"$(awk '$1 == "getppid" { print $1, $2; exit }' "$T/r.txt")" "getppid 25"
expect_eq "getppid ranked first" "$(awk 'NR > 3 && NF { print $1; exit }' "$T/r.txt")" getppid

finish
