# Activate this virtual environment in nushell:   overlay use bin/activate.nu
# Leave it with `deactivate` (which hides the overlay, restoring everything it changed).
# Values are raw strings r#'...'#: nushell never evaluates what is inside them.

export-env {
    const here = path self
    # Unless relocatable, the place this file was written for is kept while it is the same
    # directory (reached another way, say through a symlink); after a move it is not, and
    # the environment is where this file is.
    let found = ($here | path dirname | path dirname)
    let written = __BURROW_VIRTUAL_ENV__
    let env_dir = if (__BURROW_RELOCATABLE__ | is-not-empty) or (($found | path expand) != ($written | path expand)) {
        $found
    } else {
        $written
    }
    # Refuse, changing nothing, when no PATH entry can name the environment.
    if ($env_dir | str contains (char esep)) {
        error make --unspanned { msg: __BURROW_PATHSEP_MESSAGE__ }
    }
    let bin = ($env_dir | path join __BURROW_BIN_NAME__)
    let prompt = __BURROW_PROMPT__

    # Windows spells it Path; PATH may still be a string early in a session.
    let path_name = if ('Path' in ($env | columns)) { 'Path' } else { 'PATH' }
    let old_path = ($env | get -o $path_name | default [])
    let old_path = if (($old_path | describe) == 'string') {
        $old_path | split row (char esep)
    } else {
        $old_path
    }

    load-env {
        VIRTUAL_ENV: $env_dir
        VIRTUAL_ENV_PROMPT: $prompt
        $path_name: ($old_path | prepend $bin)
    }
    hide-env -i PYTHONHOME

    if ($env.VIRTUAL_ENV_DISABLE_PROMPT? | is-empty) {
        let prefix = $"\(($prompt)\) "
        let old_prompt = ($env.PROMPT_COMMAND? | default '')
        let new_prompt = if (($old_prompt | describe) == 'closure') {
            {|| $prefix + (do $old_prompt | into string) }
        } else {
            {|| $prefix + ($old_prompt | into string) }
        }
        load-env { PROMPT_COMMAND: $new_prompt }
    }
}

export alias deactivate = overlay hide activate
