"""A project's own requirements, read from its ``pyproject.toml`` (PEP 621's ``[project]``
table), as ``pip-compile pyproject.toml`` and ``uv pip compile pyproject.toml`` read them.

``requirements("pyproject.toml", ["dev"])`` gives ``[(9, "requests>=2"), (13, "pytest")]``:
each dependency (and those of the optional groups named) with the line it is written on.
The project itself is not among them: a lock of its dependencies is what is asked for.
"""

from __future__ import annotations

from burrow.errors import LockError
from burrow.packages import tomlfile

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, List, Sequence, Tuple

NAME = "pyproject.toml"


def is_pyproject(location: str) -> bool:
    """Whether a requirements source is a project's pyproject.toml, read by its tables."""
    import os

    return os.path.basename(location) == NAME


def requirements(path: str, extras: Sequence[str] = ()) -> List[Tuple[int, str]]:
    """(line, PEP 508 text) of the project's dependencies and of its ``extras`` groups."""
    project = _project(path)
    dynamic = project.get("dynamic", [])
    wanted = [("dependencies", project.get("dependencies", []))]
    if extras:
        groups = _groups(project, path)
        for extra in extras:
            key = _normal(extra)
            if key not in groups:
                if "optional-dependencies" in dynamic:
                    raise LockError(f"{path}: its optional dependencies are dynamic, {_DYNAMIC}")
                have = ", ".join(sorted(groups)) or "none"
                raise LockError(f"{path}: no optional dependencies {extra!r} (it has: {have})")
            wanted.append((f"optional-dependencies.{extra}", groups[key]))
    if "dependencies" in dynamic:
        raise LockError(f"{path}: the project's dependencies are dynamic, {_DYNAMIC}")
    with open(path, encoding="utf-8", errors="replace") as handle:
        text = handle.read()
    found: List[Tuple[int, str]] = []
    for where, items in wanted:
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            raise LockError(f"{path}: project.{where} is not an array of strings")
        found += [(_line_of(text, item), item) for item in items]
    return found


def extras_of(path: str) -> List[str]:
    """The names of the project's optional dependency groups (for ``--all-extras``)."""
    return sorted(_groups(_project(path), path))


_DYNAMIC = (
    "computed by its build backend: lock '-e .' from a requirements file instead, which "
    "asks the backend"
)


def _project(path: str) -> Dict[str, Any]:
    project = tomlfile.load(path).get("project")
    if not isinstance(project, dict):
        raise LockError(f"{path}: no [project] table (PEP 621) to read the dependencies from")
    return project


def _groups(project: Dict[str, Any], path: str) -> Dict[str, Any]:
    groups = project.get("optional-dependencies", {})
    if not isinstance(groups, dict):
        raise LockError(f"{path}: project.optional-dependencies is not a table")
    return {_normal(name): items for name, items in groups.items()}


def _normal(extra: str) -> str:
    """An extra's name as PEP 685 compares it: 'Dev_Tools' -> 'dev-tools'."""
    import re

    return re.sub(r"[-_.]+", "-", extra).lower()


def _line_of(text: str, item: str) -> int:
    """The line ``item`` is written on, as a TOML string in either quote; 1 if not found
    (written with escapes)."""
    for quoted in (f'"{item}"', f"'{item}'"):
        at = text.find(quoted)
        if at >= 0:
            return text.count("\n", 0, at) + 1
    return 1
