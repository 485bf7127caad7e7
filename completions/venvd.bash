# venvd.bash: bash completion for venvd(1), loaded by bash-completion.
#
# Each command is one line of _comp_cmd_venvd_spec: its name, then what
# follows it: options (-x, --xyz) and positional arguments in order,
# <shell> (bash zsh fish), <xshell> (those and json) or <dir>.
# Internal options (export --hook) are deliberately not offered.

_comp_cmd_venvd_spec='
hook	<shell>
export	<xshell> <dir>
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
