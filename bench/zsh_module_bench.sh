#!/bin/bash
# zsh_module_bench.sh: the zsh hook through its module (zsh/venvd.so)
# against the function hook, in the same run, against the same real daemon.
#
# For each variant one interactive zsh runs N prompts per scenario (idle;
# first visit to a never-seen proj/e<i>; a directory seen before; leaving
# to a plain dir), timed inside the shell with $EPOCHREALTIME, medians of
# samples, less the same loop with no hook. A prompt is simulated as zsh
# runs it: chpwd_functions at each cd (zsh calls them), then each of
# precmd_functions. Also the RSS (and Pss) the shell gains from the hook
# and a first visit (/proc/self/smaps_rollup), in the same process.
#
# Usage: VENVD=... VENVD_DAEMON=... VENVD_ZSH_MODULE_SO=... bash bench/zsh_module_bench.sh [N]
# VENVD_FN=... runs the function variant with another venvd (e.g. a build
# whose function hook is the one to compare with); default $VENVD.
set -euo pipefail

N=${1:-200}
: "${VENVD:?}" "${VENVD_DAEMON:?}" "${VENVD_ZSH_MODULE_SO:?}"
VENVD_FN=${VENVD_FN:-$VENVD}
T=$(mktemp -d /tmp/vzb.XXXXXX)
export HOME="$T/home" XDG_RUNTIME_DIR="$T/run" XDG_STATE_HOME="$T/state" \
	XDG_CONFIG_HOME="$T/config" XDG_CACHE_HOME="$T/cache" VENVD_AUTOSTART=0
mkdir -p "$HOME" "$T/proj" "$T/plain"
mkdir -m 700 "$XDG_RUNTIME_DIR"
export VENVD_SOCKET="$XDG_RUNTIME_DIR/venvd/venvd.sock"
/usr/bin/python3 -m venv --without-pip "$T/proj/.venv"
for i in $(seq 0 $((N * 4))); do mkdir -p "$T/proj/e$i"; done
"$VENVD_DAEMON" -f >"$T/daemon.log" 2>&1 &
DPID=$!
trap 'kill "$DPID" 2>/dev/null; wait "$DPID" 2>/dev/null; cat "$T/zsh.err" 2>/dev/null | tail -5 >&2; rm -rf "$T"' EXIT
for _ in $(seq 200); do [ -S "$VENVD_SOCKET" ] && break; sleep 0.05; done
"$VENVD" status >/dev/null

# One variant: 1 (module) or 0 (function). Prints "RESULT variant idle first seen out rss_kb pss_kb how".
run() {
	local bin=$VENVD mod=$VENVD_ZSH_MODULE_SO
	if [ "$1" = 0 ]; then
		bin=$VENVD_FN mod=0
	fi
	VENVD_ZSH_MODULE=$mod ZB_BIN="$bin" ZB_T="$T" ZB_N="$N" ZB_V="$1" ZB_OFF=$2 \
	    zsh -f -i 2>"$T/zsh.err" <<'EOF'
setopt interactive_comments
unsetopt zle monitor prompt_sp prompt_cr
PS1= PS2=
zmodload zsh/datetime
mem() { local k v u r=0 p=0; while read -r k v u; do case $k in Rss:) r=$v;; Pss:) p=$v;; esac; done </proc/self/smaps_rollup; echo "$r $p"; }
zmodload zsh/parameter
m0=$(mem)
eval "$("$ZB_BIN" hook zsh)"
# What zsh does before a prompt: precmd_functions, then its prepromptfns,
# where the module's hook is (the builtin runs the same C).
zb_pre=$(( ${+builtins[venvd_hook]} ))
prompt() { local f; for f in $precmd_functions; do $f; done; if ((zb_pre)); then venvd_hook; fi; }
med() { print -l -- "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# The µs between two $EPOCHREALTIME values, in $us (no $(...): a fork
# would make the next sample pay copy-on-write faults).
us() { integer -g us=$(( ($2 - $1) * 1000000 )); }
cd "$ZB_T/plain"; prompt
cd "$ZB_T/proj/e0"; prompt
[[ ${VIRTUAL_ENV-} == "$ZB_T/proj/.venv" ]] || { print "FAIL: no activation" >&2; exit 1; }
m1=$(mem)
cd "$ZB_T/plain"; prompt
idle=() first=() seen=() out=()
for ((i = 0; i < ZB_N; i++)); do
	t0=$EPOCHREALTIME; prompt; t1=$EPOCHREALTIME; us $t0 $t1; idle+=($us)
done
for ((i = 1; i <= ZB_N; i++)); do
	e=$((i + ZB_OFF))
	t0=$EPOCHREALTIME; cd "$ZB_T/proj/e$e"; prompt; t1=$EPOCHREALTIME; us $t0 $t1; first+=($us)
	[[ ${VIRTUAL_ENV-} == "$ZB_T/proj/.venv" ]] || { print "FAIL: first visit" >&2; exit 1; }
	t0=$EPOCHREALTIME; cd "$ZB_T/plain"; prompt; t1=$EPOCHREALTIME; us $t0 $t1; out+=($us)
	[[ -z ${VIRTUAL_ENV-} ]] || { print "FAIL: leaving" >&2; exit 1; }
	t0=$EPOCHREALTIME; cd "$ZB_T/proj/e0"; prompt; t1=$EPOCHREALTIME; us $t0 $t1; seen+=($us)
	cd "$ZB_T/plain"; prompt
done
how=${VENVD_SHELL#zsh:*:}
# No hook at all: the same loop's own cost, subtracted below.
zmodload -u venvd 2>/dev/null	# its cd and prompt hooks go too
precmd_functions=() chpwd_functions=() zb_pre=0
base=() basecd=()
for ((i = 0; i < ZB_N; i++)); do
	t0=$EPOCHREALTIME; prompt; t1=$EPOCHREALTIME; us $t0 $t1; base+=($us)
done
for ((i = 0; i < ZB_N; i++)); do
	t0=$EPOCHREALTIME; cd "$ZB_T/proj/e0"; prompt; t1=$EPOCHREALTIME; us $t0 $t1; basecd+=($us)
	cd "$ZB_T/plain"
done
b=$(med $base) bc=$(med $basecd)
read -r r0 p0 <<<"$m0"; read -r r1 p1 <<<"$m1"
print "RESULT $ZB_V $(( $(med $idle) - b )) $(( $(med $first) - bc )) $(( $(med $seen) - bc )) $(( $(med $out) - bc )) $((r1 - r0)) $((p1 - p0)) $how"
exit
EOF
}

printf '%-8s %8s %8s %8s %8s %8s %8s  %s\n' variant idle_us first_us seen_us out_us rss_kb pss_kb VENVD_SHELL
off=0
for v in 0 1 0 1; do
	line=$(run "$v" "$off" | grep -o 'RESULT .*') || { echo "variant $v failed" >&2; exit 1; }
	off=$((off + N))	# every run's first visits are to directories never seen
	read -r _ vv a b c d e f h <<<"$line"
	printf '%-8s %8s %8s %8s %8s %8s %8s  %s\n' "$([ "$vv" = 1 ] && echo module || echo function)" "$a" "$b" "$c" "$d" "$e" "$f" "$h"
done
