"""Use an env without activating it by hand: run a command in it, start a shell in it, or
print what a shell must evaluate to activate it.

On POSIX ``run`` and ``shell`` replace burrow's process (``exec``), so exit codes, signals
and the terminal belong to the command itself, exactly as if the user had typed it.
"""

from __future__ import annotations

import os
import sys

from burrow import fs
from burrow.environment import same_env, scripts_dir
from burrow.errors import BurrowError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Callable, Dict, List, Mapping, NoReturn, Optional, Tuple

WINDOWS = os.name == "nt"

#: The activation script each shell sources, and how it quotes a path.
_POSIX_SHELLS = frozenset(["sh", "bash", "zsh", "dash", "ksh", "ksh93", "mksh", "yash", "ash"])
_SCRIPTS = {
    "posix": "activate",
    "fish": "activate.fish",
    "csh": "activate.csh",
    "nushell": "activate.nu",
    "xonsh": "activate.xsh",
    "elvish": "activate.elv",
    "powershell": "Activate.ps1",
    "batch": "activate.bat",
}
_FAMILIES = {
    **dict.fromkeys(_POSIX_SHELLS | {"busybox"}, "posix"),
    "fish": "fish",
    "csh": "csh",
    "tcsh": "csh",
    "nu": "nushell",
    "nushell": "nushell",
    "xonsh": "xonsh",
    "elvish": "elvish",
    "pwsh": "powershell",
    "powershell": "powershell",
    "cmd": "batch",
}


class CommandFailed(BurrowError):
    """The command to run could not be started; ``exit_code`` is what a shell would return."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


# --- the environment variables of an active env ---------------------------------------------


def _prompt(env_path: str) -> str:
    from burrow.environment import config_of, unquote_prompt

    value = config_of(env_path).get("prompt")
    return unquote_prompt(value) if value else os.path.basename(env_path)


def outside_environ(environ: Mapping[str, str]) -> Dict[str, str]:
    """``environ`` with any active env taken off: its bin/ out of PATH, VIRTUAL_ENV unset."""
    result = dict(environ)
    active = result.pop("VIRTUAL_ENV", None)
    result.pop("VIRTUAL_ENV_PROMPT", None)
    if active and "PATH" in result:
        drop = {os.path.join(active, "bin"), os.path.join(active, "Scripts")}
        kept = [p for p in result["PATH"].split(os.pathsep) if p not in drop]
        result["PATH"] = os.pathsep.join(kept)
    return result


def active_environ(env_path: str, environ: Optional[Mapping[str, str]] = None) -> Dict[str, str]:
    """The variables activation would set: env's bin first on PATH, VIRTUAL_ENV, no PYTHONHOME.

    Example: {'PATH': '/app/.venv/bin:/usr/bin', 'VIRTUAL_ENV': '/app/.venv', …}.
    """
    result = outside_environ(os.environ if environ is None else environ)
    bin_dir = scripts_dir(env_path)
    rest = [p for p in result.get("PATH", os.defpath).split(os.pathsep) if p and p != bin_dir]
    result["PATH"] = os.pathsep.join([bin_dir, *rest])
    result["VIRTUAL_ENV"] = env_path
    result["VIRTUAL_ENV_PROMPT"] = _prompt(env_path)
    result.pop("PYTHONHOME", None)
    return result


# --- burrow run ------------------------------------------------------------------------------


def run(env_path: str, command: List[str], environ: Optional[Mapping[str, str]] = None) -> int:
    """Run ``command`` in the env. On POSIX this never returns: burrow becomes the command.

    Raises CommandFailed (exit code 127 or 126, as a shell) when it cannot start.
    """
    if not command:
        raise CommandFailed("no command to run", 2)
    env = active_environ(env_path, environ)
    if WINDOWS:
        return _run_waiting(command, env)
    return _exec(command, env)


def _exec(command: List[str], env: Dict[str, str]) -> NoReturn:
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        os.execvpe(command[0], command, env)  # noqa: S606 - running the user's command is the point
    except FileNotFoundError:
        raise CommandFailed(f"{command[0]}: command not found", 127) from None
    except PermissionError:
        raise CommandFailed(f"{command[0]}: permission denied", 126) from None
    except OSError as exc:
        raise CommandFailed(f"{command[0]}: {exc.strerror or exc}", 126) from None


def _run_waiting(command: List[str], env: Dict[str, str]) -> int:
    """Windows has no exec: run the command, ignoring Ctrl-C meant for it, and return its code."""
    import shutil
    import signal
    import subprocess

    program = shutil.which(command[0], path=env["PATH"])
    if program is None:
        raise CommandFailed(f"{command[0]}: command not found", 127)
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        return subprocess.call([program, *command[1:]], env=env)
    finally:
        signal.signal(signal.SIGINT, previous)


# --- burrow activate -------------------------------------------------------------------------


def shell_family(shell: str) -> str:
    """'posix', 'fish', 'csh', … for a shell name or path, e.g. '/bin/zsh' -> 'posix'."""
    name = os.path.basename(shell).lstrip("-").lower()
    if name.endswith(".exe"):
        name = name[:-4]
    family = _FAMILIES.get(name)
    if family is None:
        known = ", ".join(sorted(_FAMILIES))
        raise BurrowError(f"unknown shell {shell!r} (known: {known})")
    return family


def user_shell(environ: Optional[Mapping[str, str]] = None) -> str:
    """The user's shell: $SHELL, else their login shell (unset under cron, CI, `env -i`), else sh.

    On Windows, where $SHELL means nothing, it is cmd.
    """
    environ = os.environ if environ is None else environ
    if environ.get("SHELL"):
        return environ["SHELL"]
    if WINDOWS:
        return "cmd"
    import pwd

    try:
        return pwd.getpwuid(os.getuid()).pw_shell or "sh"
    except KeyError:  # a uid with no passwd entry (containers)
        return "sh"


def activation_script(env_path: str, shell: str) -> str:
    """The env's activation script for ``shell``; BurrowError when the env has none."""
    family = shell_family(shell)
    script = os.path.join(scripts_dir(env_path), _SCRIPTS[family])
    if not os.path.isfile(script):
        raise BurrowError(
            f"{env_path} has no activation script for {os.path.basename(shell)} ({script}); "
            f"add it with: burrow create --activators {family} {env_path}"
        )
    return script


def activation_command(env_path: str, shell: str) -> str:
    """What ``shell`` must evaluate to activate the env, every value quoted for that shell.

    Example: activation_command('/srv/my env', 'bash') -> "source '/srv/my env/bin/activate'".
    After the env was moved, the shells whose script cannot learn where it is are told:
    activation_command('/srv/new', 'dash') -> "_burrow_env_dir=/srv/new; . /srv/new/bin/activate".
    """
    if os.pathsep in env_path:
        raise BurrowError(
            f"cannot activate {env_path}: its path contains {os.pathsep!r}, which no PATH entry "
            "can hold; move it to a path without one"
        )
    script = activation_script(env_path, shell)
    return _told_where(env_path, script, shell) + source_command(script, shell)


def _told_where(env_path: str, script: str, shell: str) -> str:
    """The command that tells a moved env's script where the env is now, or ''.

    The script uses that place only if its bin holds this very script, so a wrong or stale
    value never activates anything else.
    """
    from burrow.activation import quoting
    from burrow.activation.scripts import written_for

    family = shell_family(shell)
    if family not in ("posix", "csh", "elvish"):
        return ""  # the others learn where their script is, or do not check
    written = written_for(script)
    if written is None or same_env(written, env_path):
        return ""
    if family == "posix":
        return f"_burrow_env_dir={quoting.as_word(env_path, quoting.posix)}; "
    if family == "csh":
        return f"set _burrow_env_dir = {quoting.as_word(env_path, quoting.csh)}; "
    return f"set-env _BURROW_ENV_DIR {quoting.as_word(env_path, quoting.elvish)}; "


def script_name(shell: str) -> str:
    """The activation script for ``shell``, e.g. 'activate.fish' for fish."""
    return _SCRIPTS[shell_family(shell)]


def source_command(script: str, shell: str) -> str:
    """The line that makes ``shell`` run ``script`` in itself, quoted only where needed.

    Example: source_command('.venv/bin/activate.fish', 'fish') -> 'source .venv/bin/activate.fish'.
    """
    from burrow.activation import quoting

    def word(quote: Callable[[str], str]) -> str:
        return quoting.as_word(script, quote)

    family = shell_family(shell)
    if family == "posix":
        # `source` reads better, but plain sh (dash, busybox) and yash only know `.`.
        name = os.path.basename(shell).lstrip("-").lower()
        verb = "source" if name in ("bash", "zsh", "ksh", "ksh93", "mksh") else "."
        return f"{verb} {word(quoting.posix)}"
    if family == "fish":
        return f"source {word(quoting.fish)}"
    if family == "csh":
        return f"source {word(quoting.csh)}"
    if family == "nushell":
        return f"overlay use {word(quoting.nushell)}"
    if family == "xonsh":
        return f"source @({quoting.python(script)})"
    if family == "elvish":
        return f"eval (slurp < {word(quoting.elvish)})"
    if family == "powershell":
        return f"& {word(quoting.powershell)}"
    return f'call "{script}"'  # cmd.exe: a Windows path cannot hold a double quote


# --- burrow shell ----------------------------------------------------------------------------


def shell_plan(
    env_path: str, shell: Optional[str] = None, environ: Optional[Mapping[str, str]] = None
) -> Tuple[List[str], Dict[str, str], Optional[str], bool]:
    """How to start ``shell`` (default $SHELL) with the env active, after its own rc files.

    Returns (argv, environ, temporary directory to remove if the shell cannot start,
    whether the shell gets full activation — prompt and ``deactivate`` — or only the
    variables). The rc file written for bash, zsh and sh removes that directory itself.
    """
    source = os.environ if environ is None else environ
    program = shell or user_shell(source)
    name = os.path.basename(program).lstrip("-").lower()
    base = outside_environ(source)
    try:
        family = shell_family(name)
    except BurrowError:
        family = "other"
    if family == "fish":
        from burrow.activation import quoting

        script = activation_script(env_path, "fish")
        return [program, "--init-command", f"source {quoting.fish(script)}"], base, None, True
    if family == "nushell":
        from burrow.activation import quoting

        script = activation_script(env_path, "nu")
        return [program, "-e", f"overlay use {quoting.nushell(script)}"], base, None, True
    if name in ("bash", "zsh", "yash") or name in _POSIX_SHELLS:
        script = activation_script(env_path, "sh")
        return _posix_plan(program, name, script, base, _told_where(env_path, script, "sh"))
    # No way to run commands first and stay interactive: give it the variables only.
    return [program], active_environ(env_path, source), None, False


def _posix_plan(
    program: str, name: str, script: str, environ: Dict[str, str], told_where: str
) -> Tuple[List[str], Dict[str, str], Optional[str], bool]:
    import tempfile

    from burrow.activation.quoting import posix as q

    folder = tempfile.mkdtemp(prefix="burrow-shell-")
    # Remove the folder first: the shell has the file open and reads it to the end.
    cleanup = f"command rm -rf -- {q(folder)}\n"
    activate = f"{told_where}. {q(script)}\n"
    if name == "zsh":
        user = environ.get("ZDOTDIR")
        restore = f"ZDOTDIR={q(user)}\n" if user is not None else "unset ZDOTDIR\n"
        _write(
            os.path.join(folder, ".zshenv"),
            restore
            + '[ -f "${ZDOTDIR:-$HOME}/.zshenv" ] && . "${ZDOTDIR:-$HOME}/.zshenv"\n'
            + "_burrow_zdotdir=${ZDOTDIR-}; _burrow_zdotdir_set=${ZDOTDIR+x}\n"
            + f"ZDOTDIR={q(folder)}\n",
        )
        _write(
            os.path.join(folder, ".zshrc"),
            'if [ -n "$_burrow_zdotdir_set" ]; then ZDOTDIR=$_burrow_zdotdir; '
            "else unset ZDOTDIR; fi\n"
            "unset _burrow_zdotdir _burrow_zdotdir_set\n"
            + cleanup
            + '[ -f "${ZDOTDIR:-$HOME}/.zshrc" ] && . "${ZDOTDIR:-$HOME}/.zshrc"\n'
            + activate,
        )
        environ["ZDOTDIR"] = folder
        return [program, "-i"], environ, folder, True
    rc = os.path.join(folder, "rc")
    if name == "bash":
        _write(rc, cleanup + '[ -f "$HOME/.bashrc" ] && . "$HOME/.bashrc"\n' + activate)
        return [program, "--rcfile", rc, "-i"], environ, folder, True
    if name == "yash":
        _write(rc, cleanup + '[ -f "$HOME/.yashrc" ] && . "$HOME/.yashrc"\n' + activate)
        return [program, "--rcfile", rc, "-i"], environ, folder, True
    # POSIX sh, dash, ksh, mksh read the file named by $ENV when interactive.
    user_env = environ.get("ENV")
    if user_env is not None:
        own = f"ENV={q(user_env)}; export ENV\n" + '[ -f "$ENV" ] && . "$ENV"\n'
    else:
        default = {"ksh": ".kshrc", "ksh93": ".kshrc", "mksh": ".mkshrc"}.get(name)
        own = "unset ENV\n" + (
            f'[ -f "$HOME/{default}" ] && . "$HOME/{default}"\n' if default else ""
        )
    _write(rc, cleanup + own + activate)
    environ["ENV"] = rc
    return [program, "-i"], environ, folder, True


def _write(path: str, text: str) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)


def start(argv: List[str], env: Dict[str, str], folder: Optional[str]) -> int:
    """Start a shell planned by ``shell_plan``; on POSIX burrow becomes it (never returns)."""
    try:
        if WINDOWS:
            return _run_waiting(argv, env)
        _exec(argv, env)
    except BaseException:
        if folder is not None:
            fs.remove_tree(folder)
        raise
