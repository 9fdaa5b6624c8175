#!/bin/sh
# check_man: each man page's option list matches its command's --help, and the
# dump page lists every filter field of `pftrace dump -l`; the completion script parses.
. "${top_srcdir:?top_srcdir must be set}/tests/lib.sh"
MAN="$top_srcdir/man"

for cmd in record dump report; do
	sub "man/pftrace-$cmd.1 lists the options of pftrace $cmd --help"
	"$PFTRACE" "$cmd" --help | sed -n '/^options:/,$p' | grep -o -- '--[a-z][a-z-]*' |
		sort -u >"${TMPDIR:-/tmp}/help.$$"
	sed -n '/^\.SH OPTIONS/,/^\.SH /p' "$MAN/pftrace-$cmd.1" | sed 's/\\-/-/g' |
		grep -o -- '--[a-z][a-z-]*' | sort -u >"${TMPDIR:-/tmp}/man.$$"
	if diff "${TMPDIR:-/tmp}/help.$$" "${TMPDIR:-/tmp}/man.$$" >"${TMPDIR:-/tmp}/diff.$$"; then
		echo "    ok: $(wc -l <"${TMPDIR:-/tmp}/help.$$") options"
	else
		fail "options differ (< --help, > man page):"
		sed 's/^/    /' "${TMPDIR:-/tmp}/diff.$$"
	fi
	rm -f "${TMPDIR:-/tmp}/help.$$" "${TMPDIR:-/tmp}/man.$$" "${TMPDIR:-/tmp}/diff.$$"
done

sub "man/pftrace-dump.1 lists every filter field"
for f in $("$PFTRACE" dump -l | awk '{ print $1 }'); do
	grep -q "^\.B $f\$" "$MAN/pftrace-dump.1" || fail "field $f is not in pftrace-dump.1"
done
sub "man/pftrace-plugins.1 and pftrace.1 exist and name their options"
grep -q 'verbose' "$MAN/pftrace-plugins.1" || fail "pftrace-plugins.1 lacks --verbose"
grep -q 'version' "$MAN/pftrace.1" || fail "pftrace.1 lacks --version"
sub "the bash completion script parses"
if command -v bash >/dev/null; then
	bash -n "$top_srcdir/completion/pftrace.bash" || fail "bash -n completion/pftrace.bash"
fi
finish
