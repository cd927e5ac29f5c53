__BURROW_HEADER_LINE__
# Activate this virtual environment in elvish:   eval (slurp < bin/activate.elv)
# Leave it with `deactivate`. Values are single-quoted literals, never evaluated.
# The code that touches edit: runs through eval, so this file also loads without a terminal.

use path
use str

# elvish runs this file as a string (eval), which cannot know where it came from. The
# environment is where `burrow activate` says (in $E:_BURROW_ENV_DIR) or where this script was
# written for, whichever of them holds this very script: the same first line, with an id only
# this environment has.
fn holds-this {|dir|
    var file = $dir/__BURROW_BIN_NAME__/activate.elv
    # A regular file only: reading a FIFO someone left at the old place would hang.
    try {
        and (path:is-regular $file) (eq [(from-lines < $file | take 1)] [__BURROW_HEADER__])
    } catch {
        put $false
    }
}
var env-dir = $nil
if (has-env _BURROW_ENV_DIR) {
    var hint = $E:_BURROW_ENV_DIR
    unset-env _BURROW_ENV_DIR
    if (and (!=s $hint '') (holds-this $hint)) {
        set env-dir = $hint
    }
}
if (and (eq $env-dir $nil) (holds-this __BURROW_VIRTUAL_ENV__)) {
    set env-dir = __BURROW_VIRTUAL_ENV__
}
# Refuse, changing nothing, when the environment cannot be found or PATH cannot name it.
var moved-message = __BURROW_MOVED_MESSAGE__
var pathsep-message = __BURROW_PATHSEP_MESSAGE__
if (eq $env-dir $nil) {
    fail $moved-message
}
if (str:contains $env-dir ':') {
    fail $pathsep-message
}
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
