#!/bin/bash
# trust_offline.sh: a venv the user denied stays refused while the daemon is
# down. The daemon exports its denies to the state directory ("denied", next
# to the index) at start and at each allow or deny; the client's local
# fallback reads that list, through the real daemon, real venvs and the real
# client: venvd exec refuses a denied venv with 126 and does not run CMD, the
# hook's answer (venvd export --hook) does not activate it and says nothing,
# hostile paths (a newline, quotes, bytes that are not UTF-8) round-trip,
# a list that cannot be trusted (a symbolic link, writable by others, cut
# short, not ours, missing next to the index) makes the fallback refuse every
# venv (it fails closed), an allow takes the venv off the list, and a stale
# deny (the venv deleted and made again) holds for its path until the daemon
# judges it afresh. The shells' side is tests/lib/trust_offline_harness.sh.
# shellcheck source=tests/lib/harness.sh
. "$TOP_SRCDIR/tests/lib/harness.sh"

W="$T/w"
LIST="$XDG_STATE_HOME/venvd/denied"
mkdir -p "$W"
# A venv-free PATH for the test's own commands, whatever ran make.
export PATH=/usr/local/bin:/usr/bin:/bin

# listed: the paths in the daemon's list, one per line ($'\n' in a path
# shown as \n), sorted; fails on a list that is not exactly the format.
listed() {
	"$PYTHON3" - "$LIST" <<'EOF'
import sys
data = open(sys.argv[1], "rb").read()
head = b"venvd denied 1\n"
assert data.startswith(head), data[:40]
recs = data[len(head):].split(b"\0")
assert recs[-1] == b"", "no NUL at the end"
recs = recs[:-1]
assert recs[-1] == b"end %d" % (len(recs) - 1), recs[-1]
out = []
for r in recs[:-1]:
    kind, dev, ino, born, path = r.split(b" ", 4)
    assert kind == b"deny" and path.startswith(b"/"), r
    int(dev), int(ino), int(born)
    out.append(path.replace(b"\n", b"\\n"))
sys.stdout.buffer.write(b"".join(p + b"\n" for p in sorted(out)))
EOF
}

# stop_daemon: venvd stop, as a user would, and wait until it is gone.
stop_daemon() {
	"$VENVD" stop >/dev/null || fail "venvd stop"
	daemon_stop
	daemon_answers && fail "the daemon still answers"
	return 0
}

# run_exec DIR: venvd exec -C DIR -- a python that creates $T/ran; prints
# the exit status; stderr in $T/err.
run_exec() {
	local rc=0
	rm -f "$T/ran"
	"$VENVD" exec -C "$1" -- python -c 'import sys; open(sys.argv[1], "w").write(sys.prefix)' \
	    "$T/ran" >/dev/null 2>"$T/err" || rc=$?
	echo "$rc"
}

# refused DIR VENV WHAT: exec refuses DIR's venv VENV as denied, CMD not
# run. VENV "": a hostile name, shown escaped; the words are checked.
refused() {
	local rc
	rc=$(run_exec "$1")
	[ "$rc" = 126 ] || fail "$3: exec exited $rc, expected 126: $(cat "$T/err")"
	[ ! -e "$T/ran" ] || fail "$3: CMD ran for a denied venv"
	if [ -n "$2" ]; then
		grep_all -q -x -F "venvd: not activating $2: denied (venvd allow $2 to trust it)" <"$T/err" ||
		    fail "$3: the reason: $(cat "$T/err")"
	else
		grep_all -q "^venvd: not activating .*: denied (venvd allow .* to trust it)$" <"$T/err" ||
		    fail "$3: the reason: $(cat "$T/err")"
	fi
}

# runs DIR VENV WHAT: exec runs CMD in DIR's venv VENV.
runs() {
	local rc
	rc=$(run_exec "$1")
	[ "$rc" = 0 ] || fail "$3: exec exited $rc: $(cat "$T/err")"
	assert_eq "$2" "$(cat "$T/ran")" "$3: CMD's python"
}

# cannot_tell DIR WHY WHAT: the fallback cannot read the list: DIR's venv
# (not denied) is refused with 126, saying WHY.
cannot_tell() {
	local rc
	rc=$(run_exec "$1")
	[ "$rc" = 126 ] || fail "$3: exec exited $rc, expected 126 (fail closed): $(cat "$T/err")"
	[ ! -e "$T/ran" ] || fail "$3: CMD ran"
	grep_all -q -F "cannot tell whether it was denied: $2" <"$T/err" || fail "$3: the reason: $(cat "$T/err")"
}

# hook_of DIR: what the bash hook's answer activates in DIR (nothing: ""), and its notice in $T/notice.
hook_of() {
	"$VENVD" export --hook bash "$1" >"$T/hook.out" 2>"$T/hook.err" || fail "export --hook: $(cat "$T/hook.err")"
	hook_eval bash <"$T/hook.out"
	printf '%s' "$HOOK_NOTICE" >"$T/notice"
	printf '%s' "$HOOK_VENV"
}

mkdir -p "$W/proj" "$W/ok"
mkvenv "$W/proj/.venv"
mkvenv "$W/ok/.venv"
# Hostile names: a newline (with what looks like the list's own records),
# quotes, and bytes that are not UTF-8 (python -m venv refuses such a
# name: the venv is made elsewhere and moved there).
NL="$W/new"$'\n'"end 0 deny 1 2 3 "
Q="$W/it's \"q\" \$(x)"
NU="$W/bytes"$'\xff\xfe'
mkdir -p "$NL" "$Q" "$NU"
mkvenv "$NL/.venv"
mkvenv "$Q/.venv"
mkvenv "$T/tmpvenv"
mv "$T/tmpvenv" "$NU/.venv"
# A sibling of each, not denied: a deny is for its exact path.
mkdir -p "$W/new" "$W/bytes"
mkvenv "$W/new/.venv"
mkvenv "$W/bytes/.venv"

say "1. no daemon ever ran here: no list, no index; the fallback activates"
[ ! -e "$LIST" ] || fail "a list before any daemon"
runs "$W/proj" "$W/proj/.venv" "no daemon ever ran"

say "2. deny with the daemon up: the list is written, private, in its exact format"
# A first start writes the (empty) list before it makes the index: the
# fallback refuses every venv while it sees an index without a list, and
# the hook's first prompt answers locally while the daemon starts.
if command -v strace >/dev/null; then
	real_daemon=$VENVD_DAEMON
	printf '#!/bin/sh\nexec strace -f -qq -o "%s" -e trace=openat,rename "%s" "$@"\n' \
	    "$T/start.strace" "$real_daemon" >"$T/traced-daemon"
	chmod +x "$T/traced-daemon"
	VENVD_DAEMON=$T/traced-daemon
	daemon_start
	VENVD_DAEMON=$real_daemon
	idx=$(grep -n -F "\"$XDG_STATE_HOME/venvd/index.sqlite3\", O_" "$T/start.strace" | sed -n '1s/:.*//p')
	lst=$(grep -n -F "\"$LIST\")" "$T/start.strace" | sed -n '1s/:.*//p')
	[ -n "$idx" ] && [ -n "$lst" ] || fail "no index open or list rename in the trace: $(cat "$T/start.strace")"
	(( lst < idx )) || fail "the first start made the index (line $idx) before the list (line $lst)"
else
	say "strace is not installed: the order of a first start is not checked"
	daemon_start
fi
[ -f "$LIST" ] || fail "the daemon did not write $LIST at start"
assert_eq "" "$(listed)" "the list at start, with no denies"
for d in "$W/proj" "$NL" "$Q" "$NU"; do
	"$VENVD" deny "$d" >/dev/null || fail "venvd deny $(printf %q "$d")"
done
[ "$(stat -c %a "$LIST")" = 600 ] || fail "the list's mode is $(stat -c %a "$LIST")"
[ ! -L "$LIST" ] || fail "the list is a symbolic link"
want=$(printf '%s\n' "$W/proj/.venv" "${NL//$'\n'/\\n}/.venv" "$Q/.venv" "$NU/.venv" | LC_ALL=C sort)
assert_eq "$want" "$(listed | LC_ALL=C sort)" "the listed paths, byte for byte"
refused "$W/proj" "$W/proj/.venv" "the daemon's own deny"
ls "$XDG_STATE_HOME/venvd" >"$T/ls"
grep_all -q -F "denied." <"$T/ls" && fail "a temporary file was left: $(cat "$T/ls")"

say "3. the daemon stopped (venvd stop): the fallback refuses the denied venvs"
stop_daemon
refused "$W/proj" "$W/proj/.venv" "denied, daemon down"
refused "$W/proj/.venv" "$W/proj/.venv" "denied, the venv itself"
runs "$W/ok" "$W/ok/.venv" "another venv, daemon down"
r=$("$VENVD" resolve --json "$W/proj")
assert_eq "local denied" "$(jget "$r" 'j["source"] + " " + j["venv"]["trust"]')" "venvd resolve, daemon down"
assert_eq "" "$(hook_of "$W/proj")" "the hook's answer does not activate the denied venv"
assert_eq "" "$(cat "$T/notice")" "nor says anything (a deny is silent)"
assert_eq "$W/ok/.venv" "$(hook_of "$W/ok")" "the hook's answer activates the other venv"
for d in "$NL" "$Q" "$NU"; do
	refused "$d" "" "a hostile name: $(printf %q "$d")"
done
runs "$W/new" "$W/new/.venv" "the newline name's sibling"
runs "$W/bytes" "$W/bytes/.venv" "the non-UTF-8 name's sibling"

say "4. a list the fallback cannot trust: every venv is refused (fail closed)"
mv "$LIST" "$T/list.saved"
ln -s "$T/list.saved" "$LIST"
cannot_tell "$W/ok" "$LIST is a symbolic link" "a symlinked list"
refused_any=$(run_exec "$W/proj")
assert_eq 126 "$refused_any" "the denied venv, with a symlinked list"
rm "$LIST"
cp -p "$T/list.saved" "$LIST"
for mode in 0622 0606 0666; do
	chmod "$mode" "$LIST"
	cannot_tell "$W/ok" "$LIST is writable by group or others" "a list of mode $mode"
done
chmod 0644 "$LIST"
runs "$W/ok" "$W/ok/.venv" "a list readable by others is still ours"
chmod 0600 "$LIST"
head -c -6 "$T/list.saved" >"$LIST"		# without "end 4\0"
cannot_tell "$W/ok" "$LIST: cut short (no end record)" "a list cut short after a record"
"$PYTHON3" -c 'import sys; d = open(sys.argv[1], "rb").read(); sys.stdout.buffer.write(d[:d.index(b"\0") - 2])' \
    "$T/list.saved" >"$LIST"				# in the first path
cannot_tell "$W/ok" "$LIST: cut short in record 1" "a list cut short in a record"
head -c -1 "$T/list.saved" >"$LIST"
cannot_tell "$W/ok" "$LIST: a bad end record" "a list cut short by one byte"
printf 'venvd denied 1\nend 0' >"$LIST"
cannot_tell "$W/ok" "$LIST: a bad end record" "an end record without its NUL"
: >"$LIST"
cannot_tell "$W/ok" "$LIST: not a list of denied venvs" "an empty file"
rm "$LIST"
mkdir "$LIST"
cannot_tell "$W/ok" "$LIST is not a regular file" "a directory"
rmdir "$LIST"
cannot_tell "$W/ok" "$LIST is missing while the index is there" "no list next to an index"
if [ "$(id -u)" = 0 ]; then
	cp "$T/list.saved" "$LIST"
	chown 65534:65534 "$LIST"
	cannot_tell "$W/ok" "$LIST is not yours" "another user's list"
	rm -f "$LIST"
fi
chmod 0755 "$XDG_STATE_HOME/venvd"
cannot_tell "$W/ok" "$XDG_STATE_HOME/venvd has mode 0755" "a state directory open to others"
chmod 0700 "$XDG_STATE_HOME/venvd"
# Another state directory where nothing was ever decided: no denies.
mkdir -p "$T/fresh"
rc=0
XDG_STATE_HOME="$T/fresh" "$VENVD" exec -C "$W/ok" -- true 2>"$T/err" || rc=$?
assert_eq 0 "$rc" "a state directory no daemon used: $(cat "$T/err")"

say "5. the daemon's start rewrites the list from the index, replacing a symbolic link"
printf 'not the list\n' >"$T/target"
ln -s "$T/target" "$LIST"
daemon_start
[ -f "$LIST" ] && [ ! -L "$LIST" ] || fail "the list is not a regular file after start"
assert_eq "not the list" "$(cat "$T/target")" "the link's target is untouched"
assert_eq "$want" "$(listed | LC_ALL=C sort)" "the list after start"

say "6. venvd allow: activated with the daemon up; off the list after it stops"
"$VENVD" allow "$W/proj" >/dev/null || fail "venvd allow"
runs "$W/proj" "$W/proj/.venv" "allowed, daemon up"
stop_daemon
listed >"$T/listed"
grep_all -q -x -F "$W/proj/.venv" <"$T/listed" && fail "the allowed venv is still listed"
runs "$W/proj" "$W/proj/.venv" "allowed, daemon down (judged by the rules)"
refused "$Q" "" "the other denies stay"

say "7. a deny holds for its path while the daemon is down, even for a venv made there again"
daemon_start
"$VENVD" deny "$W/proj" >/dev/null || fail "venvd deny again"
stop_daemon
rm -rf "$W/proj/.venv"
mkvenv "$W/proj/.venv"
refused "$W/proj" "$W/proj/.venv" "a new venv at a denied path, daemon down"
daemon_start
runs "$W/proj" "$W/proj/.venv" "the daemon judges the new venv afresh"
stop_daemon
listed >"$T/listed"
grep_all -q -x -F "$W/proj/.venv" <"$T/listed" && fail "the stale deny is still listed"
runs "$W/proj" "$W/proj/.venv" "the stale deny is gone for the fallback too"

say "8. a denied venv moved away (mv) is still denied by the fallback, by its identity"
mkdir -p "$W/mv1"
mkvenv "$W/mv1/.venv"
daemon_start
"$VENVD" deny "$W/mv1" >/dev/null || fail "venvd deny mv1"
stop_daemon
born=$("$PYTHON3" - "$LIST" "$W/mv1/.venv" <<'EOF'
import sys
data = open(sys.argv[1], "rb").read()
for r in data.split(b"\0"):
    if r.endswith(b" " + sys.argv[2].encode()):
        print(r.split(b" ")[3].decode())
EOF
)
mv "$W/mv1" "$W/mv2"
if [ "$born" = 0 ]; then
	say "this filesystem keeps no birth time: the identity cannot be told; by path only"
	runs "$W/mv2" "$W/mv2/.venv" "moved, no birth time"
else
	refused "$W/mv2" "$W/mv2/.venv" "moved after the deny"
fi

say "9. the daemon cannot write the list: logged, not fatal; the fallback fails closed"
rm -f "$LIST"
mkdir "$LIST"
daemon_start
"$VENVD" deny "$W/ok" >/dev/null || fail "deny failed when the list cannot be written"
grep_all -q "the local fallback will not see the latest denies" <"$DAEMON_LOG" ||
    fail "the failure is not logged"
daemon_answers || fail "the daemon died"
stop_daemon
cannot_tell "$W/new" "$LIST is not a regular file" "no list written"
rmdir "$LIST"
daemon_start
stop_daemon
refused "$W/ok" "$W/ok/.venv" "written at the next start"

say "all offline trust checks passed"
