#!/bin/bash
# pip_guard.sh: with pip_guard on (the default) the hooks export
# PIP_REQUIRE_VIRTUALENV=true while no venv is active, so a real
# `python3 -m pip install` refuses; the guard is lifted while any venv is
# active (venvd's or one activated by hand), a value the user set is never
# touched, and pip_guard = false turns it off. Real bash, zsh and fish in
# tmux, a real pip (--no-index: there is no network here).
# shellcheck disable=SC2016,SC2119
# shellcheck source=tests/lib/harness.sh
. "$TOP_SRCDIR/tests/lib/harness.sh"

command -v tmux >/dev/null 2>&1 || skip "tmux is not installed"
"$PYTHON3" -m pip --version >/dev/null 2>&1 || skip "no pip for $PYTHON3"
TS="$T/tmux.sock"
trap 'rc=$?; tmux -S "$TS" kill-server 2>/dev/null || true; (exit $rc); harness_cleanup' EXIT
NEEDLE="Could not find an activated virtualenv"

mkdir -p "$T/plain" "$T/proj" "$T/o"
# One venv with pip (virtualenv seeds it fastest), reused for manual activation.
if command -v virtualenv >/dev/null 2>&1; then
	virtualenv -q -p "$PYTHON3" "$T/proj/.venv" >/dev/null || fail "virtualenv failed"
else
	"$PYTHON3" -m venv "$T/proj/.venv" || fail "python3 -m venv failed"
fi
[ -x "$T/proj/.venv/bin/pip" ] || fail "the venv has no pip"
daemon_start

N=0
# run SHELL CMD: type CMD into the shell, wait for it to finish; $OUTF holds its output.
run() {
	N=$(($(cat "$T/n" 2>/dev/null || echo 0) + 1))	# also from $(state ...) subshells
	echo "$N" >"$T/n"
	OUTF="$T/o/$1.$N"
	local cmd
	if [ "$1" = fish ]; then
		cmd="begin; $2; end >$OUTF.tmp 2>&1; mv $OUTF.tmp $OUTF"
	else
		cmd="{ $2; } >$OUTF.tmp 2>&1; mv $OUTF.tmp $OUTF"
	fi
	tmux -S "$TS" send-keys -t "$1" -l "$cmd"
	tmux -S "$TS" send-keys -t "$1" Enter
	wait_for test -e "$OUTF" || fail "$1: no result for: $2 (screen: $(tmux -S "$TS" capture-pane -p -t "$1"))"
}

# The state line a shell prints: PIP_REQUIRE_VIRTUALENV/VENVD_PIP_GUARD.
state() {
	if [ "$1" = fish ]; then
		run fish 'echo "$PIP_REQUIRE_VIRTUALENV/$VENVD_PIP_GUARD"'
	else
		run "$1" 'echo "${PIP_REQUIRE_VIRTUALENV-}/${VENVD_PIP_GUARD-}"'
	fi
	cat "$OUTF"
}

# pip_refuses SHELL: pip install refuses with the virtualenv message.
pip_refuses() {
	run "$1" "python3 -m pip install --no-index nothing"
	grep -qF "$NEEDLE" "$OUTF" || fail "$1: pip did not refuse: $(cat "$OUTF")"
}

# pip_allowed SHELL: pip install gets past the virtualenv check.
pip_allowed() {
	run "$1" "python3 -m pip install --no-index nothing"
	if grep -qF "$NEEDLE" "$OUTF"; then fail "$1: pip refused inside a venv"; fi
	grep -q "nothing" "$OUTF" || fail "$1: pip said: $(cat "$OUTF")"
}

# start SHELL [ENV...]: an interactive shell with the hook, in $T/plain.
start() {
	local sh=$1
	shift
	case $sh in
	bash)
		printf '%s\n' 'PS1="$ "' 'eval "$("$VENVD" hook bash)"' >"$T/bashrc"
		tmux -S "$TS" new-session -d -s bash -x 200 -y 50 -c "$T/plain" \
		    env "$@" bash --noprofile --rcfile "$T/bashrc" -i
		;;
	zsh)
		mkdir -p "$T/zdot"
		printf '%s\n' 'PS1="$ "' 'eval "$("$VENVD" hook zsh)"' >"$T/zdot/.zshrc"
		tmux -S "$TS" new-session -d -s zsh -x 200 -y 50 -c "$T/plain" \
		    env ZDOTDIR="$T/zdot" "$@" zsh -i
		;;
	fish)
		tmux -S "$TS" new-session -d -s fish -x 200 -y 50 -c "$T/plain" \
		    env "$@" fish --no-config -i -C '"$VENVD" hook fish | source'
		;;
	esac
}

# stop SHELL
stop() {
	tmux -S "$TS" kill-session -t "$1" 2>/dev/null || true
}

prime_trust "$T/proj"	# only a trusted venv activates; let git settle first
for sh in bash zsh fish; do
	command -v "$sh" >/dev/null 2>&1 || { say "$sh missing, skipped"; continue; }
	say "$sh: guard outside any venv"
	start "$sh" PATH="$PATH"
	assert_eq "true/1" "$(state "$sh")" "$sh: guard exported outside a venv"
	pip_refuses "$sh"

	say "$sh: lifted in a venvd-activated project, back on leaving"
	run "$sh" "cd $T/proj"
	assert_eq "/" "$(state "$sh")" "$sh: guard lifted in the project"
	pip_allowed "$sh"
	run "$sh" "cd $T/plain"
	assert_eq "true/1" "$(state "$sh")" "$sh: guard back outside"

	say "$sh: lifted under a manual activation"
	if [ "$sh" = fish ]; then
		run fish "source $T/proj/.venv/bin/activate.fish"
	else
		run "$sh" ". $T/proj/.venv/bin/activate"
	fi
	assert_eq "/" "$(state "$sh")" "$sh: guard lifted by a manual activation"
	pip_allowed "$sh"
	run "$sh" "deactivate"
	assert_eq "true/1" "$(state "$sh")" "$sh: guard back after deactivate"

	say "$sh: a child shell agrees"
	run "$sh" "$sh -c 'echo \$PIP_REQUIRE_VIRTUALENV/\$VENVD_PIP_GUARD'"
	assert_eq "true/1" "$(cat "$OUTF")" "$sh: child environment"
	stop "$sh"

	say "$sh: a value the user set is never touched"
	start "$sh" PATH="$PATH" PIP_REQUIRE_VIRTUALENV=false
	assert_eq "false/" "$(state "$sh")" "$sh: user's value outside"
	run "$sh" "cd $T/proj"
	assert_eq "false/" "$(state "$sh")" "$sh: user's value in a venv"
	stop "$sh"
done

say "pip_guard = false turns it off"
mkdir -p "$XDG_CONFIG_HOME/venvd"
echo "pip_guard = false" >"$XDG_CONFIG_HOME/venvd/config"
grep -q '^_venvd_pip_guard_on=0' <<<"$("$VENVD" hook bash)" || fail "@PIPGUARD@ not 0 with pip_guard = false"
start bash PATH="$PATH"
assert_eq "/" "$(state bash)" "bash: no guard with pip_guard = false"
pip_allowed bash
stop bash
rm "$XDG_CONFIG_HOME/venvd/config"
grep -q '^typeset -g _venvd_pip_guard_on=1' <<<"$("$VENVD" hook zsh)" || fail "@PIPGUARD@ not 1 by default"
echo PASS
