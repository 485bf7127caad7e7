#!/bin/bash
# progress.sh: long work shows progress on a terminal and nothing else
# changes. On the wire: "progress": true gets "progress" notifications on
# that connection only, before the answer, which waits for the work (watch:
# the scan; list: the scans and the sizes). On a terminal (script(1) gives
# the command a real pty; its raw bytes are kept): one line rewritten with
# \r and ESC [ K, erased before the output; TERM=dumb: \r and spaces, no
# escape at all; NO_COLOR=1: no colour. Piped: today's output, byte for byte.
# The work is real (thousands of directories); whether it outlasts the
# 400 ms before a line shows is not for a test to know, so the terminal
# runs set VENVD_PROGRESS_DELAY_MS=0 and assert on what is drawn, never on
# how long anything took.
# shellcheck source=tests/lib/harness.sh
. "$TOP_SRCDIR/tests/lib/harness.sh"

command -v script >/dev/null || skip "script(1) (util-linux) is not installed"

DB="$XDG_STATE_HOME/venvd/index.sqlite3"
OLD=$(( $(date +%s) - 40 * 86400 ))

# sql STATEMENT [ARGS...]: run one statement on the daemon's index.
sql() {
	"$PYTHON3" - "$DB" "$@" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], timeout=10)
cur = db.execute(sys.argv[2], sys.argv[3:])
for row in cur.fetchall():
    print("\t".join("" if v is None else str(v) for v in row))
db.commit()
EOF
}

# tree DIR A B: DIR with A*B directories two levels deep (A*B+A+1 in all).
tree() {
	"$PYTHON3" -c '
import os, sys
d, a, b = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for i in range(a):
    for j in range(b):
        os.makedirs(os.path.join(d, "d%d" % i, "e%d" % j))' "$@"
}

# on_tty OUT CMD [ARGS...]: run CMD on a pseudo-terminal (stdin, stdout and
# stderr), its raw output bytes, without script's own lines, left in OUT.
on_tty() {
	local out=$1
	shift
	script -q -e -c "$(printf '%q ' "$@")" "$out.raw" </dev/null >/dev/null ||
		fail "on a terminal, $* failed: $(cat -v "$out.raw")"
	"$PYTHON3" -c '
import sys
lines = open(sys.argv[1], "rb").read().split(b"\n")
keep = [l for l in lines if not l.startswith(b"Script started") and
        not l.startswith(b"Script done")]
open(sys.argv[2], "wb").write(b"\n".join(keep).strip(b"\n") + b"\n")' "$out.raw" "$out"
}

# check_tty OUT WHAT [dumb]: OUT shows a progress line saying WHAT that is
# erased before the output goes on, and nothing drawn is left behind: the
# output with the progress taken out is OUT.plain. dumb: no ESC byte at all.
check_tty() {
	"$PYTHON3" - "$@" <<'EOF'
import re, sys
out, what = sys.argv[1], sys.argv[2].encode()
dumb = len(sys.argv) > 3
b = open(out, "rb").read()
if b"\rvenvd: " + what not in b:
    sys.exit("no progress line saying %r in %r" % (what, b))
if dumb:
    if b"\x1b" in b:
        sys.exit("TERM=dumb but an escape sequence: %r" % b)
    # Drawn: \r TEXT spaces; erased: \r spaces \r.
    draw = re.compile(rb"\rvenvd: [^\r\n]*")
    erase = re.compile(rb"\r +\r")
else:
    draw = re.compile(rb"\rvenvd: [^\r\n\x1b]*\x1b\[K")
    erase = re.compile(rb"\r\x1b\[K")
last = max(m.end() for m in draw.finditer(b))
m = erase.search(b, last)
if m is None:
    sys.exit("the last progress line is never erased: %r" % b[last - 80:])
if b"\rvenvd: " in b[m.end():]:
    sys.exit("progress after it was erased: %r" % b)
plain = erase.sub(b"", draw.sub(b"", b)).replace(b"\r\n", b"\n")
if b"\r" in plain or b"\x1b" in plain:
    sys.exit("left over from the progress line: %r" % plain)
open(out + ".plain", "wb").write(plain)
EOF
}

R="$T/root"
mkdir -p "$R/p1" "$R/p2"
mkvenv "$R/p1/.venv"
mkvenv "$R/p2/.venv"
head -c 2000000 /dev/urandom >"$R/p1/.venv/blob"
V1="$R/p1/.venv" V2="$R/p2/.venv"
# Thousands of directories (the roots at any one time within the default
# watch budget of 6144).
tree "$R/big" 20 100

daemon_start

say "the wire: progress notifications for the asking connection only, then the answer after the scan"
"$PYTHON3" - "$VENVD_SOCKET" "$R" <<'EOF' || fail "watch with progress on the wire"
import json, socket, sys
sock_path, root = sys.argv[1], sys.argv[2]

def conn():
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(60)
    s.connect(sock_path)
    return s, s.makefile("rb")

def send(c, obj):
    c[0].sendall(json.dumps(obj).encode() + b"\n")

def until_answer(c, rid):
    notes = []
    while True:
        line = c[1].readline()
        if not line:
            sys.exit("connection closed before the answer to %r" % rid)
        m = json.loads(line)
        if "id" in m and m.get("method") is None:
            if m["id"] != rid:
                sys.exit("answer to %r, not %r: %r" % (m["id"], rid, m))
            return notes, m
        notes.append(m)

other = conn()
send(other, {"jsonrpc": "2.0", "id": "s", "method": "subscribe", "params": {}})
until_answer(other, "s")

a = conn()
send(a, {"jsonrpc": "2.0", "id": 7, "method": "watch", "params": {"path": root, "progress": True}})
notes, ans = until_answer(a, 7)
if not notes:
    sys.exit("no progress notification before the answer")
for n in notes:
    p = n.get("params", {})
    if n.get("method") != "progress" or "id" in n or p.get("id") != 7 or \
            p.get("phase") != "scan" or p.get("path") != root or \
            not isinstance(p.get("dirs"), int) or not isinstance(p.get("venvs"), int):
        sys.exit("malformed progress notification: %r" % n)
dirs = [n["params"]["dirs"] for n in notes]
if dirs != sorted(dirs):
    sys.exit("directories scanned went down: %r" % dirs)
r = ans["result"]["root"]
# root, big, its 20 and 2000 below, p1, p2 and their two venvs.
if r["state"] != "live" or r["dirs"] != 1 + 1 + 20 + 2000 + 2 + 2 or r["venvs"] != 2:
    sys.exit("the answer came before the scan was done: %r" % r)

# Without progress: the answer at once, still scanning, nothing before it.
send(a, {"jsonrpc": "2.0", "id": 8, "method": "watch", "params": {"path": root}})
notes, ans = until_answer(a, 8)
if notes or ans["result"]["root"]["state"] != "scanning":
    sys.exit("watch without progress: %r %r" % (notes, ans))
send(a, {"jsonrpc": "2.0", "id": 9, "method": "watch", "params": {"path": root, "progress": "yes"}})
notes, ans = until_answer(a, 9)
if ans.get("error", {}).get("code") != -32602:
    sys.exit("progress that is not a boolean: %r" % ans)

# The subscriber saw none of it.
send(other, {"jsonrpc": "2.0", "id": "t", "method": "status"})
notes, ans = until_answer(other, "t")
if any(n.get("method") == "progress" for n in notes):
    sys.exit("another connection got progress: %r" % notes)
EOF

say "piped, watch prints what it always did, byte for byte (no progress, no waiting)"
mkdir -p "$T/r3"
"$VENVD" watch "$T/r3" >"$T/watch.out" 2>"$T/watch.err" || fail "piped watch failed"
printf '%s\t6\tno\tindex\tscanning\t0\t0\n' "$T/r3" >"$T/watch.want"
cmp "$T/watch.want" "$T/watch.out" || fail "piped watch: $(cat -A "$T/watch.out")"
[ ! -s "$T/watch.err" ] || fail "piped watch wrote to stderr: $(cat -A "$T/watch.err")"

say "on a terminal, watch shows the scan's progress, erases it and prints the scanned root"
tree "$T/r4" 15 100
VENVD_PROGRESS_DELAY_MS=0 on_tty "$T/tty.watch" "$VENVD" watch "$T/r4"
check_tty "$T/tty.watch" "scanning: " || fail "watch's progress: $(cat -v "$T/tty.watch")"
grep_all -qE "^$T/r4 +6 +no +index +live +1516 +0 *\$" <"$T/tty.watch.plain" ||
	fail "watch did not wait for the scan: $(cat -v "$T/tty.watch.plain")"
"$VENVD" unwatch "$T/r4" >/dev/null || fail "unwatch r4"

say "TERM=dumb: the line is rewritten with \\r and spaces, never an escape sequence"
tree "$T/r5" 15 100
TERM=dumb VENVD_PROGRESS_DELAY_MS=0 on_tty "$T/tty.dumb" "$VENVD" watch "$T/r5"
check_tty "$T/tty.dumb" "scanning: " dumb || fail "TERM=dumb: $(cat -v "$T/tty.dumb")"
"$VENVD" unwatch "$T/r5" >/dev/null || fail "unwatch r5"

say "NO_COLOR=1: progress still shows, and no colour"
tree "$T/r6" 15 100
NO_COLOR=1 VENVD_PROGRESS_DELAY_MS=0 on_tty "$T/tty.nocolor" "$VENVD" watch "$T/r6"
check_tty "$T/tty.nocolor" "scanning: " || fail "NO_COLOR: $(cat -v "$T/tty.nocolor")"
if grep_all -qP '\x1b\[[0-9;]*m' <"$T/tty.nocolor"; then
	fail "NO_COLOR=1 but colour: $(cat -v "$T/tty.nocolor")"
fi
"$VENVD" unwatch "$T/r6" >/dev/null || fail "unwatch r6"
for cmd in list roots status "gc --stale 30 --dry-run"; do
	# shellcheck disable=SC2086 # the command's words
	NO_COLOR=1 on_tty "$T/tty.nc" "$VENVD" $cmd
	if grep_all -qP '\x1b\[[0-9;]*m' <"$T/tty.nc"; then
		fail "NO_COLOR=1 but colour from $cmd: $(cat -v "$T/tty.nc")"
	fi
done

say "list with progress after a restart: it waits for the first scan and every size"
daemon_stop
sql "UPDATE venvs SET size_bytes = NULL, size_measured = NULL"
daemon_start
"$PYTHON3" - "$VENVD_SOCKET" <<'EOF' || fail "list with progress on the wire"
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(60)
s.connect(sys.argv[1])
f = s.makefile("rb")
s.sendall(b'{"jsonrpc":"2.0","id":"L","method":"list","params":{"progress":true}}\n')
phases = []
while True:
    m = json.loads(f.readline())
    if m.get("method") != "progress":
        break
    p = m["params"]
    if p.get("id") != "L":
        sys.exit("progress for another id: %r" % m)
    if p["phase"] == "scan":
        ok = all(isinstance(p.get(k), int) for k in ("roots", "dirs", "venvs"))
    elif p["phase"] == "sizes":
        ok = isinstance(p.get("measured"), int) and p.get("total", 0) >= 1 and \
            p["measured"] <= p["total"]
    else:
        ok = False
    if not ok:
        sys.exit("malformed progress notification: %r" % m)
    phases.append(p["phase"])
if m.get("id") != "L" or "result" not in m:
    sys.exit("not the answer: %r" % m)
if phases != sorted(phases, key=["scan", "sizes"].index):
    sys.exit("sizes reported before the scans ended: %r" % phases)
venvs = [v for v in m["result"]["venvs"] if v["state"] == "ok"]
if len(venvs) != 2 or any(v.get("size_bytes") is None for v in venvs):
    sys.exit("answered before every size was measured: %r" % venvs)
print("# progress phases seen: %s" % sorted(set(phases)))
EOF

say "piped, gc prints what it always did; on a terminal the same, plus an erased progress line"
sql "UPDATE venvs SET first_seen = ?, last_seen = ?, last_activated = NULL" "$OLD" "$OLD"
"$VENVD" gc --stale 30 --dry-run --yes >"$T/gc.pipe" 2>&1 </dev/null ||
	fail "piped gc --dry-run failed"
if grep_all -q $'[\r\x1b]' <"$T/gc.pipe"; then
	fail "piped gc wrote \\r or an escape: $(cat -A "$T/gc.pipe")"
fi
VENVD_PROGRESS_DELAY_MS=0 on_tty "$T/tty.gcdry" "$VENVD" gc --stale 30 --dry-run --yes
check_tty "$T/tty.gcdry" "measuring venv 1 of 2" || fail "gc's measuring: $(cat -v "$T/tty.gcdry")"
cmp "$T/gc.pipe" "$T/tty.gcdry.plain" ||
	fail "gc on a terminal differs from piped: $(cat -A "$T/gc.pipe") vs $(cat -A "$T/tty.gcdry.plain")"

say "gc deleting shows bytes freed of the total and venvs deleted, then the plain report"
VENVD_PROGRESS_DELAY_MS=0 on_tty "$T/tty.gc" "$VENVD" gc --stale 30 --yes
check_tty "$T/tty.gc" "deleting: " || fail "gc's deleting: $(cat -v "$T/tty.gc")"
grep_all -qE $'\rvenvd: deleting: [0-9.]+[BKMG] of [0-9.]+[KMG] freed, [01] of 2 venvs deleted' <"$T/tty.gc" ||
	fail "no bytes freed of the total: $(cat -v "$T/tty.gc")"
grep_all -qxF "deleted $V1" <"$T/tty.gc.plain" || fail "no report of $V1: $(cat -v "$T/tty.gc.plain")"
grep_all -qxF "deleted $V2" <"$T/tty.gc.plain" || fail "no report of $V2: $(cat -v "$T/tty.gc.plain")"
grep_all -qE '^freed [0-9.]+[KMG] \([0-9]+ bytes\)$' <"$T/tty.gc.plain" ||
	fail "no total freed: $(cat -v "$T/tty.gc.plain")"
[ ! -e "$V1" ] && [ ! -e "$V2" ] || fail "gc left a venv behind"

say "work done within the delay shows no line at all"
mkdir -p "$T/r7"
VENVD_PROGRESS_DELAY_MS=3600000 on_tty "$T/tty.quick" "$VENVD" watch "$T/r7"
if grep_all -q $'\r''venvd: ' <"$T/tty.quick"; then
	fail "progress within the delay: $(cat -v "$T/tty.quick")"
fi
grep_all -qE "^$T/r7 +6 +no +index +live +1 +0"$'\r?$' <"$T/tty.quick" ||
	fail "watch on a terminal: $(cat -v "$T/tty.quick")"

daemon_stop
