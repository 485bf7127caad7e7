#!/bin/bash
# builtin_bench.sh: the bash hook as the loadable builtin (bash/venvd.so)
# against the shell hook, in the same run, against the same real daemon.
#
# For each variant one interactive-like bash process runs N prompts per
# scenario (idle; first visit to a never-seen proj/e<i>; a directory seen
# before; leaving to a plain dir), timed inside the shell with
# $EPOCHREALTIME, medians of samples. A prompt is simulated as bash runs
# it: each PROMPT_COMMAND entry evaluated. Also the RSS (and Pss) the
# builtin adds to a shell: /proc/self/smaps_rollup before enable -f and
# after the first visit, in the same process.
#
# Usage: VENVD=... VENVD_DAEMON=... VENVD_BASH_BUILTIN_SO=... bash bench/builtin_bench.sh [N]
set -euo pipefail

N=${1:-200}
: "${VENVD:?}" "${VENVD_DAEMON:?}" "${VENVD_BASH_BUILTIN_SO:?}"
T=$(mktemp -d /tmp/vbb.XXXXXX)
export HOME="$T/home" XDG_RUNTIME_DIR="$T/run" XDG_STATE_HOME="$T/state" \
	XDG_CONFIG_HOME="$T/config" XDG_CACHE_HOME="$T/cache" VENVD_AUTOSTART=0
mkdir -p "$HOME" "$T/proj" "$T/plain"
mkdir -m 700 "$XDG_RUNTIME_DIR"
export VENVD_SOCKET="$XDG_RUNTIME_DIR/venvd/venvd.sock"
/usr/bin/python3 -m venv --without-pip "$T/proj/.venv"
for i in $(seq 0 $((N * 2))); do mkdir -p "$T/proj/e$i"; done
"$VENVD_DAEMON" -f >"$T/daemon.log" 2>&1 &
DPID=$!
trap 'kill "$DPID" 2>/dev/null; wait "$DPID" 2>/dev/null; rm -rf "$T"' EXIT
for _ in $(seq 200); do [ -S "$VENVD_SOCKET" ] && break; sleep 0.05; done
"$VENVD" status >/dev/null

# One variant: builtin=1 or 0. Prints "variant idle first seen out rss_kb pss_kb".
run() {
	VENVD_BASH_BUILTIN=$([ "$1" = 1 ] && echo "$VENVD_BASH_BUILTIN_SO" || echo 0) \
	    BB_T="$T" BB_N="$N" BB_V="$1" bash --norc --noprofile -i 2>/dev/null <<'EOF'
set +m
mem() { local k v u r=0 p=0; while read -r k v u; do case $k in Rss:) r=$v;; Pss:) p=$v;; esac; done </proc/self/smaps_rollup; echo "$r $p"; }
m0=$(mem)
eval "$("$VENVD" hook bash)"
prompt() { local c; for c in "${PROMPT_COMMAND[@]}"; do eval "$c"; done; }
# median of the samples in $@
med() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
us() { local a=${1/./} b=${2/./}; echo $(( (10#$b - 10#$a) )); }
cd "$BB_T/plain"; prompt
cd "$BB_T/proj/e0"; prompt
[[ ${VIRTUAL_ENV-} == "$BB_T/proj/.venv" ]] || { echo "FAIL: no activation" >&2; exit 1; }
m1=$(mem)
cd "$BB_T/plain"; prompt
idle=() first=() seen=() out=()
for ((i = 0; i < BB_N; i++)); do
	t0=$EPOCHREALTIME; prompt; t1=$EPOCHREALTIME; idle+=("$(us "$t0" "$t1")")
done
for ((i = 1; i <= BB_N; i++)); do
	t0=$EPOCHREALTIME; cd "$BB_T/proj/e$i"; prompt; t1=$EPOCHREALTIME; first+=("$(us "$t0" "$t1")")
	[[ ${VIRTUAL_ENV-} == "$BB_T/proj/.venv" ]] || { echo "FAIL: first visit" >&2; exit 1; }
	t0=$EPOCHREALTIME; cd "$BB_T/plain"; prompt; t1=$EPOCHREALTIME; out+=("$(us "$t0" "$t1")")
	[[ -z ${VIRTUAL_ENV-} ]] || { echo "FAIL: leaving" >&2; exit 1; }
	t0=$EPOCHREALTIME; cd "$BB_T/proj/e0"; prompt; t1=$EPOCHREALTIME; seen+=("$(us "$t0" "$t1")")
	cd "$BB_T/plain"; prompt
done
# No hook at all: the same loop's own cost, subtracted below.
PROMPT_COMMAND=()
base=()
for ((i = 0; i < BB_N; i++)); do
	t0=$EPOCHREALTIME; prompt; t1=$EPOCHREALTIME; base+=("$(us "$t0" "$t1")")
done
basecd=()
for ((i = 0; i < BB_N; i++)); do
	t0=$EPOCHREALTIME; cd "$BB_T/proj/e0"; prompt; t1=$EPOCHREALTIME; basecd+=("$(us "$t0" "$t1")")
	cd "$BB_T/plain"
done
b=$(med "${base[@]}") bc=$(med "${basecd[@]}")
read -r r0 p0 <<<"$m0"; read -r r1 p1 <<<"$m1"
echo "RESULT $BB_V $(( $(med "${idle[@]}") - b )) $(( $(med "${first[@]}") - bc )) $(( $(med "${seen[@]}") - bc )) $(( $(med "${out[@]}") - bc )) $((r1 - r0)) $((p1 - p0))"
exit
EOF
}

# The builtin's own memory: RSS and Pss the shell gains from enable -f and a first visit,
# against the same steps with the shell hook.
printf '%-8s %8s %8s %8s %8s %10s %10s\n' variant idle_us first_us seen_us out_us rss_kb pss_kb
declare -A R=()
for v in 0 1 0 1; do
	line=$(run "$v" | grep '^RESULT') || { echo "variant $v failed" >&2; exit 1; }
	R[$v]=$line
	read -r _ vv a b c d e f <<<"$line"
	printf '%-8s %8s %8s %8s %8s %10s %10s\n' "$([ "$vv" = 1 ] && echo builtin || echo shell)" "$a" "$b" "$c" "$d" "$e" "$f"
done
