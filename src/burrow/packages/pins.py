"""What a lock pins for one target: its packages (`Pin`), their files, and the `Lock`.

The records every lock format is read into: `lockfile` (requirements files) and `pylock`
(PEP 751) both build them, and the installer takes them from either.
"""

from __future__ import annotations

import os

from burrow._fast import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Dict, List, Optional, Tuple

    from burrow.packages.pipconfig import IndexConfig
    from burrow.packages.requirements import FileOptions


class PinFile(Record, frozen=True, unhashed=("hashes",)):
    """A file a lock names for a pin (pylock.toml's wheels and sdist), e.g. a wheel's URL."""

    filename: str  # e.g. "attrs-23.1.0-py3-none-any.whl"
    url: Optional[str]
    path: Optional[str]  # absolute
    hashes: Dict[str, str]  # {"sha256": "..."}
    size: Optional[int] = None


class Pin(Record, frozen=True, unhashed=("hashes",)):
    """One package of a lock for the target, e.g. Pin(name="attrs", version="23.1.0", ...).

    `hashes` maps an algorithm to the digests the lock accepts (any file matching one is
    good). A pin from an index has neither `url` nor `path`; a direct URL has `url`; a
    local file or project directory has `path` (and its file:// `url`). `version` is None
    only for a project directory or an sdist whose version is known once it is built;
    `name` is None only for an unnamed one of those. `files` are the exact files a
    pylock.toml lists (empty for requirements files: the index is asked).
    """

    name: Optional[str]  # canonical, e.g. "typing-extensions"
    version: Optional[str]
    hashes: Dict[str, List[str]]
    url: Optional[str] = None
    path: Optional[str] = None
    editable: bool = False
    extras: Tuple[str, ...] = ()
    origin: str = ""  # "requirements.txt:12"
    requested: bool = True
    files: Tuple[PinFile, ...] = ()

    @property
    def is_local_project(self) -> bool:
        """A directory to build (or link as editable): nothing to download, no hash."""
        return self.path is not None and os.path.isdir(self.path)

    def __str__(self) -> str:
        if self.version is not None:
            return f"{self.name}=={self.version}"
        return self.name or self.url or self.path or "?"


class Lock(Record):
    """The pins of a lock for one target, and where the lock says to find them."""

    pins: List[Pin]
    options: FileOptions
    files: List[str]  # the files read, top first

    def index_config(self, base: IndexConfig) -> IndexConfig:
        """pip's configured indexes with the lock's own options applied, as pip does (an
        `--index-url` in the lock replaces the configured extra indexes too)."""
        return base.with_file_options(self.options)
