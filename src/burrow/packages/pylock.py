"""PEP 751 `pylock.toml`: the standard lock file.

`dumps(resolution, hashes)` writes one for a resolution; every file of each pinned
version is listed (wheels for every platform, and the sdist) with its sha256.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Dict, List

if TYPE_CHECKING:
    from burrow.packages.index import Link
    from burrow.packages.resolve import Pin, Resolution


def dumps(resolution: Resolution, hashes: Dict[str, List[str]]) -> str:
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


def _files(pin: Pin, digests: set[str]) -> List[str]:
    from urllib.parse import urlsplit

    from burrow.packages.index import _file_path

    found: List[str] = []
    if pin.url is not None:
        link = pin.links[0]
        found.append("")
        found.append("[packages.archive]")
        if urlsplit(link.url).scheme == "file":
            found.append(f"path = {_string(str(_file_path(link.url)))}")
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

    from burrow.packages.index import _file_path

    lines = [f"name = {_string(link.filename)}"]
    if urlsplit(link.url).scheme == "file":
        lines.append(f"path = {_string(str(_file_path(link.url)))}")
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
