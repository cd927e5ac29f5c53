"""Where Python interpreters live on this machine, found without running any of them.

Sources, in order: ``PATH``, pyenv, uv-managed Pythons, asdf, mise, and on Windows the
PEP 514 registry and the ``py`` launcher. Version managers' shims are resolved to the
interpreter they would run (the manager's selected version) and never executed; what an
install's or a command's name says about its version comes with each candidate, e.g.
Candidate(path='~/.pyenv/versions/3.12.1/bin/python3', source='pyenv', guess=<3.12.1>).
``burrow.discovery`` decides which of them to run and which one wins.
"""

from __future__ import annotations

import os

from burrow._fast import Record
from burrow.errors import InterpreterError
from burrow.spec import COMMANDS, RELEASE_ORDER, WINDOWS, is_command_name, parse_name

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Iterator, List, Mapping, Tuple

    from burrow.spec import Guess


class Candidate(Record, frozen=True):
    """An interpreter to consider, before running it."""

    path: str
    source: str
    guess: Guess | None  # what its name says


# --- what discovery asks ---------------------------------------------------------------


def candidates(environ: Mapping[str, str], launcher: bool = True) -> List[Candidate]:
    """Every interpreter to consider, in source order, once per real file.

    ``launcher=False`` leaves out the Windows ``py`` launcher's list, which costs a process.
    """
    places = _Places(environ)
    sources = [
        _from_path(places),
        _from_installs(places, "pyenv", places.managers["pyenv"][0]),
        _from_installs(places, "uv", places.uv),
        _from_installs(places, "asdf", places.managers["asdf"][0]),
        _from_installs(places, "mise", places.managers["mise"][0]),
    ]
    if WINDOWS:
        sources.append(_from_windows(places, launcher))
    seen = set()
    found = []
    for source in sources:
        for candidate in source:
            key = same_file_key(candidate.path)
            if key not in seen:
                seen.add(key)
                found.append(candidate)
    return found


def which(environ: Mapping[str, str], command: str) -> str | None:
    """The interpreter running ``command`` would run, shims resolved, e.g. '/usr/bin/python3'."""
    hits = _which(_Places(environ), command)
    return hits[0].path if hits else None


def interpreter_at(environ: Mapping[str, str], text: str) -> str:
    """The interpreter a path names: itself, the one in an install or env directory, or
    what a version manager's shim would run, e.g. '~/.pyenv/shims/python3' -> its 3.12.1."""
    places = _Places(environ)
    if text.startswith("~"):
        text = _home(places.environ) + text[1:]
    path = os.path.abspath(text)
    if os.path.isdir(path):
        executable = _executable_in(path)
        if executable is None:
            raise InterpreterError(f"{path} is a directory with no Python interpreter in it")
        path = executable
    manager, root = _shim_of(path)
    if manager is None:
        directory = os.path.dirname(path)
        manager = places.shim_dirs.get(_dir_identity(directory) or (-1, -1))
    if manager is not None:
        resolved = _resolve_shim(places, manager, root, os.path.basename(path), lookup=True)
        if not resolved:
            raise InterpreterError(f"{path} is a {manager} shim for no installed interpreter")
        path = resolved[0].path
    return path


# --- how each source is read ----------------------------------------------------------


class _Places:
    """Where the version managers keep their installs and shims, from the environment."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self.environ = environ
        home = _home(environ)
        data = environ.get("XDG_DATA_HOME") or os.path.join(home, ".local", "share")
        pyenv = environ.get("PYENV_ROOT") or os.path.join(home, ".pyenv")
        if WINDOWS and not environ.get("PYENV_ROOT"):
            pyenv_win = os.path.join(pyenv, "pyenv-win")
            pyenv = pyenv_win if os.path.isdir(pyenv_win) else pyenv
        self.pyenv = pyenv
        asdf = environ.get("ASDF_DATA_DIR") or os.path.join(home, ".asdf")
        mise = environ.get("MISE_DATA_DIR") or (
            os.path.join(environ.get("LOCALAPPDATA", home), "mise")
            if WINDOWS
            else os.path.join(data, "mise")
        )
        uv = environ.get("UV_PYTHON_INSTALL_DIR") or (
            os.path.join(environ.get("APPDATA", home), "uv", "data", "python")
            if WINDOWS
            else os.path.join(data, "uv", "python")
        )
        self.uv = uv
        #: (manager, directory of its Python installs, directory of its shims)
        self.managers = {
            "pyenv": (os.path.join(pyenv, "versions"), os.path.join(pyenv, "shims")),
            "asdf": (os.path.join(asdf, "installs", "python"), os.path.join(asdf, "shims")),
            "mise": (os.path.join(mise, "installs", "python"), os.path.join(mise, "shims")),
        }
        self.shim_dirs: Dict[Tuple[int, int], str] = {}
        for manager, (_, shims) in self.managers.items():
            identity = _dir_identity(shims)
            if identity is not None:
                self.shim_dirs[identity] = manager
        # Shims resolve against the same selection and installs, many times per run.
        self.selected: Dict[Tuple[str, str | None], List[str]] = {}
        self.installs: Dict[str, List[Tuple[str, Guess | None]]] = {}


def _home(environ: Mapping[str, str]) -> str:
    home = environ.get("USERPROFILE" if WINDOWS else "HOME")
    return home or os.path.expanduser("~")


def same_file_key(path: str) -> str:
    """One key per real file: '/bin/python3' and '/usr/bin/python3.11' are often one."""
    return os.path.normcase(os.path.realpath(path))


def _dir_identity(path: str) -> Tuple[int, int] | None:
    """(device, inode) of a directory: '/bin' and '/usr/bin' are often one."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


def _path_dirs(environ: Mapping[str, str]) -> List[Tuple[str, Tuple[int, int]]]:
    """PATH's directories with their identity, each directory once."""
    seen = set()
    out = []
    for entry in environ.get("PATH", os.defpath).split(os.pathsep):
        if not entry:  # the working directory: not a place to find interpreters
            continue
        identity = _dir_identity(entry)
        if identity is not None and identity not in seen:
            seen.add(identity)
            out.append((entry, identity))
    return out


def _command_order(name: str) -> Tuple[bool, int, str]:
    """python, python3, python3.12, then pypy3...: the plainest spelling names an install."""
    return (not name.lower().startswith("python"), len(name), name)


def _from_path(places: _Places) -> Iterator[Candidate]:
    for directory, identity in _path_dirs(places.environ):
        if WINDOWS and os.path.basename(directory.rstrip("\\/")).lower() == "windowsapps":
            continue  # Store aliases that may open the Store; its Pythons are in the registry
        try:
            listing = os.listdir(directory)
        except OSError:
            continue
        if WINDOWS:
            names = [n for n in listing if n.lower().startswith(COMMANDS) and is_command_name(n)]
        else:  # PATH directories hold thousands of names: let str.startswith sift them
            names = [n for n in listing if n.startswith(COMMANDS) and is_command_name(n)]
        shim_manager = places.shim_dirs.get(identity)
        for name in sorted(names, key=_command_order):
            path = os.path.abspath(os.path.join(directory, name))
            manager, root = (shim_manager, None) if shim_manager else _shim_of(path)
            if manager is None:
                source = _installed_by(places, directory)
                yield Candidate(path=path, source=source, guess=parse_name(name))
            else:
                yield from _resolve_shim(places, manager, root, name, lookup=False)


def _installed_by(places: _Places, directory: str) -> str:
    """'pyenv' for a PATH directory inside pyenv's installs (pyenv puts the selected
    version's bin on PATH for the programs it runs), likewise asdf, mise, uv; else 'PATH'."""
    folder = os.path.normcase(os.path.realpath(directory))
    roots = [(m, installs) for m, (installs, _) in places.managers.items()]
    for manager, installs in [*roots, ("uv", places.uv)]:
        root = os.path.normcase(os.path.realpath(installs))
        if folder.startswith(root + os.sep):
            return manager
    return "PATH"


def _shim_of(path: str) -> Tuple[str | None, str | None]:
    """('pyenv', its root) for a pyenv shim outside the known shims dir; (None, None) if no shim."""
    real = os.path.realpath(path)
    if os.path.basename(real).lower() in ("mise", "mise.exe"):
        return "mise", None  # mise's shims are links to mise itself
    try:
        if os.stat(real).st_size > 4096:  # interpreters are big; shims are short scripts
            return None, None
        with open(real, "rb") as handle:
            head = handle.read(4096)
    except OSError:
        return None, None
    if not head.startswith(b"#!"):
        return None, None
    if b"pyenv" in head and b"exec" in head:
        marker = b'export PYENV_ROOT="'
        start = head.find(marker)
        if start >= 0:
            end = head.find(b'"', start + len(marker))
            return "pyenv", os.fsdecode(head[start + len(marker) : end])
        return "pyenv", None
    if b"asdf" in head and b"exec" in head:
        return "asdf", None
    return None, None


def _resolve_shim(
    places: _Places, manager: str, root: str | None, command: str, lookup: bool
) -> List[Candidate]:
    """The interpreters a shim would run: the manager's selected versions first.

    With ``lookup`` (``-p python3``), a selected 'system' means the next ``command`` on
    PATH, and when no selected version has the command, the newest install that has it.
    """
    installs = os.path.join(root, "versions") if root else places.managers[manager][0]
    name = command[:-4] if command.lower().endswith(".exe") else command
    found = []
    if (manager, root) not in places.selected:
        places.selected[manager, root] = _selected_versions(places, manager, root)
    for version in places.selected[manager, root]:
        if version == "system":
            if lookup:
                found.extend(_which(places, command, skip_shims=True))
            continue
        directory = _version_dir(places, installs, version)
        executable = _executable_in(directory, name) if directory else None
        if directory and executable:
            guess = parse_name(os.path.basename(os.path.realpath(directory)), "cpython")
            found.append(Candidate(path=executable, source=manager, guess=guess))
    if not found:
        for directory, guess in reversed(_installs(places, installs)):
            executable = _executable_in(directory, name)
            if executable:
                found.append(Candidate(path=executable, source=manager, guess=guess))
    return found


def _selected_versions(places: _Places, manager: str, root: str | None) -> List[str]:
    """The versions the manager has selected here, e.g. ['3.12.1', 'system']."""
    environ = places.environ
    if manager == "pyenv":
        chosen = environ.get("PYENV_VERSION")
        if chosen:
            return chosen.replace(":", " ").split()
        start = environ.get("PYENV_DIR") or os.getcwd()
        version_file = _find_upwards(start, ".python-version") or os.path.join(
            root or places.pyenv, "version"
        )
        return _read_words(version_file) or ["system"]
    chosen = environ.get(f"{manager.upper()}_PYTHON_VERSION")
    if chosen:
        return chosen.split()
    tool_versions = _find_upwards(os.getcwd(), ".tool-versions") or os.path.join(
        _home(environ), ".tool-versions"
    )
    for line in _read_lines(tool_versions):
        words = line.split()
        if words and words[0] == "python":
            return words[1:]
    return []


def _find_upwards(start: str, name: str) -> str | None:
    directory = os.path.abspath(start)
    while True:
        candidate = os.path.join(directory, name)
        if os.path.isfile(candidate):
            return candidate
        parent = os.path.dirname(directory)
        if parent == directory:
            return None
        directory = parent


def _read_lines(path: str) -> List[str]:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return [line.split("#", 1)[0].strip() for line in handle]
    except OSError:
        return []


def _read_words(path: str) -> List[str]:
    return [word for line in _read_lines(path) for word in line.split()]


def _version_dir(places: _Places, installs: str, version: str) -> str | None:
    """installs/3.12.1, or for a prefix like '3.12' the newest installs/3.12.* (as pyenv does)."""
    exact = os.path.join(installs, version)
    if os.path.isdir(exact):
        return exact
    matching = [
        directory
        for directory, _ in _installs(places, installs)
        if os.path.basename(directory).startswith((version + ".", version + "-"))
    ]
    return matching[-1] if matching else None


def _installs(places: _Places, installs: str) -> List[Tuple[str, Guess | None]]:
    """Install directories under ``installs`` with what their names say, oldest first."""
    if installs not in places.installs:
        places.installs[installs] = _scan_installs(installs)
    return places.installs[installs]


def _scan_installs(installs: str) -> List[Tuple[str, Guess | None]]:
    try:
        with os.scandir(installs) as entries:
            names = [e.name for e in entries if not e.name.startswith(".")]
    except OSError:
        return []
    found = []
    for name in names:
        directory = os.path.join(installs, name)
        if os.path.isdir(directory):
            # mise's '3.12' and uv's 'cpython-3.12-…' are links to the full version's dir
            name = os.path.basename(os.path.realpath(directory))
            found.append((directory, parse_name(name, "cpython")))
    # The real directory before links to it (uv's 'cpython-3.12-…'), so it names the install.
    found.sort(key=lambda item: _install_order(item[1], item[0]))
    return found


def _install_order(guess: Guess | None, directory: str) -> Tuple[Any, ...]:
    name, linked = os.path.basename(directory), os.path.islink(directory)
    if guess is None or not guess.version:
        return (1, (), linked, name)
    level, serial = guess.release or ("final", 0)
    return (0, (*guess.version, RELEASE_ORDER[level], serial), linked, name)


def _executable_in(directory: str, command: str | None = None) -> str | None:
    """The interpreter of an install or environment directory, e.g. <dir>/bin/python3."""
    names = [command] if command else ["python3", "python", "pypy3", "pypy", "graalpy"]
    for name in names:
        if WINDOWS:  # pyenv-win and uv put python.exe at the top; venvs in Scripts
            exe = f"{name}.exe"
            choices = [exe, os.path.join("bin", exe), os.path.join("Scripts", exe)]
        else:
            choices = [os.path.join("bin", name)]
        for choice in choices:
            path = os.path.join(directory, choice)
            if os.path.lexists(path):
                return path
    return None


def _from_installs(places: _Places, source: str, installs: str) -> Iterator[Candidate]:
    for directory, guess in _installs(places, installs):
        executable = _executable_in(directory)
        if executable:
            yield Candidate(path=executable, source=source, guess=guess)


def _from_windows(places: _Places, launcher: bool) -> Iterator[Candidate]:
    from burrow import windows_registry

    for path, tag in windows_registry.registry_pythons():
        guess = parse_name(tag, "cpython") if tag else None
        yield Candidate(path=path, source="registry", guess=guess)
    if launcher:
        for path, tag in windows_registry.py_launcher_pythons(places.environ):
            guess = parse_name(tag, "cpython") if tag else None
            yield Candidate(path=path, source="py-launcher", guess=guess)


def _which(places: _Places, command: str, skip_shims: bool = False) -> List[Candidate]:
    """What running ``command`` would run, as the shell finds it on PATH, shims resolved."""
    names = [command]
    if WINDOWS and not os.path.splitext(command)[1]:
        extensions = places.environ.get("PATHEXT", ".COM;.EXE;.BAT;.CMD").split(os.pathsep)
        names = [command + ext.lower() for ext in extensions if ext]
    for directory, identity in _path_dirs(places.environ):
        shim_dir = places.shim_dirs.get(identity)
        if shim_dir and skip_shims:
            continue
        for name in names:
            path = os.path.abspath(os.path.join(directory, name))
            if not (os.path.isfile(path) and os.access(path, os.X_OK)):
                continue
            manager, root = (shim_dir, None) if shim_dir else _shim_of(path)
            if manager is None:
                return [Candidate(path=path, source="PATH", guess=parse_name(name))]
            if not skip_shims:
                resolved = _resolve_shim(places, manager, root, name, lookup=True)
                if resolved:
                    return resolved
    return []
