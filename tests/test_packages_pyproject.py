"""burrow.packages.pyproject: a project's dependencies read from its [project] table."""

from __future__ import annotations

from pathlib import Path

import pytest

from burrow.errors import LockError
from burrow.packages import pyproject
from burrow.packages.requirements import parse_file

PROJECT = """\
[project]
name = "app"
version = "1"
dependencies = ["flask>=3", 'click; python_version >= "3.8"']

[project.optional-dependencies]
Test_Suite = [
    "pytest",
]
"""


def test_each_dependency_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text(PROJECT, "utf-8")
    assert pyproject.requirements(str(path)) == [
        (4, "flask>=3"),
        (4, 'click; python_version >= "3.8"'),
    ]
    assert pyproject.requirements(str(path), ["test.suite"])[2:] == [(8, "pytest")]
    assert pyproject.extras_of(str(path)) == ["test-suite"]


def test_read_as_a_requirements_file_by_its_name(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(PROJECT, "utf-8")
    (tmp_path / "requirements.in").write_text("-r pyproject.toml\nrich\n", "utf-8")
    lines = parse_file(tmp_path / "requirements.in", extras=["Test-Suite"]).requirements
    assert [(line.name, line.origin.rpartition("/")[2]) for line in lines] == [
        ("flask", "pyproject.toml:4"),
        ("click", "pyproject.toml:4"),
        ("pytest", "pyproject.toml:8"),
        ("rich", "requirements.in:2"),
    ]
    assert lines[1].marker == 'python_version >= "3.8"'


def test_a_dependency_that_is_not_a_string_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text("[project]\nname = 'app'\ndependencies = [1]\n", "utf-8")
    with pytest.raises(LockError, match=r"project\.dependencies is not an array of strings"):
        pyproject.requirements(str(path))
