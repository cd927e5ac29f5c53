# burrow for bash: tab completion of `workon` (defined in init.posix) with the
# names of the named envs. Load with:   eval "$(burrow shell-init bash)"   in ~/.bashrc

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

# Completion of burrow's own command line: burrow answers from its parser (commands,
# options, env names, cached interpreters); "files" means let readline complete paths.
_burrow_complete() {
    local IFS=$'\n'
    local -a _burrow_out
    _burrow_out=($(_burrow_cli __complete "$COMP_CWORD" "${COMP_WORDS[@]}" 2>/dev/null))
    COMPREPLY=()
    [ "${_burrow_out[0]}" = words ] || return 0
    COMPREPLY=("${_burrow_out[@]:1}")
    if [ "${#COMPREPLY[@]}" -eq 1 ] && [[ ${COMPREPLY[0]} == */ ]]; then
        compopt -o nospace
    fi
}
complete -o default -F _burrow_complete burrow
