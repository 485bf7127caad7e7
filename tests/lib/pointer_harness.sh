# shellcheck shell=bash
# pointer_harness.sh: venvs reached through pointer files, in a real
# interactive bash, zsh or fish with the venvd hook (driven through tmux by
# tests/lib/hook_harness.sh). A committed .venv file naming a committed
# venv is not activated until venvd allow; a .venv file swapped behind a
# symlink is followed and judged again at the next prompt; a .venv file
# others can write is not followed; with the daemon down, the fallback
# asks git as the daemon does and activates nothing the daemon would refuse. Sourced by the thin wrappers
# tests/integration/pointer_trust_{bash,zsh,fish}.sh, which set SH and call
# pointer_main. tests/integration/pointer_trust.sh has the full table.

# shellcheck disable=SC2016,SC2119
# shellcheck source=tests/lib/hook_harness.sh
. "$TOP_SRCDIR/tests/lib/hook_harness.sh"

command -v git >/dev/null 2>&1 || skip "git is not installed"

# make_vf_clone NAME: $W/NAME, a clone whose committed .venv file names the
# venv tools/env committed beside it (no shadowing names: only git tells).
make_vf_clone() {
	local src="$T/src-$1"
	git init -q "$src"
	mkvenv "$src/tools/env"
	printf 'tools/env\n' >"$src/.venv"
	git -C "$src" add -f -A
	git_commit "$src"
	git clone -q --bare "$src" "$T/bare-$1.git"
	git clone -q "$T/bare-$1.git" "$W/$1"
}

# The checks, in order, in one long-lived shell.
pointer_main() {
	local g0
	hook_rc=0
	trap 'hook_rc=$?; set +e; hook_cleanup; (exit "$hook_rc"); harness_cleanup' EXIT
	hook_check
	write_rc
	mkdir -p "$W/plain" "$W/sl" "$W/loose" "$T/ptrs"
	make_vf_clone vf
	make_vf_clone vf2
	make_vf_clone vf3
	mkvenv "$W/sl/a"
	mkvenv "$W/sl/b"
	printf '%s\n' "$W/sl/a" >"$T/ptrs/p"
	ln -s "$T/ptrs/p" "$W/sl/.venv"
	printf '%s\n' "$W/sl/a" >"$W/loose/.venv"
	chmod 0666 "$W/loose/.venv"
	daemon_start
	shell_start
	step "cd $W/plain"
	expect_none "start in a plain dir"

	say "1. a committed .venv file naming a committed venv: not activated, one notice; allow activates it"
	local n1="venvd: not activating $W/vf/tools/env: committed to git (venvd allow $W/vf to trust it)"
	go "$W/vf"
	expect_none "committed .venv file: not activated"
	go "$W/plain"
	go "$W/vf"
	expect_notices "$n1" 1 "the notice is printed once per shell"
	step '$VENVD allow'
	expect_active "$W/vf/tools/env" "after venvd allow"
	go "$W/plain"
	expect_none "leave the allowed venv"

	say "2. a .venv file behind a symlink is followed anew at the next prompt, and judged again"
	go "$W/sl"
	expect_active "$W/sl/a" "symlinked .venv file"
	g0=$(generation)
	printf '%s\n' "$W/sl/b" >"$T/ptrs/p"
	wait_for test "$(generation)" != "$g0" || fail "rewriting the .venv file did not move the generation"
	step ""
	expect_active "$W/sl/b" "the .venv file now names b"
	g0=$(generation)
	printf '%s\n' "$W/vf2/tools/env" >"$T/ptrs/q"
	mv "$T/ptrs/q" "$T/ptrs/p"
	wait_for test "$(generation)" != "$g0" || fail "renaming over the .venv file did not move the generation"
	prime_trust "$W/sl"
	step ""
	expect_none "the .venv file now names a committed venv"
	expect_notices "venvd: not activating $W/vf2/tools/env: committed to git (venvd allow $W/sl to trust it)" 1 \
	    "the swapped-in committed venv: notice"
	go "$W/plain"

	say "3. a .venv file others can write is not followed"
	go "$W/loose"
	expect_none "a world-writable .venv file"
	go "$W/plain"

	say "4. the daemon down: the fallback asks git itself and activates nothing the daemon would refuse"
	local n3="venvd: not activating $W/vf3/tools/env: committed to git (venvd allow $W/vf3 to trust it)"
	daemon_stop
	go "$W/vf3"
	expect_none "fallback: committed .venv file"
	expect_notices "$n3" 1 "fallback: the daemon's notice"
	step ""
	expect_none "fallback: committed .venv file, next prompt"
	go "$W/plain"
	printf '%s\n' "$W/sl/a" >"$T/ptrs/p"
	go "$W/sl"
	expect_active "$W/sl/a" "fallback: our own venv outside any repository"
	go "$W/plain"
	daemon_start
	go "$W/vf3"
	expect_none "the daemon back: committed .venv file"
	expect_notices "$n3" 1 "the daemon back: the same notice, not printed again"
	go "$W/plain"
	say "all pointer trust checks passed for $SH"
}
