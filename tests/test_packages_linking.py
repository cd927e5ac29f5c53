"""burrow.packages.linking.link_files: every file hard-linked, and a damaged one never.

An entry's files are linked by two threads when there are many; both halves must check
each file against the manifest, so each test runs with the split forced and without.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, List, Tuple

import pytest

from burrow.packages import linking
from burrow.packages.cache import DamagedEntry


@pytest.fixture(params=[10**9, 2], ids=["one-thread", "two-threads"])
def split(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(linking, "PARALLEL_FROM", request.param)
    return int(request.param)


def tree(root: Path, count: int = 40) -> Tuple[List[str], List[List[Any]]]:
    """A source tree of ``count`` files in a few folders, and its manifest lists."""
    dirs = ["pkg", "pkg/sub", "pkg/sub/__pycache__"]
    files: List[List[Any]] = []
    for folder in dirs:
        (root / folder).mkdir(parents=True, exist_ok=True)
    for index in range(count):
        rel = f"{dirs[index % len(dirs)]}/m{index:03}.py"
        path = root / rel
        path.write_text(f"VALUE = {index}\n")
        st = path.stat()
        files.append([rel, st.st_size, st.st_mtime_ns])
    files.sort()
    return dirs, files


def test_every_file_is_the_cached_one(tmp_path: Path, split: int) -> None:
    source, dest = tmp_path / "entry", tmp_path / "env"
    dirs, files = tree(source)
    dest.mkdir()
    linking.link_files(str(source), str(dest), dirs, files)
    for rel, *_ in files:
        assert os.path.samefile(source / rel, dest / rel), rel
    assert sorted(str(p.relative_to(dest)) for p in dest.rglob("*.py")) == [f[0] for f in files]


@pytest.mark.parametrize("where", ["first", "last"])
@pytest.mark.parametrize("damage", ["changed", "missing"])
def test_a_damaged_file_in_either_half_is_refused(
    tmp_path: Path, split: int, where: str, damage: str
) -> None:
    source, dest = tmp_path / "entry", tmp_path / "env"
    dirs, files = tree(source)
    dest.mkdir()
    victim = source / files[0 if where == "first" else -1][0]
    if damage == "changed":
        victim.write_text("VALUE = 'damaged'\n")
    else:
        victim.unlink()
    with pytest.raises(DamagedEntry, match=str(victim)):
        linking.link_files(str(source), str(dest), dirs, files)
    assert not (dest / victim.relative_to(source)).exists()
