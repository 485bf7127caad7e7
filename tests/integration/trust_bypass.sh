#!/bin/bash
# trust_bypass.sh: issue 11's bypasses of the trust rules, through the real
# daemon (venvd resolve --json) and the client's fallback:
#   1. a venv committed to a repository that holds it anywhere: the
#      work-tree root, behind a .venv symlink, a submodule, a linked
#      worktree, a separate git dir (a table of layouts, with untracked
#      controls and git failures that must fail closed);
#   3. every entry of bin/ and where its symlinks lead fall under the hard rule;
#   4. an allow covers the shadowing names bin/ had when it was given;
#   5. the shadow list: docker, kubectl, apt, perl, ruby, node, npm, bin/Ls.
# The shell side (bash, zsh, fish) is in tests/lib/trust_harness.sh.
# shellcheck source=tests/lib/harness.sh
. "$TOP_SRCDIR/tests/lib/harness.sh"

command -v git >/dev/null 2>&1 || skip "git is not installed"
W="$T/w"
mkdir -p "$W"
CHECKING="untrusted:checking version control"
FAILED="untrusted:cannot tell whether it is committed to git: "

# json_str S: S as a JSON string.
json_str() {
	"$PYTHON3" -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$1"
}

# trust_of DIR: "trust" of `venvd resolve --json DIR` from the daemon, once
# git has answered. A busy machine can take longer than the client waits,
# for git or for the daemon itself (the client then answers alone): ask
# again until the deadline.
trust_of() {
	local r v src deadline=$(( $(date +%s) + 60 ))
	while :; do
		r=$("$VENVD" resolve --json "$1") || fail "venvd resolve --json $1: $r"
		src=$(jget "$r" 'j["source"]')
		v=$(jget "$r" '(j["venv"] or {}).get("trust", "<no trust>")')
		if [ "$(date +%s)" -ge "$deadline" ]; then
			[ "$src" = daemon ] || fail "resolve $1 was not answered by the daemon: $r"
			break
		fi
		[ "$src" = daemon ] && [ "$v" != "$CHECKING" ] && break
		sleep 0.05
	done
	printf '%s\n' "$v"
}

# fallback_of DIR: "trust" from the client's fallback (no daemon there),
# which asks git itself (waiting a short while), with $FB_PATH as its PATH
# when set. A busy machine can make git late, and a late git is "checking
# version control": ask again until the deadline.
fallback_of() {
	local r v deadline=$(( $(date +%s) + 60 ))
	while :; do
		r=$(PATH=${FB_PATH:-$PATH} VENVD_SOCKET="$T/nowhere/venvd.sock" "$VENVD" resolve --json "$1") ||
		    fail "fallback resolve $1: $r"
		[ "$(jget "$r" 'j["source"]')" = local ] || fail "fallback resolve $1 asked a daemon: $r"
		v=$(jget "$r" '(j["venv"] or {}).get("trust", "<no trust>")')
		[ "$v" != "$CHECKING" ] || [ "$(date +%s)" -ge "$deadline" ] && break
		sleep 0.05
	done
	printf '%s\n' "$v"
}

# expect_trust DIR WANT WHAT: the daemon's verdict; WANT ending in "*" is a prefix.
expect_trust() {
	local got
	got=$(trust_of "$1")
	case $2 in
	*"*") [[ $got == "${2%"*"}"* ]] || fail "$3: expected [$2], got [$got]" ;;
	*) assert_eq "$2" "$got" "$3" ;;
	esac
}

# expect_fallback DIR WANT WHAT: the same for the fallback.
expect_fallback() {
	local got
	got=$(fallback_of "$1")
	case $2 in
	*"*") [[ $got == "${2%"*"}"* ]] || fail "$3 (fallback): expected [$2], got [$got]" ;;
	*) assert_eq "$2" "$got" "$3 (fallback)" ;;
	esac
}

# allow_refused DIR WHY: venvd allow refuses DIR and says why.
allow_refused() {
	local out
	if out=$("$VENVD" allow "$1" 2>&1); then
		fail "venvd allow $1 succeeded: $out"
	fi
	case $out in *"$2"*) ;; *) fail "allow's refusal for $1 does not say [$2]: $out" ;; esac
}

# notice_of DIR: the notice the hook would print for DIR.
notice_of() {
	"$VENVD" export --hook bash "$1" >"$T/notice_of.out"
	hook_eval bash <"$T/notice_of.out"
	printf '%s|%s' "$HOOK_VENV" "$HOOK_NOTICE"
}

# venv_bin DIR NAME...: $DIR/.venv with executables NAME... printing "pwned".
venv_bin() {
	local d=$1 n
	shift
	mkdir -p "$d"
	mkvenv "$d/.venv"
	for n in "$@"; do
		put_pwned "$d/.venv/bin/$n"
	done
}

daemon_start

say "1. layouts: the venv's own files, asked in whichever repository holds them"
# Committed layouts.
make_root_clone rootclone				# the clone's top directory is the venv
make_root_clone other
mkdir -p "$W/linkproj"
ln -s "$W/other" "$W/linkproj/.venv"			# .venv -> another repository's root
make_root_repo "$T/src-sub"				# a submodule that is the venv
git init -q "$T/src-mod"				# a submodule that commits its .venv
mkvenv "$T/src-mod/.venv"
put_pwned "$T/src-mod/.venv/bin/ls"
git -C "$T/src-mod" add -A
git_commit "$T/src-mod"
git init -q "$T/src-super"
git -C "$T/src-super" -c protocol.file.allow=always submodule add -q "$T/src-sub" .venv
git -C "$T/src-super" -c protocol.file.allow=always submodule add -q "$T/src-mod" mod
git_commit "$T/src-super"
git -c protocol.file.allow=always clone -q --recurse-submodules "$T/src-super" "$W/super"
[ -f "$W/super/.venv/pyvenv.cfg" ] && [ -f "$W/super/mod/.venv/pyvenv.cfg" ] ||
    fail "the submodules were not checked out"
make_root_repo "$T/src-wt"				# a linked worktree that is the venv
git -C "$T/src-wt" worktree add -q --detach "$W/wtroot"
make_cloned cloned					# a linked worktree committing .venv
git -C "$T/src-cloned" worktree add -q --detach "$W/wtproj"
git init -q --separate-git-dir "$T/sep.git" "$W/sep"	# a separate git dir
mkvenv "$W/sep"
put_pwned "$W/sep/bin/npm"
git -C "$W/sep" add -f -A
git_commit "$W/sep"
# Controls: in a repository, but none of the venv's files tracked.
git init -q "$W/ctlroot"				# venv at the top, only README tracked
mkvenv "$W/ctlroot"
echo readme >"$W/ctlroot/README"
git -C "$W/ctlroot" add README
git_commit "$W/ctlroot"
mkdir -p "$W/ctllink"
ln -s "$W/ctlroot" "$W/ctllink/.venv"			# .venv -> that untracked root
git init -q "$T/src-ctlwt"				# a linked worktree, .venv ignored
printf '.venv/\n' >"$T/src-ctlwt/.gitignore"
git -C "$T/src-ctlwt" add .gitignore
git_commit "$T/src-ctlwt"
git -C "$T/src-ctlwt" worktree add -q --detach "$W/ctlwt"
mkvenv "$W/ctlwt/.venv"
git init -q --separate-git-dir "$T/sep2.git" "$W/ctlsep"	# separate git dir, untracked
mkvenv "$W/ctlsep"
echo readme >"$W/ctlsep/README"
git -C "$W/ctlsep" add README
git_commit "$W/ctlsep"
mkdir -p "$W/ctlplain"					# no repository at all
mkvenv "$W/ctlplain/.venv"

COMMITTED="untrusted:committed to git"
# DIR | the daemon's verdict | the fallback's: the same (it asks git the
# daemon's question) | the fallback's with no git installed (nothing to
# ask: the shadow rule, as the daemon has it)
mkdir -p "$T/nogit"
while IFS='|' read -r dir want nogit; do
	[ -n "$dir" ] || continue
	expect_trust "$W/$dir" "$want" "layout $dir"
	expect_fallback "$W/$dir" "$want" "layout $dir"
	assert_eq "$nogit" "$(FB_PATH="$T/nogit" fallback_of "$W/$dir")" "layout $dir (fallback, no git)"
done <<EOF
rootclone|$COMMITTED|untrusted:bin/npm shadows a system command
linkproj|$COMMITTED|untrusted:bin/npm shadows a system command
super|$COMMITTED|untrusted:bin/npm shadows a system command
super/mod|$COMMITTED|untrusted:bin/ls shadows a system command
wtroot|$COMMITTED|untrusted:bin/npm shadows a system command
wtproj|$COMMITTED|untrusted:bin/ls shadows a system command
sep|$COMMITTED|untrusted:bin/npm shadows a system command
ctlroot|trusted|trusted
ctllink|trusted|trusted
ctlwt|trusted|trusted
ctlsep|trusted|trusted
ctlplain|trusted|trusted
EOF
# The hook neither activates the root clone nor stays silent about it.
assert_eq "|venvd: not activating $W/rootclone: committed to git (venvd allow $W/rootclone to trust it)" \
    "$(notice_of "$W/rootclone")" "the hook's answer for the root clone"

say "1b. git cannot answer: untrusted, never trusted by default"
git init -q "$W/corrupt"
mkvenv "$W/corrupt/.venv"
printf 'garbage' >"$W/corrupt/.git/index"
expect_trust "$W/corrupt" "$FAILED*" "a corrupt index"
expect_fallback "$W/corrupt" "$FAILED*" "a corrupt index"
mkdir -p "$W/barein"					# an implicit bare repository inside the venv
mkvenv "$W/barein/.venv"
git init -q --bare "$T/skel.git"
cp -R "$T/skel.git/HEAD" "$T/skel.git/objects" "$T/skel.git/refs" "$T/skel.git/config" "$W/barein/.venv/"
expect_trust "$W/barein" "$FAILED*" "a venv that looks like a bare repository"
expect_fallback "$W/barein" "$FAILED*" "a venv that looks like a bare repository"
if [ "$(id -u)" = 0 ]; then
	git init -q "$W/dubious"
	mkvenv "$W/dubious/.venv"
	chown 65534:65534 "$W/dubious" "$W/dubious/.git"
	expect_trust "$W/dubious" "${FAILED}detected dubious ownership*" "a repository owned by another user"
	expect_fallback "$W/dubious" "${FAILED}detected dubious ownership*" "a repository owned by another user"
	case $(notice_of "$W/dubious") in
	"|venvd: not activating $W/dubious/.venv: cannot tell whether it is committed to git: detected dubious ownership"*"(venvd allow $W/dubious to trust it)") ;;
	*) fail "notice for the dubious repository: $(notice_of "$W/dubious")" ;;
	esac
else
	say "not root: the dubious-ownership row is skipped"
fi

say "1c. GIT_* in the daemon's or the client's environment cannot redirect the check"
daemon_stop
git init -q --bare "$T/empty.git"
GIT_DIR="$T/empty.git" GIT_WORK_TREE="$T" daemon_start
make_root_clone rootclone2
expect_trust "$W/rootclone2" "$COMMITTED" "a root clone with GIT_DIR set for the daemon"
expect_trust "$W/ctlplain" trusted "a plain venv with GIT_DIR set for the daemon"
assert_eq "$COMMITTED" "$(GIT_DIR="$T/empty.git" GIT_WORK_TREE="$T" fallback_of "$W/rootclone2")" \
    "a root clone with GIT_DIR set for the client (fallback)"
assert_eq trusted "$(GIT_DIR="$W/rootclone/.git" GIT_WORK_TREE="$W/rootclone" fallback_of "$W/ctlroot")" \
    "an untracked venv with GIT_DIR naming a repository that tracks a venv (fallback)"
daemon_stop
daemon_start

say "3. every entry of bin/, and where its links lead, under the hard rule"
mkdir -p "$W/wwpy"
mkvenv "$W/wwpy/.venv"
rm "$W/wwpy/.venv/bin/python"				# a file, not the link to the system's
put_pwned "$W/wwpy/.venv/bin/python"
chmod 0757 "$W/wwpy/.venv/bin/python"
mkdir -p "$T/wwdir" "$T/sticky" "$W/wwdir" "$W/dangle" "$W/stickyok"
chmod 0777 "$T/wwdir"
chmod 1777 "$T/sticky"
put_pwned "$T/wwdir/python"
mkvenv "$W/wwdir/.venv"
ln -sf "$T/wwdir/python" "$W/wwdir/.venv/bin/python"	# a safe file in a directory anyone can write
mkvenv "$W/dangle/.venv"
ln -s "$T/sticky/tool" "$W/dangle/.venv/bin/tool"	# a missing file anyone may create
mkvenv "$W/stickyok/.venv"
put_pwned "$T/sticky/ours"
ln -s "$T/sticky/ours" "$W/stickyok/.venv/bin/ours"	# our own file in a sticky directory
mkdir -p "$W/dangleok"
mkvenv "$W/dangleok/.venv"
ln -s "$T/nonexistent-dir/tool" "$W/dangleok/.venv/bin/gone"	# a missing file in our private tree
while IFS='|' read -r dir want; do
	[ -n "$dir" ] || continue
	expect_trust "$W/$dir" "$want" "bin entry: $dir"
	expect_fallback "$W/$dir" "$want" "bin entry: $dir"
	case $want in untrusted:*) allow_refused "$W/$dir" "${want#untrusted:}" ;; esac
done <<EOF
wwpy|untrusted:bin/python is writable by others
wwdir|untrusted:bin/python links into $T/wwdir, which is writable by group and others
dangle|untrusted:bin/tool links to a missing file in $T/sticky, which is writable by group and others
stickyok|trusted
dangleok|trusted
EOF
# A trusted venv whose bin/ entry turns writable is judged again.
put_pwned "$W/stickyok/.venv/bin/tool"
expect_trust "$W/stickyok" trusted "before the chmod"
chmod o+w "$W/stickyok/.venv/bin/tool"
wait_for test "$(trust_of "$W/stickyok")" = "untrusted:bin/tool is writable by others" ||
    fail "a writable bin/tool: $(trust_of "$W/stickyok")"
chmod o-w "$W/stickyok/.venv/bin/tool"
case $(notice_of "$W/wwpy") in
"|venvd: not activating $W/wwpy/.venv: bin/python is writable by others (fix that; venvd allow cannot override it)") ;;
*) fail "notice for the writable bin/python: $(notice_of "$W/wwpy")" ;;
esac
if [ "$(id -u)" = 0 ]; then
	mkdir -p "$T/someone" "$W/otherpy" "$W/wwtarget" "$W/gwpip" "$W/otherent"
	put_pwned "$T/someone/python"
	chmod 0777 "$T/someone/python"
	chown 65534:65534 "$T/someone/python"
	mkvenv "$W/otherpy/.venv"
	ln -sf "$T/someone/python" "$W/otherpy/.venv/bin/python"	# another user's 0777 file
	put_pwned "$T/rootww"
	chmod 0777 "$T/rootww"
	mkvenv "$W/wwtarget/.venv"
	ln -sf "$T/rootww" "$W/wwtarget/.venv/bin/python"		# a 0777 file of ours
	mkvenv "$W/gwpip/.venv"
	put_pwned "$W/gwpip/.venv/bin/pip"
	chgrp 65534 "$W/gwpip/.venv/bin/pip"
	chmod 0775 "$W/gwpip/.venv/bin/pip"				# group-writable, a shared group
	mkvenv "$W/otherent/.venv"
	put_pwned "$W/otherent/.venv/bin/pytest"
	chown 65534:65534 "$W/otherent/.venv/bin/pytest"		# another user's entry
	while IFS='|' read -r dir want; do
		[ -n "$dir" ] || continue
		expect_trust "$W/$dir" "$want" "bin entry: $dir"
		expect_fallback "$W/$dir" "$want" "bin entry: $dir"
		allow_refused "$W/$dir" "${want#untrusted:}"
	done <<-EOF
	otherpy|untrusted:bin/python links to a file owned by uid 65534
	wwtarget|untrusted:bin/python links to a file writable by group and others
	gwpip|untrusted:bin/pip is writable by group
	otherent|untrusted:bin/pytest is owned by uid 65534, not by you or root
	EOF
else
	say "not root: the other-user rows are skipped"
fi

say "4. an allow covers the shadowing names bin/ had, not a new one"
venv_bin "$W/nodeenv" node npm npx
expect_trust "$W/nodeenv" "untrusted:bin/node shadows a system command" "a nodeenv-style venv"
out=$("$VENVD" allow "$W/nodeenv") || fail "allow nodeenv: $out"
expect_trust "$W/nodeenv" trusted "after allow"
g0=$(generation)
put_pwned "$W/nodeenv/.venv/bin/pytest"			# a new name that shadows nothing
wait_for test "$(generation)" != "$g0" || fail "a new bin/pytest did not move the generation"
expect_trust "$W/nodeenv" trusted "a new entry point that shadows nothing"
g0=$(generation)
put_pwned "$W/nodeenv/.venv/bin/sudo"
wait_for test "$(generation)" != "$g0" || fail "a new bin/sudo did not move the generation"
expect_trust "$W/nodeenv" "untrusted:bin/sudo appeared after venvd allow" "bin/sudo appeared"
assert_eq "|venvd: not activating $W/nodeenv/.venv: bin/sudo appeared after venvd allow (venvd allow $W/nodeenv to trust it)" \
    "$(notice_of "$W/nodeenv")" "the hook's notice"
rm "$W/nodeenv/.venv/bin/sudo"
wait_for test "$(trust_of "$W/nodeenv")" = trusted || fail "bin/sudo removed: $(trust_of "$W/nodeenv")"
put_pwned "$W/nodeenv/.venv/bin/SSH"			# a case variant is a new name too
wait_for test "$(trust_of "$W/nodeenv")" = "untrusted:bin/SSH appeared after venvd allow" ||
    fail "bin/SSH appeared: $(trust_of "$W/nodeenv")"
"$VENVD" allow "$W/nodeenv" >/dev/null || fail "allow again"
expect_trust "$W/nodeenv" trusted "allowed again: the new snapshot covers bin/SSH"
# Under trust = ask, the allow of a venv with no shadowing name covers none.
venv_bin "$W/plainallow"
"$VENVD" allow "$W/plainallow" >/dev/null || fail "allow plainallow"
put_pwned "$W/plainallow/.venv/bin/git"
wait_for test "$(trust_of "$W/plainallow")" = "untrusted:bin/git appeared after venvd allow" ||
    fail "bin/git appeared in an allowed venv: $(trust_of "$W/plainallow")"

say "4b. an index from before snapshots: old allows adopt what bin/ shadows; old git answers are asked again"
venv_bin "$W/oldallow" node
"$VENVD" allow "$W/oldallow" >/dev/null || fail "allow oldallow"
expect_trust "$W/rootclone" "$COMMITTED" "root clone before the downgrade"
daemon_stop
db="$XDG_STATE_HOME/venvd/index.sqlite3"
"$PYTHON3" - "$db" <<'PY' || fail "cannot make the index look like schema 3"
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("ALTER TABLE trust_decisions DROP COLUMN shadows")
c.execute("ALTER TABLE venvs DROP COLUMN manager")	# schema 5's
c.execute("DROP INDEX venvs_identity")	# schema 6's
for col in ("dev", "ino", "born", "moved_from"):
    c.execute(f"ALTER TABLE venvs DROP COLUMN {col}")
c.execute("UPDATE trust_git SET tracked = 0")	# what the old question answered for a root clone
c.execute("PRAGMA user_version = 3")
c.commit()
PY
daemon_start
expect_trust "$W/rootclone" "$COMMITTED" "root clone after the migration"
expect_trust "$W/oldallow" trusted "an old allow still holds"
put_pwned "$W/oldallow/.venv/bin/sudo"
wait_for test "$(trust_of "$W/oldallow")" = "untrusted:bin/sudo appeared after venvd allow" ||
    fail "an old allow with a new bin/sudo: $(trust_of "$W/oldallow")"

say "5. the shadow list: runtimes, package managers, cluster tools, any case"
for n in docker kubectl apt perl ruby node npm Ls; do
	venv_bin "$W/s-$n" "$n"
	expect_trust "$W/s-$n" "untrusted:bin/$n shadows a system command" "bin/$n"
	expect_fallback "$W/s-$n" "untrusted:bin/$n shadows a system command" "bin/$n"
done
# What pip legitimately installs into a venv stays fine.
venv_bin "$W/buildtools" cmake ninja aws pytest
expect_trust "$W/buildtools" trusted "cmake, ninja, aws, pytest"
expect_fallback "$W/buildtools" trusted "cmake, ninja, aws, pytest"
daemon_stop
say "ok"
