# shellcheck shell=bash
# trust_offline_harness.sh: a venv the user denied with the daemon up is
# not activated by the prompt hook once the daemon is stopped (venvd stop),
# in a real interactive bash, zsh or fish driven through tmux by
# tests/lib/hook_harness.sh. Every path a prompt can take to the client's
# local fallback is tried: the shell function (bash with
# VENVD_BASH_BUILTIN=0, zsh with VENVD_ZSH_MODULE=0, fish), and the hook
# inside the shell (bash's loadable builtin, zsh's module; built ones only),
# whose fallback is the same process path told VENVD_HOOK_LOCAL=1. Another
# venv activates there meanwhile (the fallback answers), the denied one
# stays off with no notice, and after venvd allow (daemon up) it activates,
# then again with the daemon stopped. Sourced by the thin wrappers
# tests/integration/trust_offline_{bash,zsh,fish}.sh, which set SH and call
# trust_offline_main.

# shellcheck disable=SC2016,SC2119
# shellcheck source=tests/lib/hook_harness.sh
. "$TOP_SRCDIR/tests/lib/hook_harness.sh"

# stop_daemon: venvd stop, as a user would, and wait until it is gone.
stop_daemon() {
	"$VENVD" stop >/dev/null || fail "venvd stop"
	daemon_stop
	daemon_answers && fail "the daemon still answers"
	return 0
}

# The ways this shell runs its hook: "process" (the shell function) and,
# when built, "inshell" (bash's builtin, zsh's module); fish has one.
offline_ways() {
	case $SH in
	bash) echo process; [ -f "$TOP_BUILDDIR/bash/venvd.so" ] && echo inshell ;;
	zsh) echo process; [ -f "$TOP_BUILDDIR/zsh/venvd.so" ] && echo inshell ;;
	fish) echo process ;;
	esac
	return 0
}

# offline_shell WAY: start the shell with its hook run that way, and check
# it. Each shell gets a tmux server of its own (the last one's is killed
# first): a new session on a server still exiting would fail.
OFFLINE_SHELLS=0
offline_shell() {
	tmux -S "$TS" kill-server 2>/dev/null || true
	OFFLINE_SHELLS=$((OFFLINE_SHELLS + 1))
	TS="$T/tmux.$OFFLINE_SHELLS.sock"
	case $SH:$1 in
	bash:process) shell_start VENVD_BASH_BUILTIN=0 ;;
	bash:inshell) shell_start VENVD_BASH_BUILTIN="$TOP_BUILDDIR/bash/venvd.so" ;;
	zsh:process) shell_start VENVD_ZSH_MODULE=0 ;;
	zsh:inshell) shell_start VENVD_ZSH_MODULE="$TOP_BUILDDIR/zsh/venvd.so" ;;
	fish:*) shell_start ;;
	esac
	go "$W/plain"
	expect_none "$1: start in a plain dir"
	case $SH:$1 in
	bash:process) expect BUILTIN 0 "the shell function runs the hook" ;;
	bash:inshell) expect BUILTIN 1 "the loadable builtin runs the hook" ;;
	zsh:process)
		# Switched off, or (a build without the fast paths) never built.
		if [ -f "$TOP_BUILDDIR/zsh/venvd.so" ]; then
			expect HOW process:disabled "the function runs the hook"
		else
			expect HOW process:not-built "the function runs the hook"
		fi
		;;
	zsh:inshell) expect HOW module "the module runs the hook" ;;
	esac
}

# The checks, in order.
trust_offline_main() {
	local way
	hook_rc=0
	trap 'hook_rc=$?; set +e; hook_cleanup; (exit "$hook_rc"); harness_cleanup' EXIT
	hook_check
	write_rc
	mkdir -p "$W/plain" "$W/denied" "$W/ok"
	mkvenv "$W/denied/.venv"
	mkvenv "$W/ok/.venv"

	say "deny with the daemon up, then venvd stop"
	daemon_start
	"$VENVD" deny "$W/denied" >/dev/null || fail "venvd deny"
	stop_daemon
	for way in $(offline_ways); do
		say "$SH ($way): the fallback activates another venv, not the denied one"
		offline_shell "$way"
		go "$W/ok"
		expect_active "$W/ok/.venv" "$way: another venv, daemon down"
		go "$W/denied"
		expect_none "$way: the denied venv, daemon down"
		go "$W/denied/.venv/bin"
		expect_none "$way: inside the denied venv, daemon down"
		go "$W/ok"
		expect_active "$W/ok/.venv" "$way: another venv again"
		go "$W/denied"
		expect_none "$way: the denied venv after another"
		expect_notices "not activating $W/denied" 0 "$way: a deny is silent"
		go "$W/plain"
	done

	say "venvd allow with the daemon up activates it; so does the fallback after venvd stop"
	daemon_start
	"$VENVD" allow "$W/denied" >/dev/null || fail "venvd allow"
	for way in $(offline_ways); do
		offline_shell "$way"
		go "$W/denied"
		expect_active "$W/denied/.venv" "$way: allowed, daemon up"
		go "$W/plain"
	done
	stop_daemon
	for way in $(offline_ways); do
		offline_shell "$way"
		go "$W/denied"
		expect_active "$W/denied/.venv" "$way: allowed, daemon down"
		go "$W/plain"
	done
	say "all offline trust checks passed for $SH"
}
