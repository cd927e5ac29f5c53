
# Opt-in (shell-init --auto): entering a folder with a .venv (here or above) activates it,
# leaving that project deactivates it. An env the user activated is left alone.
function __burrow_auto --on-variable PWD --description 'Activate the .venv of this project'
    set -l dir $PWD
    set -l found
    while true
        set -l base (string replace -r '/$' '' -- $dir)
        if test -f "$base/.venv/pyvenv.cfg"; and test -f "$base/.venv/bin/activate.fish"
            set found "$base/.venv"
            break
        end
        if test -z "$base"
            break
        end
        set dir (string replace -r '/[^/]*$' '' -- $base)
    end
    if test "$found" = "$__burrow_auto_env"
        return
    end
    if test -n "$__burrow_auto_env"
        if test "$VIRTUAL_ENV" = "$__burrow_auto_venv"; and functions -q deactivate
            deactivate
        end
        set -g __burrow_auto_env
        set -g __burrow_auto_venv
    end
    if test -n "$found"; and test -z "$VIRTUAL_ENV"
        if source "$found/bin/activate.fish"
            set -g __burrow_auto_env $found
            set -g __burrow_auto_venv $VIRTUAL_ENV
        end
    end
end
__burrow_auto
