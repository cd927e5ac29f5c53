"""An environment on disk: its pyvenv.cfg, the paths inside it, and its own python.

Everything here reads an env as it is, whoever made it (venv, virtualenv, uv, burrow),
without running an interpreter.
"""

from __future__ import annotations

import os

from burrow._fast import Record
from burrow.errors import TargetError
from burrow.layout import CONFIG_NAME

#: Hidden siblings of an env: one being built beside its target, one being removed.
#: A killed run leaves them behind; the next create in the same folder removes them.
BUILD_PREFIX = ".burrow-build-"
TRASH_PREFIX = ".burrow-trash-"

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Dict, List, Mapping, Optional

    from burrow.interpreter import PythonInfo
    from burrow.layout import Layout


class Environment(Record):
    """A virtual environment, e.g. Environment(path='/home/me/app/.venv', ...)."""

    path: str  # absolute
    layout: Layout
    python: PythonInfo
    prompt: str
    seeded: Dict[str, str]  # {"pip": "24.3.1"}

    @property
    def bin_dir(self) -> str:
        return os.path.join(self.path, self.layout.scripts)

    @property
    def executable(self) -> str:
        """The env's python, e.g. /home/me/app/.venv/bin/python."""
        return python_in(self.bin_dir, windows=self.layout.windows)

    @property
    def site_packages(self) -> str:
        return os.path.join(self.path, self.layout.purelib)


def read_config(env_dir: str) -> Dict[str, str]:
    """Parse pyvenv.cfg like site.py does: ``key = value`` lines, keys lower-cased."""
    config: Dict[str, str] = {}
    with open(os.path.join(env_dir, CONFIG_NAME), encoding="utf-8") as handle:
        for line in handle:
            key, sep, value = line.partition("=")
            if sep:
                config[key.strip().lower()] = value.strip()
    return config


def config_of(path: str) -> Dict[str, str]:
    """pyvenv.cfg as a dict; empty when missing or unreadable (health says why)."""
    try:
        return read_config(path)
    except (OSError, UnicodeDecodeError):
        return {}


def version_of(config: Mapping[str, str]) -> Optional[str]:
    """'3.12.1' from ``version`` (venv) or ``version_info`` (virtualenv, uv)."""
    text = config.get("version") or config.get("version_info")
    if not text:
        return None
    parts = text.split(".")
    return ".".join(parts[:3]) if len(parts) > 3 else text


def site_packages_dirs(path: str) -> List[str]:
    """Every site-packages in the env, e.g. ['/env/lib/python3.12/site-packages']."""
    found = []
    for lib in ("lib", "Lib"):
        base = os.path.join(path, lib)
        direct = os.path.join(base, "site-packages")  # Windows, PyPy before 3.8
        if os.path.isdir(direct):
            found.append(direct)
        try:
            names = sorted(os.listdir(base))
        except OSError:
            continue
        for name in names:
            candidate = os.path.join(base, name, "site-packages")
            if name.startswith(("python", "pypy")) and os.path.isdir(candidate):
                found.append(candidate)
    return list(dict.fromkeys(found))


def scripts_dir(path: str) -> str:
    """The env's scripts folder, e.g. '/env/bin'; '/env/Scripts' for an env made on Windows."""
    if not os.path.isdir(os.path.join(path, "bin")) and os.path.isdir(
        os.path.join(path, "Scripts")
    ):
        return os.path.join(path, "Scripts")
    return os.path.join(path, "bin")


def python_of(path: str) -> str:
    """The env's own python, e.g. '/env/bin/python' ('/env/Scripts/python.exe' on Windows)."""
    folder = scripts_dir(path)
    return python_in(folder, windows=os.path.basename(folder) == "Scripts")


def python_in(bin_dir: str, *, windows: bool) -> str:
    """The python of the env whose scripts folder is ``bin_dir``, e.g. '/env/bin/python'."""
    return os.path.join(bin_dir, "python.exe" if windows else "python")


def is_environment(path: str) -> bool:
    """True for a directory holding a pyvenv.cfg (a venv, virtualenv, uv or burrow env)."""
    return os.path.isfile(os.path.join(path, CONFIG_NAME))


def same_env(one: str, other: str) -> bool:
    """Whether two paths name the same env directory; False when either is gone."""
    try:
        return os.path.samefile(one, other)
    except OSError:  # one of them vanished meanwhile
        return False


def quote_prompt(prompt: str) -> str:
    """How venv writes the prompt into pyvenv.cfg: a Python repr, e.g. "'my app'"."""
    return repr(prompt)


def unquote_prompt(value: str) -> str:
    """The prompt from its pyvenv.cfg form; tolerates an unquoted value from other tools."""
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        import ast

        try:
            result = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            return value
        if isinstance(result, str):
            return result
    return value


def render_config(
    python: PythonInfo,
    *,
    system_site_packages: bool,
    prompt: Optional[str],
    command: str,
    version: str,
    extra: Optional[Mapping[str, str]] = None,
) -> str:
    """The text of pyvenv.cfg; every key venv writes, plus ``burrow = <version>``."""
    base = python.base_executable
    lines = [
        f"home = {os.path.dirname(base)}",
        f"include-system-site-packages = {'true' if system_site_packages else 'false'}",
        f"version = {python.version_str}",
        f"executable = {os.path.realpath(base)}",
        f"command = {command}",
    ]
    if prompt is not None:
        lines.append(f"prompt = {quote_prompt(prompt)}")
    lines.append(f"burrow = {version}")
    lines.extend(f"{key} = {value}" for key, value in (extra or {}).items())
    for line in lines:
        if "\n" in line or "\r" in line:
            raise TargetError("a path or prompt with a line break cannot go into pyvenv.cfg")
    return "\n".join(lines) + "\n"
