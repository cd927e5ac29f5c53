# Activate this virtual environment in fish:   source bin/activate.fish
# Values are single-quoted literals and fish never re-evaluates a variable's value.

set -l _burrow_env __BURROW_VIRTUAL_ENV__
# Find the environment from where this file is now. Unless relocatable, the place it was
# written for is kept while it is the same directory (reached another way, say through a
# symlink); after a move it is not, and the environment is where this file is.
set -l _burrow_here (status filename | string collect)
if test -n "$_burrow_here"
    if not string match -q -- '/*' $_burrow_here
        set _burrow_here $PWD/$_burrow_here
    end
    set _burrow_here (path normalize -- $_burrow_here/../.. | string collect)
    set -l _burrow_real_here (path resolve -- $_burrow_here | string collect)
    set -l _burrow_real_written (path resolve -- $_burrow_env | string collect)
    if test -n __BURROW_RELOCATABLE__; or test "$_burrow_real_here" != "$_burrow_real_written"
        set _burrow_env $_burrow_here
    end
end
# Refuse, changing nothing, when PATH cannot name the environment.
if string match -q -- '*:*' $_burrow_env
    printf '%s\n' __BURROW_PATHSEP_MESSAGE__ >&2
    return 1
end

function deactivate --description 'Leave the virtual environment'
    if set -q _burrow_old_path
        set -gx PATH $_burrow_old_path
        set -e _burrow_old_path
    end
    if set -q _burrow_old_pythonhome
        set -gx PYTHONHOME $_burrow_old_pythonhome
        set -e _burrow_old_pythonhome
    end
    if set -q _burrow_prompt_prefix
        set -e _burrow_prompt_prefix
        functions -e fish_prompt
        if functions -q _burrow_old_fish_prompt
            functions -c _burrow_old_fish_prompt fish_prompt
            functions -e _burrow_old_fish_prompt
        end
    end
    set -e VIRTUAL_ENV
    set -e VIRTUAL_ENV_PROMPT
    if test "$argv[1]" != nondestructive
        functions -e deactivate
    end
end

# Leave any environment that is active now, so it is this one that deactivate restores.
if set -q _burrow_old_path
    deactivate nondestructive
end

set -gx VIRTUAL_ENV $_burrow_env
set -gx VIRTUAL_ENV_PROMPT __BURROW_PROMPT__

set -g _burrow_old_path $PATH
set -gx PATH $VIRTUAL_ENV/__BURROW_BIN_NAME__ $PATH

if set -q PYTHONHOME
    set -g _burrow_old_pythonhome $PYTHONHOME
    set -e PYTHONHOME
end

if test -z "$VIRTUAL_ENV_DISABLE_PROMPT"
    set -g _burrow_prompt_prefix '(' $VIRTUAL_ENV_PROMPT ') '
    if functions -q fish_prompt
        functions -c fish_prompt _burrow_old_fish_prompt
        functions -e fish_prompt
    end
    function fish_prompt --description 'Prompt with the virtual environment in front'
        # Keep the old prompt's idea of the last command's status.
        set -l old_status $status
        printf '%s' $_burrow_prompt_prefix
        if functions -q _burrow_old_fish_prompt
            echo "exit $old_status" | source
            _burrow_old_fish_prompt
        end
    end
end
