#!/bin/bash
# daemon_recovery.sh: the socket, or the whole runtime directory, deleted
# under a running daemon (tmp cleaners, rm -rf "$XDG_RUNTIME_DIR"/*): the
# daemon binds again and keeps its open connections; status, doctor,
# start, stop and the hooks' autostart find it by its lock meanwhile; a
# daemon that cannot bind again exits and the next client starts a fresh
# one; a daemon another one took over from exits leaving it its socket.
# shellcheck source=../lib/harness.sh
. "$TOP_SRCDIR/tests/lib/harness.sh"

SOCK_DIR=$(dirname "$VENVD_SOCKET")
OTHER_PID=

# Kill a second daemon (foreground or detached) too, then the harness cleanup.
recovery_cleanup() {
	local rc=$? p
	for p in $OTHER_PID $DAEMON_PID; do
		kill -CONT "$p" 2>/dev/null || true
	done
	if [ -n "$OTHER_PID" ]; then
		kill -KILL "$OTHER_PID" 2>/dev/null || true
	fi
	(exit "$rc")
	harness_cleanup
}
trap recovery_cleanup EXIT

# The pid in the daemon's status answer.
status_pid() {
	jget "$(rpc status)" 'j["pid"]'
}

# Is process $1 gone (or a zombie)?
gone() {
	! kill -0 "$1" 2>/dev/null || grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null
}

# sig_pending PID SIGNUM: is the signal pending for the (stopped) process?
sig_pending() {
	local mask
	mask=$(awk '/^ShdPnd:/ { print $2 }' "/proc/$1/status") || return 1
	(( (16#$mask >> ($2 - 1)) & 1 ))
}

# The venv the daemon resolves DIR to, or "null".
resolved() {
	local r
	r=$(rpc resolve "{\"path\": \"$1\"}") || return 1
	jget "$r" '(j["venv"] or {}).get("path")'
}

# Has the generation moved on from $1?
gen_moved() {
	[ "$(generation)" != "$1" ]
}

# stopped_without_socket PID: stop the daemon, then delete its socket.
stopped_without_socket() {
	kill -STOP "$1"
	wait_for grep -q '^State:.*T' "/proc/$1/status" || fail "pid $1 did not stop"
	rm -f "$VENVD_SOCKET"
}

P="$T/proj"
mkdir -p "$P/sub"
mkvenv "$P/.venv"

daemon_start
pid=$DAEMON_PID
assert_eq "$P/.venv" "$(resolved "$P/sub")" "resolve before anything is deleted"

say "the socket deleted: bound again, open connections kept, generation moved"
# A client connected before the deletion asks only after it.
"$PYTHON3" - "$VENVD_SOCKET" "$T/go" "$T/conn_out" <<'EOF' &
import os, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
f = s.makefile("rb")

def ask():
    s.sendall(b'{"jsonrpc":"2.0","id":1,"method":"status"}\n')
    return f.readline()

# Ask now and then until told to go, so the idle timeout never closes it.
ask()
open(sys.argv[2] + ".connected", "w").close()
deadline = time.time() + 120
while not os.path.exists(sys.argv[2]) and time.time() < deadline:
    ask()
    time.sleep(0.5)
data = ask()
open(sys.argv[3] + ".tmp", "wb").write(data)
os.rename(sys.argv[3] + ".tmp", sys.argv[3])
EOF
conn_client=$!
gen0=$(generation)
[ -n "$gen0" ] || fail "no generation file"
wait_for test -e "$T/go.connected" || fail "the early client did not connect"
rm -f "$VENVD_SOCKET"
wait_for daemon_answers || fail "the daemon did not bind its socket again"
assert_eq "$pid" "$(status_pid)" "the same daemon answers"
[ "$(stat -c %a "$VENVD_SOCKET")" = 600 ] || fail "new socket mode $(stat -c %a "$VENVD_SOCKET")"
wait_for gen_moved "$gen0" || fail "generation still $gen0 after the socket came back"
[ -e "$SOCK_DIR/generation.$(generation)" ] || fail "no marker for generation $(generation)"
assert_eq "$P/.venv" "$(resolved "$P/sub")" "resolve after the socket came back"
: >"$T/go"
wait "$conn_client" || fail "the client connected before the deletion failed"
grep -q "\"pid\": *$pid" "$T/conn_out" || fail "no answer on the old connection: $(cat "$T/conn_out")"
grep -q "was removed: binding it again" "$DAEMON_LOG" || fail "the rebind was not logged"

say "rm -rf of the runtime directory's contents: dir, lock, socket and generation come back"
rm -rf "${XDG_RUNTIME_DIR:?}"/*
wait_for daemon_answers || fail "the daemon did not come back after rm -rf"
assert_eq "$pid" "$(status_pid)" "the same daemon answers after rm -rf"
assert_eq 700 "$(stat -c %a "$SOCK_DIR")" "socket dir mode"
assert_eq "$pid" "$(tr -d '\n' <"$VENVD_SOCKET.lock")" "pid in the new lock file"
wait_for test -s "$SOCK_DIR/generation" || fail "no generation file after rm -rf"
wait_for test -e "$SOCK_DIR/generation.$(generation)" || fail "no generation marker after rm -rf"
assert_eq "$P/.venv" "$(resolved "$P")" "resolve after rm -rf"
# The new lock file is held: a second daemon still refuses.
rc=0; "$VENVD_DAEMON" --foreground >"$T/second" 2>&1 || rc=$?
assert_eq 1 "$rc" "a second daemon after rm -rf"
grep -q "another instance is already running" "$T/second" || fail "second daemon: $(cat "$T/second")"

say "status and doctor find a daemon without a socket by its lock, never 'not running'"
stopped_without_socket "$pid"
rc=0; out=$("$VENVD" status 2>&1) || rc=$?
assert_eq 1 "$rc" "status exit code for a running daemon without a socket"
grep -qF "daemon running (pid $pid) but its socket $VENVD_SOCKET is missing" <<<"$out" ||
	fail "status: $out"
grep -q "not running" <<<"$out" && fail "status says not running: $out"
rc=0; out=$("$VENVD" status --json 2>&1) || rc=$?
assert_eq 1 "$rc" "status --json exit code"
assert_eq "$pid true" "$(jget "$out" '"%s %s" % (j["pid"], str(j["socket_missing"]).lower())')" "status --json"
rc=0; out=$("$VENVD" doctor 2>&1) || rc=$?
grep -qF "FAIL  daemon: running (pid $pid) but its socket is missing" <<<"$out" || fail "doctor: $out"
# Continued, it sees the deletion (and the pending SIGUSR1) and binds again.
kill -CONT "$pid"
wait_for daemon_answers || fail "no socket after SIGCONT"
out=$("$VENVD" status) || fail "status after the rebind failed"
grep -q "^pid: $pid$" <<<"$out" || fail "status after the rebind: $out"

say "start asks the daemon to bind again instead of failing with 'another instance'"
stopped_without_socket "$pid"
"$VENVD" start >"$T/start" 2>&1 &
starter=$!
wait_for sig_pending "$pid" 10 || fail "start sent no SIGUSR1"
kill -CONT "$pid"
rc=0; wait "$starter" || rc=$?
assert_eq 0 "$rc" "start's exit code ($(cat "$T/start"))"
grep -qF "already running (pid $pid)" "$T/start" || fail "start: $(cat "$T/start")"
assert_eq "$pid" "$(status_pid)" "the same daemon after start"

say "the hooks' autostart asks the daemon to bind again"
stopped_without_socket "$pid"
out=$(VENVD_AUTOSTART=1 "$VENVD" export --hook bash "$P")
hook_eval bash <<<"$out"
assert_eq "|$P/.venv" "$HOOK_GEN|$HOOK_VENV" "local answer while the socket is missing"
wait_for sig_pending "$pid" 10 || fail "autostart did not ask the daemon to bind again"
kill -CONT "$pid"
wait_for daemon_answers || fail "no socket after autostart asked"
assert_eq "$pid" "$(status_pid)" "the same daemon after autostart"
out=$(VENVD_AUTOSTART=1 "$VENVD" export --hook bash "$P")
hook_eval bash <<<"$out"
[ -n "$HOOK_GEN" ] || fail "no generation in the daemon's hook answer: $out"
assert_eq "$(generation)|$P/.venv" "$HOOK_GEN|$HOOK_VENV" "hook answer from the daemon"

say "stop finds a daemon without a socket by its lock and stops it"
stopped_without_socket "$pid"
"$VENVD" stop >"$T/stop" 2>&1 &
stopper=$!
wait_for sig_pending "$pid" 15 || fail "stop sent no SIGTERM"
kill -CONT "$pid"
rc=0; wait "$stopper" || rc=$?
assert_eq 0 "$rc" "stop's exit code ($(cat "$T/stop"))"
grep -qF "daemon stopped (pid $pid" "$T/stop" || fail "stop: $(cat "$T/stop")"
wait_for gone "$pid" || fail "the daemon is still running after stop"
wait "$pid" 2>/dev/null || true
DAEMON_PID=
"$VENVD" stop | grep_all -q "not running" || fail "stop of a stopped daemon"

say "another daemon took over meanwhile: the old one exits and leaves it its files"
daemon_start
old=$DAEMON_PID
kill -STOP "$old"
rm -rf "${XDG_RUNTIME_DIR:?}"/*
daemon_start
OTHER_PID=$old
new=$DAEMON_PID
kill -CONT "$old"
TIMEOUT=30 wait_for gone "$old" || fail "the superseded daemon kept running"
wait "$old" 2>/dev/null || true
OTHER_PID=
grep -q "another daemon now holds" "$DAEMON_LOG" || fail "take-over not logged"
assert_eq "$new" "$(status_pid)" "the new daemon answers"
[ -S "$VENVD_SOCKET" ] || fail "the old daemon removed the new one's socket"
[ -s "$SOCK_DIR/generation" ] || fail "the old daemon removed the new one's generation file"
daemon_stop

say "a daemon that cannot bind again exits; the next client starts a fresh one"
daemon_start
pid=$DAEMON_PID
stopped_without_socket "$pid"
mkdir "$VENVD_SOCKET"	# in the way: listen_on refuses a non-socket
kill -CONT "$pid"
TIMEOUT=60 wait_for gone "$pid" || fail "a daemon that cannot bind kept running"
rc=0; wait "$pid" || rc=$?
DAEMON_PID=
assert_eq 0 "$rc" "exit status of a daemon that gave up"
grep -q "exiting so that the next client starts a fresh daemon" "$DAEMON_LOG" || fail "giving up not logged"
rmdir "$VENVD_SOCKET"
VENVD_AUTOSTART=1 "$VENVD" export --hook bash "$P" >/dev/null
TIMEOUT=30 wait_for daemon_answers || fail "the hook's autostart started no fresh daemon"
fresh=$(status_pid)
OTHER_PID=$fresh
[ "$fresh" != "$pid" ] || fail "the old daemon answers"
"$VENVD" stop >/dev/null || fail "stop of the fresh daemon"
wait_for gone "$fresh" || fail "the fresh daemon did not stop"
OTHER_PID=

say "recovery checks passed"
exit 0
