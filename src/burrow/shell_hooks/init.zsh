# burrow for zsh: tab completion of `workon` (defined in init.posix) with the
# names of the named envs. Load with:   eval "$(burrow shell-init zsh)"   in ~/.zshrc

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
