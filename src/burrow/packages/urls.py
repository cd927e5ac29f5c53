"""URL helpers of the index client: file URLs as paths, credentials split off or hidden.

redact("https://user:secret@host/simple/")  # 'https://user:****@host/simple/'
"""

from __future__ import annotations

import os
from pathlib import Path


def fnv(text: str) -> str:
    """FNV-1a (64 bits) of `text` in hex, e.g. '8626e0b53b972373'."""
    digest = 0xCBF29CE484222325
    for byte in text.encode("utf-8", "surrogateescape"):
        digest = ((digest ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return f"{digest:016x}"


def file_path(url: str) -> Path:
    """The local path of a file URL, e.g. file:///srv/simple/ -> /srv/simple."""
    from urllib.parse import unquote, urlsplit

    if os.name == "nt":
        from urllib.request import url2pathname
    else:  # what url2pathname is on POSIX, without importing urllib.request
        url2pathname = unquote  # type: ignore[assignment]

    parts = urlsplit(url)
    if parts.netloc and parts.netloc != "localhost":  # UNC path on Windows
        return Path(url2pathname(f"//{parts.netloc}{parts.path}"))
    return Path(url2pathname(parts.path))


def split_auth(url: str) -> tuple[str, str, str | None]:
    """(URL without credentials, host[:port], Basic auth header or None)."""
    import base64
    from urllib.parse import unquote, urlsplit, urlunsplit

    parts = urlsplit(url)
    userinfo, at, hostport = parts.netloc.rpartition("@")
    if not at:
        return url, parts.netloc, None
    user, _, password = userinfo.partition(":")
    token = base64.b64encode(f"{unquote(user)}:{unquote(password)}".encode()).decode("ascii")
    return urlunsplit(parts._replace(netloc=hostport)), hostport, f"Basic {token}"


def redact(url: str) -> str:
    """A URL fit for messages: https://user:secret@host/ -> https://user:****@host/."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    userinfo, at, hostport = parts.netloc.rpartition("@")
    if not at or ":" not in userinfo:
        return url
    user = userinfo.partition(":")[0]
    return urlunsplit(parts._replace(netloc=f"{user}:****@{hostport}"))
