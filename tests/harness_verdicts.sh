#!/bin/bash
# harness_verdicts.sh: the shell tests tell the truth about what they saw.
#
#   - a "venvd hook SHELL" that is broken (prints what is no hook, prints
#     nothing, or exits non-zero) makes every test built on hook_harness.sh
#     (hook_*, hook_prompt_*, trust_*, storage_*) FAIL, never SKIP;
#   - a missing shell makes those tests and tests/unit/shell_quote_SHELL.sh
#     SKIP (exit 77) and say why, never pass.
#
# The tests run here against a wrapper of the real venvd and with PATHs
# that lack one shell; each stops at its first check, so this is quick.

# shellcheck source=tests/lib/harness.sh
. "$TOP_SRCDIR/tests/lib/harness.sh"

command -v tmux >/dev/null 2>&1 || skip "tmux is not installed (the hook tests skip before their hook check)"
command -v git >/dev/null 2>&1 || skip "git is not installed (the trust tests skip before their hook check)"

# run_test TEST [ENV...]: run one test script; its status in RC, its stderr in $T/err.
run_test() {
	local t=$1
	shift
	RC=0
	env "$@" "$BASH" "$TOP_SRCDIR/$t" >"$T/out" 2>"$T/err" </dev/null || RC=$?
}

# A venvd whose "hook" is broken in the way $BROKEN says; all else is the real one.
cat >"$T/venvd" <<EOF
#!/bin/bash
if [ "\${1-}" = hook ]; then
	case \$BROKEN in
	garbage) echo 'echo this is not a hook' ;;
	empty) ;;
	syntax) printf '_venvd_hook() {\n' ;;
	status) echo 'venvd: hook: broken' >&2; exit 1 ;;
	esac
	exit 0
fi
exec "$VENVD" "\$@"
EOF
chmod +x "$T/venvd"

say "1. a broken venvd hook is a FAIL"
for sh in bash zsh fish; do
	if ! command -v "$sh" >/dev/null 2>&1; then
		say "$sh is not installed: its hook tests are checked in part 2"
		continue
	fi
	for t in hook_$sh hook_prompt_$sh trust_$sh storage_$sh; do
		for broken in garbage empty syntax status; do
			run_test "tests/integration/$t.sh" VENVD="$T/venvd" BROKEN="$broken"
			if [ "$RC" = 77 ] && [ "$t" = "storage_$sh" ] &&
			    grep -qE 'SKIP: (unshare|cannot make a mount namespace|cannot mount)' "$T/err"; then
				say "$t: skipped before its hook check: $(cat "$T/err")"
				continue
			fi
			[ "$RC" = 1 ] && grep -q "FAIL: venvd hook $sh" "$T/err" || {
				cat "$T/err" >&2
				fail "$t with a hook that is broken ($broken) exited $RC, not 1 with a FAIL about the hook"
			}
		done
		say "$t: FAIL on every broken hook"
	done
done

say "2. a missing shell is a SKIP that says so"
# A PATH with every program of the usual bin directories except $1.
path_without() {
	local farm="$T/path-without-$1" d f
	mkdir -p "$farm"
	for d in /usr/local/bin /usr/bin /bin; do
		[ -d "$d" ] || continue
		for f in "$d"/*; do
			[ -e "$farm/${f##*/}" ] || ln -s "$f" "$farm/${f##*/}"
		done
	done
	rm -f "$farm/$1"
	echo "$farm"
}
for sh in bash zsh fish; do
	p=$(path_without "$sh")
	PATH=$p command -v "$sh" >/dev/null 2>&1 && fail "$sh is still on $p"
	for t in tests/integration/hook_$sh.sh tests/integration/hook_prompt_$sh.sh \
	    tests/integration/trust_$sh.sh tests/unit/shell_quote_$sh.sh; do
		run_test "$t" PATH="$p"
		[ "$RC" = 77 ] && grep -q "SKIP: $sh is not installed" "$T/err" || {
			cat "$T/err" >&2
			fail "$t without $sh exited $RC, not 77 with \"SKIP: $sh is not installed\""
		}
	done
	say "$sh missing: every test of it skips and says why"
done
echo "ok"
