#!/bin/bash
# lint.sh: static checks on everything that is not C.
#
#   - the bash hook and the scripts we own through ShellCheck, strictly;
#     the other test and bench scripts at severity "error"
#   - zsh -n on hooks/venvd.zsh, fish --no-execute on hooks/venvd.fish
#   - every man page through mandoc -Tlint -Wwarning: any output fails
#   - bash -n on .ci/run and every shell script
#   - the layering of the C sources (client/, common/, the daemon's
#     infrastructure), by their #include lines
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

# The daemon's infrastructure (bottom layer) and the domain headers it must
# not include. Kept here, in one place, as files are renamed.
INFRA_FILES="daemon/watch.c daemon/watch.h daemon/db.c daemon/db.h
	daemon/generation.c daemon/generation.h daemon/health.c daemon/health.h"
DOMAIN_HEADERS="cache.h index.h roots.h interp.h sizer.h verdict.h storage.h instance.h"
# Infrastructure includes of domain headers that exist today and are being
# removed, as FILE:HEADER. Each must still exist: delete it here once gone.
KNOWN_BACK_EDGES=""

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
for f in .ci/run tests/*.sh tests/lib/*.sh tests/unit/*.sh tests/integration/*.sh bench/*.sh; do
	case "$f" in
	bench/run.sh | tests/lint.sh) continue ;;
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

# The layering of the C sources (see Makefile.am's per-program include
# paths): client/ never includes a daemon/ header, common/, inshell/ and
# bash/ include neither a client/ nor a daemon/ header, and the daemon's infrastructure includes
# no domain header, directly or through another header.
# Print each include that breaks the layering, as FILE: WHY.
# shellcheck disable=SC2317  # called through check
layering_violations() {
	local f inc r edge seen
	local -A found=()
	for f in client/*.[ch]; do
		while IFS= read -r inc; do
			r=$(include_resolve "$f" "$inc" common client)
			if [[ $inc == *daemon/* || $r == daemon/* ]] ||
			    { [ -z "$r" ] && [ -f "daemon/${inc##*/}" ]; }; then
				echo "$f: includes \"$inc\", a daemon/ header"
			fi
		done < <(includes_of "$f")
	done
	for f in common/*.[ch]; do
		while IFS= read -r inc; do
			r=$(include_resolve "$f" "$inc" common)
			if [[ $inc == *client/* || $inc == *daemon/* || $r == client/* || $r == daemon/* ]] ||
			    { [ -z "$r" ] && { [ -f "client/${inc##*/}" ] || [ -f "daemon/${inc##*/}" ]; }; }; then
				echo "$f: includes \"$inc\", a client/ or daemon/ header"
			fi
		done < <(includes_of "$f")
	done
	# inshell/ (the in-shell hook core) and bash/ (its bash adapter) are
	# loaded into shells: common/ and inshell/ only.
	for f in inshell/*.[ch] bash/*.[ch]; do
		while IFS= read -r inc; do
			r=$(include_resolve "$f" "$inc" common inshell)
			if [[ $inc == *client/* || $inc == *daemon/* || $r == client/* || $r == daemon/* ]] ||
			    { [ -z "$r" ] && { [ -f "client/${inc##*/}" ] || [ -f "daemon/${inc##*/}" ]; }; }; then
				echo "$f: includes \"$inc\", a client/ or daemon/ header"
			fi
		done < <(includes_of "$f")
	done
	for f in $INFRA_FILES; do
		[ -f "$f" ] || { echo "$f: in INFRA_FILES but missing (renamed?)"; continue; }
		while IFS= read -r edge; do
			case " $KNOWN_BACK_EDGES " in
			*" $f:${edge%% *} "*) found[$f:${edge%% *}]=1 ;;
			*) echo "$f: includes domain header $edge" ;;
			esac
		done < <(domain_includes "$f")
	done
	for seen in $KNOWN_BACK_EDGES; do
		[ -n "${found[$seen]-}" ] ||
			echo "KNOWN_BACK_EDGES: $seen is gone: remove it from tests/lint.sh"
	done
	return 0
}

# shellcheck disable=SC2317  # reached through layering_violations
# The quoted #include names of a C file, one a line.
includes_of() {
	sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$1"
}

# shellcheck disable=SC2317  # reached through layering_violations
# include_resolve FILE NAME DIR...: the file NAME names, as the compiler
# finds it from FILE (its own directory first, then each DIR); empty if
# none (a system or generated header such as config.h).
include_resolve() {
	local f=$1 inc=$2 d
	shift 2
	for d in "$(dirname "$f")" "$@"; do
		if [ -f "$d/$inc" ]; then
			realpath -m --relative-to=. "$d/$inc"
			return
		fi
	done
}

# shellcheck disable=SC2317  # reached through layering_violations
# domain_includes FILE: each domain header FILE reaches through the daemon's
# and common/'s headers, as "NAME (via A B)" (the via part when indirect).
domain_includes() {
	local -A visited=()
	local -a queue=("$1:")
	local item f via inc r dom
	while [ "${#queue[@]}" -gt 0 ]; do
		item=${queue[0]}
		queue=("${queue[@]:1}")
		f=${item%%:*}
		via=${item#*:}
		while IFS= read -r inc; do
			for dom in $DOMAIN_HEADERS; do
				if [ "${inc##*/}" = "$dom" ]; then
					echo "$dom${via:+ (via$via)}"
				fi
			done
			r=$(include_resolve "$f" "$inc" daemon common)
			if [ -n "$r" ] && [ -z "${visited[$r]-}" ]; then
				visited[$r]=1
				queue+=("$r:$via ${r##*/}")
			fi
		done < <(includes_of "$f")
	done
}
check -o layering_violations

# What is loaded into a shell (inshell/, bash/, zsh/ and the common/ sources
# Makefile.am compiles into inshell/libinshell_pic.a) reaches no jansson,
# directly or through a header: the .so files link no libjansson (its
# mapping alone is 64 KB of every shell's RSS). JSON there is json_lite.c.
# Print each file that reaches it.
# shellcheck disable=SC2317  # called through check
inshell_jansson() {
	local f inc r
	local -a todo
	local -A seen=()
	read -r -a todo < <(sed -n '/^INSHELL_PIC_SOURCES =/,/[^\\]$/p' Makefile.am |
	    sed -e 's/^INSHELL_PIC_SOURCES =//' -e 's/[\]//g' | tr '\n' ' ')
	todo+=(inshell/*.[ch] bash/*.[ch] zsh/*.[ch])
	while [ "${#todo[@]}" -gt 0 ]; do
		f=${todo[0]}
		todo=("${todo[@]:1}")
		if [ ! -f "$f" ] || [ -n "${seen[$f]-}" ]; then
			continue
		fi
		seen[$f]=1
		grep -qE '^[[:space:]]*#[[:space:]]*include[[:space:]]*<jansson\.h>' "$f" &&
			echo "$f: includes <jansson.h> and is loaded into shells"
		while IFS= read -r inc; do
			r=$(include_resolve "$f" "$inc" common inshell)
			[ -n "$r" ] && todo+=("$r")
		done < <(includes_of "$f")
	done
	return 0
}
check -o inshell_jansson

# The daemon's layers, bottom to top (ARCHITECTURE.md): a file includes
# the headers of its own layer and the ones below, never one above.
DAEMON_LAYERS=(
	"infrastructure: watch db generation health atomic_file"
	"domain: cache index roots interp sizer verdict storage instance"
	"protocol: request subscribe"
	"transport: server"
	"wiring: venvd_daemon"
)
# Print each daemon/ include of a header from a higher layer, as FILE: WHY.
# shellcheck disable=SC2317  # called through check
upward_includes() {
	local -A rank=()
	local i m f base inc h
	for i in "${!DAEMON_LAYERS[@]}"; do
		for m in ${DAEMON_LAYERS[$i]#*:}; do
			rank[$m]=$i
		done
	done
	for f in daemon/*.[ch]; do
		base=$(basename "$f")
		base=${base%.[ch]}
		[ -n "${rank[$base]-}" ] || continue
		while IFS= read -r inc; do
			h=${inc##*/}
			h=${h%.h}
			if [ -n "${rank[$h]-}" ] && [ "${rank[$h]}" -gt "${rank[$base]}" ]; then
				echo "$f (${DAEMON_LAYERS[${rank[$base]}]%%:*}) includes $inc (${DAEMON_LAYERS[${rank[$h]}]%%:*})"
			fi
		done < <(includes_of "$f")
	done
	for m in "${!rank[@]}"; do
		[ -f "daemon/$m.c" ] || echo "DAEMON_LAYERS: daemon/$m.c is gone (renamed?)"
	done
	for f in daemon/*.c; do
		base=$(basename "$f" .c)
		case $base in schema_sql) continue ;; esac
		[ -n "${rank[$base]-}" ] || echo "DAEMON_LAYERS: $f is in no layer"
	done
	return 0
}
check -o upward_includes

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
