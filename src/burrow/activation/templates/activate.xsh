# Activate this virtual environment in xonsh:   source bin/activate.xsh
# Values are Python string literals; nothing here is evaluated as shell code.

_burrow_env = __BURROW_VIRTUAL_ENV__
import os.path as _burrow_path
# `source` gives the file it runs a __file__. Unless relocatable, the place this file was
# written for is kept while it is the same directory (reached another way, say through a
# symlink); after a move it is not, and the environment is where this file is.
_burrow_here = _burrow_path.dirname(_burrow_path.dirname(_burrow_path.abspath(__file__)))
if __BURROW_RELOCATABLE__ or _burrow_path.realpath(_burrow_here) != _burrow_path.realpath(_burrow_env):
    _burrow_env = _burrow_here
del _burrow_path, _burrow_here

# Refuse, changing nothing, when PATH cannot name the environment: no PATH entry can hold
# the path separator, and xonsh expands $NAME, ${'NAME'} and a "=~" in every PATH entry
# (EXPAND_ENV_VARS), so such a directory would be searched under another name.
import os as _burrow_os
import re as _burrow_re
_burrow_refusal = None
if _burrow_os.pathsep in _burrow_env:
    _burrow_refusal = __BURROW_PATHSEP_MESSAGE__
elif _burrow_re.search(r'\$[\w{]', _burrow_env) or _burrow_env.partition('=')[2][:1] == '~':
    _burrow_refusal = __BURROW_XONSH_MESSAGE__
del _burrow_os, _burrow_re
if _burrow_refusal is not None:
    del _burrow_env
    raise RuntimeError(globals().pop('_burrow_refusal'))
del _burrow_refusal

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

$VIRTUAL_ENV = _burrow_env
del _burrow_env
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
