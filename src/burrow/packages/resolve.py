"""Resolve requirements into one version per project, as pip would: resolvelib's algorithm
over a provider built on `packaging` and the index client.

    resolution = resolve([parse_line("flask>=3")], [], info, Options(config=pip_config()))
    [f"{pin.name}=={pin.version}" for pin in resolution.pins]  # ['blinker==1.8.2', ...]

Everything about backtracking is resolvelib's; `provider.py` answers its five questions,
`candidates.py` holds the target, requirements and candidates, `conflicts.py` explains an
impossible set.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Dict, FrozenSet, List, Optional, Sequence, Set, Tuple

from burrow._fast import Record
from burrow.errors import ResolutionError
from burrow.packages.candidates import (
    PYTHON,
    Req,
    Target,
    identify,
    normalize_extra,
    split_identifier,
    target_of,
)

if TYPE_CHECKING:
    from typing import Any

    from burrow.interpreter import PythonInfo
    from burrow.packages.candidates import Candidate
    from burrow.packages.dependencies import Dependencies
    from burrow.packages.index import Index
    from burrow.packages.pages import Link
    from burrow.packages.pipconfig import IndexConfig
    from burrow.packages.provider import Provider
    from burrow.packages.requirements import Line

_MAX_ROUNDS = 200_000  # as pip: enough for real backtracking, bounded for pathological sets


class Options(Record):
    """How to resolve: where packages come from and which files may be used."""

    config: IndexConfig
    pre: bool = False  # pre-releases allowed for every project (--pre)
    only_binary: FrozenSet[str] = frozenset()  # canonical names or ":all:"
    no_binary: FrozenSet[str] = frozenset()
    prefer_binary: bool = False
    # `-e DIR` lines resolved from the project's metadata (burrow lock); else refused.
    editables: bool = False
    # Versions to keep when they still fit: a previous lock's pins, what an env has.
    preferred: Dict[str, str] = {}  # noqa: RUF012 - never mutated, a default like any other


class Pin(Record, frozen=True, unhashed=("links", "via", "extras")):
    """One resolved project: its version, the files that could install it, and why it is in.

    `via` names who asked: other projects ('flask') or input files ('-r requirements.in').
    """

    name: str  # canonical, e.g. "typing-extensions"
    version: str
    links: List[Link]  # every file of this version (all platforms), for the lock's hashes
    url: Optional[str]  # a direct reference (URL or file:// path) instead of an index pin
    extras: Tuple[str, ...]
    via: Tuple[str, ...]
    requested: bool  # named in the input, not only a dependency
    chosen: Optional[Link] = None  # the file to install on the target: best wheel, else sdist
    editable: bool = False  # `-e DIR`: `url` names the project directory

    @property
    def key(self) -> str:
        return self.name


class Resolution(Record):
    """The outcome: pins sorted by name, and the target's Python for the file header."""

    pins: List[Pin]
    python: str  # e.g. "3.12.1"


def resolve(
    requirements: Sequence[Line],
    constraints: Sequence[Line],
    info: PythonInfo,
    options: Options,
    *,
    index: Optional[Index] = None,
) -> Resolution:
    """One version of every project `requirements` need on `info`; ResolutionError when
    none fits, FetchError when an index cannot be read."""
    # Here, not at the top: a lock answered by its memo (lockmemo.py) needs only the
    # records above, and none of resolvelib.
    import resolvelib

    from burrow.packages.conflicts import explain
    from burrow.packages.dependencies import Dependencies
    from burrow.packages.index import Index
    from burrow.packages.provider import Provider

    target = target_of(info)
    session = index if index is not None else Index(options.config)
    try:
        metadata = Dependencies(session, target, info)
        roots, order = _roots(requirements, target, options, metadata)
        limits = _constraints(constraints, target)
        session.prefetch(r.name for r in roots if not r.url)
        provider = Provider(session, target, options, limits, order, metadata)
        reporter: resolvelib.BaseReporter[Req, Candidate, str] = resolvelib.BaseReporter()
        resolver = resolvelib.Resolver(provider, reporter)
        try:
            result = resolver.resolve(roots, max_rounds=_MAX_ROUNDS)
        except resolvelib.ResolutionImpossible as exc:
            raise ResolutionError(explain(list(exc.causes), provider)) from None
        except resolvelib.ResolutionTooDeep:
            raise ResolutionError(
                f"gave up after {_MAX_ROUNDS} rounds of backtracking; pin a few versions"
            ) from None
        return _pins(result, roots, limits, provider)
    finally:
        if index is None:
            session.close()


def _roots(
    requirements: Sequence[Line], target: Target, options: Options, metadata: Dependencies
) -> Tuple[List[Req], Dict[str, int]]:
    from packaging.specifiers import SpecifierSet
    from packaging.utils import canonicalize_name

    roots = []
    order: Dict[str, int] = {}
    for line in requirements:
        if line.editable and not options.editables:
            raise ResolutionError(f"{line.origin}: editable requirements cannot be locked yet")
        if line.marker and not _marker_true(line.marker, target):
            continue
        if line.url is not None and (line.editable or _is_project_dir(line.path)):
            # `-e ./project` and `./project` name no project: its metadata does (as
            # pip-compile reads it), as it does the project's version and dependencies.
            written = line.name or metadata.project_name(line.url, line.origin)
            metadata.projects.add(line.url)
            if line.editable:
                metadata.editables.add(line.url)
        elif line.name is None:
            raise ResolutionError(f"{line.origin}: name the project of {line.text!r} (name @ url)")
        else:
            written = line.name
        name = canonicalize_name(written)
        extras = frozenset(normalize_extra(e) for e in line.extras)
        req = Req(name, extras, SpecifierSet(line.specifier), line.url, line.origin)
        roots.append(req)
        order.setdefault(identify(name, extras), len(order))
        order.setdefault(name, len(order))
    return roots, order


def _is_project_dir(path: Optional[str]) -> bool:
    """Whether a requirement's local path is a project directory (not a wheel or sdist)."""
    import os

    return path is not None and os.path.isdir(path)


def _constraints(lines: Sequence[Line], target: Target) -> Dict[str, List[Req]]:
    from packaging.specifiers import SpecifierSet
    from packaging.utils import canonicalize_name

    found: Dict[str, List[Req]] = {}
    for line in lines:
        if line.name is None:
            raise ResolutionError(f"{line.origin}: a constraint must name its project")
        if line.marker and not _marker_true(line.marker, target):
            continue
        name = canonicalize_name(line.name)
        found.setdefault(name, []).append(
            Req(name, frozenset(), SpecifierSet(line.specifier), line.url, line.origin)
        )
    return found


def _marker_true(marker: str, target: Target) -> bool:
    from packaging.markers import Marker

    return bool(Marker(marker).evaluate(dict(target.markers, extra="")))


def _pins(
    result: Any, roots: List[Req], limits: Dict[str, List[Req]], provider: Provider
) -> Resolution:
    """The resolver's mapping as pins, each with every file of its version and its 'via'."""
    requested = {r.name for r in roots}
    extras: Dict[str, Set[str]] = {}
    via: Dict[str, Set[str]] = {}
    for identifier in result.mapping:
        if identifier == PYTHON:
            continue
        name, wanted = split_identifier(identifier)
        extras.setdefault(name, set()).update(wanted)
        for parent in result.graph.iter_parents(identifier):
            if parent is None:
                continue
            parent_name = split_identifier(parent)[0]
            if parent_name != name:
                via.setdefault(name, set()).add(parent_name)
    for req in roots:
        via.setdefault(req.name, set()).add("-r " + req.origin.rsplit(":", 1)[0])
    for name, reqs in limits.items():
        if name in extras:
            via.setdefault(name, set()).update("-c " + r.origin.rsplit(":", 1)[0] for r in reqs)
    pins = []
    for identifier, candidate in result.mapping.items():
        if identifier == PYTHON or candidate.extras:
            continue
        name = candidate.name
        pins.append(
            Pin(
                name=name,
                version=str(candidate.version),
                links=_all_files(provider.index, candidate),
                chosen=candidate.links[0] if candidate.links else None,
                url=candidate.url,
                extras=tuple(sorted(extras.get(name, ()))),
                via=tuple(sorted(via.get(name, ()), key=lambda v: (v.startswith("-"), v))),
                requested=name in requested,
                editable=candidate.url in provider.metadata.editables,
            )
        )
    pins.sort(key=lambda p: p.key)
    return Resolution(pins=pins, python=provider.target.python_version)


def _all_files(index: Index, candidate: Candidate) -> List[Link]:
    """Every file of the candidate's version on the index (a lock serves every platform)."""
    if candidate.url is not None:
        return candidate.links
    version = str(candidate.version)  # once: numpy's page alone lists thousands of files
    return [
        link
        for link in index.files(candidate.name)
        if link.version == version and link.yanked is None
    ] or candidate.links
