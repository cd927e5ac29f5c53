# burrow for zsh: `workon NAME` activates a named env (tab completes names); `workon`
# alone lists them. Load with:   eval "$(burrow shell-init zsh)"   in ~/.zshrc

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
    _burrow_activate=$(_burrow_cli activate --shell zsh --name "$1") || return
    eval "$_burrow_activate"
}

_burrow_workon_names() {
    local _burrow_h
    _burrow_home
    reply=( "$_burrow_h"/*/pyvenv.cfg(N:h:t) )
}

_burrow_workon() {
    local -a reply
    _burrow_workon_names
    compadd -a reply
}

if (( $+functions[compdef] )); then
    compdef _burrow_workon workon
else
    compctl -K _burrow_workon_names workon
fi
