#!/bin/bash
# daemon_lifecycle.sh: venvd-daemon's options, instance lock, stale socket,
# signals, detaching and its log, unsafe socket dirs, foreign uids and
# systemd socket activation, against the real daemon on a private socket.
# shellcheck source=../lib/harness.sh
. "$TOP_SRCDIR/tests/lib/harness.sh"

SOCK_DIR=$(dirname "$VENVD_SOCKET")
GEN_FILE="$SOCK_DIR/generation"
STATE_LOG="$XDG_STATE_HOME/venvd/daemon.log"

# The pid in the daemon's status answer.
status_pid() {
	jget "$(rpc status)" 'j["pid"]'
}

# Is process $1 gone (or a zombie)?
gone() {
	! kill -0 "$1" 2>/dev/null || grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null
}

say "options: usage errors exit 2, -V and -h exit 0"
rc=0; "$VENVD_DAEMON" --no-such-option >"$T/out" 2>&1 || rc=$?
assert_eq 2 "$rc" "unknown option exit status"
grep -q usage "$T/out" || fail "no usage text for a bad option: $(cat "$T/out")"
rc=0; "$VENVD_DAEMON" -f extra >"$T/out" 2>&1 || rc=$?
assert_eq 2 "$rc" "stray argument exit status"
"$VENVD_DAEMON" -V | grep_all -q '^venvd-daemon [0-9]' || fail "-V prints no version"
"$VENVD_DAEMON" --help | grep_all -q -- --foreground || fail "--help lacks --foreground"

say "two daemons on one socket: the second refuses, the first keeps answering"
daemon_start
first=$DAEMON_PID
assert_eq "$first" "$(status_pid)" "status pid"
[ "$(stat -c %a "$VENVD_SOCKET")" = 600 ] || fail "socket mode is $(stat -c %a "$VENVD_SOCKET"), not 600"
[ "$(stat -c %a "$SOCK_DIR")" = 700 ] || fail "socket dir mode is $(stat -c %a "$SOCK_DIR")"
rc=0; "$VENVD_DAEMON" --foreground >"$T/second" 2>&1 || rc=$?
assert_eq 1 "$rc" "second daemon's exit status"
grep -qF "venvd-daemon: another instance is already running on $VENVD_SOCKET (pid $first)" "$T/second" ||
	fail "second daemon's message: $(cat "$T/second")"
rc=0; "$VENVD_DAEMON" >"$T/second" 2>&1 || rc=$?
assert_eq 1 "$rc" "second daemon (detached) exit status"
grep -qF "already running" "$T/second" || fail "detached second daemon: $(cat "$T/second")"
assert_eq "$first" "$(status_pid)" "first daemon still answers"

say "kill -9, then restart: the stale socket is replaced"
kill -KILL "$first"
wait "$first" 2>/dev/null || true
DAEMON_PID=
[ -S "$VENVD_SOCKET" ] || fail "kill -9 should leave the socket behind"
daemon_answers && fail "a dead daemon answers"
daemon_start
second=$DAEMON_PID
assert_eq "$second" "$(status_pid)" "restarted daemon answers on the old path"
grep -q "replaced stale socket" "$DAEMON_LOG" || fail "stale socket replacement not logged"

say "SIGTERM removes the socket and the generation file"
[ -s "$GEN_FILE" ] || fail "no generation file while running"
kill -TERM "$second"
rc=0; wait "$second" || rc=$?
DAEMON_PID=
assert_eq 0 "$rc" "exit status after SIGTERM"
[ -e "$VENVD_SOCKET" ] && fail "socket left after SIGTERM"
[ -e "$GEN_FILE" ] && fail "generation file left after SIGTERM"

say "SIGINT shuts down cleanly too"
daemon_start
kill -INT "$DAEMON_PID"
rc=0; wait "$DAEMON_PID" || rc=$?
DAEMON_PID=
assert_eq 0 "$rc" "exit status after SIGINT"
[ -e "$VENVD_SOCKET" ] && fail "socket left after SIGINT"

say "a bad config line is logged by number and the rest still applies"
mkdir -p "$XDG_CONFIG_HOME/venvd"
printf 'max_watches = 77\nbogus_key = 1\n' >"$XDG_CONFIG_HOME/venvd/config"
daemon_start
assert_eq 77 "$(jget "$(rpc status)" 'j["watch_limit"]')" "max_watches from a partly bad config"
grep -q "config.*line 2" "$DAEMON_LOG" || fail "bad config line not logged with its number"
daemon_stop
rm -f "$XDG_CONFIG_HOME/venvd/config"

say "detached: returns once listening, logs to \$XDG_STATE_HOME/venvd/daemon.log"
: >"$T/startlock"
rc=0
VENVD_STARTLOCK_FD=9 "$VENVD_DAEMON" -v 9>>"$T/startlock" || rc=$?
assert_eq 0 "$rc" "detached launch exit status"
# No waiting here: the launcher must return only once the socket answers.
st=$(rpc status) || fail "detached daemon did not answer right after the launcher returned"
dpid=$(jget "$st" 'j["pid"]')
DAEMON_PID=$dpid	# so the harness kills it on failure
[ -f "$STATE_LOG" ] || fail "no $STATE_LOG"
[ "$(stat -c %a "$STATE_LOG")" = 600 ] || fail "log mode $(stat -c %a "$STATE_LOG")"
grep -q "listening on" "$STATE_LOG" || fail "log lacks the listening line"
assert_eq "$dpid" "$(tr -d '\n' <"$VENVD_SOCKET.lock")" "pid in the lock file"
[ "$(readlink "/proc/$dpid/cwd")" = / ] || fail "detached daemon did not chdir /"
[ -e "/proc/$dpid/fd/9" ] && fail "VENVD_STARTLOCK_FD was not closed once listening"
[ "$(ps -o sid= -p "$dpid")" != "$(ps -o sid= -p $$)" ] || fail "detached daemon is still in our session"
[ "$(ps -o tty= -p "$dpid" | tr -d ' ')" = "?" ] || fail "detached daemon has a controlling terminal"

say "SIGHUP reopens the log"
mv "$STATE_LOG" "$T/rotated.log"
kill -HUP "$dpid"
wait_for test -s "$STATE_LOG" || fail "no new log after SIGHUP"
grep -q "log reopened" "$STATE_LOG" || fail "new log lacks the reopen line: $(cat "$STATE_LOG")"
rpc status >/dev/null || fail "daemon stopped answering after SIGHUP"
kill -TERM "$dpid"
wait_for gone "$dpid" || fail "detached daemon did not exit on SIGTERM"
DAEMON_PID=
[ -e "$VENVD_SOCKET" ] && fail "socket left by the detached daemon"
grep -q "shutting down" "$STATE_LOG" || fail "shutdown not logged to the reopened log"

say "a detached daemon that fails reports the reason to the launcher"
mkdir -p "$XDG_STATE_HOME/venvd"
rm -f "$STATE_LOG"; ln -s "$T/elsewhere" "$STATE_LOG"
rc=0; "$VENVD_DAEMON" >"$T/out" 2>&1 || rc=$?
assert_eq 1 "$rc" "detached launch with a symlinked log"
grep -q "daemon.log is not a regular file" "$T/out" || fail "launcher did not say why: $(cat "$T/out")"
[ -e "$T/elsewhere" ] && fail "the log symlink was followed"
rm -f "$STATE_LOG"
# A failure after detaching travels back through the pipe.
: >"$VENVD_SOCKET"
rc=0; "$VENVD_DAEMON" >"$T/out" 2>&1 || rc=$?
assert_eq 1 "$rc" "detached launch over a non-socket file"
grep -q "$VENVD_SOCKET exists and is not a socket" "$T/out" ||
	fail "child's error not passed to the launcher: $(cat "$T/out")"
grep -q "exists and is not a socket" "$STATE_LOG" || fail "child's error not in its log"
rm -f "$VENVD_SOCKET"
daemon_answers && fail "a failed launch left a daemon answering"

say "an unsafe socket directory is refused"
chmod 755 "$SOCK_DIR"
rc=0; "$VENVD_DAEMON" --foreground >"$T/out" 2>&1 || rc=$?
assert_eq 1 "$rc" "exit status with a 0755 socket dir"
grep -q "$SOCK_DIR has mode 0755" "$T/out" || fail "0755 dir message: $(cat "$T/out")"
[ -e "$VENVD_SOCKET" ] && fail "socket created in an unsafe dir"
chmod 700 "$SOCK_DIR"
mv "$SOCK_DIR" "$T/realdir"
ln -s "$T/realdir" "$SOCK_DIR"
rc=0; "$VENVD_DAEMON" --foreground >"$T/out" 2>&1 || rc=$?
assert_eq 1 "$rc" "exit status with a symlinked socket dir"
grep -q "symbolic link" "$T/out" || fail "symlink dir message: $(cat "$T/out")"
rm "$SOCK_DIR"
mv "$T/realdir" "$SOCK_DIR"

say "another uid is refused"
if ! command -v setpriv >/dev/null || [ "$(id -u)" != 0 ]; then
	say "skipped: needs root and setpriv"
else
	daemon_start
	# Loosen the path for this check only, so uid 65534 can reach the socket.
	chmod 755 "$T" "$XDG_RUNTIME_DIR" "$SOCK_DIR"
	chmod 666 "$VENVD_SOCKET"
	# A system python: $PYTHON3 may live under root's home, out of reach.
	py=/usr/bin/python3
	[ -x "$py" ] || py=$PYTHON3
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$py" -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(5)
s.connect(sys.argv[1])
try:
    s.sendall(b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"status\"}\n")
except OSError:
    pass
try:
    data = s.recv(65536)
except ConnectionResetError:
    data = b""
print("EOF" if data == b"" else "DATA:" + data.decode(errors="replace"))
' "$VENVD_SOCKET" 2>&1) || true
	chmod 700 "$T" "$XDG_RUNTIME_DIR" "$SOCK_DIR"
	chmod 600 "$VENVD_SOCKET"
	assert_eq EOF "$out" "foreign uid's connection"
	grep -q "refused connection from uid 65534" "$DAEMON_LOG" || fail "refusal not logged"
	daemon_answers || fail "daemon stopped answering after refusing a foreign uid"
	daemon_stop
fi

say "systemd socket activation: the daemon adopts fd 3 and leaves the socket"
if command -v systemd-socket-activate >/dev/null; then
	activate() { systemd-socket-activate -l "$VENVD_SOCKET" "$@"; }
else
	# A tiny stand-in: bind, set LISTEN_FDS/LISTEN_PID for ourselves, exec.
	activate() {
		"$PYTHON3" -c '
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); s.listen(16)
if s.fileno() != 3:
    os.dup2(s.fileno(), 3)
os.set_inheritable(3, True)
os.environ["LISTEN_FDS"] = "1"; os.environ["LISTEN_PID"] = str(os.getpid())
os.execv(sys.argv[2], sys.argv[2:])
' "$VENVD_SOCKET" "$@"
	}
fi
rm -f "$VENVD_SOCKET"
activate "$VENVD_DAEMON" --foreground -v >>"$DAEMON_LOG" 2>&1 &
DAEMON_PID=$!
wait_for daemon_answers || fail "socket-activated daemon did not answer"
grep -q "passed by the service manager" "$DAEMON_LOG" || fail "fd 3 not adopted"
apid=$(status_pid)
rpc resolve "{\"path\": \"$T\"}" >/dev/null || fail "socket-activated daemon cannot resolve"
kill -TERM "$apid"
wait_for gone "$apid" || fail "socket-activated daemon did not exit"
wait "$DAEMON_PID" 2>/dev/null || true
DAEMON_PID=
[ -S "$VENVD_SOCKET" ] || fail "the daemon unlinked a socket it did not bind"
[ -e "$GEN_FILE" ] && fail "generation file left after socket-activated shutdown"
rm -f "$VENVD_SOCKET"

say "all lifecycle checks passed"
exit 0
