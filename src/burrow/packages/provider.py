"""resolvelib's provider: the five questions (identify, get_preference, find_matches,
is_satisfied_by, get_dependencies) answered from the index and the candidates' metadata.

    provider = Provider(index, target, options, constraints={}, user_order={},
                        metadata=Dependencies(index, target, info))
    resolvelib.Resolver(provider, resolvelib.BaseReporter()).resolve(roots)

Candidates are filtered as pip filters them: wheel tags and markers of the *target*
interpreter, `Requires-Python` (the index's and then the metadata's), yanked files only
for an `==` pin with nothing else, pre-releases only when asked for or the only match.
A candidate's dependencies are kept evaluated for the target, per (file hash, target).
"""

from __future__ import annotations

import difflib
import math
import os
from typing import TYPE_CHECKING, Dict, FrozenSet, List, Optional, Sequence, Tuple

import resolvelib

from burrow._fast import getLogger
from burrow.errors import FetchError, ResolutionError
from burrow.packages.candidates import (
    PYTHON,
    Candidate,
    Req,
    identify,
    same_url,
    specifier_set,
    split_identifier,
)

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping
    from typing import Any

    from packaging.version import Version

    from burrow.packages.candidates import Target
    from burrow.packages.dependencies import Dependencies
    from burrow.packages.index import Index
    from burrow.packages.pages import Link
    from burrow.packages.resolve import Options

logger = getLogger(__name__)


if TYPE_CHECKING:
    _ProviderBase = resolvelib.AbstractProvider["Req", "Candidate", str]
else:
    _ProviderBase = resolvelib.AbstractProvider


class Provider(_ProviderBase):
    """resolvelib's provider: the five questions, answered from the index and metadata."""

    def __init__(
        self,
        index: Index,
        target: Target,
        options: Options,
        constraints: Dict[str, List[Req]],
        user_order: Dict[str, int],
        metadata: Dependencies,
    ) -> None:
        self.index = index
        self.target = target
        self.options = options
        self.constraints = constraints
        self.user_order = user_order
        self.depths: Dict[str, float] = {}
        self.display: Dict[str, str] = {}  # canonical name -> name as metadata spells it
        self._versions: Dict[str, Dict[Version, List[Link]]] = {}
        self._tag_ranks: Dict[Tuple[str, str, str], Optional[int]] = {}
        self._candidates: Dict[Tuple[str, Version, FrozenSet[str]], Candidate] = {}
        self._fit_cache: Dict[Tuple[Req, Candidate], bool] = {}
        self._matches: Dict[Tuple[str, FrozenSet[str], FrozenSet[Req]], List[Candidate]] = {}
        self._python = self._python_candidate()
        self.metadata = metadata  # dependencies, read from metadata for the target

    # -- the five questions

    def identify(self, requirement_or_candidate: Req | Candidate) -> str:
        return identify(requirement_or_candidate.name, requirement_or_candidate.extras)

    def get_preference(
        self,
        identifier: str,
        resolutions: Mapping[str, Candidate],
        candidates: Mapping[str, Iterator[Candidate]],
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
        requirements: Mapping[str, Iterator[Req]],
        incompatibilities: Mapping[str, Iterator[Candidate]],
    ) -> List[Candidate]:
        if identifier == PYTHON:
            reqs = list(requirements[identifier])
            return [self._python] if all(self._fits(r, self._python) for r in reqs) else []
        name, extras = split_identifier(identifier)
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
        matches = [
            c
            for c in found
            if c.version not in bad and (not urls or all(self._fits(r, c) for r in reqs))
        ]
        if matches:
            self.metadata.prefetch(matches[0])  # most often the one pinned
        return matches

    def is_satisfied_by(self, requirement: Req, candidate: Candidate) -> bool:
        if requirement.url:
            return candidate.url is not None and same_url(candidate.url, requirement.url)
        return self._fits(requirement, candidate)

    def get_dependencies(self, candidate: Candidate) -> List[Req]:
        if candidate._deps is None:
            candidate._deps = self._dependencies(candidate)
            self.index.prefetch(r.name for r in candidate._deps if r.name != PYTHON)
        return candidate._deps

    # -- candidates

    def _fits(self, requirement: Req, candidate: Candidate) -> bool:
        # resolvelib asks again after every pin: remember (requirement, candidate) pairs.
        key = (requirement, candidate)
        found = self._fit_cache.get(key)
        if found is None:
            # A pre-release a candidate list already holds was allowed there (asked for,
            # or the only match), so containment is checked with pre-releases admitted.
            found = requirement.specifier.contains(candidate.version, prereleases=True)
            self._fit_cache[key] = found
        return found

    def _from_index(self, name: str, extras: FrozenSet[str], reqs: List[Req]) -> List[Candidate]:
        """The project's versions that fit every requirement, newest (or preferred) first."""
        # resolvelib asks again each time a requirement is added: remember the answers.
        key = (name, extras, frozenset(reqs))
        found = self._matches.get(key)
        if found is None:
            found = self._matches[key] = self._read_matches(name, extras, reqs)
        return found

    def _read_matches(self, name: str, extras: FrozenSet[str], reqs: List[Req]) -> List[Candidate]:
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
    ) -> Candidate:
        """One object per (project, version, extras), so its dependencies are read once."""
        key = (name, version, extras)
        found = self._candidates.get(key)
        if found is None:
            usable = [x for x in links if x.yanked is None] or links
            found = self._candidates[key] = Candidate(name, version, usable, extras)
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
        # Most of a project's wheels share a few tag sets: each is ranked once.
        tags = (parts[-3], parts[-2], parts[-1])
        if tags not in self._tag_ranks:
            self._tag_ranks[tags] = self._rank_of(*tags)
        return self._tag_ranks[tags]

    def _rank_of(self, pythons: str, abis: str, platforms: str) -> Optional[int]:
        rank = self.target.tag_rank
        best = None
        for py in pythons.split("."):
            for abi in abis.split("."):
                for plat in platforms.split("."):
                    found = rank.get(f"{py}-{abi}-{plat}".lower())
                    if found is not None and (best is None or found < best):
                        best = found
        return best

    def _direct(self, name: str, extras: FrozenSet[str], url: str) -> Candidate:
        from packaging.version import Version

        from burrow.packages.pages import make_link

        if url in self.metadata.projects:
            return Candidate(name, Version(self.metadata.version(url)), [], extras, url)
        link = make_link(url, None, {}, None)
        if link is None:
            raise ResolutionError(
                f"{name} @ {url}: only wheel and sdist files can be resolved, not directories"
            )
        return Candidate(name, Version(link.version), [link], extras, url)

    def _python_candidate(self) -> Candidate:
        from packaging.version import Version

        return Candidate(PYTHON, Version(self.target.python_version), [])

    # -- dependencies

    def _dependencies(self, candidate: Candidate) -> List[Req]:
        if candidate.name == PYTHON:
            return []
        facts = self.metadata.facts(candidate)
        self.display.setdefault(candidate.name, facts["name"] or candidate.name)
        who = f"{self.display[candidate.name]} {candidate.version}"
        deps: List[Req] = []
        if candidate.extras:
            # An extra's candidate pulls in its base at the same version, plus the extra's.
            base = specifier_set(f"=={candidate.version}")
            deps.append(Req(candidate.name, frozenset(), base, candidate.url, who, candidate))
            for extra in sorted(candidate.extras - set(facts["provides"])):
                logger.warning("%s has no extra %r", who, extra)
        elif facts["requires_python"]:
            try:
                spec = specifier_set(facts["requires_python"])
            except ValueError:
                logger.debug("%s: ignoring invalid Requires-Python", who)
            else:
                deps.append(Req(PYTHON, frozenset(), spec, None, who, candidate))
        for name, extras, specifier, url, when in facts["requires"]:
            # `when` is None for the base's own dependencies, else the extras that add it.
            wanted = (
                when is None if not candidate.extras else bool(candidate.extras & set(when or ()))
            )
            if wanted:
                spec = specifier_set(specifier)
                deps.append(Req(name, frozenset(extras), spec, url, who, candidate))
        return deps

    def _unknown(self, name: str) -> str:
        from burrow.packages.index import describe

        message = f"no package named '{name}' {describe(self.options.config)}"
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
