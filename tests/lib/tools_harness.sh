# shellcheck shell=bash
# tools_harness.sh: venvs that the real tools put where they keep them
# (issue 13): Poetry, Pipenv, virtualenvwrapper, pyenv-virtualenv, PDM and
# .venv files, in a real interactive bash, zsh or fish driven through tmux
# by tests/lib/hook_harness.sh. Sourced by the thin wrappers
# tests/integration/tools_{bash,zsh,fish}.sh, which set SH and call
# tools_main.
#
# Every tool runs offline, on the test's private HOME, XDG_* dirs,
# WORKON_HOME and PYENV_ROOT, which the daemon and the shell share (the
# daemon resolves with the environment it was started in). Each tool makes
# its venvs once per file; the tool's own answer (poetry env info -p,
# pipenv --venv, pyenv prefix, workon, pdm info --python) is what the shell
# must activate. Checks: a project and its subdirectory activate exactly
# that venv, with PATH exact; leaving restores PATH and VIRTUAL_ENV
# exactly; a venv created or deleted while the shell sits in the project
# takes effect at the next prompt; two projects with the same name get
# different venvs; paths with spaces and non-ASCII characters work; the
# client's fallback (daemon down) agrees.

# Scripts for the shell under test are single-quoted on purpose (SC2016).
# shellcheck disable=SC2016,SC2119
# shellcheck source=tests/lib/hook_harness.sh
. "$TOP_SRCDIR/tests/lib/hook_harness.sh"

SYS_PY=/usr/bin/python3		# what the tools are told to use
VWRAPPER=/usr/share/virtualenvwrapper/virtualenvwrapper.sh
TOOL_TIMEOUT=180		# seconds a tool may take on a busy machine
# Where the machine's pyenv keeps its Pythons, read before PYENV_ROOT is ours.
REAL_PYENV_ROOT=${VENVD_TEST_MACHINE_PYENV_ROOT-}

# The tools read these; the daemon and the shell get the same values.
export WORKON_HOME="$T/workon" PYENV_ROOT="$T/pyenv" \
	VIRTUALENVWRAPPER_PYTHON="$SYS_PY" \
	PIPENV_NOSPIN=1 PIPENV_YES=1 PIPENV_VERBOSITY=-1 PIPENV_IGNORE_VIRTUALENVS=1 \
	PDM_CHECK_UPDATE=false PIP_NO_INDEX=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
	VIRTUALENV_NO_PIP=1 VIRTUALENV_NO_SETUPTOOLS=1 VIRTUALENV_NO_WHEEL=1 \
	VIRTUALENV_NO_PERIODIC_UPDATE=1
unset PIPENV_VENV_IN_PROJECT PIPENV_PIPFILE PIPENV_ACTIVE POETRY_VIRTUALENVS_PATH \
	POETRY_VIRTUALENVS_IN_PROJECT POETRY_VIRTUALENVS_CREATE POETRY_CACHE_DIR \
	POETRY_CONFIG_DIR PYENV_VERSION PDM_PYTHON 2>/dev/null || true

# Find every tool, or skip with the one that is missing.
tools_check() {
	local t
	for t in poetry pipenv pdm; do
		command -v "$t" >/dev/null 2>&1 || skip "$t is not installed (see .ci/packages)"
	done
	[ -r "$VWRAPPER" ] || skip "virtualenvwrapper is not installed ($VWRAPPER)"
	[ -x "$SYS_PY" ] || skip "$SYS_PY is missing"
	"$SYS_PY" -c 'import venv' 2>/dev/null || skip "$SYS_PY has no venv module (python3-venv)"
	pyenv_find
}

# PYENV_BIN and PYENV_VER: pyenv with pyenv-virtualenv and a Python it
# built, or PYENV_BIN empty (the layout is then made by hand, and said).
pyenv_find() {
	local r d home
	PYENV_BIN=
	PYENV_VER=
	home=$(getent passwd "$(id -u)" | cut -d: -f6)
	PYENV_BIN=$(command -v pyenv 2>/dev/null || true)
	for r in "$REAL_PYENV_ROOT" "$home/.pyenv" /root/.pyenv; do
		[ -n "$PYENV_BIN" ] && break
		[ -n "$r" ] && [ -x "$r/bin/pyenv" ] && PYENV_BIN="$r/bin/pyenv"
	done
	[ -n "$PYENV_BIN" ] || return 0
	PYENV_BIN=$(readlink -f "$PYENV_BIN")
	[ -n "$REAL_PYENV_ROOT" ] || REAL_PYENV_ROOT=$(dirname "$(dirname "$PYENV_BIN")")
	# A version pyenv built: a directory with bin/python3 that is no venv.
	for d in "$REAL_PYENV_ROOT"/versions/3.*; do
		if [ -d "$d" ] && [ ! -L "$d" ] && [ -x "$d/bin/python3" ] && [ ! -e "$d/pyvenv.cfg" ] &&
		    "$d/bin/python3" -c 'import venv' >/dev/null 2>&1; then
			PYENV_VER=${d##*/}
			break
		fi
	done
	if [ -z "$PYENV_VER" ] || ! PYENV_ROOT="$REAL_PYENV_ROOT" "$PYENV_BIN" virtualenv --version >/dev/null 2>&1; then
		PYENV_BIN=
	fi
}

# in_dir DIR CMD...: run a tool in DIR (nothing active, PYTHONHOME unset),
# its output in the log; fail with that output.
in_dir() {
	local dir=$1 log="$T/tool.log"
	shift
	(cd "$dir" && env -u VIRTUAL_ENV -u PYTHONHOME timeout "$TOOL_TIMEOUT" "$@") >"$log" 2>&1 </dev/null ||
	    fail "in $dir: $* failed: $(cat "$log")"
	cat "$log"
}

# oracle DIR CMD...: the last line a tool prints in DIR, as its answer.
oracle() {
	local out
	out=$(in_dir "$@") || exit 1
	out=$(printf '%s\n' "$out" | tail -n 1)
	[ -n "$out" ] || fail "in $1: ${*:2} printed nothing"
	printf '%s\n' "$out"
}

# poetry_project DIR NAME: a pyproject.toml as poetry init writes it.
poetry_project() {
	mkdir -p "$1/sub"
	cat >"$1/pyproject.toml" <<EOF
[tool.poetry]
name = "$2"
version = "0.1.0"
description = ""
authors = ["T <t@example.invalid>"]

[tool.poetry.dependencies]
python = "^3.11"

[build-system]
requires = ["poetry-core"]
build-backend = "poetry.core.masonry.api"
EOF
}

# pipenv_project DIR: a Pipfile as pipenv writes it.
pipenv_project() {
	mkdir -p "$1/sub"
	cat >"$1/Pipfile" <<'EOF'
[[source]]
url = "https://pypi.org/simple"
verify_ssl = true
name = "pypi"

[packages]

[dev-packages]

[requires]
python_version = "3.11"
EOF
}

# vw CMDS [ARGS]: run commands (joined with &&: its functions do not
# survive set -e) in a bash that sourced virtualenvwrapper.
vw() {
	in_dir "$W" bash -c "source $(printf '%q' "$VWRAPPER") && $1" vw "${@:2}"
}

# resolved DIR: the daemon's answer for DIR as "venv|found_as|trust", once
# its trust check (git) has settled.
resolved() {
	"$SYS_PY" -c 'import sys; sys.path.insert(0, sys.argv[1]); import rpc
r = rpc.call("resolve", {"path": sys.argv[2], "wait_ms": 20000}, timeout=30).get("result") or {}
v = r.get("venv") or {}
print("%s|%s|%s" % (v.get("path", ""), v.get("found_as", ""), v.get("trust", "")))' \
	    "$TOP_SRCDIR/tests/lib" "$1" 2>/dev/null
}

# Does the daemon resolve DIR to VENV ('' = none)?
daemon_has() {
	local r
	r=$(resolved "$1") || return 1
	[ "${r%%|*}" == "$2" ]
}

# expect_found DIR VENV FOUND_AS WHAT: the daemon names VENV, its locator, and trusts it.
expect_found() {
	local r
	r=$(resolved "$1") || fail "$4: the daemon did not answer for $1"
	assert_eq "$2|$3|trusted" "$r" "$SH: $4: the daemon's answer for $1"
}

# visit DIR VENV FOUND_AS WHAT: DIR and DIR/sub activate exactly VENV; leaving restores.
visit() {
	[ -n "$DAEMON_PID" ] && expect_found "$1" "$2" "$3" "$4"
	go "$W/plain"
	expect_none "$4: before"
	go "$1"
	expect_active "$2" "$4: enter the project"
	go "$1/sub"
	expect_active "$2" "$4: its subdirectory"
	go "$W/plain"
	expect_none "$4: leave"
}

# at_next_prompt DIR VENV WHAT: once the daemon says VENV ('' none) for
# DIR and the generation has moved past GEN0, the next prompt applies it.
at_next_prompt() {
	TIMEOUT=60 wait_for daemon_has "$1" "$2" ||
	    fail "$SH: $3: the daemon still says [$(resolved "$1")] for $1, expected [$2]"
	TIMEOUT=60 wait_for test "$(generation)" != "$GEN0" || fail "$SH: $3: the generation did not move"
	step ""
	if [ -n "$2" ]; then
		expect_active "$2" "$3"
	else
		expect_none "$3"
	fi
}

# type_tool CMD: type CMD in the shell under test (output to a log, PYTHONHOME unset).
type_tool() {
	GEN0=$(generation)
	STEP_TIMEOUT=$TOOL_TIMEOUT step "env -u PYTHONHOME $1 >$T/typed.log 2>&1"
}

# tsay TEXT: say TEXT with the seconds since the test began.
tsay() {
	say "[$(( $(date +%s) - T0 )) s] $*"
}

# The venvs, made once with the real tools (the shell already sits in the
# pyenv project, whose store does not exist yet).
make_tool_venvs() {
	local p

	tsay "Poetry: poetry env use $SYS_PY"
	P_MY="$W/poetry/My Proj"		# the name has a space too
	P_API1="$W/one/api"
	P_API2="$W/two/api"			# the same name elsewhere
	P_UNI="$W/ünï cödé/snow ☃ proj"	# spaces and non-ASCII in the path
	poetry_project "$P_MY" "My Proj"
	poetry_project "$P_API1" api
	poetry_project "$P_API2" api
	poetry_project "$P_UNI" snow
	for p in "$P_MY" "$P_API1" "$P_API2" "$P_UNI"; do
		in_dir "$p" poetry env use "$SYS_PY" >/dev/null
	done
	V_MY=$(oracle "$P_MY" poetry env info -p)
	V_API1=$(oracle "$P_API1" poetry env info -p)
	V_API2=$(oracle "$P_API2" poetry env info -p)
	V_UNI=$(oracle "$P_UNI" poetry env info -p)
	say "poetry env info -p: $V_MY, $V_API1, $V_API2, $V_UNI"
	case $V_MY in "$XDG_CACHE_HOME/pypoetry/virtualenvs/my_proj-"*) ;;
	*) fail "Poetry put My Proj's venv at $V_MY, not in its default store" ;; esac
	[ "$V_API1" != "$V_API2" ] || fail "Poetry gave both api projects $V_API1"

	tsay "Pipenv: pipenv --python $SYS_PY"
	I_WEB1="$W/one/web"
	I_WEB2="$W/two/web"
	I_UNI="$W/ünï cödé/straße & (co)"
	for p in "$I_WEB1" "$I_WEB2" "$I_UNI"; do
		pipenv_project "$p"
		in_dir "$p" pipenv --python "$SYS_PY" >/dev/null
	done
	J_WEB1=$(oracle "$I_WEB1" pipenv --venv)
	J_WEB2=$(oracle "$I_WEB2" pipenv --venv)
	J_UNI=$(oracle "$I_UNI" pipenv --venv)
	say "pipenv --venv: $J_WEB1, $J_WEB2, $J_UNI"
	[ "${J_WEB1%/*}" == "$WORKON_HOME" ] || fail "Pipenv put web's venv at $J_WEB1, not in \$WORKON_HOME"
	[ "$J_WEB1" != "$J_WEB2" ] || fail "Pipenv gave both web projects $J_WEB1"

	tsay "virtualenvwrapper: mkvirtualenv and setvirtualenvproject"
	R_VW="$W/vw proj é"
	mkdir -p "$R_VW/sub"
	vw 'mkvirtualenv -p "$1" --without-pip vw-env >/dev/null &&
	    setvirtualenvproject "$WORKON_HOME/vw-env" "$2" &&
	    mkvirtualenv -p "$1" --without-pip named-env >/dev/null' "$SYS_PY" "$R_VW" >/dev/null
	# workon activates the venv and goes to its project: its answer.
	V_VW=$(vw 'workon vw-env && printf "%s|%s\n" "$VIRTUAL_ENV" "$PWD"' | tail -n 1)
	assert_eq "$WORKON_HOME/vw-env|$R_VW" "$V_VW" "workon vw-env"
	V_VW=${V_VW%%|*}
	[ ! -e "$WORKON_HOME/named-env/.project" ] || fail "mkvirtualenv gave named-env a project"

	tsay ".venv files: a relative path, and a name under \$WORKON_HOME"
	F_REL="$W/vfile rel ü"
	F_NAME="$W/vfile name"
	mkdir -p "$F_REL/sub" "$F_NAME/sub" "$W/envs"
	mkvenv "$W/envs/rel target"
	printf '../envs/rel target\n' >"$F_REL/.venv"
	printf 'named-env\n' >"$F_NAME/.venv"

	tsay "PDM: pdm use (.pdm.toml), and a .pdm-python file"
	D_USE="$W/pdm used"
	D_FILE="$W/pdm file"
	mkdir -p "$D_USE/sub" "$D_FILE/sub"
	mkvenv "$W/envs/pdm-a"
	mkvenv "$W/envs/pdm b"
	printf '[project]\nname = "pdm-used"\nversion = "0.1.0"\nrequires-python = ">=3.11"\n' \
	    >"$D_USE/pyproject.toml"
	cp "$D_USE/pyproject.toml" "$D_FILE/pyproject.toml"
	in_dir "$D_USE" pdm use -f "$W/envs/pdm-a/bin/python" >/dev/null
	[ -f "$D_USE/.pdm.toml" ] || fail "pdm use wrote no .pdm.toml"
	printf '%s\n' "$W/envs/pdm b/bin/python" >"$D_FILE/.pdm-python"
	V_PDM=$(oracle "$D_USE" pdm info --python)
	assert_eq "$W/envs/pdm-a/bin/python" "$V_PDM" "pdm info --python"
	V_PDM=${V_PDM%/bin/python}

	tsay "pyenv-virtualenv"
	Y_DIR="$W/pyenv proj ñ"
	if [ -n "$PYENV_BIN" ]; then
		# Our own PYENV_ROOT, whose version links each part of the
		# machine's: pyenv virtualenv then writes nothing outside $T.
		mkdir -p "$PYENV_ROOT/versions/$PYENV_VER"
		for p in "$REAL_PYENV_ROOT/versions/$PYENV_VER"/*; do
			[ "${p##*/}" = envs ] || ln -s "$p" "$PYENV_ROOT/versions/$PYENV_VER/"
		done
		in_dir "$W" "$PYENV_BIN" virtualenv --without-pip "$PYENV_VER" pyv-env >/dev/null
		in_dir "$W" "$PYENV_BIN" virtualenv --without-pip "$PYENV_VER" pyv-late >/dev/null
		[ -L "$PYENV_ROOT/versions/pyv-env" ] || fail "pyenv virtualenv made no versions/pyv-env link"
		V_PYV=$(oracle "$Y_DIR" "$PYENV_BIN" prefix)
	else
		echo "NOTE: no pyenv with pyenv-virtualenv and a Python it built;" \
		    "building its layout by hand (versions/3.11/envs/NAME, versions/NAME -> it) with $SYS_PY -m venv"
		PYENV_VER=3.11
		for p in pyv-env pyv-late; do
			mkdir -p "$PYENV_ROOT/versions/$PYENV_VER/envs"
			mkvenv "$PYENV_ROOT/versions/$PYENV_VER/envs/$p"
			ln -s "$PYENV_ROOT/versions/$PYENV_VER/envs/$p" "$PYENV_ROOT/versions/$p"
		done
		V_PYV="$PYENV_ROOT/versions/pyv-env"
	fi
	say "pyenv prefix: $V_PYV"
	assert_eq "$PYENV_ROOT/versions/pyv-env" "$V_PYV" "the pyenv-virtualenv venv"
}

# The checks, in order, in one long-lived shell.
tools_main() {
	local p
	T0=$(date +%s)
	BROKEN_V=/nonexistent/broken-venv	# expect_quiet_pane ignores its notice
	hook_rc=0
	trap 'hook_rc=$?; set +e; hook_cleanup; (exit "$hook_rc"); harness_cleanup' EXIT
	hook_check
	tools_check
	write_rc
	mkdir -p "$W/plain"
	# pyenv's project names its venv before $PYENV_ROOT exists.
	Y_DIR="$W/pyenv proj ñ"
	mkdir -p "$Y_DIR/sub"
	printf 'pyv-env\n' >"$Y_DIR/.python-version"
	daemon_start
	shell_start
	step "cd $W/plain"
	expect_none "start in a plain dir"
	go "$Y_DIR"
	expect_none "pyenv project, no \$PYENV_ROOT yet"
	make_tool_venvs
	say "made every tool's venvs in $(( $(date +%s) - T0 )) s"

	say "pyenv-virtualenv: .python-version names a venv that appeared after the shell looked"
	# The store ($PYENV_ROOT) did not exist when the shell last asked here.
	GEN0=
	TIMEOUT=60 wait_for daemon_has "$Y_DIR" "$V_PYV" ||
	    fail "$SH: a store that did not exist at first (\$PYENV_ROOT) appeared and was not noticed:" \
	        "the daemon still says [$(resolved "$Y_DIR")]"
	step ""
	expect_active "$V_PYV" "pyenv: the venv appeared under \$PYENV_ROOT (a store absent at first)"
	visit "$Y_DIR" "$V_PYV" pyenv-virtualenv "pyenv-virtualenv"

	say "Poetry: the venv poetry env info -p names"
	visit "$P_MY" "$V_MY" poetry "Poetry 'My Proj'"
	visit "$P_UNI" "$V_UNI" poetry "Poetry, non-ASCII path"
	say "Poetry: two projects called api"
	visit "$P_API1" "$V_API1" poetry "Poetry one/api"
	visit "$P_API2" "$V_API2" poetry "Poetry two/api"
	go "$P_API1/sub"
	expect_active "$V_API1" "one/api"
	setpath api2 "$P_API2/sub"
	step "_t_cd api2"
	expect_active "$V_API2" "straight from one/api to two/api: only two's bin"

	say "Pipenv: the venv pipenv --venv names"
	visit "$I_WEB1" "$J_WEB1" pipenv "Pipenv one/web"
	visit "$I_WEB2" "$J_WEB2" pipenv "Pipenv two/web"
	visit "$I_UNI" "$J_UNI" pipenv "Pipenv, spaces, & and non-ASCII"

	say "virtualenvwrapper: the venv whose .project names the directory"
	visit "$R_VW" "$V_VW" virtualenvwrapper "virtualenvwrapper"

	say ".venv files"
	# A path with ".." names the venv by its real path: no ".." in PATH.
	V_REL="$(cd "$F_REL/../envs/rel target" && pwd -P)"
	visit "$F_REL" "$V_REL" venv-file ".venv file with a relative path"
	visit "$F_NAME" "$WORKON_HOME/named-env" venv-file ".venv file with a name under \$WORKON_HOME"

	say "PDM"
	visit "$D_USE" "$V_PDM" pdm "PDM, pdm use"
	visit "$D_FILE" "$W/envs/pdm b" pdm "PDM, .pdm-python"

	say "created while the shell sits in the project: active at the next prompt"
	P_LATE="$W/late poetry ä"
	poetry_project "$P_LATE" "late"
	go "$P_LATE"
	expect_none "Poetry project without a venv"
	# poetry install makes the venv and writes no envs.toml: only the
	# store's new entry tells (poetry env use below rewrites envs.toml).
	type_tool "poetry install --no-root"
	V_LATE=$(oracle "$P_LATE" poetry env info -p)
	[ ! -e "$XDG_CACHE_HOME/pypoetry/virtualenvs/envs.toml" ] ||
	    ! grep_all -q "^\[late-" <"$XDG_CACHE_HOME/pypoetry/virtualenvs/envs.toml" ||
	    fail "poetry install recorded the venv in envs.toml: this step no longer tests the store"
	at_next_prompt "$P_LATE" "$V_LATE" "poetry install in the project"
	go "$P_LATE/sub"
	expect_active "$V_LATE" "the new Poetry venv in a subdirectory"

	I_LATE="$W/late pipenv ä"
	pipenv_project "$I_LATE"
	go "$I_LATE"
	expect_none "Pipenv project without a venv"
	type_tool "pipenv --python $SYS_PY"
	J_LATE=$(oracle "$I_LATE" pipenv --venv)
	at_next_prompt "$I_LATE" "$J_LATE" "pipenv --python in the project"

	Y_LATE="$W/late pyenv"
	mkdir -p "$Y_LATE/sub"
	go "$Y_LATE"
	expect_none "no .python-version yet"
	if [ -n "$PYENV_BIN" ]; then
		type_tool "$PYENV_BIN local pyv-late"
	else
		GEN0=$(generation)
		printf 'pyv-late\n' >"$Y_LATE/.python-version"
	fi
	at_next_prompt "$Y_LATE" "$PYENV_ROOT/versions/pyv-late" "pyenv local in the project"

	R_LATE="$W/late vw"
	mkdir -p "$R_LATE/sub"
	go "$R_LATE"
	expect_none "no virtualenvwrapper venv names this directory yet"
	GEN0=$(generation)
	vw 'mkvirtualenv -p "$1" --without-pip vw-late >/dev/null &&
	    setvirtualenvproject "$WORKON_HOME/vw-late" "$2"' "$SYS_PY" "$R_LATE" >/dev/null
	at_next_prompt "$R_LATE" "$WORKON_HOME/vw-late" "mkvirtualenv and setvirtualenvproject"

	say "a .venv file edited in place: the next prompt follows it"
	go "$F_REL/sub"
	expect_active "$V_REL" ".venv file before the edit"
	GEN0=$(generation)
	printf 'named-env\n' >"$F_REL/.venv"
	at_next_prompt "$F_REL/sub" "$WORKON_HOME/named-env" ".venv file now names named-env"
	GEN0=$(generation)
	printf '../envs/rel target\n' >"$F_REL/.venv"
	at_next_prompt "$F_REL/sub" "$V_REL" ".venv file back to the relative path"

	say "deleted while the shell sits in the project: inactive at the next prompt"
	go "$P_MY/sub"
	expect_active "$V_MY" "Poetry My Proj before rm -rf"
	GEN0=$(generation)
	rm -rf "$V_MY"
	at_next_prompt "$P_MY/sub" "" "rm -rf of Poetry's central venv"
	type_tool "poetry env use $SYS_PY"
	at_next_prompt "$P_MY/sub" "$V_MY" "poetry env use again"

	go "$I_WEB1"
	expect_active "$J_WEB1" "Pipenv one/web before pipenv --rm"
	type_tool "pipenv --rm"
	[ ! -e "$J_WEB1" ] || fail "pipenv --rm left $J_WEB1: $(cat "$T/typed.log")"
	at_next_prompt "$I_WEB1" "" "pipenv --rm in the project"

	go "$R_VW/sub"
	expect_active "$V_VW" "virtualenvwrapper before rmvirtualenv"
	GEN0=$(generation)
	vw 'rmvirtualenv vw-env >/dev/null' >/dev/null
	at_next_prompt "$R_VW/sub" "" "rmvirtualenv"

	go "$Y_DIR/sub"
	expect_active "$V_PYV" "pyenv-virtualenv before pyenv uninstall"
	GEN0=$(generation)
	if [ -n "$PYENV_BIN" ]; then
		in_dir "$W" "$PYENV_BIN" uninstall -f pyv-env >/dev/null
	else
		rm -rf "$PYENV_ROOT/versions/pyv-env" "$PYENV_ROOT/versions/$PYENV_VER/envs/pyv-env"
	fi
	at_next_prompt "$Y_DIR/sub" "" "pyenv uninstall of the venv"

	go "$D_FILE"
	expect_active "$W/envs/pdm b" "PDM before its venv is removed"
	GEN0=$(generation)
	rm -rf "$W/envs/pdm b"
	at_next_prompt "$D_FILE" "" "the venv .pdm-python names removed"

	say "a store that did not exist at first: poetry.toml names it"
	P_STORE="$W/own store"
	poetry_project "$P_STORE" "own-store"
	printf '[virtualenvs]\npath = "%s"\n' "$T/poetry-store/envs" >"$P_STORE/poetry.toml"
	go "$P_STORE"
	expect_none "poetry.toml's store does not exist yet"
	type_tool "poetry env use $SYS_PY"
	V_STORE=$(oracle "$P_STORE" poetry env info -p)
	case $V_STORE in "$T/poetry-store/envs/own-store-"*) ;;
	*) fail "Poetry did not use poetry.toml's virtualenvs.path: $V_STORE" ;; esac
	TIMEOUT=60 wait_for daemon_has "$P_STORE" "$V_STORE" ||
	    fail "$SH: a store that did not exist at first ($T/poetry-store/envs) appeared and was not noticed:" \
	        "the daemon still says [$(resolved "$P_STORE")]"
	at_next_prompt "$P_STORE" "$V_STORE" "Poetry's store made by poetry env use (absent at first)"

	expect_quiet_pane
	send_line "exit"
	tmux -S "$TS" kill-server 2>/dev/null || true

	say "the client's fallback (daemon down) finds the same venvs"
	daemon_stop
	STEP=3000
	shell_start
	step "cd $W/plain"
	for p in "$P_UNI|$V_UNI" "$P_API2|$V_API2" "$I_UNI|$J_UNI" "$F_NAME|$WORKON_HOME/named-env" \
	    "$D_USE|$V_PDM" "$Y_LATE|$PYENV_ROOT/versions/pyv-late" "$R_LATE|$WORKON_HOME/vw-late"; do
		go "${p%%|*}/sub"
		expect_active "${p#*|}" "no daemon: ${p%%|*}/sub"
		go "$W/plain"
		expect_none "no daemon: left ${p%%|*}"
	done
	expect_quiet_pane
	send_line "exit"
	say "all tool checks passed for $SH in $(( $(date +%s) - T0 )) s"
}
