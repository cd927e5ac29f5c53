"""Building a cache entry from a wheel: each file decompressed once and checked against the
wheel's RECORD as it is written; a wheel that lies is refused in one line, nothing kept."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Dict

import pytest
from helpers import burrow, make_wheel

from burrow.errors import PackageError
from burrow.fs import file_digest
from burrow.packages.cache import build_entry, entry_path

if TYPE_CHECKING:
    from burrow.interpreter import PythonInfo


def rewritten(wheel: Path, changes: Dict[str, bytes | None]) -> Path:
    """A copy of ``wheel`` (same name, in a folder beside it) with members replaced, added
    or (None) removed, its RECORD left as it was."""
    out = wheel.parent / "bad" / wheel.name
    out.parent.mkdir(exist_ok=True)
    with zipfile.ZipFile(wheel) as source, zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            if name not in changes:
                target.writestr(name, source.read(name))
        for name, data in changes.items():
            if data is not None:
                target.writestr(name, data)
    return out


def build(wheel: Path, info: PythonInfo) -> Path:
    digest = file_digest(str(wheel))
    build_entry(str(wheel), digest, info, bytecode=False)
    return Path(entry_path(digest, info))


@pytest.fixture
def wheel(tmp_path: Path) -> Path:
    return make_wheel(
        tmp_path / "wheels",
        "demo",
        "1.0",
        files={"demo/mod.py": "X = 1\n", "demo-1.0.data/scripts/tool": "#!python\nprint(1)\n"},
    )


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"demo/mod.py": b"X = 2\n"}, "demo/mod.py does not match its RECORD"),
        ({"demo/mod.py": b"X = 1\n\n"}, "demo/mod.py does not match its RECORD"),
        ({"demo/extra.py": b""}, "its RECORD gives no hash for demo/extra.py"),
        ({"demo-1.0.data/scripts/tool": b"#!python\nprint(2)\n"}, "scripts/tool does not match"),
    ],
    ids=["content", "size", "unlisted", "script"],
)
def test_a_wheel_whose_files_differ_from_its_record_is_refused(
    wheel: Path, cache: Path, info: PythonInfo, change: Dict[str, bytes], why: str
) -> None:
    bad = rewritten(wheel, dict(change))
    with pytest.raises(PackageError) as caught:
        build(bad, info)
    message = str(caught.value)
    assert message.startswith(f"{bad.name} is not a valid wheel: ") and why in message
    assert "\n" not in message
    folder = Path(entry_path(file_digest(str(bad)), info)).parent
    assert not [p for p in folder.iterdir() if not p.name.endswith(".lock")]  # nothing kept


def test_a_sound_wheel_gives_a_read_only_entry_with_every_file_listed(
    wheel: Path, cache: Path, info: PythonInfo
) -> None:
    from burrow.packages.cache import load_entry

    entry = load_entry(str(build(wheel, info)))
    manifest = entry.manifest
    assert not entry.compiled
    site = Path(entry.path) / "site"
    on_disk = sorted(str(p.relative_to(site)) for p in site.rglob("*") if p.is_file())
    assert [rel for rel, *_ in manifest["files"]] == on_disk
    for rel, size, mtime in manifest["files"]:
        st = (site / rel).stat()
        assert (st.st_size, st.st_mtime_ns) == (size, mtime)
        assert not st.st_mode & 0o222
    assert manifest["dirs"] == ["demo", "demo-1.0.dist-info"]
    assert [f[0] for f in manifest["spill"]["scripts"]["files"]] == ["tool"]
    assert manifest["shebang"] == ["tool"]
    # RECORD, INSTALLER and the like are each env's own: not in the entry.
    assert not (site / "demo-1.0.dist-info" / "RECORD").exists()
    assert "demo/mod.py,sha256=" in "\n".join(manifest["record"])


def test_a_file_changed_since_it_was_checked_is_refused(
    wheel: Path, cache: Path, info: PythonInfo
) -> None:
    with pytest.raises(PackageError, match=r"hash mismatch .* changed since it was checked"):
        build_entry(str(wheel), "0" * 64, info)


def test_sync_refuses_a_lying_wheel_in_one_line(wheel: Path, tmp_path: Path, cache: Path) -> None:
    bad = rewritten(wheel, {"demo/mod.py": b"import os\n"})
    env = tmp_path / "env"
    burrow("create", "-q", str(env))
    lockfile = tmp_path / "lock.txt"
    lockfile.write_text(f"{bad}\n")
    proc = burrow("sync", "-e", str(env), str(lockfile), check=False)
    assert proc.returncode == 1 and len(proc.stderr.splitlines()) == 1, proc.stderr
    assert proc.stderr.startswith("error: ") and "demo/mod.py does not match" in proc.stderr
    assert not list(env.glob("lib/python3.*/site-packages/demo*"))


@pytest.mark.parametrize("piece", [1, 7, 1 << 20])
def test_files_written_in_pieces_are_whole_and_checked(
    tmp_path: Path, cache: Path, info: PythonInfo, piece: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file larger than one piece is written piece by piece and hashed whole: the same
    bytes, and a change anywhere in it (the last piece too) still refused."""
    from burrow.packages import unpack

    monkeypatch.setattr(unpack, "_PIECE", piece)
    body = "".join(f"LINE_{i} = {i * 7919}\n" for i in range(3000))
    files = {"big/data.py": body, "big/empty.py": "", "big/small.py": "Y = 2\n"}
    whl = make_wheel(tmp_path / "wheels", "big", "1.0", files=files)
    site = build(whl, info) / "site"
    for rel, text in files.items():
        assert (site / rel).read_text("utf-8") == text
    bad = rewritten(whl, {"big/data.py": (body[:-2] + "9\n").encode()})
    with pytest.raises(PackageError, match=r"big/data\.py does not match its RECORD"):
        build(bad, info)
