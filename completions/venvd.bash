# venvd.bash: bash completion for venvd(1), loaded by bash-completion.
#
# Each command is one line of _comp_cmd_venvd_spec: its name, then what
# follows it: options (-x, --xyz) and positional arguments in order,
# <shell> (bash zsh fish), <xshell> (those and json) or <dir>.
# Internal options (export --hook) are deliberately not offered. exec is
# completed by _comp_cmd_venvd_exec: its options, -C's directory, then a
# command and that command's own arguments.

_comp_cmd_venvd_spec='
hook	<shell>
export	<xshell> <dir>
exec	-C --require
resolve	--json <dir>
status	--json
start
stop
restart
list	--json --broken --stale --sort
forget	<dir>
gc	--stale --dry-run --yes
roots	--json
watch	--depth --cross-fs <dir>
unwatch	<dir>
doctor
allow	<dir>
deny	<dir>
trust	--json
'

# Complete "venvd exec [-C DIR] [--require] [--] CMD [ARGS]": the words
# after exec start at COMP_WORDS[$1].
_comp_cmd_venvd_exec()
{
	local cur=${COMP_WORDS[COMP_CWORD]} i=$1 w

	COMPREPLY=()
	while (( i < COMP_CWORD )); do
		w=${COMP_WORDS[i]}
		if [[ $w == -- ]]; then
			(( i++ ))
			break
		elif [[ $w == -C ]]; then
			(( i += 2 ))
		elif [[ $w == -* ]]; then
			(( i++ ))
		else
			break
		fi
	done
	if (( i > COMP_CWORD )); then
		# The word after -C: its directory.
		if declare -F _filedir >/dev/null; then
			_filedir -d
		else
			compopt -o filenames 2>/dev/null
			mapfile -t COMPREPLY < <(compgen -d -- "$cur")
		fi
		return 0
	fi
	if (( i == COMP_CWORD )) && [[ $cur == -* ]] &&
		[[ ${COMP_WORDS[i-1]} != -- ]]; then
		mapfile -t COMPREPLY < <(compgen -W '-C --require -h --help' -- "$cur")
		return 0
	fi
	if declare -F _command_offset >/dev/null; then
		_command_offset "$i"
	elif (( i == COMP_CWORD )); then
		mapfile -t COMPREPLY < <(compgen -c -- "$cur")
	else
		compopt -o filenames 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
	fi
	return 0
}

# Complete the venvd command line in COMP_WORDS up to COMP_CWORD.
_comp_cmd_venvd()
{
	local cur=${COMP_WORDS[COMP_CWORD]} cmd='' i w line name spec
	local -a opts=() args=()
	local npos=0

	COMPREPLY=()
	for (( i = 1; i < COMP_CWORD; i++ )); do
		w=${COMP_WORDS[i]}
		if [[ -z $cmd ]]; then
			[[ $w == -* ]] || cmd=$w
			if [[ $cmd == exec ]]; then
				_comp_cmd_venvd_exec $(( i + 1 ))
				return 0
			fi
		elif [[ $w != -* ]]; then
			(( npos++ ))
		fi
	done

	if [[ -z $cmd ]]; then
		if [[ $cur == -* ]]; then
			mapfile -t COMPREPLY < <(compgen -W '-h --help -V --version' -- "$cur")
			return 0
		fi
		while IFS=$'\t' read -r name spec; do
			[[ -n $name ]] && args+=("$name")
		done <<<"$_comp_cmd_venvd_spec"
		mapfile -t COMPREPLY < <(compgen -W "${args[*]}" -- "$cur")
		return 0
	fi

	spec=
	while IFS= read -r line; do
		if [[ ${line%%$'\t'*} == "$cmd" ]]; then
			[[ $line == *$'\t'* ]] && spec=${line#*$'\t'}
			break
		fi
	done <<<"$_comp_cmd_venvd_spec"
	for w in $spec; do
		if [[ $w == -* ]]; then
			opts+=("$w")
		else
			args+=("$w")
		fi
	done

	if [[ $cur == -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W "${opts[*]} -h --help" -- "$cur")
		return 0
	fi
	case ${args[npos]-} in
	'<shell>')
		mapfile -t COMPREPLY < <(compgen -W 'bash zsh fish' -- "$cur") ;;
	'<xshell>')
		mapfile -t COMPREPLY < <(compgen -W 'bash zsh fish json' -- "$cur") ;;
	'<dir>')
		if declare -F _filedir >/dev/null; then
			_filedir -d
		else
			compopt -o filenames 2>/dev/null
			mapfile -t COMPREPLY < <(compgen -d -- "$cur")
		fi
		;;
	esac
	return 0
}
complete -F _comp_cmd_venvd venvd
