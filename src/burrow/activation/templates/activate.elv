# Activate this virtual environment in elvish:   eval (slurp < bin/activate.elv)
# Leave it with `deactivate`. Values are single-quoted literals, never evaluated.
# The code that touches edit: runs through eval, so this file also loads without a terminal.

var env-dir = __BURROW_VIRTUAL_ENV__
var prompt-text = __BURROW_PROMPT__

if (has-env _BURROW_OLD_PATH) {
    # An environment is active: leave it first, so it is this one that deactivate restores.
    try { deactivate } catch { }
}

set-env _BURROW_OLD_PATH $E:PATH
if (has-env PYTHONHOME) {
    set-env _BURROW_OLD_PYTHONHOME $E:PYTHONHOME
    unset-env PYTHONHOME
}
set-env VIRTUAL_ENV $env-dir
set-env VIRTUAL_ENV_PROMPT $prompt-text
set paths = [$env-dir/__BURROW_BIN_NAME__ $@paths]

var burrow-old-prompt = $nil
if (or (not (has-env VIRTUAL_ENV_DISABLE_PROMPT)) (eq $E:VIRTUAL_ENV_DISABLE_PROMPT '')) {
    var prefix = '('$prompt-text') '
    try {
        eval 'set burrow-old-prompt = $edit:prompt; set edit:prompt = { put $prefix; $burrow-old-prompt }'
    } catch { }
}

fn deactivate {
    if (has-env _BURROW_OLD_PATH) {
        set-env PATH $E:_BURROW_OLD_PATH
        unset-env _BURROW_OLD_PATH
    }
    if (has-env _BURROW_OLD_PYTHONHOME) {
        set-env PYTHONHOME $E:_BURROW_OLD_PYTHONHOME
        unset-env _BURROW_OLD_PYTHONHOME
    }
    if (not-eq $burrow-old-prompt $nil) {
        eval 'set edit:prompt = $burrow-old-prompt'
    }
    unset-env VIRTUAL_ENV
    unset-env VIRTUAL_ENV_PROMPT
}

# Make deactivate a command of the interactive session (elvish keeps eval's own names local).
try { edit:add-var deactivate~ $deactivate~ } catch { }
