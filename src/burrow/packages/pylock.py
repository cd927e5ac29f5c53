"""PEP 751 lock files (`pylock.toml`): read into pins for one target, and written.

`read_pylock("pylock.toml", info)` keeps the packages whose markers hold for the target,
each with the exact files the lock lists (wheels, sdist, archive) or its directory.
`dumps(resolution, hashes)` writes one for a resolution; every file of each pinned
version is listed (wheels for every platform, and the sdist) with its sha256.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any, Dict, List, Optional

from burrow.errors import LockError
from burrow.packages import tomlfile
from burrow.packages.requirement_text import path_to_url

if TYPE_CHECKING:
    from burrow.interpreter import PythonInfo
    from burrow.packages import resolve
    from burrow.packages.pages import Link
    from burrow.packages.pins import Lock, Pin, PinFile

# --------------------------------------------------------------------------- reading


def read_pylock(path: str | os.PathLike[str], info: PythonInfo) -> Lock:
    """The pins of a pylock.toml for the target `info` (default groups, no extras)."""
    from burrow.packages.pins import Lock
    from burrow.packages.requirements import FileOptions

    where = os.fspath(path)
    data = tomlfile.load(where)
    version = str(data.get("lock-version", ""))
    if not version.startswith("1."):
        raise LockError(f"{where}: lock-version {version or '(missing)'} is not 1.x")
    environment = _environment(info, data, where)
    requires_python = data.get("requires-python")
    if isinstance(requires_python, str) and not _python_ok(requires_python, info):
        raise LockError(
            f"{where}: the lock is for Python {requires_python}, not {info.version_str}"
        )
    environments = data.get("environments")
    if (
        isinstance(environments, list)
        and environments
        and not any(_holds(str(m), environment, where) for m in environments)
    ):
        raise LockError(
            f"{where}: the lock is for other environments ({'; '.join(environments)}), "
            f"not {info.name} on {info.platform}"
        )
    packages = data.get("packages", [])
    if not isinstance(packages, list):
        raise LockError(f"{where}: 'packages' is not an array of tables")
    base = os.path.dirname(os.path.abspath(where))
    pins = []
    for index, package in enumerate(packages):
        origin = f"{where}:packages[{index}]"
        if not isinstance(package, dict):
            raise LockError(f"{origin}: not a table")
        marker = package.get("marker")
        if isinstance(marker, str) and not _holds(marker, environment, origin):
            continue
        pins.append(_pin(package, origin, base, info))
    return Lock(pins=pins, options=FileOptions.empty(), files=[where])


def _environment(info: PythonInfo, data: Dict[str, Any], where: str) -> Dict[str, Any]:
    from burrow.packages.tags import marker_environment

    groups = data.get("default-groups", [])
    if not isinstance(groups, list):
        raise LockError(f"{where}: default-groups is not an array")
    return {
        **marker_environment(info),
        "extra": "",
        "extras": frozenset(),
        "dependency_groups": frozenset(str(g) for g in groups),
    }


def _holds(marker: str, environment: Dict[str, Any], origin: str) -> bool:
    from packaging.markers import InvalidMarker, Marker, UndefinedEnvironmentName

    try:
        parsed = Marker(marker)
    except InvalidMarker as exc:
        raise LockError(
            f"{origin}: invalid marker {marker!r}: {str(exc).splitlines()[0]}"
        ) from None
    try:
        return bool(parsed.evaluate(environment, "lock_file"))  # type: ignore[call-arg,arg-type,unused-ignore]
    except TypeError:  # packaging < 25 knows no evaluation context, nor extras as a set
        plain = {k: v for k, v in environment.items() if isinstance(v, str)}
        try:
            return bool(parsed.evaluate(plain))
        except UndefinedEnvironmentName as exc:
            raise LockError(f"{origin}: marker {marker!r} needs a newer packaging: {exc}") from None


def _python_ok(spec: str, info: PythonInfo) -> bool:
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    try:
        return SpecifierSet(spec).contains(info.version_str, prereleases=True)
    except InvalidSpecifier:
        raise LockError(f"invalid requires-python {spec!r}") from None


def _pin(package: Dict[str, Any], origin: str, base: str, info: PythonInfo) -> Pin:
    from packaging.utils import canonicalize_name

    from burrow.packages.pins import Pin

    name = package.get("name")
    if not isinstance(name, str) or not name:
        raise LockError(f"{origin}: a package needs a name")
    canonical = canonicalize_name(name)
    origin = f"{origin} ({canonical})"
    version = package.get("version")
    if version is not None and not isinstance(version, str):
        raise LockError(f"{origin}: version is not a string")
    requires_python = package.get("requires-python")
    if isinstance(requires_python, str) and not _python_ok(requires_python, info):
        raise LockError(
            f"{origin}: {canonical} {version or '(any version)'} needs Python {requires_python}, "
            f"not {info.version_str}"
        )
    if "vcs" in package:
        raise LockError(f"{origin}: VCS packages are not supported")
    directory = package.get("directory")
    if isinstance(directory, dict):
        project = _local_path(directory, origin, base)
        return Pin(name=canonical, version=version, hashes={}, path=project,
                   url=path_to_url(project), editable=bool(directory.get("editable", False)),
                   origin=origin)  # fmt: skip
    files: List[PinFile] = []
    for wheel in package.get("wheels", []) or []:
        files.append(_file(wheel, origin, base, "wheel"))
    for key in ("sdist", "archive"):
        entry = package.get(key)
        if isinstance(entry, dict):
            files.append(_file(entry, origin, base, key))
    if not files:
        raise LockError(f"{origin}: {canonical} lists no wheels, sdist, archive or directory")
    if version is None and any(f.filename.endswith(".whl") for f in files):
        from packaging.utils import parse_wheel_filename

        wheel_file = next(f for f in files if f.filename.endswith(".whl"))
        version = str(parse_wheel_filename(wheel_file.filename)[1])
    hashes: Dict[str, List[str]] = {}
    for item in files:
        for algorithm, digest in item.hashes.items():
            hashes.setdefault(algorithm, []).append(digest)
    archive = package.get("archive")
    url: Optional[str] = None
    path: Optional[str] = None
    if isinstance(archive, dict):  # a direct reference: the archive is the one file
        url, path = files[-1].url, files[-1].path
        if path is not None:
            url = path_to_url(path)
    return Pin(name=canonical, version=version, hashes=hashes, url=url, path=path,
               origin=origin, files=tuple(files))  # fmt: skip


def _file(entry: Any, origin: str, base: str, kind: str) -> PinFile:
    from urllib.parse import unquote, urlsplit

    from burrow.packages.pins import PinFile

    if not isinstance(entry, dict):
        raise LockError(f"{origin}: a {kind} entry is not a table")
    url = entry.get("url")
    path = _local_path(entry, origin, base) if "path" in entry else None
    if url is None and path is None:
        raise LockError(f"{origin}: a {kind} entry has neither url nor path")
    filename = entry.get("name")
    if not isinstance(filename, str) or not filename:
        source = str(url) if url is not None else str(path)
        filename = (
            unquote(urlsplit(source).path.rsplit("/", 1)[-1]) if url else os.path.basename(source)
        )
    hashes = entry.get("hashes")
    if not isinstance(hashes, dict) or not hashes:
        raise LockError(f"{origin}: the {kind} {filename} has no hashes")
    size = entry.get("size")
    return PinFile(
        filename=filename,
        url=str(url) if url is not None else None,
        path=path,
        hashes={str(k).lower(): str(v).lower() for k, v in hashes.items()},
        size=size if isinstance(size, int) else None,
    )


def _local_path(entry: Dict[str, Any], origin: str, base: str) -> str:
    path = entry.get("path")
    if not isinstance(path, str) or not path:
        raise LockError(f"{origin}: path is not a string")
    return os.path.normpath(os.path.join(base, path))


# --------------------------------------------------------------------------- writing


def dumps(resolution: resolve.Resolution, hashes: Dict[str, List[str]]) -> str:
    """The text of a pylock.toml for `resolution` (`hashes`: name -> sha256 digests)."""
    major_minor = ".".join(resolution.python.split(".")[:2])
    lines = [
        'lock-version = "1.0"',
        f"requires-python = {_string('==' + major_minor + '.*')}",
        'created-by = "burrow"',
    ]
    for pin in resolution.pins:
        lines += ["", "[[packages]]", f"name = {_string(pin.key)}"]
        if pin.url is None:
            lines.append(f"version = {_string(pin.version)}")
        lines += _files(pin, set(hashes.get(pin.key, [])))
    return "\n".join(lines) + "\n"


def _files(pin: resolve.Pin, digests: set[str]) -> List[str]:
    from urllib.parse import urlsplit

    from burrow.packages.urls import file_path

    found: List[str] = []
    if pin.editable and pin.url is not None:
        path = str(file_path(pin.url))
        return ["", "[packages.directory]", f"path = {_string(path)}", "editable = true"]
    if pin.url is not None:
        link = pin.links[0]
        found.append("")
        found.append("[packages.archive]")
        if urlsplit(link.url).scheme == "file":
            found.append(f"path = {_string(str(file_path(link.url)))}")
        else:
            found.append(f"url = {_string(link.url)}")
        found.append(f"hashes = {_hashes(link, digests)}")
        return found
    wheels = [link for link in pin.links if link.is_wheel]
    sdists = [link for link in pin.links if not link.is_wheel]
    if sdists:
        found += ["", "[packages.sdist]", *_location(sdists[0], digests)]
    for link in wheels:
        found += ["", "[[packages.wheels]]", *_location(link, digests)]
    return found


def _location(link: Link, digests: set[str]) -> List[str]:
    from urllib.parse import urlsplit

    from burrow.packages.urls import file_path

    lines = [f"name = {_string(link.filename)}"]
    if urlsplit(link.url).scheme == "file":
        lines.append(f"path = {_string(str(file_path(link.url)))}")
    else:
        lines.append(f"url = {_string(link.url)}")
    lines.append(f"hashes = {_hashes(link, digests)}")
    return lines


def _hashes(link: Link, digests: set[str]) -> str:
    digest = link.sha256
    if digest is None and len(digests) == 1:
        digest = next(iter(digests))
    return "{}" if digest is None else f"{{sha256 = {_string(digest)}}}"


def _string(text: str) -> str:
    """A TOML basic string; JSON's escapes are TOML's for everything JSON escapes."""
    return json.dumps(text, ensure_ascii=False)
