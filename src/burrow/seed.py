"""Seeding pip (and optionally setuptools, wheel) into a new environment.

Which pip: the newest found offline (ensurepip's bundled wheel, the distro's, wheels
fetched earlier, PIP_FIND_LINKS), or one fetched from the index. Its cache entry is the
package cache's (``packages/cache.py``: unpacked and byte-compiled once per interpreter),
kept by name and version instead of sha256 so that a warm create reads no wheel; it is
linked like any package (``packages/linking.py``). The warm path imports nothing heavy
and starts no process; the cold path (unpack, compile, download) may.
"""

from __future__ import annotations

import os

from burrow import dirs
from burrow._fast import Record, getLogger
from burrow.errors import SeedError
from burrow.packages.cache import TRASH_STEM, DamagedEntry, Entry, load_entry, sweep_staging
from burrow.packages.linking import link_entry
from burrow.packages.versions import same_version

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

    from burrow.interpreter import PythonInfo
    from burrow.layout import Layout

log = getLogger(__name__)

#: Bump when the layout of a cache entry changes (``packages.cache.ENTRY_FORMAT`` too):
#: entries of older layouts are then ignored.
ENTRY_FORMAT = 3
SYSTEM_WHEEL_DIRS = ("/usr/share/python-wheels",)  # Debian and Fedora ship pip wheels here


class SeedRequest(Record):
    """One package to seed: version is 'bundle', 'latest' or an exact version like '24.3.1'."""

    name: str
    version: str = "bundle"


class Candidate(Record):
    """A version of a package available offline: an unpacked cache entry or a wheel file."""

    version: str
    entry: Optional[str] = None
    wheel: Optional[str] = None


# --- finding what is available offline ---------------------------------------------


def seed_root() -> str:
    return os.path.join(dirs.private_cache_dir(), "seed", f"v{ENTRY_FORMAT}")


def wheel_store() -> str:
    """Where wheels fetched from an index are kept for later offline use."""
    return os.path.join(dirs.private_cache_dir(), "wheels")


def _tag_dir(info: PythonInfo) -> str:
    suffix = "t" if info.free_threaded else ""
    return os.path.join(seed_root(), f"{info.cache_tag}{suffix}")


def wheel_dirs(info: PythonInfo, environ: Mapping[str, str]) -> List[str]:
    """Directories searched for wheels, e.g. [<stdlib>/ensurepip/_bundled, <cache>/wheels]."""
    found = [info.ensurepip_bundled, *SYSTEM_WHEEL_DIRS, wheel_store()]
    for item in environ.get("PIP_FIND_LINKS", "").split():
        if item.startswith("file://"):
            from urllib.parse import unquote, urlparse

            item = unquote(urlparse(item).path)
        if "://" not in item:
            found.append(item)
    return found


def _split_wheel_name(filename: str) -> Optional[Tuple[str, str]]:
    """'pip-24.3.1-py3-none-any.whl' -> ('pip', '24.3.1'); None for anything else."""
    if not filename.endswith(".whl"):
        return None
    parts = filename[:-4].split("-")
    if len(parts) not in (5, 6):
        return None
    return parts[0].lower().replace("_", "-").replace(".", "-"), parts[1]


def _is_universal(filename: str) -> bool:
    """Pure-Python wheels for Python 3 only: seed packages are never compiled."""
    python_tags, abi, platform = filename[:-4].split("-")[-3:]
    return "py3" in python_tags.split(".") and abi == "none" and platform == "any"


def offline_candidates(name: str, info: PythonInfo, environ: Mapping[str, str]) -> List[Candidate]:
    """Every version of ``name`` usable offline, newest first; cache entries before wheels."""
    found: List[Candidate] = []
    tag_dir = _tag_dir(info)
    prefix = f"{name}-"
    leftovers = False
    try:
        with os.scandir(tag_dir) as entries:
            for item in entries:
                # A symlink is not an entry burrow made: never link from where it points.
                if item.name.startswith(prefix) and item.is_dir(follow_symlinks=False):
                    found.append(Candidate(version=item.name[len(prefix) :], entry=item.path))
                leftovers = leftovers or item.name.startswith((".build-", TRASH_STEM))
    except OSError:
        pass
    if leftovers:  # a killed run's staging or trash: cleaned on the next run
        sweep_staging(tag_dir, ".build-")
    for folder in wheel_dirs(info, environ):
        try:
            with os.scandir(folder) as entries:
                for item in entries:
                    split = _split_wheel_name(item.name)
                    if split and split[0] == name and _is_universal(item.name):
                        found.append(Candidate(version=split[1], wheel=item.path))
        except OSError:
            continue
    keys = _version_keys([c.version for c in found])
    # Newest first; for one version, a ready cache entry before a wheel to unpack.
    found.sort(key=lambda c: (keys[c.version], c.entry is not None), reverse=True)
    return found


def _version_keys(versions: Sequence[str]) -> Dict[str, Any]:
    """Sort keys for versions: plain int tuples when all are releases (no import needed)."""
    if all(part.isdigit() for v in versions for part in v.split(".")):
        return {v: tuple(int(part) for part in v.split(".")) for v in versions}
    from packaging.version import InvalidVersion, Version

    keys: Dict[str, Any] = {}
    for v in versions:
        try:
            keys[v] = (1, Version(v))
        except InvalidVersion:
            keys[v] = (0, Version("0"))
    return keys


# --- the cache entry -----------------------------------------------------------------


def build_entry(wheel: str, name: str, version: str, info: PythonInfo) -> Entry:
    """Unpack and byte-compile ``wheel`` into the seed cache (once, under a lock): the
    package cache's entry, kept by name and version so that a warm create hashes nothing.

    In a ``create -r``, it is compiled behind the create with the packages it builds
    (``packages/behind.py``); a plain create compiles it before it returns.
    """
    from burrow.errors import PackageError
    from burrow.packages.behind import later, queueing
    from burrow.packages.cache import build_entry as build

    place = os.path.join(_tag_dir(info), f"{name}-{version}")
    try:
        entry = build(wheel, None, info, at=place, bytecode=not queueing())
    except PackageError as exc:
        raise SeedError(str(exc)) from None
    later([entry], info)
    for kind in ("headers", "data"):
        if kind in entry.manifest["spill"]:
            raise SeedError(
                f"{os.path.basename(wheel)} installs {kind} files; burrow seeds only plain packages"
            )
    return entry


# --- resolving a request to a cache entry ----------------------------------------------


def resolve(request: SeedRequest, info: PythonInfo, environ: Mapping[str, str]) -> Entry:
    """The cache entry to link for ``request``, building or fetching it when needed."""
    name, wanted = request.name, request.version
    if wanted == "bundle":
        candidates = offline_candidates(name, info, environ)
    elif wanted == "latest":
        candidates = [_fetch(name, info, None)]
    else:
        candidates = [
            c for c in offline_candidates(name, info, environ) if same_version(c.version, wanted)
        ]
        if not candidates:
            candidates = [_fetch(name, info, wanted)]
    for candidate in candidates:
        entry = _entry_for(candidate, name, info, environ)
        if entry is not None:
            return entry
    if wanted == "bundle":
        where = ", ".join(wheel_dirs(info, environ))
        raise SeedError(
            f"no {name} wheel for {info.name} found offline (looked in {where}); "
            f"use --{name} latest to fetch one, or --without-pip"
        )
    raise SeedError(f"{name} {wanted} cannot be installed into {info.name}")


def _entry_for(
    candidate: Candidate, name: str, info: PythonInfo, environ: Mapping[str, str]
) -> Optional[Entry]:
    if candidate.entry is not None:
        try:
            entry = load_entry(candidate.entry)
        except DamagedEntry as exc:
            log.info("rebuilding damaged cache entry: %s", exc)
            wheel = next(
                (
                    c.wheel
                    for c in offline_candidates(name, info, environ)
                    if c.wheel is not None and same_version(c.version, candidate.version)
                ),
                None,
            )
            if wheel is None:
                return None
            return build_entry(wheel, name, candidate.version, info)
        if not entry.compiled:  # its compile behind a create -r was stopped: queued again
            from burrow.packages.behind import later

            later([entry], info)
        return entry
    if candidate.wheel is None or not _python_allowed(candidate.wheel, info):
        return None
    return build_entry(candidate.wheel, name, candidate.version, info)


def _python_allowed(wheel: str, info: PythonInfo) -> bool:
    """Whether the wheel's Requires-Python admits the target (read from the wheel)."""
    import zipfile

    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    try:
        with zipfile.ZipFile(wheel) as archive:
            name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
            header = archive.read(name).decode("utf-8", "replace").split("\n\n", 1)[0]
    except (OSError, zipfile.BadZipFile, StopIteration):
        log.warning("ignoring unreadable wheel %s", wheel)
        return False
    for line in header.splitlines():
        key, _, value = line.partition(":")
        if key.lower() == "requires-python":
            try:
                return SpecifierSet(value.strip()).contains(info.version_str, prereleases=True)
            except InvalidSpecifier:
                return False
    return True


def _fetch(name: str, info: PythonInfo, version: Optional[str]) -> Candidate:
    """Download ``name`` (newest, or ``version``) from the configured index, hash checked."""
    from pathlib import Path

    from burrow.packages import download, index, pipconfig

    config = pipconfig.pip_config()
    link = index.best_wheel(name, config, python_version=info.version, version=version)
    wheels = wheel_store()
    os.makedirs(wheels, exist_ok=True)
    existing = os.path.join(wheels, link.filename)
    if not os.path.isfile(existing):
        existing = str(download.download(link, Path(wheels), config))
    return Candidate(version=link.version, wheel=existing)


# --- linking an entry into an environment ----------------------------------------------


def install(
    entry: Entry,
    build_root: str,
    layout: Layout,
    *,
    final_root: str,
    info: PythonInfo,
    relocatable: bool,
) -> None:
    """Link ``entry`` into the env being built at ``build_root`` (to live at ``final_root``),
    as any package is: DamagedEntry when a cached file is missing or changed."""
    link_entry(entry, build_root, layout, final_root=final_root, info=info, relocatable=relocatable)
