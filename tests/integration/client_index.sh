#!/bin/bash
# client_index.sh: venvd list / forget / gc / roots / watch / unwatch / doctor
# against the real daemon, with real venvs under a private discovery root.
# Timestamps the test cannot wait for (a venv unused for 40 days) and rows
# for things that are not venvs are staged in the daemon's real SQLite index.
# shellcheck disable=SC2119
# shellcheck source=tests/lib/harness.sh
. "$TOP_SRCDIR/tests/lib/harness.sh"

DB="$XDG_STATE_HOME/venvd/index.sqlite3"
R="$T/root"
NOW=$(date +%s)
OLD=$((NOW - 40 * 86400))

# sql STATEMENT [ARGS...]: run one statement on the daemon's index.
sql() {
	"$PYTHON3" - "$DB" "$@" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], timeout=10)
cur = db.execute(sys.argv[2], sys.argv[3:])
for row in cur.fetchall():
    print("\t".join("" if v is None else str(v) for v in row))
db.commit()
EOF
}

# Make the venv at $1 look unused for 40 days.
age() {
	sql "UPDATE venvs SET first_seen = ?, last_seen = ?, last_activated = NULL WHERE path = ?" "$OLD" "$OLD" "$1"
}

# Does `venvd list` (TSV) show $1?
listed() {
	"$VENVD" list | cut -f1 | grep_all -qxF -- "$1"
}

# Has the daemon gone?
not_answering() {
	! daemon_answers
}

# Is the root live (scan done)?
root_live() {
	"$VENVD" roots | grep_all -q "	live	"
}

mkdir -p "$R/p1" "$R/p2" "$R/p3" "$R/deep/x" "$T/outside/o1"
mkvenv "$R/p1/.venv"
mkvenv "$R/p2/.venv"
mkvenv "$R/p3/.venv"
mkvenv "$T/outside/o1/.venv"
# A file hard-linked twice inside p2's venv: counted once.
head -c 300000 /dev/urandom >"$R/p2/.venv/blob"
ln "$R/p2/.venv/blob" "$R/p2/.venv/lib/blob2"
V1="$R/p1/.venv" V2="$R/p2/.venv" V3="$R/p3/.venv" VO="$T/outside/o1/.venv"

daemon_start
rpc list '{}' >/dev/null 2>&1 || skip "this daemon has no list method"
daemon_stop

say "no daemon, VENVD_AUTOSTART=0: list fails clearly"
if out=$("$VENVD" list 2>&1); then fail "list without a daemon succeeded: $out"; fi
case $out in *"not running"*VENVD_AUTOSTART=0*) ;; *) fail "unclear message: $out" ;; esac

say "list starts the daemon itself when autostart is allowed"
VENVD_AUTOSTART=1 "$VENVD" list >/dev/null || fail "list with autostart failed"
daemon_answers || fail "list did not start the daemon"
rpc shutdown >/dev/null
wait_for not_answering || fail "autostarted daemon did not stop"

daemon_start

say "the generation marker follows the generation"
RUN="$XDG_RUNTIME_DIR/venvd"
g1=$(generation)
[ -e "$RUN/generation.$g1" ] || fail "no marker for $g1: $(ls "$RUN")"
mkdir -p "$T/gm"
"$VENVD" resolve "$T/gm" >/dev/null 2>&1 || true
mkvenv "$T/gm/.venv"
wait_for sh -c "[ \"\$(cat '$RUN/generation')\" != '$g1' ]" || fail "no bump after a venv appeared"
g2=$(generation)
[ -e "$RUN/generation.$g2" ] || fail "no marker for $g2"
[ ! -e "$RUN/generation.$g1" ] || fail "old marker $g1 left"

say "watch / roots"
out=$("$VENVD" watch "$R" --depth 4) || fail "watch failed"
[[ $(cut -f1 <<<"$out") == "$R" ]] || fail "watch printed [$out]"
[[ $(cut -f2 <<<"$out") == 4 ]] || fail "watch depth: [$out]"
(cd "$T" && "$VENVD" watch outside) || fail "relative watch failed"
"$VENVD" roots | cut -f1 | grep_all -qxF "$T/outside" || fail "relative DIR not made absolute"
"$VENVD" unwatch "$T/outside" >/dev/null || fail "unwatch failed"
if "$VENVD" roots | cut -f1 | grep_all -qxF "$T/outside"; then fail "unwatch left the root"; fi
if "$VENVD" unwatch "$T/outside" 2>/dev/null; then fail "unwatch of a non-root succeeded"; fi
TIMEOUT=10 wait_for root_live || fail "root never became live: $("$VENVD" roots)"
for v in "$V1" "$V2" "$V3"; do
	TIMEOUT=10 wait_for listed "$v" || fail "$v not listed: $("$VENVD" list)"
done
# o1 enters the index through resolve (outside every root).
"$VENVD" resolve "$T/outside/o1" >/dev/null || fail "resolve o1"
wait_for listed "$VO" || fail "resolved venv not indexed"

say "list piped: TSV, no header, seven columns, bytes and unix seconds"
tsv=$("$VENVD" list)
[[ $(head -n1 <<<"$tsv") != PATH* ]] || fail "header when piped"
awk -F'\t' 'NF != 7 { bad = 1 } END { exit bad }' <<<"$tsv" || fail "not 7 columns: $tsv"
ver=$("$PYTHON3" -c 'import platform; print(platform.python_version())')
line=$(grep -F "$V1	" <<<"$tsv")
IFS=$'\t' read -r c_path c_ver c_size c_used c_state c_proj c_manager <<<"$line"
assert_eq "$V1" "$c_path" "path column"
assert_eq "$ver" "$c_ver" "version column"
[[ $c_size == - || $c_size =~ ^[0-9]+$ ]] || fail "size column [$c_size]"
assert_eq "-" "$c_used" "never-activated last-used column"
assert_eq ok "$c_state" "state column"
assert_eq "$R/p1" "$c_proj" "project column"
assert_eq venv "$c_manager" "manager column"
# Sorted by path by default.
sorted=$(cut -f1 <<<"$tsv" | LC_ALL=C sort)
assert_eq "$sorted" "$(cut -f1 <<<"$tsv")" "default order is by path"

# What a terminal shows of script's raw output: each line as its last
# carriage return left it, erase-line sequences done (a progress line that
# the command drew and erased leaves nothing).
screen() {
	sed -e 's/\r$//' -e 's/\x1b\[K//g' -e 's/.*\r//'
}

say "list on a terminal: header and aligned columns"
tty_out=$(script -qec "$VENVD list" /dev/null | screen)
head -n1 <<<"$tty_out" | grep_all -q '^PATH  *VERSION  *SIZE  *LAST USED  *STATE  *PROJECT  *MANAGER$' ||
	fail "no header on a tty: $tty_out"
col=$(head -n1 <<<"$tty_out" | awk '{ print index($0, "VERSION") }')
while IFS= read -r l; do
	[[ ${l:col-1:${#ver}} == "$ver" ]] || fail "column not aligned at $col: [$l]"
done < <(tail -n +2 <<<"$tty_out")
grep -F "$V1 " <<<"$tty_out" | grep_all -q ' never ' || fail "tty last used not 'never': $tty_out"

say "list --json: full records"
js=$("$VENVD" list --json)
n=$(jget "$js" 'len(j)')
[ "$n" -ge 4 ] || fail "--json has $n records"
for k in path version state project first_seen last_seen last_activated activation_count size_bytes root manager; do
	[[ $(jget "$js" "all('$k' in r for r in j)") == true ]] || fail "--json lacks $k"
done

say "activation reported by export --hook (counted once), cache answers not"
prime_trust "$R/p3"	# only a trusted answer activates; let git settle first
"$VENVD" export --hook bash "$R/p3" >/dev/null
js=$("$VENVD" list --json)
assert_eq 1 "$(jget "$js" "[r['activation_count'] for r in j if r['path']=='$V3'][0]")" "activation count after one activation"
VENVD_ACTIVE=$V3 VIRTUAL_ENV=$V3 "$VENVD" export --hook bash "$R/p3" >/dev/null
VIRTUAL_ENV=/somewhere/manual "$VENVD" export --hook bash "$R/p3" >/dev/null
js=$("$VENVD" list --json)
assert_eq 1 "$(jget "$js" "[r['activation_count'] for r in j if r['path']=='$V3'][0]")" "re-answering the active venv / a manual activation counted"

say "--sort last-used: most recently used first"
first=$("$VENVD" list --sort last-used | sed -n 1p | cut -f1)
assert_eq "$V3" "$first" "--sort last-used"

say "--sort size: biggest first (sizes as measured by the daemon, unknown last)"
sizes=$("$VENVD" list --sort size | cut -f3 | grep -v '^-$' || true)
assert_eq "$(sort -rn <<<"$sizes")" "$sizes" "--sort size order"

say "--stale DAYS"
age "$V1"
stale=$("$VENVD" list --stale 30 | cut -f1)
assert_eq "$V1" "$stale" "--stale 30 lists only the aged venv"

say "--broken"
mkdir -p "$R/p4" "$T/fakehome/bin"
mkvenv "$R/p4/.venv"
V4="$R/p4/.venv"
sed -i "s|^home = .*|home = $T/fakehome/bin|" "$V4/pyvenv.cfg"
for f in "$V4"/bin/python*; do rm -f "$f"; ln -s "$T/fakehome/bin/python3" "$f"; done
"$VENVD" resolve "$R/p4" >/dev/null 2>&1 || true
wait_for sh -c "'$VENVD' list --broken | cut -f1 | grep -qxF '$V4'" ||
	fail "broken venv not in --broken: $("$VENVD" list)"
if "$VENVD" list --broken | cut -f1 | grep_all -qxF "$V2"; then fail "--broken lists an ok venv"; fi

say "doctor: a broken venv, the hook missing"
if out=$(env -u VENVD_SHELL "$VENVD" doctor); then fail "doctor passed with problems: $out"; fi
grep -q "^FAIL  hook: not installed" <<<"$out" || fail "doctor hook check: $out"
grep -qF "FAIL  $V4: broken" <<<"$out" || fail "doctor broken check: $out"
grep -q "^ok    daemon: running" <<<"$out" || fail "doctor daemon check: $out"
grep -q "^ok    database: integrity check passed" <<<"$out" || fail "doctor database check: $out"
out=$(VENVD_SHELL=bash "$VENVD" doctor) || true
grep -q "^ok    hook: installed in this shell (bash)" <<<"$out" || fail "doctor with VENVD_SHELL: $out"
# The hooks export SHELL:PID; only the shell that loaded the hook counts.
out=$(env VENVD_SHELL="zsh:$$" "$VENVD" doctor) || true
grep -q "^ok    hook: installed in this shell (zsh)" <<<"$out" || fail "doctor with VENVD_SHELL=zsh:\$\$: $out"
out=$(env VENVD_SHELL="bash:1" "$VENVD" doctor) || true
grep -q "^FAIL  hook: not installed in this shell (VENVD_SHELL was inherited from bash, pid 1)" <<<"$out" ||
	fail "doctor believed an inherited VENVD_SHELL: $out"
say "doctor: the inotify limit"
echo 6 >"$T/maxw"
out=$(VENVD_SHELL=bash VENVD_DOCTOR_MAX_WATCHES="$T/maxw" "$VENVD" doctor) || true
grep -q "^FAIL  inotify: .*sysctl fs.inotify.max_user_watches=524288" <<<"$out" || fail "inotify check: $out"
say "doctor: a version mismatch (bin/python names another X.Y)"
sed -i "s|^version.*= .*|version = 3.1.0|" "$V2/pyvenv.cfg"
out=$(VENVD_SHELL=bash "$VENVD" doctor) || true
grep -qF "FAIL  $V2: pyvenv.cfg says Python 3.1 but its interpreter is" <<<"$out" || fail "mismatch check: $out"
sed -i "s|^version.*= .*|version = $ver|" "$V2/pyvenv.cfg"
"$VENVD" forget "$V4" >/dev/null || fail "forget V4"

say "forget: drops from the index, never deletes"
"$VENVD" forget "$V3" | grep_all -qF "forgot $V3" || fail "forget output"
[ -f "$V3/pyvenv.cfg" ] || fail "forget deleted files"
if listed "$V3"; then fail "forgotten venv still listed"; fi
if "$VENVD" forget "$T/nonesuch" 2>/dev/null; then fail "forget of an unknown path succeeded"; fi
if "$VENVD" forget 2>/dev/null; then fail "forget without PATH"; else [ $? -eq 2 ] || fail "usage exit"; fi

say "gc: refusals"
age "$V2"
age "$VO"
# Not venvs, staged in the index: a dir without pyvenv.cfg and a symlink to a venv.
mkdir -p "$R/notvenv/bin"
ln -s "$V2" "$R/link"
for p in "$R/notvenv" "$R/link"; do
	sql "INSERT OR REPLACE INTO venvs (path, project, version, first_seen, last_seen, state, root) VALUES (?, ?, '3.11', ?, ?, 'ok', ?)" "$p" "$R" "$OLD" "$OLD" "$R"
done
out=$("$VENVD" gc --stale 30 </dev/null) || fail "gc dry run failed: $out"
grep -F "refuse  $R/notvenv" <<<"$out" | grep_all -q "no pyvenv.cfg" ||
	fail "gc did not refuse a non-venv: $out"
grep -F "refuse  $R/link" <<<"$out" | grep_all -q "symlink" || fail "gc did not refuse a symlink: $out"
grep -F "refuse  $VO" <<<"$out" | grep_all -q "outside every discovery root" || fail "gc did not refuse outside a root: $out"
grep -qF "would delete  $V1" <<<"$out" || fail "gc does not offer V1: $out"
grep -q "^dry run: nothing deleted (stdin is not a terminal" <<<"$out" || fail "not a dry run: $out"
[ -f "$V1/pyvenv.cfg" ] || fail "dry run deleted V1"
[ -f "$V2/pyvenv.cfg" ] || fail "dry run deleted V2"
out=$(VIRTUAL_ENV=$V2 "$VENVD" gc --stale 30 --dry-run) || fail "gc --dry-run"
grep -F "refuse  $V2" <<<"$out" | grep_all -q "active venv" || fail "gc did not refuse the active venv: $out"

say "gc: total freed, hard links once"
out=$("$VENVD" gc --stale 30 --dry-run)
expect=$(du -sB1 "$V1" "$V2" | awk '{ s += $1 } END { print s }')
got=$(sed -n 's/^total: 2 venvs, .* (\([0-9]*\) bytes)$/\1/p' <<<"$out")
assert_eq "$expect" "$got" "freed total (du -sB1 of the two venvs)"
# A link from outside the deleted venvs means that file frees nothing.
ln "$V2/blob" "$T/keep"
blob=$(du -B1 "$V2/blob" | cut -f1)
out=$("$VENVD" gc --stale 30 --dry-run)
got2=$(sed -n 's/^total: 2 venvs, .* (\([0-9]*\) bytes)$/\1/p' <<<"$out")
assert_eq "$((expect - blob))" "$got2" "freed total with an outside hard link"

say "gc on a terminal asks; no answer but y deletes nothing"
out=$(printf 'n\n' | script -qec "'$VENVD' gc --stale 30" /dev/null | screen)
grep -q 'Delete 2 venvs, freeing .*? \[y/N\]' <<<"$out" || fail "gc did not ask on a terminal: $out"
grep -q "nothing deleted" <<<"$out" || fail "gc after 'n': $out"
[ -f "$V1/pyvenv.cfg" ] || fail "gc deleted V1 after 'n'"

say "gc --yes deletes (not following symlinks, not outside), then forgets"
ln -s "$T/outside" "$V1/escape"
out=$("$VENVD" gc --stale 30 --yes </dev/null) || fail "gc --yes failed: $out"
grep -q "^freed " <<<"$out" || fail "no freed line: $out"
if [ -e "$V1" ] || [ -e "$V2" ]; then fail "gc --yes did not delete: $out"; fi
[ -f "$VO/pyvenv.cfg" ] || fail "gc deleted outside a root"
[ -d "$R/notvenv/bin" ] || fail "gc deleted a refused non-venv"
[ -L "$R/link" ] || fail "gc deleted a refused symlink"
[ -f "$T/keep" ] || fail "gc lost a hard link outside"
if listed "$V1" || listed "$V2"; then fail "deleted venvs still indexed"; fi

say "usage errors"
"$VENVD" list --sort bogus 2>/dev/null && fail "bad --sort accepted"
"$VENVD" gc 2>/dev/null && fail "gc without --stale accepted"
"$VENVD" list --stale x 2>/dev/null && fail "bad --stale accepted"

say "doctor: no daemon"
daemon_stop
if ls "$RUN"/generation.* >/dev/null 2>&1; then fail "markers left after exit: $(ls "$RUN")"; fi
if out=$(VENVD_SHELL=bash "$VENVD" doctor); then fail "doctor passed without a daemon"; fi
grep -q "^FAIL  daemon: not running; try: venvd start" <<<"$out" || fail "doctor no-daemon: $out"
echo "PASS"
