"""Is an env still working, and can it be repaired in place?

The classic breakage: the interpreter an env links to is upgraded or removed (pyenv,
Homebrew, apt), leaving dangling links or a Python of another version. ``fix`` re-links
the env to an interpreter of the same major.minor, keeping its packages, through the
creator's in-place update (each link and pyvenv.cfg replaced atomically). When only
another minor version is left, packages built for the old one cannot be kept: ``fix``
says how to recreate the env with the same requirements instead.
"""

from __future__ import annotations

import os

from burrow._fast import Record, getLogger
from burrow.environment import config_of, python_of, scripts_dir, site_packages_dirs, version_of
from burrow.errors import BurrowError, InterpreterError
from burrow.layout import CONFIG_NAME

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Dict, List, Mapping, Optional, Tuple

    from burrow.interpreter import PythonInfo

log = getLogger(__name__)

#: Keys the creator writes into pyvenv.cfg; others (from virtualenv, uv) are carried over.
_CREATOR_KEYS = frozenset(
    ["home", "include-system-site-packages", "version", "executable", "command", "prompt"]
)


class Problem(Record):
    """One thing wrong with an env, e.g. Problem(code='interpreter-gone', message='…')."""

    code: str  # no-config, bad-config, no-python, interpreter-gone, interpreter-broken,
    # version-changed, dangling-links
    message: str


def verdict(problems: List[Problem]) -> str:
    """'ok', or the code of the first problem, e.g. 'interpreter-gone'."""
    return problems[0].code if problems else "ok"


def diagnose(path: str, *, probe: bool = True) -> List[Problem]:
    """Everything wrong with the env at ``path``; empty when healthy.

    ``probe=False`` runs no interpreter (for ``burrow list``): a version change is then
    seen only if burrow's cache knows the interpreter's current facts.
    """
    problems: List[Problem] = []
    config = _check_config(path, problems)
    python = python_of(path)
    base = _base_interpreter(path, python, config, problems)
    dangling = _dangling_links(path)
    if dangling:
        shown = ", ".join(os.path.relpath(link, path) for link in dangling)
        problems.append(Problem(code="dangling-links", message=f"links to nothing: {shown}"))
    if base is not None:
        _check_version(base, config, probe, problems)
    return problems


def _check_config(path: str, problems: List[Problem]) -> Dict[str, str]:
    cfg = os.path.join(path, CONFIG_NAME)
    if not os.path.isfile(cfg):
        problems.append(Problem(code="no-config", message=f"{CONFIG_NAME} is missing"))
        return {}
    try:
        with open(cfg, encoding="utf-8") as handle:
            handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(code="bad-config", message=f"{CONFIG_NAME} is unreadable: {exc}"))
        return {}
    config = config_of(path)
    missing = [key for key in ("home",) if not config.get(key)]
    if version_of(config) is None:
        missing.append("version")
    if missing:
        problems.append(
            Problem(code="bad-config", message=f"{CONFIG_NAME} has no {' or '.join(missing)}")
        )
    elif not _parse_version(version_of(config) or ""):
        problems.append(
            Problem(code="bad-config", message=f"{CONFIG_NAME} has a malformed version")
        )
    return config


def _base_interpreter(
    path: str, python: str, config: Mapping[str, str], problems: List[Problem]
) -> Optional[str]:
    """The interpreter the env runs on, or None (with a problem) when it is gone."""
    home = config.get("home")
    if not os.path.lexists(python):
        problems.append(
            Problem(code="no-python", message=f"{os.path.relpath(python, path)} is missing")
        )
        return None
    if os.path.islink(python):
        target = os.path.realpath(python)
        if not os.path.exists(target):
            problems.append(
                Problem(code="interpreter-gone", message=f"its interpreter {target} is gone")
            )
            return None
        base = target
    else:
        base = config.get("executable") or python
    if home and not os.path.isdir(home):
        problems.append(Problem(code="interpreter-gone", message=f"its Python home {home} is gone"))
        return None
    return base


def _dangling_links(path: str) -> List[str]:
    found = []
    for folder in (path, scripts_dir(path)):
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            continue
        found += [e.path for e in entries if e.is_symlink() and not os.path.exists(e.path)]
    return found


def _check_version(
    base: str, config: Mapping[str, str], probe: bool, problems: List[Problem]
) -> None:
    from burrow import interpreter

    try:
        info = interpreter.inspect(base) if probe else interpreter.cached(base)
    except InterpreterError as exc:
        problems.append(Problem(code="interpreter-broken", message=str(exc)))
        return
    recorded = _parse_version(version_of(config) or "")
    if info is None or recorded is None:
        return
    if info.version != recorded:
        was = ".".join(map(str, recorded))
        problems.append(
            Problem(
                code="version-changed",
                message=f"made for Python {was}, its interpreter {base} is now {info.version_str}",
            )
        )


def _parse_version(text: str) -> Optional[Tuple[int, int, int]]:
    """(3, 12, 1) from '3.12.1' or '3.13.0rc1'; None when malformed."""
    parts = text.split(".")
    if len(parts) < 2:
        return None
    numbers = []
    for part in parts[:3]:
        digits = ""
        for char in part:
            if not char.isdigit():
                break
            digits += char
        if not digits:
            return None
        numbers.append(int(digits))
    while len(numbers) < 3:
        numbers.append(0)
    return (numbers[0], numbers[1], numbers[2])


# --- repair -------------------------------------------------------------------------------


class Fixed(Record):
    """What ``fix`` did, e.g. Fixed(path='/envs/web', changed=True, python='CPython 3.12.3 (…)',
    problems=[]): ``problems`` are those left after the repair."""

    path: str
    changed: bool
    python: Optional[str]
    problems: List[Problem]


def fix(path: str) -> Fixed:
    """Repair the env at ``path`` in place; returns what was done and what is left.

    Raises BurrowError when it cannot, saying how to recreate the env instead.
    """
    before = diagnose(path, probe=True)
    if not before:
        return Fixed(path=path, changed=False, python=None, problems=[])
    config = config_of(path)
    wanted = _wanted(path, config)
    if wanted is None:
        raise BurrowError(
            f"cannot tell which Python {path} was made for (no version in {CONFIG_NAME} and no "
            f"lib/pythonX.Y); {_recreate_hint(path, None)}"
        )
    info = _matching_interpreter(path, wanted, config)
    _relink(path, info, config)
    return Fixed(
        path=path,
        changed=True,
        python=f"{info.name} ({info.base_executable})",
        problems=diagnose(path, probe=True),
    )


class Checked(Record):
    """One env's health as ``burrow check`` reports it; with ``fix``, ``before`` holds the
    problems found first, ``problems`` those left, ``error`` why a repair was impossible."""

    path: str
    health: str
    problems: List[Problem]
    fixed: bool = False
    python: Optional[str] = None  # the interpreter a repair re-linked to
    before: List[Problem] = []  # noqa: RUF012 - records are built with their own list
    error: Optional[str] = None


def check(path: str, *, repair: bool = False) -> Checked:
    """Diagnose the env at ``path`` (running its interpreter) and, with ``repair``, fix it."""
    problems = diagnose(path, probe=True)
    if not (problems and repair):
        return Checked(path=path, health=verdict(problems), problems=problems)
    try:
        done = fix(path)
    except BurrowError as exc:
        return Checked(path=path, health=verdict(problems), problems=problems, error=str(exc))
    return Checked(
        path=path,
        health=verdict(done.problems),
        problems=done.problems,
        fixed=done.changed,
        python=done.python,
        before=problems,
    )


def _wanted(path: str, config: Mapping[str, str]) -> Optional[Tuple[str, int, int, bool]]:
    """(implementation, major, minor, free-threaded) of the Python the env was made for."""
    dirs = [os.path.basename(os.path.dirname(site)) for site in site_packages_dirs(path)]
    free_threaded = any(d.endswith("t") and d[:1] == "p" for d in dirs)
    implementation = config.get("implementation", "").lower()
    if not implementation and any(d.startswith("pypy") for d in dirs):
        implementation = "pypy"
    recorded = _parse_version(version_of(config) or "")
    if recorded is not None:
        return (implementation, recorded[0], recorded[1], free_threaded)
    for name in dirs:  # 'python3.12', 'python3.13t', 'pypy3.10'
        number = name[len("python") :] if name.startswith("python") else name[len("pypy") :]
        number = number.rstrip("t")
        parsed = _parse_version(number)
        if parsed is not None:
            return (implementation, parsed[0], parsed[1], free_threaded)
    return None


def _matching_interpreter(
    path: str, wanted: Tuple[str, int, int, bool], config: Mapping[str, str]
) -> PythonInfo:
    """The env's own interpreter if it still has the right minor version, else one found."""
    from burrow import interpreter
    from burrow.discovery import find_python
    from burrow.layout import plan

    implementation, major, minor, free_threaded = wanted
    spec = f"{implementation}{major}.{minor}{'t' if free_threaded else ''}"
    problems: List[Problem] = []
    base = _base_interpreter(path, python_of(path), config, problems)
    info: Optional[PythonInfo] = None
    if base is not None:
        try:
            info = interpreter.inspect(base)
        except InterpreterError:
            info = None
    if info is None or info.version[:2] != (major, minor):
        try:
            info = find_python(spec)
        except InterpreterError as exc:
            raise BurrowError(
                f"cannot re-link {path}: {exc}; {_recreate_hint(path, spec)}"
            ) from None
    sites = site_packages_dirs(path)
    purelib = os.path.join(path, plan(info).purelib)
    if sites and purelib not in sites:
        raise BurrowError(
            f"cannot re-link {path}: {info.name} would look for packages in {purelib}, which "
            f"the env does not have; {_recreate_hint(path, spec)}"
        )
    return info


def _recreate_hint(path: str, spec: Optional[str]) -> str:
    import shlex

    quoted = shlex.quote(path)
    missing = f" (no Python {spec} is installed)" if spec else ""
    return (
        "to recreate it with the same packages run: "
        f"burrow info {quoted} --requirements > requirements.txt && "
        f"burrow create --clear -p VERSION {quoted} -r requirements.txt{missing}"
    )


def _relink(path: str, info: PythonInfo, config: Mapping[str, str]) -> None:
    from burrow.creator import repoint
    from burrow.environment import unquote_prompt
    from burrow.options import Options

    python = python_of(path)
    symlinks = os.path.islink(python) if os.path.lexists(python) else None
    options = Options(
        python=info.executable,
        system_site_packages=config.get("include-system-site-packages", "").lower() == "true",
        symlinks=symlinks,
        command=config.get("command") or None,
    )
    prompt = unquote_prompt(config["prompt"]) if "prompt" in config else None
    log.info("re-linking %s to %s", path, info.base_executable)
    repoint(path, info, options, prompt, _other_tools_keys(info, config))


def _other_tools_keys(info: PythonInfo, old: Mapping[str, str]) -> Dict[str, str]:
    """The keys other tools wrote (virtualenv's, uv's), with version_info updated."""
    extra = {k: v for k, v in old.items() if k not in _CREATOR_KEYS and k != "burrow"}
    if "version_info" in extra:
        level, serial = info.release
        long_form = len(extra["version_info"].split(".")) > 3
        short = ".".join(map(str, info.version))
        extra["version_info"] = f"{short}.{level}.{serial}" if long_form else short
    return extra
