"""Reading a TOML file (``pylock.toml``, ``pyproject.toml``): the standard library's
reader, or tomli before Python 3.11."""

from __future__ import annotations

from burrow.errors import LockError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict


def load(path: str) -> Dict[str, Any]:
    """The tables of the TOML file at ``path``; LockError naming it when it cannot be read."""
    try:
        import tomllib  # type: ignore[import-not-found,unused-ignore]
    except ImportError:  # Python < 3.11
        try:
            import tomli as tomllib  # type: ignore[import-not-found,no-redef,unused-ignore]
        except ImportError:
            raise LockError(
                f"{path}: reading TOML needs Python 3.11+ or the tomli package"
            ) from None
    try:
        with open(path, "rb") as handle:
            data: Dict[str, Any] = tomllib.load(handle)
    except OSError as exc:
        raise LockError(f"cannot read {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise LockError(f"{path}: not valid TOML: {exc}") from None
    return data
