"""burrow.packages.linking: every file hard-linked, a damaged one never, entries side by side."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, List, Tuple

import pytest

from burrow.interpreter import PythonInfo
from burrow.packages import linking
from burrow.packages.cache import DamagedEntry, Entry


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


def test_every_file_is_the_cached_one(tmp_path: Path) -> None:
    source, dest = tmp_path / "entry", tmp_path / "env"
    dirs, files = tree(source)
    dest.mkdir()
    linking.link_files(str(source), str(dest), dirs, files)
    for rel, *_ in files:
        assert os.path.samefile(source / rel, dest / rel), rel
    assert sorted(str(p.relative_to(dest)) for p in dest.rglob("*.py")) == [f[0] for f in files]


@pytest.mark.parametrize("where", ["first", "last"])
@pytest.mark.parametrize("damage", ["changed", "missing"])
def test_a_damaged_file_first_or_last_is_refused(tmp_path: Path, where: str, damage: str) -> None:
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


# -- entries side by side


def test_side_by_side_runs_every_task_once() -> None:
    done: List[int] = []
    linking.link_side_by_side([lambda i=i: done.append(i) for i in range(50)])  # type: ignore[misc]
    assert sorted(done) == list(range(50))


def test_the_first_failure_stops_what_has_not_started_and_is_raised() -> None:
    import threading

    started: List[int] = []
    first_running = threading.Event()
    failing = threading.Event()

    def slow() -> None:  # holds one thread until the other has failed
        started.append(0)
        first_running.set()
        assert failing.wait(60)

    def fail() -> None:
        started.append(1)
        assert first_running.wait(60)
        failing.set()
        raise DamagedEntry("entry 1 changed")

    def later(i: int) -> None:
        started.append(i)

    tasks = [slow, fail, *(lambda i=i: later(i) for i in range(2, 10))]  # type: ignore[misc]
    with pytest.raises(DamagedEntry, match="entry 1 changed"):
        linking.link_side_by_side(tasks)
    assert sorted(started) == [0, 1]  # the slow one finished; nothing later was started


def test_one_task_or_one_thread_runs_in_the_caller() -> None:
    import threading

    seen: List[str] = []
    linking.link_side_by_side([lambda: seen.append(threading.current_thread().name)])
    linking.link_side_by_side([lambda: seen.append(threading.current_thread().name)] * 2, 1)
    assert seen == [threading.current_thread().name] * 3


def test_entries_apart_unless_they_write_one_path(
    tmp_path: Path, cache: Path, info: PythonInfo
) -> None:
    """A file, a .pth or a script two dists write (any case, any extension) keeps the
    lock's order; anything else may be linked side by side."""
    import hashlib

    from helpers import make_wheel

    from burrow.layout import plan
    from burrow.packages.cache import ensure_entry

    def entry(name: str, **kwargs: Any) -> Entry:
        wheel = make_wheel(tmp_path / "w", name, **kwargs)
        return ensure_entry(str(wheel), hashlib.sha256(wheel.read_bytes()).hexdigest(), info)

    layout = plan(info)
    plain = [entry(name) for name in ("aa", "bb")]
    assert linking.writes_apart(plain, layout, info)
    assert linking.writes_apart(plain[:1], layout, info)
    clashes = [
        entry("cc", files={"shared/Data.txt": "c"}),
        entry("dd", files={"shared/data.txt": "d"}),
        entry("ee", files={"same.pth": "import os"}),
        entry("ff", files={"same.pth": "import sys"}),
        entry("gg", console_scripts={"tool": "gg:main"}),
        entry("hh", files={"hh-1.0.data/scripts/tool": "#!/bin/sh\n"}),
        entry("ii", files={"Top.py": "i"}),
        entry("jj", files={"top.py": "j"}),
    ]
    for first, second in zip(clashes[::2], clashes[1::2]):
        assert not linking.writes_apart([*plain, first, second], layout, info)
        assert linking.writes_apart([*plain, first], layout, info)
    # One namespace folder, other files in it: apart, though their top folder is shared.
    spaced = [entry("kk", files={"ns/one.py": "k"}), entry("ll", files={"ns/two.py": "l"})]
    assert linking.writes_apart([*plain, *spaced], layout, info)
    deeper = entry("mm", files={"ns/sub/one.py": "m"})
    assert linking.writes_apart([*spaced, deeper], layout, info)
    assert not linking.writes_apart([*spaced, entry("nn", files={"ns/One.py": "n"})], layout, info)
    # Top-level modules' bytecode shares one __pycache__ folder, each by its own name.
    modules = [entry(name, files={f"{name}_mod.py": "X = 1\n"}) for name in ("oo", "pp")]
    assert all(e.compiled for e in modules)
    assert linking.writes_apart(modules, layout, info)
    assert not linking.writes_apart(
        [*modules, entry("qq", files={"OO_mod.py": "Y = 1\n"})], layout, info
    )
