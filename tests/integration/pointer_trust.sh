#!/bin/bash
# pointer_trust.sh: venvs reached through pointer files (a .venv file,
# .python-version, .pdm-python, .pdm.toml, a committed Pipfile) are judged
# like any venv, by their real path, through the real daemon (venvd resolve
# --json) and the client's fallback. A pointer only selects, it never
# grants: what it leads to is refused when the daemon would refuse it, and a
# pointer file someone else could write is not followed at all. The shell
# side (bash, zsh, fish) is tests/lib/pointer_harness.sh.
# shellcheck source=tests/lib/harness.sh
. "$TOP_SRCDIR/tests/lib/harness.sh"

command -v git >/dev/null 2>&1 || skip "git is not installed"
W="$T/w"
mkdir -p "$W"
CHECKING="untrusted:checking version control"
COMMITTED="untrusted:committed to git"
NONE="<no venv>"
export PYENV_ROOT="$T/pyenv" WORKON_HOME="$T/workon"

# answer_of JSON: "PATH TRUST" of a resolve answer, or $NONE.
# A path that is not UTF-8 comes back as its bytes.
answer_of() {
	"$PYTHON3" -c 'import json,sys; v=json.loads(sys.argv[1])["venv"]
s="<no venv>" if v is None else v["path"] + " " + v["trust"]
sys.stdout.buffer.write(s.encode("utf-8", "surrogateescape") + b"\n")' "$1"
}

# daemon_of DIR: "PATH TRUST" from the daemon, once git has answered.
daemon_of() {
	local r src v deadline=$(( $(date +%s) + 60 ))
	while :; do
		r=$("$VENVD" resolve --json "$1" 2>/dev/null) || r='{"venv":null,"source":"daemon"}'
		src=$(jget "$r" 'j.get("source", "daemon")')
		v=$(answer_of "$r")
		if [ "$(date +%s)" -ge "$deadline" ]; then
			[ "$src" = daemon ] || fail "resolve $1 was not answered by the daemon: $r"
			break
		fi
		[ "$src" = daemon ] && [[ $v != *" $CHECKING" ]] && break
		sleep 0.05
	done
	printf '%s\n' "$v"
}

# fallback_of DIR: the same from the client's fallback (no daemon there),
# which asks git itself; a busy machine can make git later than the
# fallback waits ("checking version control"): ask again until the deadline.
fallback_of() {
	local r v deadline=$(( $(date +%s) + 60 ))
	while :; do
		r=$(VENVD_SOCKET="$T/nowhere/venvd.sock" "$VENVD" resolve --json "$1" 2>/dev/null) ||
		    r='{"venv":null,"source":"local"}'
		[ "$(jget "$r" 'j.get("source", "local")')" = local ] || fail "fallback resolve $1 asked a daemon: $r"
		v=$(answer_of "$r")
		[[ $v != *" $CHECKING" ]] || [ "$(date +%s)" -ge "$deadline" ] && break
		sleep 0.05
	done
	printf '%s\n' "$v"
}

# expect_both DIR DAEMON FALLBACK WHAT: both answers, exactly.
expect_both() {
	assert_eq "$2" "$(daemon_of "$1")" "$4"
	assert_eq "$3" "$(fallback_of "$1")" "$4 (fallback)"
}

# hook_venv DIR: the venv `venvd export --hook bash DIR` (daemon or fallback) activates, or nothing.
hook_venv() {
	"$VENVD" export --hook bash "$1" >"$T/hook_venv.out"
	hook_eval bash <"$T/hook_venv.out"
	printf '%s' "$HOOK_VENV"
}

# clone SRC NAME: $W/NAME, cloned from SRC through a bare repository.
clone() {
	git clone -q --bare "$1" "$T/bare-$2.git"
	git clone -q "$T/bare-$2.git" "$W/$2"
}

daemon_start

say "1. a committed .venv FILE naming a venv committed in the same repository"
git init -q "$T/src-vf"
mkvenv "$T/src-vf/tools/env"				# no shadowing names: only git can tell
printf 'tools/env\n' >"$T/src-vf/.venv"
mkdir -p "$T/src-vf/sub/deeper"
printf '..\n' >"$T/src-vf/sub/.venv"			# not a venv: the walk goes on to the top
git -C "$T/src-vf" add -f -A
git_commit "$T/src-vf"
clone "$T/src-vf" vf
expect_both "$W/vf" "$W/vf/tools/env $COMMITTED" "$W/vf/tools/env $COMMITTED" "committed .venv file"
expect_both "$W/vf/sub/deeper" "$W/vf/tools/env $COMMITTED" "$W/vf/tools/env $COMMITTED" \
    "committed .venv file, from below"
assert_eq "" "$(hook_venv "$W/vf")" "the hook does not activate the committed venv"
assert_eq "" "$(VENVD_SOCKET="$T/nowhere/venvd.sock" hook_venv "$W/vf")" \
    "the fallback's hook answer does not activate it either"
"$VENVD" export --hook bash "$W/vf" >"$T/vf.hook"
hook_eval bash <"$T/vf.hook"
case $HOOK_NOTICE in
*"venvd: not activating $W/vf/tools/env: committed to git (venvd allow $W/vf to trust it)"*) ;;
*) fail "no clear notice for the committed .venv file: $HOOK_NOTICE" ;;
esac
"$VENVD" allow "$W/vf" >/dev/null || fail "venvd allow $W/vf"
# The fallback cannot see the allow (only denies are exported to it).
expect_both "$W/vf" "$W/vf/tools/env trusted" "$W/vf/tools/env $COMMITTED" "after venvd allow"
assert_eq "$W/vf/tools/env" "$(hook_venv "$W/vf")" "the hook activates it after allow"

say "1b. a .venv file naming '.' in a repository whose top directory is a committed venv"
make_root_repo "$T/src-dot"
printf '.\n' >"$T/src-dot/.venv"
mkdir -p "$T/src-dot/pkg"
printf '..\n' >"$T/src-dot/pkg/.venv"
git -C "$T/src-dot" add -f -A
git_commit "$T/src-dot"
clone "$T/src-dot" dot
expect_both "$W/dot" "$W/dot $COMMITTED" "$W/dot $COMMITTED" "'.' at a root venv"
# From pkg/, the .venv file's '..' leads to the committed root venv.
r=$(daemon_of "$W/dot/pkg")
case $r in "$W/dot/pkg/.. $COMMITTED" | "$W/dot $COMMITTED") ;;
*) fail "'..' to a committed root venv: $r" ;; esac
# Without shadowing names, only the repository tells: the fallback asks git too.
make_root_repo "$T/src-dot2"
rm "$T/src-dot2/bin/npm"
mkdir -p "$T/src-dot2/pkg"
printf '..\n' >"$T/src-dot2/pkg/.venv"
git -C "$T/src-dot2" add -f -A
git_commit "$T/src-dot2"
clone "$T/src-dot2" dot2
case $(daemon_of "$W/dot2/pkg") in *" $COMMITTED") ;; *) fail "dot2/pkg: $(daemon_of "$W/dot2/pkg")" ;; esac
case $(fallback_of "$W/dot2/pkg") in *" $COMMITTED") ;; *) fail "dot2/pkg (fallback): $(fallback_of "$W/dot2/pkg")" ;; esac

say "2. what the pointer leads to passes the hard rule"
if [ "$(id -u)" = 0 ]; then
	# root's hard rule: owned by root or by us (root); another uid fails.
	mkvenv "$T/theirs"
	chown -R 65534:65534 "$T/theirs"
	mkdir -p "$W/tothem"
	printf '%s\n' "$T/theirs" >"$W/tothem/.venv"
	why="untrusted:the venv directory is owned by uid 65534, not by you or root"
	expect_both "$W/tothem" "$T/theirs $why" "$T/theirs $why" ".venv file -> another user's venv"
	out=$("$VENVD" allow "$W/tothem" 2>&1) && fail "allow of another user's venv succeeded: $out"
	case $out in *"owned by uid 65534"*) ;; *) fail "allow's refusal: $out" ;; esac
	# By name in $WORKON_HOME too.
	mkdir -p "$WORKON_HOME" "$W/byname"
	mkvenv "$WORKON_HOME/shared"
	chown -R 65534:65534 "$WORKON_HOME/shared"
	printf 'shared\n' >"$W/byname/.venv"
	expect_both "$W/byname" "$WORKON_HOME/shared $why" "$WORKON_HOME/shared $why" \
	    ".venv file -> another user's venv by name"
else
	say "not root: another user's venv cannot be made; skipped"
fi
mkdir -p "$W/ours"
mkvenv "$W/ours/env"
# Group write counts unless the group is our user private group: as root,
# a file of group nogroup (root's group 0 is private to root here).
modes="0646 0666"
[ "$(id -u)" = 0 ] && modes="$modes 0664"
for mode in $modes; do
	mkdir -p "$W/loose$mode"
	printf '../ours/env\n' >"$W/loose$mode/.venv"
	chmod "$mode" "$W/loose$mode/.venv"
	[ "$mode" = 0664 ] && chgrp 65534 "$W/loose$mode/.venv"
	expect_both "$W/loose$mode" "$NONE" "$NONE" ".venv file of mode $mode is not followed"
	chmod 0644 "$W/loose$mode/.venv"
	expect_both "$W/loose$mode" "$W/ours/env trusted" \
	    "$W/ours/env trusted" ".venv file made 0644: followed (by its real path)"
done
grep_all -F "not following $W/loose0646/.venv: it is writable by others" <"$DAEMON_LOG" >/dev/null ||
    fail "the daemon's log does not say why the loose .venv file was not followed"
if [ "$(id -u)" = 0 ]; then
	mkdir -p "$W/theirptr"
	printf '../ours/env\n' >"$W/theirptr/.venv"
	chown 65534:65534 "$W/theirptr/.venv"
	expect_both "$W/theirptr" "$NONE" "$NONE" ".venv file owned by another user is not followed"
	out=$(VENVD_SOCKET="$T/nowhere/venvd.sock" "$VENVD" resolve "$W/theirptr" 2>&1 || true)
	case $out in *"not following $W/theirptr/.venv: it is owned by uid 65534"*) ;;
	*) fail "the fallback does not say why: $out" ;; esac
fi

say "3. a .venv file that is a symlink, swapped after the check"
mkdir -p "$W/sl" "$T/ptrs"
mkvenv "$W/sl/a"
mkvenv "$W/sl/b"
printf '%s\n' "$W/sl/a" >"$T/ptrs/p"
ln -s "$T/ptrs/p" "$W/sl/.venv"
expect_both "$W/sl" "$W/sl/a trusted" "$W/sl/a trusted" "symlinked .venv file"
g0=$(generation)
printf '%s\n' "$W/sl/b" >"$T/ptrs/p"				# rewritten in place
wait_for test "$(generation)" != "$g0" || fail "rewriting the link's target did not move the generation"
expect_both "$W/sl" "$W/sl/b trusted" "$W/sl/b trusted" "the target rewritten"
g0=$(generation)
printf '%s\n' "$W/vf/tools/env" >"$T/ptrs/q"
mv "$T/ptrs/q" "$T/ptrs/p"					# replaced by rename: now a committed venv
wait_for test "$(generation)" != "$g0" || fail "renaming over the link's target did not move the generation"
"$VENVD" deny "$W/vf" >/dev/null || fail "venvd deny $W/vf"	# undo the allow of 1
# The fallback sees the deny too (the list the daemon exports).
expect_both "$W/sl" "$W/vf/tools/env denied" "$W/vf/tools/env denied" "the target renamed over"
g0=$(generation)
printf '%s\n' "$W/sl/a" >"$T/ptrs/r"
ln -sfn "$T/ptrs/r" "$W/sl/.venv"				# the link itself swapped
wait_for test "$(generation)" != "$g0" || fail "swapping the link did not move the generation"
expect_both "$W/sl" "$W/sl/a trusted" "$W/sl/a trusted" "the link swapped"
chmod 0666 "$T/ptrs/r"						# the target made loose: not followed
expect_both "$W/sl" "$NONE" "$NONE" "a loose file behind the link"

say "4. what a .venv file may hold"
mkdir -p "$W/t/a/b"
mkvenv "$W/t/env"
printf '../../env\n' >"$W/t/a/b/.venv"				# traversal: a path like any other
expect_both "$W/t/a/b" "$W/t/env trusted" "$W/t/env trusted" "'../..' to our own venv"
printf '../../../../../../../../../../../../../../../../..\n' >"$W/t/a/b/.venv"
expect_both "$W/t/a/b" "$NONE" "$NONE" "'../..' up to /: not a venv"
printf '%s/../vf/tools/env\n' "$W/t" >"$W/t/a/b/.venv"	# traversal into a committed venv
expect_both "$W/t/a/b" "$W/vf/tools/env denied" "$W/vf/tools/env denied" "traversal into a clone"
mkdir -p "$WORKON_HOME/store/x" "$W/names"
mkvenv "$WORKON_HOME/ok"
mkvenv "$T/outside"
# A name holds no '/', and '.' or '..' is never looked up in the store.
for content in '..' '.' 'store/../ok' '../outside'; do
	printf '%s\n' "$content" >"$W/names/.venv"
	expect_both "$W/names" "$NONE" "$NONE" ".venv file holding [$content]"
done
printf 'ok\n' >"$W/names/.venv"
expect_both "$W/names" "$WORKON_HOME/ok trusted" "$WORKON_HOME/ok trusted" "a name in the store"
printf 'ok\0junk\n' >"$W/names/.venv"
expect_both "$W/names" "$NONE" "$NONE" "a NUL byte"
"$PYTHON3" -c 'import sys; open(sys.argv[1], "w").write("ok" + "/" * 5000 + "\n")' "$W/names/.venv"
expect_both "$W/names" "$NONE" "$NONE" "a huge line"
"$PYTHON3" -c 'import sys; open(sys.argv[1], "w").write("a" * 300 + "\n")' "$W/names/.venv"
expect_both "$W/names" "$NONE" "$NONE" "a name too long for a file name"
mkdir -p "$T/src-nu"
git init -q "$T/src-nu"
mkvenv "$T/src-nu/envtmp"				# python -m venv refuses such a name
mv "$T/src-nu/envtmp" "$T/src-nu/"$'env\xff'
printf 'env\xff\n' >"$T/src-nu/.venv"
git -C "$T/src-nu" add -f -A
git_commit "$T/src-nu"
clone "$T/src-nu" nu
r=$("$VENVD" resolve --json "$W/nu")
[ "$(jget "$r" 'j["venv"]["found_as"]')" = venv-file ] || fail "non-UTF-8 name not found: $r"
expect_both "$W/nu" "$W/nu/env"$'\xff'" $COMMITTED" "$W/nu/env"$'\xff'" $COMMITTED" "a committed venv named in bytes that are not UTF-8"

say "5. .python-version committed, naming our own pyenv virtualenv: ours, allowed"
mkdir -p "$PYENV_ROOT/versions/3.11.2/envs"
mkvenv "$PYENV_ROOT/versions/3.11.2/envs/proj-env"
ln -s "$PYENV_ROOT/versions/3.11.2/envs/proj-env" "$PYENV_ROOT/versions/proj-env"
say "the documented pyenv-virtualenv layout, built by hand (the real pyenv is tested by the locator's own tests)"
git init -q "$T/src-pv"
printf 'proj-env\n' >"$T/src-pv/.python-version"
git -C "$T/src-pv" add -A
git_commit "$T/src-pv"
clone "$T/src-pv" pv
expect_both "$W/pv" "$PYENV_ROOT/versions/proj-env trusted" "$PYENV_ROOT/versions/proj-env trusted" \
    "committed .python-version -> our own pyenv env"
# Path-like entries never name anything outside versions/.
mkvenv "$PYENV_ROOT/x"
mkvenv "$T/abs"
mkdir -p "$W/pvbad"
for content in '../x' "$T/abs" 'proj-env/../../x' './proj-env' '3.11.2//envs/proj-env'; do
	printf '%s\n' "$content" >"$W/pvbad/.python-version"
	expect_both "$W/pvbad" "$NONE" "$NONE" ".python-version holding [$content]"
done
# A committed venv inside the project is not a pyenv entry either.
git init -q "$T/src-pv2"
mkvenv "$T/src-pv2/env"
printf '../../../%s\n' "${T#/}/src-pv2/env" >"$T/src-pv2/.python-version"
git -C "$T/src-pv2" add -f -A
git_commit "$T/src-pv2"
clone "$T/src-pv2" pv2
expect_both "$W/pv2" "$NONE" "$NONE" ".python-version climbing out of versions/"

say "6. .pdm-python and .pdm.toml pointing at a committed venv's python"
git init -q "$T/src-pdm"
mkvenv "$T/src-pdm/envs/dev"
printf 'envs/dev/bin/python\n' >"$T/src-pdm/.pdm-python"
mkdir -p "$T/src-pdm/old"
mkvenv "$T/src-pdm/old/env"
printf '[python]\npath = "old/env/bin/python"\n' >"$T/src-pdm/old/.pdm.toml"
git -C "$T/src-pdm" add -f -A
git_commit "$T/src-pdm"
clone "$T/src-pdm" pdm
expect_both "$W/pdm" "$W/pdm/envs/dev $COMMITTED" "$W/pdm/envs/dev $COMMITTED" "committed .pdm-python"
case $(daemon_of "$W/pdm/old") in *" $COMMITTED") ;; *) fail "committed .pdm.toml: $(daemon_of "$W/pdm/old")" ;; esac
case $(fallback_of "$W/pdm/old") in *" $COMMITTED") ;; *) fail "committed .pdm.toml (fallback)" ;; esac
mkdir -p "$W/pdmloose"
printf '%s/ours/env/bin/python\n' "$W" >"$W/pdmloose/.pdm-python"
chmod 0666 "$W/pdmloose/.pdm-python"
expect_both "$W/pdmloose" "$NONE" "$NONE" "a .pdm-python others can write is not followed"
chmod 0644 "$W/pdmloose/.pdm-python"
expect_both "$W/pdmloose" "$W/ours/env trusted" "$W/ours/env trusted" "made 0644: followed"

say "7. a committed Pipfile: its central venv is ours; a committed in-project venv is not"
git init -q "$T/src-pipe"
printf '[packages]\n' >"$T/src-pipe/Pipfile"
git -C "$T/src-pipe" add -A
git_commit "$T/src-pipe"
clone "$T/src-pipe" pipe
name=$("$PYTHON3" -c 'import base64,hashlib,os,sys
p=os.path.realpath(sys.argv[1]) + "/Pipfile"
print("pipe-" + base64.urlsafe_b64encode(hashlib.sha256(p.encode()).digest()[:6]).decode()[:8])' "$W/pipe")
mkvenv "$WORKON_HOME/$name"
expect_both "$W/pipe" "$WORKON_HOME/$name trusted" "$WORKON_HOME/$name trusted" "a committed Pipfile's central venv"
git init -q "$T/src-pipe2"
printf '[packages]\n' >"$T/src-pipe2/Pipfile"
mkvenv "$T/src-pipe2/.venv"
git -C "$T/src-pipe2" add -f -A
git_commit "$T/src-pipe2"
clone "$T/src-pipe2" pipe2
expect_both "$W/pipe2" "$W/pipe2/.venv $COMMITTED" "$W/pipe2/.venv $COMMITTED" "a committed in-project venv"

say "8. the fallback activates our own venv outside any repository"
assert_eq "$W/ours/env" "$(VENVD_SOCKET="$T/nowhere/venvd.sock" hook_venv "$W/loose0646")" \
    "the fallback activates a venv no repository holds"
say "all pointer trust checks passed"
