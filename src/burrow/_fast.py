"""Light stand-ins for ``dataclasses`` and ``logging`` on burrow's hot path.

A warm ``burrow create`` has a budget of a few milliseconds beyond the interpreter's own
start-up, and importing ``dataclasses`` (with ``inspect``) or ``logging`` costs more than
that on its own. ``Record`` gives named, typed, keyword-built fields with ``repr`` and
equality, and a frozen (read-only, hashable) form; ``getLogger`` returns a logger that
imports ``logging`` on first use.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    import logging
    from typing import Any, Dict, List, Tuple, TypeVar

    from typing_extensions import dataclass_transform

    R = TypeVar("R", bound="Record")
else:

    def dataclass_transform(**_kwargs):
        return lambda cls: cls


@dataclass_transform(kw_only_default=True)
class Record:
    """Base for plain data classes: fields are the annotated names, defaults class values.

    ``class Spec(Record, frozen=True)`` makes a value: assigning raises, and equal records
    hash alike. ``unhashed=("info",)`` leaves fields that hold mutable data out of the hash
    (they still count for equality), as ``dataclasses.field(hash=False)`` does.
    """

    _fields: Tuple[str, ...] = ()
    _frozen = False
    _hashed: Tuple[str, ...] = ()  # the fields a frozen record's hash is made of

    def __init_subclass__(cls, frozen: bool = False, unhashed: Tuple[str, ...] = ()) -> None:
        own = cls.__dict__.get("__annotations__", {})  # noqa: RUF063 - no typing import here
        names = [n for n in own if not n.startswith("_")]
        cls._fields = tuple(dict.fromkeys([*cls._fields, *names]))
        if cls._frozen and not frozen:  # its base's values would become changeable
            raise TypeError(f"{cls.__name__} must be frozen, like the record it extends")
        if unhashed and not frozen:
            raise TypeError(f"{cls.__name__}: unhashed= needs frozen=True (no hash otherwise)")
        if frozen:
            unknown = sorted(set(unhashed) - set(cls._fields))
            if unknown:
                raise TypeError(f"{cls.__name__} has no field {unknown[0]!r} to leave unhashed")
            cls._frozen = True
            cls._hashed = tuple(n for n in cls._fields if n not in unhashed)
            cls.__setattr__ = _refuse_change  # type: ignore[method-assign,assignment]
            cls.__delattr__ = _refuse_change  # type: ignore[method-assign,assignment]
            cls.__hash__ = _hash_fields  # type: ignore[method-assign,assignment]

    def __init__(self, **values: Any) -> None:
        for name in self._fields:
            if name in values:
                object.__setattr__(self, name, values.pop(name))
            elif not hasattr(type(self), name):
                raise TypeError(f"{type(self).__name__} needs {name!r}")
        if values:
            raise TypeError(f"{type(self).__name__} has no field {sorted(values)[0]!r}")

    def __repr__(self) -> str:
        inner = ", ".join(f"{n}={getattr(self, n)!r}" for n in self._fields)
        return f"{type(self).__name__}({inner})"

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(getattr(self, n) == getattr(other, n) for n in self._fields)

    __hash__ = None  # type: ignore[assignment]  # mutable, like a dataclass without frozen

    def as_dict(self) -> Dict[str, Any]:
        return {n: getattr(self, n) for n in self._fields}

    def replace(self: R, **changes: Any) -> R:
        return type(self)(**{**self.as_dict(), **changes})


def _refuse_change(self: Record, name: str, *_value: object) -> None:
    raise AttributeError(f"{type(self).__name__} is frozen: cannot change {name!r}")


def _hash_fields(self: Record) -> int:
    return hash(tuple(getattr(self, n) for n in self._hashed))


#: Set by the CLI: the library's warnings then reach stderr as one 'warning: …' line each.
_cli_warnings = False


def warnings_to_stderr() -> None:
    """Called by the CLI; a library user's program decides for itself where logs go."""
    global _cli_warnings  # one switch, set once by the CLI
    _cli_warnings = True


def _logger(name: str) -> logging.Logger:
    import logging

    top = logging.getLogger("burrow")
    if not top.handlers:  # the first message: the library prints nothing unless asked
        if _cli_warnings:
            handler: logging.Handler = logging.StreamHandler()
            handler.setFormatter(logging.Formatter("warning: %(message)s"))
            handler.setLevel(logging.WARNING)
        else:
            handler = logging.NullHandler()
        top.addHandler(handler)
    return logging.getLogger(name)


class _LazyLogger:
    """Forwards to ``logging.getLogger(name)``, importing logging only when used."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        return getattr(_logger(self._name), attr)


def getLogger(name: str) -> logging.Logger:  # mirrors logging.getLogger
    return _LazyLogger(name)  # type: ignore[return-value]


def record_hash(data: bytes) -> str:
    """The RECORD form of a file's hash, e.g. 'sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU'.

    ``hashlib`` loads OpenSSL, which costs more than a warm seeded create may spend; the
    interpreter's own SHA-256 (what hashlib itself falls back to) gives the same digest.
    """
    import binascii

    encoded = binascii.b2a_base64(_sha256()(data).digest(), newline=False)
    return "sha256=" + encoded.decode("ascii").rstrip("=").replace("+", "-").replace("/", "_")


def sha256_hex(data: bytes) -> str:
    """The hex SHA-256 of ``data``, without loading OpenSSL (see ``record_hash``)."""
    return str(_sha256()(data).hexdigest())


def record_line(path: str, rel: str) -> str:
    """The RECORD line of the file at ``path``, e.g. 'pip/__init__.py,sha256=...,357'."""
    with open(path, "rb") as handle:
        data = handle.read()
    return f"{rel},{record_hash(data)},{len(data)}"


_SHA256: List[Any] = []


def _sha256() -> Any:
    """The interpreter's SHA-256 constructor, found once: a failed import searches the
    whole sys.path again each time (0.3 ms), and RECORD lines are hashed by the hundred."""
    if not _SHA256:
        try:
            from _sha2 import sha256  # type: ignore[import-not-found]  # 3.12+
        except ImportError:
            try:
                from _sha256 import sha256  # type: ignore[import-not-found]  # 3.8-3.11
            except ImportError:  # a build without the builtin hashes
                from hashlib import sha256
        _SHA256.append(sha256)
    return _SHA256[0]
