#!/bin/bash
# run.sh SECONDS TARGET...: run each libFuzzer harness fuzz/fuzz_TARGET
# for SECONDS under ASan and UBSan, one after another (from "make fuzz"
# and "make fuzz-smoke", in the build directory).
#
# Each starts from the committed seeds (tests/fuzz/corpus/TARGET) and
# what earlier runs found (fuzz/corpus/TARGET, where new inputs go). A
# crash, leak, sanitizer report or failed property is saved under
# fuzz/artifacts/TARGET/ and fails the run; the log is fuzz/TARGET.log.
# Prints a line per target (CPU seconds, executions, corpus size) and
# writes fuzz/test-suite.log with "# PASS:" and "# FAIL:" counts.
# Exit 0 when every target passed, 1 otherwise.
set -uo pipefail

if [ "$#" -lt 2 ]; then
	echo "usage: run.sh SECONDS TARGET..." >&2
	exit 2
fi
seconds=$1
shift
: "${TOP_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
seeds_top=$TOP_SRCDIR/tests/fuzz/corpus

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

pass=0 fail=0
failed=()
for t in "$@"; do
	bin=fuzz/fuzz_$t
	work=fuzz/corpus/$t
	art=fuzz/artifacts/$t
	log=fuzz/$t.log
	if [ ! -x "$bin" ]; then
		echo "FAIL: $t: $bin is not built" >&2
		fail=$((fail + 1))
		failed+=("$t")
		continue
	fi
	mkdir -p "$work" "$art"
	TIMEFORMAT='%U %S'
	rc=0
	{ time "$bin" -max_total_time="$seconds" -timeout=60 -rss_limit_mb=2048 \
		-max_len=16384 -print_final_stats=1 -artifact_prefix="$art/" \
		"$work" "$seeds_top/$t" >"$log" 2>&1 || rc=$?; } 2>"fuzz/$t.time"
	read -r user sys <"fuzz/$t.time"
	cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.1f", u + s }')
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
	corpus=$(find "$work" -type f | wc -l)
	if [ "$rc" -eq 0 ]; then
		pass=$((pass + 1))
		printf 'PASS: fuzz_%s: %s CPU s, %s runs, %s new corpus inputs\n' \
		    "$t" "$cpu" "${execs:-?}" "$corpus"
	else
		fail=$((fail + 1))
		failed+=("$t")
		printf 'FAIL: fuzz_%s (exit %s) after %s CPU s; log %s\n' "$t" "$rc" "$cpu" "$log"
		find "$art" -type f | sed 's/^/    artifact: /'
		grep -E 'ERROR:|runtime error|property failed|SUMMARY' "$log" | head -n 20 | sed 's/^/    /'
	fi
done
printf '# PASS: %d\n# FAIL: %d\n' "$pass" "$fail" >fuzz/test-suite.log
if [ "$fail" -ne 0 ]; then
	echo "fuzzing failed: ${failed[*]}"
	exit 1
fi
echo "fuzzing: all $pass target(s) passed"
exit 0
