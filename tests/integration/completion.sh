#!/bin/bash
# completion.sh: drive the bash, zsh and fish completion machinery for venvd
# non-interactively and assert the candidates each shell offers.
#
#   bash: bash-completion's bash_completion plus completions/venvd.bash,
#         COMP_WORDS/COMP_CWORD/COMP_LINE/COMP_POINT set, COMPREPLY read
#   zsh:  a real interactive "zsh -f -i" on a zpty with compinit, a TAB
#         sent, and every match captured by wrapping compadd
#   fish: complete -C
. "$TOP_SRCDIR/tests/lib/harness.sh"

comp="$TOP_SRCDIR/completions"
for f in venvd.bash _venvd venvd.fish; do
	[ -s "$comp/$f" ] || fail "missing completions/$f"
done

# Syntax of each file in its own shell.
bash -n "$comp/venvd.bash" || fail "bash -n completions/venvd.bash"
zsh -n "$comp/_venvd" || fail "zsh -n completions/_venvd"
fish --no-execute "$comp/venvd.fish" || fail "fish --no-execute completions/venvd.fish"
if command -v shellcheck >/dev/null 2>&1; then
	shellcheck -s bash "$comp/venvd.bash" || fail "shellcheck completions/venvd.bash"
fi

# A directory to complete in: directories (one with a space), a file, a venv.
W="$T/work"
mkdir -p "$W/a dir" "$W/bdir" "$W/proj"
: >"$W/file.txt"
mkvenv "$W/proj/.venv"
# A command only this test has, for venvd exec's CMD.
mkdir -p "$T/bin"
printf '#!/bin/sh\n' >"$T/bin/zzvenvdtestcmd"
chmod 755 "$T/bin/zzvenvdtestcmd"
export PATH="$T/bin:$PATH"

# The candidates, one per line, sorted, joined with "|" for comparison.
joined() {
	sed 's:/$::' | LC_ALL=C sort -u | paste -sd'|' -
}

# --- bash ------------------------------------------------------------------
BASH_COMPLETION=/usr/share/bash-completion/bash_completion
cat >"$T/bash-complete.sh" <<'BASH'
# bash-complete.sh BASH_COMPLETION COMPFILE LINE: print COMPREPLY for LINE.
if [ -f "$1" ]; then
	# shellcheck disable=SC1090
	. "$1"
fi
# shellcheck disable=SC1090
. "$2"
COMP_LINE=$3
COMP_POINT=${#COMP_LINE}
read -ra COMP_WORDS <<<"$COMP_LINE"
[[ $COMP_LINE == *' ' ]] && COMP_WORDS+=("")
COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
spec=$(complete -p venvd) || { echo "no completion for venvd" >&2; exit 1; }
fn=${spec#*-F }
fn=${fn%% *}
"$fn" venvd "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\n' "${COMPREPLY[@]}"
BASH
[ -f "$BASH_COMPLETION" ] || say "bash-completion not installed: testing the bare completion function"

# bash_complete LINE: the candidates bash offers for LINE.
bash_complete() {
	(cd "$W" && bash --norc --noprofile "$T/bash-complete.sh" "$BASH_COMPLETION" "$comp/venvd.bash" "$1") | joined
}

# --- zsh -------------------------------------------------------------------
cat >"$T/capture.zsh" <<'ZSH'
# capture.zsh COMPDIR LINE: print the matches zsh's completion adds for LINE<TAB>.
zmodload zsh/zpty || exit 3
compdir=$1 line=$2 setup=$3
cat >$setup <<SETUP
PROMPT=
RPROMPT=
fpath=(${(q)compdir} \$fpath)
autoload -Uz compinit
compinit -u -D
bindkey '^M' undefined
bindkey '^J' undefined
bindkey '^I' complete-word
zstyle ':completion:*' list-grouped false
zstyle ':completion:*' insert-tab false
_capture_mark() { print -r -- '@@CAPTURE''-MARK@@' }
compprefuncs=(_capture_mark)
comppostfuncs=(_capture_mark exit)
compadd() {
	if [[ \${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then
		builtin compadd "\$@"
		return
	fi
	local -a __hits
	builtin compadd -A __hits "\$@"
	(( \$#__hits )) && print -rl -- "@@HIT@@"\${^__hits}
	builtin compadd "\$@"
}
print -r -- '@@READY''@@'
SETUP
zpty z zsh -f -i
zpty -w z "source ${(q)setup}"
local out
integer ready=0
repeat 200; do
	zpty -r z out || break
	if [[ $out == *@@READY@@* ]]; then
		ready=1
		break
	fi
done
(( ready )) || { print -u2 "zsh did not get ready"; exit 4 }
zpty -w -n z "$line"$'\t'
integer marks=0
while zpty -r z out; do
	if [[ $out == *@@CAPTURE-MARK@@* ]]; then
		(( ++marks >= 2 )) && break
		continue
	fi
	[[ $out == @@HIT@@* ]] && print -r -- ${${out#@@HIT@@}%$'\r'*}
done
zpty -d z
(( marks >= 2 )) || { print -u2 "completion did not finish"; exit 5 }
ZSH
zsh -f -c 'zmodload zsh/zpty' 2>/dev/null || skip "zsh lacks the zsh/zpty module"

# zsh_complete LINE: the candidates zsh offers for LINE.
zsh_complete() {
	local out rc=0
	out=$(cd "$W" && timeout 20 zsh -f "$T/capture.zsh" "$comp" "$1" "$T/zsetup.zsh") || rc=$?
	[ "$rc" -eq 0 ] || fail "zsh completion driver failed for [$1] (exit $rc)"
	printf '%s\n' "$out" | sed '/^$/d' | joined
}

# --- fish ------------------------------------------------------------------
# fish_complete LINE: the candidates fish offers for LINE (descriptions cut).
fish_complete() {
	(cd "$W" && fish --no-config -c 'source $argv[1]; complete -C $argv[2]' "$comp/venvd.fish" "$1") |
		cut -f1 | joined
}

# --- the assertions --------------------------------------------------------
commands='allow|deny|doctor|exec|export|forget|gc|hook|list|resolve|restart|roots|start|status|stop|trust|unwatch|watch'
# check LINE WANT [ZSH_WANT]: zsh shows matches as inserted (quoted).
check() {
	local line=$1 want=$2 sh got
	for sh in bash zsh fish; do
		got=$("${sh}_complete" "$line")
		if [ "$sh" = zsh ] && [ $# -ge 3 ]; then
			assert_eq "$3" "$got" "$sh: candidates for [$line<TAB>]"
		else
			assert_eq "$want" "$got" "$sh: candidates for [$line<TAB>]"
		fi
		say "ok $sh [$line] -> $got"
	done
}

check 'venvd ' "$commands"
check 'venvd hook ' 'bash|fish|zsh'
check 'venvd export ' 'bash|fish|json|zsh'
check 'venvd re' 'resolve|restart'
check 'venvd st' 'start|status|stop'
check 'venvd hook f' 'fish'
check 'venvd -' '--help|--version|-V|-h'
check 'venvd resolve --' '--help|--json'
check 'venvd hook bash ' ''
check 'venvd stop ' ''
check 'venvd list --' '--broken|--help|--json|--sort|--stale'
check 'venvd gc --' '--dry-run|--help|--stale|--yes'
check 'venvd unwatch b' 'bdir'
check 'venvd doctor ' ''
check 'venvd trust --' '--help|--json'
check 'venvd allow b' 'bdir'
check 'venvd deny b' 'bdir'
# Directories only (not the file), including a name with a space; the
# internal export --hook option does not shift the positional arguments.
check 'venvd export bash ' 'a dir|bdir|proj' 'a\ dir|bdir|proj'
check 'venvd export --hook zsh ' 'a dir|bdir|proj' 'a\ dir|bdir|proj'
check 'venvd resolve --json b' 'bdir'
# (zsh reports the match without the proj/ prefix compadd is given apart)
check 'venvd resolve proj/.v' 'proj/.venv' '.venv'
# exec: its options, -C's directory, then a command, then its arguments.
check 'venvd ex' 'exec|export'
check 'venvd exec -' '--help|--require|-C|-h'
check 'venvd exec -C b' 'bdir'
check 'venvd exec zzvenvdt' 'zzvenvdtestcmd'
check 'venvd exec -- zzvenvdt' 'zzvenvdtestcmd'
check 'venvd exec -C bdir --require -- zzvenvdt' 'zzvenvdtestcmd'
check 'venvd exec -C bdir zzvenvdtestcmd b' 'bdir'
check 'venvd exec -- zzvenvdtestcmd fi' 'file.txt'
exit 0
