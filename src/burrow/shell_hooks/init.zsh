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

# Completion of burrow's own command line: burrow answers from its parser (commands,
# options, env names, cached interpreters); "files" means let zsh complete paths.
_burrow_complete() {
    local -a _burrow_out _burrow_dirs _burrow_words
    _burrow_out=("${(@f)$(_burrow_cli __complete $((CURRENT - 1)) "${words[@]}" 2>/dev/null)}")
    if [[ ${_burrow_out[1]} == files ]]; then
        _files
        return
    fi
    [[ ${_burrow_out[1]} == words ]] || return 1
    _burrow_words=(${_burrow_out[2,-1]:#*/})
    _burrow_dirs=(${(M)_burrow_out[2,-1]:#*/})
    compadd -Q -a _burrow_words
    compadd -Q -S '' -a _burrow_dirs
}

if (( $+functions[compdef] )); then
    compdef _burrow_complete burrow
fi
