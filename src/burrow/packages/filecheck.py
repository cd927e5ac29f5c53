"""Whether a file on disk is the one a pin accepts: the lock's hashes, else the index's.

A kept download is hashed once; a ``.checked`` mark beside it records the size and mtime
it had then, so a later run trusts it with one stat (and hashes it again otherwise).
"""

from __future__ import annotations

import os

from burrow._fast import getLogger
from burrow.errors import FetchError
from burrow.fs import file_digest
from burrow.packages.versions import same_version

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Dict, List, Optional, Tuple

    from burrow.packages.lockfile import Pin
    from burrow.packages.pages import Link

logger = getLogger(__name__)

MARK = ".checked"  # beside a kept download: "<size> <mtime_ns>" when its hash was checked


def accepted(pin: Pin, link: Link) -> Dict[str, List[str]]:
    """The digests to check a file against: the lock's, else the index's."""
    if pin.hashes:
        return {k: list(v) for k, v in pin.hashes.items()}
    return {k: [v] for k, v in link.hashes.items()}


def hash_known_ok(pin: Pin, link: Link) -> bool:
    """False only when the index's hash of a file is one the lock does not accept."""
    for algorithm, digests in pin.hashes.items():
        offered = link.hashes.get(algorithm)
        if offered is not None:
            return bool(offered.lower() in digests)
    return True


def intact(path: str, sha256: str) -> bool:
    """Whether a kept download still is the file its sha256 names. Cheap when its size and
    mtime are those recorded when it was checked; hashed again (and re-marked) otherwise."""
    try:
        st = os.stat(path)
        with open(path + MARK, encoding="ascii") as handle:
            if handle.read() == f"{st.st_size} {st.st_mtime_ns}":
                return True
    except (OSError, ValueError):
        pass
    try:
        if file_digest(path) != sha256:
            return False
    except OSError:
        return False
    mark_intact(path)
    return True


def mark_intact(path: str) -> None:
    """Record the size and mtime of a download whose hash was just checked."""
    from burrow import fs

    try:
        st = os.stat(path)
        fs.replace_file(path + MARK, f"{st.st_size} {st.st_mtime_ns}".encode("ascii"))
    except OSError as exc:  # only costs a hash next time
        logger.debug("cannot mark %s as checked: %s", path, exc)


def first_hash(link: Link) -> str:
    algorithm = "sha256" if "sha256" in link.hashes else next(iter(link.hashes), "")
    return f"{algorithm}:{link.hashes[algorithm]}" if algorithm else "(no hash)"


def check_local(pin: Pin, path: str) -> str:
    digest = file_digest(path)
    if pin.hashes and not accepts(pin.hashes, path, digest):
        raise FetchError(
            f"{pin.origin}: {pin}: hash mismatch for {path}: its sha256 is {digest}, "
            "not one the lock accepts"
        )
    return digest


def accepts(hashes: Dict[str, List[str]], path: str, sha256: str) -> bool:
    """Whether a file matches one of the accepted digests of any algorithm given."""

    for algorithm, digests in hashes.items():
        actual = sha256 if algorithm == "sha256" else file_digest(path, algorithm)
        if actual in digests:
            return True
    return False


#: A wheel file name in the plain form that every packaging release reads alike: ASCII
#: name parts, a version in PEP 440's normal spelling (which its parsing gives back
#: unchanged), a build tag led by a digit, and identifier-like tags.
_PLAIN_WHEEL = (
    r"([A-Za-z0-9]+(?:[._][A-Za-z0-9]+)*)"
    r"-((?:0|[1-9][0-9]*)(?:\.(?:0|[1-9][0-9]*))*(?:(?:a|b|rc)(?:0|[1-9][0-9]*))?"
    r"(?:\.post(?:0|[1-9][0-9]*))?(?:\.dev(?:0|[1-9][0-9]*))?)"
    r"(?:-[0-9][A-Za-z0-9_.]*)?"
    r"-[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*"
    r"(?:-[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*){2}\.whl"
)


def plain_wheel_name(filename: str) -> Optional[Tuple[str, str]]:
    """(canonical name, version) of a plainly formed wheel file name, as packaging's
    ``parse_wheel_filename`` gives them, without importing it; None for any other name.

    >>> plain_wheel_name("Jinja2-3.1.4-py3-none-any.whl")
    ('jinja2', '3.1.4')
    """
    import re

    match = re.fullmatch(_PLAIN_WHEEL, filename)
    if match is None:
        return None
    # Single separators only: lowering and dashing is the whole of canonicalize_name.
    return match.group(1).lower().replace("_", "-").replace(".", "-"), match.group(2)


def wheel_tags(filename: str) -> Optional[Tuple[int, List[str]]]:
    """(build number, each tag it names as text) of a wheel file name, as packaging's
    ``parse_wheel_filename`` gives them (read without it for a plain name); None when it
    is no wheel name.

    >>> wheel_tags("pkg-1.0-1-py2.py3-none-any.whl")
    (1, ['py2-none-any', 'py3-none-any'])
    """
    if plain_wheel_name(filename) is None:
        from packaging.utils import InvalidWheelFilename, parse_wheel_filename

        try:
            parsed = parse_wheel_filename(filename)
        except InvalidWheelFilename:
            return None
        return (parsed[2][0] if parsed[2] else 0), [str(tag) for tag in parsed[3]]
    parts = filename[: -len(".whl")].split("-")
    number = 0
    if len(parts) == 6:
        digits = len(parts[2]) - len(parts[2].lstrip("0123456789"))
        number = int(parts[2][:digits])
    pythons, abis, platforms = (part.lower().split(".") for part in parts[-3:])
    return number, [f"{p}-{a}-{x}" for p in pythons for a in abis for x in platforms]


def name_version(wheel: str, pin: Pin) -> Tuple[str, str]:
    """(name, version) of a wheel file, which must be the pin's."""
    plain = plain_wheel_name(os.path.basename(wheel))
    if plain is not None:
        name, version = plain
    else:
        from packaging.utils import InvalidWheelFilename, parse_wheel_filename

        try:
            parsed, parsed_version, _, _ = parse_wheel_filename(os.path.basename(wheel))
        except InvalidWheelFilename as exc:
            raise FetchError(f"{pin.origin}: {pin}: {exc}") from None
        name, version = str(parsed), str(parsed_version)
    if pin.name is not None and name != pin.name:
        raise FetchError(
            f"{pin.origin}: {pin}: the file is {os.path.basename(wheel)}, not {pin.name}"
        )
    if pin.version is not None and not same_version(str(version), pin.version):
        raise FetchError(f"{pin.origin}: {pin}: the file is version {version}, not {pin.version}")
    return str(name), str(version)
