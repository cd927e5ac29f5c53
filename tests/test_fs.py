"""burrow.fs: unique names that carry their pid, exclusive creates renamed into place,
trees removed without following links. Real files in tmp_path."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from burrow import fs

posix_only = pytest.mark.skipif(os.name == "nt", reason="POSIX permissions and pids")


#: Above any pid_max: no process has it, and none will (a reaped child's pid may be reused).
NO_SUCH_PID = 999999999


@pytest.mark.parametrize(
    "stem, suffix",
    [(".burrow-build-", ""), (".build-pip-24.3.1-", ""), (".x.facts.", ".tmp"), (".trash-", "")],
)
def test_unique_names_give_their_pid_back(stem: str, suffix: str) -> None:
    name = fs.unique_name(stem, suffix)
    assert name.startswith(stem) and name.endswith(suffix)
    assert fs.owner_pid(name) == os.getpid()
    assert name != fs.unique_name(stem, suffix)


def test_a_stem_without_separator_still_gives_its_pid_back() -> None:
    name = fs.unique_name(".trash")
    assert name.startswith(".trash-") and fs.owner_pid(name) == os.getpid()


def test_owner_pid_reads_older_temp_names_and_refuses_others() -> None:
    assert fs.owner_pid("x.facts.4242.9f3a1c2b.tmp") == 4242
    assert fs.owner_pid(".burrow-build-notapid-9f3a") is None
    assert fs.owner_pid("plain") is None


@posix_only
def test_pid_alive() -> None:
    assert fs.pid_alive(os.getpid())
    assert not fs.pid_alive(NO_SUCH_PID)
    assert fs.owner_alive(fs.unique_name(".trash-"))
    assert not fs.owner_alive(f".trash-{NO_SUCH_PID}-abcd1234")


def test_unique_dir_is_new_and_empty(tmp_path: Path) -> None:
    first = fs.unique_dir(str(tmp_path), ".burrow-build-")
    second = fs.unique_dir(str(tmp_path), ".burrow-build-")
    assert first != second
    assert os.listdir(first) == [] and os.listdir(second) == []
    with pytest.raises(FileNotFoundError):
        fs.unique_dir(str(tmp_path / "missing"), ".burrow-build-")


@posix_only
def test_private_dir_is_owner_only_and_keeps_an_existing_one(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b"
    fs.private_dir(str(path))
    assert stat.S_IMODE(path.stat().st_mode) == 0o700
    (path / "kept").write_text("x")
    fs.private_dir(str(path))
    assert (path / "kept").read_text() == "x"


@posix_only
def test_replace_file_replaces_a_symlink_instead_of_writing_through_it(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_bytes(b"the user's")
    path = tmp_path / "activate"
    path.symlink_to(victim)
    fs.replace_file(str(path), b"new", 0o600)
    assert victim.read_bytes() == b"the user's"
    assert not path.is_symlink() and path.read_bytes() == b"new"
    assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0
    assert sorted(os.listdir(tmp_path)) == ["activate", "victim"]  # no temporary file left


@posix_only
def test_replace_file_can_keep_the_exact_mode(tmp_path: Path) -> None:
    path = tmp_path / "script"
    path.write_bytes(b"old")
    path.chmod(0o751)
    fs.replace_file(str(path), b"new", mode=None)
    assert path.read_bytes() == b"new"
    assert stat.S_IMODE(path.stat().st_mode) == 0o751


def test_replace_file_leaves_nothing_when_the_rename_fails(tmp_path: Path) -> None:
    path = tmp_path / "a-dir"
    (path / "inside").mkdir(parents=True)
    with pytest.raises(OSError):
        fs.replace_file(str(path), b"data")
    assert sorted(os.listdir(tmp_path)) == ["a-dir"]


@posix_only
def test_replace_link_and_copy(tmp_path: Path) -> None:
    source = tmp_path / "python3.12"
    source.write_bytes(b"binary")
    link = tmp_path / "python"
    link.write_bytes(b"stale")
    fs.replace_link(str(link), "python3.12")
    assert os.readlink(link) == "python3.12"
    copy = tmp_path / "python3"
    copy.symlink_to(tmp_path / "elsewhere")
    fs.replace_copy(str(copy), str(source), 0o755)
    assert not copy.is_symlink() and copy.read_bytes() == b"binary"
    assert stat.S_IMODE(copy.stat().st_mode) == 0o755
    assert not (tmp_path / "elsewhere").exists()


@posix_only
def test_remove_tree_never_follows_links(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "precious").write_text("keep")
    tree = tmp_path / "tree"
    (tree / "sub").mkdir(parents=True)
    (tree / "sub" / "escape").symlink_to(outside)
    (tree / "sub" / "file").write_text("x")
    (tree / "sub").chmod(0o555)  # read-only folders inside the tree are made writable
    fs.remove_tree(str(tree))
    assert not tree.exists()
    assert (outside / "precious").read_text() == "keep"
    link = tmp_path / "link"
    link.symlink_to(outside)
    fs.remove_tree(str(link))
    assert not os.path.lexists(link) and (outside / "precious").is_file()


def test_discard_moves_away_then_deletes(tmp_path: Path) -> None:
    env = tmp_path / "env"
    (env / "bin").mkdir(parents=True)
    assert fs.discard(str(env), ".burrow-trash-")
    assert os.listdir(tmp_path) == []
    assert not fs.discard(str(env), ".burrow-trash-")  # nothing there: not an error


@posix_only
def test_discard_only_dir_puts_a_link_back(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "precious").write_text("keep")
    link = tmp_path / "env"
    link.symlink_to(outside)
    with pytest.raises(NotADirectoryError):
        fs.discard(str(link), ".burrow-trash-", only_dir=True)
    assert link.is_symlink() and (outside / "precious").read_text() == "keep"
    assert sorted(os.listdir(tmp_path)) == ["env", "outside"]
