__BURROW_HEADER_LINE__
# Activate this virtual environment in csh or tcsh:   source bin/activate.csh
#
# csh cannot hold a newline inside double quotes and expands `!` almost everywhere, so values
# are single-quoted literals and are only ever expanded as $name:q, never inside "...".
# Saved state lives in lists of zero or one word: csh substitutes variables even on the
# untaken side of a one-line `if`, and an empty list is the one thing always safe to expand.

# csh cannot tell a sourced file where it is. The environment is where `burrow activate` says
# (in _burrow_env_dir) or where this script was written for, whichever of them holds this very
# script: the same first line, with an id only this environment has.
set _burrow_where = ( )
set _burrow_refused = ( )
if ( $?_burrow_env_dir ) then
    if ( -f $_burrow_env_dir:q/__BURROW_BIN_NAME__/activate.csh ) then
        \grep -q -x -F -e __BURROW_HEADER__ -- $_burrow_env_dir:q/__BURROW_BIN_NAME__/activate.csh >& /dev/null
        if ( $status == 0 ) set _burrow_where = ( $_burrow_env_dir:q )
    endif
    unset _burrow_env_dir
endif
if ( ! $#_burrow_where ) then
    if ( -f __BURROW_VIRTUAL_ENV__/__BURROW_BIN_NAME__/activate.csh ) then
        \grep -q -x -F -e __BURROW_HEADER__ -- __BURROW_VIRTUAL_ENV__/__BURROW_BIN_NAME__/activate.csh >& /dev/null
        if ( $status == 0 ) set _burrow_where = ( __BURROW_VIRTUAL_ENV__ )
    endif
endif

# Refuse, changing nothing, when the environment cannot be found or PATH cannot name it.
# (csh has no `return`: a refusal jumps to the end of this file.)
if ( ! $#_burrow_where ) then
    ( printf '%s\n' __BURROW_MOVED_MESSAGE__ > /dev/stderr )
    set _burrow_refused = ( 1 )
    goto _burrow_end
endif
if ( $_burrow_where:q =~ *:* ) then
    ( printf '%s\n' __BURROW_PATHSEP_MESSAGE__ > /dev/stderr )
    set _burrow_refused = ( 1 )
    goto _burrow_end
endif

# Leave any environment that is active now, so it is this one that deactivate restores.
if ( $?_burrow_old_path ) then
    deactivate nondestructive
endif

alias deactivate 'if ( $#_burrow_old_path ) setenv PATH $_burrow_old_path:q; if ( $#_burrow_old_pythonhome ) setenv PYTHONHOME $_burrow_old_pythonhome:q; if ( $#_burrow_old_prompt ) set prompt = $_burrow_old_prompt:q; if ( $#_burrow_unset_prompt ) unset prompt; unset _burrow_old_path _burrow_old_pythonhome _burrow_old_prompt _burrow_unset_prompt; unsetenv VIRTUAL_ENV; unsetenv VIRTUAL_ENV_PROMPT; rehash; if ( "\!:*" != "nondestructive" ) unalias deactivate'

setenv VIRTUAL_ENV $_burrow_where:q
setenv VIRTUAL_ENV_PROMPT __BURROW_PROMPT__

if ( $?PATH ) then
    set _burrow_old_path = ( $PATH:q )
    setenv PATH $VIRTUAL_ENV:q/__BURROW_BIN_NAME__:$PATH:q
else
    set _burrow_old_path = ( )
    setenv PATH $VIRTUAL_ENV:q/__BURROW_BIN_NAME__
endif

if ( $?PYTHONHOME ) then
    set _burrow_old_pythonhome = ( $PYTHONHOME:q )
    unsetenv PYTHONHOME
else
    set _burrow_old_pythonhome = ( )
endif

set _burrow_old_prompt = ( )
set _burrow_unset_prompt = ( )
if ( ! $?VIRTUAL_ENV_DISABLE_PROMPT ) then
    if ( $?prompt ) then
        set _burrow_old_prompt = ( $prompt:q )
        set prompt = __BURROW_PROMPT_PREFIX__$prompt:q
    else
        set _burrow_unset_prompt = ( 1 )
        set prompt = __BURROW_PROMPT_PREFIX__
    endif
endif

rehash

_burrow_end:
# The status of `source` is that of the last command run; eval expands $# before it unsets.
eval "unset _burrow_where _burrow_refused; set status = $#_burrow_refused"
