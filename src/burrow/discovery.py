"""Find the Python interpreters on this machine and pick the one a ``-p`` value names.

``burrow.locations`` lists where interpreters live (PATH, pyenv, uv, asdf, mise, the
Windows registry) without running them; ``burrow.spec`` reads what a ``-p`` value asks
for and what a name says. Versions are read from install and command names where those
are reliable (``versions/3.12.1``, ``python3.12``), so only the interpreters that could
win are run, and those once: their facts are cached.

This module is on the path of every ``burrow create -p``: it imports only ``os`` and
``sys`` up front; ``packaging`` is imported for version ranges alone.
"""

from __future__ import annotations

import os

from burrow import interpreter, locations
from burrow._fast import Record
from burrow.errors import InterpreterError
from burrow.spec import WINDOWS, Spec, parse_spec

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Dict, List, Mapping, Optional, Tuple

    from burrow.interpreter import PythonInfo
    from burrow.locations import Candidate
    from burrow.spec import Rank


class Found(Record, frozen=True, unhashed=("info",)):
    """One interpreter found, e.g. Found(path='/usr/bin/python3', source='PATH', info=…)."""

    path: str  # the interpreter to run (shims resolved), as found: not symlink-resolved
    source: str  # "PATH", "pyenv", "uv", "asdf", "mise", "registry", "py-launcher", "path-arg"
    info: PythonInfo | None  # None when unusable
    problem: str | None  # one-line reason when unusable


def _environ(environ: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if environ is None else environ


def _examine(candidate: Candidate) -> Found:
    try:
        info = interpreter.inspect(candidate.path)
    except InterpreterError as exc:
        return Found(path=candidate.path, source=candidate.source, info=None, problem=str(exc))
    return Found(path=candidate.path, source=candidate.source, info=info, problem=None)


def discover(environ: Mapping[str, str] | None = None) -> List[Found]:
    """Every interpreter found, in source order, once per real file; runs each (cached)."""
    return [_examine(candidate) for candidate in locations.candidates(_environ(environ))]


def find_python(spec: str | None, environ: Mapping[str, str] | None = None) -> PythonInfo:
    """The interpreter a ``-p`` value names; None means $BURROW_PYTHON, else burrow's own.

    Raises InterpreterError with a one-line reason, e.g.
    "no interpreter matches '3.14' (found: 3.8.18, 3.12.1)".
    """
    env = _environ(environ)
    if spec is None:
        spec = env.get("BURROW_PYTHON") or None
        if spec is None:
            return interpreter.current()
    request = parse_spec(spec)
    if request.kind == "path":
        return interpreter.inspect(locations.interpreter_at(env, request.text))
    if request.kind == "command":
        hit = locations.which(env, request.text)
        if hit is not None:
            return interpreter.inspect(hit)
        if not request.fallback:
            raise InterpreterError(
                f"{request.text!r} is neither a command on PATH nor a Python version"
                " (try a path, '3.12', '>=3.10' or 'pypy3.10')"
            )
    return _find_version(request, env)


def _find_version(request: Spec, environ: Mapping[str, str]) -> PythonInfo:
    candidates = locations.candidates(environ, launcher=False)
    problems: List[str] = []
    best = _best(request, candidates, problems)
    if best is None and WINDOWS:  # the py launcher is a process to run: only as a last resort
        same = locations.same_file_key
        seen = {same(c.path) for c in candidates}
        extra = [c for c in locations.candidates(environ) if same(c.path) not in seen]
        candidates += extra
        best = _best(request, extra, problems)
    if best is not None:
        return best
    labels = _labels(candidates)
    detail = f"; {problems[0]}" if problems else ""
    raise InterpreterError(
        f"no interpreter matches {request.text!r} (found: {', '.join(labels) or 'none'}){detail}"
    )


def _best(request: Spec, candidates: List[Candidate], problems: List[str]) -> PythonInfo | None:
    """The newest interpreter that matches, running as few as possible (best first).

    Each candidate is ranked by its cached facts, else by the best version its name allows;
    the top one is run (or read from the cache) until the top is known to match.
    """
    pending: List[Tuple[int, Candidate, PythonInfo | None, bool]] = []
    for index, candidate in enumerate(candidates):
        if not request.could_match(candidate.guess):
            continue
        info = interpreter.cached(candidate.path)
        if info is None or request.matches(info):
            pending.append((index, candidate, info, False))

    def rank(item: Tuple[int, Candidate, PythonInfo | None, bool]) -> Tuple[Rank, int]:
        index, candidate, info, _ = item
        known = request.rank_info(info) if info else request.rank_guess(candidate.guess)
        return (known, -index)

    while pending:
        top = max(pending, key=rank)
        pending.remove(top)
        index, candidate, info, confirmed = top
        if confirmed and info is not None:
            return info
        try:
            info = interpreter.inspect(candidate.path)  # from the cache when it holds it
        except InterpreterError as exc:
            problems.append(str(exc))
            continue
        if request.matches(info):
            pending.append((index, candidate, info, True))
    return None


def _label(info: PythonInfo) -> str:
    """'3.12.1', 'pypy3.10.14', '3.13.0t'."""
    prefix = "" if info.implementation == "cpython" else info.implementation
    return f"{prefix}{info.version_str}{'t' if info.free_threaded else ''}"


def _labels(candidates: List[Candidate]) -> List[str]:
    """The distinct usable versions among ``candidates``, oldest first (runs the unknown)."""
    infos: Dict[str, PythonInfo] = {}
    for candidate in candidates:
        info = _examine(candidate).info
        if info is not None:
            infos.setdefault(_label(info), info)
    plain = Spec(text="", kind="version")
    return sorted(infos, key=lambda label: (plain.rank_info(infos[label])[1:], label))


def _architecture(info: PythonInfo) -> str:
    """'x86_64', 'arm64', 'amd64', 'x86' from the sysconfig platform 'linux-x86_64'."""
    platform = info.sysconfig_platform
    if platform == "win32":
        return "x86"
    return platform.rsplit("-", 1)[-1]


class PythonRow(Record):
    """One interpreter as ``burrow python list`` shows it; for an unusable one, version and
    implementation are what its name says, and ``problem`` why it cannot be used."""

    version: Optional[str]
    implementation: Optional[str]
    architecture: Optional[str]
    path: str
    source: str
    usable: bool
    problem: Optional[str]
    free_threaded: Optional[bool]


def python_list_rows(environ: Mapping[str, str] | None = None) -> List[PythonRow]:
    """One row per interpreter for ``burrow python list``, in source order."""
    rows = []
    for candidate in locations.candidates(_environ(environ)):
        found = _examine(candidate)
        info = found.info
        guess = candidate.guess
        if info is not None:
            version: str | None = info.version_str
            implementation: str | None = info.implementation
        else:
            version = ".".join(map(str, guess.version)) if guess and guess.version else None
            implementation = guess.implementation if guess else None
        rows.append(
            PythonRow(
                version=version,
                implementation=implementation,
                architecture=_architecture(info) if info else None,
                path=found.path,
                source=found.source,
                usable=info is not None,
                problem=found.problem,
                free_threaded=info.free_threaded if info else None,
            )
        )
    return rows
