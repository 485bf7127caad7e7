# shellcheck shell=bash
# trust_harness.sh: issue 5's checks (1-8) and issue 11's bypasses (9-12) in a
# real interactive bash, zsh or fish with the venvd hook, driven through tmux by
# tests/lib/hook_harness.sh. Checks 9-12 run before 8, which changes the trust mode.
# Sourced by the thin wrappers tests/integration/trust_{bash,zsh,fish}.sh,
# which set SH and call trust_main.

# shellcheck disable=SC2016,SC2119
# shellcheck source=tests/lib/hook_harness.sh
. "$TOP_SRCDIR/tests/lib/hook_harness.sh"

command -v git >/dev/null 2>&1 || skip "git is not installed"

# Restart the daemon with the config text $1.
daemon_with_config() {
	daemon_stop
	mkdir -p "$XDG_CONFIG_HOME/venvd"
	printf '%s\n' "$1" >"$XDG_CONFIG_HOME/venvd/config"
	daemon_start
}

# The checks, in order, in one long-lived shell.
trust_main() {
	local why n
	hook_rc=0
	trap 'hook_rc=$?; set +e; hook_cleanup; (exit "$hook_rc"); harness_cleanup' EXIT
	hook_check
	write_rc
	mkdir -p "$W/plain" "$W/own" "$W/gw" "$W/tar" "$W/mine" "$T/tarsrc/proj"
	make_cloned cloned
	mkvenv "$W/own/.venv"
	mkvenv "$W/mine/.venv"
	mkvenv "$W/gw/.venv"
	if [ "$(id -u)" = 0 ]; then
		chgrp 65534 "$W/gw/.venv/bin"
		chmod g+w "$W/gw/.venv/bin"
		why="bin/ is writable by group"
	else
		chmod o+w "$W/gw/.venv/bin"
		why="bin/ is writable by others"
	fi
	mkvenv "$T/tarsrc/proj/.venv"
	printf '#!/bin/sh\necho pwned\n' >"$T/tarsrc/proj/.venv/bin/sudo"
	chmod 755 "$T/tarsrc/proj/.venv/bin/sudo"
	tar -C "$T/tarsrc" -czf "$T/proj.tgz" proj
	tar -C "$W/tar" -xzf "$T/proj.tgz"
	E=$'\e]0;pwned\a'
	HOST="$W/esc${E}x"
	mkdir -p "$HOST"
	mkvenv "$HOST/.venv"
	printf 'prompt = p\033[2J\033]0;pwned\007q\n' >>"$HOST/.venv/pyvenv.cfg"
	HOST2="$W/esc${E}y"
	mkdir -p "$HOST2"
	mkvenv "$HOST2/.venv"
	printf '#!/bin/sh\n' >"$HOST2/.venv/bin/su"
	chmod 755 "$HOST2/.venv/bin/su"
	# Issue 11: a clone whose top directory is the venv (bin/npm), a
	# world-writable bin/python, an allowed nodeenv-style venv that gains
	# bin/sudo, and bin/Ls.
	make_root_clone rootclone
	mkdir -p "$W/wwpy" "$W/nodeenv" "$W/caps"
	mkvenv "$W/wwpy/.venv"
	rm "$W/wwpy/.venv/bin/python"
	put_pwned "$W/wwpy/.venv/bin/python"
	chmod 0757 "$W/wwpy/.venv/bin/python"
	mkvenv "$W/nodeenv/.venv"
	put_pwned "$W/nodeenv/.venv/bin/node"
	put_pwned "$W/nodeenv/.venv/bin/npm"
	mkvenv "$W/caps/.venv"
	put_pwned "$W/caps/.venv/bin/Ls"
	daemon_start
	shell_start
	step "cd $W/plain"
	expect_none "start in a plain dir"

	say "1. a cloned repository committing .venv (bin/ls): not activated, one notice; allow activates it"
	local n1="venvd: not activating $W/cloned/.venv: committed to git (venvd allow $W/cloned to trust it)"
	go "$W/cloned"
	expect_none "cloned: not activated"
	step "ls / >$OUT/ls.out"
	grep -q pwned "$OUT/ls.out" && fail "$SH: ls ran the venv's bin/ls"
	grep -qx usr "$OUT/ls.out" || fail "$SH: ls / did not list usr: $(cat "$OUT/ls.out")"
	go "$W/plain"
	go "$W/cloned/.venv"
	go "$W/cloned"
	expect_notices "$n1" 1 "the notice is printed once per shell"
	step '$VENVD allow'
	expect_active "$W/cloned/.venv" "after venvd allow"
	expect_notices "venvd: trusted $W/cloned/.venv" 1 "allow says what it trusted"
	go "$W/plain"
	expect_none "leave the allowed venv"

	say "2. the user's own python3 -m venv activates silently"
	go "$W/own"
	expect_active "$W/own/.venv" "own venv"
	expect_notices "not activating $W/own" 0 "no notice for the own venv"
	go "$W/plain"

	say "3. a group-writable bin/ is never activated, not even after allow"
	go "$W/gw"
	expect_none "writable bin/"
	step '$VENVD allow'
	expect_none "writable bin/ after allow"
	expect_notices "venvd: not activating $W/gw/.venv: $why (fix that; venvd allow cannot override it)" 1 \
	    "the writable bin/ notice"
	expect_notices "cannot be trusted: $why" 1 "allow refuses and says why"
	go "$W/plain"

	say "4. .venv -> a venv owned by another uid is refused"
	if [ "$(id -u)" = 0 ]; then
		mkdir -p "$T/someone-else" "$W/other"
		mkvenv "$T/someone-else/venv"
		chown -R 65534:65534 "$T/someone-else/venv"
		ln -s "$T/someone-else/venv" "$W/other/.venv"
		go "$W/other"
		expect_none "another uid's venv"
		expect_notices "venvd: not activating $W/other/.venv: the venv directory is owned by uid 65534" 1 \
		    "another uid's venv: notice"
		go "$W/plain"
	fi

	say "5. a tarball's venv with bin/sudo is not activated under auto"
	go "$W/tar/proj"
	expect_none "tarball venv"
	expect_notices "venvd: not activating $W/tar/proj/.venv: bin/sudo shadows a system command (venvd allow $W/tar/proj to trust it)" 1 \
	    "tarball notice"
	go "$W/plain"

	say "6. deny: no activation, no notice; delete and recreate: judged afresh"
	go "$W/own"
	expect_active "$W/own/.venv" "own venv again"
	step '$VENVD deny'
	expect_none "denied venv is deactivated"
	go "$W/plain"
	go "$W/own"
	expect_none "denied venv stays off"
	expect_notices "not activating $W/own" 0 "no notice for a denied venv"
	go "$W/plain"
	rm -rf "$W/own/.venv"
	mkvenv "$W/own/.venv"
	go "$W/own"
	expect_active "$W/own/.venv" "recreated venv is judged afresh"
	go "$W/plain"

	say "7. escapes in names and prompts are shown, not obeyed"
	go "$HOST"
	expect_active "$HOST/.venv" "hostile-named venv"
	expect VIRTUAL_ENV_PROMPT "p[2J]0;pwnedq" "VIRTUAL_ENV_PROMPT stripped of control characters"
	step '$VENVD resolve'
	expect_notices "$W"'/esc\e]0;pwned\x07x/.venv  python' 1 "resolve shows the escapes"
	go "$W/plain"
	go "$HOST2"
	expect_none "hostile venv with bin/su"
	expect_notices 'venvd: not activating '"$W"'/esc\e]0;pwned\x07y/.venv: bin/su shadows a system command' 1 \
	    "the notice shows the escapes"
	# fish's own fish_title writes $PWD into the title unescaped: not venvd's output.
	[ "$SH" = fish ] || [ "$(tmux -S "$TS" display -p -t t '#{pane_title}')" != pwned ] ||
	    fail "$SH: a venv name set the terminal title"
	go "$W/plain"

	say "9. a clone whose top directory is the venv: not activated; npm is not the clone's"
	go "$W/rootclone"
	expect_none "root clone: not activated"
	step "npm >$OUT/npm.out 2>&1"
	grep -q pwned "$OUT/npm.out" && fail "$SH: npm ran the clone's bin/npm"
	go "$W/plain"
	go "$W/rootclone"
	expect_notices "venvd: not activating $W/rootclone: committed to git (venvd allow $W/rootclone to trust it)" 1 \
	    "root clone: one notice"
	go "$W/plain"

	say "10. a world-writable bin/python is never activated, not even after allow"
	go "$W/wwpy"
	expect_none "writable bin/python"
	step '$VENVD allow'
	expect_none "writable bin/python after allow"
	expect_notices "venvd: not activating $W/wwpy/.venv: bin/python is writable by others (fix that; venvd allow cannot override it)" 1 \
	    "writable bin/python: notice"
	go "$W/plain"

	say "11. an allow covers what bin/ shadowed then; a new bin/sudo revokes it, said once"
	go "$W/nodeenv"
	expect_none "nodeenv before allow"
	step '$VENVD allow'
	expect_active "$W/nodeenv/.venv" "nodeenv after allow"
	local g0
	g0=$(generation)
	put_pwned "$W/nodeenv/.venv/bin/sudo"
	wait_for test "$(generation)" != "$g0" || fail "a new bin/sudo did not move the generation"
	step ""
	expect_none "bin/sudo appeared after allow"
	step ""
	go "$W/plain"
	go "$W/nodeenv"
	expect_none "still revoked"
	expect_notices "venvd: not activating $W/nodeenv/.venv: bin/sudo appeared after venvd allow (venvd allow $W/nodeenv to trust it)" 1 \
	    "revoked allow: one notice"
	go "$W/plain"

	say "12. bin/Ls shadows ls"
	go "$W/caps"
	expect_none "bin/Ls"
	expect_notices "venvd: not activating $W/caps/.venv: bin/Ls shadows a system command (venvd allow $W/caps to trust it)" 1 \
	    "bin/Ls: notice"
	go "$W/plain"

	say "8. trust = ask and trust = all"
	daemon_with_config "trust = ask"
	go "$W/mine"
	expect_none "ask: own venv waits for allow"
	expect_notices "venvd: not activating $W/mine/.venv: not allowed yet (trust = ask) (venvd allow $W/mine to trust it)" 1 \
	    "ask: notice"
	step '$VENVD allow'
	expect_active "$W/mine/.venv" "ask: after allow"
	go "$W/plain"
	daemon_with_config "trust = all"
	go "$W/tar/proj"
	expect_active "$W/tar/proj/.venv" "all: the tarball venv"
	go "$W/gw"
	expect_none "all: the hard rule still holds"
	go "$W/plain"
	n=$(pane_count "pwned")
	say "all trust checks passed for $SH ($n lines mention pwned, all as text)"
}
