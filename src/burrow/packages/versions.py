"""Version equality as pip sees it: `same_version("1.0", "1.0.0")` is true.

Equal strings answer without importing packaging, so a warm seeded create (which
compares the wanted pip with the cached one) stays light.
"""

from __future__ import annotations


def same_version(a: str, b: str) -> bool:
    """Whether two version strings name one version (PEP 440); an invalid one equals only itself."""
    if a == b:
        return True
    from packaging.version import InvalidVersion, Version

    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return False
