#!/bin/bash
# run.sh: the benchmarks behind "make bench", run from the build directory.
#
# Starts the real venvd-daemon with private XDG dirs and a private socket,
# runs bench/bench_rpc against it (and against its own echo server), stops
# the daemon, then runs bench/hook_bench.sh (every hook and peer in bash,
# zsh and fish; it ends with the README's "Speed" table), then
# bench/poetry_bench.sh, scan_bench.sh, editor_bench.py and stream_bench.py.
# Environment: VENVD, VENVD_DAEMON (default: the build tree's programs).
set -euo pipefail

srcdir=$(cd "$(dirname "$0")/.." && pwd)
builddir=${TOP_BUILDDIR:-$PWD}
export TOP_SRCDIR="$srcdir" TOP_BUILDDIR="$builddir"
export VENVD="${VENVD:-$builddir/client/venvd}"
export VENVD_DAEMON="${VENVD_DAEMON:-$builddir/daemon/venvd-daemon}"
bench_rpc="$builddir/bench/bench_rpc"
python3=${PYTHON3:-python3}

for prog in "$bench_rpc" "$VENVD_DAEMON"; do
	[ -x "$prog" ] || { echo "run.sh: $prog is not built" >&2; exit 1; }
done

# Private directories, so the bench never touches a real daemon or state.
T=$(mktemp -d /tmp/vb.XXXXXX)
export HOME="$T/home" XDG_RUNTIME_DIR="$T/run" XDG_STATE_HOME="$T/state" \
	XDG_CONFIG_HOME="$T/config" XDG_CACHE_HOME="$T/cache"
mkdir -p "$HOME" "$XDG_STATE_HOME" "$XDG_CONFIG_HOME/venvd" "$XDG_CACHE_HOME"
mkdir -m 700 "$XDG_RUNTIME_DIR"
export VENVD_SOCKET="$XDG_RUNTIME_DIR/venvd/venvd.sock"
export VENVD_AUTOSTART=0
unset VIRTUAL_ENV VIRTUAL_ENV_PROMPT VENVD_ACTIVE VENVD_PYTHONHOME PYTHONHOME

daemon_pid=
# Stop the daemon we started and remove the private tree.
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	if [ -n "$daemon_pid" ]; then
		kill -TERM "$daemon_pid" 2>/dev/null || true
		wait "$daemon_pid" 2>/dev/null || true
	fi
	rm -rf "$T"
}
trap cleanup EXIT

# Does the daemon answer a status request?
daemon_answers() {
	"$python3" "$srcdir/tests/lib/rpc.py" status >/dev/null 2>&1
}

# Milliseconds since the epoch.
now_ms() {
	echo $(( $(date +%s%N) / 1000000 ))
}

# 10,000 cached directories plus the uncached series need more watches than
# the default budget; stay well inside the kernel's per-user limit.
kernel_watches=$(cat /proc/sys/fs/inotify/max_user_watches 2>/dev/null || echo 8192)
watches=32768
if [ "$kernel_watches" -lt $((watches * 2)) ]; then
	watches=$((kernel_watches / 2))
	echo "note: fs.inotify.max_user_watches is $kernel_watches; max_watches = $watches"
fi
# The load series runs 300 clients at once (bench_rpc's N_LOAD_CLIENTS).
printf 'max_watches = %s\nmax_clients = 512\n' "$watches" > "$XDG_CONFIG_HOME/venvd/config"

mkdir -p "$T/w/proj"
"$python3" -m venv --without-pip "$T/w/proj/.venv"

status=0
start=$(now_ms)
"$VENVD_DAEMON" --foreground 2>"$T/daemon.log" &
daemon_pid=$!
deadline=$(( $(now_ms) + 10000 ))
until daemon_answers; do
	if ! kill -0 "$daemon_pid" 2>/dev/null || [ "$(now_ms)" -gt "$deadline" ]; then
		echo "run.sh: venvd-daemon did not answer on $VENVD_SOCKET; echo figures only" >&2
		tail -n 20 "$T/daemon.log" >&2 || true
		status=1
		break
	fi
	sleep 0.05
done

echo "== bench_rpc (daemon: $VENVD_DAEMON)"
if [ "$status" -eq 0 ]; then
	"$bench_rpc" --dir "$T/w" --socket "$VENVD_SOCKET" || status=1
	echo "  daemon status afterwards: $("$python3" "$srcdir/tests/lib/rpc.py" status || true)"
else
	"$bench_rpc" --dir "$T/w" --echo-only || status=1
fi
if [ -n "$daemon_pid" ]; then
	kill -TERM "$daemon_pid" 2>/dev/null || true
	wait "$daemon_pid" 2>/dev/null || true
	daemon_pid=
fi
echo "  ($(( $(now_ms) - start )) ms)"

hook_bench="$srcdir/bench/hook_bench.sh"
if [ -s "$hook_bench" ]; then
	echo
	echo "== hook_bench.sh"
	start=$(now_ms)
	rc=0
	bash "$hook_bench" || rc=$?
	case $rc in
	0) ;;
	77) echo "  hook_bench.sh skipped itself" ;;
	*) echo "  hook_bench.sh failed (exit $rc)"; status=1 ;;
	esac
	echo "  ($(( $(now_ms) - start )) ms)"
fi

echo
echo "== poetry_bench.sh (a Poetry project's central venv vs an in-project .venv vs poetry env info -p per cd)"
start=$(now_ms)
rc=0
bash "$srcdir/bench/poetry_bench.sh" || rc=$?
case $rc in
0) ;;
77) echo "  poetry_bench.sh skipped itself" ;;
*) echo "  poetry_bench.sh failed (exit $rc)"; status=1 ;;
esac
echo "  ($(( $(now_ms) - start )) ms)"

echo
echo "== scan_bench.sh (cold scan of a discovery root vs find)"
start=$(now_ms)
bash "$srcdir/bench/scan_bench.sh" || { echo "  scan_bench.sh failed"; status=1; }
echo "  ($(( $(now_ms) - start )) ms)"

echo
echo "== editor_bench.py (subscribe latency, list vs status, memory per subscriber)"
start=$(now_ms)
"$python3" "$srcdir/bench/editor_bench.py" || { echo "  editor_bench.py failed"; status=1; }
echo "  ($(( $(now_ms) - start )) ms)"

echo
echo "== stream_bench.py (one change's notification; resuming with since vs the full state)"
start=$(now_ms)
"$python3" "$srcdir/bench/stream_bench.py" || { echo "  stream_bench.py failed"; status=1; }
echo "  ($(( $(now_ms) - start )) ms)"
exit "$status"
