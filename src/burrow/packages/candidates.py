"""What the resolver reasons about: the target interpreter, requirements and candidates.

    target = target_of(info)  # wheel tags ranked best first, the marker environment
    Req("werkzeug", frozenset(), specifier_set(">=3.1"), None, "flask 3.1").describe()
    # 'werkzeug>=3.1'

A project with extras is its own identifier ('flask[async]'), as pip names it for
resolvelib; `PYTHON` stands for the target interpreter, which every `Requires-Python`
"depends" on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Dict, FrozenSet, List, Optional, Tuple

from burrow._fast import Record, getLogger

if TYPE_CHECKING:
    from packaging.requirements import Requirement
    from packaging.specifiers import SpecifierSet
    from packaging.version import Version

    from burrow.interpreter import PythonInfo
    from burrow.packages.pages import Link

logger = getLogger(__name__)

# The identifier of the target interpreter, which every `Requires-Python` "depends" on.
PYTHON = "<python>"


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


class Req:
    """A requirement as resolvelib sees it: a project (with extras) and what fits."""

    __slots__ = ("extras", "name", "origin", "parent", "specifier", "url")

    def __init__(
        self,
        name: str,
        extras: FrozenSet[str],
        specifier: SpecifierSet,
        url: Optional[str],
        origin: str,
        parent: Optional[Candidate] = None,
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


class Candidate:
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
        self._deps: Optional[List[Req]] = None

    def __repr__(self) -> str:
        return f"<{self.describe()}>"

    def describe(self) -> str:
        if self.name == PYTHON:
            return f"Python {self.version}"
        return f"{self.name} {self.version}"


def identify(name: str, extras: FrozenSet[str]) -> str:
    return f"{name}[{','.join(sorted(extras))}]" if extras else name


def split_identifier(identifier: str) -> Tuple[str, FrozenSet[str]]:
    name, _, rest = identifier.partition("[")
    return name, frozenset(rest.rstrip("]").split(",")) if rest else frozenset()


_SPECIFIERS: Dict[str, SpecifierSet] = {}


def specifier_set(text: str) -> SpecifierSet:
    """A parsed SpecifierSet, shared by every requirement that spells it the same."""
    found = _SPECIFIERS.get(text)
    if found is None:
        from packaging.specifiers import SpecifierSet

        found = _SPECIFIERS[text] = SpecifierSet(text)
    return found


def normalize_extra(extra: str) -> str:
    from packaging.utils import canonicalize_name

    return canonicalize_name(extra)


def parse_requirement(text: str, origin: str) -> Optional[Requirement]:
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        return Requirement(text)
    except InvalidRequirement:
        logger.warning("%s: ignoring invalid requirement %r", origin, text)
        return None


def same_url(a: str, b: str) -> bool:
    return a.split("#", 1)[0] == b.split("#", 1)[0]
