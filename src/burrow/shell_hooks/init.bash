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
