# venvd.fish: activate the Python venv that applies to $PWD, at every prompt and cd.
#
# Install with this line in ~/.config/fish/config.fish:   venvd hook fish | source
#
# Each prompt costs one stat of the daemon's marker for the last generation
# seen (a builtin `read` of the generation file only once it is gone) and
# four string compares; venvd is only run when $PWD, the generation,
# $VIRTUAL_ENV or a variable the locators read (WORKON_HOME, PYENV_ROOT...,
# which venvd sends to the daemon) changed and the answer is not already in this shell's
# cache (parallel lists, fish has no maps). Without a daemon there is no
# generation, so a venv created or removed in the current directory is
# noticed at the next cd instead.
#
# State shared with child shells and `venvd export` (all exported):
# VENVD_ACTIVE (the venv venvd activated), VIRTUAL_ENV (the same),
# VIRTUAL_ENV_PROMPT, VENVD_PYTHONHOME (PYTHONHOME saved at activation,
# only if it was set); PATH starts with "$VENVD_ACTIVE/bin". VIRTUAL_ENV
# set to anything else is a manual activation, left alone until it goes.

set -g _venvd_bin @VENVD@
set -g _venvd_genfile @GENFILE@
set -g _venvd_pip_guard_on @PIPGUARD@ # the config's pip_guard: 1 or 0
set -g _venvd_env_names @LOCATORENV@ # the variables the locators read
if not set -q _venvd_loaded # sourced twice: keep the state
    set -g _venvd_loaded 1
    set -g _venvd_last_pwd
    set -g _venvd_last_gen
    set -g _venvd_last_ve
    set -g _venvd_last_env
    set -g _venvd_cache_gen
    set -g _venvd_ck
    set -g _venvd_cv
    set -g _venvd_cp
    set -g _venvd_cn
    set -g _venvd_noticed
    set -g _venvd_suppress
    set -g _venvd_fn_ours 0
    set -g _venvd_ps1_added 0
    set -g _venvd_ps1_prompt
end

# The hook: return at once when nothing changed.
function _venvd_hook
    set -l gen
    set -l env
    # One stat while the daemon's marker for the last generation exists.
    if test -n "$_venvd_last_gen" -a -e "$_venvd_genfile.$_venvd_last_gen"
        set gen "$_venvd_last_gen"
    else if test -r "$_venvd_genfile"
        read -l g <$_venvd_genfile
        set gen "$g"
    end
    # The locators' variables (_venvd_env_names), as the daemon will be
    # told them, in one expansion: answers cached for other values no
    # longer hold.
    set env @LOCATORENVKEY@
    if test "x$PWD" = "x$_venvd_last_pwd" -a "x$gen" = "x$_venvd_last_gen" -a "x$VIRTUAL_ENV" = "x$_venvd_last_ve" -a "x$env" = "x$_venvd_last_env"
        return 0
    end
    if test "x$env" != "x$_venvd_last_env"
        _venvd_cache_reset "$gen"
    end
    _venvd_update "$gen"
    _venvd_pip_guard
    set -g _venvd_last_pwd "$PWD"
    set -g _venvd_last_gen "$gen"
    set -g _venvd_last_ve "$VIRTUAL_ENV"
    set -g _venvd_last_env "$env"
end

# pip guard: PIP_REQUIRE_VIRTUALENV=true while no venv is active, lifted while
# any is (manual too). VENVD_PIP_GUARD=1 marks the value as ours (exported, so
# child shells agree); a value the user set is never touched.
function _venvd_pip_guard
    if test -n "$VIRTUAL_ENV" -o "$_venvd_pip_guard_on" != 1
        if test "x$VENVD_PIP_GUARD" = x1
            if test "x$PIP_REQUIRE_VIRTUALENV" = xtrue
                set -e PIP_REQUIRE_VIRTUALENV
            end
            set -e VENVD_PIP_GUARD
        end
    else if not set -q PIP_REQUIRE_VIRTUALENV
        set -gx PIP_REQUIRE_VIRTUALENV true
        set -gx VENVD_PIP_GUARD 1
    end
end

# Forget every cached answer; the cache now belongs to generation $argv[1].
function _venvd_cache_reset
    set -g _venvd_ck
    set -g _venvd_cv
    set -g _venvd_cp
    set -g _venvd_cn
    set -g _venvd_cache_gen "$argv[1]"
end

# Bring the shell to the right state for $PWD: from the cache, else from venvd.
function _venvd_update
    set -l gen "$argv[1]"
    set -l dir "$PWD"
    if test -n "$VIRTUAL_ENV" -a "x$VIRTUAL_ENV" != "x$VENVD_ACTIVE"
        # Manual activation: hands off until it goes. Its activate script
        # replaced our deactivate; our leftovers are cleaned up after it.
        if test -n "$VENVD_ACTIVE"
            set -g _venvd_fn_ours 0
        end
        return 0
    end
    if test "x$gen" != "x$_venvd_cache_gen"
        _venvd_cache_reset "$gen"
    end
    set -l i (contains -i -- "$dir" $_venvd_ck)
    if test -n "$i"
        _venvd_apply "$_venvd_cv[$i]" "$_venvd_cp[$i]" "$_venvd_cn[$i]"
        return 0
    end
    set -l out ($_venvd_bin export --hook fish "$dir" 2>/dev/null | string collect)
    if string match -q -- '_venvd_answer *' "$out"
        eval "$out"
    end
end

# Called by `venvd export --hook fish`: cache the answer for DIR, then apply it.
function _venvd_answer
    set -l dir "$argv[1]"
    set -l gen "$argv[2]"
    set -l venv "$argv[3]"
    set -l prompt "$argv[4]"
    set -l notice "$argv[5]"
    if test -n "$gen" -a -n "$dir"
        if test "x$gen" != "x$_venvd_cache_gen" -o (count $_venvd_ck) -ge 256
            _venvd_cache_reset "$gen"
        end
        set -g _venvd_ck $_venvd_ck "$dir"
        set -g _venvd_cv $_venvd_cv "$venv"
        set -g _venvd_cp $_venvd_cp "$prompt"
        set -g _venvd_cn $_venvd_cn "$notice"
    end
    if test -z "$gen" -a -n "$_venvd_cache_gen"
        _venvd_cache_reset '' # the daemon did not answer: its generation may be stale
    end
    _venvd_apply "$venv" "$prompt" "$notice"
end

# Move from the current activation to VENV ('' = none) with PROMPT; print NOTICE once.
function _venvd_apply
    set -l venv "$argv[1]"
    set -l prompt "$argv[2]"
    set -l notice "$argv[3]"
    if test -n "$VIRTUAL_ENV" -a "x$VIRTUAL_ENV" != "x$VENVD_ACTIVE"
        return 0
    end
    if test -n "$VENVD_ACTIVE" -a -z "$VIRTUAL_ENV"
        _venvd_off # someone else's deactivate ran: clean up after it
    end
    if test -n "$_venvd_suppress"
        if test "x$venv" = "x$_venvd_suppress"
            set venv ''
        else
            set -g _venvd_suppress
        end
    end
    # Once per shell per notice text (it names the venv and the reason).
    if test -n "$notice"; and not contains -- "$notice" $_venvd_noticed
        set -g _venvd_noticed $_venvd_noticed "$notice"
        printf '%s\n' "$notice" >&2
    end
    if test "x$venv" = "x$VENVD_ACTIVE"
        if test -n "$venv"
            _venvd_adopt "$prompt"
        end
        return 0
    end
    if test -n "$VENVD_ACTIVE"
        _venvd_off
    end
    if test -n "$venv"
        _venvd_on "$venv" "$prompt"
    end
end

# Activate VENV as bin/activate.fish does.
function _venvd_on
    set -gx VENVD_ACTIVE "$argv[1]"
    set -gx VIRTUAL_ENV "$argv[1]"
    set -gx VIRTUAL_ENV_PROMPT "$argv[2]"
    set -gx PATH "$argv[1]/bin" $PATH
    if set -q PYTHONHOME
        set -gx VENVD_PYTHONHOME $PYTHONHOME
        set -e PYTHONHOME
    else
        set -e VENVD_PYTHONHOME
    end
    _venvd_deactivate_define
    _venvd_ps1_on "$argv[2]"
end

# Take over an activation inherited from a parent shell (or refresh ours).
function _venvd_adopt
    if test "x$VIRTUAL_ENV_PROMPT" != "x$argv[1]"
        set -gx VIRTUAL_ENV_PROMPT "$argv[1]"
    end
    if test "$_venvd_fn_ours" = 0; and not functions -q deactivate
        _venvd_deactivate_define
    end
    _venvd_ps1_on "$argv[1]"
end

# Undo our activation exactly: our PATH entry only, PYTHONHOME, the variables.
function _venvd_off
    if test -n "$VENVD_ACTIVE"
        set -l i (contains -i -- "$VENVD_ACTIVE/bin" $PATH)
        and set -e PATH[$i]
    end
    if set -q VENVD_PYTHONHOME
        set -gx PYTHONHOME $VENVD_PYTHONHOME
        set -e VENVD_PYTHONHOME
    end
    set -e VENVD_ACTIVE
    set -e VIRTUAL_ENV
    set -e VIRTUAL_ENV_PROMPT
    _venvd_ps1_off
    _venvd_deactivate_undefine
end

# Define the user's `deactivate` while venvd has a venv active.
function _venvd_deactivate_define
    function deactivate --description 'undo the venv venvd activated'
        _venvd_user_deactivate $argv
    end
    set -g _venvd_fn_ours 1
end

# Remove `deactivate` if it is still ours.
function _venvd_deactivate_undefine
    if test "$_venvd_fn_ours" = 1
        if string match -q '*_venvd_user_deactivate*' -- (functions deactivate 2>/dev/null | string collect)
            functions -e deactivate
        end
        set -g _venvd_fn_ours 0
    end
end

# The user ran `deactivate` (or activate.fish ran `deactivate nondestructive`).
function _venvd_user_deactivate
    if test -z "$VENVD_ACTIVE"
        _venvd_deactivate_undefine
        return 0
    end
    if test "x$argv[1]" != xnondestructive
        set -g _venvd_suppress "$VENVD_ACTIVE" # stay off until we leave it
    end
    _venvd_off
end

# With VENVD_PS1=1, wrap fish_prompt to print "(<prompt>) " first (as data,
# never as a format; venvd made the prompt inert text for every shell).
function _venvd_ps1_on
    test "x$VENVD_PS1" = x1; or return 0
    set -g _venvd_ps1_prompt "$argv[1]"
    if test "$_venvd_ps1_added" = 0
        functions -e _venvd_orig_fish_prompt
        if functions -q fish_prompt
            functions -c fish_prompt _venvd_orig_fish_prompt
        end
        function fish_prompt
            printf '(%s) ' "$_venvd_ps1_prompt"
            if functions -q _venvd_orig_fish_prompt
                _venvd_orig_fish_prompt
            end
        end
        set -g _venvd_ps1_added 1
    end
end

# Put fish_prompt back as it was.
function _venvd_ps1_off
    if test "$_venvd_ps1_added" = 1
        functions -e fish_prompt
        if functions -q _venvd_orig_fish_prompt
            functions -c _venvd_orig_fish_prompt fish_prompt
            functions -e _venvd_orig_fish_prompt
        end
        set -g _venvd_ps1_added 0
    end
end

# Install on the prompt event and on cd, for interactive shells only (redefining replaces, never doubles).
if status is-interactive
    set -gx VENVD_SHELL fish:$fish_pid # tells `venvd doctor` the hook is installed in this shell
    function _venvd_on_prompt --on-event fish_prompt
        _venvd_hook
    end
    function _venvd_on_pwd --on-variable PWD
        _venvd_hook
    end
end
