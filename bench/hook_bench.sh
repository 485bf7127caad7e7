#!/bin/bash
# hook_bench.sh: what a venv hook adds to each prompt, in bash, zsh and fish.
#
# Runs simulated prompts inside one interactive shell process per (shell,
# variant) and compares, in the same run:
#   none    no hook at all (the baseline)
#   direnv  `direnv hook SHELL`, .envrc = "source .venv/bin/activate", allowed
#   mise    `mise activate SHELL`, mise.toml [env] _.python.venv = ".venv",
#           trusted; mise $MISE_VERSION from the npm registry, installed once
#           into $HOOK_BENCH_CACHE/mise (default /tmp/venvd-bench-cache/mise;
#           HOOK_BENCH_MISE=/path/to/mise uses that binary instead), run
#           offline with private config, data, state and cache dirs
#   walker  a pure-shell walker like oh-my-zsh's: walks $PWD up testing
#           .venv/pyvenv.cfg with builtins on every prompt, sourcing activate
#   venvd   `venvd hook SHELL` against the real daemon, once per path it has
#           in that shell: bash "builtin" (the loadable builtin,
#           VENVD_BASH_BUILTIN=$HOOK_BENCH_BASH_BUILTIN, default the build
#           tree's bash/venvd.so) and "hook" (VENVD_BASH_BUILTIN=0); zsh
#           "module" (VENVD_ZSH_MODULE=$HOOK_BENCH_ZSH_MODULE, default
#           zsh/venvd.so) and "hook" (VENVD_ZSH_MODULE=0); fish "hook". A
#           fast path whose file is missing shows "not built"; one the hook
#           did not take shows the reason from VENVD_SHELL.
# Scenarios (the issue's four cases):
#   idle    a prompt with nothing changed
#   first   cd from a plain dir into proj/a/b/c/d/e<i> (never seen) + prompt
#   cached  cd from the plain dir into proj/a/b/c/d/e (seen before) + prompt
#   out     cd from proj/a/b/c/d/e<i> back to the plain dir + prompt
# The shells run interactive (bash -i reading the script as one compound
# command, zsh -i and fish -i with a script), so each hook installs itself
# as it does for a user; a prompt is then simulated the way the shell runs
# its hooks: bash evaluates each PROMPT_COMMAND entry; zsh runs
# chpwd_functions itself on cd and the bench calls precmd_functions; fish
# fires --on-variable PWD itself on cd and the bench emits fish_prompt.
# Time is measured inside the shell ($EPOCHREALTIME in bash and zsh, fish's
# `time` keyword), samples of 10 idle prompts and single cd prompts, medians
# over HOOK_BENCH_REPS interleaved rounds (default 3: a shared machine is
# noisy). direnv and mise run a fifth of the prompts (their costs are in
# milliseconds; the medians settle sooner). Processes are counted in a
# second, shorter run under strace -f (clone, clone3, fork, vfork; not
# threads) with $NSTRACE prompts of each scenario, divided by that number.
# The RSS (and Pss) a hook adds to the shell is read from
# /proc/self/smaps_rollup before the hook is loaded and after the first
# visit, in the same process.
# After every cd each hook must have set VIRTUAL_ENV to the project's venv
# with its bin/ first on PATH (and on leaving, unset both), or that variant
# fails (shown, and the rest of the run goes on). direnv and mise are
# skipped, with the reason printed, when unavailable.
#
# Usage: VENVD=... VENVD_DAEMON=... bash bench/hook_bench.sh [N]
# Prints, per shell, µs per prompt, µs added over no hook, processes per
# prompt and RSS added, then one markdown table (the README's "Speed"):
# each case in µs added and processes per prompt, with each peer's added
# µs as a multiple of venvd's (its fast path where there is one).
set -euo pipefail

N=${1:-${HOOK_BENCH_N:-100}}	# idle prompts; cd scenarios use N/4
NCD=$(( N / 4 > 0 ? N / 4 : 1 ))
NSLOW=$(( N / 5 >= 10 ? N / 5 : 10 ))	# direnv's and mise's idle prompts
NCDSLOW=$(( NCD / 5 >= 3 ? NCD / 5 : 3 ))
NSTRACE=10
builddir=${TOP_BUILDDIR:-$PWD}
BASH_SO=${HOOK_BENCH_BASH_BUILTIN:-$builddir/bash/venvd.so}
ZSH_SO=${HOOK_BENCH_ZSH_MODULE:-$builddir/zsh/venvd.so}
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
unset VIRTUAL_ENV VIRTUAL_ENV_PROMPT VENVD_ACTIVE VENVD_PYTHONHOME PYTHONHOME VENVD_SHELL VENVD_PS1
export PATH="/usr/local/bin:/usr/bin:/bin"
export VENVD W="$T/w" DIRENV_LOG_FORMAT=
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

# The scenario script for bash, read by an interactive bash from stdin as
# one compound command (so bash runs no prompt of its own in between):
# $1 = variant, $2 = idle prompts, $3 = cds, $4 = markers. Prints "scenario
# µs-total prompts" lines, "path PATH" (venvd's variants) and "mem RSS PSS".
cat >"$T/bench.bash" <<'EOF'
set +H +m
{
exec 2>>"$BENCH_ERR"
unset HISTFILE
variant=$1 n=$2 ncd=$3 marks=${4:-0}
_mem() {
	local k v u
	while read -r k v u; do
		case $k in Rss:) _rss=$v ;; Pss:) _pss=$v ;; esac
	done </proc/self/smaps_rollup
}
_mem; rss0=$_rss pss0=$_pss
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
builtin | hook)	# installs itself in PROMPT_COMMAND: the shell is interactive
	eval "$("$VENVD" hook bash)"
	IFS=: read -r _ _ _p _r <<<"${VENVD_SHELL-}"
	if [[ -z $_p ]]; then	# an older hook: its PROMPT_COMMAND entry tells
		_p=process
		for _c in "${PROMPT_COMMAND[@]}"; do [[ $_c == venvd_hook ]] && _p=builtin; done
	fi
	echo "path $_p${_r:+:$_r}" ;;
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
_active
_mem; echo "mem $((_rss - rss0)) $((_pss - pss0))"
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
exit 0
}
EOF

# The same for zsh (zsh -f -i SCRIPT: interactive, yet it runs no precmd
# of its own while reading a script).
cat >"$T/bench.zsh" <<'EOF'
exec 2>>"$BENCH_ERR"
zmodload zsh/datetime
variant=$1 n=$2 ncd=$3 marks=${4:-0}
typeset -ga precmd_functions chpwd_functions
_mem() {
	local k v u
	while read -r k v u; do
		case $k in (Rss:) _rss=$v ;; (Pss:) _pss=$v ;; esac
	done </proc/self/smaps_rollup
}
_mem; rss0=$_rss pss0=$_pss
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
module | hook)	# installs itself (precmd, chpwd): the shell is interactive
	eval "$("$VENVD" hook zsh)"
	_f=("${(@s.:.)VENVD_SHELL}")
	echo "path ${_f[3]:-process}${_f[4]:+:$_f[4]}" ;;
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
_active
_mem; echo "mem $((_rss - rss0)) $((_pss - pss0))"
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
exit 0
EOF

# The same for fish (fish -i SCRIPT). fish has no clock in microseconds
# without a process, so each timed step runs under its `time` keyword,
# whose report (to fish's stderr, a file) follows a "L scenario prompts"
# label written there too; times_of turns both into "scenario µs prompts".
cat >"$T/bench.fish" <<'EOF'
set -l variant $argv[1]
set -l n $argv[2]
set -l ncd $argv[3]
set -l marks $argv[4]
function _mem
    while read -l k v u
        switch $k
            case Rss:
                set -g _rss $v
            case Pss:
                set -g _pss $v
        end
    end </proc/self/smaps_rollup
end
_mem
set -l rss0 $_rss
set -l pss0 $_pss
switch $variant
    case direnv
        direnv hook fish | source
    case mise
        set -gx PATH (string replace -r '/[^/]*$' '' -- $MISE_BIN) $PATH
        $MISE_BIN activate fish | source
    case walker
        function _walk_hook --on-event fish_prompt
            set -l d $PWD
            set -l found
            while true
                if test -f $d/.venv/pyvenv.cfg
                    set found $d/.venv
                    break
                end
                test -z "$d"; and break
                set d (string replace -r '/[^/]*$' '' -- $d)
            end
            if test "$found" != "$_walk_active"
                if test -n "$_walk_active"
                    deactivate
                end
                if test -n "$found"
                    source $found/bin/activate.fish
                end
                set -g _walk_active $found
            end
        end
    case hook
        $VENVD hook fish | source
        set -l f (string split : -- "$VENVD_SHELL")
        set -l p process
        set -q f[3]; and set p $f[3]
        set -q f[4]; and set p $p:$f[4]
        echo "path $p"
end
set -g variant $variant
function _fail
    echo "$variant: $argv in $PWD: VIRTUAL_ENV=$VIRTUAL_ENV PATH=$PATH" >>$BENCH_ERR
    exit 1
end
function _active
    test $variant = none; and return
    test "$VIRTUAL_ENV" = "$W/proj/.venv"; and test "$PATH[1]" = "$W/proj/.venv/bin"; or _fail "venv not active"
end
function _inactive
    test -z "$VIRTUAL_ENV"; and not contains -- $W/proj/.venv/bin $PATH; or _fail "venv still active"
end
if test "$marks" = 1
    function _mark
        command /bin/true M_$argv[1]
    end
else
    function _mark
    end
end
cd $W/plain; emit fish_prompt
cd $W/proj/a/b/c/d/e; emit fish_prompt
_active
_mem
echo "mem "(math $_rss - $rss0)" "(math $_pss - $pss0)
cd $W/plain; emit fish_prompt
_mark idle
set -l i 0
while test $i -lt $n
    echo "L idle 10" >&2
    time begin
        for j in 1 2 3 4 5 6 7 8 9 10
            emit fish_prompt
        end
    end
    set i (math $i + 10)
end
_mark end
set i 0
while test $i -lt $ncd
    _mark first
    echo "L first 1" >&2
    time begin
        cd $W/proj/a/b/c/d/e$i
        emit fish_prompt
    end
    _active
    _mark out
    echo "L out 1" >&2
    time begin
        cd $W/plain
        emit fish_prompt
    end
    _inactive
    _mark end
    set i (math $i + 1)
end
set i 0
while test $i -lt $ncd
    _mark cached
    echo "L cached 1" >&2
    time begin
        cd $W/proj/a/b/c/d/e
        emit fish_prompt
    end
    _active
    _mark end
    cd $W/plain; emit fish_prompt
    set i (math $i + 1)
end
exit 0
EOF

# times_of FILE: fish's `time` reports after their labels, as "scenario µs prompts".
times_of() {
	awk '
		/^L / { lab = $2; cnt = $3; next }
		/Executed in/ {
			v = $3; u = $4
			if (u ~ /^micro/) m = 1; else if (u ~ /^milli/) m = 1000
			else if (u ~ /^sec/) m = 1000000; else if (u ~ /^min/) m = 60000000; else next
			if (lab != "") printf "%s %.0f %d\n", lab, v * m, cnt
			lab = ""
		}
	' "$1"
}

# venvd_env SHELL VARIANT: set ve to the VENVD_BASH_BUILTIN and
# VENVD_ZSH_MODULE that select the variant's path (both off for the peers).
venvd_env() {
	local bb=0 zm=0
	case $1:$2 in
	bash:builtin) bb=$BASH_SO ;;
	zsh:module) zm=$ZSH_SO ;;
	esac
	ve=("VENVD_BASH_BUILTIN=$bb" "VENVD_ZSH_MODULE=$zm")
}

# run SHELL VARIANT N NCD [MARKS]: the scenario script in a fresh
# interactive shell; its own errors go to $T/err.
run() {
	local ve
	venvd_env "$1" "$2"
	case $1 in
	bash) env "${ve[@]}" BENCH_ERR="$T/err" bash --norc --noprofile --noediting -i -s "$2" "$3" "$4" "${5:-0}" \
	    <"$T/bench.bash" 2>/dev/null ;;
	zsh) env "${ve[@]}" BENCH_ERR="$T/err" zsh -f -i "$T/bench.zsh" "$2" "$3" "$4" "${5:-0}" 2>/dev/null ;;
	fish)
		env "${ve[@]}" BENCH_ERR="$T/err" fish --no-config -i "$T/bench.fish" \
		    "$2" "$3" "$4" "${5:-0}" 2>"$T/times" </dev/null || return
		times_of "$T/times" ;;
	esac
}

# forks SHELL VARIANT: processes started per prompt in each scenario. The
# script runs under strace -f with marker commands (/bin/true M_<segment>)
# between segments; each segment's clones, forks and vforks (not threads)
# are counted, less the one that ran the next marker.
forks() {
	strace -f -qq -e signal=none -e trace=execve,clone,clone3,fork,vfork -o "$T/st" \
	    bash -c "$(declare -f run venvd_env times_of); T='$T' BASH_SO='$BASH_SO' ZSH_SO='$ZSH_SO'; run $1 $2 $NSTRACE $NSTRACE 1 >/dev/null" ||
		return
	awk -v n="$NSTRACE" '
		/resumed>/ || /CLONE_THREAD/ { next }
		/execve\(/ && match($0, /"M_[a-z]+"/) {
			name = substr($0, RSTART + 3, RLENGTH - 4)
			if (seg != "" && seg != "end") { c[seg] += k - 1 }
			seg = name; k = 0; next
		}
		/clone|fork/ { k++ }
		END { for (s in c) printf "%s %d %d\n", s, c[s], n }
	' "$T/st"
}

shells=()
for sh in bash zsh fish; do
	if command -v "$sh" >/dev/null 2>&1; then shells+=("$sh"); else echo "hook_bench: skipping $sh: not installed"; fi
done
peers=()
if ((have_direnv)); then peers+=(direnv); else echo "hook_bench: skipping direnv: $direnv_skip"; fi
if ((have_mise)); then peers+=(mise); else echo "hook_bench: skipping mise: $mise_skip"; fi
peers+=(walker)
have_strace=0
if command -v strace >/dev/null 2>&1; then have_strace=1; else echo "hook_bench: no strace: processes are not counted"; fi

# variants SHELL: the variants to run in that shell, venvd's paths first.
variants() {
	case $1 in
	bash) echo none builtin hook "${peers[@]}" ;;
	zsh) echo none module hook "${peers[@]}" ;;
	fish) echo none hook "${peers[@]}" ;;
	esac
}

# Results, one "SHELL VARIANT KEY VALUE" a line: KEY a scenario (µs, the
# median), forks-SCENARIO (per prompt), rss, pss, path, or state (ok,
# "not built", "not used: REASON", failed).
: >"$T/results"
: >"$T/samples"
declare -A state=()
for sh in "${shells[@]}"; do
	if [ ! -f "$BASH_SO" ] && [ "$sh" = bash ]; then state[bash:builtin]="not built"; fi
	if [ ! -f "$ZSH_SO" ] && [ "$sh" = zsh ]; then state[zsh:module]="not built"; fi
done
# Interleave the variants over $REPS rounds so load on the machine hits
# them alike; the table shows medians of the per-prompt samples.
for ((rep = 0; rep < REPS; rep++)); do
	for sh in "${shells[@]}"; do
		for v in $(variants "$sh"); do
			[ -z "${state[$sh:$v]-}" ] || continue
			n=$N ncd=$NCD
			case $v in direnv | mise) n=$NSLOW ncd=$NCDSLOW ;; esac
			: >"$T/err"
			if ! out=$(run "$sh" "$v" "$n" "$ncd"); then
				state[$sh:$v]=failed
				echo "hook_bench: $sh $v failed: $(tail -n 5 "$T/err")" >&2
				continue
			fi
			path=$(sed -n 's/^path //p' <<<"$out")
			case $v:$path in
			builtin:builtin* | module:module* | module:zsocket* | hook:process*) ;;
			builtin:* | module:* | hook:*)	# the hook took another path than asked for
				state[$sh:$v]="not used (${path:-no path})"; continue ;;
			esac
			[ -z "$path" ] || echo "$sh $v path $path" >>"$T/results"
			awk -v p="$sh $v" '$1 == "mem" { printf "%s rss %d\n%s pss %d\n", p, $2, p, $3; next }
				$1 != "path" { printf "%s %s %.3f\n", p, $1, $2 / $3 }' <<<"$out" >>"$T/samples"
		done
	done
done
for k in "${!state[@]}"; do
	echo "${k%%:*} ${k#*:} state ${state[$k]}" >>"$T/results"
done
sort -k1,1 -k2,2 -k3,3 -k4,4n "$T/samples" | awk '
	{ k = $1 " " $2 " " $3; v[k, ++c[k]] = $4 }
	END { for (k in c) { m = c[k]; printf "%s %s\n", k, (m % 2) ? v[k, (m + 1) / 2] : (v[k, m / 2] + v[k, m / 2 + 1]) / 2 } }
' >>"$T/results"
if ((have_strace)); then
	for sh in "${shells[@]}"; do
		for v in $(variants "$sh"); do
			[ -z "${state[$sh:$v]-}" ] || continue
			forks "$sh" "$v" | awk -v p="$sh $v" '{ printf "%s forks-%s %.2f\n", p, $1, $2 / $3 }' >>"$T/results"
		done
	done
fi
[ -z "${HOOK_BENCH_KEEP-}" ] || echo "hook_bench: results in $T/results"

echo "venvd hook benchmark: $REPS rounds per shell process of $N idle prompts and $NCD of each"
echo "cd case ($NSLOW and $NCDSLOW for direnv and mise); load average: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
echo "(µs/prompt = median wall time of cd + hooks; added = minus no hook; procs = processes"
echo " started per prompt, from a second run under strace with $NSTRACE of each; rss = KB the"
echo " hook adds to the shell, loaded and after a first visit)"
awk -v shells="${shells[*]}" -v peers="${peers[*]}" '
	function commas(x,   s, neg) {
		x = sprintf("%.0f", x); neg = (x ~ /^-/); if (neg) x = substr(x, 2)
		s = ""
		while (length(x) > 3) { s = "," substr(x, length(x) - 2) s; x = substr(x, 1, length(x) - 3) }
		return (neg ? "-" : "") x s
	}
	function ratio(x) { return (x >= 10) ? commas(x) : (x >= 1) ? sprintf("%.1f", x) : sprintf("%.2f", x) }
	$3 == "state" { st[$1, $2] = substr($0, index($0, "state ") + 6); next }
	$3 == "path" { path[$1, $2] = $4; next }
	{ r[$1, $2, $3] = $4 }
	END {
		nsh = split(shells, SH, " ")
		np = split(peers, P, " ")
		split("idle first cached out", S, " ")
		split("idle prompt|first visit to a directory|directory seen before|leaving a project", CASE, "|")
		for (k = 1; k <= nsh; k++) {
			sh = SH[k]
			fast = (sh == "bash") ? "builtin" : (sh == "zsh") ? "module" : ""
			nv = 0
			V[++nv] = "none"
			if (fast != "") V[++nv] = fast
			V[++nv] = "hook"
			for (j = 1; j <= np; j++) V[++nv] = P[j]
			NV[sh] = nv
			for (j = 1; j <= nv; j++) VV[sh, j] = V[j]
			printf "\n%-5s %-8s %-10s %10s %10s %7s %6s\n", sh, "hook", "scenario", "µs/prompt", "added", "procs", "rss"
			for (s = 1; s <= 4; s++) {
				sc = S[s]
				base = r[sh, "none", sc]
				for (j = 1; j <= nv; j++) {
					v = V[j]
					if ((sh, v) in st) {
						if (s == 1) printf "%-5s %-8s %s\n", sh, v, st[sh, v]
						continue
					}
					fk = ((sh, v, "forks-" sc) in r) ? sprintf("%7.2f", r[sh, v, "forks-" sc]) : sprintf("%7s", "n/a")
					printf "%-5s %-8s %-10s %10.1f %10.1f %s %6s\n", sh, v, sc, r[sh, v, sc], r[sh, v, sc] - base, fk,
					    (v == "none") ? "" : sprintf("%d", r[sh, v, "rss"])
				}
			}
		}
		# The markdown table: µs added and processes per prompt; the peers
		# also as a multiple of venvd (its fast path where it ran, else the hook).
		print ""
		hdr = "| shell | case | venvd, builtin or module | venvd, function hook"
		sep = "|---|---|---|---"
		for (j = 1; j <= np; j++) { hdr = hdr " | " P[j]; sep = sep "|---" }
		print hdr " |"
		print sep "|"
		for (k = 1; k <= nsh; k++) {
			sh = SH[k]
			fast = (sh == "bash") ? "builtin" : (sh == "zsh") ? "module" : ""
			ref = (fast != "" && !((sh, fast) in st)) ? fast : "hook"
			for (s = 1; s <= 4; s++) {
				sc = S[s]
				base = r[sh, "none", sc]
				vd = r[sh, ref, sc] - base
				line = "| " sh " | " CASE[s]
				for (c = 0; c <= np + 1; c++) {
					v = (c == 0) ? fast : (c == 1) ? "hook" : P[c - 1]
					if (v == "") { line = line " | none in " sh; continue }
					if ((sh, v) in st) { line = line " | " st[sh, v]; continue }
					a = r[sh, v, sc] - base
					cell = (a < 1) ? "<1 µs" : commas(a) " µs"
					if ((sh, v, "forks-" sc) in r) {
						f = r[sh, v, "forks-" sc]
						cell = cell ", " ((f == int(f)) ? sprintf("%d", f) : sprintf("%.1f", f))
					}
					if (c > 1 || (c == 1 && ref != "hook"))
						cell = cell ((vd >= 1 && a >= 1) ? " (" ratio(a / vd) "×)" : "")
					line = line " | " cell
				}
				print line " |"
			}
		}
		line = "RSS a hook adds to a shell (KB):"
		for (k = 1; k <= nsh; k++) {
			sh = SH[k]
			for (j = 2; j <= NV[sh]; j++) {
				v = VV[sh, j]
				if ((sh, v, "rss") in r) line = line sprintf(" %s %s %d,", sh, v, r[sh, v, "rss"])
			}
		}
		sub(/,$/, "", line)
		print ""
		print line
	}
' "$T/results"
