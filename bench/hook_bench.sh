#!/bin/bash
# hook_bench.sh: what a venv hook adds to each prompt, in bash and zsh.
#
# Runs N simulated prompts inside one shell process per (shell, variant)
# and compares, in the same run:
#   none    no hook at all (the baseline)
#   direnv  `direnv hook SHELL`, .envrc = "source .venv/bin/activate", allowed
#   walker  a pure-shell walker like oh-my-zsh's: walks $PWD up testing
#           .venv/pyvenv.cfg with builtins on every prompt, sourcing activate
#   venvd   `venvd hook SHELL` against the real daemon
# Scenarios:
#   idle    a prompt with nothing changed
#   first   cd from a plain dir into proj/a/b/c/d/e<i> (never seen) + prompt
#   cached  cd from the plain dir into proj/a/b/c/d/e (seen before) + prompt
#   out     cd from proj/a/b/c/d/e back to the plain dir + prompt
# A prompt is simulated the way the shell runs its hooks: bash evaluates
# each PROMPT_COMMAND entry; zsh calls chpwd_functions after a cd, then
# precmd_functions. Time is measured inside the shell with $EPOCHREALTIME
# (samples of 10 idle prompts, single cd prompts; medians over HOOK_BENCH_REPS
# interleaved rounds, default 3, because a shared machine is noisy);
# processes are counted in a second, shorter run under strace -f (forks
# and vforks, not threads) and divided by the number of prompts.
#
# Usage: VENVD=... VENVD_DAEMON=... bash bench/hook_bench.sh [N]
# Prints a table: µs per prompt, µs added over no hook, processes per
# prompt, and each hook's added time as a multiple of venvd's.
set -euo pipefail

N=${1:-${HOOK_BENCH_N:-200}}	# idle prompts; cd scenarios use N/4
NCD=$(( N / 4 > 0 ? N / 4 : 1 ))
NSTRACE=10
REPS=${HOOK_BENCH_REPS:-3}
: "${VENVD:?set VENVD to the venvd client}"
: "${VENVD_DAEMON:?set VENVD_DAEMON to venvd-daemon}"
export LC_ALL=C

T=$(mktemp -d /tmp/vhb.XXXXXX)
export HOME="$T/home" XDG_RUNTIME_DIR="$T/run" XDG_STATE_HOME="$T/state" \
	XDG_CONFIG_HOME="$T/config" XDG_CACHE_HOME="$T/cache" XDG_DATA_HOME="$T/data"
mkdir -p "$HOME" "$XDG_STATE_HOME" "$XDG_CONFIG_HOME" "$XDG_CACHE_HOME" "$XDG_DATA_HOME"
mkdir -m 700 "$XDG_RUNTIME_DIR"
export VENVD_SOCKET="$XDG_RUNTIME_DIR/venvd/venvd.sock" VENVD_AUTOSTART=0
unset VIRTUAL_ENV VIRTUAL_ENV_PROMPT VENVD_ACTIVE VENVD_PYTHONHOME PYTHONHOME
export PATH="/usr/local/bin:/usr/bin:/bin"
export VENVD N NCD W="$T/w" DIRENV_LOG_FORMAT=

daemon_pid=
# Stop our daemon and remove the private tree.
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	if [ -n "$daemon_pid" ]; then
		kill -TERM "$daemon_pid" 2>/dev/null || true
		wait "$daemon_pid" 2>/dev/null || true
	fi
	[ -n "${HOOK_BENCH_KEEP-}" ] || rm -rf "$T"
}
trap cleanup EXIT

# Projects: proj with a venv and deep subdirectories, and a plain dir.
mkdir -p "$W/plain" "$W/proj/a/b/c/d/e"
for ((i = 0; i < NCD + NSTRACE + 2; i++)); do
	mkdir -p "$W/proj/a/b/c/d/e$i"
done
python3 -m venv --without-pip "$W/proj/.venv"
echo 'source .venv/bin/activate' >"$W/proj/.envrc"
have_direnv=0
if command -v direnv >/dev/null 2>&1; then
	(cd "$W/proj" && direnv allow . >/dev/null 2>&1) && have_direnv=1
fi

"$VENVD_DAEMON" --foreground >"$T/daemon.log" 2>&1 &
daemon_pid=$!
for ((i = 0; i < 250; i++)); do
	[ -S "$VENVD_SOCKET" ] && break
	sleep 0.02
done
[ -S "$VENVD_SOCKET" ] || { echo "hook_bench: the daemon did not start" >&2; exit 1; }

# The scenario script for bash: $1 = variant. Prints "scenario µs-total prompts".
cat >"$T/bench.bash" <<'EOF'
variant=$1 n=$2 ncd=$3 marks=${4:-0}
case $variant in
direnv) eval "$(direnv hook bash)" ;;
walker)
	_walk_hook() {
		local d=$PWD found=
		while :; do
			if [[ -f $d/.venv/pyvenv.cfg ]]; then found=$d/.venv; break; fi
			[[ -z $d ]] && break
			d=${d%/*}
		done
		if [[ $found != "${_walk_active-}" ]]; then
			if [[ -n ${_walk_active-} ]]; then deactivate; fi
			if [[ -n $found ]]; then source "$found/bin/activate"; fi
			_walk_active=$found
		fi
	}
	PROMPT_COMMAND=_walk_hook ;;
venvd)
	eval "$("$VENVD" hook bash)"
	PROMPT_COMMAND=(_venvd_hook)	# what the hook installs in an interactive shell
	;;
esac
_prompt() {
	local _c
	for _c in ${PROMPT_COMMAND+"${PROMPT_COMMAND[@]}"}; do eval "$_c"; done
}
_now() { _t=${EPOCHREALTIME/./}; }
if ((marks)); then _mark() { /bin/true "M_$1"; }; else _mark() { :; }; fi
cd "$W/plain"; _prompt
cd "$W/proj/a/b/c/d/e"; _prompt	# warm the caches (and direnv's allow check)
cd "$W/plain"; _prompt
_mark idle
for ((i = 0; i < n; i += 10)); do	# samples of 10 idle prompts
	_now; t0=$_t
	for ((j = 0; j < 10; j++)); do _prompt; done
	_now; echo "idle $((_t - t0)) 10"
done
_mark end
for ((i = 0; i < ncd; i++)); do
	_mark first
	_now; t0=$_t; cd "$W/proj/a/b/c/d/e$i"; _prompt; _now; echo "first $((_t - t0)) 1"
	[[ $variant == none || ${VIRTUAL_ENV-} == "$W/proj/.venv" ]] || { echo "not active" >&2; exit 1; }
	_mark out
	_now; t0=$_t; cd "$W/plain"; _prompt; _now; echo "out $((_t - t0)) 1"
	_mark end
done
for ((i = 0; i < ncd; i++)); do
	_mark cached
	_now; t0=$_t; cd "$W/proj/a/b/c/d/e"; _prompt; _now; echo "cached $((_t - t0)) 1"
	_mark end
	cd "$W/plain"; _prompt
done
EOF

# The same for zsh.
cat >"$T/bench.zsh" <<'EOF'
zmodload zsh/datetime
variant=$1 n=$2 ncd=$3 marks=${4:-0}
typeset -ga precmd_functions chpwd_functions
case $variant in
direnv) eval "$(direnv hook zsh)" ;;
walker)
	_walk_hook() {
		local d=$PWD found=
		while :; do
			if [[ -f $d/.venv/pyvenv.cfg ]]; then found=$d/.venv; break; fi
			[[ -z $d ]] && break
			d=${d%/*}
		done
		if [[ $found != "${_walk_active-}" ]]; then
			if [[ -n ${_walk_active-} ]]; then deactivate; fi
			if [[ -n $found ]]; then source "$found/bin/activate"; fi
			_walk_active=$found
		fi
	}
	precmd_functions=(_walk_hook) ;;
venvd)
	eval "$("$VENVD" hook zsh)"
	precmd_functions=(_venvd_hook) chpwd_functions=(_venvd_hook)	# as installed interactively
	;;
esac
_cd() { builtin cd "$1"; local f; for f in $chpwd_functions; do $f; done; }
_prompt() { local f; for f in $precmd_functions; do $f; done; }
_now() { _t=$(( epochtime[1] * 1000000 + epochtime[2] / 1000 )); }
if ((marks)); then _mark() { /bin/true "M_$1"; }; else _mark() { :; }; fi
_cd "$W/plain"; _prompt
_cd "$W/proj/a/b/c/d/e"; _prompt	# warm the caches (and direnv's allow check)
_cd "$W/plain"; _prompt
_mark idle
for ((i = 0; i < n; i += 10)); do	# samples of 10 idle prompts
	_now; t0=$_t
	for ((j = 0; j < 10; j++)); do _prompt; done
	_now; echo "idle $((_t - t0)) 10"
done
_mark end
for ((i = 0; i < ncd; i++)); do
	_mark first
	_now; t0=$_t; _cd "$W/proj/a/b/c/d/e$i"; _prompt; _now; echo "first $((_t - t0)) 1"
	[[ $variant == none || ${VIRTUAL_ENV-} == "$W/proj/.venv" ]] || { echo "not active" >&2; exit 1; }
	_mark out
	_now; t0=$_t; _cd "$W/plain"; _prompt; _now; echo "out $((_t - t0)) 1"
	_mark end
done
for ((i = 0; i < ncd; i++)); do
	_mark cached
	_now; t0=$_t; _cd "$W/proj/a/b/c/d/e"; _prompt; _now; echo "cached $((_t - t0)) 1"
	_mark end
	_cd "$W/plain"; _prompt
done
EOF

# run SHELL VARIANT N NCD [MARKS]: run the scenario script in a fresh shell.
run() {
	case $1 in
	bash) bash --norc --noprofile "$T/bench.bash" "$2" "$3" "$4" "${5:-0}" ;;
	zsh) zsh -f "$T/bench.zsh" "$2" "$3" "$4" "${5:-0}" ;;
	esac
}

# forks SHELL VARIANT: processes started per prompt in each scenario. The
# script runs under strace -f with marker commands (/bin/true M_<segment>)
# between segments; each segment's forks and vforks (not threads) are
# counted, less the one that ran the next marker.
forks() {
	strace -f -qq -e signal=none -e trace=execve,clone,clone3,fork,vfork -o "$T/st" \
	    bash -c "$(declare -f run); T='$T'; run $1 $2 $NSTRACE $NSTRACE 1 >/dev/null"
	awk -v n="$NSTRACE" '
		/resumed>/ || /CLONE_THREAD/ { next }
		/execve\(/ && match($0, /"M_[a-z]+"/) {
			name = substr($0, RSTART + 3, RLENGTH - 4)
			if (seg != "" && seg != "end") { c[seg] += k - 1 }
			seg = name; k = 0; next
		}
		/clone|fork/ { k++ }
		END {
			printf "idle %d %d\n", c["idle"], n
			for (s in c) if (s != "idle") printf "%s %d %d\n", s, c[s], n
		}
	' "$T/st"
}

shells=(bash)
command -v zsh >/dev/null 2>&1 && shells+=(zsh)
variants=(none walker venvd)
((have_direnv)) && variants=(none direnv walker venvd)
have_strace=0
command -v strace >/dev/null 2>&1 && have_strace=1

: >"$T/results"
: >"$T/samples"
# Interleave the variants over $REPS rounds so load on the machine hits
# them alike; the table shows medians of the per-prompt samples.
for ((rep = 0; rep < REPS; rep++)); do
	for sh in "${shells[@]}"; do
		for v in "${variants[@]}"; do
			run "$sh" "$v" "$N" "$NCD" | awk -v p="$sh $v" '{ printf "%s %s %.3f\n", p, $1, $2 / $3 }' >>"$T/samples"
		done
	done
done
sort -k1,1 -k2,2 -k3,3 -k4,4n "$T/samples" | awk '
	{ k = $1 " " $2 " " $3; v[k, ++c[k]] = $4 }
	END { for (k in c) { m = c[k]; printf "%s %s 1\n", k, (m % 2) ? v[k, (m + 1) / 2] : (v[k, m / 2] + v[k, m / 2 + 1]) / 2 } }
' >>"$T/results"
if ((have_strace)); then
	for sh in "${shells[@]}"; do
		for v in "${variants[@]}"; do
			forks "$sh" "$v" | sed "s/^/$sh $v forks-/" >>"$T/results"
		done
	done
fi

echo "venvd hook benchmark: $REPS rounds of $N idle prompts and $NCD of each cd scenario, per shell process"
echo "(µs/prompt = median wall time of cd + hooks; added = minus no hook; procs = processes"
echo " started per prompt, from a second run under strace with $NSTRACE of each)"
awk -v variants="${variants[*]}" '
	$3 ~ /^forks-/ { f[$1, $2, substr($3, 7)] = $4 / $5; next }
	{ us[$1, $2, $3] = $4 / $5; if (!($1 in seen)) { seen[$1] = 1; order[++ns] = $1 } }
	END {
		nv = split(variants, V, " ")
		split("idle first cached out", S, " ")
		for (k = 1; k <= ns; k++) {
			sh = order[k]
			printf "\n%-5s %-7s %10s %10s %8s %10s\n", sh, "hook", "scenario", "µs/prompt", "added", "procs"
			for (s = 1; s <= 4; s++) {
				sc = S[s]
				base = us[sh, "none", sc]
				for (j = 1; j <= nv; j++) {
					v = V[j]
					fk = ((sh, v, sc) in f) ? sprintf("%8.2f", f[sh, v, sc]) : sprintf("%8s", "n/a")
					printf "%-5s %-7s %10s %10.1f %10.1f %s\n", sh, v, sc, us[sh, v, sc], us[sh, v, sc] - base, fk
				}
			}
			printf "%-5s ratios: added µs of each hook / added µs of venvd\n", sh
			for (s = 1; s <= 4; s++) {
				sc = S[s]
				base = us[sh, "none", sc]
				vd = us[sh, "venvd", sc] - base
				line = sprintf("  %-7s", sc)
				for (j = 1; j <= nv; j++) {
					v = V[j]
					if (v == "none" || v == "venvd") continue
					a = us[sh, v, sc] - base
					line = line sprintf("  %s %s", v, (vd > 0.5) ? sprintf("%.1fx", a / vd) : "(venvd adds <0.5 µs)")
				}
				print line
			}
		}
	}
' "$T/results"
