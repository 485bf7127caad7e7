#!/bin/bash
# hook_bench.sh: what a venv hook adds to each prompt, in bash and zsh.
#
# Runs N simulated prompts inside one shell process per (shell, variant)
# and compares, in the same run:
#   none    no hook at all (the baseline)
#   direnv  `direnv hook SHELL`, .envrc = "source .venv/bin/activate", allowed
#   mise    `mise activate SHELL`, mise.toml [env] _.python.venv = ".venv",
#           trusted; mise $MISE_VERSION from the npm registry, installed once
#           into $HOOK_BENCH_CACHE/mise (default /tmp/venvd-bench-cache/mise;
#           HOOK_BENCH_MISE=/path/to/mise uses that binary instead), run
#           offline with private config, data, state and cache dirs
#   walker  a pure-shell walker like oh-my-zsh's: walks $PWD up testing
#           .venv/pyvenv.cfg with builtins on every prompt, sourcing activate
#   venvd   `venvd hook SHELL` against the real daemon
# Scenarios:
#   idle    a prompt with nothing changed
#   first   cd from a plain dir into proj/a/b/c/d/e<i> (never seen) + prompt
#   cached  cd from the plain dir into proj/a/b/c/d/e (seen before) + prompt
#   out     cd from proj/a/b/c/d/e back to the plain dir + prompt
# A prompt is simulated the way the shell runs its hooks: bash evaluates
# each PROMPT_COMMAND entry; zsh runs chpwd_functions itself on cd (also
# in a script), and the bench then calls precmd_functions. Time is measured inside the shell with $EPOCHREALTIME
# (samples of 10 idle prompts, single cd prompts; medians over HOOK_BENCH_REPS
# interleaved rounds, default 3, because a shared machine is noisy);
# processes are counted in a second, shorter run under strace -f (forks
# and vforks, not threads) and divided by the number of prompts.
# After every cd each hook must have set VIRTUAL_ENV to the project's venv
# with its bin/ first on PATH (and on leaving, unset both), or the run fails.
# direnv and mise are skipped, with the reason printed, when unavailable.
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

MISE_VERSION=${HOOK_BENCH_MISE_VERSION:-2026.9.15}
real_home=$HOME real_path=$PATH

T=$(mktemp -d /tmp/vhb.XXXXXX)
export HOME="$T/home" XDG_RUNTIME_DIR="$T/run" XDG_STATE_HOME="$T/state" \
	XDG_CONFIG_HOME="$T/config" XDG_CACHE_HOME="$T/cache" XDG_DATA_HOME="$T/data"
mkdir -p "$HOME" "$XDG_STATE_HOME" "$XDG_CONFIG_HOME" "$XDG_CACHE_HOME" "$XDG_DATA_HOME"
mkdir -m 700 "$XDG_RUNTIME_DIR"
export VENVD_SOCKET="$XDG_RUNTIME_DIR/venvd/venvd.sock" VENVD_AUTOSTART=0
unset VIRTUAL_ENV VIRTUAL_ENV_PROMPT VENVD_ACTIVE VENVD_PYTHONHOME PYTHONHOME
export PATH="/usr/local/bin:/usr/bin:/bin"
export VENVD N NCD W="$T/w" DIRENV_LOG_FORMAT=
# mise reads no config, state or cache of the user's and never goes online.
while read -r v; do
	case $v in MISE_* | __MISE_*) unset "$v" ;; esac
done < <(compgen -e)
export MISE_OFFLINE=1 MISE_CONFIG_DIR="$T/mise/config" MISE_DATA_DIR="$T/mise/data" \
	MISE_STATE_DIR="$T/mise/state" MISE_CACHE_DIR="$T/mise/cache" MISE_TMP_DIR="$T/mise/tmp" \
	MISE_SYSTEM_CONFIG_DIR="$T/mise/system" MISE_SYSTEM_DIR="$T/mise/system"

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

# mise_works BIN: is BIN the mise release we want? (Sets mise_skip if not.)
mise_works() {
	local v
	v=$("$1" --version 2>/dev/null) || { mise_skip="$1 does not run"; return 1; }
	case $v in
	"$MISE_VERSION "*) return 0 ;;
	*) mise_skip="$1 is mise ${v%% *}, not $MISE_VERSION"; return 1 ;;
	esac
}

# setup_mise: set mise_bin to a working mise, installing the pinned release
# from the npm registry into the cache dir when it is not there yet; or set
# mise_skip to the reason there is none.
setup_mise() {
	local base=${HOOK_BENCH_CACHE:-/tmp/venvd-bench-cache} npm stage
	local cache=$base/mise
	mise_bin='' mise_skip=''
	if [ -n "${HOOK_BENCH_MISE-}" ]; then
		[ -x "$HOOK_BENCH_MISE" ] || { mise_skip="HOOK_BENCH_MISE=$HOOK_BENCH_MISE is not executable"; return 1; }
		mise_works "$HOOK_BENCH_MISE" || return 1
		mise_bin=$HOOK_BENCH_MISE
		return 0
	fi
	if [ -x "$cache/node_modules/.bin/mise" ] && mise_works "$cache/node_modules/.bin/mise"; then
		mise_bin=$cache/node_modules/.bin/mise
		return 0
	fi
	if ! npm=$(PATH=$real_path command -v npm) || ! PATH=$real_path command -v node >/dev/null; then
		mise_skip="node or npm not found on PATH, so mise@$MISE_VERSION cannot be installed"
		return 1
	fi
	mkdir -p "$base" 2>/dev/null || { mise_skip="cannot create $base"; return 1; }
	# A shared dir someone else could write into is no place to run a binary from.
	if [ ! -O "$base" ] || [ -n "$(find "$base" -maxdepth 0 -perm /022)" ]; then
		mise_skip="$base is not ours alone (owner or mode); set HOOK_BENCH_CACHE"
		return 1
	fi
	stage=$(mktemp -d "$base/mise-install.XXXXXX")
	echo '{ "private": true }' >"$stage/package.json"
	echo "hook_bench: installing mise@$MISE_VERSION from the npm registry into $cache" >&2
	if ! (cd "$stage" && HOME=$real_home PATH=$real_path timeout 900 \
	    "$npm" install --no-audit --no-fund --loglevel=error "mise@$MISE_VERSION") >"$T/npm.log" 2>&1; then
		mise_skip="npm install mise@$MISE_VERSION failed: $(tail -n 3 "$T/npm.log" | tr '\n' ' ')"
		rm -rf "$stage"
		return 1
	fi
	if ! mise_works "$stage/node_modules/.bin/mise"; then
		rm -rf "$stage"
		return 1
	fi
	rm -rf "$cache"
	mv "$stage" "$cache"
	mise_bin=$cache/node_modules/.bin/mise
}

# Projects: proj with a venv and deep subdirectories, and a plain dir.
mkdir -p "$W/plain" "$W/proj/a/b/c/d/e"
for ((i = 0; i < NCD + NSTRACE + 2; i++)); do
	mkdir -p "$W/proj/a/b/c/d/e$i"
done
python3 -m venv --without-pip "$W/proj/.venv"
echo 'source .venv/bin/activate' >"$W/proj/.envrc"
have_direnv=0 direnv_skip="direnv not found on PATH"
if command -v direnv >/dev/null 2>&1; then
	direnv_skip="direnv allow failed"
	(cd "$W/proj" && direnv allow . >/dev/null 2>&1) && have_direnv=1
fi
# mise the way its docs activate a project's venv: [env] _.python.venv.
printf '[env]\n_.python.venv = ".venv"\n' >"$W/proj/mise.toml"
have_mise=0
if setup_mise; then
	mise_skip="mise trust failed"
	if (cd "$W/proj" && "$mise_bin" trust) >"$T/mise-trust.log" 2>&1; then
		mise_skip="mise env in the project does not set VIRTUAL_ENV"
		(cd "$W/proj/a" && "$mise_bin" env -s bash 2>"$T/mise-env.log") |
		    grep -qF "VIRTUAL_ENV=$W/proj/.venv" && have_mise=1
	fi
fi
export MISE_BIN=$mise_bin

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
mise)	# mise on PATH as installed; PROMPT_COMMAND, and cd runs chpwd_functions
	PATH=${MISE_BIN%/*}:$PATH
	eval "$("$MISE_BIN" activate bash)" ;;
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
# _active / _inactive: the hook did its job (not timed).
_active() {
	[[ $variant == none || ( ${VIRTUAL_ENV-} == "$W/proj/.venv" && ${PATH%%:*} == "$W/proj/.venv/bin" ) ]] ||
		{ echo "$variant: venv not active in $PWD: VIRTUAL_ENV=${VIRTUAL_ENV-} PATH=$PATH" >&2; exit 1; }
}
_inactive() {
	[[ -z ${VIRTUAL_ENV-} && :$PATH: != *":$W/proj/.venv/bin:"* ]] ||
		{ echo "$variant: venv still active in $PWD: VIRTUAL_ENV=${VIRTUAL_ENV-} PATH=$PATH" >&2; exit 1; }
}
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
	_active
	_mark out
	_now; t0=$_t; cd "$W/plain"; _prompt; _now; echo "out $((_t - t0)) 1"
	_inactive
	_mark end
done
for ((i = 0; i < ncd; i++)); do
	_mark cached
	_now; t0=$_t; cd "$W/proj/a/b/c/d/e"; _prompt; _now; echo "cached $((_t - t0)) 1"
	_active
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
mise)	# mise on PATH as installed; add-zsh-hook precmd and chpwd
	PATH=${MISE_BIN%/*}:$PATH
	eval "$("$MISE_BIN" activate zsh)" ;;
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
_cd() { builtin cd "$1"; }	# zsh runs chpwd_functions itself, even in a script
_prompt() { local f; for f in $precmd_functions; do $f; done; }
_now() { _t=$(( epochtime[1] * 1000000 + epochtime[2] / 1000 )); }
# _active / _inactive: the hook did its job (not timed).
_active() {
	[[ $variant == none || ( ${VIRTUAL_ENV-} == "$W/proj/.venv" && ${PATH%%:*} == "$W/proj/.venv/bin" ) ]] ||
		{ echo "$variant: venv not active in $PWD: VIRTUAL_ENV=${VIRTUAL_ENV-} PATH=$PATH" >&2; exit 1; }
}
_inactive() {
	[[ -z ${VIRTUAL_ENV-} && :$PATH: != *":$W/proj/.venv/bin:"* ]] ||
		{ echo "$variant: venv still active in $PWD: VIRTUAL_ENV=${VIRTUAL_ENV-} PATH=$PATH" >&2; exit 1; }
}
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
	_active
	_mark out
	_now; t0=$_t; _cd "$W/plain"; _prompt; _now; echo "out $((_t - t0)) 1"
	_inactive
	_mark end
done
for ((i = 0; i < ncd; i++)); do
	_mark cached
	_now; t0=$_t; _cd "$W/proj/a/b/c/d/e"; _prompt; _now; echo "cached $((_t - t0)) 1"
	_active
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
variants=(none)
if ((have_direnv)); then variants+=(direnv); else echo "hook_bench: skipping direnv: $direnv_skip"; fi
if ((have_mise)); then variants+=(mise); else echo "hook_bench: skipping mise: $mise_skip"; fi
variants+=(walker venvd)
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
