#!/bin/bash
# daemon_overflow.sh: a real inotify queue overflow. The daemon is stopped
# (SIGSTOP) while more events than fs.inotify.max_queued_events pile up in
# a watched directory, and a venv is created meanwhile. After SIGCONT it
# must drop its cache, bump the generation, report the overflow in
# status.degraded and answer correctly, and keep noticing changes.
. "$TOP_SRCDIR/tests/lib/harness.sh"

max_queued=$(cat /proc/sys/fs/inotify/max_queued_events 2>/dev/null) ||
	skip "cannot read /proc/sys/fs/inotify/max_queued_events"
[ "$max_queued" -le 200000 ] ||
	skip "max_queued_events is $max_queued: too many events to overflow quickly"

# res DIR: the venv path resolved for DIR ("null" for none).
res() {
	local params r
	params=$("$PYTHON3" -c 'import json,sys; print(json.dumps({"path": sys.argv[1]}))' "$1")
	r=$(rpc resolve "$params") || fail "resolve $1 failed"
	"$PYTHON3" -c 'import json,sys; v=json.loads(sys.argv[1])["venv"]; print(v["path"] if v else "null")' "$r"
}

# degraded_mentions WORD: does status.degraded mention WORD?
degraded_mentions() {
	rpc status | "$PYTHON3" -c 'import json,sys; d=json.load(sys.stdin)["degraded"]; sys.exit(0 if any(sys.argv[1] in r for r in d) else 1)' "$1"
}

# cached_dirs: status.cached_dirs.
cached_dirs() {
	rpc status | "$PYTHON3" -c 'import json,sys; print(json.load(sys.stdin)["cached_dirs"])'
}

# gen_changed OLD: has the generation file moved on from OLD?
gen_changed() {
	[ "$(generation)" != "$1" ]
}

# shellcheck disable=SC2119
daemon_start

P="$T/proj"
O="$T/other"
mkdir -p "$P/src" "$O/x"
mkvenv "$O/.venv"
assert_eq null "$(res "$P/src")" "no venv before the overflow"
assert_eq "$O/.venv" "$(res "$O/x")" "the other project's venv"
[ "$(cached_dirs)" -ge 2 ] || fail "nothing cached before the overflow"
degraded_mentions overflow && fail "degraded before any overflow"
g=$(generation)

say "stopping the daemon; queueing $((max_queued + 100)) events"
kill -STOP "$DAEMON_PID"
"$PYTHON3" - "$P" "$((max_queued + 100))" <<'EOF'
import os, sys
d, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    os.close(os.open(os.path.join(d, "pyvenv.cfg.%d" % i), os.O_CREAT | os.O_WRONLY, 0o600))
EOF
# A venv created while the daemon could not see it.
mkvenv "$P/.venv"
# And the other project's venv removed: a stale cached answer would be wrong.
rm -rf "$O/.venv"
kill -CONT "$DAEMON_PID"

say "continued; waiting for the daemon to notice"
wait_for degraded_mentions overflow || fail "status.degraded never mentioned the overflow"
gen_changed "$g" || fail "the generation did not change after the overflow"
assert_eq "$P/.venv" "$(res "$P/src")" "the venv created while stopped"
assert_eq null "$(res "$O/x")" "the venv removed while stopped"
grep -q "overflow" "$DAEMON_LOG" || fail "the overflow was not logged"

say "changes are still noticed after the overflow"
g=$(generation)
rm -rf "$P/.venv"
TIMEOUT=1 wait_for gen_changed "$g" || fail "generation stayed $g after rm -rf"
assert_eq null "$(res "$P/src")" "after rm -rf following the overflow"
[ "$(cached_dirs)" -ge 1 ] || fail "the cache was not rebuilt"

daemon_stop
say "overflow handled"
exit 0
