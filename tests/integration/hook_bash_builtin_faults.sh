#!/bin/bash
# hook_bash_builtin_faults.sh: the bash builtin (bash/venvd.so) against what
# can go wrong around it, each case ending as the function hook would:
#   - enable -n / enable -d venvd_hook: the prompt degrades silently to the
#     function hook (no "command not found"), VENVD_SHELL says so, and
#     enable venvd_hook brings the builtin back;
#   - a daemon that accepts and never answers: the local answer, asking the
#     daemon once per visit (the process path is told not to ask again);
#   - a daemon that answers garbage: the local answer, nothing printed;
#   - a notice (an untrusted venv) with the daemon up: shown once, and no
#     process, like every other prompt while the daemon answers (strace);
#   - exec bash and subshells: the new shell loads it and adopts; a
#     subshell's changes stay in the subshell.
SH=bash
HOOK_BUILTIN=1
# shellcheck source=tests/lib/hook_harness.sh
. "$TOP_SRCDIR/tests/lib/hook_harness.sh"

# VS: VENVD_SHELL as the shell under test has it (not run in $(...): a
# step must advance this shell's STEP).
venvd_shell() {
	step 'printf %s "$VENVD_SHELL" >"$_T_OUT/vs"'
	VS=$(cat "$OUT/vs")
}

# fake_daemon MODE: something on the socket that accepts and never answers
# (hung) or answers every line with garbage; each request line it reads is
# appended to $T/fake.lines.
fake_daemon() {
	rm -f "$VENVD_SOCKET" "$T/fake.ready"
	: >"$T/fake.lines"
	"$PYTHON3" -c 'import socket, sys, threading
mode, path, ready, log = sys.argv[1:5]
s = socket.socket(socket.AF_UNIX); s.bind(path); s.listen(8)
open(ready, "w").close()
def serve(c):
	buf = b""
	while True:
		d = c.recv(65536)
		if not d:
			return
		buf += d
		while b"\n" in buf:
			line, buf = buf.split(b"\n", 1)
			with open(log, "ab") as f:
				f.write(line[:60] + b"\n")
			if mode == "garbage":
				c.sendall(b"\x1b]0;pwned\x07 {\"jsonrpc\": \"2.0\", \"result\": [1,\n")
conns = []
while True:
	c, _ = s.accept(); conns.append(c)
	threading.Thread(target=serve, args=(c,), daemon=True).start()' \
	    "$1" "$VENVD_SOCKET" "$T/fake.ready" "$T/fake.lines" &
	HUNG_PID=$!
	wait_for test -e "$T/fake.ready" || fail "the $1 daemon did not start"
}

# Stop the fake daemon.
fake_stop() {
	kill "$HUNG_PID" 2>/dev/null || true
	wait "$HUNG_PID" 2>/dev/null || true
	HUNG_PID=
	rm -f "$VENVD_SOCKET"
}

# Request lines the fake daemon has read.
fake_lines() {
	grep -c resolve "$T/fake.lines" || true
}

faults_main() {
	local n n0 vs
	hook_rc=0
	trap 'hook_rc=$?; set +e; hook_cleanup; (exit "$hook_rc"); harness_cleanup' EXIT
	hook_check
	make_projects
	make_cloned cloned
	write_rc
	daemon_start
	printf '#!/bin/sh\n: >"%s"\nexec "%s" "$@"\n' "$T/spawned" "$VENVD" >"$T/spy"
	chmod +x "$T/spy"

	say "the builtin is the entry, and says so"
	shell_start
	step "_venvd_bin=$T/spy"
	expect BUILTIN 1 "the loadable builtin is the PROMPT_COMMAND entry"
	venvd_shell; vs=$VS
	[[ $vs =~ ^bash:[0-9]+:builtin$ ]] || fail "VENVD_SHELL is [$vs], expected bash:PID:builtin"
	go "$W/A"
	expect_active "$W/A/.venv" "builtin: A"

	say "enable -n venvd_hook: the function hook takes over, silently"
	step "enable -n venvd_hook"
	expect BUILTIN 0 "enable -n: the function is the entry"
	venvd_shell; vs=$VS
	[[ $vs =~ ^bash:[0-9]+:process:unloaded$ ]] || fail "VENVD_SHELL is [$vs] after enable -n"
	expect DEACTIVATE 1 "enable -n: a deactivate that works without the builtin"
	go "$W/B"
	expect_active "$W/B/.venv" "enable -n: B through the function hook"
	[ -e "$T/spawned" ] || fail "enable -n: the function hook did not run venvd (test is blind)"
	step "deactivate"
	expect_none "enable -n: deactivate without the builtin"
	go "$W/plain"
	go "$W/A"
	expect_active "$W/A/.venv" "enable -n: A again"
	step "enable venvd_hook"
	expect BUILTIN 1 "enable venvd_hook: the builtin is back"
	venvd_shell; vs=$VS
	[[ $vs =~ ^bash:[0-9]+:builtin$ ]] || fail "VENVD_SHELL is [$vs] after enable"
	rm -f "$T/spawned"
	go "$W/B"
	expect_active "$W/B/.venv" "enable again: B"
	go "$W/outer"
	expect_active "$W/outer/.venv" "enable again: a first visit"
	[ ! -e "$T/spawned" ] || fail "enable again: venvd ran while the builtin and the daemon answer"
	step "enable -d venvd_hook"
	expect BUILTIN 0 "enable -d: the function is the entry"
	go "$W/A"
	expect_active "$W/A/.venv" "enable -d: A through the function hook"
	step "false"
	expect STATUS 1 "enable -d: \$? survives"
	expect_quiet_pane
	send_line "exit"
	tmux -S "$TS" kill-server 2>/dev/null || true

	say "a hung daemon: the local answer, the daemon asked once per visit"
	daemon_stop
	fake_daemon hung
	shell_start
	step "_venvd_bin=$T/spy"
	expect BUILTIN 1 "hung: the builtin is the entry"
	rm -f "$T/spawned"
	n0=$(fake_lines)	# the first prompt's, for the start directory
	go "$W/A/sub"
	expect_active "$W/A/.venv" "hung: A from the local answer"
	[ -e "$T/spawned" ] || fail "hung: the builtin did not fall back to the process path"
	n=$(fake_lines)
	[ "$n" = $((n0 + 1)) ] || fail "hung: the daemon was asked $((n - n0)) times for one visit (expected 1: the builtin's)"
	go "$W/B"
	expect_active "$W/B/.venv" "hung: B from the local answer"
	n=$(fake_lines)
	[ "$n" = $((n0 + 2)) ] || fail "hung: the daemon was asked $((n - n0)) times for two visits (expected 2)"
	step ""
	n=$(fake_lines)
	[ "$n" = $((n0 + 2)) ] || fail "hung: an idle prompt asked the daemon ($((n - n0)) requests)"
	fake_stop

	say "a daemon answering garbage: the local answer, nothing printed"
	fake_daemon garbage
	go "$W/outer/inner"
	expect_active "$W/outer/inner/.venv" "garbage: inner from the local answer"
	[ "$(fake_lines)" -ge 1 ] || fail "garbage: the fake daemon was never asked (test is blind)"
	go "$W/plain"
	expect_none "garbage: leaving"
	fake_stop
	[ "$(pane_count pwned)" = 0 ] || fail "garbage: the daemon's bytes reached the terminal"
	expect_quiet_pane
	send_line "exit"
	tmux -S "$TS" kill-server 2>/dev/null || true

	say "exec bash and subshells"
	daemon_start
	shell_start
	go "$W/A"
	expect_active "$W/A/.venv" "exec: A before"
	step "exec bash --noprofile --rcfile $T/rc -i"
	expect BUILTIN 1 "exec bash: the new shell loads the builtin"
	expect_active "$W/A/.venv" "exec bash: adopted"
	venvd_shell; vs=$VS
	[[ $vs =~ ^bash:[0-9]+:builtin$ ]] || fail "exec bash: VENVD_SHELL is [$vs]"
	setpath sub "$W/B"
	step '( _t_cd sub; venvd_hook; printf %s "$VIRTUAL_ENV" >"$_T_OUT/subve" )'
	[ "$(cat "$OUT/subve")" = "$W/B/.venv" ] || fail "subshell: the builtin did not apply B there ($(cat "$OUT/subve"))"
	expect_active "$W/A/.venv" "subshell: the parent keeps A"
	step "bash -c 'type -t venvd_hook >\"\$_T_OUT/nonint\" || :'"
	[ ! -s "$OUT/nonint" ] || fail "a non-interactive bash has the builtin: $(cat "$OUT/nonint")"
	go "$W/plain"
	expect_none "exec: leaving"
	expect_quiet_pane
	send_line "exit"
	tmux -S "$TS" kill-server 2>/dev/null || true

	say "a notice with the daemon up: shown once, no process (strace -f)"
	command -v strace >/dev/null 2>&1 || skip "strace is not installed"
	shell_start ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
	    strace -f -qq -e signal=none -e trace=execve,clone,clone3,fork,vfork -o "$T/strace.log"
	go "$W/A"
	expect_active "$W/A/.venv" "strace: A"
	prime_trust "$W/cloned"
	prime_trust "$W/outer/inner"
	setpath cl "$W/cloned"
	setpath pl "$W/plain"
	setpath inner "$W/outer/inner"
	step "/bin/true MARK1" "_t_cd cl" "_t_cd pl" "_t_cd cl" "_t_cd inner" "/bin/true MARK2"
	expect_active "$W/outer/inner/.venv" "strace: inner after the untrusted clone"
	expect_notices "not activating" 1 "the untrusted clone's notice, once"
	send_line "exit"
	wait_for session_gone || fail "the strace session did not end"
	grep -q 'execve("/bin/true' "$T/strace.log" || fail "strace never saw a process run (test is blind)"
	n=$(forks_between "$T/strace.log" MARK1 MARK2)
	[ "$n" = 1 ] || fail "prompts with a notice ran processes (expected only MARK2's own fork, got $n)"
	say "all builtin fault checks passed"
}

faults_main
