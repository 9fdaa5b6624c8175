#!/bin/sh
# e2e_plugins: `pftrace plugins` lists the plugins and their options;
# --plugin example marks the fixture's exec; its options are checked; a
# plugin built out of tree from plugins/example/example.c loads from a path;
# a missing plugin, an unknown option, a .so that is not a plugin and one
# built for another ABI each fail with one error naming them, and no trace.
. "${top_srcdir:?top_srcdir must be set}/tests/lib.sh"
require_root
if ! have_feature plugins; then
	echo "pftrace built without plugins: nothing to test"
	exit 0
fi
setup_tmp
S=$(fixture spanner)
CC=${CC:-cc}

# exec_marks DUMP TID: the exec instants of TID ("filename" arguments), one a line.
exec_marks()
{
	awk -v t="$2" "$AWK_LIB"'parse() && EV == "instant" && TID == t && arg("name") == "exec" {
		print arg("filename") }' "$1"
}

# refused ERRFILE OUT WORDS...: the last record failed with exit 1, one
# error line (+ hints) containing each of WORDS, and left no OUT.
refused()
{
	_e="$1" _o="$2"
	shift 2
	expect_failure "$_e" "$_o"
	expect_eq "exit status" "$REC_STATUS" 1
	for _w in "$@"; do
		grep -qF -- "$_w" "$_e" || fail "the error does not say '$_w'"
	done
}

sub "pftrace plugins lists the plugins with their options"
st=0
"$PFTRACE" plugins >"$T/list.txt" 2>"$T/list.err" || st=$?
expect_eq "exit status" "$st" 0
show "$T/list.txt"
grep -q '^example  *marks each exec' "$T/list.txt" || fail "no 'example' line with its description"
grep -q '^  *counter=yes  *also keep a global counter track' "$T/list.txt" ||
	fail "no line for example's option counter (default yes)"
if have_feature elf-symbols; then
	grep -q '^probes  *user probes' "$T/list.txt" || fail "no 'probes' line"
	grep -q 'uprobe:' "$T/list.txt" || fail "the probes line does not show its event prefixes"
fi
[ -s "$T/list.err" ] && { fail "pftrace plugins wrote to stderr:"; show "$T/list.err"; }

sub "--plugin example marks the fixture's exec"
record "$T/ex.err" --no-stacks -o "$T/ex.pb" --plugin example -- "$S" sleep 1
if expect_record_ok "$T/ex.err" && dump_trace "$T/ex.pb" "$T/ex.txt" &&
    tid=$(tid_of_exec "$S" "$T/ex.txt"); then
	expect_eq "exec instants of tid $tid" "$(exec_marks "$T/ex.txt" "$tid")" "$S"
	expect_eq "exec instants in all" "$(ev_count "$T/ex.txt" instant '*' name=exec)" 1
	expect_eq "execs counter samples with value=1" "$(ev_count "$T/ex.txt" counter '*' name=execs value=1)" 1
	grep -q '^  example: 1 execs marked$' "$T/ex.err" || fail "no 'example: 1 execs marked' in the summary"
fi

sub "--plugin example:counter=no: the instant, no counter track"
record "$T/ex2.err" --no-stacks -o "$T/ex2.pb" --plugin example:counter=no -- "$S" sleep 1
if expect_record_ok "$T/ex2.err" && dump_trace "$T/ex2.pb" "$T/ex2.txt" &&
    tid=$(tid_of_exec "$S" "$T/ex2.txt"); then
	expect_eq "exec instants of tid $tid" "$(exec_marks "$T/ex2.txt" "$tid")" "$S"
	expect_eq "counter lines" "$(ev_count "$T/ex2.txt" counter '*')" 0
fi

sub "--plugin example:bogus=1: an unknown option"
record "$T/o.err" --no-stacks -o "$T/o.pb" --plugin example:bogus=1 -- "$S" sleep 1
refused "$T/o.err" "$T/o.pb" example bogus

sub "--plugin example:counter=maybe: the plugin refuses the value, one error line"
record "$T/v.err" --no-stacks -o "$T/v.pb" --plugin example:counter=maybe -- "$S" sleep 1
refused "$T/v.err" "$T/v.pb" example "counter=maybe"

sub "--plugin nosuch: not found"
record "$T/n.err" --no-stacks -o "$T/n.pb" --plugin nosuch -- "$S" sleep 1
refused "$T/n.err" "$T/n.pb" "'nosuch'" "not found"

sub "--plugin ./nosuch.so: no such file"
(cd "$T" && record "$T/n2.err" --no-stacks -o "$T/n2.pb" --plugin ./nosuch.so -- "$S" sleep 1 &&
	echo "$REC_STATUS" >"$T/n2.st")
REC_STATUS=$(cat "$T/n2.st")
refused "$T/n2.err" "$T/n2.pb" "./nosuch.so"

sub "the example built out of tree loads with --plugin ./x.so[:OPTIONS]"
if $CC -shared -fPIC -I"$top_srcdir/include" -o "$T/x.so" "$top_srcdir/plugins/example/example.c" \
    2>"$T/cc.err"; then
	(cd "$T" && record "$T/x.err" --no-stacks -o "$T/x.pb" --plugin ./x.so:counter=no -- \
		"$S" sleep 1 && echo "$REC_STATUS" >"$T/x.st")
	REC_STATUS=$(cat "$T/x.st")
	if expect_record_ok "$T/x.err" && dump_trace "$T/x.pb" "$T/x.txt" &&
	    tid=$(tid_of_exec "$S" "$T/x.txt"); then
		expect_eq "exec instants of tid $tid" "$(exec_marks "$T/x.txt" "$tid")" "$S"
		expect_eq "counter lines" "$(ev_count "$T/x.txt" counter '*')" 0
	fi
	record "$T/xa.err" --no-stacks -o "$T/xa.pb" --plugin "$T/x.so" -- "$S" sleep 1
	expect_record_ok "$T/xa.err" && dump_trace "$T/xa.pb" "$T/xa.txt" &&
		expect_eq "exec instants (absolute path, counter on)" \
			"$(ev_count "$T/xa.txt" instant '*' name=exec)" 1 &&
		expect_eq "execs counter samples" "$(ev_count "$T/xa.txt" counter '*' name=execs)" 1
else
	fail "$CC could not build plugins/example/example.c out of tree:"
	show "$T/cc.err"
fi

sub "a plugin built for another ABI is refused"
cat >"$T/oldabi.c" <<'EOF'
#include <pftrace/pftrace.h>

static int oldabi_init(struct pft_host *h, const struct pft_host_ops *ops, void **priv)
{
	(void)h;
	(void)ops;
	*priv = 0;
	return 0;
}

static void oldabi_fini(void *priv)
{
	(void)priv;
}

static const struct pft_source_ops oldabi_source = {
	.abi_version = 999,
	.name = "oldabi",
	.init = oldabi_init,
	.fini = oldabi_fini,
};

const struct pft_plugin pftrace_plugin = {
	.abi_version = 999,
	.name = "oldabi",
	.description = "built for plugin ABI 999",
	.source = &oldabi_source,
};
EOF
if $CC -shared -fPIC -I"$top_srcdir/include" -o "$T/oldabi.so" "$T/oldabi.c" 2>"$T/cc2.err"; then
	record "$T/a.err" --no-stacks -o "$T/a.pb" --plugin "$T/oldabi.so" -- "$S" sleep 1
	refused "$T/a.err" "$T/a.pb" "$T/oldabi.so" "ABI 999" \
		"ABI $("$PFTRACE" --version | sed -n 's/^plugin ABI: //p')"
else
	fail "$CC could not build $T/oldabi.c:"
	show "$T/cc2.err"
fi

sub "a shared object that is not a plugin is refused"
echo 'int not_a_plugin(void) { return 1; }' >"$T/notplugin.c"
if $CC -shared -fPIC -o "$T/notplugin.so" "$T/notplugin.c" 2>"$T/cc3.err"; then
	record "$T/np.err" --no-stacks -o "$T/np.pb" --plugin "$T/notplugin.so" -- "$S" sleep 1
	refused "$T/np.err" "$T/np.pb" "$T/notplugin.so" pftrace_plugin
else
	fail "$CC could not build $T/notplugin.c:"
	show "$T/cc3.err"
fi

finish
