"""A lock: the exact packages to install for one target interpreter, with their hashes.

`read_lock(["requirements.txt"], [], info)` reads pip-format locks (what
`pip-compile --generate-hashes`, `uv pip compile --generate-hashes` and `pip freeze`
write) and PEP 751 `pylock.toml` files, evaluates their markers for the target, and
refuses what is not a lock with one line naming the file and line.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Dict, List, Optional, Sequence

from burrow._fast import getLogger
from burrow.errors import LockError, UnpinnedError
from burrow.packages.pins import Lock, Pin, PinFile

__all__ = ["Lock", "Pin", "PinFile", "header_warning", "is_pylock", "read_lock"]

if TYPE_CHECKING:
    from collections.abc import Mapping

    from burrow.interpreter import PythonInfo
    from burrow.packages.requirements import Line

logger = getLogger(__name__)


def is_pylock(path: str | os.PathLike[str]) -> bool:
    """PEP 751 names: pylock.toml or pylock.<name>.toml."""
    name = os.path.basename(os.fspath(path))
    return name == "pylock.toml" or (name.startswith("pylock.") and name.endswith(".toml"))


def read_lock(
    paths: Sequence[str | os.PathLike[str]],
    constraints: Sequence[str | os.PathLike[str]] = (),
    info: PythonInfo | None = None,
    environ: Mapping[str, str] | None = None,
) -> Lock:
    """The pins of `paths` (requirements files, or one pylock.toml) for the target `info`.

    Raises UnpinnedError for a requirement naming a range (the resolver handles those)
    and LockError for anything else a lock must not have, a pin outside a constraint
    included: pip's configured ones (`constraint`, `PIP_CONSTRAINT`) hold as `-c` files.
    """
    from burrow.packages.pipconfig import pip_constraints

    if info is None:
        import sys

        from burrow.interpreter import inspect

        info = inspect(sys.executable)
    if not paths:
        raise LockError("no lock file given")
    pylocks = [os.fspath(p) for p in paths if is_pylock(p)]
    if pylocks:
        if len(paths) > 1 or constraints:
            raise LockError(f"{pylocks[0]}: a pylock.toml is a whole lock; give it alone")
        from burrow.packages.pylock import read_pylock

        lock = read_pylock(pylocks[0], info)
        configured = pip_constraints(environ)
        if configured:
            lines = _constraint_lines(configured, info, environ)
            lock = lock.replace(pins=_constrain(lock.pins, lines))
        return lock
    return _read_requirements(paths, [*pip_constraints(environ), *constraints], info, environ)


def _constraint_lines(
    paths: Sequence[str], info: PythonInfo, environ: Mapping[str, str] | None
) -> List[Line]:
    """The lines of constraint files that hold for the target `info`."""
    from burrow.packages.requirements import parse_file
    from burrow.packages.tags import marker_environment

    environment = marker_environment(info)
    lines = [
        line
        for path in paths
        for line in parse_file(path, constraint=True, environ=environ).constraints
    ]
    return [line for line in lines if _applies(line, environment)]


def _read_requirements(
    paths: Sequence[str | os.PathLike[str]],
    constraint_paths: Sequence[str | os.PathLike[str]],
    info: PythonInfo,
    environ: Mapping[str, str] | None,
) -> Lock:
    from burrow.packages.requirements import FileOptions, parse_file
    from burrow.packages.tags import marker_environment

    lines: List[Line] = []
    constraints: List[Line] = []
    files: List[str] = []
    options = FileOptions.empty()
    for path, constraint in [*((p, False) for p in paths), *((p, True) for p in constraint_paths)]:
        parsed = parse_file(path, constraint=constraint, environ=environ)
        lines += parsed.requirements
        constraints += parsed.constraints
        files += parsed.files
        options.merge(parsed.options)
        warning = None if constraint else header_warning(os.fspath(path), info)
        if warning:
            logger.warning("%s", warning)

    environment = marker_environment(info)
    lines = [line for line in lines if _applies(line, environment)]
    constraints = [line for line in constraints if _applies(line, environment)]
    pins = _dedupe([_pin(line) for line in lines])
    pins = _constrain(pins, constraints)
    _check_hashes(pins, options.require_hashes)
    return Lock(pins=pins, options=options, files=files)


def _applies(line: Line, environment: Dict[str, str]) -> bool:
    if not line.marker:
        return True
    from packaging.markers import Marker

    return Marker(line.marker).evaluate({**environment, "extra": ""})


def _pin(line: Line) -> Pin:
    """A lock line as a pin: one exact version, a direct URL, or a local project."""
    from packaging.utils import canonicalize_name

    name = canonicalize_name(line.name) if line.name else None
    version: Optional[str] = None
    if line.url is not None:
        version = _version_of_file(line.url)
        if version is None and not (line.path and os.path.isdir(line.path)) and name is None:
            raise LockError(
                f"{line.origin}: cannot tell the project of {line.text!r}; write it as "
                "'name @ URL' or add #egg=name"
            )
    else:
        version = _exact_version(line)
    return Pin(
        name=name,
        version=version,
        hashes={algorithm: list(digests) for algorithm, digests in line.hashes.items()},
        url=line.url,
        path=line.path,
        editable=line.editable,
        extras=line.extras,
        origin=line.origin,
    )


def _exact_version(line: Line) -> str:
    from burrow.packages.requirements import is_pinned

    if not is_pinned(line):
        what = f"{line.name}{line.specifier}" if line.specifier else f"{line.name}"
        raise UnpinnedError(
            f"{line.origin}: {what!r} is not pinned to one version (a lock has name==version "
            "on every line: make one with `burrow lock -r FILE -o LOCK`, or add unpinned "
            "requirements with `burrow install -r FILE`)"
        )
    spec = line.specifier.strip()
    version = spec[3:].strip() if spec.startswith("===") else spec[2:].strip()
    if not version:
        raise LockError(f"{line.origin}: {line.text!r} names no version")
    return version


def _version_of_file(url: str) -> Optional[str]:
    """The version in a wheel's or sdist's file name, else None (a directory, an odd name)."""
    from urllib.parse import unquote, urlsplit

    from packaging.utils import (
        InvalidSdistFilename,
        InvalidWheelFilename,
        parse_sdist_filename,
        parse_wheel_filename,
    )

    filename = unquote(urlsplit(url).path.rsplit("/", 1)[-1])
    try:
        if filename.endswith(".whl"):
            return str(parse_wheel_filename(filename)[1])
        if filename.endswith((".tar.gz", ".zip")):
            return str(parse_sdist_filename(filename)[1])
    except (InvalidWheelFilename, InvalidSdistFilename):
        return None
    return None


def _dedupe(pins: List[Pin]) -> List[Pin]:
    """One pin per project: a repeated identical pin is merged, a different one refused."""
    by_name: Dict[str, int] = {}
    kept: List[Pin] = []
    for pin in pins:
        if pin.name is None:
            kept.append(pin)
            continue
        index = by_name.get(pin.name)
        if index is None:
            by_name[pin.name] = len(kept)
            kept.append(pin)
            continue
        first = kept[index]
        if (first.version, first.url, first.editable) != (pin.version, pin.url, pin.editable):
            raise LockError(
                f"{pin.origin}: {pin.name} is locked twice, differently ({first} at "
                f"{first.origin}, {pin} here)"
            )
        hashes = {k: list(v) for k, v in first.hashes.items()}
        for algorithm, digests in pin.hashes.items():
            hashes.setdefault(algorithm, [])
            hashes[algorithm] += [d for d in digests if d not in hashes[algorithm]]
        extras = tuple(sorted({*first.extras, *pin.extras}))
        kept[index] = first.replace(hashes=hashes, extras=extras)
    return kept


def _constrain(pins: List[Pin], constraints: List[Line]) -> List[Pin]:
    """Check each pin against the constraints naming it; a hash-less pin takes theirs."""
    from packaging.specifiers import SpecifierSet
    from packaging.utils import canonicalize_name

    by_name: Dict[str, List[Line]] = {}
    for line in constraints:
        if line.name is None:
            raise LockError(f"{line.origin}: a constraint needs a project name: {line.text!r}")
        by_name.setdefault(canonicalize_name(line.name), []).append(line)
    result = []
    for pin in pins:
        for line in by_name.get(pin.name or "", []):
            allowed = SpecifierSet(line.specifier)
            if pin.version is not None and not allowed.contains(pin.version, prereleases=True):
                raise LockError(
                    f"{pin.origin}: {pin} is outside the constraint "
                    f"{line.name}{line.specifier} ({line.origin})"
                )
            if line.url is not None and line.url != pin.url:
                raise LockError(
                    f"{pin.origin}: {pin} is not the file the constraint at {line.origin} names"
                )
            if line.hashes and not pin.hashes:
                pin = pin.replace(hashes={k: list(v) for k, v in line.hashes.items()})
        result.append(pin)
    return result


def _check_hashes(pins: List[Pin], required: bool) -> None:
    """All or none: once one downloadable pin has a hash, each one needs one."""
    downloadable = [pin for pin in pins if not pin.is_local_project]
    with_hash = [pin for pin in downloadable if pin.hashes]
    if not with_hash and not required:
        return
    for pin in downloadable:
        if not pin.hashes:
            why = (
                "--require-hashes is set"
                if not with_hash
                else f"other lines have one, e.g. {with_hash[0].origin}"
            )
            raise LockError(f"{pin.origin}: {pin} has no --hash, but {why}")


def header_warning(path: str, info: PythonInfo) -> Optional[str]:
    """What to warn when a pip-compile or uv header says the lock was made for another
    Python, e.g. 'requirements.lock was made for Python 3.11; installing it for …'."""
    import re

    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            head = "".join(handle.readline() for _ in range(8))
    except OSError:
        return None
    found = re.search(r"^#.*(?:with Python|--python-version[= ])\s*(3\.\d+)", head, re.M)
    if found is None:
        return None
    mine = "{}.{}".format(*info.version[:2])
    if found.group(1) == mine:
        return None
    return f"{path} was made for Python {found.group(1)}; installing it for Python {mine}"
