"""An environment on disk: its pyvenv.cfg and the paths inside it."""

from __future__ import annotations

import os

from burrow._fast import Record
from burrow.errors import TargetError
from burrow.layout import CONFIG_NAME

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Dict, Mapping, Optional

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
        return os.path.join(self.bin_dir, "python.exe" if self.layout.windows else "python")

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


def is_environment(path: str) -> bool:
    """True for a directory holding a pyvenv.cfg (a venv, virtualenv, uv or burrow env)."""
    return os.path.isfile(os.path.join(path, CONFIG_NAME))


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
