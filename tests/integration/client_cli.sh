#!/bin/bash
# client_cli.sh: the venvd command against real venvs, real shells and the
# real daemon on a private socket: usage and exit codes, hook printing,
# resolve, status, start/stop/restart, the time budget with a hung daemon,
# autostart, and "venvd export" evaluated in real bash, zsh and fish.
. "$TOP_SRCDIR/tests/lib/harness.sh"

SOCK_DIR=$(dirname "$VENVD_SOCKET")
AUTOLOCK="$SOCK_DIR/autostart.lock"
HUNG_PID=

# The pids of every venvd-daemon started for this test's socket.
our_daemons() {
	local p
	for p in /proc/[0-9]*; do
		[ "$(cat "$p/comm" 2>/dev/null)" = venvd-daemon ] || continue
		if tr '\0' '\n' 2>/dev/null <"$p/environ" | grep_all -qxF "VENVD_SOCKET=$VENVD_SOCKET"; then
			echo "${p#/proc/}"
		fi
	done
}

# Is process $1 alive (not gone, not a zombie nobody reaped)?
alive() {
	local st
	st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	st=${st##*) }
	[ "${st%% *}" != Z ]
}

# How many daemons run for this test's socket.
count_daemons() {
	our_daemons | wc -l
}

# Is the count of our daemons exactly $1?
daemons_are() {
	[ "$(count_daemons)" -eq "$1" ]
}

# Kill daemons started by venvd start or autostart, the hung listener, then clean up.
client_cleanup() {
	local rc=$? pid
	for pid in $(our_daemons); do
		kill -KILL "$pid" 2>/dev/null || true
	done
	[ -z "$HUNG_PID" ] || kill -KILL "$HUNG_PID" 2>/dev/null || true
	(exit "$rc")
	harness_cleanup
}
trap client_cleanup EXIT

# run_cli OUT ERR ARGS...: run venvd, saving stdout and stderr; prints the exit code.
run_cli() {
	local out=$1 err=$2 rc=0
	shift 2
	"$VENVD" "$@" >"$out" 2>"$err" || rc=$?
	echo "$rc"
}

# ---------------------------------------------------------------- usage
say "usage errors exit 2 with a message on stderr"
usage_case() {
	local rc
	rc=$(run_cli "$T/out" "$T/err" "$@")
	assert_eq 2 "$rc" "venvd $* exit code"
	[ -s "$T/err" ] || fail "venvd $*: no message on stderr"
	[ ! -s "$T/out" ] || fail "venvd $*: printed on stdout: $(cat "$T/out")"
}
usage_case
usage_case bogus
usage_case --bogus
usage_case hook
usage_case hook tcsh
usage_case hook json
usage_case hook bash extra
usage_case export
usage_case export tcsh
usage_case export bash /a /b
usage_case export --frob bash
usage_case resolve /a /b
usage_case resolve --frob
usage_case status extra
usage_case status --frob
usage_case start now
usage_case stop now
usage_case restart now
grep -q 'unknown shell tcsh' <("$VENVD" hook tcsh 2>&1) || fail "hook tcsh: message does not name the shell"

say "--help and --version"
for a in --help -h "resolve --help" "export -h" "hook --help" "status -h"; do
	# shellcheck disable=SC2086
	rc=$(run_cli "$T/out" "$T/err" $a)
	assert_eq 0 "$rc" "venvd $a exit code"
	grep -q '^usage: venvd' "$T/out" || fail "venvd $a: no usage on stdout"
done
for a in --version -V "status --version"; do
	# shellcheck disable=SC2086
	rc=$(run_cli "$T/out" "$T/err" $a)
	assert_eq 0 "$rc" "venvd $a exit code"
	grep -Eq '^venvd [0-9]+\.[0-9]+\.[0-9]+ \(protocol [0-9]+\)$' "$T/out" ||
		fail "venvd $a: $(cat "$T/out")"
done
grep -q 'exit status' <("$VENVD" --help) || fail "--help does not document exit codes"

# ---------------------------------------------------------------- hook
say "venvd hook: placeholders replaced, output parses"
SELF=$(readlink -f "$VENVD")
GENFILE="$SOCK_DIR/generation"
for sh in bash zsh fish; do
	"$VENVD" hook "$sh" >"$T/hook.$sh" || fail "venvd hook $sh failed"
	! grep -q '@VENVD@\|@GENFILE@' "$T/hook.$sh" || fail "hook $sh: unreplaced placeholder"
	case $sh in
	bash) bash -n "$T/hook.$sh" || fail "hook bash: bash -n" ;;
	zsh) zsh -n "$T/hook.$sh" || fail "hook zsh: zsh -n" ;;
	fish) fish --no-execute "$T/hook.$sh" || fail "hook fish: fish --no-execute" ;;
	esac
	if grep -q '@VENVD@' "$TOP_SRCDIR/hooks/venvd.$sh"; then
		grep -qF "'$SELF'" "$T/hook.$sh" || fail "hook $sh: $SELF not substituted"
	fi
	if grep -q '@GENFILE@' "$TOP_SRCDIR/hooks/venvd.$sh"; then
		grep -qF "'$GENFILE'" "$T/hook.$sh" || fail "hook $sh: $GENFILE not substituted"
	fi
	# Every line without a placeholder is embedded byte for byte (backslashes too).
	awk 'NR == FNR { src[FNR] = $0; n = FNR; next } { m = FNR; if (src[FNR] !~ /@[A-Z]+@/ && src[FNR] != $0) bad = FNR }
	    END { if (bad) print "line " bad; else if (n != m) print n " lines, printed " m; exit bad || n != m }' \
	    "$TOP_SRCDIR/hooks/venvd.$sh" "$T/hook.$sh" || fail "hook $sh differs from hooks/venvd.$sh"
done
# The substitution itself, with whatever the hooks contain: a hostile binary path is quoted.
mkdir -p "$T/bin dir/it's"
cp "$VENVD" "$T/bin dir/it's/venvd"
for sh in bash zsh; do
	body=$(sed -n 's/.*@VENVD@.*/x/p' "$TOP_SRCDIR/hooks/venvd.$sh" | sed -n 1p)
	[ -n "$body" ] || continue
	"$T/bin dir/it's/venvd" hook "$sh" >"$T/hook2.$sh"
	grep -qF "'$T/bin dir/it'\\''s/venvd'" "$T/hook2.$sh" || fail "hook $sh: hostile path not quoted"
done

# ---------------------------------------------------------------- venvs
mkdir -p "$T/w/proj/sub/deep" "$T/w/other" "$T/plain"
mkvenv "$T/w/proj/.venv"
mkvenv "$T/w/other/venv"
mkvenv "$T/w/selfvenv"
PROJ="$T/w/proj"
VER=$("$PROJ/.venv/bin/python" -c 'import platform; print(platform.python_version())')

# ---------------------------------------------------------------- resolve
check_resolve() {
	local out rc
	say "resolve ($1)"
	rc=0
	out=$("$VENVD" resolve "$PROJ/sub/deep") || rc=$?
	assert_eq 0 "$rc" "resolve exit code"
	assert_eq "$PROJ/.venv  python $VER  (found as .venv in $PROJ)" "$out" "resolve line"
	out=$("$VENVD" resolve "$T/w/selfvenv/lib")
	assert_eq "$T/w/selfvenv  python $VER  (the directory is a venv)" "$out" "resolve self"
	out=$(cd "$T/w/other" && "$VENVD" resolve)
	assert_eq "$T/w/other/venv  python $VER  (found as venv in $T/w/other)" "$out" "resolve cwd"
	out=$(cd "$T/w" && "$VENVD" resolve proj/sub/../sub)
	assert_eq "$PROJ/.venv  python $VER  (found as .venv in $PROJ)" "$out" "resolve relative"
	rc=0
	"$VENVD" resolve "$T/plain" >"$T/out" 2>"$T/err" || rc=$?
	assert_eq 1 "$rc" "resolve none exit code"
	assert_eq "venvd: no venv applies to $T/plain" "$(cat "$T/err")" "resolve none message"
	[ ! -s "$T/out" ] || fail "resolve none printed on stdout"
	out=$("$VENVD" resolve --json "$PROJ/sub")
	jget "$out" 'sorted(j)' >"$T/keys"
	assert_eq '["dir", "source", "venv"]' "$(cat "$T/keys")" "resolve --json keys"
	assert_eq "$PROJ/sub" "$(jget "$out" 'j["dir"]')" "json dir"
	assert_eq "$PROJ/.venv" "$(jget "$out" 'j["venv"]["path"]')" "json venv.path"
	assert_eq "$PROJ" "$(jget "$out" 'j["venv"]["project"]')" "json venv.project"
	assert_eq ".venv" "$(jget "$out" 'j["venv"]["found_as"]')" "json venv.found_as"
	assert_eq "false" "$(jget "$out" 'j["venv"]["broken"]')" "json venv.broken"
	assert_eq "$1" "$(jget "$out" 'j["source"]')" "json source"
	rc=0
	out=$("$VENVD" resolve "$T/plain" --json) || rc=$?
	assert_eq 1 "$rc" "resolve --json none exit code"
	assert_eq null "$(jget "$out" 'j["venv"]')" "json venv null"
	# The same answers from both sources, venv object included.
	"$VENVD" resolve --json "$PROJ/sub/deep" | "$PYTHON3" -c \
		'import json,sys; j=json.load(sys.stdin); del j["source"]; print(json.dumps(j, sort_keys=True))' \
		>"$T/answer.$1"
	# The hook's code, its generation aside (the fallback's is "").
	"$VENVD" export --hook bash "$PROJ/sub/deep" >"$T/hookans.$1"
	hook_eval bash <"$T/hookans.$1"
	assert_eq "$PROJ/.venv|proj|" "$HOOK_VENV|$HOOK_PROMPT|$HOOK_NOTICE" "hook answer ($1)"
	sed -i "1s/^_venvd_answer_gen=.*/_venvd_answer_gen=GEN;/" "$T/hookans.$1"
}
check_resolve local

# ---------------------------------------------------------------- status, start, stop
say "status without a daemon exits 3"
rc=$(run_cli "$T/out" "$T/err" status)
assert_eq 3 "$rc" "status exit code without daemon"
assert_eq "venvd: daemon not running (socket $VENVD_SOCKET)" "$(cat "$T/out")" "status message"

say "start, start again, status, restart, stop"
rc=$(run_cli "$T/out" "$T/err" start)
assert_eq 0 "$rc" "start exit code ($(cat "$T/err"))"
grep -Eq '^venvd: daemon started \(pid [0-9]+\)$' "$T/out" || fail "start: $(cat "$T/out")"
daemon_answers || fail "daemon does not answer after venvd start"
PID1=$(our_daemons)
assert_eq 1 "$(count_daemons)" "daemons after start"
rc=$(run_cli "$T/out" "$T/err" start)
assert_eq 0 "$rc" "second start exit code"
assert_eq "venvd: daemon already running (pid $PID1)" "$(cat "$T/out")" "second start message"
rc=$(run_cli "$T/out" "$T/err" status)
assert_eq 0 "$rc" "status exit code"
for k in pid version protocol uptime socket generation requests "cache hits" "cached dirs" watches clients health; do
	grep -q "^$k: " "$T/out" || fail "status lacks '$k:' ($(cat "$T/out"))"
done
grep -qx "pid: $PID1" "$T/out" || fail "status pid"
grep -qx "socket: $VENVD_SOCKET" "$T/out" || fail "status socket"
out=$("$VENVD" status --json)
assert_eq "$PID1" "$(jget "$out" 'j["pid"]')" "status --json pid"
assert_eq "[]" "$(jget "$out" 'j["degraded"]')" "status --json degraded"

check_resolve daemon
cmp -s "$T/answer.local" "$T/answer.daemon" ||
	fail "daemon and local answers differ: $(cat "$T/answer.local") vs $(cat "$T/answer.daemon")"
cmp -s "$T/hookans.local" "$T/hookans.daemon" ||
	fail "hook answers differ: $(cat "$T/hookans.local") vs $(cat "$T/hookans.daemon")"
out=$("$VENVD" export --hook bash "$PROJ")
gen=$(generation)
[ -n "$gen" ] || fail "no generation file with a running daemon"
hook_eval bash <<<"$out"
assert_eq "$gen|$PROJ/.venv|proj|" "$HOOK_GEN|$HOOK_VENV|$HOOK_PROMPT|$HOOK_NOTICE" "hook answer from the daemon"

rc=$(run_cli "$T/out" "$T/err" restart)
assert_eq 0 "$rc" "restart exit code ($(cat "$T/err"))"
PID2=$(our_daemons)
[ -n "$PID2" ] && [ "$PID2" != "$PID1" ] || fail "restart: pid $PID1 -> '$PID2'"
alive "$PID1" && fail "restart left the old daemon running"
rc=$(run_cli "$T/out" "$T/err" stop)
assert_eq 0 "$rc" "stop exit code"
assert_eq "venvd: daemon stopped (pid $PID2)" "$(cat "$T/out")" "stop message"
assert_eq 0 "$(count_daemons)" "daemons after stop"
rc=$(run_cli "$T/out" "$T/err" stop)
assert_eq 0 "$rc" "stop without daemon exit code"
assert_eq "venvd: daemon not running (socket $VENVD_SOCKET)" "$(cat "$T/out")" "stop without daemon"
rc=$(run_cli "$T/out" "$T/err" status)
assert_eq 3 "$rc" "status after stop"

# ---------------------------------------------------------------- hung daemon
say "a daemon that accepts and never answers costs at most the budget"
[ -d "$SOCK_DIR" ] || mkdir -m 700 "$SOCK_DIR"
"$PYTHON3" -c '
import os, socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1]); s.listen(64)
open(sys.argv[2], "w").close()
held = []
while True:
    c, _ = s.accept(); held.append(c)
' "$VENVD_SOCKET" "$T/hung.ready" &
HUNG_PID=$!
wait_for test -e "$T/hung.ready" || fail "hung listener did not start"
echo stale-gen >"$SOCK_DIR/generation"
t0=$(date +%s%N)
rc=0
VENVD_AUTOSTART=1 timeout 60 "$VENVD" export --hook bash "$PROJ/sub" >"$T/out" 2>"$T/err" || rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
say "export --hook with a hung daemon took $ms ms"
assert_eq 0 "$rc" "hook mode exit code with a hung daemon (124: it hung)"
# The budget is 200 ms; this bound only tells "gave up" from "hung" on a
# machine of any speed (bench/ measures the real cost).
(( ms < 20000 )) || fail "hook mode took $ms ms with a hung daemon"
(( ms >= 150 )) || fail "hook mode took only $ms ms: did it really wait for the daemon?"
hook_eval bash <"$T/out"
assert_eq "|$PROJ/.venv|proj|" "$HOOK_GEN|$HOOK_VENV|$HOOK_PROMPT|$HOOK_NOTICE" "answer with a hung daemon"
[ ! -s "$T/err" ] || fail "hook mode wrote to stderr: $(cat "$T/err")"
[ ! -e "$AUTOLOCK" ] || fail "a hung daemon triggered autostart"
assert_eq 0 "$(count_daemons)" "daemons started for a hung daemon"
assert_eq stale-gen "$(generation)" "a hung daemon's generation file must stay"
rc=0
out=$("$VENVD" resolve "$PROJ") || rc=$?
assert_eq 0 "$rc" "resolve with a hung daemon"
assert_eq "$PROJ/.venv  python $VER  (found as .venv in $PROJ)" "$out" "resolve with a hung daemon"
kill -KILL "$HUNG_PID"
wait "$HUNG_PID" 2>/dev/null || true
HUNG_PID=

# ---------------------------------------------------------------- autostart
say "VENVD_AUTOSTART=0 starts nothing; a dead daemon's generation file goes"
out=$(VENVD_AUTOSTART=0 "$VENVD" export --hook bash "$PROJ" 2>"$T/err")
hook_eval bash <<<"$out"
assert_eq "|$PROJ/.venv|proj|" "$HOOK_GEN|$HOOK_VENV|$HOOK_PROMPT|$HOOK_NOTICE" "answer without daemon"
[ ! -s "$T/err" ] || fail "hook mode wrote to stderr: $(cat "$T/err")"
[ ! -e "$AUTOLOCK" ] || fail "VENVD_AUTOSTART=0 took the autostart lock"
assert_eq 0 "$(count_daemons)" "daemons with VENVD_AUTOSTART=0"
[ ! -e "$SOCK_DIR/generation" ] || fail "stale generation file left behind"

say "10 concurrent clients autostart exactly one daemon"
pids=()
for i in 0 1 2 3 4 5 6 7 8 9; do
	VENVD_AUTOSTART=1 "$VENVD" export --hook bash "$PROJ/sub" >"$T/auto.$i" 2>"$T/auto.$i.err" &
	pids+=($!)
done
for p in "${pids[@]}"; do
	wait "$p" || fail "a concurrent client failed"
done
for i in 0 1 2 3 4 5 6 7 8 9; do
	hook_eval bash <"$T/auto.$i"
	assert_eq "$PROJ/.venv|proj|" "$HOOK_VENV|$HOOK_PROMPT|$HOOK_NOTICE" "client $i's answer"
	[ ! -s "$T/auto.$i.err" ] || fail "client $i wrote to stderr"
done
wait_for daemon_answers || fail "the autostarted daemon never answered"
wait_for daemons_are 1 || fail "$(count_daemons) daemons run after autostart: $(our_daemons)"
# Nobody else holds the start lock: the daemon released it once listening.
wait_for flock -n "$AUTOLOCK" true || fail "autostart lock still held"
assert_eq 1 "$(count_daemons)" "daemons after autostart settled"
out=$("$VENVD" export --hook bash "$PROJ")
hook_eval bash <<<"$out"
assert_eq "$(generation)|$PROJ/.venv|proj|" "$HOOK_GEN|$HOOK_VENV|$HOOK_PROMPT|$HOOK_NOTICE" \
	"answer from the autostarted daemon"
"$VENVD" stop >/dev/null || fail "stopping the autostarted daemon"

# ---------------------------------------------------------------- export
# envtool.py: make an env file, run a command in one, check one, apply json.
cat >"$T/envtool.py" <<'EOF'
import json, os, subprocess, sys
def load(path):
    env = {}
    with open(path, "rb") as f:
        for item in f.read().split(b"\0"):
            if item:
                k, _, v = item.partition(b"=")
                env[k] = v
    return env
def save(path, env):
    with open(path, "wb") as f:
        for k, v in env.items():
            f.write(k + b"=" + v + b"\0")
cmd, args = sys.argv[1], [os.fsencode(a) for a in sys.argv[2:]]
if cmd == "make":      # make OUT NAME=VALUE...
    save(args[0], dict(a.partition(b"=")[::2] for a in args[1:]))
elif cmd == "run":     # run ENVFILE CMD...
    os.execve(args[1], args[1:], load(args[0]))
elif cmd == "check":   # check ENVFILE NAME VALUE...  (VALUE @UNSET@: unset)
    env, bad = load(args[0]), 0
    for name, want in zip(args[1::2], args[2::2]):
        got = env.get(name)
        if (got if got is not None else b"@UNSET@") != want:
            print(f"{name.decode()}: expected {want!r}, got {got!r}", file=sys.stderr)
            bad = 1
    sys.exit(bad)
elif cmd == "json":    # json DIR OUT: apply "venvd export json" to this env
    r = subprocess.run([os.environ["VENVD"], "export", "json", args[0]],
                       stdout=subprocess.PIPE, check=True)
    j, env = json.loads(r.stdout), dict(os.environb)
    assert sorted(j) == ["set", "unset"], j
    for k, v in j["set"].items():
        env[k.encode()] = v.encode()
    for k in j["unset"]:
        env.pop(k.encode(), None)
    save(args[1], env)
EOF
# The interpreter itself, not a wrapper that edits PATH (pyenv shims do).
PYEXE=$("$PYTHON3" -c 'import sys; print(sys.executable)')
envtool() {
	"$PYTHON3" "$T/envtool.py" "$@"
}

# base_env OUT NAME=VALUE...: a clean environment plus the given variables.
base_env() {
	local out=$1
	shift
	envtool make "$out" HOME="$HOME" VENVD="$VENVD" VENVD_SOCKET="$VENVD_SOCKET" \
		VENVD_AUTOSTART=0 XDG_RUNTIME_DIR="$XDG_RUNTIME_DIR" XDG_CONFIG_HOME="$XDG_CONFIG_HOME" \
		XDG_STATE_HOME="$XDG_STATE_HOME" LC_ALL=C.UTF-8 "$@"
}

# step SHELL ENVIN DIR ENVOUT: eval "venvd export SHELL DIR" in a real shell
# started with ENVIN and save its exported environment to ENVOUT.
step() {
	local sh=$1 in=$2 dir=$3 out=$4
	rm -f "$out"
	case $sh in
	bash) envtool run "$in" /bin/bash --norc --noprofile -c \
		'eval "$("$VENVD" export bash "$1")" || exit 9; /usr/bin/env -0 >"$2"' _ "$dir" "$out" ;;
	zsh) envtool run "$in" /usr/bin/zsh -f -c \
		'eval "$("$VENVD" export zsh "$1")" || exit 9; /usr/bin/env -0 >"$2"' _ "$dir" "$out" ;;
	fish) envtool run "$in" /usr/bin/fish --no-config -c \
		'$VENVD export fish $argv[1] | source; or exit 9; /usr/bin/env -0 >$argv[2]' "$dir" "$out" ;;
	json) envtool run "$in" "$PYEXE" -E "$T/envtool.py" json "$dir" "$out" ;;
	esac
	[ -s "$out" ] || fail "$sh: export for $(printf %q "$dir") did not run"
}

# expect SHELL ENVFILE NAME VALUE...
expect() {
	local sh=$1
	shift
	envtool check "$@" || fail "$sh: environment differs (above)"
}

# print_only SHELL ENVIN DIR: "venvd export" prints nothing (json: no change).
prints_nothing() {
	local sh=$1 in=$2 dir=$3 out
	out=$(envtool run "$in" "$VENVD" export "$sh" "$dir")
	if [ "$sh" = json ]; then
		assert_eq '{"set":{},"unset":[]}' "$out" "$sh: export with nothing to do"
	else
		assert_eq "" "$out" "$sh: export with nothing to do"
	fi
}

U=@UNSET@
A="$T/w/proj/.venv"
B="$T/w/other/venv"
BASEPATH=/usr/local/bin:/usr/bin:/bin
for sh in bash zsh fish json; do
	say "export $sh: activate, same again, user edits PATH, switch, leave"
	E="$T/env.$sh"
	base_env "$E.0" PATH="$BASEPATH"
	step "$sh" "$E.0" "$PROJ/sub" "$E.1"
	expect "$sh" "$E.1" PATH "$A/bin:$BASEPATH" VIRTUAL_ENV "$A" VIRTUAL_ENV_PROMPT proj \
		VENVD_ACTIVE "$A" PYTHONHOME $U VENVD_PYTHONHOME $U
	prints_nothing "$sh" "$E.1" "$PROJ"
	# The user adds entries of their own while active; switch to B keeps them.
	envtool run "$E.1" /bin/bash -c 'PATH="/first:$PATH:/added" exec /usr/bin/env -0 >"$1"' _ "$E.2"
	step "$sh" "$E.2" "$T/w/other" "$E.3"
	expect "$sh" "$E.3" PATH "$B/bin:/first:$BASEPATH:/added" VIRTUAL_ENV "$B" \
		VIRTUAL_ENV_PROMPT other VENVD_ACTIVE "$B"
	step "$sh" "$E.3" "$T/plain" "$E.4"
	expect "$sh" "$E.4" PATH "/first:$BASEPATH:/added" VIRTUAL_ENV $U VIRTUAL_ENV_PROMPT $U \
		VENVD_ACTIVE $U PYTHONHOME $U VENVD_PYTHONHOME $U

	say "export $sh: PATH with empty entries comes back byte for byte"
	if [ "$sh" = fish ]; then
		# fish itself turns empty PATH entries into "." on startup.
		odd=".:/usr/bin::/bin:"
		odd_fish=".:/usr/bin:.:/bin:."
	else
		odd=":/usr/bin::/bin:"
		odd_fish=$odd
	fi
	base_env "$E.5" PATH="$odd"
	step "$sh" "$E.5" "$PROJ" "$E.6"
	expect "$sh" "$E.6" PATH "$A/bin:$odd_fish"
	step "$sh" "$E.6" "$T/plain" "$E.7"
	expect "$sh" "$E.7" PATH "$odd_fish" VENVD_ACTIVE $U
	# Our entry not first, and a duplicate further on: only the first goes.
	base_env "$E.8" PATH="/x::$A/bin:/usr/bin:$A/bin" VIRTUAL_ENV="$A" VENVD_ACTIVE="$A"
	step "$sh" "$E.8" "$T/plain" "$E.9"
	if [ "$sh" = fish ]; then
		expect "$sh" "$E.9" PATH "/x:.:/usr/bin:$A/bin"
	else
		expect "$sh" "$E.9" PATH "/x::/usr/bin:$A/bin"
	fi

	say "export $sh: manual activation is left alone"
	base_env "$E.10" PATH="/manual/bin:$BASEPATH" VIRTUAL_ENV=/manual VIRTUAL_ENV_PROMPT=m
	prints_nothing "$sh" "$E.10" "$PROJ"
	base_env "$E.11" PATH="$A/bin:$BASEPATH" VIRTUAL_ENV=/manual VENVD_ACTIVE="$A"
	prints_nothing "$sh" "$E.11" "$T/plain"

	say "export $sh: PYTHONHOME saved and restored"
	base_env "$E.12" PATH="$BASEPATH" PYTHONHOME=/py/home
	step "$sh" "$E.12" "$PROJ" "$E.13"
	expect "$sh" "$E.13" PYTHONHOME $U VENVD_PYTHONHOME /py/home VENVD_ACTIVE "$A"
	step "$sh" "$E.13" "$T/w/other" "$E.14"
	expect "$sh" "$E.14" PYTHONHOME $U VENVD_PYTHONHOME /py/home VENVD_ACTIVE "$B" PATH "$B/bin:$BASEPATH"
	step "$sh" "$E.14" "$T/plain" "$E.15"
	expect "$sh" "$E.15" PYTHONHOME /py/home VENVD_PYTHONHOME $U PATH "$BASEPATH"

	say "export $sh: the same venv with another prompt: only VIRTUAL_ENV_PROMPT follows"
	base_env "$E.20" PATH="$A/bin:$BASEPATH" VIRTUAL_ENV="$A" VENVD_ACTIVE="$A" VIRTUAL_ENV_PROMPT=old
	step "$sh" "$E.20" "$PROJ" "$E.21"
	expect "$sh" "$E.21" VIRTUAL_ENV_PROMPT proj PATH "$A/bin:$BASEPATH" VENVD_ACTIVE "$A"

	say "export $sh: a VENVD_PYTHONHOME venvd did not save is dropped, never restored"
	base_env "$E.22" PATH="$BASEPATH" VENVD_PYTHONHOME=/stale
	step "$sh" "$E.22" "$PROJ" "$E.23"
	expect "$sh" "$E.23" VENVD_PYTHONHOME $U PYTHONHOME $U VENVD_ACTIVE "$A"

	# fish gives an empty PATH no entry, zsh its default on startup (the hook tests cover both).
	if [ "$sh" = bash ] || [ "$sh" = json ]; then
		say "export $sh: an empty PATH gets exactly the venv's bin, and comes back empty"
		base_env "$E.24" PATH=
		step "$sh" "$E.24" "$PROJ" "$E.25"
		expect "$sh" "$E.25" PATH "$A/bin"
		step "$sh" "$E.25" "$T/plain" "$E.26"
		expect "$sh" "$E.26" PATH "" VENVD_ACTIVE $U
	fi

	say "export $sh: the pip guard follows what is active; the user's value is his"
	base_env "$E.27" PATH="$BASEPATH"
	step "$sh" "$E.27" "$T/plain" "$E.28"
	expect "$sh" "$E.28" PIP_REQUIRE_VIRTUALENV true VENVD_PIP_GUARD 1
	step "$sh" "$E.28" "$PROJ" "$E.29"
	expect "$sh" "$E.29" PIP_REQUIRE_VIRTUALENV $U VENVD_PIP_GUARD $U VENVD_ACTIVE "$A"
	base_env "$E.30" PATH="$BASEPATH" PIP_REQUIRE_VIRTUALENV=false
	step "$sh" "$E.30" "$T/plain" "$E.31"
	expect "$sh" "$E.31" PIP_REQUIRE_VIRTUALENV false VENVD_PIP_GUARD $U

	say "export $sh: leftovers of someone else's deactivate are cleaned up"
	base_env "$E.16" PATH="$A/bin:$BASEPATH" VENVD_ACTIVE="$A"
	step "$sh" "$E.16" "$T/plain" "$E.17"
	expect "$sh" "$E.17" PATH "$BASEPATH" VENVD_ACTIVE $U
done

# Hostile project names: nothing is executed, every byte survives.
HOSTILE="$T/w/a b'c\"d \$(touch $T/pwned) \`touch $T/pwned\`;e
f*g"
mkdir -p "$HOSTILE/in"
mkvenv "$HOSTILE/.venv"
hostile_round() {
	local sh E="$T/envh"
	for sh in bash zsh fish json; do
		say "export $sh: hostile project name ($1)"
		base_env "$E.$sh.0" PATH="$BASEPATH"
		step "$sh" "$E.$sh.0" "$HOSTILE/in" "$E.$sh.1"
		expect "$sh" "$E.$sh.1" VIRTUAL_ENV "$HOSTILE/.venv" VENVD_ACTIVE "$HOSTILE/.venv" \
			PATH "$HOSTILE/.venv/bin:$BASEPATH" VIRTUAL_ENV_PROMPT "$(basename "$HOSTILE" | tr -d '\n' | tr '$`\\%!' _____)"
		step "$sh" "$E.$sh.1" "$T/plain" "$E.$sh.2"
		expect "$sh" "$E.$sh.2" PATH "$BASEPATH" VIRTUAL_ENV $U VENVD_ACTIVE $U
		[ ! -e "$T/pwned" ] || fail "$sh: a project name was executed"
	done
	for sh in bash zsh fish; do
		"$VENVD" export --hook "$sh" "$HOSTILE/in" >"$T/hostile.hook"
		hook_eval "$sh" <"$T/hostile.hook"
		assert_eq "$HOSTILE/.venv" "$HOOK_VENV" "$sh: hook code VENV round trip"
		assert_eq "$(basename "$HOSTILE" | tr -d '\n' | tr '$`\\%!' _____)" "$HOOK_PROMPT" \
			"$sh: hook code PROMPT round trip"
		[ ! -e "$T/pwned" ] || fail "$sh: hook code executed a name"
	done
}
hostile_round local
daemon_start
hostile_round daemon
daemon_stop

# Names that are not UTF-8 travel as \udcXX: the daemon answers for them too.
NONUTF="$T/w/bad"$'\xff\xfe'"name"
mkdir -p "$NONUTF/x"
# python -m venv cannot write its scripts there: make it elsewhere and move it.
mkvenv "$T/w/tomove"
mv "$T/w/tomove" "$NONUTF/.venv"
daemon_start
prime_trust "$NONUTF/x"
for sh in bash zsh fish; do
	"$VENVD" export --hook "$sh" "$NONUTF/x" >"$T/nonutf.hook" 2>"$T/err"
	hook_eval "$sh" <"$T/nonutf.hook"
	assert_eq "$NONUTF/.venv" "$HOOK_VENV" "$sh: non-UTF-8 venv path"
	assert_eq "$(generation)" "$HOOK_GEN" "$sh: non-UTF-8: the daemon answers, with its generation"
done
[ ! -s "$T/err" ] || fail "hook mode wrote to stderr"
for sh in bash zsh fish; do
	base_env "$T/envn.$sh.0" PATH="$BASEPATH"
	step "$sh" "$T/envn.$sh.0" "$NONUTF/x" "$T/envn.$sh.1"
	expect "$sh" "$T/envn.$sh.1" VIRTUAL_ENV "$NONUTF/.venv" PATH "$NONUTF/.venv/bin:$BASEPATH"
done

# A broken venv: activated, with a one-line notice in hook mode.
say "broken venv notice"
mkdir -p "$T/w/broken"
mkvenv "$T/w/broken/.venv"
ln -sfn "$T/nowhere/python3" "$T/w/broken/.venv/bin/python"
"$VENVD" export --hook bash "$T/w/broken" >"$T/broken.hook" 2>"$T/err"
hook_eval bash <"$T/broken.hook"
assert_eq "$T/w/broken/.venv" "$HOOK_VENV" "broken venv still applies"
case $HOOK_NOTICE in
"venvd: $T/w/broken/.venv is broken: "*) ;;
*) fail "broken notice: [$HOOK_NOTICE]" ;;
esac
[ ! -s "$T/err" ] || fail "hook mode wrote to stderr"
daemon_stop

say "all client checks passed"
exit 0
