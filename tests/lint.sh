#!/bin/bash
# lint.sh: static checks on everything that is not C.
#
#   - the bash hook and the scripts we own through ShellCheck, strictly;
#     the other test and bench scripts at severity "error"
#   - zsh -n on hooks/venvd.zsh, fish --no-execute on hooks/venvd.fish
#   - every man page through mandoc -Tlint -Wwarning: any output fails
#   - bash -n on .ci/run and every shell script
#
# Exit 0 when all pass, 1 when any fails (each failure is printed), 77 when
# a tool is missing. Empty placeholder files pass trivially.
set -uo pipefail

: "${TOP_SRCDIR:=$(cd "$(dirname "$0")/.." && pwd)}"
cd "$TOP_SRCDIR" || exit 1

for tool in shellcheck zsh fish mandoc; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "SKIP: $tool is not installed" >&2
		exit 77
	fi
done

failures=0

# Run one check; on failure (non-zero exit or, with -o, any output) print
# what it said and count it.
check() {
	local any_output=0 out rc
	if [ "$1" = -o ]; then
		any_output=1
		shift
	fi
	out=$("$@" 2>&1)
	rc=$?
	if [ "$rc" -ne 0 ] || { [ "$any_output" -eq 1 ] && [ -n "$out" ]; }; then
		echo "FAIL: $* (exit $rc)"
		printf '%s\n' "$out" | sed 's/^/    /'
		failures=$((failures + 1))
	else
		echo "ok: $*"
	fi
}

# The hooks: the bash one through shellcheck, each through its own shell's parser.
check shellcheck -s bash hooks/venvd.bash
check bash -n hooks/venvd.bash
check zsh -n hooks/venvd.zsh
check fish --no-execute hooks/venvd.fish

# Scripts this file's owner keeps clean at shellcheck's default severity.
for f in tests/lint.sh bench/run.sh; do
	[ -f "$f" ] || continue
	check shellcheck -s bash "$f"
	check bash -n "$f"
done

# CI and everyone else's test and bench scripts: syntax, and shellcheck errors
# (not style: they are sourced helpers and are written concurrently).
shopt -s nullglob
for f in .ci/run tests/lib/*.sh tests/integration/*.sh bench/*.sh; do
	case "$f" in
	bench/run.sh) continue ;;
	esac
	[ -f "$f" ] || continue	# .ci/run is not in the release tarball (make distcheck)
	check bash -n "$f"
	check shellcheck -s bash -S error "$f"
done

# Test scripts run under pipefail: "cmd | grep -q" or "cmd | head" can stop
# reading early, kill cmd with SIGPIPE and fail by chance. Use grep_all or
# sed -n 1p (which read to the end) instead.
# Print the lines of test scripts that end a pipe early.
# shellcheck disable=SC2317  # called through check
early_pipe_exits() {
	grep -nE '[^|]\| *(grep +(-[a-zA-Z]*q|-m)|head)\b' tests/lib/*.sh tests/integration/*.sh |
		grep -vE '^[^:]*:[0-9]+:[[:space:]]*#|sh -c '
	return 0
}
check -o early_pipe_exits

# Every man page must be silent under mandoc's linter at warning level.
pages=(man/*.[1-9])
if [ "${#pages[@]}" -eq 0 ]; then
	echo "FAIL: no man pages in man/"
	failures=$((failures + 1))
fi
for page in "${pages[@]}"; do
	check -o mandoc -Tlint -Wwarning "$page"
done

if [ "$failures" -ne 0 ]; then
	echo "$failures lint check(s) failed"
	exit 1
fi
echo "all lint checks passed"
exit 0
