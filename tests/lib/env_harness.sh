# shellcheck shell=bash
# env_harness.sh: the shell's locator environment decides, not the daemon's.
# Sourced by the thin wrappers tests/integration/env_sync_{bash,zsh,fish}.sh,
# which set SH and call env_main; the shell is driven through tmux by
# tests/lib/hook_harness.sh.
#
# The daemon is started WITHOUT WORKON_HOME (as a systemd user manager
# starts it); the shell has it, as ~/.bashrc would export it. A
# virtualenvwrapper-style venv ($WORKON_HOME/NAME whose .project names the
# project) must activate at the first prompt in the project and below,
# leaving must restore, changing WORKON_HOME in the running shell must be
# followed at the next prompt (the hook's cache is per value), the daemon's
# own answer (for clients that send no environment) must stay its own, and
# venvd doctor and venvd status, run in that shell, must name the
# difference.

# shellcheck disable=SC2016,SC2119
# shellcheck source=tests/lib/hook_harness.sh
. "$TOP_SRCDIR/tests/lib/hook_harness.sh"

# prime_env_trust DIR: let the daemon settle the trust verdict (git check
# included) of DIR's venv in the shell's environment before the shell asks.
prime_env_trust() {
	"$PYTHON3" -c 'import sys; sys.path.insert(0, sys.argv[1]); import rpc
rpc.call("resolve", {"path": sys.argv[2], "wait_ms": 20000,
    "env": {"WORKON_HOME": sys.argv[3]}}, timeout=30)' \
	    "$TOP_SRCDIR/tests/lib" "$1" "$ENVS" >/dev/null 2>&1 || :
}

env_main() {
	local proj venv
	hook_rc=0
	trap 'hook_rc=$?; set +e; hook_cleanup; (exit "$hook_rc"); harness_cleanup' EXIT
	hook_check
	write_rc
	ENVS="$T/envs"
	proj="$W/wrapped proj"
	venv="$ENVS/wrapped"
	mkdir -p "$proj/sub" "$W/plain" "$ENVS"
	mkvenv "$venv"
	# What mkproject / setvirtualenvproject write: the project's path, one line.
	printf '%s\n' "$proj" >"$venv/.project"

	say "the daemon starts without WORKON_HOME (a systemd user manager's environment)"
	unset WORKON_HOME
	daemon_start
	wait_for daemon_says "$proj/sub" "" ||
		fail "the daemon finds a venv for $proj/sub without WORKON_HOME: the test proves nothing"

	say "the shell has WORKON_HOME: the venv activates at the first prompt in the project"
	shell_start WORKON_HOME="$ENVS"
	step "cd $W/plain"
	expect_none "start in a plain dir"
	prime_env_trust "$proj"
	setpath proj "$proj"
	step "_t_cd proj"
	expect_active "$venv" "first prompt in a project whose venv is in \$WORKON_HOME"
	setpath sub "$proj/sub"
	step "_t_cd sub"
	expect_active "$venv" "a subdirectory of the project"
	setpath plain "$W/plain"
	step "_t_cd plain"
	expect_none "leaving restores"

	say "the shell changes WORKON_HOME: a project it visited follows at the next prompt"
	mkdir -p "$T/envs2"
	if [ "$SH" = fish ]; then
		step "set -gx WORKON_HOME $T/envs2"
	else
		step "export WORKON_HOME=$T/envs2"
	fi
	step "_t_cd proj"
	expect_none "WORKON_HOME changed to a store without the venv (the answer cached for the old value is not reused)"
	if [ "$SH" = fish ]; then
		step "set -gx WORKON_HOME $ENVS"
	else
		step "export WORKON_HOME=$ENVS"
	fi
	expect_active "$venv" "WORKON_HOME back: active again at the next prompt, without a cd"
	step "_t_cd plain"
	expect_none "leaving again"

	say "clients that send no environment still get the daemon's own answer"
	daemon_says "$proj/sub" "" ||
		fail "the shell's WORKON_HOME leaked into the daemon's own answers"

	say "venvd doctor and venvd status in the shell name the difference"
	step "\$VENVD doctor >$OUT/doctor.txt 2>&1"
	grep_all -F "warn  environment: this shell has WORKON_HOME=$ENVS, the daemon has it unset" \
	    <"$OUT/doctor.txt" >/dev/null || {
		cat "$OUT/doctor.txt" >&2
		fail "$SH: venvd doctor does not warn that WORKON_HOME differs"
	}
	grep_all -F "systemctl --user set-environment WORKON_HOME=" <"$OUT/doctor.txt" >/dev/null ||
		fail "$SH: venvd doctor suggests no fix: $(cat "$OUT/doctor.txt")"
	step "\$VENVD status >$OUT/status.txt 2>&1"
	grep_all -x -E "client env [0-9]+: differs in WORKON_HOME \([1-9][0-9]* cached dirs\)" \
	    <"$OUT/status.txt" >/dev/null || {
		cat "$OUT/status.txt" >&2
		fail "$SH: venvd status does not show the shell's environment"
	}
	expect_quiet_pane
	say "ok"
}
