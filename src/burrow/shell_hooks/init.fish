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

# Completion of burrow's own command line: burrow answers from its parser (commands,
# options, env names, cached interpreters); "files" means let fish complete paths.
function __burrow_complete
    set -l words (commandline -opc) (commandline -ct)
    set -l out (__burrow_cli __complete (math (count $words) - 1) $words 2>/dev/null)
    if test "$out[1]" = files
        __fish_complete_path (commandline -ct)
        return
    end
    set -e out[1]
    printf '%s\n' $out
end

complete -c burrow -f -a '(__burrow_complete)'
