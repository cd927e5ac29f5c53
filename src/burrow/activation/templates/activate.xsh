# Activate this virtual environment in xonsh:   source bin/activate.xsh
# Values are Python string literals; nothing here is evaluated as shell code.

def _burrow_deactivate(args=None):
    """Leave the virtual environment (``deactivate nondestructive`` keeps this command)."""
    if '_BURROW_OLD_PATH' in ${...}:
        $PATH = $_BURROW_OLD_PATH
        del $_BURROW_OLD_PATH
    if '_BURROW_OLD_PYTHONHOME' in ${...}:
        $PYTHONHOME = $_BURROW_OLD_PYTHONHOME
        del $_BURROW_OLD_PYTHONHOME
    if '_burrow_old_env_name' in globals():
        $PROMPT_FIELDS['env_name'] = globals().pop('_burrow_old_env_name')[0]
    for _name in ('VIRTUAL_ENV', 'VIRTUAL_ENV_PROMPT'):
        if _name in ${...}:
            del ${...}[_name]
    if not args or args[0] != 'nondestructive':
        aliases.pop('deactivate', None)

if '_BURROW_OLD_PATH' in ${...} and 'deactivate' in aliases:
    aliases['deactivate'](['nondestructive'])

$VIRTUAL_ENV = __BURROW_VIRTUAL_ENV__
if __BURROW_RELOCATABLE__:
    import os.path as _burrow_path
    # `source` gives the file it runs a __file__.
    $VIRTUAL_ENV = _burrow_path.dirname(_burrow_path.dirname(_burrow_path.abspath(__file__)))
    del _burrow_path
$VIRTUAL_ENV_PROMPT = __BURROW_PROMPT__

# xonsh's usual prompt shows the environment through its {env_name} field; make that field
# show "(prompt) " (a field's value is shown as it is, never formatted again).
if not ${...}.get('VIRTUAL_ENV_DISABLE_PROMPT') and 'PROMPT_FIELDS' in ${...}:
    _burrow_old_env_name = [$PROMPT_FIELDS.get('env_name')]
    $PROMPT_FIELDS['env_name'] = lambda: '(' + __BURROW_PROMPT__ + ') '

$_BURROW_OLD_PATH = list($PATH)
$PATH.insert(0, $VIRTUAL_ENV + '/' + __BURROW_BIN_NAME__)
if 'PYTHONHOME' in ${...}:
    $_BURROW_OLD_PYTHONHOME = $PYTHONHOME
    del $PYTHONHOME

aliases['deactivate'] = _burrow_deactivate
