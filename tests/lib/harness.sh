# harness.sh: sourced by every shell integration test.
#
# Gives each test private XDG dirs and a private daemon socket, starts and
# stops the real daemon, and waits on conditions (never on bare sleeps).
# Tests exit 0 to pass, 1 to fail, 77 to skip (automake's convention).
set -euo pipefail

: "${VENVD:?VENVD must name the built venvd}"
: "${VENVD_DAEMON:?VENVD_DAEMON must name the built venvd-daemon}"
: "${TOP_SRCDIR:?}"

# Short base dir: a Unix socket path must fit in 108 bytes.
T=$(mktemp -d /tmp/vt.XXXXXX)
export HOME="$T/home" XDG_RUNTIME_DIR="$T/run" XDG_STATE_HOME="$T/state" \
	XDG_CONFIG_HOME="$T/config" XDG_CACHE_HOME="$T/cache" XDG_DATA_HOME="$T/data"
mkdir -p "$HOME" "$XDG_STATE_HOME" "$XDG_CONFIG_HOME" "$XDG_CACHE_HOME" "$XDG_DATA_HOME"
mkdir -m 700 "$XDG_RUNTIME_DIR"
export VENVD_SOCKET="$XDG_RUNTIME_DIR/venvd/venvd.sock"
export VENVD_AUTOSTART=0
# The bash hook with the build tree's loadable builtin when it is built,
# whatever is installed on the machine; VENVD_BASH_BUILTIN=0 from outside
# (CI's leg without it) runs every bash test through the function hook.
if [ "${VENVD_BASH_BUILTIN-}" != 0 ] && [ -f "${TOP_BUILDDIR-}/bash/venvd.so" ]; then
	export VENVD_BASH_BUILTIN="$TOP_BUILDDIR/bash/venvd.so"
else
	export VENVD_BASH_BUILTIN=0
fi
# The zsh hook through the build tree's module (zsh/venvd.so) when it is
# built, never the machine's; VENVD_ZSH_MODULE=0 in the environment runs
# every zsh test on the function path instead (a CI leg does), an
# absolute path through that module.
case ${VENVD_ZSH_MODULE-} in
0 | /*) ;;
*)
	if [ -n "${TOP_BUILDDIR-}" ] && [ -f "$TOP_BUILDDIR/zsh/venvd.so" ]; then
		export VENVD_ZSH_MODULE="$TOP_BUILDDIR/zsh/venvd.so"
	else
		export VENVD_ZSH_MODULE=0
	fi
	;;
esac
unset VIRTUAL_ENV VIRTUAL_ENV_PROMPT VENVD_ACTIVE VENVD_PYTHONHOME PYTHONHOME 2>/dev/null || true
# The machine's tool settings must not reach the daemon or the shells: the
# locators read them (a test that wants one sets it). pyenv's root is kept
# for tests that use the machine's pyenv to make a venv.
# shellcheck disable=SC2034 # read by tools_harness.sh
VENVD_TEST_MACHINE_PYENV_ROOT=${PYENV_ROOT-}
unset WORKON_HOME PYENV_ROOT PYENV_VERSION 2>/dev/null || true
for _v in $(compgen -v); do
	case $_v in POETRY_* | PIPENV_* | PDM_*) unset "$_v" ;; esac
done
unset _v
PYTHON3=${PYTHON3:-python3}
DAEMON_PID=
DAEMON_LOG="$T/daemon.log"

# Print a failure and exit 1.
fail() {
	echo "FAIL: $*" >&2
	if [ -s "$DAEMON_LOG" ]; then
		echo "--- daemon log (last 30 lines)" >&2
		tail -n 30 "$DAEMON_LOG" >&2
	fi
	exit 1
}

# grep_all GREP-ARGS...: grep over all of stdin, read to its end first.
# Under pipefail, "cmd | grep -q" fails when grep exits at the first match
# and cmd dies of SIGPIPE writing the rest; this never cuts cmd short.
grep_all() {
	local input
	input=$(cat; echo .)
	grep "$@" <<<"${input%.}"
}

# Skip the whole test with a reason.
skip() {
	echo "SKIP: $*" >&2
	exit 77
}

# Note progress in the test's log.
say() {
	echo "# $*"
}

# Run "$@" until it succeeds or TIMEOUT seconds (default 10) pass.
wait_for() {
	local deadline=$(( $(date +%s%N) / 1000000 + ${TIMEOUT:-10} * 1000 ))
	until "$@" >/dev/null 2>&1; do
		if (( $(date +%s%N) / 1000000 > deadline )); then
			return 1
		fi
		sleep 0.02
	done
}

# assert_eq EXPECTED ACTUAL MESSAGE
assert_eq() {
	[ "$1" == "$2" ] || fail "$3: expected [$1], got [$2]"
}

# Does the daemon answer on the socket?
daemon_answers() {
	rpc status >/dev/null 2>&1
}

# rpc METHOD [PARAMS_JSON]: one raw JSON-RPC call; prints the result JSON.
rpc() {
	"$PYTHON3" "$TOP_SRCDIR/tests/lib/rpc.py" "$@"
}

# jget JSON EXPR: evaluate a Python expression over the parsed JSON "j".
jget() {
	"$PYTHON3" -c 'import json,sys; j=json.loads(sys.argv[1]); r=eval(sys.argv[2]); print("null" if r is None else (json.dumps(r) if not isinstance(r,str) else r))' "$1" "$2"
}

# Start the daemon in the foreground (backgrounded here), wait until it answers.
daemon_start() {
	"$VENVD_DAEMON" --foreground -v "$@" >>"$DAEMON_LOG" 2>&1 &
	DAEMON_PID=$!
	wait_for test -S "$VENVD_SOCKET" || fail "daemon did not create $VENVD_SOCKET"
	wait_for daemon_answers || fail "daemon did not answer"
}

# Stop the daemon with SIGTERM and wait for it to exit.
daemon_stop() {
	if [ -n "$DAEMON_PID" ] && kill -0 "$DAEMON_PID" 2>/dev/null; then
		kill -TERM "$DAEMON_PID" 2>/dev/null || true
		wait "$DAEMON_PID" 2>/dev/null || true
	fi
	DAEMON_PID=
}

# The generation file's contents (empty if absent).
generation() {
	cat "$XDG_RUNTIME_DIR/venvd/generation" 2>/dev/null || true
}

# prime_trust DIR: let our daemon finish judging DIR's venv, git included
# (a resolve with wait_ms), before the shell asks, so that no shell test
# depends on how fast git answers on a busy machine; trust_daemon.sh tests
# the hook's own budget against a git that is slow on purpose. Quiet; a
# no-op unless our daemon runs and is not stopped.
prime_trust() {
	local py=/usr/bin/python3	# a pyenv shim can take seconds to start
	[ -x "$py" ] || py=$PYTHON3
	case $1 in /*) ;; *) return 0 ;; esac
	[ -n "$DAEMON_PID" ] && kill -0 "$DAEMON_PID" 2>/dev/null || return 0
	case $(ps -o stat= -p "$DAEMON_PID" 2>/dev/null) in T*) return 0 ;; esac
	"$py" -c 'import sys; sys.path.insert(0, sys.argv[1]); import rpc
rpc.call("resolve", {"path": sys.argv[2], "wait_ms": 20000}, timeout=30)' \
	    "$TOP_SRCDIR/tests/lib" "$1" >/dev/null 2>&1 || :
}

# Make a real venv quickly: mkvenv DIR [extra python -m venv args].
mkvenv() {
	"$PYTHON3" -m venv --without-pip "$@" || fail "python3 -m venv $* failed"
}

# make_cloned NAME: $W/NAME, a clone (through a bare repository) of a project
# that commits its .venv, with a bin/ls printing "pwned": what arrives with git.
make_cloned() {
	local src="$T/src-$1"
	git init -q "$src"
	mkvenv "$src/.venv"
	put_pwned "$src/.venv/bin/ls"
	git -C "$src" add -A
	git_commit "$src" venv
	git clone -q --bare "$src" "$T/bare-$1.git"
	git clone -q "$T/bare-$1.git" "$W/$1"
}

# put_pwned FILE: an executable script printing "pwned".
put_pwned() {
	mkdir -p "$(dirname "$1")"
	printf '#!/bin/sh\necho pwned\n' >"$1"
	chmod 755 "$1"
}

# git_commit DIR: commit everything added in DIR's repository.
git_commit() {
	git -C "$1" -c user.name=t -c user.email=t@example.invalid commit -q -m "${2:-commit}"
}

# make_root_repo DIR: a repository whose top directory is a venv, with
# pyvenv.cfg and bin/ (bin/npm printing "pwned" among the rest) committed.
make_root_repo() {
	mkvenv "$1"
	git init -q "$1"
	put_pwned "$1/bin/npm"
	git -C "$1" add -f -A
	git_commit "$1" venv
}

# make_root_clone NAME: $W/NAME, a clone (through a bare repository) of a
# repository whose top directory is the venv (make_root_repo).
make_root_clone() {
	make_root_repo "$T/src-$1"
	git clone -q --bare "$T/src-$1" "$T/bare-$1.git"
	git clone -q "$T/bare-$1.git" "$W/$1"
}

# hook_eval [SHELL]: evaluate "venvd export --hook SHELL" output (stdin) in
# a real SHELL (bash by default; zsh, fish), started from this environment
# as venvd export saw it, with the hook's functions stubbed, and set:
#   HOOK_CODE    the code as printed
#   HOOK_GEN     what _venvd_answer_gen says (the generation the hook may
#                cache the code under: "" not at all, "*" under any)
#   HOOK_VENV    VENVD_ACTIVE after the code: the venv venvd activated ("")
#   HOOK_PROMPT  VIRTUAL_ENV_PROMPT after the code
#   HOOK_NOTICE  what _venvd_notice was given (one line per call)
#   HOOK_DEFINE  1 if the code defined venvd's deactivate, else 0
# Fails the test unless the generation comes first, the code runs without
# error or output (bash, zsh: under set -eu), an activation is whole
# (VIRTUAL_ENV is the venv, PATH starts with its bin/, deactivate defined
# when the venv changed) and the shell forgets its command lookups (hash -r,
# rehash) exactly when PATH changed. Called in $(...) too: a failure there
# still fails the test (harness_cleanup looks for $T/hook_eval.failed).
hook_eval() {
	local sh=${1:-bash} d v rc=0
	local -A r=()
	d=$(mktemp -d "$T/hookeval.XXXXXX")
	cat >"$d/code"
	HOOK_CODE=$(cat "$d/code"; echo .)
	HOOK_CODE=${HOOK_CODE%.}
	case $sh in
	bash | zsh)
		[[ $HOOK_CODE == "_venvd_answer_gen="* ]] ||
			hook_eval_fail "$sh: export --hook does not start with its generation: $(printf %q "$HOOK_CODE")"
		# shellcheck disable=SC2016 # expanded by the evaluating shell
		"$sh" -c 'set -eu
			_n= _def=0 _undef=0 _rh=0 _ps0=${PATH+x}:${PATH-} _a0=${VENVD_ACTIVE-}
			_venvd_notice() { _n=$_n${_n:+$'"'\n'"'}$1; }
			_venvd_deactivate_define() { _def=1; }
			_venvd_deactivate_undefine() { _undef=1; }
			hash() { if [ "$1" = -r ]; then _rh=1; fi; }
			rehash() { _rh=1; }
			. "$1/code"
			_pc=0
			if [ "${PATH+x}:${PATH-}" != "$_ps0" ]; then _pc=1; fi
			o() { printf %s "$2" >"$_d/$1"; }
			_d=$1
			o gen "${_venvd_answer_gen-<unset>}"; o venv "${VENVD_ACTIVE-}"
			o ve "${VIRTUAL_ENV-}"; o prompt "${VIRTUAL_ENV_PROMPT-}"
			o notice "$_n"; o def "$_def"; o undef "$_undef"; o rh "$_rh"
			o pc "$_pc"; o path1 "${PATH%%:*}"; o a0 "$_a0"
			o fn_ours "${_venvd_fn_ours-<unset>}"' _ "$d" >"$d/out" 2>&1 || rc=$?
		;;
	fish)
		[[ $HOOK_CODE == "set -g _venvd_answer_gen "* ]] ||
			hook_eval_fail "fish: export --hook does not start with its generation: $(printf %q "$HOOK_CODE")"
		# shellcheck disable=SC2016 # expanded by fish
		fish --no-config -c 'set -g _n; set -g _def 0; set -g _undef 0
			set -g _a0 "$VENVD_ACTIVE"
			function _venvd_notice; set -g _n $_n $argv[1]; end
			function _venvd_deactivate_define; set -g _def 1; end
			function _venvd_deactivate_undefine; set -g _undef 1; end
			function _venvd_ps1_on; end
			function _venvd_ps1_off; end
			source $argv[1]/code; or exit 1
			set -l d $argv[1]
			set -q _venvd_answer_gen; or set -g _venvd_answer_gen "<unset>"
			set -q _venvd_fn_ours; or set -g _venvd_fn_ours "<unset>"
			printf %s "$_venvd_answer_gen" >$d/gen; printf %s "$VENVD_ACTIVE" >$d/venv
			printf %s "$VIRTUAL_ENV" >$d/ve; printf %s "$VIRTUAL_ENV_PROMPT" >$d/prompt
			printf %s (string join \n -- $_n | string collect) >$d/notice
			printf %s $_def >$d/def; printf %s $_undef >$d/undef; printf %s $_venvd_fn_ours >$d/fn_ours
			printf %s "$PATH[1]" >$d/path1; printf %s "$_a0" >$d/a0' "$d" >"$d/out" 2>&1 || rc=$?
		;;
	*) hook_eval_fail "hook_eval: no shell $sh" ;;
	esac
	[ "$rc" = 0 ] || hook_eval_fail "$sh: the export --hook code failed (rc $rc): $(cat "$d/out")
code: $(printf %q "$HOOK_CODE")"
	[ ! -s "$d/out" ] || hook_eval_fail "$sh: the export --hook code wrote: $(cat "$d/out")"
	for v in gen venv ve prompt notice def undef rh pc path1 a0 fn_ours; do
		r[$v]=
		[ ! -e "$d/$v" ] || IFS= read -r -d '' "r[$v]" <"$d/$v" || :
	done
	# shellcheck disable=SC2034 # read by the tests
	HOOK_GEN=${r[gen]} HOOK_VENV=${r[venv]} HOOK_PROMPT=${r[prompt]}
	# shellcheck disable=SC2034
	HOOK_NOTICE=${r[notice]} HOOK_DEFINE=${r[def]}
	if [ -n "$HOOK_VENV" ]; then
		[ "$HOOK_VENV" = "${r[ve]}" ] ||
			hook_eval_fail "$sh: VIRTUAL_ENV [${r[ve]}] is not VENVD_ACTIVE [$HOOK_VENV]"
		[ "$HOOK_VENV/bin" = "${r[path1]}" ] ||
			hook_eval_fail "$sh: PATH starts with [${r[path1]}], not [$HOOK_VENV/bin]"
		if [ "$HOOK_VENV" != "${r[a0]}" ] && [ "${r[def]}|${r[fn_ours]}" != "1|1" ]; then
			hook_eval_fail "$sh: activated without defining deactivate (${r[def]}|${r[fn_ours]})"
		fi
	fi
	if [ "$sh" != fish ] && [ "${r[pc]}" != "${r[rh]}" ]; then
		hook_eval_fail "$sh: PATH changed ${r[pc]}, command lookups forgotten ${r[rh]}"
	fi
	rm -rf "$d"
}

# hook_eval_fail MESSAGE: fail, leaving a mark when in a subshell.
hook_eval_fail() {
	[ "$BASHPID" = "$$" ] || : >"$T/hook_eval.failed"
	fail "$@"
}

# Kill any daemon we started and remove the private tree.
harness_cleanup() {
	local rc=$?
	if [ -e "$T/hook_eval.failed" ] && [ "$rc" = 0 ]; then
		echo "FAIL: hook_eval failed in a subshell (above)" >&2
		rc=1
	fi
	if [ -n "$DAEMON_PID" ]; then
		kill -KILL "$DAEMON_PID" 2>/dev/null || true
		kill -CONT "$DAEMON_PID" 2>/dev/null || true
		wait "$DAEMON_PID" 2>/dev/null || true
	fi
	chmod -R u+rwx "$T" 2>/dev/null || true
	rm -rf "$T"
	exit "$rc"
}
trap harness_cleanup EXIT
