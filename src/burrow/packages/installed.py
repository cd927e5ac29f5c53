"""What an env has installed, read from its ``*.dist-info`` dirs, and removing one by its RECORD."""

from __future__ import annotations

import os

from burrow._fast import Record, getLogger
from burrow.errors import BurrowError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Dict, List, Optional, Set

log = getLogger(__name__)


class Dist(Record):
    """An installed distribution, e.g. Dist(name='requests', version='2.32.3', ...)."""

    name: str  # canonical (PEP 503): lower case, runs of -_. as one '-'
    version: str
    dist_info: str  # absolute path of its .dist-info dir

    @property
    def installer(self) -> str:
        """Who installed it: 'burrow', 'pip', 'uv', or '' when unknown."""
        return _read_text(os.path.join(self.dist_info, "INSTALLER")).strip()

    @property
    def requested(self) -> bool:
        return os.path.exists(os.path.join(self.dist_info, "REQUESTED"))

    @property
    def direct_url(self) -> Optional[str]:
        """The PEP 610 URL it was installed from, or None for an index install."""
        import json

        text = _read_text(os.path.join(self.dist_info, "direct_url.json"))
        try:
            data = json.loads(text) if text else None
        except ValueError:
            return None
        return data.get("url") if isinstance(data, dict) else None


def canonical_name(name: str) -> str:
    """'Foo_Bar.baz' -> 'foo-bar-baz' (PEP 503: each run of -_. as one '-').

    Without ``re``: a sync with nothing to do does not import it.
    """
    name = name.lower().replace("_", "-").replace(".", "-")
    while "--" in name:
        name = name.replace("--", "-")
    return name


def scan(site: str) -> Dict[str, Dist]:
    """The dists in one site-packages dir by canonical name: one listdir, no file read."""
    found: Dict[str, Dist] = {}
    try:
        names = os.listdir(site)
    except FileNotFoundError:
        return found
    for entry in names:
        if not entry.endswith(".dist-info"):
            continue
        name, sep, version = entry[: -len(".dist-info")].partition("-")
        if not sep:
            continue
        found[canonical_name(name)] = Dist(
            name=canonical_name(name), version=version, dist_info=os.path.join(site, entry)
        )
    return found


def record_paths(dist: Dist) -> List[str]:
    """The paths RECORD lists, relative to site-packages as written ('../../../bin/x')."""
    import csv

    path = os.path.join(dist.dist_info, "RECORD")
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            return [row[0] for row in csv.reader(handle) if row]
    except OSError as exc:
        raise BurrowError(
            f"cannot remove {dist.name} {dist.version}: its RECORD is unreadable ({exc.strerror})"
        ) from None


def remove(dist: Dist, env_root: str, *, alias: Optional[str] = None) -> List[str]:
    """Delete the files ``dist``'s RECORD lists (and their bytecode), then its dist-info.

    Only files inside ``env_root``: a RECORD naming anything outside is not followed
    (absolute paths under ``alias``, the env's final place when ``env_root`` is a copy
    of it, are taken as inside).
    Directories left empty are removed; one another dist still uses stays. Unlinking
    never touches the data of a file shared with the cache or another env.
    Returns the paths removed.
    """
    site = os.path.dirname(dist.dist_info)
    inside = os.path.join(os.path.realpath(env_root), "")
    real_site = os.path.realpath(site)
    removed: List[str] = []
    folders: Set[str] = set()
    other = os.path.join(alias, "") if alias else None
    for rel in record_paths(dist):
        if other and os.path.isabs(rel) and rel.startswith(other):
            rel = os.path.join(os.path.realpath(env_root), rel[len(other) :])
        path = os.path.normpath(os.path.join(real_site, rel))
        if not path.startswith(inside):
            log.warning("%s's RECORD names %s, outside the env: left alone", dist.name, rel)
            continue
        candidates = [path]
        if path.endswith(".py"):
            folder, base = os.path.split(path)
            cache = os.path.join(folder, "__pycache__")
            stem = base[:-3] + "."
            try:
                candidates += [
                    os.path.join(cache, n) for n in os.listdir(cache) if n.startswith(stem)
                ]
            except OSError:
                pass
        for candidate in candidates:
            try:
                os.unlink(candidate)
            except FileNotFoundError:
                continue
            except IsADirectoryError:
                continue
            removed.append(candidate)
            folders.add(os.path.dirname(candidate))
    from burrow import fs

    fs.remove_tree(dist.dist_info)
    _prune(folders, real_site, inside)
    return removed


def _prune(folders: Set[str], site: str, inside: str) -> None:
    """Remove the emptied folders, deepest first; never site-packages, a folder above it,
    or a top-level folder of the env (``include/`` stays, empty as venv makes it)."""
    root = inside.rstrip(os.sep)
    for folder in sorted(folders, key=len, reverse=True):
        while (
            folder.startswith(inside)
            and os.path.dirname(folder) != root
            and not os.path.join(site, "").startswith(os.path.join(folder, ""))
        ):
            try:
                os.rmdir(folder)
            except OSError:  # not empty, or gone
                break
            folder = os.path.dirname(folder)


def _read_text(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError):
        return ""
