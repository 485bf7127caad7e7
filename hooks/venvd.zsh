# venvd.zsh: activate the Python venv that applies to $PWD, at every prompt and cd.
#
# Install with this line in ~/.zshrc:   eval "$(venvd hook zsh)"
#
# Each prompt costs one stat of the daemon's marker for the last generation
# seen (a builtin `read` of the generation file only once it is gone) and
# four string compares; venvd is only run when $PWD, the generation,
# $VIRTUAL_ENV or a variable the locators read (WORKON_HOME, PYENV_ROOT...,
# which venvd sends to the daemon) changed and the answer is not already in this shell's
# cache. Without a daemon there is no generation, so a venv created or
# removed in the current directory is noticed at the next cd instead.
#
# State shared with child shells and `venvd export` (all exported):
# VENVD_ACTIVE (the venv venvd activated), VIRTUAL_ENV (the same),
# VIRTUAL_ENV_PROMPT, VENVD_PYTHONHOME (PYTHONHOME saved at activation,
# only if it was set); PATH starts with "$VENVD_ACTIVE/bin". VIRTUAL_ENV
# set to anything else is a manual activation, left alone until it goes.

typeset -g _venvd_bin=@VENVD@
typeset -g _venvd_genfile=@GENFILE@
typeset -g _venvd_pip_guard_on=@PIPGUARD@	# the config's pip_guard: 1 or 0
typeset -ga _venvd_env_names
_venvd_env_names=(@LOCATORENV@)	# the variables the locators read
if [[ -z ${_venvd_loaded-} ]]; then	# sourced twice: keep the state
	typeset -g _venvd_loaded=1
	typeset -g _venvd_last_pwd= _venvd_last_gen= _venvd_last_ve= _venvd_last_env=
	typeset -g _venvd_cache_gen= _venvd_suppress= _venvd_ps1_added=
	typeset -gi _venvd_cache_n=0 _venvd_fn_ours=0
	typeset -gA _venvd_cv _venvd_cp _venvd_cn _venvd_noticed
fi

# The prompt/chpwd hook: return at once when nothing changed; keeps $?.
# It and _venvd_user_deactivate are the entry points: they set zsh's
# default options (emulate -L), which the functions they call inherit.
_venvd_hook() {
	local _venvd_rc=$?
	emulate -L zsh
	local gen= env
	# One stat while the daemon's marker for the last generation exists;
	# no 2>/dev/null on the read: it would double an idle prompt's syscalls.
	if [[ -n $_venvd_last_gen && -e $_venvd_genfile.$_venvd_last_gen ]]; then
		gen=$_venvd_last_gen
	elif [[ -r $_venvd_genfile ]]; then
		read -r gen <$_venvd_genfile || :
	fi
	# The locators' variables (_venvd_env_names), as the daemon will be
	# told them, in one expansion: answers cached for other values no
	# longer hold.
	env=@LOCATORENVKEY@
	if [[ $PWD == "$_venvd_last_pwd" && $gen == "$_venvd_last_gen" &&
	    ${VIRTUAL_ENV-} == "$_venvd_last_ve" && $env == "$_venvd_last_env" ]]; then
		return $_venvd_rc
	fi
	if [[ $env != "$_venvd_last_env" ]]; then
		_venvd_cache_reset "$gen"
	fi
	_venvd_update "$gen"
	_venvd_pip_guard
	_venvd_last_pwd=$PWD
	_venvd_last_gen=$gen
	_venvd_last_ve=${VIRTUAL_ENV-}
	_venvd_last_env=$env
	return $_venvd_rc
}

# pip guard: PIP_REQUIRE_VIRTUALENV=true while no venv is active, lifted while
# any is (manual too). VENVD_PIP_GUARD=1 marks the value as ours (exported, so
# child shells agree); a value the user set is never touched.
_venvd_pip_guard() {
	if [[ -n ${VIRTUAL_ENV-} || $_venvd_pip_guard_on != 1 ]]; then
		if [[ ${VENVD_PIP_GUARD-} == 1 ]]; then
			if [[ ${PIP_REQUIRE_VIRTUALENV-} == true ]]; then
				unset PIP_REQUIRE_VIRTUALENV
			fi
			unset VENVD_PIP_GUARD
		fi
	elif [[ -z ${PIP_REQUIRE_VIRTUALENV+x} ]]; then
		export PIP_REQUIRE_VIRTUALENV=true VENVD_PIP_GUARD=1
	fi
}

# Forget every cached answer; the cache now belongs to generation $1.
_venvd_cache_reset() {
	_venvd_cv=()
	_venvd_cp=()
	_venvd_cn=()
	_venvd_cache_n=0
	_venvd_cache_gen=$1
}

# Bring the shell to the right state for $PWD: from the cache, else from venvd.
_venvd_update() {
	local gen=$1 dir=$PWD hit out
	if [[ -n ${VIRTUAL_ENV-} && $VIRTUAL_ENV != "${VENVD_ACTIVE-}" ]]; then
		# Manual activation: hands off until it goes. Its activate script
		# replaced our deactivate; our leftovers are cleaned up after it.
		if [[ -n ${VENVD_ACTIVE-} ]]; then
			_venvd_fn_ours=0
		fi
		return 0
	fi
	if [[ $gen != "$_venvd_cache_gen" ]]; then
		_venvd_cache_reset "$gen"
	fi
	hit=${_venvd_cv[$dir]-}
	if [[ -n $hit ]]; then
		_venvd_apply "${hit#v}" "${_venvd_cp[$dir]-}" "${_venvd_cn[$dir]-}"
		return 0
	fi
	out=$("$_venvd_bin" export --hook zsh "$dir" 2>/dev/null) || :
	if [[ $out == "_venvd_answer "* ]]; then
		eval "$out"
	fi
}

# Called by `venvd export --hook zsh`: cache the answer for DIR, then apply it.
_venvd_answer() {
	local dir=${1-} gen=${2-} venv=${3-} vprompt=${4-} notice=${5-}
	if [[ -n $gen && -n $dir ]]; then
		if [[ $gen != "$_venvd_cache_gen" ]] || ((_venvd_cache_n >= 256)); then
			_venvd_cache_reset "$gen"
		fi
		_venvd_cv[$dir]=v$venv
		_venvd_cp[$dir]=$vprompt
		_venvd_cn[$dir]=$notice
		_venvd_cache_n+=1
	fi
	if [[ -z $gen && -n $_venvd_cache_gen ]]; then
		_venvd_cache_reset ''	# the daemon did not answer: its generation may be stale
	fi
	_venvd_apply "$venv" "$vprompt" "$notice"
}

# Move from the current activation to VENV ('' = none) with PROMPT; print NOTICE once.
_venvd_apply() {
	local venv=$1 vprompt=$2 notice=$3
	if [[ -n ${VIRTUAL_ENV-} && $VIRTUAL_ENV != "${VENVD_ACTIVE-}" ]]; then
		return 0
	fi
	if [[ -n ${VENVD_ACTIVE-} && -z ${VIRTUAL_ENV-} ]]; then
		_venvd_off	# someone else's deactivate ran: clean up after it
		rehash
	fi
	if [[ -n $_venvd_suppress ]]; then
		if [[ $venv == "$_venvd_suppress" ]]; then
			venv=
		else
			_venvd_suppress=
		fi
	fi
	# Once per shell per notice text (it names the venv and the reason).
	if [[ -n $notice && -z ${_venvd_noticed[$notice]-} ]]; then
		_venvd_noticed[$notice]=1
		print -r -- "$notice" >&2
	fi
	if [[ $venv == "${VENVD_ACTIVE-}" ]]; then
		if [[ -n $venv ]]; then
			_venvd_adopt "$vprompt"
		fi
		return 0
	fi
	if [[ -n ${VENVD_ACTIVE-} ]]; then
		_venvd_off
	fi
	if [[ -n $venv ]]; then
		_venvd_on "$venv" "$vprompt"
	fi
	rehash
}

# Activate VENV as bin/activate does.
_venvd_on() {
	export VENVD_ACTIVE="$1" VIRTUAL_ENV="$1" VIRTUAL_ENV_PROMPT="$2"
	export PATH="$1/bin${PATH:+:$PATH}"	# never an empty entry (the current directory)
	if [[ -n ${PYTHONHOME+x} ]]; then
		export VENVD_PYTHONHOME="$PYTHONHOME"
		unset PYTHONHOME
	else
		unset VENVD_PYTHONHOME
	fi
	_venvd_deactivate_define
	if [[ ${VENVD_PS1-} == 1 ]]; then
		_venvd_ps1_on "$2"
	fi
}

# Take over an activation inherited from a parent shell (or refresh ours).
_venvd_adopt() {
	if [[ ${VIRTUAL_ENV_PROMPT-} != "$1" ]]; then
		export VIRTUAL_ENV_PROMPT="$1"
	fi
	if ((!_venvd_fn_ours && !$+functions[deactivate])); then
		_venvd_deactivate_define
	fi
	if [[ ${VENVD_PS1-} == 1 ]]; then
		_venvd_ps1_on "$1"
	fi
}

# Undo our activation exactly: our PATH entry only, PYTHONHOME, the variables.
_venvd_off() {
	local p=":${PATH-}:" e=":${VENVD_ACTIVE-}/bin:"
	if [[ -n ${VENVD_ACTIVE-} && -n ${PATH+x} ]]; then	# a PATH the user unset stays unset
		p=${p/${~${(b)e}}/:}	# the first ":entry:", matched literally
		p=${p#:}
		export PATH="${p%:}"
	fi
	if [[ -n ${VENVD_PYTHONHOME+x} ]]; then
		export PYTHONHOME="$VENVD_PYTHONHOME"
		unset VENVD_PYTHONHOME
	fi
	unset VENVD_ACTIVE VIRTUAL_ENV VIRTUAL_ENV_PROMPT
	if [[ -n $_venvd_ps1_added ]]; then
		_venvd_ps1_off
	fi
	if ((_venvd_fn_ours)); then
		_venvd_deactivate_undefine
	fi
}

# Define the user's `deactivate` while venvd has a venv active.
_venvd_deactivate_define() {
	deactivate() {
		_venvd_user_deactivate "$@"
	}
	_venvd_fn_ours=1
}

# Remove `deactivate` if it is still ours.
_venvd_deactivate_undefine() {
	if ((_venvd_fn_ours)); then
		if [[ ${functions[deactivate]-} == *_venvd_user_deactivate* ]]; then
			unfunction deactivate
		fi
		_venvd_fn_ours=0
	fi
}

# The user ran `deactivate` (or an activate script ran `deactivate nondestructive`).
_venvd_user_deactivate() {
	emulate -L zsh
	if [[ -z ${VENVD_ACTIVE-} ]]; then
		_venvd_deactivate_undefine
		return 0
	fi
	if [[ ${1-} != nondestructive ]]; then
		_venvd_suppress=$VENVD_ACTIVE	# stay off until we leave it
	fi
	_venvd_off
	rehash
}

# With VENVD_PS1=1, put "(<prompt>) " in front of PS1 as literal text.
# venvd made the prompt inert (no $ ` \ % !), so it stays text whatever
# prompt_subst, prompt_percent or prompt_bang are set to, now or later.
_venvd_ps1_on() {
	[[ ${VENVD_PS1-} == 1 ]] || return 0
	local add="($1) "
	if [[ -n $_venvd_ps1_added && ${PS1-} == "$_venvd_ps1_added"* ]]; then
		[[ $add == "$_venvd_ps1_added" ]] && return 0
		PS1=${PS1#"$_venvd_ps1_added"}	# the prompt changed: replace ours
	fi
	_venvd_ps1_added=$add
	PS1=$add${PS1-}
}

# Take back exactly what _venvd_ps1_on added to PS1.
_venvd_ps1_off() {
	if [[ -n $_venvd_ps1_added && -n ${PS1+x} ]]; then
		PS1=${PS1#"$_venvd_ps1_added"}
	fi
	_venvd_ps1_added=
}

# Install first in precmd_functions and chpwd_functions, once, for interactive shells only.
if [[ -o interactive ]]; then
	export VENVD_SHELL="zsh:$$"	# tells `venvd doctor` the hook is installed in this shell
	typeset -ga precmd_functions chpwd_functions
	if ((!${precmd_functions[(Ie)_venvd_hook]})); then
		precmd_functions=(_venvd_hook $precmd_functions)
	fi
	if ((!${chpwd_functions[(Ie)_venvd_hook]})); then
		chpwd_functions=(_venvd_hook $chpwd_functions)
	fi
fi

# --- The zsh module (zsh/venvd.so): _venvd_hook's work in C, no process
# while the daemon answers. `venvd hook zsh` names it when one is built
# (VENVD_ZSH_MODULE: another path, or 0 for none); it is loaded only into
# the zsh version it was built for. Then the module runs the hook in C
# before each prompt and after each cd (no precmd or chpwd function; it
# runs _venvd_update when the daemon gives no answer), and the function
# above, kept as _venvd_hook_fn, runs only once `zmodload -u venvd` took
# the module away (which puts _venvd_hook back in precmd_functions and
# chpwd_functions). VENVD_SHELL says which path runs, and why not the
# module.
typeset -g _venvd_module=@ZSHMODULE@	# venvd.so; '' when none
typeset -g _venvd_module_for=@ZSHMODULEFOR@	# the zsh version it was built for
if [[ -o interactive ]]; then
	() {
		emulate -L zsh
		local how=process:@ZSHMODULEWHY@
		if [[ -z $_venvd_module ]]; then
			:
		elif [[ $ZSH_VERSION != "$_venvd_module_for" ]]; then
			how=process:version-mismatch
		else
			how=process:load-failed
			if ((${+builtins[venvd_hook]})) || () {
				local -a module_path=("${_venvd_module:h}")
				zmodload -- "${_venvd_module:t:r}"
			} 2>/dev/null; then
				how=module
			fi
		fi
		export VENVD_SHELL="zsh:$$:$how"
		[[ $how == module ]] || return 0
		# The module runs the hook itself before each prompt and after
		# each cd: no shell function call (it puts them back if it is
		# unloaded).
		precmd_functions=(${precmd_functions:#_venvd_hook})
		chpwd_functions=(${chpwd_functions:#_venvd_hook})
		functions -c _venvd_hook _venvd_hook_fn
		_venvd_hook() {
			local _venvd_rc=$?
			if ((${+builtins[venvd_hook]})); then
				venvd_hook
			else
				export VENVD_SHELL="zsh:$$:process:unloaded"
				() { return $1; } $_venvd_rc
				_venvd_hook_fn
			fi
			return $_venvd_rc
		}
	}
fi
