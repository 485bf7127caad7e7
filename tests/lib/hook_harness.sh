# hook_harness.sh: drive a real interactive bash, zsh or fish with the venvd
# hook through tmux, and check every point of issue 3 (1-13) in it.
#
# Sourced by the thin wrappers tests/integration/hook_{bash,zsh,fish}.sh,
# which set SH and call hook_main. The shell is fed keystrokes with
# tmux send-keys; after each step it dumps its state (NUL-separated
# KEY=VALUE, written by builtins) to a file that the test waits for and
# compares byte for byte. Paths reach the shell through files
# (NUL-terminated) so hostile names never pass through the keyboard.

# Scripts for the shell under test are single-quoted on purpose (SC2016).
# shellcheck disable=SC2016,SC2119
# shellcheck source=tests/lib/harness.sh
. "$TOP_SRCDIR/tests/lib/harness.sh"

: "${SH:?SH must be bash, zsh or fish}"
command -v "$SH" >/dev/null 2>&1 || skip "$SH is not installed"
command -v tmux >/dev/null 2>&1 || skip "tmux is not installed"
# HOOK_BUILTIN (bash only): "1" runs every step through the loadable
# builtin bash/venvd.so (a SKIP when it is not built); "broken" gives the
# hook a file that does not load, which must fall back to the shell hook
# quietly. Unset: the builtin when harness.sh found it built (and
# VENVD_BASH_BUILTIN is not 0), else the shell hook alone.
if [ -z "${HOOK_BUILTIN-}" ] && [ "$SH" = bash ] && [ "${VENVD_BASH_BUILTIN-0}" != 0 ]; then
	HOOK_BUILTIN=1
fi
# INSHELL: the hook runs in the shell's own process (bash's builtin, zsh's
# module: harness.sh points VENVD_ZSH_MODULE at the build tree's when it
# is built), so no process may start on a prompt while the daemon answers.
INSHELL=0
if [ "$SH" = zsh ] && [ "${VENVD_ZSH_MODULE:-0}" != 0 ]; then
	INSHELL=1
fi
case ${HOOK_BUILTIN-} in
1)
	INSHELL=1
	[ -f "$TOP_BUILDDIR/bash/venvd.so" ] ||
	    skip "bash/venvd.so is not built (install bash-builtins and run configure again)"
	export VENVD_BASH_BUILTIN="$TOP_BUILDDIR/bash/venvd.so" ;;
broken)
	printf 'not a shared object\n' >"$T/venvd.so"
	export VENVD_BASH_BUILTIN="$T/venvd.so" ;;
esac

OUT="$T/out"		# dumps from the shell
PF="$T/p"		# path files the shell reads
W="$T/w"		# the projects
TS="$T/tmux.sock"
mkdir -p "$OUT" "$PF" "$W"
BIN_DIRS="/usr/local/bin:/usr/bin:/bin"
if [ "$SH" = fish ]; then
	BASEPATH="$T/ubin:$BIN_DIRS"	# fish turns empty PATH entries into "."
else
	BASEPATH="$T/ubin::$BIN_DIRS"	# an empty entry must survive
fi
mkdir -p "$T/ubin"
STEP=0
declare -A S=()

# Kill the private tmux server and the fake hung daemon too.
hook_cleanup() {
	tmux -S "$TS" kill-server 2>/dev/null || true
	if [ -n "${HUNG_PID-}" ]; then
		kill "$HUNG_PID" 2>/dev/null || true
	fi
}

# A missing shell or tmux is a SKIP (above); a "venvd hook $SH" that fails,
# prints nothing, prints what $SH cannot parse, or prints no hook at all is
# a FAIL: it is exactly what these tests are here to catch.
hook_check() {
	local code rc=0
	code=$("$VENVD" hook "$SH" 2>"$T/hook.err") || rc=$?
	[ "$rc" -eq 0 ] || fail "venvd hook $SH exited $rc: $(cat "$T/hook.err")"
	[ -n "$code" ] || fail "venvd hook $SH printed nothing"
	printf '%s\n' "$code" >"$T/hook.$SH"
	case $SH in
	bash) bash -n "$T/hook.$SH" 2>"$T/hook.err" ;;
	zsh) zsh -n "$T/hook.$SH" 2>"$T/hook.err" ;;
	fish) fish --no-execute "$T/hook.$SH" 2>"$T/hook.err" ;;
	esac || fail "venvd hook $SH printed code $SH cannot parse: $(cat "$T/hook.err")"
	grep -q _venvd_hook "$T/hook.$SH" ||
		fail "venvd hook $SH printed no _venvd_hook function: $(head -c 200 "$T/hook.$SH")"
}

# The rc file the shell under test reads, with the hook sourced twice.
write_rc() {
	case $SH in
	bash)
		cat >"$T/rc" <<'EOF'
PS1='T> '
if [[ -n ${T_PC_ARRAY-} ]]; then
	PROMPT_COMMAND=('_t_pc1=$?' '_t_pc2=$?')
else
	PROMPT_COMMAND='_t_pc1=$?'
fi
set -u -o pipefail
eval "$("$VENVD" hook bash)"
eval "$("$VENVD" hook bash)"
_t_dump() {
	local st=$? d=0 n=0 e b=0
	declare -F deactivate >/dev/null && d=1
	if [[ ${PROMPT_COMMAND@a} == *a* ]]; then
		for e in "${PROMPT_COMMAND[@]}"; do [[ $e == *venvd_hook* ]] && n=$((n + 1)); done
	else
		e=${PROMPT_COMMAND//[!$'\n']/}
		[[ $PROMPT_COMMAND == *venvd_hook* ]] && n=1
		[[ $PROMPT_COMMAND == *venvd_hook*venvd_hook* ]] && n=2
	fi
	# The entry is the loadable builtin, loaded (not the function).
	[[ $PROMPT_COMMAND == venvd_hook* && $(type -t venvd_hook) == builtin ]] && b=1
	printf '%s\0' "PWD=$PWD" "PATH=${PATH-<unset>}" "VIRTUAL_ENV=${VIRTUAL_ENV-<unset>}" \
	    "VIRTUAL_ENV_PROMPT=${VIRTUAL_ENV_PROMPT-<unset>}" "VENVD_ACTIVE=${VENVD_ACTIVE-<unset>}" \
	    "VENVD_PYTHONHOME=${VENVD_PYTHONHOME-<unset>}" "PYTHONHOME=${PYTHONHOME-<unset>}" \
	    "PROMPT=${PS1@P}" "DEACTIVATE=$d" "STATUS=$st" "PC1=${_t_pc1-}" "PC2=${_t_pc2-}" \
	    "HOOKS=$n" "SHLVL=$SHLVL" "PS1=${PS1-}" "BUILTIN=$b" "HOW=${VENVD_SHELL#bash:*:}" >"$_T_OUT/$1.tmp"
	: >"$_T_OUT/$1.done"
}
_t_cd() { local p; IFS= read -r -d '' p <"$_T_PF/$1"; cd -- "$p"; }
_t_py() { python3 -c 'import sys; open(sys.argv[1], "w").write(sys.prefix)' "$_T_OUT/$1"; }
EOF
		;;
	zsh)
		mkdir -p "$T/zdot"
		cat >"$T/zdot/.zshrc" <<'EOF'
PS1='T> '
precmd_functions=(_t_pc1)
_t_pc1() { _t_pc1=$?; return $_t_pc1; }
setopt nounset pipefail
eval "$("$VENVD" hook zsh)"
eval "$("$VENVD" hook zsh)"
_t_dump() {
	local st=$? d=0 n=0
	(( $+functions[deactivate] )) && d=1
	local -a m=(${(M)precmd_functions:#_venvd_hook}) c=(${(M)chpwd_functions:#_venvd_hook})
	n=$(( ${#m} * 10 + ${#c} ))	# (not ${#${(M)...}}: no match there counts as 1)
	printf '%s\0' "PWD=$PWD" "PATH=${PATH-<unset>}" "VIRTUAL_ENV=${VIRTUAL_ENV-<unset>}" \
	    "VIRTUAL_ENV_PROMPT=${VIRTUAL_ENV_PROMPT-<unset>}" "VENVD_ACTIVE=${VENVD_ACTIVE-<unset>}" \
	    "VENVD_PYTHONHOME=${VENVD_PYTHONHOME-<unset>}" "PYTHONHOME=${PYTHONHOME-<unset>}" \
	    "PROMPT=${(%)PS1}" "DEACTIVATE=$d" "STATUS=$st" "PC1=${_t_pc1-}" "PC2=" \
	    "HOOKS=$n" "SHLVL=$SHLVL" "PS1=${PS1-}" "HOW=${VENVD_SHELL#zsh:*:}" >"$_T_OUT/$1.tmp"
	: >"$_T_OUT/$1.done"
}
_t_cd() { local p; IFS= read -r -d '' p <"$_T_PF/$1"; cd -- "$p"; }
_t_py() { python3 -c 'import sys; open(sys.argv[1], "w").write(sys.prefix)' "$_T_OUT/$1"; }
EOF
		;;
	fish)
		cat >"$T/rc.fish" <<'EOF'
function fish_prompt; printf 'T> '; end
function fish_greeting; end
$VENVD hook fish | source
$VENVD hook fish | source
function _t_dump
	set -l st $status
	set -l d 0
	functions -q deactivate; and set d 1
	set -l n (functions --handlers | string match -r '\s_venvd\S*$' | count)
	set -l ve '<unset>'; set -q VIRTUAL_ENV; and set ve "$VIRTUAL_ENV"
	set -l vp '<unset>'; set -q VIRTUAL_ENV_PROMPT; and set vp "$VIRTUAL_ENV_PROMPT"
	set -l va '<unset>'; set -q VENVD_ACTIVE; and set va "$VENVD_ACTIVE"
	set -l vh '<unset>'; set -q VENVD_PYTHONHOME; and set vh "$VENVD_PYTHONHOME"
	set -l ph '<unset>'; set -q PYTHONHOME; and set ph "$PYTHONHOME"
	set -l pa '<unset>'; set -q PATH; and set pa "$PATH"
	set -l how (string replace -r '^fish:[0-9]+:' '' -- "$VENVD_SHELL")
	printf '%s\0' "PWD=$PWD" "PATH=$pa" "VIRTUAL_ENV=$ve" "VIRTUAL_ENV_PROMPT=$vp" \
	    "VENVD_ACTIVE=$va" "VENVD_PYTHONHOME=$vh" "PYTHONHOME=$ph" \
	    "PROMPT="(fish_prompt | string collect -N) "DEACTIVATE=$d" "STATUS=$st" "PC1=$st" "PC2=" \
	    "HOOKS=$n" "SHLVL=$SHLVL" "PS1=" "HOW=$how" >$_T_OUT/$argv[1].tmp
	true >$_T_OUT/$argv[1].done
end
function _t_cd; read -z p <$_T_PF/$argv[1]; cd $p; end
function _t_py; python3 -c 'import sys; open(sys.argv[1], "w").write(sys.prefix)' $_T_OUT/$argv[1]; end
EOF
		;;
	esac
}

# The command line that starts the shell under test (interactive, our rc only).
shell_cmd() {
	case $SH in
	bash) printf '%q ' bash --noprofile --rcfile "$T/rc" -i ;;
	zsh) printf '%q ' env ZDOTDIR="$T/zdot" zsh --no-globalrcs -i ;;
	fish) printf '%q ' fish --no-config -i -C "source $T/rc.fish" ;;
	esac
}

# Start a tmux session running the shell: shell_start [PREFIX...] (e.g. strace).
shell_start() {
	local cmd
	cmd="$(printf '%q ' env PATH="$BASEPATH" PYTHONHOME=/usr _T_OUT="$OUT" _T_PF="$PF" \
	    VENVD="$VENVD" TERM=screen "$@")$(shell_cmd)"
	cmd+=" 2>&1"
	tmux -S "$TS" kill-server 2>/dev/null || true
	tmux -S "$TS" -f /dev/null new-session -d -s t -x 250 -y 50 "$cmd" ||
	    fail "tmux could not start $SH"
	tmux -S "$TS" set-option -g history-limit 10000 >/dev/null
}

# Type one line into the shell.
send_line() {
	tmux -S "$TS" send-keys -t t -l -- "$1"
	tmux -S "$TS" send-keys -t t Enter
}

# Everything the shell showed (for error text and notices).
pane() {
	tmux -S "$TS" capture-pane -p -J -S - -t t 2>/dev/null || true
}

# How many times the terminal shows the fixed string $1.
pane_count() {
	pane | grep -c -F -- "$1" || true
}

# expect_notices TEXT N WHAT: TEXT is on the terminal exactly N times.
expect_notices() {
	local n
	n=$(pane_count "$1")
	[ "$n" = "$2" ] || {
		pane | tail -n 25 >&2
		fail "$SH: $3: [$1] shown $n times, expected $2"
	}
}

# step CMD...: type each command, then dump; the state lands in S[KEY].
step() {
	local c kv
	for c in "$@"; do
		if [ -n "$c" ]; then
			send_line "$c"
		else
			tmux -S "$TS" send-keys -t t Enter
		fi
	done
	STEP=$((STEP + 1))
	# A step number can come round again (a step run in a command
	# substitution does not advance the caller's STEP): never read the
	# dump of an earlier step as this one's.
	rm -f "$OUT/$STEP.done" "$OUT/$STEP.tmp"
	send_line "_t_dump $STEP"
	TIMEOUT=${STEP_TIMEOUT:-20} wait_for test -e "$OUT/$STEP.done" || {
		pane | tail -n 20 >&2
		fail "step $STEP ($*): the shell did not dump its state"
	}
	S=()
	while IFS= read -r -d '' kv; do
		S[${kv%%=*}]=${kv#*=}
	done <"$OUT/$STEP.tmp"
	[ -n "${S[PWD]-}" ] || fail "step $STEP ($*): the dump is incomplete: $(od -c -N 400 "$OUT/$STEP.tmp")"
}

# setpath NAME PATH: a path for _t_cd NAME.
setpath() {
	printf '%s\0' "$2" >"$PF/$1"
}

# go PATH: cd there in the shell (via a path file), then dump.
go() {
	prime_trust "$1"
	setpath go "$1"
	step "_t_cd go"
}

# expect KEY VALUE WHAT: compare one dumped field byte for byte.
expect() {
	[ "${S[$1]-<missing>}" == "$2" ] ||
	    fail "$SH: $3: $1 is [$(printf '%q' "${S[$1]-<missing>}")], expected [$(printf '%q' "$2")]"
}

# expect_active VENV WHAT [PATH]: venvd owns VENV's activation, PATH is exact.
expect_active() {
	expect VIRTUAL_ENV "$1" "$2"
	expect VENVD_ACTIVE "$1" "$2"
	expect PATH "${3:-$1/bin:$BASEPATH}" "$2"
	expect PYTHONHOME '<unset>' "$2"
	expect VENVD_PYTHONHOME /usr "$2"
	expect DEACTIVATE 1 "$2"
}

# expect_none WHAT [PATH]: nothing active, PATH exact, PYTHONHOME restored.
expect_none() {
	expect VIRTUAL_ENV '<unset>' "$1"
	expect VENVD_ACTIVE '<unset>' "$1"
	expect VIRTUAL_ENV_PROMPT '<unset>' "$1"
	expect PATH "${2:-$BASEPATH}" "$1"
	expect PYTHONHOME /usr "$1"
	expect VENVD_PYTHONHOME '<unset>' "$1"
	expect DEACTIVATE 0 "$1"
}

# No error text reached the terminal (nounset, command not found, ...).
expect_quiet_pane() {
	local bad
	bad=$(pane | grep -E -i 'unbound|not set|not found|no such|error|warning|venvd:|parameter|bad substitution|syntax' |
	    grep -v -F "$BROKEN_V" || true)
	[ -z "$bad" ] || fail "$SH: unexpected text on the terminal: $bad"
}

# The line the shell's cursor is on, as the terminal shows it (trailing blanks dropped).
cursor_line() {
	local y
	y=$(tmux -S "$TS" display-message -p -t t '#{cursor_y}') || return 1
	tmux -S "$TS" capture-pane -p -t t -S "$y" -E "$y"
}

# Is the cursor line exactly $1?
cursor_line_is() {
	[ "$(cursor_line)" == "$1" ]
}

# expect_drawn TEXT WHAT: the prompt the shell draws (nothing typed yet) reads TEXT.
expect_drawn() {
	wait_for cursor_line_is "$1" ||
	    fail "$SH: $2: the prompt drawn is [$(cursor_line)], expected [$1]"
}

# Has the tmux session (and so the shell under test) ended?
session_gone() {
	! tmux -S "$TS" has-session -t t 2>/dev/null
}

# Processes started (execve, fork/clone; not threads) between the execve lines of two markers;
# the second marker's own fork is one of them. Printed to stderr for the log.
forks_between() {
	awk -v a="$2" -v b="$3" '
		index($0, "execve(") && index($0, a) { on = 1; next }
		index($0, "execve(") && index($0, b) { print n + 0; exit }
		on && !/resumed>|CLONE_THREAD/ && /execve\(|clone|fork/ { n++; print > "/dev/stderr" }
	' "$1"
}

# Make the projects every check uses.
make_projects() {
	mkdir -p "$W/A/sub/deeper" "$W/B" "$W/plain" "$W/outer/inner/x" "$W/C" "$W/D"
	mkvenv "$W/A/.venv"
	mkvenv "$W/B/.venv"
	mkvenv "$W/outer/.venv"
	mkvenv "$W/outer/inner/.venv"
	HOSTILE="$W/h 'q\" \`touch pwned2\` \$(touch pwned) ; * "$'\n'"nl "$'\xff\xfe'" end"
	mkdir -p "$HOSTILE"
	# venv cannot write activate scripts for a non-UTF-8 path: make it, then move it.
	mkvenv "$T/hostile-venv"
	mv "$T/hostile-venv" "$HOSTILE/.venv"
	# A venv whose base interpreter is gone.
	mkvenv "$W/D/.venv"
	mkdir -p "$T/gone"
	ln -sfn "$T/gone/python3" "$W/D/.venv/bin/python"
	ln -sfn "$T/gone/python3" "$W/D/.venv/bin/python3"
	sed -i "s|^home = .*|home = $T/gone|" "$W/D/.venv/pyvenv.cfg"
	BROKEN_V="$W/D/.venv"
}

# Does the daemon resolve DIR to VENV ('' = none)?
daemon_says() {
	local r
	r=$(rpc resolve "{\"path\": \"$1\"}") || return 1
	[ "$(jget "$r" '(j.get("venv") or {}).get("path", "") if isinstance(j.get("venv"), dict) else (j.get("venv") or "")')" == "$2" ]
}

# The checks, in order, in one long-lived shell (plus child shells and side sessions).
hook_main() {
	local gen pre
	# harness_cleanup exits with the status it finds in $?: hand it on
	# (with errexit off, or "(exit 1)" would end the trap before it).
	hook_rc=0
	trap 'hook_rc=$?; set +e; hook_cleanup; (exit "$hook_rc"); harness_cleanup' EXIT
	hook_check
	make_projects
	write_rc

	say "1. install once, keep PROMPT_COMMAND entries and \$?, nounset/pipefail; no daemon yet (11)"
	shell_start
	step "cd $W/plain"
	expect_none "start in a plain dir"
	case $SH in
	bash)
		expect HOOKS 1 "installed once in PROMPT_COMMAND"
		if [ "${HOOK_BUILTIN-}" = 1 ]; then
			expect BUILTIN 1 "the loadable builtin is the PROMPT_COMMAND entry"
		else
			expect BUILTIN 0 "the shell function is the PROMPT_COMMAND entry"
		fi
		;;
	zsh)
		if [ "$INSHELL" = 1 ]; then
			# The module runs the hook before each prompt and after each cd itself.
			expect HOOKS 0 "the module, in neither precmd_functions nor chpwd_functions"
			expect HOW module "the module runs the hook (VENVD_SHELL)"
		else
			expect HOOKS 11 "installed once in precmd_functions and chpwd_functions"
			# VENVD_ZSH_MODULE=0 turned it off, unless this build has none.
			if [ -f "$TOP_BUILDDIR/zsh/venvd.so" ]; then
				expect HOW process:disabled "the function runs the hook (VENVD_SHELL)"
			else
				expect HOW process:not-built "the function runs the hook, no module built (VENVD_SHELL)"
			fi
		fi
		;;
	fish) expect HOOKS 2 "installed once on fish_prompt and PWD" ;;
	esac
	step "false"
	expect STATUS 1 "\$? survives the hook"
	[ "$SH" = fish ] || expect PC1 1 "the user's prompt hook still runs and sees \$?"
	expect PROMPT "T> " "PS1 untouched"

	say "3. activate on entering a project subdirectory, as bin/activate does; hash -r"
	step "python3 -c pass"	# hashes /usr/bin/python3 first
	go "$W/A/sub/deeper"
	expect_active "$W/A/.venv" "enter A/sub/deeper"
	expect VIRTUAL_ENV_PROMPT A "prompt from the resolver"
	expect PROMPT "T> " "PS1 untouched by default"
	step "_t_py prefix1"
	assert_eq "$W/A/.venv" "$(cat "$OUT/prefix1")" "$SH: python3 after cd runs the venv's (hash forgotten)"

	say "4. leave: PATH byte for byte, less our entry, keeping the user's changes"
	go "$W/plain"
	expect_none "leave A"
	go "$W/A"
	expect_active "$W/A/.venv" "back in A"
	if [ "$SH" = fish ]; then
		step "set -gx PATH /u1 \$PATH /u2"
	else
		step "PATH=/u1:\$PATH:/u2"
	fi
	expect PATH "/u1:$W/A/.venv/bin:$BASEPATH:/u2" "user added entries around ours"
	go "$W/plain"
	expect_none "leave A after the user changed PATH" "/u1:$BASEPATH:/u2"
	if [ "$SH" = fish ]; then
		step "set -e PATH[1]; set -e PATH[-1]"
	else
		step "PATH=\${PATH#/u1:}; PATH=\${PATH%:/u2}"
	fi
	expect PATH "$BASEPATH" "user's entries removed again"

	say "5. switch A -> B directly"
	go "$W/A"
	step "cd ../B"
	expect_active "$W/B/.venv" "switch to B"
	expect VIRTUAL_ENV_PROMPT B "B's prompt"

	say "6. nested projects"
	go "$W/outer/inner/x"
	expect_active "$W/outer/inner/.venv" "inner wins inside inner"
	step "cd ../.."
	expect_active "$W/outer/.venv" "outer's applies in outer"

	say "14. an empty or unset PATH gets exactly the venv's bin (no empty entry); unset stays unset"
	go "$W/plain"
	if [ "$SH" = fish ]; then
		step "set -g _t_savepath \$PATH; set -gx PATH"
	else
		step "_t_savepath=\$PATH; PATH="
	fi
	expect PATH "" "PATH emptied"
	go "$W/A"
	expect_active "$W/A/.venv" "empty PATH: the venv's bin alone" "$W/A/.venv/bin"
	go "$W/plain"
	expect PATH "" "empty PATH: back to empty"
	expect VENVD_ACTIVE '<unset>' "empty PATH: left A"
	if [ "$SH" = fish ]; then step "set -e PATH"; else step "unset PATH"; fi
	expect PATH '<unset>' "PATH unset"
	go "$W/A"
	expect_active "$W/A/.venv" "unset PATH: the venv's bin alone" "$W/A/.venv/bin"
	if [ "$SH" = fish ]; then step "set -e PATH"; else step "unset PATH"; fi
	go "$W/plain"
	expect_none "left A with PATH unset: it stays unset" '<unset>'
	if [ "$SH" = fish ]; then
		step "set -gx PATH \$_t_savepath"
	else
		step "PATH=\$_t_savepath"
	fi
	expect PATH "$BASEPATH" "PATH restored"

	say "7. manual activation is respected; our deactivate"
	go "$W/A"
	if [ "$SH" = fish ]; then
		step "source $W/B/.venv/bin/activate.fish"
	else
		step "source $W/B/.venv/bin/activate"
	fi
	# Its activate ran its own "deactivate nondestructive", not ours: our
	# entry stays behind it until it is deactivated (the state contract).
	expect VIRTUAL_ENV "$W/B/.venv" "manual activation"
	expect VENVD_ACTIVE "$W/A/.venv" "venvd's state kept under the manual one"
	expect PATH "$W/B/.venv/bin:$W/A/.venv/bin:$BASEPATH" "manual venv's bin in front"
	go "$W/outer"
	expect VIRTUAL_ENV "$W/B/.venv" "manual activation kept across cd"
	expect PATH "$W/B/.venv/bin:$W/A/.venv/bin:$BASEPATH" "manual PATH kept across cd"
	step "deactivate"
	step ""
	expect_active "$W/outer/.venv" "auto-activation resumes after the manual deactivate"
	step "deactivate"
	expect_none "our deactivate"
	step ""
	expect_none "deactivated project stays inactive at the next prompt"
	go "$W/outer/inner/.."
	expect_none "still inactive inside the same project"
	go "$W/plain"
	expect_none "left it"
	go "$W/outer"
	expect_active "$W/outer/.venv" "reactivated after leaving and coming back"

	say "8. inherited state: a child shell adopts the activation"
	go "$W/A/sub"
	step "$(shell_cmd)"
	expect_active "$W/A/.venv" "child shell in A: bin once"
	[ "${S[SHLVL]}" -ge 2 ] || fail "$SH: the child shell did not start (SHLVL ${S[SHLVL]})"
	go "$W/plain"
	expect_none "child shell leaves A"
	go "$W/A"
	expect_active "$W/A/.venv" "child shell re-enters A"
	step "exit"
	expect_active "$W/A/.venv" "parent still in A after the child exits"

	say "10. hostile names"
	go "$HOSTILE"
	expect_active "$HOSTILE/.venv" "hostile project"
	go "$W/plain"
	expect_none "leave hostile"
	if [ "$SH" = fish ]; then step "set -g VENVD_PS1 1"; else step "VENVD_PS1=1"; fi
	go "$HOSTILE"
	expect_active "$HOSTILE/.venv" "hostile project again (cached or not), VENVD_PS1=1"
	go "$W/plain"
	expect_none "leave hostile again"
	[ -z "$(find "$T" -name 'pwned*' -print -quit)" ] || fail "$SH: a hostile name was executed"

	say "3. VENVD_PS1=1 adds (<prompt>) and undoes it exactly"
	go "$W/B"
	expect PROMPT "(B) T> " "VENVD_PS1=1 prompt"
	go "$W/plain"
	expect PROMPT "T> " "VENVD_PS1 prefix removed exactly"
	if [ "$SH" = fish ]; then step "set -e VENVD_PS1"; else step "unset VENVD_PS1"; fi

	say "12. broken venv: one notice per shell per venv"
	go "$W/D"
	expect VIRTUAL_ENV "$W/D/.venv" "broken venv still activates"
	go "$W/plain"
	go "$W/D"
	step ""
	go "$W/plain"
	[ "$(pane | grep -c -F "$W/D/.venv")" -eq 1 ] ||
	    fail "$SH: the broken-venv notice should appear exactly once: $(pane | grep -F "$W/D/.venv")"
	pane | grep_all -F "$W/D/.venv" | grep_all -q -F "$T/gone" ||
	    fail "$SH: the notice does not name the missing interpreter"

	expect_quiet_pane

	say "11/9. daemon comes up: venvs appearing and vanishing in place"
	daemon_start
	go "$W/C"
	expect_none "C has no venv"
	gen=$(generation)
	step "python3 -m venv --without-pip .venv"
	wait_for daemon_says "$W/C" "$W/C/.venv" || fail "$SH: the daemon did not see C/.venv"
	wait_for test "$(generation)" != "$gen" || fail "$SH: the generation did not move"
	step ""
	expect_active "$W/C/.venv" "created in place: active at the next prompt"
	gen=$(generation)
	step "rm -rf .venv"
	wait_for daemon_says "$W/C" "" || fail "$SH: the daemon did not see C/.venv go"
	wait_for test "$(generation)" != "$gen" || fail "$SH: the generation did not move"
	step ""
	expect_none "removed in place: inactive at the next prompt"
	gen=$(generation)
	step "python3 -m venv --without-pip .venv"
	wait_for daemon_says "$W/C" "$W/C/.venv" || fail "$SH: the daemon did not see C/.venv again"
	wait_for test "$(generation)" != "$gen" || fail "$SH: the generation did not move"
	step ""
	expect_active "$W/C/.venv" "recreated in place: active again"

	say "10. a cloned project whose name is not UTF-8: allowed through the daemon, byte-exact"
	local lat="$W/lat1-"$'\xff\xfe' envb
	make_cloned lat1
	mv "$W/lat1" "$lat"
	"$VENVD" allow "$lat" >/dev/null 2>&1 || fail "$SH: venvd allow refused a path that is not UTF-8"
	go "$lat"
	expect_active "$lat/.venv" "trusted non-UTF-8 project"
	step "python3 -c 'import os, sys; open(sys.argv[1], \"wb\").write(os.environb[b\"VIRTUAL_ENV\"] + b\"|\" + os.environb[b\"PATH\"])' $OUT/envb"
	envb=$(cat "$OUT/envb")
	assert_eq "$lat/.venv|$lat/.venv/bin:$BASEPATH" "$envb" "$SH: the environment a child sees is not byte-exact"
	go "$W/plain"
	expect_none "leave the non-UTF-8 project"
	go "$lat"
	expect_active "$lat/.venv" "non-UTF-8 project again"
	go "$W/plain"
	expect_none "leave it again"

	if [ "$SH" != fish ]; then	# fish itself refuses to cd past PATH_MAX
		say "10. \$PWD longer than PATH_MAX below a project, entered step by step: still its venv"
		local seg cds=()
		seg=$(printf 'd%.0s' $(seq 200))
		(cd "$W/A" && for _ in $(seq 25); do mkdir "$seg" && cd "$seg" || exit 1; done) ||
		    fail "could not make the deep tree"
		for _ in $(seq 25); do cds+=("cd $seg"); done
		go "$W/A"
		step "${cds[@]}"
		(( ${#S[PWD]} > 4096 )) || fail "$SH: \$PWD is only ${#S[PWD]} bytes"
		expect_active "$W/A/.venv" "\$PWD over PATH_MAX below A"
		go "$W/plain"
		expect_none "back from the deep tree"
		rm -rf "${W:?}/A/$seg"
	fi

	say "11. daemon killed -9 mid-session, then hung, then back"
	kill -KILL "$DAEMON_PID"
	wait "$DAEMON_PID" 2>/dev/null || true
	DAEMON_PID=
	go "$W/B"
	expect_active "$W/B/.venv" "switch with a dead daemon"
	go "$W/outer/inner"
	expect_active "$W/outer/inner/.venv" "enter with a dead daemon"
	rm -f "$VENVD_SOCKET"
	"$PYTHON3" -c 'import os, socket, sys, time
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(8)
conns = []
open(sys.argv[2], "w").close()
while True:
	c, _ = s.accept(); conns.append(c)' "$VENVD_SOCKET" "$T/hung.ready" &
	HUNG_PID=$!
	wait_for test -e "$T/hung.ready" || fail "the hung daemon did not start"
	pre=$(date +%s%N)
	go "$W/A/sub"
	expect_active "$W/A/.venv" "enter A with a hung daemon"
	(( ($(date +%s%N) - pre) / 1000000 < 20000 )) || fail "$SH: a hung daemon held the prompt too long"
	kill "$HUNG_PID" 2>/dev/null || true
	wait "$HUNG_PID" 2>/dev/null || true
	HUNG_PID=
	rm -f "$VENVD_SOCKET"
	daemon_start
	local r1 r2
	r1=$(jget "$(rpc status)" 'j["requests"]')
	go "$W/plain"
	expect_none "daemon back"
	r2=$(jget "$(rpc status)" 'j["requests"]')
	# r2 counts its own status call: the hook's resolve makes it at least 2 more.
	(( r2 - r1 >= 2 )) || fail "$SH: the hook did not use the daemon once it was back ($r1 -> $r2 requests)"
	go "$W/B"
	expect_active "$W/B/.venv" "daemon back: B"

	say "9. code replayed from the shell's cache never undoes a change the user made since (PATH)"
	go "$W/plain"
	go "$W/A"
	expect_active "$W/A/.venv" "replay: first visit to A with the daemon"
	go "$W/plain"
	expect_none "replay: left A"
	if [ "$SH" = fish ]; then step "set -gx PATH /u3 \$PATH"; else step "PATH=/u3:\$PATH"; fi
	expect PATH "/u3:$BASEPATH" "replay: the user added an entry"
	go "$W/A"
	expect_active "$W/A/.venv" "replay: A again, the user's entry kept, the venv's bin first" \
	    "$W/A/.venv/bin:/u3:$BASEPATH"
	go "$W/plain"
	expect_none "replay: left A again, the user's entry kept" "/u3:$BASEPATH"
	if [ "$SH" = fish ]; then step "set -e PATH[1]"; else step "PATH=\${PATH#/u3:}"; fi
	expect PATH "$BASEPATH" "replay: the user's entry removed again"

	if [ "$INSHELL" = 1 ]; then
		say "14. the builtin (bash) or module (zsh) starts no process while the daemon answers"
		printf '#!/bin/sh\n: >"%s"\nexec "%s" "$@"\n' "$T/spawned" "$VENVD" >"$T/spy"
		chmod +x "$T/spy"
		step "_venvd_bin=$T/spy"
		go "$W/outer/inner"
		expect_active "$W/outer/inner/.venv" "builtin: first visit to inner"
		go "$W/plain"
		expect_none "builtin: leaving"
		go "$W/C"
		expect_active "$W/C/.venv" "builtin: first visit to C"
		step "false"
		expect STATUS 1 "builtin: \$? survives"
		[ ! -e "$T/spawned" ] || fail "$SH: the builtin ran venvd on a prompt while the daemon answered"
		kill -KILL "$DAEMON_PID"
		wait "$DAEMON_PID" 2>/dev/null || true
		DAEMON_PID=
		go "$W/B"
		expect_active "$W/B/.venv" "builtin: the daemon gone, the process path answers"
		[ -e "$T/spawned" ] || fail "$SH: with no daemon the builtin did not fall back to venvd"
		rm -f "$VENVD_SOCKET"
		daemon_start
	fi
	expect_quiet_pane
	send_line "exit"
	tmux -S "$TS" kill-server 2>/dev/null || true

	say "2. steady state costs no process (strace -f on the interactive shell)"
	command -v strace >/dev/null 2>&1 || skip "strace is not installed"
	STEP=1000
	# LeakSanitizer cannot run under ptrace: in a sanitizer build it would
	# abort the traced client at exit, losing its answer.
	shell_start ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
	    strace -f -qq -e signal=none -e trace=execve,clone,clone3,fork,vfork -o "$T/strace.log"
	go "$W/A/sub"
	expect_active "$W/A/.venv" "under strace: in A"
	# In-shell paths (bash's builtin, zsh's module) start no process on
	# any prompt; the process path (fish, or no faster path) may start
	# one venvd for a state its cache has not seen, none for one it has.
	local inshell=1
	[[ ${S[HOW]} != process* ]] || inshell=0
	go "$W/plain"
	go "$W/A/sub"	# now cached under the daemon's generation
	# A/sub -> B -> A/sub -> B -> A/sub: the last two visits are to
	# directories in states already seen.
	step "/bin/true MARK1" "" "" "" "" "" "/bin/true MARK2" "cd ../../B" "/bin/true MARK3" \
	    "cd ../A/sub" "/bin/true MARK4" "cd ../../B" "/bin/true MARK5" "cd ../A/sub" "/bin/true MARK6"
	expect_active "$W/A/.venv" "under strace: back in A"
	say "10. hostile names from the shell's cache"
	go "$HOSTILE"
	expect_active "$HOSTILE/.venv" "hostile project with the daemon"
	go "$W/plain"
	expect_none "leave hostile with the daemon"
	go "$HOSTILE"
	expect_active "$HOSTILE/.venv" "hostile project from the cache"
	go "$W/plain"
	[ -z "$(find "$T" -name 'pwned*' -print -quit)" ] || fail "$SH: a hostile name was executed"
	send_line "exit"
	wait_for session_gone || {
		pane | tail -n 5 >&2
		fail "$SH: the strace session did not end"
	}
	n=$(forks_between "$T/strace.log" MARK1 MARK2)
	[ "$n" = 1 ] || fail "$SH: 5 idle prompts ran processes (expected only MARK2's own fork, got $n lines)"
	n=$(forks_between "$T/strace.log" MARK2 MARK3)
	if ((inshell)); then
		grep -q 'execve("/bin/true' "$T/strace.log" || fail "$SH: strace never saw a process run (test is blind)"
		[ "$n" = 1 ] || fail "$SH: ${S[HOW]} ran processes on a first visit to B (got $n lines)"
	else
		grep -q 'execve(.*venvd' "$T/strace.log" || fail "$SH: strace never saw venvd run (test is blind)"
		[ "$n" -ge 2 ] || fail "$SH: a first visit to B should run venvd once (got $n lines)"
	fi
	# A/sub again, from B's state, which its cache has not seen: one
	# venvd (its fork and exec) at most on the process path.
	n=$(forks_between "$T/strace.log" MARK3 MARK4)
	if ((inshell)); then
		[ "$n" = 1 ] || fail "$SH: ${S[HOW]} ran processes on a revisit (got $n lines)"
	else
		[ "$n" -le 3 ] || fail "$SH: a revisit from a new state ran more than one venvd (got $n lines)"
	fi
	n=$(forks_between "$T/strace.log" MARK4 MARK5)
	[ "$n" = 1 ] || fail "$SH: a revisit to B in a state already seen ran processes (got $n lines)"
	n=$(forks_between "$T/strace.log" MARK5 MARK6)
	[ "$n" = 1 ] || fail "$SH: a revisit to A/sub in a state already seen ran processes (got $n lines)"

	if [ "$SH" = bash ]; then
		say "1. PROMPT_COMMAND in array form"
		STEP=2000
		shell_start T_PC_ARRAY=1
		go "$W/A"
		expect_active "$W/A/.venv" "array PROMPT_COMMAND: activation"
		expect HOOKS 1 "installed once in the PROMPT_COMMAND array"
		step "false"
		expect STATUS 1 "\$? survives (array form)"
		expect PC1 1 "first user entry sees \$?"
		expect PC2 1 "second user entry still runs"
		expect_quiet_pane
	fi

	say "13. non-interactive shells are never affected"
	noninteractive_check
	say "all hook checks passed for $SH"
}

# 13: the hook loaded by a script does nothing.
noninteractive_check() {
	local out
	case $SH in
	bash)
		out=$(cd "$W/plain" && env PATH="$BASEPATH" BASH_ENV="$T/rc" bash -c 'cd ../A; cd sub; printf "%s|%s|%s" "${VIRTUAL_ENV-unset}" "$PATH" "${PROMPT_COMMAND-}"' 2>&1)
		;;
	zsh)
		out=$(cd "$W/plain" && env PATH="$BASEPATH" zsh -f -c 'eval "$("$VENVD" hook zsh)"; cd ../A; cd sub; printf "%s|%s" "${VIRTUAL_ENV-unset}" "$PATH"' 2>&1)
		;;
	fish)
		out=$(cd "$W/plain" && env PATH="$BASEPATH" fish --no-config -c '$VENVD hook fish | source; cd ../A; cd sub; printf "%s|%s" (set -q VIRTUAL_ENV; and echo $VIRTUAL_ENV; or echo unset) "$PATH"' 2>&1)
		;;
	esac
	if [ "$SH" = bash ]; then
		out=${out%|_t_pc1=\$?}	# the rc's own PROMPT_COMMAND, without ours
	fi
	assert_eq "unset|$BASEPATH" "$out" "$SH: a non-interactive shell was affected"
}

# expect_inert_prompt TEXT WHAT: VENVD_PS1's prefix and VIRTUAL_ENV_PROMPT are
# TEXT, the prompt drawn shows it before the user's "T> ", and no code ran.
expect_inert_prompt() {
	[ -z "$(find "$T" -name 'pwned*' -print -quit)" ] ||
	    fail "$SH: $2: a venv prompt ran as prompt code: $(find "$T" -name 'pwned*')"
	expect VIRTUAL_ENV_PROMPT "$1" "$2"
	[ "$SH" = fish ] || expect PS1 "($1) T> " "$2: PS1 holds the literal text"
	expect_drawn "($1) T>" "$2"
	[ -z "$(find "$T" -name 'pwned*' -print -quit)" ] ||
	    fail "$SH: $2: a venv prompt ran as prompt code: $(find "$T" -name 'pwned*')"
}

# Issue 11.2: a venv's prompt or name never becomes prompt code, whatever
# prompt options the user turns on or off after the activation.
prompt_main() {
	local evil want name wname
	BROKEN_V=/nonexistent/broken-venv	# expect_quiet_pane ignores its notice
	hook_rc=0
	trap 'hook_rc=$?; set +e; hook_cleanup; (exit "$hook_rc"); harness_cleanup' EXIT
	hook_check
	# Every prompt language's code: command substitution both ways, parameter
	# and arithmetic expansion, zsh % escapes (colour, raw output, a
	# conditional), bash \ escapes (\033 and \007 as bytes), history "!".
	evil='$(touch pwned1) `touch pwned2` ${HOME}$((6*7)) %F{red}x%f%n %{%}%(?.a.b) \u@\h \033]0;t\007 \$ !! '"'q'"' "d" {b} end'
	want='_(touch pwned1) _touch pwned2_ _{HOME}_((6*7)) _F{red}x_f_n _{_}_(?.a.b) _u@_h _033]0;t_007 __ __ '"'q'"' "d" {b} end'
	mkdir -p "$W/plain" "$W/P"
	mkvenv "$W/P/.venv"
	printf 'prompt = %s\n' "$evil" >>"$W/P/.venv/pyvenv.cfg"
	# No prompt in pyvenv.cfg: the project directory's name is the prompt.
	name='n $(touch pwned3) `touch pwned4` %n \w ! end'
	wname='n _(touch pwned3) _touch pwned4_ _n _w _ end'
	mkdir -p "$W/$name"
	mkvenv "$W/$name/.venv"
	write_rc

	say "prompt code from pyvenv.cfg and directory names stays text ($SH)"
	shell_start
	step "cd $W/plain"
	expect_none "start in a plain dir"
	case $SH in
	zsh)
		# zsh's defaults: prompt_percent on, prompt_subst and prompt_bang off.
		step "VENVD_PS1=1"
		go "$W/P"
		expect_active "$W/P/.venv" "hostile prompt, zsh defaults"
		expect_inert_prompt "$want" "activated under zsh's defaults"
		step "setopt prompt_subst prompt_bang" "" "" ""
		expect_inert_prompt "$want" "prompt_subst and prompt_bang turned on later"
		step "unsetopt prompt_percent" "" ""
		expect_inert_prompt "$want" "prompt_percent turned off later"
		step "setopt prompt_percent"
		go "$W/plain"
		expect PS1 "T> " "PS1 restored exactly (prompt_subst on)"
		expect_drawn "T>" "PS1 restored exactly (prompt_subst on)"
		go "$W/P"
		expect_inert_prompt "$want" "activated under prompt_subst prompt_bang"
		step "unsetopt prompt_subst prompt_bang" "" ""
		expect_inert_prompt "$want" "prompt_subst and prompt_bang turned off later"
		step "setopt prompt_subst prompt_bang"
		go "$W/$name"
		expect_active "$W/$name/.venv" "hostile directory name"
		step "" ""
		expect_inert_prompt "$wname" "a directory name as the prompt, every option on"
		;;
	bash)
		step "shopt -u promptvars" "VENVD_PS1=1"
		go "$W/P"
		expect_active "$W/P/.venv" "hostile prompt, promptvars off"
		expect_inert_prompt "$want" "activated with promptvars off"
		step "shopt -s promptvars" "" "" ""
		expect_inert_prompt "$want" "promptvars turned on later"
		step "set -o posix" "" ""
		expect_inert_prompt "$want" "POSIX mode (! is the history number) turned on later"
		step "set +o posix"
		go "$W/plain"
		expect PS1 "T> " "PS1 restored exactly"
		expect_drawn "T>" "PS1 restored exactly"
		go "$W/$name"
		expect_active "$W/$name/.venv" "hostile directory name"
		step "" ""
		expect_inert_prompt "$wname" "a directory name as the prompt, promptvars on"
		step "shopt -u promptvars" ""
		expect_inert_prompt "$wname" "a directory name as the prompt, promptvars off"
		step "shopt -s promptvars"
		;;
	fish)
		step "set -g VENVD_PS1 1"
		go "$W/P"
		expect_active "$W/P/.venv" "hostile prompt"
		step "" "" ""
		expect_inert_prompt "$want" "fish_prompt wrapped"
		go "$W/$name"
		expect_active "$W/$name/.venv" "hostile directory name"
		step "" ""
		expect_inert_prompt "$wname" "a directory name as the prompt"
		;;
	esac
	if [ "$SH" != fish ]; then
		# A theme that copies VIRTUAL_ENV_PROMPT into PS1 (as bin/activate
		# does) gets inert text too: every option is on by now.
		step '_t_ps1=$PS1; PS1="[$VIRTUAL_ENV_PROMPT] $PS1"' "" ""
		expect_drawn "[$wname] ($wname) T>" "VIRTUAL_ENV_PROMPT copied into PS1"
		[ -z "$(find "$T" -name 'pwned*' -print -quit)" ] ||
		    fail "$SH: VIRTUAL_ENV_PROMPT copied into PS1 ran as prompt code"
		step 'PS1=$_t_ps1'
	fi
	go "$W/plain"
	expect_none "left the hostile venvs"
	[ "$SH" = fish ] || expect PS1 "T> " "PS1 restored exactly"
	expect PROMPT "T> " "the user's prompt restored exactly"
	expect_drawn "T>" "the user's prompt restored exactly"
	expect_quiet_pane
	[ -z "$(find "$T" -name 'pwned*' -print -quit)" ] || fail "$SH: a venv prompt ran as prompt code"
	send_line "exit"
	say "venv prompts stayed text in $SH"
}
