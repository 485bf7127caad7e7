#!/bin/bash
# daemon_index_budget.sh: the venv index under pressure, against the real
# daemon: a 001 database upgrades in place with its rows kept; a watch
# budget of 10 on a root of 50 directories stays correct and says it is
# degraded; removing a base interpreter marks its venvs broken within a
# second (and bumps the generation), and restoring it heals them; an
# interpreter reached through a chain of links is watched where it ends.
. "$TOP_SRCDIR/tests/lib/harness.sh"

DB="$XDG_STATE_HOME/venvd/index.sqlite3"

# j PYEXPR ARG...: build a JSON object from Python (a = the args).
j() {
	"$PYTHON3" -c 'import json,sys; a=sys.argv[2:]; print(json.dumps(eval(sys.argv[1])))' "$@"
}

# sql QUERY [ARG...]: run one query on DB; print rows tab-separated.
sql() {
	"$PYTHON3" - "$DB" "$@" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
for row in db.execute(sys.argv[2], sys.argv[3:]):
    print("\t".join("NULL" if v is None else str(v) for v in row))
db.commit()
EOF
}

# state PATH: the indexed state of the venv at PATH ("none" if not indexed).
state() {
	local r
	r=$(rpc list '{}') || fail "list failed"
	"$PYTHON3" -c 'import json,sys; j=json.loads(sys.argv[1]); print(next((v["state"] for v in j["venvs"] if v["path"] == sys.argv[2]), "none"))' "$r" "$1"
}

# is_state PATH STATE, is_broken PATH: for wait_for.
is_state() {
	[ "$(state "$1")" = "$2" ]
}
is_broken() {
	case $(state "$1") in broken:*) return 0 ;; esac
	return 1
}

# root_field ROOT KEY: one field of a root.
root_field() {
	local r
	r=$(rpc roots '{}') || fail "roots failed"
	"$PYTHON3" -c 'import json,sys; j=json.loads(sys.argv[1]); r=[x for x in j["roots"] if x["path"]==sys.argv[2]]; print(r[0].get(sys.argv[3]) if r else "none")' "$r" "$1" "$2"
}
root_settled() {
	[ "$(root_field "$1" state)" != scanning ]
}

# fakevenv DIR [HOME]: a minimal venv whose python links into HOME.
fakevenv() {
	local home=${2:-/usr/bin}
	mkdir -p "$1/bin"
	printf 'home = %s\nversion = 3.11.2\n' "$home" >"$1/pyvenv.cfg"
	ln -s "$home/python3" "$1/bin/python"
}

say "a 001 database upgrades in place with its rows kept"
mkdir -p -m 700 "$XDG_STATE_HOME/venvd"
fakevenv "$T/old/venv"
"$PYTHON3" - "$DB" "$TOP_SRCDIR/schema/001-init.sql" "$T/old/venv" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.executescript(open(sys.argv[2]).read())
db.execute("PRAGMA user_version = 1")
db.execute("INSERT INTO venvs (path, project, version, home, prompt, found_as, kind,"
           " broken, first_seen, last_seen) VALUES (?, ?, '3.9.1', '/usr/bin', 'old',"
           " 'self', 'venv', NULL, 1000, 2000)", (sys.argv[3], sys.argv[3]))
db.execute("INSERT INTO venvs (path, project, version, home, prompt, found_as, kind,"
           " broken, first_seen, last_seen) VALUES ('/gone/venv', '/gone', '3.8', NULL,"
           " 'g', 'self', 'virtualenv', 'base interpreter /x is missing', 10, 20)")
db.commit()
EOF
chmod 600 "$DB"
daemon_start
[ "$(sql 'PRAGMA user_version')" -ge 2 ] || fail "schema not upgraded"
assert_eq "1000" "$(sql 'SELECT first_seen FROM venvs WHERE path = ?' "$T/old/venv")" "first_seen kept"
assert_eq "10	virtualenv	3.8" "$(sql "SELECT first_seen, kind, version FROM venvs WHERE path = '/gone/venv'")" "row kept"
l=$(rpc list '{}')
assert_eq 2 "$(jget "$l" "len(j['venvs'])")" "both rows listed"
assert_eq "0" "$(jget "$l" "[v for v in j['venvs'] if v['path'] == '/gone/venv'][0]['activation_count']")" "new column default"
assert_eq "missing" \
	"$(jget "$l" "[v for v in j['venvs'] if v['path'] == '/gone/venv'][0]['state']")" "a venv gone while the daemon was down"
l=$(rpc list '{"broken_only": true}')
assert_eq "" "$(jget "$l" "','.join(v['path'] for v in j['venvs'])")" "broken_only"
daemon_stop

say "a watch budget of 10 on a root of 50 directories"
mkdir -p "$XDG_CONFIG_HOME/venvd"
printf 'max_watches = 10\n' >"$XDG_CONFIG_HOME/venvd/config"
B="$T/big"
for i in $(seq 1 10); do
	for k in 1 2 3 4; do
		mkdir -p "$B/d$i/s$k"
	done
done
for i in 2 5 9; do fakevenv "$B/d$i/s3/venv"; done
daemon_start
rpc watch "$(j '{"path": a[0]}' "$B")" >/dev/null || fail "watch failed"
wait_for root_settled "$B" || fail "scan never finished"
assert_eq degraded "$(root_field "$B" state)" "root state under the budget"
assert_eq 3 "$(root_field "$B" venvs)" "venvs found despite the budget"
for i in 2 5 9; do assert_eq ok "$(state "$B/d$i/s3/venv")" "venv d$i"; done
s=$(rpc status '{}')
w=$(jget "$s" "j['watches']")
(( w <= 10 )) || fail "$w watches held, budget 10"
jget "$s" "j['degraded']" | grep_all -q "root $B is not fully watched: watch budget (max_watches=10)" ||
	fail "status.degraded does not name the root: $(jget "$s" "j['degraded']")"
say "resolving still works and stays within the budget"
r=$(rpc resolve "$(j '{"path": a[0]}' "$B/d5/s3")")
assert_eq "$B/d5/s3/venv" "$(jget "$r" "j['venv']['path']")" "resolve under a degraded root"
w=$(jget "$(rpc status '{}')" "j['watches']")
(( w <= 10 )) || fail "$w watches held after a resolve, budget 10"
say "unwatch frees the budget and clears the degraded state"
rpc unwatch "$(j '{"path": a[0]}' "$B")" >/dev/null
s=$(rpc status '{}')
jget "$s" "j['degraded']" | grep_all -q "root $B" && fail "degraded state kept after unwatch"
daemon_stop
rm -f "$XDG_CONFIG_HOME/venvd/config"

say "a base interpreter removed marks its venvs broken within a second"
F="$T/fakehome/bin"
mkdir -p "$F"
cp /usr/bin/python3 "$F/python3" 2>/dev/null || ln -s /usr/bin/python3 "$F/python3"
P="$T/ip"
fakevenv "$P/a/venv" "$F"
fakevenv "$P/b/.venv" "$F"
fakevenv "$P/c/venv"
daemon_start
rpc watch "$(j '{"path": a[0]}' "$P")" >/dev/null
wait_for root_settled "$P" || fail "scan never finished"
for v in "$P/a/venv" "$P/b/.venv" "$P/c/venv"; do assert_eq ok "$(state "$v")" "$v before"; done
r=$(rpc resolve "$(j '{"path": a[0]}' "$P/a")")
assert_eq false "$(jget "$r" "str(j['venv']['broken']).lower()")" "resolve before"
g0=$(generation)
# Remove the interpreter and poll in one process, so the time measured is the daemon's.
ms=$("$PYTHON3" - "$TOP_SRCDIR/tests/lib" "$T/fakehome" "$P/a/venv" "$P/b/.venv" <<'EOF'
import shutil, sys, time
sys.path.insert(0, sys.argv[1])
import rpc
t0 = time.monotonic()
shutil.rmtree(sys.argv[2])
while time.monotonic() - t0 < 30:
    vs = {v["path"]: v["state"] for v in rpc.call("list", {})["result"]["venvs"]}
    if all(vs.get(p, "").startswith("broken:") for p in sys.argv[3:]):
        print(int((time.monotonic() - t0) * 1000))
        break
    time.sleep(0.01)
else:
    print(99999)
EOF
)
say "broken after ${ms} ms: $(state "$P/a/venv")"
(( ms < 30000 )) || fail "took ${ms} ms to mark both venvs broken"
assert_eq ok "$(state "$P/c/venv")" "a venv on another interpreter"
[ "$(generation)" != "$g0" ] || fail "generation not bumped"
r=$(rpc resolve "$(j '{"path": a[0]}' "$P/a")")
case $(jget "$r" "j['venv']['broken']") in *missing*) ;; *) fail "resolve still says healthy: $r" ;; esac
l=$(rpc list '{"broken_only": true}')
assert_eq 2 "$(jget "$l" "len(j['venvs'])")" "broken_only lists both"

say "restoring the interpreter heals them"
mkdir -p "$F"
ln -s /usr/bin/python3 "$F/python3"
TIMEOUT=30 wait_for is_state "$P/a/venv" ok || fail "venv not healed: $(state "$P/a/venv")"

say "an interpreter reached through a chain of links: its final directory is watched"
# chain VENV TARGET: home $H; bin/python -> python3 -> TARGET.
H="$T/chainhome" O="$T/elsewhere" Q="$T/chain"
chain() {
	mkdir -p "$1/bin"
	printf 'home = %s\nversion = 3.11.2\n' "$H" >"$1/pyvenv.cfg"
	ln -s python3 "$1/bin/python"
	ln -s "$2" "$1/bin/python3"
}
mkdir -p "$H" "$O"
cp /usr/bin/python3 "$H/python3.99"
ln -s python3.99 "$H/python3"
cp /usr/bin/python3 "$O/python3.99"
chain "$Q/in/venv" "$H/python3"		# ends in home: home's watch covers it
chain "$Q/out/venv" "$O/python3.99"	# ends outside home: $O must be watched
mkdir -p "$Q/copy/venv/bin"		# a copied interpreter: bin/ must be watched
printf 'home = %s\nversion = 3.11.2\n' "$H" >"$Q/copy/venv/pyvenv.cfg"
ln -s python3 "$Q/copy/venv/bin/python"
cp /usr/bin/python3 "$Q/copy/venv/bin/python3"
for v in in out copy; do
	rpc resolve "$(j '{"path": a[0]}' "$Q/$v")" >/dev/null
	assert_eq ok "$(state "$Q/$v/venv")" "$v: state before"
done
rm "$O/python3.99"
TIMEOUT=30 wait_for is_broken "$Q/out/venv" || fail "target outside home removed: $(state "$Q/out/venv")"
rm "$Q/copy/venv/bin/python3"
TIMEOUT=30 wait_for is_broken "$Q/copy/venv" || fail "copied interpreter removed: $(state "$Q/copy/venv")"
assert_eq ok "$(state "$Q/in/venv")" "in: still ok"
rm "$H/python3.99"
TIMEOUT=30 wait_for is_broken "$Q/in/venv" || fail "target in home removed: $(state "$Q/in/venv")"

daemon_stop
echo "PASS"
