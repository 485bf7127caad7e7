#!/bin/bash
# trust_daemon.sh: issue 5 without a shell: the daemon's trust answers, allow,
# deny and trust, the hard rule, the shadow rule, the git check, ask and all,
# the client's fallback, visible escapes, and the private state files.
# shellcheck source=tests/lib/harness.sh
. "$TOP_SRCDIR/tests/lib/harness.sh"

command -v git >/dev/null 2>&1 || skip "git is not installed"
W="$T/w"
mkdir -p "$W"

# trust_of DIR: the daemon's "trust" for the venv that applies to DIR. It
# lets the daemon wait for git as long as it may (20 s), so the answer never
# depends on how fast git is; the client's own budget is tested in 11.
trust_of() {
	local r
	r=$(rpc resolve "{\"path\": $(json_str "$1"), \"wait_ms\": 20000}") || fail "resolve $1: $r"
	jget "$r" '(j["venv"] or {}).get("trust", "<no trust>")'
}
# json_str S: S as a JSON string.
json_str() {
	"$PYTHON3" -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$1"
}
# expect_trust DIR WANT WHAT
expect_trust() {
	assert_eq "$2" "$(trust_of "$1")" "$3"
}

say "1. the user's own venv is trusted; a cloned, committed one is not"
mkdir -p "$W/own"
mkvenv "$W/own/.venv"
make_cloned cloned
daemon_start
expect_trust "$W/own" trusted "own venv"
expect_trust "$W/cloned" "untrusted:committed to git" "cloned venv"
# The answer is the same the second time (cached in memory and the index).
expect_trust "$W/cloned/sub" "untrusted:committed to git" "cloned venv again"
out=$("$VENVD" export --hook bash "$W/cloned")
hook_eval bash <<<"$out"
case $HOOK_NOTICE in
*"venvd: not activating $W/cloned/.venv: committed to git (venvd allow $W/cloned to trust it)"*) ;;
*) fail "hook notice for the cloned venv: $out" ;;
esac
assert_eq "" "$HOOK_VENV" "the hook does not activate the cloned venv"
out=$(cd "$W/cloned" && "$VENVD" allow) || fail "venvd allow: $out"
assert_eq "venvd: trusted $W/cloned/.venv" "$out" "allow's message"
expect_trust "$W/cloned" trusted "cloned venv after allow"
out=$("$VENVD" export --hook bash "$W/cloned")
hook_eval bash <<<"$out"
assert_eq "$W/cloned/.venv" "$HOOK_VENV" "the hook activates the allowed venv"
assert_eq "" "$HOOK_NOTICE" "no notice once allowed"

say "1b. the git answer survives a restart (the index)"
daemon_stop
daemon_start
make_cloned cloned2
expect_trust "$W/cloned2" "untrusted:committed to git" "second clone"
expect_trust "$W/cloned" trusted "allowed venv after restart"

say "2. a venv in a git tree that is ignored, not committed, is trusted"
git init -q "$W/gitproj"
printf '.venv/\n' >"$W/gitproj/.gitignore"
mkvenv "$W/gitproj/.venv"
expect_trust "$W/gitproj" trusted "ignored venv in a git tree"

say "3. a group/other-writable bin/ is never trusted, not even after allow"
mkdir -p "$W/gw"
mkvenv "$W/gw/.venv"
if [ "$(id -u)" = 0 ]; then
	chgrp 65534 "$W/gw/.venv/bin"
	chmod g+w "$W/gw/.venv/bin"
	why="bin/ is writable by group"
else
	chmod o+w "$W/gw/.venv/bin"
	why="bin/ is writable by others"
fi
expect_trust "$W/gw" "untrusted:$why" "writable bin/"
if out=$("$VENVD" allow "$W/gw" 2>&1); then
	fail "allow of a writable bin/ succeeded: $out"
fi
case $out in *"$why"*) ;; *) fail "allow's refusal does not say why: $out" ;; esac
expect_trust "$W/gw" "untrusted:$why" "writable bin/ after allow"
out=$("$VENVD" export --hook bash "$W/gw")
hook_eval bash <<<"$out"
case $HOOK_VENV/$HOOK_NOTICE in /*"$why (fix that; venvd allow cannot override it)"*) ;;
*) fail "notice for the writable bin/: $out" ;; esac

say "4. .venv -> a venv owned by another uid is refused"
if [ "$(id -u)" = 0 ]; then
	mkdir -p "$T/someone-else" "$W/other"
	mkvenv "$T/someone-else/venv"
	chown -R 65534:65534 "$T/someone-else/venv"
	ln -s "$T/someone-else/venv" "$W/other/.venv"
	expect_trust "$W/other" "untrusted:the venv directory is owned by uid 65534, not by you or root" \
	    "symlinked venv of another uid"
	! "$VENVD" allow "$W/other" >/dev/null 2>&1 || fail "allow of another uid's venv succeeded"
else
	say "not root: skipped"
fi

say "5. a tarball's venv with bin/sudo is not trusted under auto"
mkdir -p "$T/tarsrc/proj"
mkvenv "$T/tarsrc/proj/.venv"
printf '#!/bin/sh\necho pwned\n' >"$T/tarsrc/proj/.venv/bin/sudo"
chmod 755 "$T/tarsrc/proj/.venv/bin/sudo"
tar -C "$T/tarsrc" -czf "$T/proj.tgz" proj
mkdir -p "$W/tar"
tar -C "$W/tar" -xzf "$T/proj.tgz"
expect_trust "$W/tar/proj" "untrusted:bin/sudo shadows a system command" "tarball venv"

say "5b. a trusted venv whose bin/ gains a system command name is judged again"
mkdir -p "$W/grow"
mkvenv "$W/grow/.venv"
expect_trust "$W/grow" trusted "a fresh venv"
expect_trust "$W/grow" trusted "the same venv, answered from the cache"
g0=$(generation)
printf '#!/bin/sh\necho pwned\n' >"$W/grow/.venv/bin/ls"
chmod 755 "$W/grow/.venv/bin/ls"
wait_for test "$(generation)" != "$g0" || fail "a new bin/ls did not move the generation"
expect_trust "$W/grow" "untrusted:bin/ls shadows a system command" "after bin/ls appeared"
rm "$W/grow/.venv/bin/ls"
wait_for test "$(trust_of "$W/grow")" = trusted || fail "bin/ls removed: $(trust_of "$W/grow")"
chmod o+w "$W/grow/.venv/bin"
wait_for test "$(trust_of "$W/grow")" != trusted || fail "a world-writable bin/ stayed trusted"
chmod o-w "$W/grow/.venv/bin"

say "6. deny, then delete and recreate: judged afresh"
"$VENVD" deny "$W/own/.venv" >/dev/null || fail "deny failed"
expect_trust "$W/own" denied "denied venv"
out=$("$VENVD" export --hook bash "$W/own")
hook_eval bash <<<"$out"
assert_eq "" "$HOOK_VENV$HOOK_NOTICE" "a denied venv: no activation and no notice"
json=$("$VENVD" trust --json)
assert_eq "allow deny" "$(jget "$json" '" ".join(sorted(d["decision"] for d in j["decisions"]))')" \
    "venvd trust --json lists both decisions"
"$VENVD" trust | grep_all -q "^deny .*$W/own/.venv\$" || fail "venvd trust: $("$VENVD" trust)"
rm -rf "$W/own/.venv"
mkvenv "$W/own/.venv"
wait_for test "$(trust_of "$W/own")" = trusted ||
    fail "recreated venv: $(trust_of "$W/own") (identity $(stat -c %d:%i "$W/own/.venv"))"
assert_eq "allow" "$(jget "$("$VENVD" trust --json)" '" ".join(d["decision"] for d in j["decisions"])')" \
    "the stale deny is gone"

say "6b. list records carry the trust verdict"
lst=$(rpc list '{}') || fail "list: $lst"
rec_trust() {
	jget "$lst" '[v.get("trust") for v in j["venvs"] if v["path"] == "'"$1"'"][0]'
}
assert_eq trusted "$(rec_trust "$W/cloned/.venv")" "list: the allowed venv"
assert_eq "untrusted:$why" "$(rec_trust "$W/gw/.venv")" "list: the writable bin/"
assert_eq "untrusted:bin/sudo shadows a system command" "$(rec_trust "$W/tar/proj/.venv")" "list: the tarball"

say "7. escapes in names and prompts are shown, not obeyed"
E=$'\e]0;pwned\a'
mkdir -p "$W/esc${E}x"
mkvenv "$W/esc${E}x/.venv"
printf 'prompt = p\033[2J\033]0;pwned\007q\n' >>"$W/esc${E}x/.venv/pyvenv.cfg"
# Judged (git included) before the client asks within its budget.
assert_eq trusted "$(trust_of "$W/esc${E}x")" "the venv with escapes in its name"
out=$("$VENVD" resolve "$W/esc${E}x")
case $out in *$'\e'*|*$'\a'*) fail "resolve printed a raw escape: $(printf %q "$out")" ;; esac
case $out in *'esc\e]0;pwned\x07x/.venv'*) ;; *) fail "resolve: $(printf %q "$out")" ;; esac
out=$(env -u VIRTUAL_ENV "$VENVD" export json "$W/esc${E}x")
assert_eq "p[2J]0;pwnedq" "$(jget "$out" 'j["set"]["VIRTUAL_ENV_PROMPT"]')" "VIRTUAL_ENV_PROMPT stripped of controls"
# An untrusted hostile venv: the notice shows the escapes.
mkdir -p "$W/esc${E}x/.venv/bin" && printf '#!/bin/sh\n' >"$W/esc${E}x/.venv/bin/su"
chmod 755 "$W/esc${E}x/.venv/bin/su"
out=$("$VENVD" export --hook bash "$W/esc${E}x")
hook_eval bash <<<"$out"
case $out in *$'\e'*|*$'\a'*) fail "hook code carries a raw escape: $(printf %q "$out")" ;; esac
assert_eq "" "$HOOK_VENV" "an untrusted hostile venv is not activated"
out=$HOOK_NOTICE
case $out in *$'\e'*|*$'\a'*) fail "notice carries a raw escape: $(printf %q "$out")" ;; esac
case $out in *'not activating '"$W"'/esc\e]0;pwned\x07x/.venv: bin/su shadows'*) ;;
*) fail "escaped notice: $(printf %q "$out")" ;; esac
out=$("$VENVD" list 2>&1 || true)
case $out in *'esc\e]0;pwned\x07x/.venv'*) ;; *) fail "list does not show the escaped name: $(printf %q "$out")" ;; esac
for cmd in status list doctor; do
	out=$("$VENVD" $cmd 2>&1 || true)
	case $out in *$'\e'*|*$'\a'*) fail "venvd $cmd printed a raw escape: $(printf %q "$out")" ;; esac
done
daemon_stop

say "7b. status with a hostile socket path"
SAVED_SOCKET=$VENVD_SOCKET
export VENVD_SOCKET="$T/run/e${E}/venvd.sock"
daemon_start
out=$("$VENVD" status)
case $out in *$'\e'*|*$'\a'*) fail "status printed a raw escape: $(printf %q "$out")" ;; esac
case $out in *'e\e]0;pwned\x07/venvd.sock'*) ;; *) fail "status: $(printf %q "$out")" ;; esac
daemon_stop
export VENVD_SOCKET=$SAVED_SOCKET

say "8. trust = ask and trust = all"
mkdir -p "$XDG_CONFIG_HOME/venvd"
printf 'trust = ask\n' >"$XDG_CONFIG_HOME/venvd/config"
mkdir -p "$W/mine"
mkvenv "$W/mine/.venv"
daemon_start
expect_trust "$W/mine" "untrusted:not allowed yet (trust = ask)" "ask: own venv"
"$VENVD" allow "$W/mine" >/dev/null || fail "allow under ask"
expect_trust "$W/mine" trusted "ask: after allow"
expect_trust "$W/tar/proj" "untrusted:not allowed yet (trust = ask)" "ask: tarball"
daemon_stop
printf 'trust = all\n' >"$XDG_CONFIG_HOME/venvd/config"
daemon_start
expect_trust "$W/tar/proj" trusted "all: tarball with sudo"
expect_trust "$W/cloned2" trusted "all: committed venv"
expect_trust "$W/gw" "untrusted:$why" "all: still the hard rule"
daemon_stop
rm -f "$XDG_CONFIG_HOME/venvd/config"

say "9. the fallback applies the hard rule, the git check and the shadow rule itself"
unset_answer() {
	VENVD_SOCKET="$T/nowhere/venvd.sock" "$VENVD" export --hook bash "$1" >"$T/unset_answer.out"
	hook_eval bash <"$T/unset_answer.out"
	printf '%s|%s' "$HOOK_VENV" "$HOOK_NOTICE"
}
assert_eq "$W/mine/.venv|" "$(unset_answer "$W/mine")" "fallback: own venv activates"
case $(unset_answer "$W/tar/proj") in
"|venvd: not activating $W/tar/proj/.venv: bin/sudo shadows a system command"*) ;;
*) fail "fallback: tarball: $(unset_answer "$W/tar/proj")" ;; esac
case $(unset_answer "$W/gw") in "|"*"$why"*) ;; *) fail "fallback: writable bin/" ;; esac
# It asks git as the daemon does, before the shadow rule: the committed venv is refused as committed.
case $(unset_answer "$W/cloned2") in "|"*"$W/cloned2/.venv: committed to git"*) ;; *) fail "fallback: cloned: $(unset_answer "$W/cloned2")" ;; esac
out=$(VENVD_SOCKET="$T/nowhere/venvd.sock" "$VENVD" export bash "$W/tar/proj" 2>&1 >/dev/null)
case $out in *"not activating"*) ;; *) fail "export (not hook) notice: $out" ;; esac
out=$(VENVD_SOCKET="$T/nowhere/venvd.sock" "$VENVD" export bash "$W/tar/proj" 2>/dev/null)
case $out in *VIRTUAL_ENV=*) fail "export activated an untrusted venv: $out" ;; esac

say "10. the state files must be private"
daemon_start
daemon_stop
db="$XDG_STATE_HOME/venvd/index.sqlite3"
test -f "$db" || fail "no index at $db"
assert_eq 600 "$(stat -c %a "$db")" "index mode"
assert_eq 700 "$(stat -c %a "$XDG_STATE_HOME/venvd")" "state dir mode"
chmod 644 "$db"
if out=$("$VENVD_DAEMON" --foreground 2>&1); then fail "daemon ran with a 0644 index"; fi
case $out in *"unsafe index database"*"mode 0644"*) ;; *) fail "no clear refusal for the index: $out" ;; esac
chmod 600 "$db"
chmod 750 "$XDG_STATE_HOME/venvd"
if out=$("$VENVD_DAEMON" --foreground 2>&1); then fail "daemon ran with a 0750 state dir"; fi
case $out in *"unsafe state directory"*) ;; *) fail "no clear refusal for the state dir: $out" ;; esac
chmod 700 "$XDG_STATE_HOME/venvd"
lock="$VENVD_SOCKET.lock"
if [ -f "$lock" ]; then
	chmod 644 "$lock"
	if out=$("$VENVD_DAEMON" --foreground 2>&1); then fail "daemon ran with a 0644 lock file"; fi
	case $out in *"unsafe lock file"*) ;; *) fail "no clear refusal for the lock: $out" ;; esac
	chmod 600 "$lock"
fi
daemon_start
daemon_stop

say "11. a slow git: the resolve waits for it while everyone else is served"
# The daemon's git is a wrapper whose ls-files notes that it started and
# then waits until the test creates $gate: git is exactly as slow as the
# test says, so nothing here depends on how fast git or the machine is.
real_git=$(command -v git)
gate="$T/gate"
mkdir -p "$T/slowgit" "$T/gitruns"
cat >"$T/slowgit/git" <<EOF
#!/bin/sh
case " \$* " in
*" ls-files "*)
	: >"$T/gitruns/\$\$"
	while [ ! -e "$gate" ]; do sleep 0.01; done ;;
esac
exec "$real_git" "\$@"
EOF
chmod 755 "$T/slowgit/git"
make_cloned gated
make_cloned gated2
mkdir -p "$W/plain"
git_running() {
	[ -n "$(ls -A "$T/gitruns")" ]
}
# The daemon must not give up on the gated git while this test, however
# slowly it runs, has not opened the gate yet.
mkdir -p "$XDG_CONFIG_HOME/venvd"
printf 'git_timeout = 3600\n' >"$XDG_CONFIG_HOME/venvd/config"
PATH="$T/slowgit:$PATH" daemon_start

say "11a. git never answers: the default wait ends with 'checking', and the hook stays quiet"
r=$(rpc resolve "{\"path\": $(json_str "$W/gated2")}") || fail "resolve gated2: $r"
assert_eq "untrusted:checking version control" "$(jget "$r" 'j["venv"]["trust"]')" \
    "the answer while git runs"
assert_eq false "$(jget "$r" 'j["cacheable"]')" "a 'checking' answer is not cacheable"
git_running || fail "the daemon did not start git"
# The client's budget (200 ms) outlasts the daemon's wait (150 ms): the
# daemon answers, so the client neither falls back (which would show the
# bin/ls notice) nor activates.
out=$("$VENVD" export --hook bash "$W/gated2")
hook_eval bash <<<"$out"
assert_eq "" "$HOOK_VENV" "no activation while git runs"
assert_eq "" "$HOOK_NOTICE" "no notice while git runs"

say "11b. a held resolve: others and status are answered, then the verdict once git ends"
"$PYTHON3" - "$VENVD_SOCKET" "$W/gated" "$W/plain" "$T/gitruns" "$gate" <<'EOF' || fail "held resolve (above)"
import json, os, select, socket, sys, time
sock, gated, plain, runs, gate = sys.argv[1:]

def conn():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sock)
    s.settimeout(30)
    return s

def send(s, id, method, params=None):
    s.sendall((json.dumps({"jsonrpc": "2.0", "id": id, "method": method,
                           "params": params or {}}) + "\n").encode())

def lines(s, n, buf=b""):
    while buf.count(b"\n") < n:
        chunk = s.recv(65536)
        if not chunk:
            sys.exit(f"FAIL: connection closed after {buf!r}")
        buf += chunk
    return [json.loads(l) for l in buf.split(b"\n")[:n]]

def fail(msg):
    sys.exit("FAIL: " + msg)

held = conn()
# A resolve that may wait 20 s for git, and a status pipelined behind it.
send(held, 1, "resolve", {"path": gated, "wait_ms": 20000})
send(held, 2, "status")
# Wait for git to be running for it (one more wrapper than for gated2).
deadline = time.monotonic() + 20
while len(os.listdir(runs)) < 2:
    if time.monotonic() > deadline:
        fail("git was not started for the held resolve")
    time.sleep(0.02)
# git is blocked, so the held connection cannot have had an answer yet.
def not_answered():
    if select.select([held], [], [], 0)[0]:
        fail(f"the held resolve was answered while git ran: {held.recv(65536)!r}")
not_answered()
# Meanwhile other clients are served, on fresh connections.
for i in range(20):
    c = conn()
    send(c, 1, "status")
    send(c, 2, "resolve", {"path": plain})
    st, r = lines(c, 2)
    c.close()
    if "result" not in st or st["result"].get("held") != 1:
        fail(f"status while a resolve is held: {st}")
    if "result" not in r or r["result"]["venv"] is not None:
        fail(f"resolve of a dir without venv while one is held: {r}")
not_answered()
open(gate, "w").close()
r, st = lines(held, 2)
if r.get("id") != 1 or st.get("id") != 2:
    fail(f"answers out of order: {r} {st}")
venv = r["result"]["venv"]
if venv["trust"] != "untrusted:committed to git" or r["result"]["cacheable"] is not True:
    fail(f"the held resolve's answer once git ended: {r}")
EOF
expect_trust "$W/gated" "untrusted:committed to git" "the held venv, asked again"
wait_for test "$(trust_of "$W/gated2")" = "untrusted:committed to git" ||
    fail "gated2 after git ended: $(trust_of "$W/gated2")"
daemon_stop

say "11c. git_timeout: a git that never answers is stopped and the venv is not trusted"
rm -f "$gate"
make_cloned gated3
printf 'git_timeout = 1\n' >"$XDG_CONFIG_HOME/venvd/config"
PATH="$T/slowgit:$PATH" daemon_start
want="untrusted:cannot tell whether it is committed to git: git took over 1 s"
wait_for test "$(trust_of "$W/gated3")" = "$want" ||
    fail "gated3 with git_timeout = 1: $(trust_of "$W/gated3")"
: >"$gate"
daemon_stop
rm -f "$XDG_CONFIG_HOME/venvd/config"
say "ok"
