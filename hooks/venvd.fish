# venvd.fish: activate the Python venv that applies to $PWD, at every prompt and cd.
#
# Install with this line in ~/.config/fish/config.fish:   venvd hook fish | source
#
# Thin glue: the rules live in venvd (common/transition.c). An idle prompt
# costs one stat of the marker of the last generation seen and four string
# compares. Otherwise the code `venvd export --hook` printed for the same
# $PWD and the same inputs (the exported variables, this shell's
# bookkeeping, whether `deactivate` exists) is replayed from a cache
# (parallel lists: fish has no maps) emptied when the generation or a
# variable the locators read changes; else venvd is run once and its code
# evaluated and kept.

set -g _venvd_bin @VENVD@
set -g _venvd_genfile @GENFILE@
set -g _venvd_pip_guard_on @PIPGUARD@ # the config's pip_guard: 1 or 0
set -g _venvd_env_names @LOCATORENV@ # the variables the locators read
set -g _venvd_vars PYTHONHOME VENVD_PYTHONHOME PATH VIRTUAL_ENV VIRTUAL_ENV_PROMPT VENVD_ACTIVE PIP_REQUIRE_VIRTUALENV VENVD_PIP_GUARD
if not set -q _venvd_loaded # sourced twice: keep the state
    set -g _venvd_loaded 1
    for _venvd_v in _venvd_last_pwd _venvd_last_gen _venvd_last_ve _venvd_last_env _venvd_cache_gen _venvd_ck _venvd_cv _venvd_noticed _venvd_suppress _venvd_ps1_added
        set -g $_venvd_v
    end
    set -e _venvd_v
    set -g _venvd_fn_ours 0
end

# The hook: return at once when nothing changed ($status is fish's to keep).
function _venvd_hook
    set -l gen
    # One stat while the daemon's marker for the last generation exists.
    if test -n "$_venvd_last_gen" -a -e "$_venvd_genfile.$_venvd_last_gen"
        set gen "$_venvd_last_gen"
    else if test -r "$_venvd_genfile"
        read gen <$_venvd_genfile
    end
    set -l env @LOCATORENVKEY@ # the locators' variables (_venvd_env_names) in one expansion
    if test "x$PWD" = "x$_venvd_last_pwd" -a "x$gen" = "x$_venvd_last_gen" -a "x$VIRTUAL_ENV" = "x$_venvd_last_ve" -a "x$env" = "x$_venvd_last_env"
        return 0
    end
    if test "x$env" != "x$_venvd_last_env" -o "x$gen" != "x$_venvd_cache_gen"
        _venvd_cache_reset "$gen"
    end
    _venvd_update
    set -g _venvd_last_pwd "$PWD"
    set -g _venvd_last_gen "$gen"
    set -g _venvd_last_ve "$VIRTUAL_ENV"
    set -g _venvd_last_env "$env"
end

# Forget every cached transition; the cache now belongs to generation $argv[1].
function _venvd_cache_reset
    set -g _venvd_ck
    set -g _venvd_cv
    set -g _venvd_cache_gen "$argv[1]"
end

# The transition's inputs as venvd's options, in _venvd_a: the variables
# (set or not; PATH joined with ':'), the bookkeeping, whether `deactivate` exists.
function _venvd_inputs
    set -g _venvd_a --state --pip-guard "$_venvd_pip_guard_on" --suppress "$_venvd_suppress" --ps1-added "$_venvd_ps1_added"
    test "$_venvd_fn_ours" = 1; and set -a _venvd_a --fn-ours
    functions -q deactivate; and set -a _venvd_a --fn-exists
    test "x$VENVD_PS1" = x1; and set -a _venvd_a --ps1-on
    for v in $_venvd_vars
        set -q $v; and set -a _venvd_a --var "$v=$$v" # PATH: quoted, joined with ':'
    end
end

# Bring the shell to the right state for $PWD: replay the cached code, else
# run venvd once, evaluate its code and keep it when it says it may.
function _venvd_update
    _venvd_inputs
    set -l k (string escape -- $PWD $_venvd_a | string join ' ')
    set -l i (contains -i -- "$k" $_venvd_ck)
    if test -n "$i"
        eval "$_venvd_cv[$i]"
        return 0
    end
    set -l out ($_venvd_bin export --hook fish $_venvd_a -- "$PWD" 2>/dev/null | string collect)
    string match -q -- 'set -g _venvd_answer_gen *' "$out"; or return 0
    eval "$out"
    if test -z "$_venvd_answer_gen" # the daemon did not answer: its generation may be stale
        test -z "$_venvd_cache_gen"; or _venvd_cache_reset ''
        return 0
    end
    test "x$_venvd_answer_gen" != 'x*'; or set _venvd_answer_gen "$_venvd_cache_gen" # depends on the state only
    if test "x$_venvd_answer_gen" != "x$_venvd_cache_gen" -o (count $_venvd_ck) -ge 256
        _venvd_cache_reset "$_venvd_answer_gen"
    end
    set -a _venvd_ck "$k"
    set -a _venvd_cv "$out"
end

# Shown once per shell per text (it names the venv and the reason).
function _venvd_notice
    contains -- "$argv[1]" $_venvd_noticed; and return 0
    set -a _venvd_noticed "$argv[1]"
    printf '%s\n' "$argv[1]" >&2
end

# The user's `deactivate` while venvd has a venv active, and its removal (ours only).
function _venvd_deactivate_define
    function deactivate --description 'undo the venv venvd activated'
        _venvd_user_deactivate $argv
    end
    set -g _venvd_fn_ours 1
end
function _venvd_deactivate_undefine
    if string match -q '*_venvd_user_deactivate*' -- (functions deactivate 2>/dev/null | string collect)
        functions -e deactivate
    end
    set -g _venvd_fn_ours 0
end

# The user ran `deactivate` (or activate.fish ran `deactivate nondestructive`).
function _venvd_user_deactivate
    set -l nd
    test "x$argv[1]" = xnondestructive; and set nd --nondestructive
    _venvd_inputs
    set -l out ($_venvd_bin export --hook fish $_venvd_a --deactivate $nd 2>/dev/null | string collect)
    string match -q -- 'set -g _venvd_answer_gen *' "$out"; and eval "$out"
end

# With VENVD_PS1=1 fish_prompt is wrapped to print venvd's "(<prompt>) "
# first, as data (venvd made it inert text); _venvd_ps1_off unwraps it.
function _venvd_ps1_on
    if test -z "$_venvd_ps1_added"
        functions -e _venvd_orig_fish_prompt
        functions -q fish_prompt; and functions -c fish_prompt _venvd_orig_fish_prompt
        function fish_prompt
            printf '%s' "$_venvd_ps1_added"
            functions -q _venvd_orig_fish_prompt; and _venvd_orig_fish_prompt
        end
    end
    set -g _venvd_ps1_added "$argv[1]"
end
function _venvd_ps1_off
    if test -n "$_venvd_ps1_added"
        functions -e fish_prompt
        functions -q _venvd_orig_fish_prompt; and functions -c _venvd_orig_fish_prompt fish_prompt
        functions -e _venvd_orig_fish_prompt
    end
    set -g _venvd_ps1_added
end

# Install on the prompt event and on cd, for interactive shells only (redefining replaces, never doubles).
if status is-interactive
    set -gx VENVD_SHELL fish:$fish_pid:process # `venvd doctor` reads which path runs here
    function _venvd_on_prompt --on-event fish_prompt
        _venvd_hook
    end
    function _venvd_on_pwd --on-variable PWD
        _venvd_hook
    end
end
