"""Resolve requirements into one version per project, as pip would: resolvelib's algorithm
over a provider built on `packaging` and the index client.

    resolution = resolve([parse_line("flask>=3")], [], info, Options(config=pip_config()))
    [f"{pin.name}=={pin.version}" for pin in resolution.pins]  # ['blinker==1.8.2', ...]

The provider answers resolvelib's five questions (identify, get_preference, find_matches,
is_satisfied_by, get_dependencies); everything about backtracking is resolvelib's.
Candidates are filtered as pip filters them: wheel tags and markers of the *target*
interpreter, `Requires-Python` (the index's and then the metadata's), yanked files only
for an `==` pin with nothing else, pre-releases only when asked for or the only match.
"""

from __future__ import annotations

import difflib
import math
import os
from typing import TYPE_CHECKING, Dict, FrozenSet, List, Optional, Sequence, Set, Tuple

import resolvelib

from burrow._fast import Record, getLogger
from burrow.errors import FetchError, ResolutionError

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping
    from typing import Any

    from packaging.requirements import Requirement
    from packaging.specifiers import SpecifierSet
    from packaging.version import Version

    from burrow.interpreter import PythonInfo
    from burrow.packages.index import Index
    from burrow.packages.pages import Link
    from burrow.packages.pipconfig import IndexConfig
    from burrow.packages.requirements import Line

logger = getLogger(__name__)

# The identifier of the target interpreter, which every `Requires-Python` "depends" on.
PYTHON = "<python>"
_MAX_ROUNDS = 200_000  # as pip: enough for real backtracking, bounded for pathological sets


class Options(Record):
    """How to resolve: where packages come from and which files may be used."""

    config: IndexConfig
    pre: bool = False  # pre-releases allowed for every project (--pre)
    only_binary: FrozenSet[str] = frozenset()  # canonical names or ":all:"
    no_binary: FrozenSet[str] = frozenset()
    prefer_binary: bool = False
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

    @property
    def key(self) -> str:
        return self.name


class Resolution(Record):
    """The outcome: pins sorted by name, and the target's Python for the file header."""

    pins: List[Pin]
    python: str  # e.g. "3.12.1"


# --------------------------------------------------------------------------- the target


class Target(Record):
    """What the target interpreter accepts: its wheel tags (best first) and marker values."""

    python_version: str  # full, e.g. "3.12.1"
    tag_rank: Dict[str, int]  # "cp312-cp312-manylinux_2_17_x86_64" -> 0 (best)
    markers: Dict[str, str]


def target_of(info: PythonInfo) -> Target:
    """The tags and marker environment of `info`, e.g. CPython 3.12 on Linux x86-64."""
    tags, markers = _tags_and_markers(info)
    rank: Dict[str, int] = {}
    for number, tag in enumerate(tags):
        rank.setdefault(tag, number)
    return Target(python_version=markers["python_full_version"], tag_rank=rank, markers=markers)


def _tags_and_markers(info: PythonInfo) -> Tuple[List[str], Dict[str, str]]:
    from burrow.packages import tags

    return [str(t) for t in tags.supported_tags(info)], dict(tags.marker_environment(info))


# --------------------------------------------------------------------------- requirements


class _Req:
    """A requirement as resolvelib sees it: a project (with extras) and what fits."""

    __slots__ = ("extras", "name", "origin", "parent", "specifier", "url")

    def __init__(
        self,
        name: str,
        extras: FrozenSet[str],
        specifier: SpecifierSet,
        url: Optional[str],
        origin: str,
        parent: Optional[_Candidate] = None,
    ) -> None:
        self.name = name  # canonical
        self.extras = extras
        self.specifier = specifier
        self.url = url
        self.origin = origin  # "requirements.in:3", or the parent's "flask 3.1"
        self.parent = parent

    def __repr__(self) -> str:
        return f"<{self.describe()}>"

    def describe(self) -> str:
        """'werkzeug>=3.1', 'demo[fast] @ file:///...'."""
        text = self.name + (f"[{','.join(sorted(self.extras))}]" if self.extras else "")
        if self.url:
            return f"{text} @ {self.url}"
        if self.name == PYTHON:
            return f"Python {self.specifier}"
        return text + str(self.specifier)


class _Candidate:
    """One version of a project (with extras), and the files that could install it."""

    __slots__ = ("_deps", "extras", "links", "name", "url", "version")

    def __init__(
        self,
        name: str,
        version: Version,
        links: List[Link],
        extras: FrozenSet[str] = frozenset(),
        url: Optional[str] = None,
    ) -> None:
        self.name = name
        self.version = version
        self.links = links  # usable on the target, best first
        self.extras = extras
        self.url = url
        self._deps: Optional[List[_Req]] = None

    def __repr__(self) -> str:
        return f"<{self.describe()}>"

    def describe(self) -> str:
        if self.name == PYTHON:
            return f"Python {self.version}"
        return f"{self.name} {self.version}"


def _identify(name: str, extras: FrozenSet[str]) -> str:
    return f"{name}[{','.join(sorted(extras))}]" if extras else name


def _split_identifier(identifier: str) -> Tuple[str, FrozenSet[str]]:
    name, _, rest = identifier.partition("[")
    return name, frozenset(rest.rstrip("]").split(",")) if rest else frozenset()


# --------------------------------------------------------------------------- the provider


if TYPE_CHECKING:
    _ProviderBase = resolvelib.AbstractProvider["_Req", "_Candidate", str]
else:
    _ProviderBase = resolvelib.AbstractProvider


class _Provider(_ProviderBase):
    """resolvelib's provider: the five questions, answered from the index and metadata."""

    def __init__(
        self,
        index: Index,
        target: Target,
        options: Options,
        constraints: Dict[str, List[_Req]],
        user_order: Dict[str, int],
    ) -> None:
        self.index = index
        self.target = target
        self.options = options
        self.constraints = constraints
        self.user_order = user_order
        self.depths: Dict[str, float] = {}
        self.display: Dict[str, str] = {}  # canonical name -> name as metadata spells it
        self._versions: Dict[str, Dict[Version, List[Link]]] = {}
        self._candidates: Dict[Tuple[str, Version, FrozenSet[str]], _Candidate] = {}
        self._fit_cache: Dict[Tuple[_Req, _Candidate], bool] = {}
        self._matches: Dict[Tuple[str, FrozenSet[str], FrozenSet[_Req]], List[_Candidate]] = {}
        self._target_key = _digest(sorted(target.markers.items()))
        self._python = self._python_candidate()
        self.info: Optional[PythonInfo] = None  # the target, for sdist builds

    # -- the five questions

    def identify(self, requirement_or_candidate: _Req | _Candidate) -> str:
        return _identify(requirement_or_candidate.name, requirement_or_candidate.extras)

    def get_preference(
        self,
        identifier: str,
        resolutions: Mapping[str, _Candidate],
        candidates: Mapping[str, Iterator[_Candidate]],
        information: Mapping[str, Iterator[Any]],
        backtrack_causes: Sequence[Any],
    ) -> Tuple[object, ...]:
        """pip's order: Python first, then direct URLs, pins, backtrack causes, the
        shallowest, the user's order, the bounded, and names for a stable answer."""
        infos = list(information[identifier])
        operators = [spec.operator for info in infos for spec in info.requirement.specifier]
        direct = any(info.requirement.url for info in infos)
        pinned = any(op[:2] == "==" for op in operators)
        if identifier in self.user_order:
            depth = 1.0
        elif infos:
            depth = 1.0 + min(
                self.depths.get(self.identify(info.parent), math.inf) if info.parent else 0.0
                for info in infos
            )
        else:
            depth = math.inf
        self.depths[identifier] = depth
        cause = any(
            self.identify(c.requirement) == identifier
            or (c.parent is not None and self.identify(c.parent) == identifier)
            for c in backtrack_causes
        )
        return (
            identifier != PYTHON,
            not direct,
            not pinned,
            not cause,
            depth,
            self.user_order.get(identifier, math.inf),
            not operators,
            identifier,
        )

    def find_matches(
        self,
        identifier: str,
        requirements: Mapping[str, Iterator[_Req]],
        incompatibilities: Mapping[str, Iterator[_Candidate]],
    ) -> List[_Candidate]:
        if identifier == PYTHON:
            reqs = list(requirements[identifier])
            return [self._python] if all(self._fits(r, self._python) for r in reqs) else []
        name, extras = _split_identifier(identifier)
        reqs = list(requirements[identifier]) + self.constraints.get(name, [])
        bad = {c.version for c in incompatibilities[identifier]}
        urls = {r.url for r in reqs if r.url}
        if urls:
            if len(urls) > 1:
                raise ResolutionError(
                    f"{name} is asked for at two places: {' and '.join(sorted(urls))}"
                )
            found = [self._direct(name, extras, urls.pop())]
            reqs = [r for r in reqs if not r.url]
        else:
            found = self._from_index(name, extras, reqs)
        # The merged specifier chose the versions; a direct URL's must still fit the rest.
        return [
            c
            for c in found
            if c.version not in bad and (not urls or all(self._fits(r, c) for r in reqs))
        ]

    def is_satisfied_by(self, requirement: _Req, candidate: _Candidate) -> bool:
        if requirement.url:
            return candidate.url is not None and _same_url(candidate.url, requirement.url)
        return self._fits(requirement, candidate)

    def get_dependencies(self, candidate: _Candidate) -> List[_Req]:
        if candidate._deps is None:
            candidate._deps = self._dependencies(candidate)
            self.index.prefetch(r.name for r in candidate._deps if r.name != PYTHON)
        return candidate._deps

    # -- candidates

    def _fits(self, requirement: _Req, candidate: _Candidate) -> bool:
        # resolvelib asks again after every pin: remember (requirement, candidate) pairs.
        key = (requirement, candidate)
        found = self._fit_cache.get(key)
        if found is None:
            # A pre-release a candidate list already holds was allowed there (asked for,
            # or the only match), so containment is checked with pre-releases admitted.
            found = requirement.specifier.contains(candidate.version, prereleases=True)
            self._fit_cache[key] = found
        return found

    def _from_index(self, name: str, extras: FrozenSet[str], reqs: List[_Req]) -> List[_Candidate]:
        """The project's versions that fit every requirement, newest (or preferred) first."""
        # resolvelib asks again each time a requirement is added: remember the answers.
        key = (name, extras, frozenset(reqs))
        found = self._matches.get(key)
        if found is None:
            found = self._matches[key] = self._read_matches(name, extras, reqs)
        return found

    def _read_matches(
        self, name: str, extras: FrozenSet[str], reqs: List[_Req]
    ) -> List[_Candidate]:
        from packaging.specifiers import SpecifierSet

        versions = self._project_versions(name)
        specifier = SpecifierSet()
        for req in reqs:
            specifier &= req.specifier
        allow_pre = True if self.options.pre else None
        fitting = set(specifier.filter(versions, prereleases=allow_pre))
        usable = [v for v in versions if v in fitting]
        # Yanked files count only for an exact pin that nothing else satisfies (PEP 592).
        live = [v for v in usable if any(link.yanked is None for link in versions[v])]
        pinned = any(s.operator in ("==", "===") for s in specifier)
        if not live and pinned:
            live = usable
        order = sorted(live, reverse=True)
        if self.options.prefer_binary:
            order.sort(key=lambda v: not versions[v][0].is_wheel)
        preferred = self.options.preferred.get(name)
        if preferred is not None:
            order.sort(key=lambda v: str(v) != preferred)
        return [self._candidate(name, v, versions[v], extras) for v in order]

    def _candidate(
        self, name: str, version: Version, links: List[Link], extras: FrozenSet[str]
    ) -> _Candidate:
        """One object per (project, version, extras), so its dependencies are read once."""
        key = (name, version, extras)
        found = self._candidates.get(key)
        if found is None:
            usable = [x for x in links if x.yanked is None] or links
            found = self._candidates[key] = _Candidate(name, version, usable, extras)
        return found

    def _project_versions(self, name: str) -> Dict[Version, List[Link]]:
        """Versions with a file the target can use, each with its files best first."""
        found = self._versions.get(name)
        if found is not None:
            return found
        from packaging.specifiers import InvalidSpecifier, SpecifierSet
        from packaging.version import InvalidVersion, Version

        project = self.index.project(name)
        if not project.links:
            if project.problems:
                raise FetchError(f"could not read {'; '.join(project.problems)}")
            raise ResolutionError(self._unknown(name))
        binary_only = bool({":all:", name} & self.options.only_binary)
        no_binary = bool({":all:", name} & self.options.no_binary)
        python = self.target.python_version
        versions: Dict[Version, List[Tuple[int, Link]]] = {}
        parsed: Dict[str, Optional[Version]] = {}
        checked: Dict[str, bool] = {}
        for link in project.links:
            if link.is_wheel:
                if no_binary and not binary_only:
                    continue
                rank = self._wheel_rank(link.filename)
                if rank is None:
                    continue
            elif binary_only:
                continue
            else:
                rank = 1 << 30  # an sdist, after every wheel
            if link.requires_python:
                fits = checked.get(link.requires_python)
                if fits is None:
                    try:
                        spec = SpecifierSet(link.requires_python)
                        fits = spec.contains(python, prereleases=True)
                    except InvalidSpecifier:
                        fits = True  # as pip: an unreadable value rejects nothing
                    checked[link.requires_python] = fits
                if not fits:
                    continue
            version = parsed.get(link.version, False)
            if version is False:
                try:
                    version = Version(link.version)
                except InvalidVersion:
                    version = None
                parsed[link.version] = version
            if version is not None:
                versions.setdefault(version, []).append((rank, link))  # type: ignore[arg-type]
        found = {
            v: [link for _, link in sorted(links, key=lambda r: r[0])]
            for v, links in versions.items()
        }
        self._versions[name] = found
        return found

    def _wheel_rank(self, filename: str) -> Optional[int]:
        """The best rank of a wheel's tags on the target, None when it cannot install."""
        parts = filename[:-4].split("-")
        if len(parts) < 5:
            return None
        pythons, abis, platforms = parts[-3], parts[-2], parts[-1]
        rank = self.target.tag_rank
        best = None
        for py in pythons.split("."):
            for abi in abis.split("."):
                for plat in platforms.split("."):
                    found = rank.get(f"{py}-{abi}-{plat}".lower())
                    if found is not None and (best is None or found < best):
                        best = found
        return best

    def _direct(self, name: str, extras: FrozenSet[str], url: str) -> _Candidate:
        from packaging.version import Version

        from burrow.packages.pages import make_link

        link = make_link(url, None, {}, None)
        if link is None:
            raise ResolutionError(
                f"{name} @ {url}: only wheel and sdist files can be resolved, not directories"
            )
        return _Candidate(name, Version(link.version), [link], extras, url)

    def _python_candidate(self) -> _Candidate:
        from packaging.version import Version

        return _Candidate(PYTHON, Version(self.target.python_version), [])

    # -- dependencies

    def _dependencies(self, candidate: _Candidate) -> List[_Req]:
        if candidate.name == PYTHON:
            return []
        facts = self._facts(candidate)
        self.display.setdefault(candidate.name, facts["name"] or candidate.name)
        who = f"{self.display[candidate.name]} {candidate.version}"
        deps: List[_Req] = []
        if candidate.extras:
            # An extra's candidate pulls in its base at the same version, plus the extra's.
            base = _specifier(f"=={candidate.version}")
            deps.append(_Req(candidate.name, frozenset(), base, candidate.url, who, candidate))
            for extra in sorted(candidate.extras - set(facts["provides"])):
                logger.warning("%s has no extra %r", who, extra)
        elif facts["requires_python"]:
            try:
                spec = _specifier(facts["requires_python"])
            except ValueError:
                logger.debug("%s: ignoring invalid Requires-Python", who)
            else:
                deps.append(_Req(PYTHON, frozenset(), spec, None, who, candidate))
        for name, extras, specifier, url, when in facts["requires"]:
            # `when` is None for the base's own dependencies, else the extras that add it.
            wanted = (
                when is None if not candidate.extras else bool(candidate.extras & set(when or ()))
            )
            if wanted:
                spec = _specifier(specifier)
                deps.append(_Req(name, frozenset(extras), spec, url, who, candidate))
        return deps

    def _facts(self, candidate: _Candidate) -> Dict[str, Any]:
        """What resolving needs of a candidate's metadata, its markers evaluated for the
        target: kept beside the metadata cache, keyed by the file's hash and the target."""
        import json

        from burrow.packages.httpcache import write_atomic

        link = candidate.links[0] if candidate.links else None
        root = self.index.cache_root()
        path = None
        if root is not None and link is not None and link.sha256:
            name = f"{link.sha256}-{self._target_key}.json"
            path = os.path.join(root, "requires-v1", link.sha256[:2], name)
            try:
                with open(path, "rb") as handle:
                    found: Dict[str, Any] = json.loads(handle.read())
            except (OSError, ValueError):
                pass
            else:
                return found
        facts = self._read_facts(candidate)
        if path is not None:
            try:
                write_atomic(path, json.dumps(facts, separators=(",", ":")).encode())
            except OSError as exc:
                logger.debug("could not cache %s: %s", path, exc)
        return facts

    def _read_facts(self, candidate: _Candidate) -> Dict[str, Any]:
        from packaging.utils import canonicalize_name

        headers = _headers(self._metadata(candidate))
        who = f"{candidate.name} {candidate.version}"
        provided = sorted({_normalize_extra(e) for e in headers.get("provides-extra", [])})
        requires = []
        for text in headers.get("requires-dist", []):
            req = _parse_requirement(text, who)
            if req is None:
                continue
            when: Optional[List[str]] = None
            if not self._marker_ok(req, ""):
                when = [extra for extra in provided if self._marker_ok(req, extra)]
                if not when:
                    continue  # not for this target, whatever the extras
            extras = sorted(_normalize_extra(e) for e in req.extras)
            requires.append(
                [canonicalize_name(req.name), extras, str(req.specifier), req.url, when]
            )
        return {
            "name": next(iter(headers.get("name", [])), None),
            "requires_python": next(iter(headers.get("requires-python", [])), None),
            "provides": provided,
            "requires": requires,
        }

    def _marker_ok(self, req: Requirement, extra: str) -> bool:
        if req.marker is None:
            return extra == ""
        environment = dict(self.target.markers, extra=extra)
        return bool(req.marker.evaluate(environment))

    def _metadata(self, candidate: _Candidate) -> bytes:
        from burrow.packages.metadata import NeedsBuild

        errors = []
        for link in candidate.links[:1] or []:
            try:
                return self.index.metadata(link)
            except NeedsBuild as exc:
                logger.info("building %s for its metadata: %s", link.filename, exc)
                return _built_metadata(self.index, link, self.info)
            except FetchError as exc:
                errors.append(str(exc))
        raise FetchError(errors[0] if errors else f"no file of {candidate.describe()} to read")

    def _unknown(self, name: str) -> str:
        from burrow.packages.index import describe

        message = f"no package named '{name}' on {describe(self.options.config)}"
        close = difflib.get_close_matches(name, self._known_names(), n=3, cutoff=0.6)
        if close:
            message += f" (did you mean {', '.join(repr(c) for c in close)}?)"
        return message

    def _known_names(self) -> List[str]:
        """Project names cheap to list: those of file:// indexes, and those read so far."""
        from burrow.packages.urls import file_path

        names = set(self._versions)
        for url in self.options.config.index_urls:
            if url.startswith("file:"):
                try:
                    names.update(os.listdir(file_path(url)))
                except OSError:
                    pass
        return sorted(names)


def _built_metadata(index: Index, link: Link, info: Optional[PythonInfo]) -> bytes:
    """An sdist's metadata from PEP 517 `prepare_metadata_for_build_wheel`, built by the
    target interpreter in an isolated build env (packages/build.py)."""
    import importlib
    import tempfile
    from pathlib import Path

    # By name, as sync imports the fetcher: a build makes its env with creator, whose
    # create -r resolves through this module.
    build = importlib.import_module("burrow.packages.build")
    with tempfile.TemporaryDirectory(prefix="burrow-sdist-") as temp:
        path = index.download(link, Path(temp))
        return bytes(build.sdist_metadata(path, info, origin=link.filename))


def _headers(data: bytes) -> Dict[str, List[str]]:
    """The header fields of core metadata, names lower-cased: {'requires-dist': [...]}.

    The email package does this too, at several times the cost; metadata headers are
    plain `Name: value` lines, continued by lines that start with whitespace.
    """
    text = data.decode("utf-8", "surrogateescape")
    head = text.split("\n\n", 1)[0].replace("\r\n", "\n")
    fields: Dict[str, List[str]] = {}
    last: Optional[List[str]] = None
    for line in head.split("\n"):
        if line[:1] in (" ", "\t") and last:
            last[-1] += " " + line.strip()
            continue
        key, sep, value = line.partition(":")
        if sep:
            last = fields.setdefault(key.strip().lower(), [])
            last.append(value.strip())
    return fields


_SPECIFIERS: Dict[str, SpecifierSet] = {}


def _specifier(text: str) -> SpecifierSet:
    """A parsed SpecifierSet, shared by every requirement that spells it the same."""
    found = _SPECIFIERS.get(text)
    if found is None:
        from packaging.specifiers import SpecifierSet

        found = _SPECIFIERS[text] = SpecifierSet(text)
    return found


def _digest(value: object) -> str:
    import json

    from burrow.packages.urls import fnv

    return fnv(json.dumps(value))


def _first(pair: Tuple[int, Link]) -> int:
    return pair[0]


def _normalize_extra(extra: str) -> str:
    from packaging.utils import canonicalize_name

    return canonicalize_name(extra)


def _parse_requirement(text: str, origin: str) -> Optional[Requirement]:
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        return Requirement(text)
    except InvalidRequirement:
        logger.warning("%s: ignoring invalid requirement %r", origin, text)
        return None


def _same_url(a: str, b: str) -> bool:
    return a.split("#", 1)[0] == b.split("#", 1)[0]


# --------------------------------------------------------------------------- resolving


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
    from burrow.packages.index import Index

    target = target_of(info)
    session = index if index is not None else Index(options.config)
    try:
        roots, order = _roots(requirements, target)
        limits = _constraints(constraints, target)
        session.prefetch(r.name for r in roots)
        provider = _Provider(session, target, options, limits, order)
        provider.info = info
        reporter: resolvelib.BaseReporter[_Req, _Candidate, str] = resolvelib.BaseReporter()
        resolver = resolvelib.Resolver(provider, reporter)
        try:
            result = resolver.resolve(roots, max_rounds=_MAX_ROUNDS)
        except resolvelib.ResolutionImpossible as exc:
            raise ResolutionError(_explain(list(exc.causes), provider)) from None
        except resolvelib.ResolutionTooDeep:
            raise ResolutionError(
                f"gave up after {_MAX_ROUNDS} rounds of backtracking; pin a few versions"
            ) from None
        return _pins(result, roots, limits, provider)
    finally:
        if index is None:
            session.close()


def _roots(requirements: Sequence[Line], target: Target) -> Tuple[List[_Req], Dict[str, int]]:
    from packaging.specifiers import SpecifierSet
    from packaging.utils import canonicalize_name

    roots = []
    order: Dict[str, int] = {}
    for line in requirements:
        if line.name is None:
            raise ResolutionError(f"{line.origin}: name the project of {line.text!r} (name @ url)")
        if line.editable:
            raise ResolutionError(f"{line.origin}: editable requirements cannot be locked yet")
        if line.marker and not _marker_true(line.marker, target):
            continue
        name = canonicalize_name(line.name)
        extras = frozenset(_normalize_extra(e) for e in line.extras)
        req = _Req(name, extras, SpecifierSet(line.specifier), line.url, line.origin)
        roots.append(req)
        order.setdefault(_identify(name, extras), len(order))
        order.setdefault(name, len(order))
    return roots, order


def _constraints(lines: Sequence[Line], target: Target) -> Dict[str, List[_Req]]:
    from packaging.specifiers import SpecifierSet
    from packaging.utils import canonicalize_name

    found: Dict[str, List[_Req]] = {}
    for line in lines:
        if line.name is None:
            raise ResolutionError(f"{line.origin}: a constraint must name its project")
        if line.marker and not _marker_true(line.marker, target):
            continue
        name = canonicalize_name(line.name)
        found.setdefault(name, []).append(
            _Req(name, frozenset(), SpecifierSet(line.specifier), line.url, line.origin)
        )
    return found


def _marker_true(marker: str, target: Target) -> bool:
    from packaging.markers import Marker

    return bool(Marker(marker).evaluate(dict(target.markers, extra="")))


def _pins(
    result: Any, roots: List[_Req], limits: Dict[str, List[_Req]], provider: _Provider
) -> Resolution:
    """The resolver's mapping as pins, each with every file of its version and its 'via'."""
    requested = {r.name for r in roots}
    extras: Dict[str, Set[str]] = {}
    via: Dict[str, Set[str]] = {}
    for identifier in result.mapping:
        if identifier == PYTHON:
            continue
        name, wanted = _split_identifier(identifier)
        extras.setdefault(name, set()).update(wanted)
        for parent in result.graph.iter_parents(identifier):
            if parent is None:
                continue
            parent_name = _split_identifier(parent)[0]
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
            )
        )
    pins.sort(key=lambda p: p.key)
    return Resolution(pins=pins, python=provider.target.python_version)


def _all_files(index: Index, candidate: _Candidate) -> List[Link]:
    """Every file of the candidate's version on the index (a lock serves every platform)."""
    if candidate.url is not None:
        return candidate.links
    return [
        link
        for link in index.files(candidate.name)
        if link.version == str(candidate.version) and link.yanked is None
    ] or candidate.links


# --------------------------------------------------------------------------- explaining


def _explain(causes: Sequence[Any], provider: _Provider) -> str:
    """A few lines saying who needs what, e.g. 'flask 3.1 needs werkzeug>=3.1, but
    constraints.txt:2 pins werkzeug==2.3'."""
    by_name: Dict[str, List[str]] = {}
    for cause in causes:
        req = cause.requirement
        if req.name == PYTHON:
            who = cause.parent.describe() if cause.parent else req.origin
            by_name.setdefault(PYTHON, []).append(
                f"{who} needs Python {req.specifier}"
                f" (the target is {provider.target.python_version})"
            )
            continue
        if cause.parent is not None:
            text = f"{cause.parent.describe()} needs {req.describe()}"
        else:
            text = f"{req.origin} asks for {req.describe()}"
        by_name.setdefault(req.name, []).append(text)
    lines = []
    for name, texts in by_name.items():
        for limit in provider.constraints.get(name, []):
            texts.append(f"{limit.origin} pins {limit.describe()}")
        texts = list(dict.fromkeys(texts))
        if name == PYTHON:
            lines.append("; ".join(texts))
            continue
        available = sorted(provider._versions.get(name, {}), reverse=True)
        shown = ", ".join(str(v) for v in available[:5]) + (", ..." if len(available) > 5 else "")
        found = f" (available: {shown})" if available else " (no usable file)"
        if len(texts) == 1:
            lines.append(f"{texts[0]}, but no version fits{found}")
        else:
            lines.append(", but ".join([", ".join(texts[:-1]), texts[-1]]) + found)
    return "cannot resolve the requirements: " + "\n".join(lines)
