# shellcheck shell=bash
# fallback_git_harness.sh: with no daemon at all (VENVD_AUTOSTART=0, as the
# harness sets it), the client's fallback asks git itself, as the daemon
# does, in a real interactive bash, zsh or fish with the venvd hook (driven
# through tmux by tests/lib/hook_harness.sh):
#   1. a user's git-ignored .venv inside a git project activates at the
#      first prompt; a committed venv does not, with the daemon's notice;
#   2. a repository whose configuration plants an fsmonitor hook and every
#      git hook runs none of them, and its untracked venv still activates;
#   3. a git that hangs (a wrapper early in the shell's PATH) gives the
#      fail-closed answer, no notice, well before the hang ends, and leaves
#      neither git nor what it started behind; without it, the venv
#      activates again.
# Sourced by the thin wrappers tests/integration/fallback_git_{bash,zsh,fish}.sh,
# which set SH and call fallback_git_main.

# shellcheck disable=SC2016,SC2119
# shellcheck source=tests/lib/hook_harness.sh
. "$TOP_SRCDIR/tests/lib/hook_harness.sh"

command -v git >/dev/null 2>&1 || skip "git is not installed"
command -v pgrep >/dev/null 2>&1 || skip "pgrep is not installed"

# make_plain_cloned NAME: $W/NAME, a clone of a project that commits its
# .venv, which shadows nothing: only git can tell it apart.
make_plain_cloned() {
	local src="$T/src-$1"
	git init -q "$src"
	mkvenv "$src/.venv"
	git -C "$src" add -f -A
	git_commit "$src" venv
	git clone -q --bare "$src" "$T/bare-$1.git"
	git clone -q "$T/bare-$1.git" "$W/$1"
}

# put_marker_script FILE MARKER: an executable that creates MARKER when run.
put_marker_script() {
	mkdir -p "$(dirname "$1")"
	printf '#!/bin/sh\n: >"%s"\n' "$2" >"$1"
	chmod 755 "$1"
}

# The hung git's processes: the wrapper (run as $T/ubin/git) and its sleep.
HANG_RE="$T/ubin/git|$T/hang-sleep"

# Is a process of the hung git alive?
hung_alive() {
	pgrep -f -- "$HANG_RE" >/dev/null 2>&1
}

# Kill what is left of the hung git, by pid (after a failure).
hung_kill() {
	local pid
	for pid in $(pgrep -f -- "$HANG_RE" 2>/dev/null); do
		kill -KILL "$pid" 2>/dev/null || true
	done
}

# The checks, in order, in one long-lived shell.
fallback_git_main() {
	local h t0 t1
	hook_rc=0
	trap 'hook_rc=$?; set +e; hung_kill; hook_cleanup; (exit "$hook_rc"); harness_cleanup' EXIT
	hook_check
	write_rc
	mkdir -p "$W/plain" "$T/pwned"
	git init -q "$W/proj"				# the user's own project
	printf '.venv/\n' >"$W/proj/.gitignore"
	git -C "$W/proj" add .gitignore
	git_commit "$W/proj"
	mkvenv "$W/proj/.venv"
	mkdir -p "$W/proj/src/deep"
	make_plain_cloned cloned			# a project that commits its .venv
	git init -q "$W/evil"				# a hostile repository configuration
	echo readme >"$W/evil/README"
	git -C "$W/evil" add README
	git_commit "$W/evil"
	mkvenv "$W/evil/.venv"				# untracked, not even ignored
	put_marker_script "$T/evilbin/fsmonitor" "$T/pwned/fsmonitor"
	for h in pre-commit post-checkout post-index-change reference-transaction \
	    post-merge pre-auto-gc fsmonitor-watchman; do
		put_marker_script "$W/evil/.git/hooks/$h" "$T/pwned/hook-$h"
		put_marker_script "$T/evilhooks/$h" "$T/pwned/hookspath-$h"
	done
	git -C "$W/evil" config core.fsmonitor "$T/evilbin/fsmonitor"
	git -C "$W/evil" config core.hooksPath "$T/evilhooks"
	git -C "$W/evil" config core.untrackedCache true
	rm -f "$T/pwned/"*
	[ ! -e "$VENVD_SOCKET" ] || fail "a daemon socket exists: this test needs none"
	shell_start
	step "cd $W/plain"
	expect_none "start in a plain dir, no daemon"

	say "1. no daemon: our git-ignored .venv activates at the first prompt; a committed one does not"
	go "$W/proj"
	expect_active "$W/proj/.venv" "fallback: a git-ignored .venv in a git project"
	setpath deep "$W/proj/src/deep"
	step "_t_cd deep"
	expect_active "$W/proj/.venv" "fallback: a subdirectory of the project"
	go "$W/plain"
	expect_none "fallback: leave the project"
	go "$W/cloned"
	expect_none "fallback: a committed .venv"
	expect_notices "venvd: not activating $W/cloned/.venv: committed to git (venvd allow $W/cloned to trust it)" 1 \
	    "fallback: the committed .venv's notice"
	go "$W/plain"
	[ ! -e "$VENVD_SOCKET" ] || fail "a daemon was started (VENVD_AUTOSTART=0)"

	say "2. a hostile repository configuration runs nothing"
	go "$W/evil"
	expect_active "$W/evil/.venv" "fallback: an untracked .venv under a hostile config"
	go "$W/plain"
	for h in "$T/pwned/"*; do
		[ -e "$h" ] && fail "the fallback's git ran the repository's code: $h exists"
	done

	say "3. a git that hangs: the fail-closed answer, in time, nothing left behind"
	cp "$(command -v sleep)" "$T/hang-sleep"
	printf '#!/bin/sh\n: >"%s"\n"%s" 1000\n' "$T/hang-started" "$T/hang-sleep" >"$T/ubin/git"
	chmod 755 "$T/ubin/git"				# first in the shell's PATH
	t0=$(date +%s)
	go "$W/proj"
	t1=$(date +%s)
	expect_none "fallback: git hangs"
	[ -e "$T/hang-started" ] || fail "the hung git was never run"
	(( t1 - t0 < 60 )) || fail "the prompt waited $((t1 - t0)) s for the hung git"
	if ! TIMEOUT=20 wait_for eval '! hung_alive'; then
		pgrep -a -f -- "$HANG_RE" >&2 || true
		fail "the hung git or its sleep outlived the fallback"
	fi
	[ "$(pane_count "venvd: not activating $W/proj/.venv")" = 0 ] ||
	    fail "a notice was printed for the hung git"
	rm "$T/ubin/git"
	go "$W/plain"
	go "$W/proj"
	expect_active "$W/proj/.venv" "fallback: git answers again"
	say "all fallback git checks passed for $SH"
}
