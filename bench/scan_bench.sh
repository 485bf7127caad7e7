#!/bin/bash
# scan_bench.sh: the daemon's cold scan of a discovery root against
# `find ROOT -maxdepth N -name pyvenv.cfg` on the same tree, same run.
#
# The tree (generated once under /tmp, removed at exit): 10x10x10x10x10
# directories below the root (111,110 directories) and 1,000 minimal
# venvs (pyvenv.cfg + bin/python symlink) at level 5. The daemon scans to
# depth 6 (a venv at level 6 is still found), which is what
# `find -maxdepth 7` reads. Page caches cannot be dropped here, so both
# sides run warm, alternately, best of 3. The daemon's figure is its own
# scan_ms from the roots method (from the watch request to the last
# directory); it includes its inotify watches (max_watches, default
# 8192: the rest of the tree is reported unwatched) and the SQLite writes.
# Goal: daemon <= 1.5x find. Environment: VENVD_DAEMON, ROUNDS (3),
# SCAN_MAX_WATCHES (default: the daemon's default).
set -euo pipefail

srcdir=$(cd "$(dirname "$0")/.." && pwd)
builddir=${TOP_BUILDDIR:-$PWD}
VENVD_DAEMON="${VENVD_DAEMON:-$builddir/daemon/venvd-daemon}"
python3=${PYTHON3:-python3}
rounds=${ROUNDS:-3}
[ -x "$VENVD_DAEMON" ] || { echo "scan_bench.sh: $VENVD_DAEMON is not built" >&2; exit 1; }

T=$(mktemp -d /tmp/vs.XXXXXX)
export HOME="$T/home" XDG_RUNTIME_DIR="$T/run" XDG_STATE_HOME="$T/state" \
	XDG_CONFIG_HOME="$T/config" XDG_CACHE_HOME="$T/cache"
mkdir -p "$HOME" "$XDG_STATE_HOME" "$XDG_CONFIG_HOME/venvd" "$XDG_CACHE_HOME"
mkdir -m 700 "$XDG_RUNTIME_DIR"
export VENVD_SOCKET="$XDG_RUNTIME_DIR/venvd/venvd.sock"
if [ -n "${SCAN_MAX_WATCHES:-}" ]; then
	printf 'max_watches = %s\n' "$SCAN_MAX_WATCHES" >"$XDG_CONFIG_HOME/venvd/config"
fi
daemon_pid=
# Stop the daemon and remove the tree.
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	if [ -n "$daemon_pid" ]; then
		kill -TERM "$daemon_pid" 2>/dev/null || true
		wait "$daemon_pid" 2>/dev/null || true
	fi
	rm -rf "$T"
}
trap cleanup EXIT

# rpc METHOD [PARAMS]: one call; prints the result.
rpc() {
	"$python3" "$srcdir/tests/lib/rpc.py" "$@"
}

R="$T/tree"
t0=$(date +%s%N)
"$python3" - "$R" <<'EOF'
import os, sys
root = sys.argv[1]
n = 0
for a in range(10):
    for b in range(10):
        for c in range(10):
            for d in range(10):
                base = f"{root}/a{a}/b{b}/c{c}/d{d}"
                for e in range(10):
                    p = f"{base}/e{e}"
                    os.makedirs(p)
                    if d == 0 and e == 0:
                        # one venv per (a, b, c): 1,000 in all
                        os.mkdir(p + "/bin")
                        with open(p + "/pyvenv.cfg", "w") as f:
                            f.write("home = /usr/bin\nversion = 3.11.2\n")
                        os.symlink("/usr/bin/python3", p + "/bin/python")
                        n += 1
print(n, file=sys.stderr)
EOF
dirs=$(find "$R" -type d | wc -l)
echo "tree: $dirs directories, 1000 venvs, made in $(( ($(date +%s%N) - t0) / 1000000 )) ms"

"$VENVD_DAEMON" --foreground 2>"$T/daemon.log" &
daemon_pid=$!
for _ in $(seq 200); do rpc status >/dev/null 2>&1 && break; sleep 0.05; done
rpc status >/dev/null || { echo "scan_bench.sh: the daemon did not start" >&2; tail "$T/daemon.log" >&2; exit 1; }

# scan_once: watch the root, wait for the scan to end, print scan_ms; then unwatch.
# The roots method lists the tools' stores too: R's entry is picked by its path.
scan_once() {
	local r ms
	rpc watch "{\"path\": \"$R\", \"depth\": 6}" >/dev/null
	while :; do
		r=$(rpc roots)
		ms=$("$python3" -c 'import json,sys; r=[x for x in json.loads(sys.argv[1])["roots"] if x["path"] == sys.argv[2]][0]; print(r.get("scan_ms","") if r["state"] != "scanning" else "")' "$r" "$R")
		[ -n "$ms" ] && break
		sleep 0.02
	done
	found=$("$python3" -c 'import json,sys; print([x for x in json.loads(sys.argv[1])["roots"] if x["path"] == sys.argv[2]][0]["venvs"])' "$r" "$R")
	rpc unwatch "{\"path\": \"$R\"}" >/dev/null
	echo "$ms"
}

# find_once: print the ms find takes.
find_once() {
	local t n
	t=$(date +%s%N)
	n=$(find "$R" -maxdepth 7 -name pyvenv.cfg | wc -l)
	[ "$n" = 1000 ] || echo "find found $n" >&2
	echo $(( ($(date +%s%N) - t) / 1000000 ))
}

best_find=999999
best_scan=999999
find_once >/dev/null		# warm the caches once
for i in $(seq "$rounds"); do
	f=$(find_once)
	s=$(scan_once)
	echo "round $i: find ${f} ms, daemon scan ${s} ms"
	(( f < best_find )) && best_find=$f
	(( s < best_scan )) && best_scan=$s
done
found=$(rpc watch "{\"path\": \"$R\", \"depth\": 6}" >/dev/null; sleep 0.1; rpc list '{}' | "$python3" -c 'import json,sys; print(len(json.load(sys.stdin)["venvs"]))')
[ "$found" = 1000 ] || { echo "scan_bench.sh: the daemon indexed $found venvs, not 1000" >&2; exit 1; }
ratio=$("$python3" -c "print(f'{$best_scan / max($best_find, 1):.2f}')")
echo "best: find ${best_find} ms, daemon ${best_scan} ms, ratio ${ratio}x (goal <= 1.5x)"
