#!/bin/sh
# test_python_offsets: the python plugin's offset table (plugins/python/
# offsets.c) says what each installed CPython's own headers say: gen_offsets.c
# is compiled against the headers of every interpreter found (pyenv versions,
# /usr/include/python3.*) and its entry compared with the checked-in one.
# Skips only when no CPython headers at all are installed.
. "${top_srcdir:?top_srcdir must be set}/tests/lib.sh"
setup_tmp
CC=${CC:-cc}
GEN="$top_srcdir/plugins/python/gen_offsets.c"
TABLE="$top_srcdir/plugins/python/offsets.c"

includes()
{
	for root in "${PYENV_ROOT:-}" "$(pyenv root 2>/dev/null)" /root/.pyenv "${HOME:-/root}/.pyenv"; do
		[ -n "$root" ] || continue
		for d in "$root"/versions/3.*/include/python3.*; do
			[ -d "$d/internal" ] && echo "$d"
		done
	done
	for d in /usr/include/python3.*; do
		[ -d "$d/internal" ] && echo "$d"
	done
}

n=0
for inc in $(includes | sort -u); do
	minor=$(basename "$inc" | sed 's/^python3\.//; s/[^0-9].*//')
	[ "$minor" -ge 8 ] && [ "$minor" -le 13 ] || continue
	sub "offsets of $inc"
	out="$T/gen$n"
	if ! $CC -w -I"$inc" -I"$inc/internal" -o "$out" "$GEN" 2>"$out.err"; then
		fail "gen_offsets.c does not compile against $inc"
		show "$out.err" 5
		continue
	fi
	"$out" >"$out.txt"
	v=$(sed -n 's/.*\.version = \([0-9]*\),.*/\1/p' "$out.txt")
	# compare without the layout (clang-format rewraps the table): the
	# entry's text from ".version=V," to its closing "}", blanks removed
	tr -d ' \t\n' <"$out.txt" >"$out.gen"
	tr -d ' \t\n' <"$TABLE" | sed 's/{\.version=/\n&/g' |
		grep "^{\.version=$v," | sed 's/}.*/},/' >"$out.table"
	echo >>"$out.gen"
	if cmp -s "$out.gen" "$out.table"; then
		echo "    ok: the table's entry for $v matches $inc"
	else
		fail "the table's entry for $v differs from $inc:"
		diff "$out.table" "$out.gen" | sed 's/^/    | /'
	fi
	n=$((n + 1))
done
[ "$n" -gt 0 ] || skip "no CPython 3.8-3.13 headers installed"
finish
