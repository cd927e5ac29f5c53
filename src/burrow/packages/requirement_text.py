"""What the requirement part of one requirements-file line names, read as pip reads it.

`plain("flask[async]>=3 ; python_version < '3.13'", origin, text)` gives its `Parts`:
a PEP 508 requirement, a direct URL (`name @ https://...`, a bare `https://.../x.whl`),
or a local wheel, sdist or project directory (a path, made absolute; its `file://` URL
too). `editable(...)` does the same for `-e` lines. The line's options (`--hash`, ...)
are not here: `requirements.py` reads the file and its options and builds the `Line`.
"""

from __future__ import annotations

import os

from burrow._fast import Record
from burrow.errors import LockError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional, Tuple

_ARCHIVES: Tuple[str, ...] = (
    ".whl",
    ".zip",
    ".tar.gz",
    ".tgz",
    ".tar",
    ".tar.bz2",
    ".tbz",
    ".tar.xz",
    ".txz",
)
_ARCHIVES += (".tlz", ".tar.lz", ".tar.lzma")
_VCS = ("git+", "hg+", "svn+", "bzr+", "git:", "hg:", "svn:", "bzr:")


def is_archive(path: str) -> bool:
    """Whether ``path`` names a wheel or sdist by its suffix: 'dist/app-1.0.tar.gz'."""
    return path.lower().endswith(_ARCHIVES)


class Parts(Record):
    """What a requirement names, e.g. Parts(name='flask', specifier='>=3', ...)."""

    name: Optional[str] = None
    extras: Tuple[str, ...] = ()
    specifier: str = ""
    marker: Optional[str] = None
    url: Optional[str] = None
    path: Optional[str] = None


def plain(text: str, origin: str, line_text: str) -> Parts:
    """A requirement, a direct URL, or a path to a wheel, sdist or project directory."""
    from packaging.markers import InvalidMarker, Marker

    marker = None
    separator = "; " if is_url(text) else ";"
    if separator in text:
        text, marker_text = text.split(separator, 1)
        if marker_text.strip():
            try:
                marker = str(Marker(marker_text.strip()))
            except InvalidMarker as exc:
                reason = str(exc).splitlines()[0]
                raise LockError(f"{origin}: invalid marker in {line_text!r}: {reason}") from None
    text = text.strip()
    if is_url(text):
        parts = _from_url(text, origin, line_text)
    else:
        local, extras = _strip_extras(text)
        parts = _from_path(local, text, origin) or _from_pep508(text, origin, line_text)
        if parts.path is not None:
            parts.extras = _extras(extras, origin, line_text)
    if marker is not None:
        parts.marker = marker
    return parts


def _from_pep508(text: str, origin: str, line_text: str) -> Parts:
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        requirement = Requirement(text)
    except InvalidRequirement as exc:
        hint = ""
        if "=" in text and not any(op in text for op in ("==", ">=", "<=", "!=", "~=")):
            hint = " (= is not a version operator: did you mean ==?)"
        reason = str(exc).splitlines()[0]
        raise LockError(f"{origin}: invalid requirement {line_text!r}: {reason}{hint}") from None
    for spec in requirement.specifier:
        if str(spec).endswith("]"):
            raise LockError(f"{origin}: extras after the version in {line_text!r}")
    parts = Parts(
        name=requirement.name,
        extras=tuple(sorted(requirement.extras)),
        specifier=str(requirement.specifier),
        marker=str(requirement.marker) if requirement.marker else None,
    )
    if requirement.url:
        url = _from_url(requirement.url, origin, line_text)
        parts.url, parts.path = url.url, url.path
    return parts


def _from_url(url: str, origin: str, line_text: str) -> Parts:
    """A direct URL: its name from a wheel file name or `#egg=`, a path when file://."""
    if url.lower().startswith(_VCS):
        raise LockError(f"{origin}: VCS requirements are not supported: {line_text!r}")
    lowered = url.lower()
    if not lowered.startswith(("http:", "https:", "file:")):
        raise LockError(f"{origin}: unsupported URL scheme in {line_text!r}")
    parts = Parts(url=url)
    if lowered.startswith("file:"):
        parts.path = os.path.normpath(os.path.abspath(url_to_path(url)))
        if "/../" in url or "/./" in url:
            parts.url = path_to_url(parts.path) + _fragment(url)
    parts.name = _name_of_file(url, origin, line_text)
    return parts


def _from_path(local: str, text: str, origin: str) -> Optional[Parts]:
    """A path to a project directory or archive, as pip tells one from a requirement."""
    path = os.path.normpath(os.path.abspath(local))
    looks_like_path = os.sep in text or bool(os.altsep and os.altsep in text) or text[:1] == "."
    if looks_like_path and os.path.isdir(path):
        if not (
            os.path.isfile(os.path.join(path, "pyproject.toml"))
            or os.path.isfile(os.path.join(path, "setup.py"))
        ):
            raise LockError(
                f"{origin}: directory {text!r} is not installable: it has neither "
                "pyproject.toml nor setup.py"
            )
        return Parts(url=path_to_url(path), path=path)
    if not is_archive(local):
        return None
    if not os.path.isfile(path):
        before, at, _ = text.partition("@")
        # 'name @ file.whl' is a PEP 508 URL requirement, not a missing file.
        if at and not (os.sep in before or before[:1] == "."):
            return None
    url = path_to_url(path)
    return Parts(url=url, path=path, name=_name_of_file(url, origin, text))


def editable(text: str, origin: str, line_text: str) -> Parts:
    """`-e path[extras]` or `-e file://...#egg=name`; VCS checkouts are not supported."""
    local, extras = _strip_extras(text)
    if os.path.isdir(local):
        path = os.path.normpath(os.path.abspath(local))
        return Parts(url=path_to_url(path), path=path, extras=_extras(extras, origin, text))
    if local.lower().startswith("file:"):
        parts = _from_url(local, origin, line_text)
        parts.extras = _extras(extras, origin, text)
        return parts
    if text.lower().startswith(_VCS):
        raise LockError(f"{origin}: VCS requirements are not supported: {line_text!r}")
    raise LockError(f"{origin}: -e needs a local project directory or a file:// URL, not {text!r}")


def _strip_extras(text: str) -> Tuple[str, Optional[str]]:
    """('./dir', '[a,b]') from './dir[a,b]'."""
    if text.endswith("]") and "[" in text:
        head, _, tail = text.rpartition("[")
        if head and "]" not in tail[:-1]:
            return head, "[" + tail
    return text, None


def _extras(extras: Optional[str], origin: str, line_text: str) -> Tuple[str, ...]:
    if not extras:
        return ()
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        return tuple(sorted(Requirement("placeholder" + extras.lower()).extras))
    except InvalidRequirement:
        raise LockError(f"{origin}: invalid extras {extras!r} in {line_text!r}") from None


def _name_of_file(url: str, origin: str, line_text: str) -> Optional[str]:
    """The project name of a URL: `#egg=name`, else a wheel's file name, else None."""
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(url)
    for item in parts.fragment.split("&"):
        key, _, value = item.partition("=")
        if key == "egg" and value:
            return value
    filename = unquote(parts.path.rsplit("/", 1)[-1])
    if filename.endswith(".whl"):
        from packaging.utils import InvalidWheelFilename, parse_wheel_filename

        try:
            return parse_wheel_filename(filename)[0]
        except InvalidWheelFilename as exc:
            raise LockError(f"{origin}: {exc} in {line_text!r}") from None
    return None


def _fragment(url: str) -> str:
    _, hash_sign, fragment = url.partition("#")
    return hash_sign + fragment


def is_url(text: str) -> bool:
    scheme, colon, _ = text.partition(":")
    # A one-letter scheme is a Windows drive.
    return bool(colon) and len(scheme) > 1 and scheme.replace("+", "").isalpha()


def url_to_path(url: str) -> str:
    from urllib.parse import unquote, urlsplit
    from urllib.request import url2pathname

    parts = urlsplit(url)
    if parts.netloc and parts.netloc != "localhost":
        return url2pathname(f"//{parts.netloc}{unquote(parts.path)}")
    return url2pathname(parts.path)


def path_to_url(path: str) -> str:
    from pathlib import Path

    return Path(path).as_uri()
