#!/bin/bash
# locators_conf.sh: the config's "locators" turns a rule off in the daemon
# (after venvd restart, as for every key) and in the client's fallback (at
# once): a real Poetry project, its central venv made by the real poetry,
# is not activated with poetry off, while a project's own .venv still is.
# With poetry on, venvd resolve explains the answer: the rule and the file
# that made it apply ("found by Poetry's rule for P (pyproject.toml)").
. "$TOP_SRCDIR/tests/lib/harness.sh"
# shellcheck disable=SC2119 # daemon_start takes no arguments here

command -v poetry >/dev/null 2>&1 || skip "poetry is not installed (Debian: python3-poetry)"

# Poetry must not reach the network: no index, no keyring.
export POETRY_NO_INTERACTION=1 PYTHON_KEYRING_BACKEND=keyring.backends.null.Keyring

P="$T/code/my api"
mkdir -p "$P/src/pkg" "$T/code/own/src"
cat >"$P/pyproject.toml" <<'TOML'
[tool.poetry]
name = "my-api"
version = "0.1.0"
description = ""
authors = []

[tool.poetry.dependencies]
python = "^3.8"
TOML
say "poetry env use /usr/bin/python3"
(cd "$P" && poetry env use /usr/bin/python3) >"$T/poetry.out" 2>&1 ||
	fail "poetry env use: $(cat "$T/poetry.out")"
V=$(cd "$P" && poetry env info -p) || fail "poetry env info -p"
case $V in "$XDG_CACHE_HOME"/pypoetry/virtualenvs/*) ;; *) fail "poetry made $V, not a central venv" ;; esac
VER=$("$V/bin/python" -c 'import platform; print(platform.python_version())')
mkvenv "$T/code/own/.venv"
OWNVER=$("$T/code/own/.venv/bin/python" -c 'import platform; print(platform.python_version())')

# check_on SOURCE: the Poetry venv applies, and resolve explains why.
check_on() {
	local out
	out=$("$VENVD" resolve "$P/src/pkg") || fail "resolve ($1) found nothing"
	assert_eq "$V  python $VER  (found by Poetry's rule for $P (pyproject.toml))" "$out" \
		"resolve line ($1)"
	out=$("$VENVD" resolve --json "$P/src/pkg")
	assert_eq "$1" "$(jget "$out" 'j["source"]')" "source"
	assert_eq "$V" "$(jget "$out" 'j["venv"]["path"]')" "json path ($1)"
	assert_eq poetry "$(jget "$out" 'j["venv"]["found_as"]')" "json found_as ($1)"
	assert_eq pyproject.toml "$(jget "$out" 'j["venv"]["found_via"]')" "json found_via ($1)"
	"$VENVD" export --hook bash "$P/src/pkg" >"$T/export" || fail "export ($1)"
	hook_eval bash <"$T/export"
	assert_eq "$V" "$HOOK_VENV" "export --hook ($1) activates the Poetry venv"
}

# check_off SOURCE: no venv applies to the Poetry project; the .venv project still works.
check_off() {
	local out rc=0
	"$VENVD" resolve "$P/src/pkg" >"$T/out" 2>"$T/err" || rc=$?
	assert_eq 1 "$rc" "resolve ($1) with poetry off: $(cat "$T/out")"
	assert_eq "venvd: no venv applies to $P/src/pkg" "$(cat "$T/err")" "resolve ($1) message"
	rc=0
	out=$("$VENVD" resolve --json "$P/src/pkg") || rc=$?
	assert_eq "$1" "$(jget "$out" 'j["source"]')" "source"
	assert_eq null "$(jget "$out" 'j["venv"]')" "json venv ($1) with poetry off"
	"$VENVD" export --hook bash "$P/src/pkg" >"$T/export" || fail "export ($1)"
	if grep_all -qF "$V" <"$T/export"; then
		fail "export ($1) activates $V with poetry off: $(cat "$T/export")"
	fi
	hook_eval bash <"$T/export"
	assert_eq "" "$HOOK_VENV" "export --hook ($1) with poetry off"
	out=$("$VENVD" resolve "$T/code/own/src") || fail "resolve ($1) of a .venv project"
	assert_eq "$T/code/own/.venv  python $OWNVER  (found as .venv in $T/code/own)" "$out" \
		".venv project ($1) with poetry off"
}

# store_roots: the paths of the daemon's roots that are tools' stores, sorted.
store_roots() {
	jget "$(rpc roots '{}')" 'sorted(r["path"] for r in j["roots"] if r["source"] == "store")'
}
STORE="$XDG_CACHE_HOME/pypoetry/virtualenvs"

mkdir -p "$XDG_CONFIG_HOME/venvd"
CONF="$XDG_CONFIG_HOME/venvd/config"

say "fallback, every locator on"
check_on local
say "fallback, locators = -poetry: the next run of venvd honours it"
printf '[venvd]\nlocators = -poetry\n' >"$CONF"
check_off local
say "fallback, locators listing every rule but poetry"
printf 'locators = venv_dirs venv-file pipenv pdm\n' >"$CONF"
check_off local

say "daemon, every locator on"
rm "$CONF"
daemon_start
prime_trust "$P/src/pkg"
check_on daemon
store_roots >"$T/roots"
grep_all -qF "\"$STORE\"" <"$T/roots" || fail "Poetry's store is not a root: $(cat "$T/roots")"
say "daemon restarted with locators = -poetry"
printf 'locators = -pdm -poetry\n' >"$CONF"
daemon_stop
daemon_start
prime_trust "$P/src/pkg"
check_off daemon
say "with poetry off, Poetry's store is no discovery root"
store_roots >"$T/roots"
if grep_all -qF "\"$STORE\"" <"$T/roots"; then
	fail "Poetry's store is a root with poetry off: $(cat "$T/roots")"
fi
grep_all -qF "\"$XDG_DATA_HOME/virtualenvs\"" <"$T/roots" ||
	fail "Pipenv's store is not a root with only poetry off: $(cat "$T/roots")"
say "daemon restarted with poetry on again"
printf 'locators = -pipenv\n' >"$CONF"
daemon_stop
daemon_start
prime_trust "$P/src/pkg"
check_on daemon

say "a bad value: the daemon warns and keeps every locator on"
printf 'locators = -poetry -conda\n' >"$CONF"
daemon_stop
daemon_start
prime_trust "$P/src/pkg"
check_on daemon
grep_all -qF 'unknown locator \"-conda\"' <"$DAEMON_LOG" ||
	grep_all -qF 'unknown locator "-conda"' <"$DAEMON_LOG" ||
	fail "the daemon did not log the bad locators value"
daemon_stop
echo "PASS"
