#!/bin/bash
# exec.sh: "venvd exec [-C DIR] [--require] -- CMD" against the real daemon
# on private XDG dirs and real venvs: CMD gets the venv the hook would give
# DIR (python, a shebang script), its arguments byte for byte, stdin,
# stdout, its exit status and signals straight through (exec: the same
# pid, no child), 127/126 for a missing or non-executable CMD, 126 and CMD
# not run for an untrusted (cloned), denied or broken venv, --require, -C
# and $PWD, a manual activation left alone, and the same with the daemon
# down (the local fallback).
. "$TOP_SRCDIR/tests/lib/harness.sh"

command -v git >/dev/null || skip "git is not installed"
W="$T/w"
mkdir -p "$W/empty"
# A venv-free PATH for the test's own commands, whatever ran make.
export PATH=/usr/local/bin:/usr/bin:/bin

# run_exec OUT ERR ARGS...: run venvd exec ARGS, saving stdout and
# stderr; prints the exit status.
run_exec() {
	local out=$1 err=$2 rc=0
	shift 2
	"$VENVD" exec "$@" >"$out" 2>"$err" || rc=$?
	echo "$rc"
}

# expect_status WANT GOT WHAT: the exit status, with stderr shown on a miss.
expect_status() {
	[ "$1" = "$2" ] || fail "$3: exit status $2, expected $1; stderr: $(cat "$T/err")"
}

# A python that prints sys.prefix and what it was given, one per line.
PRINT_PREFIX='import os, sys; print(sys.prefix); print(os.environ.get("VIRTUAL_ENV", "-")); print(os.environ.get("VENVD_ACTIVE", "-")); print(os.environ["PATH"].split(":")[0]); print(os.getcwd())'

# check_venv WHAT DIR VENV: the output of PRINT_PREFIX ($T/out) names VENV, cwd DIR.
check_venv() {
	local want
	want=$(printf '%s\n' "$3" "$3" "$3" "$3/bin" "$2")
	assert_eq "$want" "$(cat "$T/out")" "$1"
}

P="$W/proj"
mkdir -p "$P/sub"
mkvenv "$P/.venv"
printf '#!/usr/bin/env python3\nimport sys\nprint(sys.prefix)\nprint(sys.argv[1:])\n' >"$P/tool.py"
chmod 755 "$P/tool.py"
printf 'echo not executable\n' >"$P/noexec.sh"
chmod 644 "$P/noexec.sh"

# run_suite MODE: everything that answers the same with the daemon up and down.
run_suite() {
	local mode=$1 rc

	say "$mode: python from the venv, default \$PWD"
	rc=$(cd "$P/sub" && run_exec "$T/out" "$T/err" -- python -c "$PRINT_PREFIX")
	expect_status 0 "$rc" "$mode: python"
	check_venv "$mode: python in \$PWD" "$P/sub" "$P/.venv"

	say "$mode: -C DIR, absolute and relative"
	rc=$(cd "$W/empty" && run_exec "$T/out" "$T/err" -C "$P/sub" -- python -c "$PRINT_PREFIX")
	expect_status 0 "$rc" "$mode: -C absolute"
	check_venv "$mode: -C absolute" "$P/sub" "$P/.venv"
	rc=$(cd "$W" && run_exec "$T/out" "$T/err" -C proj -- python -c "$PRINT_PREFIX")
	expect_status 0 "$rc" "$mode: -C relative"
	check_venv "$mode: -C relative" "$P" "$P/.venv"
	rc=$(cd "$W" && run_exec "$T/out" "$T/err" -Cproj python -c "$PRINT_PREFIX")
	expect_status 0 "$rc" "$mode: -CDIR, no --"
	check_venv "$mode: -CDIR" "$P" "$P/.venv"
	rc=$(cd "$W/empty" && run_exec "$T/out" "$T/err" -C "../sp ace/x" -- python -c "$PRINT_PREFIX")
	expect_status 0 "$rc" "$mode: -C with a space"
	check_venv "$mode: -C with a space" "$W/sp ace/x" "$W/sp ace/.venv"

	say "$mode: a shebang script resolves the venv's python"
	rc=$(cd "$P" && run_exec "$T/out" "$T/err" -- ./tool.py 'a b')
	expect_status 0 "$rc" "$mode: shebang"
	assert_eq "$P/.venv
['a b']" "$(cat "$T/out")" "$mode: shebang script's python"

	say "$mode: untrusted (a cloned repository committing its .venv): 126, CMD not run"
	prime_trust "$W/cloned"
	rm -f "$T/marker"
	rc=$(run_exec "$T/out" "$T/err" -C "$W/cloned" -- sh -c ': >"$1"' sh "$T/marker")
	expect_status 126 "$rc" "$mode: untrusted"
	[ ! -e "$T/marker" ] || fail "$mode: CMD ran for an untrusted venv"
	grep_all -q "venvd: not activating .*cloned/.venv: " <"$T/err" ||
		fail "$mode: untrusted: no reason: $(cat "$T/err")"
	grep_all -q "not running sh" <"$T/err" || fail "$mode: untrusted: $(cat "$T/err")"
	# Its own bin/ comes first for nothing: ls is the system's elsewhere.
	rc=$(run_exec "$T/out" "$T/err" -C "$W/cloned" -- ls "$W/cloned")
	expect_status 126 "$rc" "$mode: untrusted ls"
	[ ! -s "$T/out" ] || fail "$mode: the cloned venv's ls ran: $(cat "$T/out")"

	say "$mode: a broken venv: 126, CMD not run"
	rm -f "$T/marker"
	rc=$(run_exec "$T/out" "$T/err" -C "$W/broken" -- sh -c ': >"$1"' sh "$T/marker")
	expect_status 126 "$rc" "$mode: broken"
	[ ! -e "$T/marker" ] || fail "$mode: CMD ran for a broken venv"
	grep_all -q "is broken: " <"$T/err" || fail "$mode: broken: $(cat "$T/err")"

	say "$mode: --require with no venv: 1, CMD not run"
	rm -f "$T/marker"
	rc=$(run_exec "$T/out" "$T/err" -C "$W/empty" --require -- sh -c ': >"$1"' sh "$T/marker")
	expect_status 1 "$rc" "$mode: --require"
	[ ! -e "$T/marker" ] || fail "$mode: --require ran CMD"
	grep_all -q "no venv applies to $W/empty" <"$T/err" || fail "$mode: --require: $(cat "$T/err")"
	rc=$(run_exec "$T/out" "$T/err" -C "$P" --require -- true)
	expect_status 0 "$rc" "$mode: --require with a venv"

	say "$mode: no venv: the environment unchanged"
	(cd "$W/empty" && env -0) >"$T/env.want"
	rc=$(cd "$W/empty" && run_exec "$T/env.got" "$T/err" -- env -0)
	expect_status 0 "$rc" "$mode: env"
	"$PYTHON3" -c 'import sys
def env(p):
    d = dict(kv.split(b"=", 1) for kv in open(p, "rb").read().split(b"\0") if kv)
    d.pop(b"_", None)	# what bash exports as the command run
    d.pop(b"SHLVL", None)	# the shell level, not ours
    return d
a, b = env(sys.argv[1]), env(sys.argv[2])
if a != b:
    sys.exit("differ: %r" % sorted(set(a.items()) ^ set(b.items())))' "$T/env.want" "$T/env.got" ||
		fail "$mode: venvd exec changed the environment with no venv"
	[ ! -s "$T/err" ] || fail "$mode: no venv: stderr: $(cat "$T/err")"

	say "$mode: leaving a venv venvd activated in the parent shell, as the hook does"
	rc=$(cd "$W/empty" && VENVD_ACTIVE="$P/.venv" VIRTUAL_ENV="$P/.venv" \
	    VIRTUAL_ENV_PROMPT=proj PATH="$P/.venv/bin:$PATH" \
	    run_exec "$T/out" "$T/err" -- sh -c 'printf "%s|%s|%s\n" "${VIRTUAL_ENV-unset}" "${VENVD_ACTIVE-unset}" "$PATH"')
	expect_status 0 "$rc" "$mode: leaving"
	assert_eq "unset|unset|$PATH" "$(cat "$T/out")" "$mode: the inherited venv left"

	say "$mode: a manual activation is left alone"
	rc=$(cd "$P" && VIRTUAL_ENV="$W/manual" PATH="$W/manual/bin:$PATH" \
	    run_exec "$T/out" "$T/err" -- python -c 'import os, sys; print(sys.prefix, os.environ["VIRTUAL_ENV"], os.environ.get("VENVD_ACTIVE", "-"))')
	expect_status 0 "$rc" "$mode: manual"
	assert_eq "$W/manual $W/manual -" "$(cat "$T/out")" "$mode: manual activation"

	say "$mode: PYTHONHOME set aside while active"
	rc=$(cd "$P" && PYTHONHOME=/nowhere run_exec "$T/out" "$T/err" -- sh -c 'printf "%s|%s\n" "${PYTHONHOME-unset}" "${VENVD_PYTHONHOME-unset}"')
	expect_status 0 "$rc" "$mode: PYTHONHOME"
	assert_eq "unset|/nowhere" "$(cat "$T/out")" "$mode: PYTHONHOME"
}

# The venvs every part uses.
make_cloned cloned
mkdir -p "$W/broken"
mkvenv "$W/broken/.venv"
ln -sfn "$T/nowhere/python3" "$W/broken/.venv/bin/python"
mkvenv "$W/manual"
mkdir -p "$W/denied"
mkvenv "$W/denied/.venv"
mkdir -p "$W/sp ace/x"
mkvenv "$W/sp ace/.venv"

daemon_start
prime_trust "$P"
prime_trust "$W/denied"
prime_trust "$W/sp ace"
run_suite daemon

say "usage: 2"
rc=$(run_exec "$T/out" "$T/err")
expect_status 2 "$rc" "no CMD"
rc=$(run_exec "$T/out" "$T/err" --bogus -- true)
expect_status 2 "$rc" "unknown option"
rc=$(run_exec "$T/out" "$T/err" -C)
expect_status 2 "$rc" "-C without DIR"
rc=$(run_exec "$T/out" "$T/err" -C "$W/nowhere" -- true)
expect_status 1 "$rc" "-C a missing DIR"
# -h, -V and -- after CMD are CMD's.
rc=$(cd "$P" && run_exec "$T/out" "$T/err" python -V)
expect_status 0 "$rc" "python -V"
case $(cat "$T/out") in Python\ 3*) ;; *) fail "venvd exec python -V: $(cat "$T/out")" ;; esac

say "missing CMD: 127; not executable: 126"
rc=$(cd "$P" && run_exec "$T/out" "$T/err" -- venvd-no-such-command x)
expect_status 127 "$rc" "missing CMD"
assert_eq "venvd: venvd-no-such-command: command not found" "$(cat "$T/err")" "missing CMD message"
rc=$(cd "$P" && run_exec "$T/out" "$T/err" -- ./noexec.sh)
expect_status 126 "$rc" "not executable"
grep_all -q "noexec.sh: Permission denied" <"$T/err" || fail "not executable: $(cat "$T/err")"
[ ! -s "$T/out" ] || fail "the non-executable file ran"

say "arguments byte for byte: spaces, newlines, quotes, \$(...), not UTF-8"
args=('a b' $'line1\nline2\n' "it's \"quoted\"" "\$(touch $T/pwned)" '`id`' $'\xff\xfe\x80' '' '*' '-C' '--' ' ')
printf '%s\0' "${args[@]}" >"$T/args.want"
rc=$(cd "$P" && run_exec "$T/args.got" "$T/err" -- printf '%s\0' "${args[@]}")
expect_status 0 "$rc" "printf"
cmp "$T/args.want" "$T/args.got" || fail "the arguments changed on the way"
rc=$(cd "$P" && run_exec "$T/args.got" "$T/err" -- python -c 'import os, sys
sys.stdout.buffer.write(b"".join(os.fsencode(a) + b"\0" for a in sys.argv[1:]))' "${args[@]}")
expect_status 0 "$rc" "python argv"
cmp "$T/args.want" "$T/args.got" || fail "python saw other arguments"
[ ! -e "$T/pwned" ] || fail "an argument was run by a shell"

say "exit status and stdin/stdout straight through"
rc=$(cd "$P" && run_exec "$T/out" "$T/err" -- sh -c 'exit 42')
expect_status 42 "$rc" "exit 42"
"$PYTHON3" -c 'import os, sys; sys.stdout.buffer.write(os.urandom(300000) + b"\nline\0end")' >"$T/in"
(cd "$P" && "$VENVD" exec -- cat <"$T/in" >"$T/piped") || fail "cat failed"
cmp "$T/in" "$T/piped" || fail "stdin to stdout through cat changed the data"
# shellcheck disable=SC2002 # the pipe is the point
cat "$T/in" | (cd "$P" && "$VENVD" exec -- cat) | cat >"$T/piped"
cmp "$T/in" "$T/piped" || fail "a pipeline through venvd exec cat changed the data"

say "no descriptor leaks into CMD"
fds='import os; print(sorted(int(f) for f in os.listdir("/proc/self/fd")))'
want=$(cd "$P" && "$P/.venv/bin/python" -c "$fds")
rc=$(cd "$P" && run_exec "$T/out" "$T/err" -- python -c "$fds")
expect_status 0 "$rc" "fds"
assert_eq "$want" "$(cat "$T/out")" "open descriptors in CMD"

say "exec, not a child: the same pid, and SIGTERM reaches CMD"
rm -f "$T/pid" "$T/term"
(cd "$P" && exec "$VENVD" exec -- python -c 'import os, signal, sys
def term(sig, frame):
    open(sys.argv[2], "w").write("TERM\n")
    sys.exit(7)
signal.signal(signal.SIGTERM, term)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write("%d %d %s\n" % (os.getpid(), os.getppid(), sys.prefix))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
while True:
    signal.pause()' "$T/pid" "$T/term") &
bg=$!
TIMEOUT=60 wait_for test -s "$T/pid" || fail "CMD did not start"
read -r cpid cppid cprefix <"$T/pid"
assert_eq "$bg" "$cpid" "CMD's pid is the venvd process's"
assert_eq "$$" "$cppid" "CMD's parent is the test shell (no venvd in between)"
assert_eq "$P/.venv" "$cprefix" "CMD's python"
kill -TERM "$bg"
rc=0
wait "$bg" || rc=$?
assert_eq 7 "$rc" "CMD's status after SIGTERM"
assert_eq TERM "$(cat "$T/term" 2>/dev/null)" "CMD's SIGTERM handler ran"
# sh's $$, the same way round.
(cd "$P" && exec "$VENVD" exec -- sh -c 'echo $$ >"$1"' sh "$T/shpid") &
bg=$!
wait "$bg" || fail "sh -c failed"
assert_eq "$bg" "$(cat "$T/shpid")" "sh's \$\$ is the venvd process's pid"

say "denied: 126, CMD not run, how to allow it"
"$VENVD" deny "$W/denied/.venv" >/dev/null || fail "deny failed"
rm -f "$T/marker"
rc=$(run_exec "$T/out" "$T/err" -C "$W/denied" -- sh -c ': >"$1"' sh "$T/marker")
expect_status 126 "$rc" "denied"
[ ! -e "$T/marker" ] || fail "CMD ran for a denied venv"
grep_all -q "denied (venvd allow .*denied/.venv to trust it)" <"$T/err" ||
	fail "denied: $(cat "$T/err")"
"$VENVD" allow "$W/denied/.venv" >/dev/null || fail "allow failed"
rc=$(run_exec "$T/out" "$T/err" -C "$W/denied" -- python -c 'import sys; print(sys.prefix)')
expect_status 0 "$rc" "allowed again"
assert_eq "$W/denied/.venv" "$(cat "$T/out")" "allowed again"

say "the daemon down: the local fallback answers the same"
daemon_stop
daemon_answers && fail "the daemon still answers"
run_suite fallback
daemon_answers && fail "venvd exec started the daemon with VENVD_AUTOSTART=0"

say "all exec checks passed"
exit 0
