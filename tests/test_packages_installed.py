"""What an env has installed (packages/installed.py): names as PEP 503 spells them."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st
from packaging.utils import canonicalize_name

from burrow.packages.installed import canonical_name


@given(st.text(alphabet="aB9-_.Z", max_size=12))
def test_canonical_name_is_pep_503s_rule(name: str) -> None:
    assert canonical_name(name) == re.sub(r"[-_.]+", "-", name).lower()


def test_canonical_name_agrees_with_packaging() -> None:
    for name in ("Foo_Bar.baz", "zope.interface", "typing_extensions", "A--__..B", "pip"):
        assert canonical_name(name) == canonicalize_name(name)
