"""A candidate's dependencies as resolving needs them: read from its metadata (the
index's PEP 658 file or the wheel, else an sdist or a project directory prepared by its
PEP 517 backend), markers evaluated for the target, cached per (file hash, target).

    facts = Dependencies(index, target_of(info), info).facts(candidate)
    facts["requires"]  # [['werkzeug', [], '>=3.1', None, None], ...]: name, extras,
                       # specifier, URL, and the extras that add it (None: always)
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Dict, List, Optional, Set

from burrow._fast import getLogger
from burrow.errors import FetchError, ResolutionError
from burrow.packages.candidates import normalize_extra, parse_requirement

if TYPE_CHECKING:
    from concurrent.futures import Future
    from typing import Any

    from packaging.requirements import Requirement

    from burrow.interpreter import PythonInfo
    from burrow.packages.candidates import Candidate, Target
    from burrow.packages.index import Index
    from burrow.packages.pages import Link

logger = getLogger(__name__)


class Dependencies:
    """The metadata side of the provider, for one resolution on one target."""

    def __init__(self, index: Index, target: Target, info: Optional[PythonInfo]) -> None:
        self.index = index
        self.target = target
        self.info = info  # the target, for sdist and project builds
        self.projects: Set[str] = set()  # URLs of project directories (`DIR`, `-e DIR`)
        self.editables: Set[str] = set()  # those of them asked for as `-e DIR`
        self._projects: Dict[str, bytes] = {}  # a project directory's URL -> its metadata
        self._target_key = _digest(sorted(target.markers.items()))
        self._ahead: Dict[str, Future[Dict[str, Any]]] = {}  # a file's URL -> its facts

    def prefetch(self, candidate: Candidate) -> None:
        """Start reading the facts of a likely pick in the index's pool, then the pages of
        what it requires: they come in while the resolver works on other projects (a
        resolution is otherwise one metadata read after another). A wheel's only: an
        sdist's metadata may need a build."""
        link = candidate.links[0] if candidate.links else None
        if link is None or not link.is_wheel or candidate.url or link.url in self._ahead:
            return

        def read() -> Dict[str, Any]:
            facts = self._facts(candidate)
            self.index.prefetch(
                name
                for name, _, _, _, when in facts["requires"]
                if when is None or candidate.extras & set(when)
            )
            return facts

        future = self.index.in_background(read)
        if future is not None:
            self._ahead[link.url] = future

    def facts(self, candidate: Candidate) -> Dict[str, Any]:
        """What resolving needs of a candidate's metadata, its markers evaluated for the
        target: kept beside the metadata cache, keyed by the file's hash and the target."""
        link = candidate.links[0] if candidate.links else None
        ahead = self._ahead.get(link.url) if link is not None and not candidate.url else None
        if ahead is not None:
            return ahead.result()
        return self._facts(candidate)

    def _facts(self, candidate: Candidate) -> Dict[str, Any]:
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

    def _read_facts(self, candidate: Candidate) -> Dict[str, Any]:
        from packaging.utils import canonicalize_name

        fields = headers(self._metadata(candidate))
        who = f"{candidate.name} {candidate.version}"
        provided = sorted({normalize_extra(e) for e in fields.get("provides-extra", [])})
        requires = []
        for text in fields.get("requires-dist", []):
            req = parse_requirement(text, who)
            if req is None:
                continue
            when: Optional[List[str]] = None
            if not self._marker_ok(req, ""):
                when = [extra for extra in provided if self._marker_ok(req, extra)]
                if not when:
                    continue  # not for this target, whatever the extras
            extras = sorted(normalize_extra(e) for e in req.extras)
            requires.append(
                [canonicalize_name(req.name), extras, str(req.specifier), req.url, when]
            )
        return {
            "name": next(iter(fields.get("name", [])), None),
            "requires_python": next(iter(fields.get("requires-python", [])), None),
            "provides": provided,
            "requires": requires,
        }

    def _marker_ok(self, req: Requirement, extra: str) -> bool:
        if req.marker is None:
            return extra == ""
        environment = dict(self.target.markers, extra=extra)
        return bool(req.marker.evaluate(environment))

    def _metadata(self, candidate: Candidate) -> bytes:
        from burrow.packages.metadata import NeedsBuild

        if candidate.url in self.projects:
            return self.project(candidate.url)
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

    def project_name(self, url: str, origin: str) -> str:
        """The name in a project directory's metadata, e.g. 'demo' for `-e ./demo`."""
        name = next(iter(headers(self.project(url, origin)).get("name", [])), None)
        if not name:
            raise ResolutionError(f"{origin}: the metadata of {url} names no project")
        return name

    def project(self, url: str, origin: str = "") -> bytes:
        """A project directory's metadata from its PEP 517 backend, prepared once per run
        in an isolated build env by the target interpreter (packages/build.py)."""
        found = self._projects.get(url)
        if found is None:
            import importlib

            from burrow.packages.urls import file_path

            # By name, as _built_metadata imports it.
            build = importlib.import_module("burrow.packages.build")
            path = file_path(url)
            found = bytes(build.sdist_metadata(path, self.info, origin=origin or str(path)))
            self._projects[url] = found
        return found

    def version(self, url: str) -> str:
        """The version in a project directory's metadata, e.g. '0.3'."""
        return next(iter(headers(self.project(url)).get("version", [])), "")


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


def headers(data: bytes) -> Dict[str, List[str]]:
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


def _digest(value: object) -> str:
    import json

    from burrow.packages.urls import fnv

    return fnv(json.dumps(value))
