# burrow for bash: `workon NAME` activates a named env (tab completes names); `workon`
# alone lists them. Load with:   eval "$(burrow shell-init bash)"   in ~/.bashrc

_burrow_cli() {
    __BURROW_CLI__ "$@"
}

_burrow_home() {
    _burrow_h=${BURROW_HOME:-${WORKON_HOME:-__BURROW_DEFAULT_HOME__}}
    case $_burrow_h in "~"/*) _burrow_h=$HOME${_burrow_h#"~"} ;; esac
}

workon() {
    if [ "$#" -eq 0 ]; then
        _burrow_cli list
        return
    fi
    local _burrow_activate
    _burrow_activate=$(_burrow_cli activate --shell bash --name "$1") || return
    eval "$_burrow_activate"
}

_burrow_workon_complete() {
    local _burrow_cfg _burrow_name _burrow_h
    _burrow_home
    COMPREPLY=()
    for _burrow_cfg in "$_burrow_h"/*/pyvenv.cfg; do
        [ -f "$_burrow_cfg" ] || continue
        _burrow_name=${_burrow_cfg%/pyvenv.cfg}
        _burrow_name=${_burrow_name##*/}
        case $_burrow_name in
            "${COMP_WORDS[COMP_CWORD]}"*) COMPREPLY+=("$_burrow_name") ;;
        esac
    done
}
complete -F _burrow_workon_complete workon
