#!/bin/bash
# daemon_db.sh: a corrupt index database is moved aside at start (bytes
# kept), the daemon serves anyway, and the venvs it resolves are recorded
# in the fresh database, which survives a restart with first_seen kept.
. "$TOP_SRCDIR/tests/lib/harness.sh"

DB="$XDG_STATE_HOME/venvd/index.sqlite3"

# res DIR: the venv path resolved for DIR ("null" for none).
res() {
	local params r
	params=$("$PYTHON3" -c 'import json,sys; print(json.dumps({"path": sys.argv[1]}))' "$1")
	r=$(rpc resolve "$params") || fail "resolve $1 failed"
	"$PYTHON3" -c 'import json,sys; v=json.loads(sys.argv[1])["venv"]; print(v["path"] if v else "null")' "$r"
}

# sql QUERY [ARG]: run one query on the index read-only; print rows tab-separated.
sql() {
	"$PYTHON3" - "$DB" "$@" <<'EOF'
import sqlite3, sys
db = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
for row in db.execute(sys.argv[2], sys.argv[3:]):
    print("\t".join("NULL" if v is None else str(v) for v in row))
EOF
}

# recorded PATH: is PATH in the venvs table?
recorded() {
	[ "$(sql 'SELECT count(*) FROM venvs WHERE path = ?' "$1")" = 1 ]
}

mkdir -p -m 700 "$XDG_STATE_HOME/venvd"
head -c 16384 /dev/urandom >"$DB"
chmod 600 "$DB"	# the daemon refuses a looser index (issue 5)
cp "$DB" "$T/original"

# shellcheck disable=SC2119
daemon_start

say "the corrupt file is moved aside, bytes intact"
shopt -s nullglob
aside=("$DB".corrupt-*)
shopt -u nullglob
assert_eq 1 "${#aside[@]}" "files moved aside"
[[ ${aside[0]} =~ \.corrupt-[0-9]{8}T[0-9]{6}$ ]] || fail "aside name ${aside[0]}"
cmp -s "$T/original" "${aside[0]}" || fail "the moved-aside file differs from the original"
grep -q "moved aside" "$DAEMON_LOG" || fail "moving the database aside was not logged"
[ -f "$DB" ] || fail "no fresh database"
assert_eq 600 "$(stat -c %a "$DB")" "database file mode"

say "the daemon serves and records what it resolves"
P="$T/proj"
mkdir -p "$P/a/b"
mkvenv "$P/.venv"
assert_eq "$P/.venv" "$(res "$P/a/b")" "resolve with a fresh database"
wait_for recorded "$P/.venv" || fail "$P/.venv not recorded in $DB"
row=$(sql 'SELECT project, found_as, kind, broken, first_seen <= last_seen FROM venvs WHERE path = ?' "$P/.venv")
assert_eq "$P	.venv	venv	NULL	1" "$row" "the recorded row"
assert_eq wal "$(sql 'PRAGMA journal_mode')" "journal mode"
v=$(sql 'PRAGMA user_version')
[ "$v" -ge 1 ] || fail "user_version $v"

say "a restart keeps the index and first_seen"
first=$(sql 'SELECT first_seen FROM venvs WHERE path = ?' "$P/.venv")
daemon_stop
# shellcheck disable=SC2119
daemon_start
shopt -s nullglob
aside=("$DB".corrupt-*)
shopt -u nullglob
assert_eq 1 "${#aside[@]}" "a healthy database was moved aside on restart"
assert_eq "$P/.venv" "$(res "$P/a")" "resolve after restart"
assert_eq "$first" "$(sql 'SELECT first_seen FROM venvs WHERE path = ?' "$P/.venv")" "first_seen after restart"
assert_eq "$v" "$(sql 'PRAGMA user_version')" "user_version after restart"

daemon_stop
say "database checks passed"
exit 0
