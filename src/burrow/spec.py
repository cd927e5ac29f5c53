"""What a ``-p`` value asks for, and what an interpreter's name says about it.

Pure parsing, no I/O: '3.12' -> Spec(kind='version', version=(3, 12));
'cpython-3.12.1-linux-x86_64-gnu' -> Guess(implementation='cpython', version=(3, 12, 1)).
``burrow.discovery`` uses these to decide which interpreters to run, and which one wins.
``packaging`` is imported for version ranges alone.
"""

from __future__ import annotations

import os

from burrow._fast import Record
from burrow.errors import InterpreterError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, List, Tuple

    from burrow.interpreter import PythonInfo

    Rank = Tuple[int, ...]

WINDOWS = os.name == "nt"
#: Implementation names as ``sys.implementation.name`` spells them, by spec prefix.
_IMPLEMENTATIONS = {
    "cpython": "cpython",
    "cp": "cpython",
    "pypy": "pypy",
    "pp": "pypy",
    "graalpy": "graalpy",
    "graalpython": "graalpy",
    "gp": "graalpy",
}
#: Prefixes of interpreter command names (``python3.12``, ``pypy3``, ``graalpy``).
COMMANDS = ("python", "pypy", "graalpy")
_RELEASES = {"a": "alpha", "b": "beta", "rc": "candidate"}
RELEASE_ORDER = {"alpha": 0, "beta": 1, "candidate": 2, "final": 3}
_RANGE_START = "<>=!~"
_UNKNOWN = 1 << 30  # an unknown version part: as new as it could be


class Guess(Record, frozen=True):
    """What a name says about an interpreter, e.g. 'pypy3.10-7.3.15' -> pypy, (3, 10)."""

    implementation: str | None = None  # None: any
    version: Tuple[int, ...] = ()  # (3, 12, 1), or a prefix: (3, 12), (3,), ()
    release: Tuple[str, int] | None = None  # ("final", 0), ("candidate", 1); None: unknown
    free_threaded: bool | None = None  # None: unknown
    tail: str = ""  # what follows the version: "-linux-x86_64-gnu", "-dev"

    @property
    def exact(self) -> bool:
        """Whether the name gives the full version, as pyenv's 'versions/3.12.1' does."""
        return len(self.version) == 3 and self.release is not None and "dev" not in self.tail


def parse_name(name: str, default: str | None = None) -> Guess | None:
    """Read an install or command name: 'cpython-3.12.1-linux-x86_64-gnu', 'python3.13t'.

    None when the name says nothing ('miniconda3-latest'); a Guess with no version for a
    bare implementation ('python', 'pypy'). ``default`` is the implementation of a bare
    version: pyenv's, asdf's and mise's '3.12.1' are CPython.
    """
    text = name.lower()
    if text.endswith(".exe"):
        text = text[:-4]
    implementation = default
    named = False
    for prefix in ("cpython", "graalpython", "graalpy", "pypy", "python"):
        if text.startswith(prefix):
            implementation = None if prefix == "python" else _IMPLEMENTATIONS[prefix]
            text = text[len(prefix) :]
            named = True
            if text[:1] in ("-", "@") and text[1:2].isdigit():
                text = text[1:]
            break
    parts, text = _leading_version(text)
    if not parts:
        if named and (not text or text[0] in "-+"):
            return Guess(implementation=implementation, tail=text)
        return None
    if parts[0] not in (2, 3) or len(parts) > 3:  # graalpy-24.0.0 names its own version
        return Guess(implementation=implementation, tail=text) if named else None
    release: Tuple[str, int] | None = ("final", 0) if len(parts) == 3 else None
    for short, level in _RELEASES.items():
        serial, rest = _leading_int(text[len(short) :]) if text.startswith(short) else (None, "")
        if serial is not None:
            release, text = (level, serial), rest
            break
    free_threaded = False
    for marker in ("t", "+freethreaded"):
        if text.startswith(marker) and (len(text) == len(marker) or text[len(marker)] in "-+"):
            free_threaded, text = True, text[len(marker) :]
            break
    if text and text[0] not in "-+":
        return None
    return Guess(
        implementation=implementation,
        version=tuple(parts),
        release=release,
        free_threaded=free_threaded,
        tail=text,
    )


def _leading_int(text: str) -> Tuple[int | None, str]:
    end = 0
    while end < len(text) and text[end].isdigit():
        end += 1
    return (int(text[:end]) if end else None), text[end:]


def _leading_version(text: str) -> Tuple[List[int], str]:
    """'3.12.1-dev' -> ([3, 12, 1], '-dev')."""
    parts: List[int] = []
    while True:
        number, rest = _leading_int(text)
        if number is None:
            return parts, text
        parts.append(number)
        text = rest
        if not (text.startswith(".") and text[1:2].isdigit()):
            return parts, text
        text = text[1:]


def is_command_name(name: str) -> bool:
    """Whether a file on PATH is named like an interpreter: 'python3.12', 'pypy3', 'python'."""
    lowered = name.lower()
    if not lowered.startswith(COMMANDS) or (lowered.endswith(".exe") != WINDOWS):
        return False
    guess = parse_name(name)
    return guess is not None and not guess.tail


# --- what the user asked for -----------------------------------------------------------


class Spec(Record, frozen=True):
    """A parsed ``-p`` value, e.g. 'cp312' -> kind 'version', implementation 'cpython', (3, 12)."""

    text: str
    kind: str  # "path" | "command" | "version"
    implementation: str | None = None  # None: any
    version: Tuple[int, ...] = ()  # a prefix of the wanted version: (3,), (3, 12), (3, 12, 1)
    release: Tuple[str, int] | None = None  # only with a full version: ("candidate", 1)
    free_threaded: bool = False  # '3.13t'
    specifier: str | None = None  # a PEP 440 range: '>=3.10,<3.13'
    fallback: bool = False  # a command that, when not on PATH, means a version

    def could_match(self, guess: Guess | None) -> bool:
        """Whether an interpreter with this name may satisfy the spec (before running it)."""
        if guess is None:
            return True
        if self.implementation and guess.implementation not in (None, self.implementation):
            return False
        if guess.free_threaded not in (None, self.free_threaded) and guess.version:
            return False
        common = min(len(guess.version), len(self.version))
        if guess.version[:common] != self.version[:common]:
            return False
        if self.release is not None and guess.release not in (None, self.release):
            return False
        if self.specifier is not None:
            return _range_may_hold(self.specifier, guess.version)
        return True

    def matches(self, info: PythonInfo) -> bool:
        """Whether this interpreter satisfies the spec."""
        if self.implementation and info.implementation != self.implementation:
            return False
        if info.free_threaded != self.free_threaded:
            return False
        if info.version[: len(self.version)] != self.version:
            return False
        if len(self.version) == 3 and info.release != (self.release or ("final", 0)):
            return False
        return self.specifier is None or _range_holds(self.specifier, info.version_str)

    def rank_info(self, info: PythonInfo) -> Rank:
        """Sort key, newest first: final releases before pre-releases unless one was asked."""
        level, serial = info.release
        wanted = level == "final" or self.release is not None
        return (int(wanted), *info.version, RELEASE_ORDER.get(level, 0), serial)

    def rank_guess(self, guess: Guess | None) -> Rank:
        """The highest rank an interpreter with this name could have."""
        version = guess.version if guess else ()
        if guess is None or guess.release is None or len(version) < 3:
            return (1, *version, *(_UNKNOWN,) * (3 - len(version)), 3, _UNKNOWN)
        level, serial = guess.release
        wanted = level == "final" or self.release is not None
        return (int(wanted), *guess.version, RELEASE_ORDER[level], serial)


def parse_spec(text: str) -> Spec:
    """Read a ``-p`` value: a path, a command, a version, a range or implementation+version.

    '3.12' -> version (3, 12); '>=3.10,<3.13' -> range; 'pypy3.10' -> command pypy3.10,
    else PyPy 3.10; 'cp312' -> CPython 3.12; './bin/python' -> path.
    """
    text = text.strip()
    if not text:
        raise InterpreterError("empty interpreter spec: give a path, a command or a version")
    if text[0] in _RANGE_START and text[:2] != "~/":  # '~=3.11.2' is a range, '~/py' a path
        return Spec(text=text, kind="version", specifier=_check_range(text, text))
    separators = [sep for sep in (os.sep, os.altsep, "/") if sep]
    looks_like_drive = WINDOWS and len(text) > 1 and text[1] == ":"
    if any(sep in text for sep in separators) or text[0] in "~." or looks_like_drive:
        return Spec(text=text, kind="path")
    lowered = text.lower()
    if lowered.startswith(COMMANDS):
        guess = parse_name(text)
        if guess is not None and not guess.tail:
            version = guess.version
            return Spec(
                text=text,
                kind="command",
                implementation=guess.implementation,
                version=version,
                release=guess.release if len(version) == 3 and guess.tail == "" else None,
                free_threaded=bool(guess.free_threaded),
                fallback=True,
            )
    for prefix in sorted(_IMPLEMENTATIONS, key=len, reverse=True):
        if lowered.startswith(prefix):
            rest = text[len(prefix) :]
            if rest[:1] in ("-", "@"):
                rest = rest[1:]
            spec = _parse_version(text, rest, _IMPLEMENTATIONS[prefix], short=len(prefix) == 2)
            if spec is not None:
                return spec
    spec = _parse_version(text, text, None, short=False)
    return spec if spec is not None else Spec(text=text, kind="command")


def _parse_version(text: str, rest: str, implementation: str | None, short: bool) -> Spec | None:
    if not rest:
        if implementation and not short:
            return Spec(text=text, kind="version", implementation=implementation)
        return None
    if rest[0] in _RANGE_START:
        specifier = _check_range(text, rest)
        return Spec(text=text, kind="version", implementation=implementation, specifier=specifier)
    if short and rest.isdigit() and len(rest) >= 2:  # cp312
        version = (int(rest[0]), int(rest[1:]))
        return Spec(text=text, kind="version", implementation=implementation, version=version)
    parts, tail = _leading_version(rest)
    if not parts or len(parts) > 3:
        return None
    release = None
    for marker, level in _RELEASES.items():
        serial, after = _leading_int(tail[len(marker) :]) if tail.startswith(marker) else (None, "")
        if serial is not None and len(parts) == 3:
            release, tail = (level, serial), after
            break
    free_threaded = tail == "t"
    if tail and not free_threaded:
        return None
    return Spec(
        text=text,
        kind="version",
        implementation=implementation,
        version=tuple(parts),
        release=release,
        free_threaded=free_threaded,
    )


_RANGES: Dict[str, Any] = {}  # parsed packaging SpecifierSets, by text


def _check_range(text: str, specifier: str) -> str:
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    try:
        _RANGES[specifier] = SpecifierSet(specifier)
    except InvalidSpecifier:
        example = "e.g. '>=3.10,<3.13'"
        raise InterpreterError(f"{text!r} is not a valid version range ({example})") from None
    return specifier


def _range_holds(specifier: str, version: str) -> bool:
    if specifier not in _RANGES:
        _check_range(specifier, specifier)
    return bool(_RANGES[specifier].contains(version, prereleases=True))


def _range_may_hold(specifier: str, prefix: Tuple[int, ...]) -> bool:
    """Whether some version starting with ``prefix`` may be in the range (probes a few)."""
    if not prefix:
        return True
    probes = [(*prefix, *(fill,) * (3 - len(prefix)))[:3] for fill in (0, 99, _UNKNOWN)]
    if specifier not in _RANGES:
        _check_range(specifier, specifier)
    for clause in _RANGES[specifier]:  # the range's own edges, and just past them
        edge = [int(part) for part in clause.version.split(".") if part.isdigit()][:3]
        edge += [0] * (3 - len(edge))
        for probe in (tuple(edge), (*edge[:2], edge[2] + 1)):
            if probe[: len(prefix)] == prefix:
                probes.append(probe)
    return any(_range_holds(specifier, ".".join(map(str, probe))) for probe in probes)
