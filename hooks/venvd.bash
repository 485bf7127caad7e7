# venvd.bash: activate the Python venv that applies to $PWD, at every prompt.
#
# Install with this line in ~/.bashrc:   eval "$(venvd hook bash)"
#
# Thin glue: the rules live in venvd (common/transition.c). An idle prompt
# costs one stat of the marker of the last generation seen and four string
# compares. Otherwise the code `venvd export --hook` printed for the same
# $PWD and the same inputs (the exported variables, this shell's
# bookkeeping, PS1, whether `deactivate` exists) is replayed from a cache
# emptied when the generation or a variable the locators read changes;
# else venvd is run once and its code evaluated and kept.
# shellcheck shell=bash

_venvd_bin=@VENVD@ _venvd_genfile=@GENFILE@
_venvd_pip_guard_on=@PIPGUARD@	# the config's pip_guard: 1 or 0
_venvd_env_names=(@LOCATORENV@)	# the variables the locators read
_venvd_builtin=@BASHBUILTIN@	# venvd.so, the loadable builtin; '' when none
_venvd_builtin_for=@BASHBUILTINFOR@	# the bash version (5.2) it was built for
_venvd_vars=(PYTHONHOME VENVD_PYTHONHOME PATH VIRTUAL_ENV VIRTUAL_ENV_PROMPT VENVD_ACTIVE PIP_REQUIRE_VIRTUALENV VENVD_PIP_GUARD)
if [[ -z ${_venvd_loaded-} ]]; then	# sourced twice: keep the state
	_venvd_loaded=1 _venvd_last_pwd='' _venvd_last_gen='' _venvd_last_ve='' _venvd_last_env=''
	_venvd_cache_gen='' _venvd_suppress='' _venvd_fn_ours=0 _venvd_ps1_added=''
	declare -gA _venvd_cache=() _venvd_noticed=()
fi

# The prompt hook: return at once when nothing changed; keeps $?.
_venvd_hook() {
	local _venvd_rc=$? gen='' env
	# One stat while the daemon's marker for the last generation exists;
	# no 2>/dev/null on the read: it would double an idle prompt's syscalls.
	if [[ -n $_venvd_last_gen && -e $_venvd_genfile.$_venvd_last_gen ]]; then
		gen=$_venvd_last_gen
	elif [[ -r $_venvd_genfile ]]; then
		read -r gen <"$_venvd_genfile" || :
	fi
	env=@LOCATORENVKEY@	# the locators' variables (_venvd_env_names) in one expansion
	if [[ $PWD == "$_venvd_last_pwd" && $gen == "$_venvd_last_gen" &&
	    ${VIRTUAL_ENV-} == "$_venvd_last_ve" && $env == "$_venvd_last_env" ]]; then
		return "$_venvd_rc"
	fi
	[[ $env == "$_venvd_last_env" && $gen == "$_venvd_cache_gen" ]] || _venvd_cache_reset "$gen"
	_venvd_update
	_venvd_last_pwd=$PWD _venvd_last_gen=$gen _venvd_last_ve=${VIRTUAL_ENV-} _venvd_last_env=$env
	return "$_venvd_rc"
}

# Forget every cached transition; the cache now belongs to generation $1.
_venvd_cache_reset() { _venvd_cache=(); _venvd_cache_gen=$1; }

# The transition's inputs as venvd's options (_venvd_a: the variables, set
# or not, and the bookkeeping) and the cache key (_venvd_k: $PWD and the
# options, each as LENGTH:VALUE).
_venvd_inputs() {
	local v x
	_venvd_a=(--state --pip-guard "$_venvd_pip_guard_on" --suppress "$_venvd_suppress" --ps1-added "$_venvd_ps1_added")
	((!_venvd_fn_ours)) || _venvd_a+=(--fn-ours)
	! declare -F deactivate >/dev/null || _venvd_a+=(--fn-exists)
	[[ ${VENVD_PS1-} != 1 ]] || _venvd_a+=(--ps1-on)
	[[ ${VENVD_PS1-} != 1 && -z $_venvd_ps1_added ]] || _venvd_a+=(--ps1 "${PS1-}")
	for v in "${_venvd_vars[@]}"; do
		[[ -z ${!v+x} ]] || _venvd_a+=(--var "$v=${!v}")
	done
	_venvd_k=${#PWD}:$PWD
	for x in "${_venvd_a[@]}"; do _venvd_k+="|${#x}:$x"; done
}

# Bring the shell to the right state for $PWD: replay the cached code, else
# run venvd once, evaluate its code and keep it when it says it may.
_venvd_update() {
	local out _venvd_a _venvd_k _venvd_answer_gen=
	_venvd_inputs
	out=${_venvd_cache[$_venvd_k]-}
	if [[ -n $out ]]; then
		eval "$out"
		return 0
	fi
	# The redirection outside $(...) lets bash exec venvd without a second fork.
	{ out=$("$_venvd_bin" export --hook bash "${_venvd_a[@]}" -- "$PWD") || :; } 2>/dev/null
	[[ $out == "_venvd_answer_gen="* ]] || return 0
	eval "$out"
	if [[ -z $_venvd_answer_gen ]]; then	# the daemon did not answer: its generation may be stale
		[[ -z $_venvd_cache_gen ]] || _venvd_cache_reset ''
		return 0
	fi
	[[ $_venvd_answer_gen != '*' ]] || _venvd_answer_gen=$_venvd_cache_gen	# depends on the state only
	if [[ $_venvd_answer_gen != "$_venvd_cache_gen" ]] || ((${#_venvd_cache[@]} >= 256)); then
		_venvd_cache_reset "$_venvd_answer_gen"
	fi
	_venvd_cache[$_venvd_k]=$out
}

# Shown once per shell per text (it names the venv and the reason).
_venvd_notice() {
	[[ -z ${_venvd_noticed[$1]-} ]] || return 0
	_venvd_noticed[$1]=1
	printf '%s\n' "$1" >&2
}

# The user's `deactivate` while venvd has a venv active, and its removal.
# shellcheck disable=SC2317
_venvd_deactivate_define() { deactivate() { _venvd_user_deactivate "$@"; }; _venvd_fn_ours=1; }
_venvd_deactivate_undefine() { unset -f deactivate; _venvd_fn_ours=0; }

# The user ran `deactivate` (or an activate script ran `deactivate nondestructive`).
_venvd_user_deactivate() {
	local out _venvd_a _venvd_k _venvd_answer_gen nd=()
	if [[ ${1-} == nondestructive ]]; then nd=(--nondestructive); fi
	_venvd_inputs
	{ out=$("$_venvd_bin" export --hook bash "${_venvd_a[@]}" --deactivate "${nd[@]}") || :; } 2>/dev/null
	if [[ $out == "_venvd_answer_gen="* ]]; then
		eval "$out"
	fi
}

# --- the loadable builtin (bash/venvd.so) ---------------------------------
# _venvd_entry builtin | process REASON: make PROMPT_COMMAND's entry the
# builtin venvd_hook (the prompt hook in C: no process, no function call
# while the daemon answers) or the _venvd_hook function, and say which in
# VENVD_SHELL (bash:PID:builtin, bash:PID:process[:REASON]) for venvd
# doctor. The builtin calls it when enable -n/-d turns it off (REASON
# unloaded) or enable turns it back on.
_venvd_entry() {
	local from=_venvd_hook to=venvd_hook i
	VENVD_SHELL="bash:$$:$1${2:+:$2}"
	export VENVD_SHELL
	if [[ $1 != builtin ]]; then
		from=venvd_hook to=_venvd_hook
		if ((_venvd_fn_ours)) && [[ -n ${VENVD_ACTIVE-} ]]; then
			_venvd_deactivate_define	# the builtin's deactivate would fail now
		fi
	fi
	_venvd_last_pwd='' _venvd_last_gen=''	# the new path asks again
	if [[ ${PROMPT_COMMAND@a} == *a* ]]; then
		for i in "${!PROMPT_COMMAND[@]}"; do
			if [[ ${PROMPT_COMMAND[i]} == "$from" ]]; then
				PROMPT_COMMAND[i]=$to
			fi
		done
	else
		# shellcheck disable=SC2128,SC2178
		PROMPT_COMMAND=${PROMPT_COMMAND/#"$from"/$to}
	fi
}

# Install in PROMPT_COMMAND once (string or array form), first, for interactive shells only.
# The entry is the loadable builtin venvd_hook when `venvd hook bash` found
# one built for this bash version and it loads; else the _venvd_hook
# function. VENVD_BASH_BUILTIN=0 (when venvd hook bash runs) turns it off.
if [[ $- == *i* ]]; then
	_venvd_e=_venvd_hook
	if [[ -z $_venvd_builtin ]]; then
		_venvd_why=@BASHBUILTINWHY@
	elif [[ ${BASH_VERSINFO[0]}.${BASH_VERSINFO[1]} != "$_venvd_builtin_for" ]]; then
		_venvd_why=version-mismatch
	elif enable venvd_hook 2>/dev/null || enable -f "$_venvd_builtin" venvd_hook 2>/dev/null; then
		_venvd_e=venvd_hook _venvd_why=
	else
		_venvd_why=load-failed
	fi
	if [[ $_venvd_e == venvd_hook ]]; then
		export VENVD_SHELL="bash:$$:builtin"
	else
		export VENVD_SHELL="bash:$$:process${_venvd_why:+:$_venvd_why}"
	fi
	if [[ -n ${PROMPT_COMMAND+x} && ${PROMPT_COMMAND@a} == *a* ]]; then
		_venvd_i=0
		for _venvd_x in "${!PROMPT_COMMAND[@]}"; do
			if [[ ${PROMPT_COMMAND[_venvd_x]} == _venvd_hook || ${PROMPT_COMMAND[_venvd_x]} == venvd_hook ]]; then
				PROMPT_COMMAND[_venvd_x]=$_venvd_e	# sourced again: this load decides
				_venvd_i=1
			fi
		done
		if ((!_venvd_i)); then
			PROMPT_COMMAND=("$_venvd_e" "${PROMPT_COMMAND[@]}")
		fi
		unset _venvd_i _venvd_x
	elif [[ ${PROMPT_COMMAND-} == _venvd_hook* || ${PROMPT_COMMAND-} == venvd_hook* ]]; then
		# shellcheck disable=SC2128,SC2178
		PROMPT_COMMAND=$_venvd_e${PROMPT_COMMAND#*venvd_hook}
	elif [[ ${PROMPT_COMMAND-} != *venvd_hook* ]]; then
		# shellcheck disable=SC2128,SC2178
		PROMPT_COMMAND="$_venvd_e${PROMPT_COMMAND:+$'\n'$PROMPT_COMMAND}"
	fi
	unset _venvd_e _venvd_why
fi
