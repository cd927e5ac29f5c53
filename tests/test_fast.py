"""``burrow._fast.Record``, the dataclass stand-in: mutable and frozen records."""

from __future__ import annotations

import copy
from typing import Dict

import pytest

from burrow._fast import Record
from burrow.discovery import Found
from burrow.locations import Candidate
from burrow.packages.pages import WheelLink
from burrow.packages.pipconfig import IndexConfig
from burrow.spec import parse_name, parse_spec


class Point(Record):
    x: int
    y: int = 0


class Version(Record, frozen=True):
    major: int
    minor: int = 0


class Link(Record, frozen=True, unhashed=("extra",)):
    url: str
    extra: Dict[str, str]


def test_fields_are_keyword_built_with_defaults() -> None:
    assert Point(x=1).as_dict() == {"x": 1, "y": 0}
    assert repr(Version(major=3, minor=12)) == "Version(major=3, minor=12)"
    with pytest.raises(TypeError, match="needs 'major'"):
        Version()
    with pytest.raises(TypeError, match="has no field 'patch'"):
        Version(major=3, patch=1)
    with pytest.raises(TypeError):
        Version(3, 12)  # type: ignore[misc]


def test_mutable_record_can_change_and_has_no_hash() -> None:
    point = Point(x=1)
    point.y = 5
    assert point == Point(x=1, y=5)
    with pytest.raises(TypeError, match="unhashable"):
        hash(point)


def test_frozen_record_refuses_changes() -> None:
    version = Version(major=3, minor=12)
    with pytest.raises(AttributeError, match="Version is frozen: cannot change 'minor'"):
        version.minor = 13  # type: ignore[misc]
    with pytest.raises(AttributeError, match="cannot change 'major'"):
        del version.major
    with pytest.raises(AttributeError, match="cannot change 'patch'"):
        version.patch = 1  # type: ignore[attr-defined]
    assert version.as_dict() == {"major": 3, "minor": 12}


def test_frozen_record_is_a_value() -> None:
    a, b, c = Version(major=3, minor=12), Version(major=3, minor=12), Version(major=3)
    assert a == b and hash(a) == hash(b)
    assert a != c
    assert {a, b, c} == {a, c}
    assert {a: "x"}[b] == "x"
    assert a != Point(x=3, y=12)  # another type is never equal, whatever its fields


def test_frozen_replace_and_copy_make_new_values() -> None:
    old = Version(major=3, minor=12)
    new = old.replace(minor=13)
    assert (old.minor, new.minor) == (12, 13)
    with pytest.raises(AttributeError):
        new.minor = 14  # type: ignore[misc]
    assert copy.copy(old) == old and copy.deepcopy(old) == old


def test_unhashed_fields_count_for_equality_only() -> None:
    a = Link(url="u", extra={"k": "1"})
    b = Link(url="u", extra={"k": "2"})
    assert hash(a) == hash(b)  # a dict in the record does not stop it being hashed
    assert a != b
    assert a == Link(url="u", extra={"k": "1"})
    assert len({a, b}) == 2


def test_frozen_subclass_extends_the_fields_and_the_hash() -> None:
    class Release(Version, frozen=True):
        level: str = "final"

    final, rc = Release(major=3, minor=13), Release(major=3, minor=13, level="candidate")
    assert Release._fields == ("major", "minor", "level")
    assert final != rc and len({final, rc}) == 2
    with pytest.raises(AttributeError):
        final.level = "beta"  # type: ignore[misc]


def test_declaration_mistakes_fail_at_class_creation() -> None:
    with pytest.raises(TypeError, match="must be frozen, like the record it extends"):

        class Loose(Version):  # type: ignore[misc]
            patch: int = 0

    with pytest.raises(TypeError, match="unhashed= needs frozen=True"):

        class Mutable(Record, unhashed=("x",)):
            x: int

    with pytest.raises(TypeError, match="has no field 'nope' to leave unhashed"):

        class Typo(Record, frozen=True, unhashed=("nope",)):
            x: int


def _found() -> Found:
    return Found(path="/x/python3", source="PATH", info=None, problem="broken")


def _wheel_link() -> WheelLink:
    return WheelLink(
        filename="demo-1.0-py3-none-any.whl",
        url="https://example.invalid/demo-1.0-py3-none-any.whl",
        version="1.0",
        hashes={"sha256": "0" * 64},
        requires_python=None,
    )


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: parse_spec("cpython>=3.10"), "specifier"),
        (lambda: parse_name("cpython-3.12.1-linux-x86_64-gnu"), "version"),
        (_found, "path"),
        (lambda: Candidate(path="/x/python3", source="PATH", guess=parse_name("python3")), "guess"),
        (lambda: IndexConfig(index_urls=("https://example.invalid/",), find_links=()), "cert"),
        (_wheel_link, "url"),
    ],
    ids=["Spec", "Guess", "Found", "Candidate", "IndexConfig", "WheelLink"],
)
def test_burrows_records_are_frozen_values(make: object, field: str) -> None:
    record = make()  # type: ignore[operator]
    twin = make()  # type: ignore[operator]
    assert record is not twin and record == twin and hash(record) == hash(twin)
    with pytest.raises(AttributeError, match="is frozen"):
        setattr(record, field, None)
