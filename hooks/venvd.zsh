# venvd.zsh: activate the Python venv that applies to $PWD, at every prompt and cd.
#
# Install with this line in ~/.zshrc:   eval "$(venvd hook zsh)"
#
# Thin glue: the rules live in venvd (common/transition.c). An idle prompt
# costs one stat of the marker of the last generation seen and four string
# compares. Otherwise the code `venvd export --hook` printed for the same
# $PWD and the same inputs (the exported variables, this shell's
# bookkeeping, PS1, whether `deactivate` exists) is replayed from a cache
# emptied when the generation or a variable the locators read changes;
# else venvd is run once and its code evaluated and kept.

typeset -g _venvd_bin=@VENVD@ _venvd_genfile=@GENFILE@
typeset -g _venvd_pip_guard_on=@PIPGUARD@	# the config's pip_guard: 1 or 0
typeset -ga _venvd_env_names=(@LOCATORENV@)	# the variables the locators read
typeset -ga _venvd_vars=(PYTHONHOME VENVD_PYTHONHOME PATH VIRTUAL_ENV VIRTUAL_ENV_PROMPT VENVD_ACTIVE PIP_REQUIRE_VIRTUALENV VENVD_PIP_GUARD)
if [[ -z ${_venvd_loaded-} ]]; then	# sourced twice: keep the state
	typeset -g _venvd_loaded=1 _venvd_last_pwd= _venvd_last_gen= _venvd_last_ve= _venvd_last_env=
	typeset -g _venvd_cache_gen= _venvd_suppress= _venvd_ps1_added= _venvd_fn_ours=0
	typeset -gA _venvd_cache=() _venvd_noticed=()
fi

# The prompt/chpwd hook: return at once when nothing changed; keeps $?.
_venvd_hook() {
	local _venvd_rc=$?
	emulate -L zsh	# _venvd_hook and _venvd_user_deactivate are the entry points
	local gen= env
	# One stat while the daemon's marker for the last generation exists.
	if [[ -n $_venvd_last_gen && -e $_venvd_genfile.$_venvd_last_gen ]]; then
		gen=$_venvd_last_gen
	elif [[ -r $_venvd_genfile ]]; then
		read -r gen <$_venvd_genfile || :
	fi
	env=@LOCATORENVKEY@	# the locators' variables (_venvd_env_names) in one expansion
	if [[ $PWD == "$_venvd_last_pwd" && $gen == "$_venvd_last_gen" &&
	    ${VIRTUAL_ENV-} == "$_venvd_last_ve" && $env == "$_venvd_last_env" ]]; then
		return $_venvd_rc
	fi
	[[ $env == "$_venvd_last_env" && $gen == "$_venvd_cache_gen" ]] || _venvd_cache_reset "$gen"
	_venvd_update
	_venvd_last_pwd=$PWD _venvd_last_gen=$gen _venvd_last_ve=${VIRTUAL_ENV-} _venvd_last_env=$env
	return $_venvd_rc
}

# Forget every cached transition; the cache now belongs to generation $1.
_venvd_cache_reset() { _venvd_cache=(); _venvd_cache_gen=$1; }

# The transition's inputs as venvd's options (_venvd_a) and the cache key
# (_venvd_k: $PWD and the options, each as LENGTH:VALUE); $1: --deactivate.
_venvd_inputs() {
	local v x
	_venvd_a=(--state --pip-guard "$_venvd_pip_guard_on" --suppress "$_venvd_suppress" --ps1-added "$_venvd_ps1_added")
	((_venvd_fn_ours)) && _venvd_a+=(--fn-ours)
	(($+functions[deactivate])) && _venvd_a+=(--fn-exists)
	[[ ${VENVD_PS1-} == 1 ]] && _venvd_a+=(--ps1-on)
	[[ ${VENVD_PS1-} == 1 || -n $_venvd_ps1_added ]] && _venvd_a+=(--ps1 "${PS1-}")
	for v in $_venvd_vars; do
		((${(P)+v})) && _venvd_a+=(--var "$v=${(P)v}")
	done
	_venvd_k=${#PWD}:$PWD
	for x in $_venvd_a; do _venvd_k+="|${#x}:$x"; done
}

# Bring the shell to the right state for $PWD: replay the cached code, else
# run venvd once, evaluate its code and keep it when it says it may. $1
# (from the module, which calls this when the daemon gave no answer): the
# generation the cache must belong to.
_venvd_update() {
	emulate -L zsh
	(($# == 0)) || [[ $1 == "$_venvd_cache_gen" ]] || _venvd_cache_reset "$1"
	local out _venvd_k _venvd_answer_gen=
	local -a _venvd_a
	_venvd_inputs
	out=${_venvd_cache[$_venvd_k]-}
	if [[ -n $out ]]; then
		eval "$out"
		return 0
	fi
	out=$("$_venvd_bin" export --hook zsh "${_venvd_a[@]}" -- "$PWD" 2>/dev/null) || :
	[[ $out == "_venvd_answer_gen="* ]] || return 0
	eval "$out"
	if [[ -z $_venvd_answer_gen ]]; then	# the daemon did not answer: its generation may be stale
		[[ -z $_venvd_cache_gen ]] || _venvd_cache_reset ''
		return 0
	fi
	[[ $_venvd_answer_gen != '*' ]] || _venvd_answer_gen=$_venvd_cache_gen	# depends on the state only
	if [[ $_venvd_answer_gen != "$_venvd_cache_gen" ]] || ((${#_venvd_cache} >= 256)); then
		_venvd_cache_reset "$_venvd_answer_gen"
	fi
	_venvd_cache[$_venvd_k]=$out
}

# Shown once per shell per text (it names the venv and the reason).
_venvd_notice() {
	[[ -z ${_venvd_noticed[$1]-} ]] || return 0
	_venvd_noticed[$1]=1
	print -r -- "$1" >&2
}

# The user's `deactivate` while venvd has a venv active, and its removal (ours only).
_venvd_deactivate_define() {
	deactivate() { _venvd_user_deactivate "$@"; }
	_venvd_fn_ours=1
}
_venvd_deactivate_undefine() {
	[[ ${functions[deactivate]-} != *_venvd_user_deactivate* ]] || unfunction deactivate
	_venvd_fn_ours=0
}

# The user ran `deactivate` (or an activate script ran `deactivate nondestructive`).
_venvd_user_deactivate() {
	emulate -L zsh
	local out _venvd_k _venvd_answer_gen
	local -a _venvd_a nd
	[[ ${1-} != nondestructive ]] || nd=(--nondestructive)
	_venvd_inputs
	out=$("$_venvd_bin" export --hook zsh "${_venvd_a[@]}" --deactivate "${nd[@]}" 2>/dev/null) || :
	[[ $out != "_venvd_answer_gen="* ]] || eval "$out"
}

# Install first in precmd_functions and chpwd_functions, once, for interactive shells only.
if [[ -o interactive ]]; then
	export VENVD_SHELL="zsh:$$:process:not-built"	# `venvd doctor` reads which path runs here
	typeset -ga precmd_functions chpwd_functions
	((${precmd_functions[(Ie)_venvd_hook]})) || precmd_functions=(_venvd_hook $precmd_functions)
	((${chpwd_functions[(Ie)_venvd_hook]})) || chpwd_functions=(_venvd_hook $chpwd_functions)
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
