#!/bin/bash
# hook_zsh_module.sh: the zsh module (zsh/venvd.so) beyond hook_zsh.sh's
# checks (which run through it too): no process on any prompt while the
# daemon answers (first visit, seen before, leaving, idle, deactivate),
# another plugin's zsh/net/socket left alone, garbage answers, a file that
# does not load, zmodload -u later, and exec zsh.
SH=zsh
# shellcheck source=tests/lib/hook_harness.sh
. "$TOP_SRCDIR/tests/lib/hook_harness.sh"
# shellcheck disable=SC2016 # code for the shell under test
[ "$INSHELL" = 1 ] || skip "zsh/venvd.so is not built (install zsh-dev and run configure again) or VENVD_ZSH_MODULE=0"
command -v strace >/dev/null 2>&1 || skip "strace is not installed"
# What is loaded into the shell links no libjansson (the RSS it would add).
if [ -f "$TOP_BUILDDIR/zsh/venvd.so" ]; then
	needed=$(LC_ALL=C readelf -d "$TOP_BUILDDIR/zsh/venvd.so") || fail "readelf -d zsh/venvd.so"
	case $needed in *libjansson*) fail "zsh/venvd.so links libjansson" ;; esac
fi

hook_rc=0
trap 'hook_rc=$?; set +e; hook_cleanup; (exit "$hook_rc"); harness_cleanup' EXIT
hook_check
grep -q 'zmodload' "$T/hook.zsh" || fail "venvd hook zsh printed no module loading block"
make_projects
write_rc
# A plugin that uses zsh/net/socket itself, loaded before venvd's hook.
{
	printf '%s\n' 'if [[ -n ${T_PLUGIN-} ]]; then' \
	    '	zmodload zsh/net/socket && zsocket -l "$T_PLUGIN" && _t_plugfd=$REPLY' 'fi'
	cat "$T/zdot/.zshrc"
} >"$T/zdot/rc.new"
mv "$T/zdot/rc.new" "$T/zdot/.zshrc"
daemon_start

# End the shell under test (and its tmux server) before the next one starts.
shell_end() {
	send_line "exit"
	wait_for session_gone || fail "zsh: the session did not end"
	tmux -S "$TS" kill-server 2>/dev/null || true
}

say "no process on a prompt while the daemon answers (strace -f)"
STEP=0
shell_start ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" T_PLUGIN="$T/plug.sock" \
    strace -f -qq -e signal=none -e trace=execve,clone,clone3,fork,vfork -o "$T/strace.log"
step "cd $W/plain"
expect HOW module "the module runs the hook"
expect HOOKS 0 "the module, not a precmd or chpwd function, runs the hook"
expect_none "start in a plain dir"
go "$W/A/sub"
expect_active "$W/A/.venv" "seen once"
go "$W/plain"
prime_trust "$W/outer/inner"
prime_trust "$W/B"
setpath inner "$W/outer/inner"
setpath a "$W/A/sub"
setpath plain "$W/plain"
step "/bin/true MARK1" "_t_cd inner" "/bin/true MARK2" "_t_cd plain" "/bin/true MARK3" \
    "_t_cd a" "/bin/true MARK4" "" "" "" "/bin/true MARK5" "deactivate" "/bin/true MARK6" \
    "_t_cd plain" "_t_cd a" "/bin/true MARK7"
expect_active "$W/A/.venv" "back in A after deactivate and leaving"
expect_quiet_pane

say "a venv appearing in the current directory: the next prompt activates it, no process"
mkdir -p "$W/late"
go "$W/late"
expect_none "no venv yet"
gen=$(generation)
mkvenv "$W/late/.venv"
wait_for test "$(generation)" != "$gen" || fail "the daemon did not notice the new venv"
prime_trust "$W/late"
step "/bin/true MARK8" "" "/bin/true MARK9"
expect_active "$W/late/.venv" "the venv made in place, at the next prompt"

say "another plugin's zsh/net/socket is left alone"
"$PYTHON3" -c 'import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(b"ping\n"); s.close()' "$T/plug.sock" ||
    fail "the plugin's listening socket is gone"
step 'zsocket -a $_t_plugfd && read -r _t_line <&$REPLY && print -r -- "$_t_line" >$_T_OUT/plug'
assert_eq ping "$(cat "$OUT/plug" 2>/dev/null)" "zsh: the plugin's zsocket stopped working"
step 'zmodload -e zsh/net/socket && : >$_T_OUT/sockmod'
[ -e "$OUT/sockmod" ] || fail "zsh: zsh/net/socket was unloaded"
go "$W/B"
expect_active "$W/B/.venv" "B with the plugin's socket in use"
send_line "exit"
wait_for session_gone || fail "zsh: the strace session did not end"
n=$(forks_between "$T/strace.log" MARK1 MARK2)
grep -q 'execve("/bin/true' "$T/strace.log" || fail "zsh: strace never saw a process run (test is blind)"
[ "$n" = 1 ] || fail "zsh: a first visit ran processes (got $n lines)"
n=$(forks_between "$T/strace.log" MARK2 MARK3)
[ "$n" = 1 ] || fail "zsh: leaving a project ran processes (got $n lines)"
n=$(forks_between "$T/strace.log" MARK3 MARK4)
[ "$n" = 1 ] || fail "zsh: a directory seen before ran processes (got $n lines)"
n=$(forks_between "$T/strace.log" MARK4 MARK5)
[ "$n" = 1 ] || fail "zsh: idle prompts ran processes (got $n lines)"
n=$(forks_between "$T/strace.log" MARK5 MARK6)
[ "$n" = 1 ] || fail "zsh: deactivate ran processes (got $n lines)"
n=$(forks_between "$T/strace.log" MARK6 MARK7)
[ "$n" = 1 ] || fail "zsh: leaving and coming back after deactivate ran processes (got $n lines)"
n=$(forks_between "$T/strace.log" MARK8 MARK9)
[ "$n" = 1 ] || fail "zsh: activating a venv made in place ran processes (got $n lines)"

say "garbage answers: the same result as the fallback, quietly"
daemon_stop
rm -f "$VENVD_SOCKET"
"$PYTHON3" -c 'import os, socket, sys
answers = [b"\xff\xfe garbage \x1b[31m\n", b"{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"venv\":5,\"generation\":[]}}\n",
    b"{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":null}\n", b"{" * 300000, b"\n", b""]
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(8)
open(sys.argv[2], "w").close()
i = 0
while True:
	c, _ = s.accept()
	try:
		c.recv(65536); c.sendall(answers[i % len(answers)])
	except OSError:
		pass
	c.close(); i += 1' "$VENVD_SOCKET" "$T/garbage.ready" &
HUNG_PID=$!
wait_for test -e "$T/garbage.ready" || fail "the garbage daemon did not start"
shell_start
step "cd $W/plain"
expect HOW module "the module loads with a garbage daemon"
for d in A/sub B outer/inner A; do
	go "$W/$d"
	expect_active "$W/${d%/sub}/.venv" "garbage daemon: $d"
	go "$W/plain"
	expect_none "garbage daemon: leave $d"
done
go "$HOSTILE"
expect_active "$HOSTILE/.venv" "garbage daemon: hostile name"
go "$W/plain"
[ -z "$(find "$T" -name 'pwned*' -print -quit)" ] || fail "zsh: a hostile name was executed"
expect_quiet_pane
shell_end
kill "$HUNG_PID" 2>/dev/null || true
wait "$HUNG_PID" 2>/dev/null || true
HUNG_PID=
rm -f "$VENVD_SOCKET"
daemon_start

say "zmodload -u venvd later: the function path takes over, quietly"
shell_start
go "$W/A"
expect HOW module "loaded"
expect_active "$W/A/.venv" "A through the module"
go "$W/plain"
setpath a2 "$W/A"
step "_t_cd a2 && _t_py cdpy"
assert_eq "$W/A/.venv" "$(cat "$OUT/cdpy")" "zsh: 'cd project && python3' on one line did not run the project's python"
step "zmodload -u venvd"
expect HOOKS 11 "_venvd_hook back in precmd_functions and chpwd_functions once the module is gone"
go "$W/plain"
expect HOW process:unloaded "VENVD_SHELL says the module went"
expect_none "leave A through the function"
go "$W/B"
expect_active "$W/B/.venv" "B through the function"
step "deactivate"
expect_none "deactivate after the unload"
go "$W/plain"
go "$W/A"
expect_active "$W/A/.venv" "A again through the function"
expect_quiet_pane

say "exec zsh: the new shell loads the module and adopts the activation"
step "exec zsh --no-globalrcs -i"
expect HOW module "the module in the exec'd zsh"
expect_active "$W/A/.venv" "adopted after exec"
go "$W/plain"
expect_none "leave after exec"
go "$W/B"
expect_active "$W/B/.venv" "B after exec"
expect_quiet_pane
shell_end

say "a module file that does not load: the function path, quietly"
mkdir -p "$T/bad"
printf 'not a shared object\n' >"$T/bad/venvd.so"
shell_start VENVD_ZSH_MODULE="$T/bad/venvd.so"
step "cd $W/plain"
expect HOW process:load-failed "VENVD_SHELL says why"
go "$W/A"
expect_active "$W/A/.venv" "A through the function"
go "$W/plain"
expect_none "leave A"
expect_quiet_pane
shell_end
shell_start VENVD_ZSH_MODULE=0
step "cd $W/plain"
expect HOW process:disabled "VENVD_ZSH_MODULE=0"
expect_quiet_pane
say "all zsh module checks passed"
