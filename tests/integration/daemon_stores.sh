#!/bin/bash
# daemon_stores.sh: the tools' central stores as discovery roots, against
# the real daemon and venvs made by the real tools (poetry env use, pipenv
# --python, mkvirtualenv + setvirtualenvproject; pyenv-virtualenv's layout
# by hand). Each venv is listed with the tool that keeps it (manager) and
# its project before any shell visits it; stores made after the daemon
# started are picked up; discover_stores = false turns them off.
# shellcheck disable=SC2016
. "$TOP_SRCDIR/tests/lib/harness.sh"

SYS_PY=/usr/bin/python3
VWRAPPER=/usr/share/virtualenvwrapper/virtualenvwrapper.sh
TOOL_TIMEOUT=180
for t in poetry pipenv; do
	command -v "$t" >/dev/null 2>&1 || skip "$t is not installed (see .ci/packages)"
done
[ -r "$VWRAPPER" ] || skip "virtualenvwrapper is not installed ($VWRAPPER)"
"$SYS_PY" -c 'import venv' 2>/dev/null || skip "$SYS_PY has no venv module"

# Pipenv and virtualenvwrapper share $WORKON_HOME: the daemon must tell them apart.
export WORKON_HOME="$T/workon" PYENV_ROOT="$T/pyenv" VIRTUALENVWRAPPER_PYTHON="$SYS_PY" \
	PIPENV_NOSPIN=1 PIPENV_YES=1 PIPENV_VERBOSITY=-1 PIPENV_IGNORE_VIRTUALENVS=1 \
	PIP_NO_INDEX=1 PIP_DISABLE_PIP_VERSION_CHECK=1 VIRTUALENV_NO_PIP=1 \
	VIRTUALENV_NO_SETUPTOOLS=1 VIRTUALENV_NO_WHEEL=1 VIRTUALENV_NO_PERIODIC_UPDATE=1
unset PIPENV_VENV_IN_PROJECT PIPENV_PIPFILE PIPENV_ACTIVE POETRY_VIRTUALENVS_PATH \
	POETRY_VIRTUALENVS_IN_PROJECT POETRY_VIRTUALENVS_CREATE POETRY_CACHE_DIR \
	POETRY_CONFIG_DIR PYENV_VERSION 2>/dev/null || true
W="$T/work"
mkdir -p "$W"
POETRY_STORE="$XDG_CACHE_HOME/pypoetry/virtualenvs"

# in_dir DIR CMD...: run a tool in DIR; fail with its output.
in_dir() {
	local dir=$1 log="$T/tool.log"
	shift
	(cd "$dir" && env -u VIRTUAL_ENV -u PYTHONHOME timeout "$TOOL_TIMEOUT" "$@") >"$log" 2>&1 </dev/null ||
	    fail "in $dir: $* failed: $(cat "$log")"
	tail -n 1 "$log"
}

# vw SCRIPT ARGS...: run SCRIPT in bash with virtualenvwrapper loaded.
vw() {
	in_dir "$W" bash -c "source $(printf '%q' "$VWRAPPER") && $1" vw "${@:2}"
}

# rec PATH: the record of PATH as "manager|project|found_as|state" ("none" if not indexed).
rec() {
	"$PYTHON3" -c 'import sys; sys.path.insert(0, sys.argv[1]); import rpc
vs = {v["path"]: v for v in rpc.call("list", {})["result"]["venvs"]}
v = vs.get(sys.argv[2])
print("none" if v is None else "%s|%s|%s|%s" % (v.get("manager"), v.get("project") or "-", v.get("found_as"), v.get("state")))' \
	    "$TOP_SRCDIR/tests/lib" "$1"
}

# has_rec PATH EXPECTED: for wait_for.
has_rec() {
	[ "$(rec "$1")" == "$2" ]
}

# expect_rec PATH EXPECTED WHAT: wait until PATH's record is EXPECTED.
expect_rec() {
	TIMEOUT=30 wait_for has_rec "$1" "$2" || fail "$3: expected [$2], got [$(rec "$1")]"
}

# root_state PATH: "source state" of the root at PATH ("none" if it is not one).
root_state() {
	"$PYTHON3" -c 'import sys; sys.path.insert(0, sys.argv[1]); import rpc
rs = {r["path"]: r for r in rpc.call("roots", {})["result"]["roots"]}
r = rs.get(sys.argv[2])
print("none" if r is None else "%s %s" % (r["source"], r["state"]))' "$TOP_SRCDIR/tests/lib" "$1"
}

# has_root PATH EXPECTED: for wait_for.
has_root() {
	[ "$(root_state "$1")" == "$2" ]
}

say "no store exists yet: each is a root, absent, and the daemon is healthy"
daemon_start
for s in "$POETRY_STORE" "$WORKON_HOME" "$PYENV_ROOT/versions"; do
	TIMEOUT=30 wait_for has_root "$s" "store absent" || fail "store $s: $(root_state "$s")"
done
assert_eq "[]" "$(jget "$(rpc status)" "j['degraded']")" "degraded with absent stores"

say "Poetry: poetry env use makes the store after the daemon started"
P="$W/one/api"
mkdir -p "$P"
cat >"$P/pyproject.toml" <<'EOF'
[tool.poetry]
name = "api"
version = "0.1.0"
description = ""
authors = ["T <t@example.invalid>"]

[tool.poetry.dependencies]
python = "^3.11"
EOF
in_dir "$P" poetry env use "$SYS_PY" >/dev/null
VP=$(in_dir "$P" poetry env info -p)
[ "${VP%/*}" == "$POETRY_STORE" ] || fail "Poetry put the venv at $VP, not in $POETRY_STORE"
# Poetry keeps no link back: no project until a resolve finds it through one.
expect_rec "$VP" "poetry|-|self|ok" "Poetry's venv, never visited"
TIMEOUT=30 wait_for has_root "$POETRY_STORE" "store live" || fail "Poetry's store: $(root_state "$POETRY_STORE")"

say "Pipenv: pipenv --python makes \$WORKON_HOME; .project gives the project"
I="$W/one/web"
mkdir -p "$I"
printf '[packages]\n\n[requires]\npython_version = "3"\n' >"$I/Pipfile"
in_dir "$I" pipenv --python "$SYS_PY" >/dev/null
VI=$(in_dir "$I" pipenv --venv)
[ "${VI%/*}" == "$WORKON_HOME" ] || fail "Pipenv put the venv at $VI, not in $WORKON_HOME"
expect_rec "$VI" "pipenv|$I|pipenv|ok" "Pipenv's venv, never visited"

say "virtualenvwrapper: mkvirtualenv, setvirtualenvproject; one without a project"
R="$W/vw proj é"
mkdir -p "$R"
vw 'mkvirtualenv -p "$1" --without-pip vw-env >/dev/null &&
    setvirtualenvproject "$WORKON_HOME/vw-env" "$2" >/dev/null &&
    mkvirtualenv -p "$1" --without-pip named-env >/dev/null' "$SYS_PY" "$R" >/dev/null
expect_rec "$WORKON_HOME/vw-env" "virtualenvwrapper|$R|virtualenvwrapper|ok" "virtualenvwrapper's venv with a project"
expect_rec "$WORKON_HOME/named-env" "virtualenvwrapper|-|self|ok" "virtualenvwrapper's venv without a project"

say "pyenv-virtualenv's layout (made by hand): versions/<version>/envs/<name>"
mkdir -p "$PYENV_ROOT/versions/3.99.0/envs" "$PYENV_ROOT/versions/3.99.0/lib/deep"
mkvenv "$PYENV_ROOT/versions/3.99.0/lib/deep/notone"	# not in envs/: not a store venv
mkvenv "$PYENV_ROOT/versions/3.99.0/envs/penv"
ln -s "$PYENV_ROOT/versions/3.99.0/envs/penv" "$PYENV_ROOT/versions/penv"
expect_rec "$PYENV_ROOT/versions/3.99.0/envs/penv" "pyenv-virtualenv|-|self|ok" "pyenv-virtualenv's venv"
assert_eq none "$(rec "$PYENV_ROOT/versions/3.99.0/lib/deep/notone")" "a venv deep in a Python version"

say "venvd list shows them, manager last"
tsv=$("$VENVD" list)
line=$(grep -F "$VP	" <<<"$tsv") || fail "Poetry's venv not in list: $tsv"
IFS=$'\t' read -r c_path _ _ _ c_state c_proj c_manager <<<"$line"
assert_eq "$VP|ok|-|poetry" "$c_path|$c_state|$c_proj|$c_manager" "list row of Poetry's venv"
line=$(grep -F "$VI	" <<<"$tsv") || fail "Pipenv's venv not in list: $tsv"
IFS=$'\t' read -r _ _ _ _ _ c_proj c_manager <<<"$line"
assert_eq "$I|pipenv" "$c_proj|$c_manager" "list row of Pipenv's venv"
js=$("$VENVD" list --json)
assert_eq virtualenvwrapper "$(jget "$js" "[r['manager'] for r in j if r['path'] == '$WORKON_HOME/vw-env'][0]")" "--json manager"

say "a resolve through the project gives Poetry's venv its project, and a rescan keeps it"
"$VENVD" resolve "$P" >/dev/null || fail "resolve $P"
expect_rec "$VP" "poetry|$P|poetry|ok" "Poetry's venv after a resolve"
daemon_stop
daemon_start
for s in "$POETRY_STORE" "$WORKON_HOME" "$PYENV_ROOT/versions"; do
	TIMEOUT=30 wait_for has_root "$s" "store live" || fail "store $s after a restart: $(root_state "$s")"
done
expect_rec "$VP" "poetry|$P|poetry|ok" "Poetry's venv after a rescan"
expect_rec "$VI" "pipenv|$I|pipenv|ok" "Pipenv's venv after a rescan"

say "a store deleted is followed again, and picked up when it comes back"
rm -rf "$XDG_CACHE_HOME/pypoetry"
expect_rec "$VP" "poetry|$P|poetry|missing" "Poetry's venv, store deleted"
TIMEOUT=30 wait_for has_root "$POETRY_STORE" "store absent" || fail "deleted store: $(root_state "$POETRY_STORE")"
in_dir "$P" poetry env use "$SYS_PY" >/dev/null
expect_rec "$VP" "poetry|$P|poetry|ok" "Poetry's venv made again"

say "a store cannot be unwatched; discover_stores = false turns them off"
if out=$("$VENVD" unwatch "$WORKON_HOME" 2>&1); then fail "unwatch of a store succeeded: $out"; fi
grep_all -q discover_stores <<<"$out" || fail "unwatch does not say how: $out"
daemon_stop
mkdir -p "$XDG_CONFIG_HOME/venvd"
printf 'discover_stores = false\n' >"$XDG_CONFIG_HOME/venvd/config"
daemon_start
assert_eq none "$(root_state "$WORKON_HOME")" "a store with discover_stores = false"
assert_eq none "$(root_state "$POETRY_STORE")" "Poetry's store with discover_stores = false"
say "ok"
