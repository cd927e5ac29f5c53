# burrow for fish: `workon NAME` activates a named env (tab completes names); `workon`
# alone lists them. Load with:   burrow shell-init fish | source   in config.fish

function __burrow_cli
    __BURROW_CLI__ $argv
end

function __burrow_home
    set -l home __BURROW_DEFAULT_HOME__
    if test -n "$WORKON_HOME"
        set home $WORKON_HOME
    end
    if test -n "$BURROW_HOME"
        set home $BURROW_HOME
    end
    string replace -r '^~/' "$HOME/" -- $home
end

function __burrow_env_names --description 'Names of the envs in the burrow home'
    set -l home (__burrow_home)
    for cfg in $home/*/pyvenv.cfg
        string replace -r '^.*/([^/]+)/pyvenv\.cfg$' '$1' -- $cfg
    end
end

function workon --description 'Activate a named virtual environment'
    if test (count $argv) -eq 0
        __burrow_cli list
        return
    end
    set -l activate (__burrow_cli activate --shell fish --name $argv[1])
    or return
    string join \n -- $activate | source
end

complete -c workon -f -a '(__burrow_env_names)'
