#!/bin/bash
# shellcheck disable=SC2119,SC2016 # daemon_start takes no arguments; scripts for other shells are single-quoted
# any_path.sh: paths are bytes (issue 11, item 10). A cloned project whose
# directory name is not UTF-8 is allowed through the daemon, `venvd resolve
# --json` and `venvd export json` carry it as \udcXX (os.fsencode gives the
# bytes back), and the code `venvd export` prints for bash, zsh and fish
# activates it with VIRTUAL_ENV and PATH byte-exact and leaves PATH as it
# was. Below PATH_MAX (a $PWD longer than it, entered step by step) the
# project's venv still applies; a venv down there gets one clear error.
. "$TOP_SRCDIR/tests/lib/harness.sh"

W="$T/w"
mkdir -p "$W/plain"
LAT="$W/lat1-"$'\xff\xfe'
make_cloned lat1
mv "$W/lat1" "$LAT"
daemon_start

say "allow and resolve through the daemon"
"$VENVD" allow "$LAT" >"$T/allow.out" 2>&1 || fail "venvd allow: $(cat "$T/allow.out")"
"$VENVD" resolve --json "$LAT" >"$T/resolve.json" || fail "venvd resolve --json failed"
"$PYTHON3" - "$T/resolve.json" "$LAT" <<'PY' || fail "venvd resolve --json is not byte-exact: $(cat "$T/resolve.json")"
import json, os, sys
j = json.load(open(sys.argv[1], encoding="utf-8"))
want = os.fsencode(sys.argv[2])
assert j["source"] == "daemon", j
assert os.fsencode(j["dir"]) == want, j
assert os.fsencode(j["venv"]["path"]) == want + b"/.venv", j
assert os.fsencode(j["venv"]["python"]) == want + b"/.venv/bin/python", j
assert j["venv"]["trust"] == "trusted", j
PY
"$VENVD" resolve --json "$LAT" | grep_all -q -F '\udcff\udcfe' || fail "the JSON does not use \\udcXX"

say "venvd export json"
"$VENVD" export json "$LAT" >"$T/export.json" || fail "venvd export json failed"
"$PYTHON3" - "$T/export.json" "$LAT" <<'PY' || fail "venvd export json is not byte-exact: $(cat "$T/export.json")"
import json, os, sys
j = json.load(open(sys.argv[1], encoding="utf-8"))
want = os.fsencode(sys.argv[2]) + b"/.venv"
assert os.fsencode(j["set"]["VIRTUAL_ENV"]) == want, j
assert os.fsencode(j["set"]["VENVD_ACTIVE"]) == want, j
assert os.fsencode(j["set"]["PATH"]).startswith(want + b"/bin:"), j
PY

# What a child of the shell sees: VIRTUAL_ENV|PATH, as bytes.
mkvenv "$T/deepvenv"
DUMP='import os, sys; e = os.environb; open(sys.argv[1], "wb").write(e.get(b"VIRTUAL_ENV", b"<unset>") + b"|" + e[b"PATH"])'
BASEPATH="/usr/local/bin:/usr/bin:/bin"
SEG=$(printf 'd%.0s' $(seq 200))

for sh in bash zsh fish; do
	if ! command -v "$sh" >/dev/null 2>&1; then
		skip "$sh is not installed"
	fi
	say "$sh: eval \`venvd export $sh\` in, then out"
	rm -f "$T/in" "$T/out"
	case $sh in
	bash | zsh)
		env PATH="$BASEPATH" DUMP="$DUMP" "$sh" -c '
			eval "$("$VENVD" export '"$sh"' "$1")" || exit 1
			python3 -c "$DUMP" "$3"
			eval "$("$VENVD" export '"$sh"' "$2")" || exit 1
			python3 -c "$DUMP" "$4"' _ "$LAT" "$W/plain" "$T/in" "$T/out" 2>"$T/err" ||
		    fail "$sh: eval failed: $(cat "$T/err")"
		;;
	fish)
		env PATH="$BASEPATH" DUMP="$DUMP" fish --no-config -c '
			eval ($VENVD export fish $argv[1] | string collect); or exit 1
			python3 -c "$DUMP" $argv[3]
			eval ($VENVD export fish $argv[2] | string collect); or exit 1
			python3 -c "$DUMP" $argv[4]' "$LAT" "$W/plain" "$T/in" "$T/out" 2>"$T/err" ||
		    fail "$sh: eval failed: $(cat "$T/err")"
		;;
	esac
	[ -s "$T/err" ] && fail "$sh: unexpected stderr: $(cat "$T/err")"
	assert_eq "$LAT/.venv|$LAT/.venv/bin:$BASEPATH" "$(cat "$T/in")" "$sh: activated environment"
	assert_eq "<unset>|$BASEPATH" "$(cat "$T/out")" "$sh: environment after leaving"

	say "$sh: \$PWD longer than PATH_MAX below the project"
	# Built step by step: one mkdir or cd of the whole path would fail.
	case $sh in
	bash | zsh)
		"$sh" -c 'cd "$1" || exit 9
			for i in $(seq 25); do mkdir -p "$2" && cd "$2" || exit 9; done
			[ ${#PWD} -gt 4096 ] || exit 8
			"$VENVD" export '"$sh"' >"$3.out" 2>"$3.err"; echo $? >"$3.rc"
			"$VENVD" export --hook '"$sh"' >"$3.hook" 2>"$3.hookerr"' _ "$LAT" "$SEG" "$T/long" ||
		    fail "$sh: could not make or enter the deep tree (rc $?)"
		;;
	fish)
		# fish itself refuses to cd past PATH_MAX: there, the deepest
		# directory it reaches must still activate the venv quietly.
		fish --no-config -c 'cd $argv[1]; or exit 9
			for i in (seq 25); mkdir -p $argv[2]; and cd $argv[2] 2>/dev/null; or break; end
			test (string length -- $PWD) -gt 4096; and exit 8
			$VENVD export fish >$argv[3].out 2>$argv[3].err; or exit 7' "$LAT" "$SEG" "$T/long" ||
		    fail "$sh: the deepest directory fish reaches (rc $?): $(head -c 300 "$T/long.err")"
		grep -q -F "set -gx VIRTUAL_ENV '$LAT/.venv';" "$T/long.out" ||
		    fail "$sh: no activation in the deepest directory: $(head -c 300 "$T/long.out")"
		[ -s "$T/long.err" ] && fail "$sh: noise in the deepest directory: $(head -c 300 "$T/long.err")"
		rm -rf "${LAT:?}/$SEG"
		continue
		;;
	esac
	assert_eq 0 "$(cat "$T/long.rc")" "$sh: venvd export exit status in a directory over PATH_MAX: $(head -c 300 "$T/long.err")"
	grep -q -F "export VIRTUAL_ENV='$LAT/.venv';" "$T/long.out" ||
	    fail "$sh: no activation in a directory over PATH_MAX: $(head -c 300 "$T/long.out")"
	[ -s "$T/long.err" ] && fail "$sh: noise in a directory over PATH_MAX: $(head -c 300 "$T/long.err")"
	[ -s "$T/long.hookerr" ] && fail "$sh: the hook mode wrote to stderr"
	hook_eval "$sh" <"$T/long.hook"
	assert_eq "$LAT/.venv|" "$HOOK_VENV|$HOOK_NOTICE" "$sh: the hook's code over PATH_MAX activates the project's venv"
	if [ "$sh" = bash ]; then
		say "bash: a venv in a level past PATH_MAX: one clear error, no code"
		bash -c 'cd "$1" || exit 9
			for i in $(seq 25); do cd "$2" || exit 9; done
			mv "$4" .venv || exit 9
			"$VENVD" export bash >"$3.out" 2>"$3.err"; echo $? >"$3.rc"
			"$VENVD" export --hook bash >"$3.hook" 2>"$3.hookerr"
			mv .venv "$4"' _ "$LAT" "$SEG" "$T/long" "$T/deepvenv" || fail "could not move a venv deep (rc $?)"
		assert_eq 1 "$(cat "$T/long.rc")" "venvd export exit status with a venv past PATH_MAX"
		[ -s "$T/long.out" ] && fail "venvd export printed code for a venv past PATH_MAX"
		grep -q 'venv at a path longer than PATH_MAX (4096 bytes) cannot be activated' "$T/long.err" ||
		    fail "no clear message for a venv past PATH_MAX: $(tail -c 300 "$T/long.err")"
		[ "$(wc -l <"$T/long.err")" = 1 ] || fail "more than one line of error"
		[ -s "$T/long.hookerr" ] && fail "the hook mode wrote to stderr"
		hook_eval bash <"$T/long.hook"
		assert_eq "|||" "$HOOK_GEN|$HOOK_VENV|$HOOK_PROMPT|$HOOK_NOTICE" \
		    "the hook's code with a venv past PATH_MAX: none, not cacheable, quiet"
	fi
	rm -rf "${LAT:?}/$SEG"
done
say "all checks passed"
