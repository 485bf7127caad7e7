#!/bin/bash
# daemon_resolve.sh: the real daemon's answers follow the filesystem through
# inotify, with no restart: venvs created, removed, recreated, nested,
# symlinked and retargeted, made by virtualenv, and pyvenv.cfg rewritten.
# Every change bumps the generation file; a repeat is a cache hit; a tiny
# max_watches budget evicts (bumping the generation) yet answers stay right.
. "$TOP_SRCDIR/tests/lib/harness.sh"
# shellcheck disable=SC2119 # daemon_start takes no arguments here

# res DIR: the resolve result JSON for DIR (a JSON-encoded path).
res() {
	local params
	# The daemon may wait for git as long as it likes: no answer depends on git's speed.
	params=$("$PYTHON3" -c 'import json,sys; print(json.dumps({"path": sys.argv[1], "wait_ms": 20000}))' "$1")
	rpc resolve "$params" || fail "resolve $1 failed"
}

# field JSON KEY: the venv's KEY, or "null" when no venv applies.
field() {
	"$PYTHON3" -c 'import json,sys; j=json.loads(sys.argv[1]); v=j["venv"]; r=v[sys.argv[2]] if v else None; print("null" if r is None else r)' "$1" "$2"
}

# gen_changed OLD: has the generation file moved on from OLD?
gen_changed() {
	[ "$(generation)" != "$1" ]
}

# wait_gen OLD WHAT: wait (at most 30 s) for the generation to move from OLD.
wait_gen() {
	TIMEOUT=30 wait_for gen_changed "$1" ||
		fail "generation stayed $1 for 30 s after $2"
}

# settled DIR: resolve DIR into $answer; true when the answer's generation
# is the one in the file (false while the daemon is still taking in events
# that a change made: its generation moves on under the answer).
settled() {
	answer=$(res "$1")
	[ "$(generation)" = "$(jget "$answer" 'j["generation"]')" ]
}

# expect DIR KEY VALUE MSG: resolve DIR and compare the venv's KEY.
expect() {
	local answer=
	# The answer's generation is the one in the file, once events settle.
	TIMEOUT=30 wait_for settled "$1" ||
		fail "generation in the answer never matched the file ($4): $answer vs $(generation)"
	assert_eq "$3" "$(field "$answer" "$2")" "$4"
}

# status_of KEY: one field of the status result.
status_of() {
	"$PYTHON3" -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$(rpc status)" "$1"
}

daemon_start

# --- create, remove, recreate ------------------------------------------
P="$T/my proj \$(touch x) 'q'"
mkdir -p "$P/src/pkg"
say "before the venv"
expect "$P/src/pkg" path null "no venv yet"
g=$(generation)
[ -n "$g" ] || fail "no generation file"
expect "$P/src/pkg" path null "still no venv"
assert_eq "$g" "$(generation)" "generation moved with nothing changed"

say "python3 -m venv"
mkvenv "$P/.venv"
wait_gen "$g" "python3 -m venv"
expect "$P/src/pkg" path "$P/.venv" "venv after creation"
expect "$P/src/pkg" project "$P" "project"
expect "$P/src/pkg" found_as ".venv" "found_as"
if [ -e "$P/src/pkg/x" ] || [ -e x ]; then
	fail "a path was executed"
fi

say "a second resolve is a cache hit"
h1=$(status_of cache_hits)
expect "$P/src/pkg" path "$P/.venv" "venv, again"
h2=$(status_of cache_hits)
assert_eq "$((h1 + 1))" "$h2" "cache_hits after a repeated resolve"
[ "$(status_of cached_dirs)" -ge 1 ] || fail "no cached dirs"
[ "$(status_of watches)" -ge 1 ] || fail "no watches"

say "rm -rf .venv"
g=$(generation)
rm -rf "$P/.venv"
wait_gen "$g" "rm -rf .venv"
expect "$P/src/pkg" path null "no venv after rm -rf"

say "recreate"
g=$(generation)
mkvenv "$P/.venv"
wait_gen "$g" "recreating the venv"
expect "$P/src/pkg" path "$P/.venv" "venv after recreation"

say "a venv built step by step (pyvenv.cfg first, bin/python last)"
S="$T/steps"
mkdir -p "$S/.venv" "$S/deep"
expect "$S/deep" path null "empty .venv"
printf 'home = /usr/bin\nversion = 3.11.2\n' >"$S/.venv/pyvenv.cfg"
expect "$S/deep" path null "pyvenv.cfg but no bin/"
mkdir "$S/.venv/bin"
expect "$S/deep" path null "bin/ but no python"
g=$(generation)
ln -s /usr/bin/python3 "$S/.venv/bin/python"
wait_gen "$g" "bin/python appearing"
expect "$S/deep" path "$S/.venv" "venv once bin/python exists"
g=$(generation)
rm "$S/.venv/bin/python"
wait_gen "$g" "bin/python vanishing"
expect "$S/deep" path null "bin/python removed"

# --- nested projects -----------------------------------------------------
say "nested projects"
mkdir -p "$P/src/inner/lib"
expect "$P/src/inner/lib" path "$P/.venv" "the outer venv before the inner one exists"
g=$(generation)
mkvenv "$P/src/inner/venv"
wait_gen "$g" "a nested venv"
expect "$P/src/inner/lib" path "$P/src/inner/venv" "inner venv"
expect "$P/src/inner/lib" project "$P/src/inner" "inner project"
expect "$P/src/inner/lib" found_as "venv" "inner found_as"
expect "$P/src/pkg" path "$P/.venv" "outer venv beside the inner project"
expect "$P/src/inner/venv/bin" found_as "self" "inside the venv itself"

# --- symlinked .venv and retargeting ------------------------------------
say "a .venv symlink, retargeted"
mkvenv --prompt alpha "$T/store/a"
mkvenv --prompt beta "$T/store/b"
Q="$T/linked"
mkdir -p "$Q/x"
ln -s "$T/store/a" "$Q/.venv"
expect "$Q/x" prompt alpha "symlinked .venv"
expect "$Q/x" path "$Q/.venv" "path as reached"
g=$(generation)
ln -sfn "$T/store/b" "$Q/.venv"
wait_gen "$g" "retargeting the .venv symlink"
expect "$Q/x" prompt beta "retargeted .venv"
g=$(generation)
rm "$Q/.venv"
wait_gen "$g" "removing the .venv symlink"
expect "$Q/x" path null "symlink removed"

say "a symlinked directory on the path, retargeted"
mkdir -p "$T/w/v1/sub" "$T/w/v2/sub"
mkvenv --prompt one "$T/w/v1/.venv"
mkvenv --prompt two "$T/w/v2/.venv"
ln -s v1 "$T/w/cur"
expect "$T/w/cur/sub" prompt one "through the symlink"
expect "$T/w/cur/sub" path "$T/w/cur/.venv" "logical path kept"
g=$(generation)
ln -sfn v2 "$T/w/cur"
wait_gen "$g" "retargeting a symlinked path component"
expect "$T/w/cur/sub" prompt two "after retargeting the path component"

# --- virtualenv ----------------------------------------------------------
VIRTUALENV=()
if command -v virtualenv >/dev/null 2>&1; then
	VIRTUALENV=(virtualenv)
elif "$PYTHON3" -m virtualenv --version >/dev/null 2>&1; then
	VIRTUALENV=("$PYTHON3" -m virtualenv)
fi
if [ ${#VIRTUALENV[@]} -gt 0 ]; then
	say "virtualenv"
	R="$T/ve"
	mkdir -p "$R/a"
	expect "$R/a" path null "before virtualenv"
	g=$(generation)
	"${VIRTUALENV[@]}" -q --no-pip --no-setuptools --no-wheel \
		--no-periodic-update "$R/.venv" >/dev/null || fail "virtualenv failed"
	wait_gen "$g" "virtualenv"
	expect "$R/a" path "$R/.venv" "virtualenv venv"
	expect "$R/a" kind virtualenv "virtualenv kind"
	[ "$(field "$(res "$R/a")" version)" != null ] || fail "virtualenv version missing"
else
	say "virtualenv not installed: that part skipped"
fi

# --- pyvenv.cfg rewritten --------------------------------------------------
say "pyvenv.cfg rewritten in place, then replaced by rename"
cfg="$P/.venv/pyvenv.cfg"
expect "$P/src/pkg" version "$(sed -n 's/^version *= *//p' "$cfg")" "original version"
g=$(generation)
"$PYTHON3" - "$cfg" <<'EOF'
import re, sys
p = sys.argv[1]
t = open(p).read()
with open(p, "w") as f:
    f.write(re.sub(r"(?m)^version\s*=.*$", "version = 3.99.1", t))
EOF
wait_gen "$g" "writing pyvenv.cfg"
expect "$P/src/pkg" version 3.99.1 "version after an in-place write"
g=$(generation)
sed -i 's/^version = .*/version = 3.99.2/' "$cfg"
wait_gen "$g" "sed -i pyvenv.cfg"
expect "$P/src/pkg" version 3.99.2 "version after a rename over pyvenv.cfg"

# --- a small watch budget --------------------------------------------------
say "max_watches = 16"
daemon_stop
mkdir -p "$XDG_CONFIG_HOME/venvd"
printf 'max_watches = 16\n' >"$XDG_CONFIG_HOME/venvd/config"
M="$T/many"
for i in $(seq 1 24); do
	mkdir -p "$M/d$i/sub"
done
for i in 3 9 17; do
	mkvenv "$M/d$i/.venv"
done
daemon_start
assert_eq 16 "$(status_of watch_limit)" "watch_limit from the config"
g=$(generation)
for i in $(seq 1 24); do
	case $i in
	3|9|17) want="$M/d$i/.venv" ;;
	*) want=null ;;
	esac
	expect "$M/d$i/sub" path "$want" "d$i under a small budget"
	w=$(status_of watches)
	[ "$w" -le 16 ] || fail "$w watches held, budget 16"
done
gen_changed "$g" || fail "eviction did not bump the generation"
# Evicted answers come back right, as misses.
h1=$(status_of cache_hits)
expect "$M/d3/sub" path "$M/d3/.venv" "d3 again after eviction"
assert_eq "$h1" "$(status_of cache_hits)" "an evicted dir answered from the cache"
# And a change under a cached dir is still seen.
g=$(generation)
rm -rf "$M/d3/.venv"
wait_gen "$g" "rm -rf under a small budget"
expect "$M/d3/sub" path null "d3 after rm -rf"

daemon_stop
say "all resolve checks passed"
exit 0
