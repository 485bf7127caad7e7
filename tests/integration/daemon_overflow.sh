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
TIMEOUT=30 wait_for gen_changed "$g" || fail "generation stayed $g after rm -rf"
assert_eq null "$(res "$P/src")" "after rm -rf following the overflow"
[ "$(cached_dirs)" -ge 1 ] || fail "the cache was not rebuilt"

daemon_stop
say "overflow handled"

# --- the kernel's watch limit (ENOSPC) --------------------------------------
# The limit is per user namespace: lower it in a private one rather than
# touching the global sysctl.
if ! unshare -Ur sh -c 'echo 10 >/proc/sys/user/max_inotify_watches' 2>/dev/null; then
	say "cannot set a per-namespace inotify limit here: watch-limit part skipped"
	exit 0
fi
say "watch limit: 10 inotify watches in a private user namespace"
: >"$DAEMON_LOG"
# shellcheck disable=SC2016 # $0 is expanded by the inner sh
unshare -Ur sh -c 'echo 10 >/proc/sys/user/max_inotify_watches && exec "$0" --foreground -v' \
	"$VENVD_DAEMON" >>"$DAEMON_LOG" 2>&1 &
DAEMON_PID=$!
wait_for daemon_answers || fail "daemon in a user namespace did not answer"

# resolve_full DIR: the whole resolve result.
resolve_full() {
	rpc resolve "$("$PYTHON3" -c 'import json,sys; print(json.dumps({"path": sys.argv[1]}))' "$1")" ||
		fail "resolve $1 failed"
}
# jfield JSON EXPR over v (the venv) and j (the result).
jfield() {
	"$PYTHON3" -c 'import json,sys; j=json.loads(sys.argv[1]); v=j["venv"]; r=eval(sys.argv[2]); print("null" if r is None else json.dumps(r) if not isinstance(r, str) else r)' "$1" "$2"
}

S="$T/s"
D="$T/d/1/2/3/4/5/6/7/8"
mkdir -p "$S" "$D"
r=$(resolve_full "$S")
assert_eq true "$(jfield "$r" 'j["cacheable"]')" "a shallow dir within the limit is cached"
degraded_mentions max_user_watches && fail "degraded before the limit was reached"
r=$(resolve_full "$D")
assert_eq null "$(jfield "$r" 'v')" "a deep dir past the limit still answers"
assert_eq false "$(jfield "$r" 'j["cacheable"]')" "a dir past the limit is not cacheable"
degraded_mentions max_user_watches || fail "status.degraded does not name fs.inotify.max_user_watches"
grep -q "max_user_watches" "$DAEMON_LOG" || fail "the watch limit was not logged"
say "past the limit, each request resolves afresh"
mkvenv "$T/d/1/2/.venv"
r=$(resolve_full "$D")
assert_eq "$T/d/1/2/.venv" "$(jfield "$r" 'v["path"]')" "a venv made past the limit is seen at once"
rm -rf "$T/d/1/2/.venv"
r=$(resolve_full "$D")
assert_eq null "$(jfield "$r" 'v')" "a venv removed past the limit is gone at once"
r=$(resolve_full "$S")
assert_eq true "$(jfield "$r" 'j["cacheable"]')" "the shallow dir is still cached"
w=$(rpc status | "$PYTHON3" -c 'import json,sys; print(json.load(sys.stdin)["watches"])')
[ "$w" -le 10 ] || fail "$w watches held past a kernel limit of 10"

daemon_stop
say "watch limit handled"
exit 0
