#!/bin/bash
# poetry_bench.sh: what activating a Poetry project's central venv costs at
# the prompt, against a project's own .venv and against zsh-autoswitch's way.
#
# Variants, each in bash and zsh, in the same run:
#   none        no hook at all (the baseline)
#   venvd-venv  `venvd hook SHELL`, a project with an in-project .venv
#   venvd-poetry `venvd hook SHELL`, a Poetry project whose venv Poetry made
#               in its cache (~/.cache/pypoetry/virtualenvs/<name>-<h8>-pyX.Y)
#   autoswitch  zsh-autoswitch-virtualenv's approach: on each change of
#               directory, find the nearest pyproject.toml and run
#               `poetry env info -p` there, then source the venv's activate
#               (zsh: a chpwd function; bash: PROMPT_COMMAND when $PWD
#               changed); nothing on an idle prompt
# Scenarios:
#   idle   a prompt with nothing changed, inside the project
#   first  cd from a plain dir into proj/a/b/c/d/e<i> (never seen) + prompt
# After every cd each hook must have set VIRTUAL_ENV to the project's venv,
# with its bin/ first on PATH, or the run fails. Medians over
# POETRY_BENCH_REPS interleaved rounds (default 3); autoswitch runs
# POETRY_BENCH_NAS cds a round (default 3: each starts Poetry).
#
# Usage: VENVD=... VENVD_DAEMON=... bash bench/poetry_bench.sh [N]
# Prints µs per prompt, µs added over no hook, and the ratios. Exit 77 when
# poetry is not installed.
set -euo pipefail

N=${1:-${POETRY_BENCH_N:-200}}	# idle prompts; venvd's cds use N/10
NCD=$(( N / 10 > 0 ? N / 10 : 1 ))
NAS=${POETRY_BENCH_NAS:-3}
REPS=${POETRY_BENCH_REPS:-3}
: "${VENVD:?set VENVD to the venvd client}"
: "${VENVD_DAEMON:?set VENVD_DAEMON to venvd-daemon}"
export LC_ALL=C

command -v poetry >/dev/null 2>&1 || { echo "poetry_bench: poetry is not installed (python3-poetry)"; exit 77; }

T=$(mktemp -d /tmp/vpb.XXXXXX)
export HOME="$T/home" XDG_RUNTIME_DIR="$T/run" XDG_STATE_HOME="$T/state" \
	XDG_CONFIG_HOME="$T/config" XDG_CACHE_HOME="$T/cache" XDG_DATA_HOME="$T/data"
mkdir -p "$HOME" "$XDG_STATE_HOME" "$XDG_CONFIG_HOME" "$XDG_CACHE_HOME" "$XDG_DATA_HOME"
mkdir -m 700 "$XDG_RUNTIME_DIR"
export VENVD_SOCKET="$XDG_RUNTIME_DIR/venvd/venvd.sock" VENVD_AUTOSTART=0
unset VIRTUAL_ENV VIRTUAL_ENV_PROMPT VENVD_ACTIVE VENVD_PYTHONHOME PYTHONHOME
while read -r v; do
	case $v in POETRY_* | PIPENV_* | WORKON_HOME | PYENV_* ) unset "$v" ;; esac
done < <(compgen -e)
export PATH="/usr/local/bin:/usr/bin:/bin"
# Poetry stays offline and asks nothing.
export POETRY_NO_INTERACTION=1 PYTHON_KEYRING_BACKEND=keyring.backends.null.Keyring
export VENVD W="$T/w"

daemon_pid=
# Stop our daemon and remove the private tree.
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	if [ -n "$daemon_pid" ]; then
		kill -TERM "$daemon_pid" 2>/dev/null || true
		wait "$daemon_pid" 2>/dev/null || true
	fi
	[ -n "${POETRY_BENCH_KEEP-}" ] || rm -rf "$T"
}
trap cleanup EXIT

# The projects: a Poetry one (central venv), one with its own .venv, a plain dir.
mkdir -p "$W/plain" "$W/poetry" "$W/venv"
cat >"$W/poetry/pyproject.toml" <<'TOML'
[tool.poetry]
name = "bench-api"
version = "0.1.0"
description = ""
authors = []

[tool.poetry.dependencies]
python = "^3.8"
TOML
(cd "$W/poetry" && poetry env use /usr/bin/python3) >"$T/poetry.log" 2>&1 ||
	{ echo "poetry_bench: poetry env use failed: $(tail -n 3 "$T/poetry.log")" >&2; exit 1; }
POETRY_VENV=$(cd "$W/poetry" && poetry env info -p)
python3 -m venv --without-pip "$W/venv/.venv"
export POETRY_VENV
rounds=$(( REPS * (NCD > NAS ? NCD : NAS) + 2 ))
for p in poetry venv; do
	for ((i = 0; i < rounds; i++)); do
		mkdir -p "$W/$p/a/b/c/d/e$i"
	done
done

"$VENVD_DAEMON" --foreground >"$T/daemon.log" 2>&1 &
daemon_pid=$!
for ((i = 0; i < 250; i++)); do
	[ -S "$VENVD_SOCKET" ] && break
	sleep 0.02
done
[ -S "$VENVD_SOCKET" ] || { echo "poetry_bench: the daemon did not start" >&2; exit 1; }

# One script for both shells: $1 = shell, $2 = variant, $3 = idle prompts,
# $4 = cds, $5 = first e<i> to use. Prints "scenario µs-total prompts".
cat >"$T/bench.sh" <<'SCRIPT'
sh=$1 variant=$2 n=$3 ncd=$4 from=$5
if [[ $sh == zsh ]]; then
	zmodload zsh/datetime
	typeset -ga precmd_functions chpwd_functions
	# zsh's EPOCHREALTIME has nine decimals.
	_now() { _t=$(( epochtime[1] * 1000000 + epochtime[2] / 1000 )); }
else
	_now() { _t=${EPOCHREALTIME/./}; }
fi
case $variant in
none)	proj=$W/poetry want= ;;
venvd-venv)	proj=$W/venv want=$W/venv/.venv ;;
*)	proj=$W/poetry want=$POETRY_VENV ;;
esac
# zsh-autoswitch's way: the nearest pyproject.toml, then ask Poetry.
_as_chpwd() {
	local d=$PWD found=
	while [[ -n $d ]]; do
		if [[ -f $d/pyproject.toml ]]; then found=$d; break; fi
		d=${d%/*}
	done
	[[ -n $found ]] || { [[ -n ${VIRTUAL_ENV-} ]] && deactivate; return 0; }
	local venv
	# (zsh: cd -q, or the subshell's cd would run this again.)
	venv=$(if [[ $sh == zsh ]]; then cd -q "$found"; else cd "$found"; fi &&
	    poetry env info -p 2>/dev/null) || return 0
	if [[ $venv != "${VIRTUAL_ENV-}" ]]; then
		[[ -n ${VIRTUAL_ENV-} ]] && deactivate
		source "$venv/bin/activate"
	fi
}
_as_prompt() {
	[[ $PWD == "${_as_pwd-}" ]] && return 0
	_as_pwd=$PWD
	_as_chpwd
}
case $variant in
venvd-*)
	eval "$("$VENVD" hook "$sh")"
	if [[ $sh == zsh ]]; then
		precmd_functions=(_venvd_hook) chpwd_functions=(_venvd_hook)
	else
		PROMPT_COMMAND=(_venvd_hook)
	fi ;;
autoswitch)
	if [[ $sh == zsh ]]; then chpwd_functions=(_as_chpwd); else PROMPT_COMMAND=(_as_prompt); fi ;;
esac
if [[ $sh == zsh ]]; then
	_prompt() { local f; for f in $precmd_functions; do $f; done; }
else
	_prompt() {
		local _c
		for _c in ${PROMPT_COMMAND+"${PROMPT_COMMAND[@]}"}; do eval "$_c"; done
	}
fi
# The hook did its job (not timed).
_active() {
	[[ -z $want || ( ${VIRTUAL_ENV-} == "$want" && ${PATH%%:*} == "$want/bin" ) ]] ||
		{ echo "$sh $variant: venv not active in $PWD: VIRTUAL_ENV=${VIRTUAL_ENV-} PATH=$PATH" >&2; exit 1; }
}
cd "$W/plain"; _prompt
cd "$proj/a/b/c/d"; _prompt	# warm up: the daemon, the hook, the page cache
_active
for ((i = 0; i < n; i += 10)); do	# samples of 10 idle prompts
	_now; t0=$_t
	for ((j = 0; j < 10; j++)); do _prompt; done
	_now; echo "idle $((_t - t0)) 10"
done
for ((i = from; i < from + ncd; i++)); do
	cd "$W/plain"; _prompt
	_now; t0=$_t; cd "$proj/a/b/c/d/e$i"; _prompt; _now; echo "first $((_t - t0)) 1"
	_active
done
SCRIPT

# run SHELL VARIANT N NCD FROM: the scenario script in a fresh shell.
run() {
	case $1 in
	bash) bash --norc --noprofile "$T/bench.sh" "$@" ;;
	zsh) zsh -f "$T/bench.sh" "$@" ;;
	esac
}

shells=(bash)
command -v zsh >/dev/null 2>&1 && shells+=(zsh)
variants=(none venvd-venv venvd-poetry autoswitch)
: >"$T/samples"
for ((rep = 0; rep < REPS; rep++)); do
	for sh in "${shells[@]}"; do
		for v in "${variants[@]}"; do
			if [ "$v" = autoswitch ]; then
				run "$sh" "$v" "$N" "$NAS" $(( rep * NAS ))
			else
				run "$sh" "$v" "$N" "$NCD" $(( rep * NCD ))
			fi | awk -v p="$sh $v" '{ printf "%s %s %.3f\n", p, $1, $2 / $3 }' >>"$T/samples"
		done
	done
done
sort -k1,1 -k2,2 -k3,3 -k4,4n "$T/samples" | awk '
	{ k = $1 " " $2 " " $3; v[k, ++c[k]] = $4 }
	END { for (k in c) { m = c[k]; printf "%s %s\n", k, (m % 2) ? v[k, (m + 1) / 2] : (v[k, m / 2] + v[k, m / 2 + 1]) / 2 } }
' >"$T/results"

echo "Poetry benchmark: $REPS rounds of $N idle prompts, $NCD first-visit cds (autoswitch: $NAS), per shell process"
echo "(µs/prompt = median wall time of cd + hooks; added = minus no hook)"
echo "Poetry venv: $POETRY_VENV"
awk -v variants="${variants[*]}" -v shells="${shells[*]}" '
	{ us[$1, $2, $3] = $4 }
	END {
		nv = split(variants, V, " ")
		nsh = split(shells, SH, " ")
		split("idle first", S, " ")
		for (k = 1; k <= nsh; k++) {
			sh = SH[k]
			printf "\n%-5s %-13s %8s %12s %12s\n", sh, "hook", "scenario", "µs/prompt", "added µs"
			for (s = 1; s <= 2; s++) {
				sc = S[s]
				base = us[sh, "none", sc]
				for (j = 1; j <= nv; j++) {
					v = V[j]
					printf "%-5s %-13s %8s %12.1f %12.1f\n", sh, v, sc, us[sh, v, sc], us[sh, v, sc] - base
				}
			}
			printf "%-5s ratios of added µs\n", sh
			for (s = 1; s <= 2; s++) {
				sc = S[s]
				base = us[sh, "none", sc]
				vp = us[sh, "venvd-poetry", sc] - base
				vv = us[sh, "venvd-venv", sc] - base
				as = us[sh, "autoswitch", sc] - base
				r1 = (vv > 0.5) ? sprintf("%.2fx", vp / vv) : "(venvd-venv adds <0.5 µs)"
				if (vp <= 0.5)
					r2 = "(venvd-poetry adds <0.5 µs)"
				else if (as <= 0.5)
					r2 = "(autoswitch adds <0.5 µs)"
				else
					r2 = sprintf(as / vp < 10 ? "%.1fx" : "%.0fx", as / vp)
				printf "  %-6s venvd-poetry / venvd-venv %s   autoswitch / venvd-poetry %s\n", sc, r1, r2
			}
		}
	}
' "$T/results"
