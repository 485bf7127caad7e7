#!/bin/bash
# daemon_index.sh: the venv index against the real daemon: discovery
# roots (scan, live add/delete/move, depth limit, skipped directories,
# a venv's interior), list/forget/roots/watch/unwatch, activation
# counting, sizes, and list output stable for scripts.
. "$TOP_SRCDIR/tests/lib/harness.sh"

DB="$XDG_STATE_HOME/venvd/index.sqlite3"

# j PYEXPR ARG...: build a JSON object from Python (sys.argv[1:] as a).
j() {
	"$PYTHON3" -c 'import json,sys; a=sys.argv[2:]; print(json.dumps(eval(sys.argv[1])))' "$@"
}

# state PATH: the indexed state of the venv at PATH ("none" if not indexed).
state() {
	local r
	r=$(rpc list '{}') || fail "list failed"
	"$PYTHON3" -c 'import json,sys; j=json.loads(sys.argv[1]); print(next((v["state"] for v in j["venvs"] if v["path"] == sys.argv[2]), "none"))' "$r" "$1"
}

# state_ms PATH STATE: poll in one process until PATH has STATE; print the ms it took (99999: never).
state_ms() {
	"$PYTHON3" - "$TOP_SRCDIR/tests/lib" "$1" "$2" <<'EOF'
import sys, time
sys.path.insert(0, sys.argv[1])
import rpc
t0 = time.monotonic()
while time.monotonic() - t0 < 30:
    vs = {v["path"]: v["state"] for v in rpc.call("list", {})["result"]["venvs"]}
    if vs.get(sys.argv[2]) == sys.argv[3]:
        print(int((time.monotonic() - t0) * 1000))
        break
    time.sleep(0.01)
else:
    print(99999)
EOF
}

# is_state PATH STATE: for wait_for.
is_state() {
	[ "$(state "$1")" = "$2" ]
}

# root_field ROOT KEY: one field of a root from the roots method.
root_field() {
	local r
	r=$(rpc roots '{}') || fail "roots failed"
	"$PYTHON3" -c 'import json,sys; j=json.loads(sys.argv[1]); r=[x for x in j["roots"] if x["path"]==sys.argv[2]]; print(r[0].get(sys.argv[3]) if r else "none")' "$r" "$1" "$2"
}

# root_live ROOT: the root's scan is over and it is fully watched.
root_live() {
	[ "$(root_field "$1" state)" = live ]
}

# fakevenv DIR: the smallest thing the resolver takes as a venv.
fakevenv() {
	mkdir -p "$1/bin"
	printf 'home = /usr/bin\nversion = 3.11.2\n' >"$1/pyvenv.cfg"
	ln -s /usr/bin/python3 "$1/bin/python"
}

R="$T/code"
mkdir -p "$R/proj a/sub" "$R/deep/1/2/3/4/5/6/7" "$R/node_modules/pkg" \
	"$R/.git/x" "$R/.tox/py" "$R/proj b"
mkvenv "$R/proj a/.venv"
fakevenv "$R/proj b/env"
fakevenv "$R/deep/1/2/3/4/v5"		# level 6: found at depth 6
fakevenv "$R/deep/1/2/3/4/5/v6"	# level 7: too deep
fakevenv "$R/node_modules/pkg/venv"
fakevenv "$R/.git/x/venv"
fakevenv "$R/.tox/py"
fakevenv "$R/proj a/.venv/lib/inner"	# inside a venv: never looked at

daemon_start

say "watch a root: the scan finds what it should"
r=$(rpc watch "$(j '{"path": a[0]}' "$R")") || fail "watch failed: $r"
assert_eq index "$(jget "$r" "j['root']['source']")" "root source"
assert_eq 6 "$(jget "$r" "j['root']['depth']")" "default depth"
wait_for root_live "$R" || fail "root never became live: $(rpc roots '{}')"
for v in "$R/proj a/.venv" "$R/proj b/env" "$R/deep/1/2/3/4/v5"; do
	assert_eq ok "$(state "$v")" "state of $v"
done
for v in "$R/deep/1/2/3/4/5/v6" "$R/node_modules/pkg/venv" "$R/.git/x/venv" \
	"$R/.tox/py" "$R/proj a/.venv/lib/inner"; do
	assert_eq none "$(state "$v")" "state of $v (must not be indexed)"
done
assert_eq 3 "$(root_field "$R" venvs)" "venvs counted by the scan"

say "the record is resolve's: project, kind, version, python, root"
l=$(rpc list "$(j '{"project": a[0]}' "$R/proj a")")
assert_eq 1 "$(jget "$l" "len(j['venvs'])")" "list by project"
assert_eq "$R/proj a" "$(jget "$l" "j['venvs'][0]['project']")" "project"
assert_eq venv "$(jget "$l" "j['venvs'][0]['kind']")" "kind"
assert_eq "$R/proj a/.venv/bin/python" "$(jget "$l" "j['venvs'][0]['python']")" "python"
assert_eq "$R" "$(jget "$l" "j['venvs'][0]['root']")" "root"
assert_eq False "$(jget "$l" "str(j['venvs'][0]['include_system_site_packages'])")" "isp"
assert_eq None "$(jget "$l" "str(j['venvs'][0]['trust'])")" "trust before judged"
for k in first_seen last_seen last_activated activation_count size_bytes size_measured state version prompt home; do
	jget "$l" "j['venvs'][0]['$k'] if '$k' in j['venvs'][0] else sys.exit(1)" >/dev/null ||
		fail "record lacks $k"
done

say "live: a venv created under the root is indexed (at once; bench/ measures how fast)"
mkdir -p "$R/new/deeper"
mkvenv "$R/new/deeper/.venv"
ms=$(state_ms "$R/new/deeper/.venv" ok)
say "indexed ${ms} ms after python -m venv returned"
# A bound that tells "indexed" from "never", on a machine of any speed.
(( ms < 30000 )) || fail "indexing took ${ms} ms"

say "live: a brand new directory tree with a venv in it"
mkdir -p "$R/fresh/a/b"
fakevenv "$R/fresh/a/b/venv"
TIMEOUT=30 wait_for is_state "$R/fresh/a/b/venv" ok || fail "venv in a new tree not indexed"

say "live: a venv moved: its record follows it (moved_from), none is left behind"
mv "$R/proj b/env" "$R/proj b/env2"
TIMEOUT=30 wait_for is_state "$R/proj b/env2" ok || fail "moved venv not indexed"
TIMEOUT=30 wait_for is_state "$R/proj b/env" none || fail "a record left at the old path"
r=$(rpc list '{}') || fail "list failed"
assert_eq "$R/proj b/env" "$("$PYTHON3" -c 'import json,sys; j=json.loads(sys.argv[1]); print(next(v.get("moved_from") for v in j["venvs"] if v["path"] == sys.argv[2]))' "$r" "$R/proj b/env2")" "moved_from"

say "live: a venv deleted becomes missing, forget drops it"
rm -rf "$R/new/deeper/.venv"
TIMEOUT=30 wait_for is_state "$R/new/deeper/.venv" missing || fail "deleted venv not missing"
r=$(rpc forget "$(j '{"path": a[0]}' "$R/new/deeper/.venv")")
assert_eq True "$(jget "$r" "str(j['forgotten'])")" "forget"
assert_eq none "$(state "$R/new/deeper/.venv")" "forgotten venv"
r=$(rpc forget "$(j '{"path": a[0]}' "$R/new/deeper/.venv")")
assert_eq False "$(jget "$r" "str(j['forgotten'])")" "forget twice"
[ -d "$R/proj b/env2" ] || fail "files touched"

say "live: a skipped directory created later is not scanned"
mkdir -p "$R/later/node_modules/x"
fakevenv "$R/later/node_modules/x/venv"
fakevenv "$R/later/seen"
TIMEOUT=30 wait_for is_state "$R/later/seen" ok || fail "venv next to node_modules not indexed"
assert_eq none "$(state "$R/later/node_modules/x/venv")" "venv under a late node_modules"

say "activations are counted from resolve with activating"
# Only a trusted answer counts: let the git check settle first, however
# long git takes on this machine.
prime_trust "$R/proj a/sub"
rpc resolve "$(j '{"path": a[0], "activating": True}' "$R/proj a/sub")" >/dev/null
rpc resolve "$(j '{"path": a[0], "activating": True}' "$R/proj a")" >/dev/null
rpc resolve "$(j '{"path": a[0]}' "$R/proj a")" >/dev/null
l=$(rpc list "$(j '{"project": a[0]}' "$R/proj a")")
assert_eq 2 "$(jget "$l" "j['venvs'][0]['activation_count']")" "activation_count"
[ "$(jget "$l" "j['venvs'][0]['last_activated']")" != null ] || fail "last_activated not set"

say "sizes are measured off the loop"
sized() {
	local l
	l=$(rpc list "$(j '{"project": a[0]}' "$R/proj a")")
	[ "$(jget "$l" "j['venvs'][0]['size_bytes']")" != null ]
}
TIMEOUT=10 wait_for sized || fail "size never measured"
l=$(rpc list "$(j '{"project": a[0]}' "$R/proj a")")
du=$(du -s -B1 "$R/proj a/.venv" | cut -f1)
assert_eq "$du" "$(jget "$l" "j['venvs'][0]['size_bytes']")" "size_bytes vs du -B1"

say "list filters and sorts; output stable"
l1=$(rpc list '{"sort": "path"}')
l2=$(rpc list '{"sort": "path"}')
p1=$(jget "$l1" "[v['path'] for v in j['venvs']]")
assert_eq "$p1" "$(jget "$l2" "[v['path'] for v in j['venvs']]")" "list twice"
assert_eq "$(jget "$l1" "sorted(v['path'] for v in j['venvs'])")" "$p1" "sorted by path"
l=$(rpc list '{"sort": "last-used"}')
assert_eq "$R/proj a/.venv" "$(jget "$l" "j['venvs'][0]['path']")" "most recently used first"
l=$(rpc list '{"include_broken": false}')
assert_eq 0 "$(jget "$l" "len([v for v in j['venvs'] if v['state'].startswith('broken:')])")" "include_broken false"
l=$(rpc list '{"stale_days": 0}')
[ "$(jget "$l" "len(j['venvs'])")" -ge 0 ] || fail "stale_days"
l=$(rpc list '{"stale_days": 30}')
assert_eq 0 "$(jget "$l" "len(j['venvs'])")" "nothing is 30 days stale"
for bad in '{"sort": "nope"}' '{"stale_days": -1}' '{"include_broken": 1}' '{"project": "rel"}' '[1]'; do
	out=$("$PYTHON3" "$TOP_SRCDIR/tests/lib/rpc.py" list "$bad" 2>&1) && fail "list $bad accepted: $out"
	case $out in *32602*|*nvalid*) ;; *) fail "list $bad: unexpected error $out" ;; esac
done

say "depth: re-watching with depth 7 finds the deeper venv"
rpc watch "$(j '{"path": a[0], "depth": 7}' "$R")" >/dev/null
wait_for root_live "$R" || fail "root not live after rewatch"
assert_eq ok "$(state "$R/deep/1/2/3/4/5/v6")" "venv at level 7"

say "bad watch/unwatch parameters"
out=$("$PYTHON3" "$TOP_SRCDIR/tests/lib/rpc.py" watch "$(j '{"path": a[0]}' "$T/nonexistent")" 2>&1) &&
	fail "watch of a missing dir accepted"
out=$("$PYTHON3" "$TOP_SRCDIR/tests/lib/rpc.py" watch '{"path": "relative"}' 2>&1) && fail "relative root accepted"
out=$("$PYTHON3" "$TOP_SRCDIR/tests/lib/rpc.py" watch "$(j '{"path": a[0], "depth": -1}' "$R")" 2>&1) &&
	fail "negative depth accepted"

say "activations counted just before the daemon stops are kept"
# Counted in memory and written in batches: stopping writes the rest.
for _ in 1 2 3; do
	rpc resolve "$(j '{"path": a[0], "activating": True}' "$R/proj a")" >/dev/null
done

say "the roots survive a restart (index) and a deleted-while-down venv is missing"
daemon_stop
rm -rf "$R/later/seen"
daemon_start
wait_for root_live "$R" || fail "root not live after restart"
assert_eq 7 "$(root_field "$R" depth)" "depth kept"
TIMEOUT=30 wait_for is_state "$R/later/seen" missing || fail "venv deleted while down not missing"
assert_eq ok "$(state "$R/proj a/.venv")" "venv kept across restart"
l=$(rpc list "$(j '{"project": a[0]}' "$R/proj a")")
assert_eq 5 "$(jget "$l" "j['venvs'][0]['activation_count']")" "activation_count kept (2 listed, 3 not yet)"

say "unwatch"
r=$(rpc unwatch "$(j '{"path": a[0]}' "$R")")
assert_eq True "$(jget "$r" "str(j['removed'])")" "unwatch"
assert_eq none "$(root_field "$R" state)" "root gone"
r=$(rpc unwatch "$(j '{"path": a[0]}' "$R")")
assert_eq False "$(jget "$r" "str(j['removed'])")" "unwatch twice"
assert_eq ok "$(state "$R/proj a/.venv")" "venvs stay indexed after unwatch"

say "a config root cannot be unwatched"
mkdir -p "$XDG_CONFIG_HOME/venvd" "$T/cfgroot/p"
fakevenv "$T/cfgroot/p/venv"
printf 'roots = %s\n' "$T/cfgroot" >"$XDG_CONFIG_HOME/venvd/config"
daemon_stop
daemon_start
wait_for root_live "$T/cfgroot" || fail "config root not live: $(rpc roots '{}')"
assert_eq config "$(root_field "$T/cfgroot" source)" "config root source"
assert_eq ok "$(state "$T/cfgroot/p/venv")" "venv under a config root"
out=$("$PYTHON3" "$TOP_SRCDIR/tests/lib/rpc.py" unwatch "$(j '{"path": a[0]}' "$T/cfgroot")" 2>&1) &&
	fail "unwatch of a config root accepted"
case $out in *config*) ;; *) fail "unwatch config root error does not say why: $out" ;; esac

daemon_stop
echo "PASS"
