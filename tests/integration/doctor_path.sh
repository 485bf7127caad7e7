#!/bin/bash
# doctor_path.sh: venvd doctor says which path the calling shell's hook
# runs (VENVD_SHELL=SHELL:PID:PATH[:REASON], and the older SHELL:PID), why
# no faster one was taken, and what it checks itself: is the bash builtin
# installed and does it fit the running bash's version; is the zsh module
# installed. No daemon: the hook lines come first all the same.
# shellcheck source=tests/lib/harness.sh
. "$TOP_SRCDIR/tests/lib/harness.sh"

# doctor_as BASH VENVD_SHELL-TAIL [ENV=VALUE...]: venvd doctor's output as
# run by the shell BASH, whose own pid heads VENVD_SHELL (doctor believes
# the value only from its parent); TAIL follows "SHELLNAME:PID".
doctor_as() {
	local sh=$1 tail=$2
	shift 2
	env "$@" VENVD_TAIL="$tail" "$sh" -c \
	    'VENVD_SHELL="${VENVD_TAIL%%:*}:$$${VENVD_TAIL#*:}" "$VENVD" doctor; :' 2>&1
}

# expect TAIL PATTERN [ENV=VALUE...]: the "hook path" line for TAIL matches
# PATTERN (a fixed string).
expect() {
	local tail=$1 want=$2 out
	shift 2
	out=$(doctor_as bash "$tail" "$@")
	grep_all -q -e "^ok    hook: installed in this shell" <<<"$out" ||
	    fail "VENVD_SHELL=$tail: the hook is not found: $out"
	grep_all -F -q -e "$want" <<<"$out" || fail "VENVD_SHELL=$tail $*: no \"$want\" in: $out"
}

# The fast paths, and fish's one path.
expect "bash::builtin" "ok    hook path: bash runs the loadable builtin venvd_hook: no process at any prompt"
expect "zsh::module" "ok    hook path: zsh runs the venvd zsh module: no process at any prompt"
expect "zsh::zsocket" "ok    hook path: zsh runs the hook over zsocket: no process at any prompt"
expect "fish::process" "ok    hook path: fish starts venvd on a first visit to a directory (fish has no faster path)"

# Every reason, in bash and zsh.
slow="starts venvd on first visits, not the faster"
expect "bash::process:not-built" "warn  hook path: bash $slow loadable builtin: the hook found no loadable builtin"
expect "bash::process:version-mismatch" "bash $slow loadable builtin: the loadable builtin was built for another bash version"
expect "bash::process:load-failed" "bash $slow loadable builtin: enable -f could not load the builtin"
expect "bash::process:unloaded" "bash $slow loadable builtin: the builtin was unloaded later (enable -n or enable -d)"
expect "bash::process:disabled" "ok    hook path: bash starts venvd on first visits: VENVD_BASH_BUILTIN=0 turned it off" VENVD_BASH_BUILTIN=0
expect "zsh::process:not-built" "warn  hook path: zsh $slow zsh module: the hook found no zsh module"
expect "zsh::process:version-mismatch" "zsh $slow zsh module: the module was built for another zsh version"
expect "zsh::process:load-failed" "zsh $slow zsh module: zmodload could not load the module"
expect "zsh::process:unloaded" "zsh $slow zsh module: the module was unloaded later (zmodload -u)"
expect "zsh::process:disabled" "ok    hook path: zsh starts venvd on first visits: VENVD_ZSH_MODULE=0 turned it off" VENVD_ZSH_MODULE=0
expect "bash::process" "bash $slow loadable builtin: the hook gave no reason"
expect "bash::process:whatever" "warn  hook path: bash starts venvd on first visits (unknown reason \"whatever\")"
expect "bash::fancy" "warn  hook path: VENVD_SHELL names an unknown path \"fancy\""
# The older SHELL:PID form is still understood.
expect "bash:" "warn  hook path: not reported (this hook's VENVD_SHELL is the older bash:PID)"
expect "zsh:" "warn  hook path: not reported (this hook's VENVD_SHELL is the older zsh:PID)"

# Inherited, new form: not believed, and the pid is the pid field alone.
out=$(env VENVD_SHELL="bash:1:builtin" "$VENVD" doctor 2>&1) || true
grep_all -F -q "FAIL  hook: not installed in this shell (VENVD_SHELL was inherited from bash, pid 1)" <<<"$out" ||
	fail "an inherited VENVD_SHELL with a path: $out"
if grep_all -q "hook path" <<<"$out"; then fail "a path for an inherited VENVD_SHELL: $out"; fi

# A hostile value reaches the terminal inert.
out=$(doctor_as bash $'bash::process:\e]0;owned\a\e[31m')
if grep_all -q $'\e' <<<"$out"; then fail "an escape byte from VENVD_SHELL reached the terminal: $(cat -v <<<"$out")"; fi
grep_all -q "unknown reason" <<<"$out" || fail "a hostile reason: $out"

# What doctor checks itself: the bash builtin.
expect "bash::process:disabled" "turned it off" VENVD_BASH_BUILTIN=0
so="$TOP_BUILDDIR/bash/venvd.so"
if [ -f "$so" ]; then
	expect "bash::process:not-built" "$T/nothere.so is not installed" VENVD_BASH_BUILTIN="$T/nothere.so"
	expect "bash::process:not-built" "VENVD_BASH_BUILTIN turns it off" VENVD_BASH_BUILTIN=0
	have=$(bash -c 'echo "${BASH_VERSINFO[0]}.${BASH_VERSINFO[1]}.${BASH_VERSINFO[2]}"')
	expect "bash::process:load-failed" "$so is installed and fits this bash $have; try: exec bash (the hook loads it again)" \
	    VENVD_BASH_BUILTIN="$so"
	# Another bash version: this bash with another version string.
	"$PYTHON3" - "$(command -v bash)" "$T/oldbash" <<'PY'
import re, sys
data = open(sys.argv[1], "rb").read()
new, n = re.subn(rb"@\(#\)Bash version [0-9]+\.[0-9]+", b"@(#)Bash version 4.4", data)
assert n == 1, n
open(sys.argv[2], "wb").write(new)
PY
	chmod +x "$T/oldbash"
	out=$(doctor_as "$T/oldbash" "bash::process:version-mismatch" VENVD_BASH_BUILTIN="$so")
	grep_all -F -q "$so is built for bash ${have%.*}, this shell is bash 4.4.${have##*.}" <<<"$out" ||
	    fail "doctor did not see the running bash's version: $out"
else
	echo "note: bash/venvd.so is not built; its installed and version checks are not exercised" >&2
	expect "bash::process:not-built" "this venvd was built without it" VENVD_BASH_BUILTIN="$T/nothere.so"
fi

# The zsh module.
if [ -f "$TOP_BUILDDIR/zsh/venvd.so" ]; then
	expect "zsh::process:not-built" "$T/nothere.so is not installed" VENVD_ZSH_MODULE="$T/nothere.so"
	expect "zsh::process:not-built" "VENVD_ZSH_MODULE turns it off" VENVD_ZSH_MODULE=0
	expect "zsh::process:load-failed" "$TOP_BUILDDIR/zsh/venvd.so is installed" VENVD_ZSH_MODULE="$TOP_BUILDDIR/zsh/venvd.so"
else
	expect "zsh::process:not-built" "this venvd was built without it (no zsh-dev headers)"
fi
echo "PASS: doctor_path"
