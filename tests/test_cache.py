"""``burrow cache dir|info|clean``, and what burrow refuses to trust or follow."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from faults import Guard, assert_one_line_error, check_env, count, require_root
from helpers import burrow

NO_SUCH_PID = 999999999  # above any pid_max


def _entry(cache: Path) -> Path:
    return next(p for p in cache.glob("seed/*/*/pip-*") if not p.name.startswith("."))


def test_dir_info_clean(tmp_path: Path, cold_cache: Path) -> None:
    assert burrow("cache", "dir").stdout.strip() == str(cold_cache)
    burrow("create", str(tmp_path / "env"), "-q")
    info = json.loads(burrow("cache", "info", "--json").stdout)
    assert info["path"] == str(cold_cache)
    [package] = info["packages"]
    assert package["name"] == "pip" and package["complete"] and package["size"] > 1_000_000
    assert package["tag"].startswith("cpython-")
    assert info["interpreters"] >= 1
    assert info["total_size"] >= package["size"]
    text = burrow("cache", "info").stdout
    assert f"pip      {package['version']}" in text and "total:" in text
    cleaned = json.loads(burrow("cache", "clean", "--json").stdout)
    assert cleaned["removed"] >= 2 and cleaned["freed"] >= package["size"]
    after = json.loads(burrow("cache", "info", "--json").stdout)
    assert after["packages"] == [] and after["interpreters"] == 0
    check_env(tmp_path / "env", seeded=True)  # envs keep their hard-linked files
    burrow("create", str(tmp_path / "again"), "-q")
    check_env(tmp_path / "again", seeded=True)


def test_clean_and_info_of_a_missing_cache(cold_cache: Path) -> None:
    assert "Removed 0" in burrow("cache", "clean").stdout
    assert json.loads(burrow("cache", "info", "--json").stdout)["total_size"] == 0
    assert not cold_cache.exists()


def test_clean_removes_only_what_burrow_makes(
    tmp_path: Path, cold_cache: Path, guard: Guard
) -> None:
    burrow("create", str(tmp_path / "env"), "-q")
    guard.plant(cold_cache / "notes")  # the user's own files in the cache dir
    live = _entry(cold_cache).parent / f".build-pip-1.0-{os.getpid()}-abcd1234"
    live.mkdir()  # a live run's staging dir
    burrow("cache", "clean")
    assert live.exists()
    assert list(cold_cache.glob("seed/*/*/.pip-*.lock"))  # builders may hold these


def test_cache_and_home_are_created_private(tmp_path: Path, cold_cache: Path) -> None:
    home = tmp_path / "deep" / "home"
    burrow("create", "-n", "one", "--without-pip", "-q", env={"BURROW_HOME": str(home)})
    assert home.stat().st_mode & 0o777 == 0o700
    assert cold_cache.stat().st_mode & 0o777 == 0o700


def _evil_entry(cache: Path, tmp_path: Path) -> None:
    """A complete-looking entry whose pip runs someone else's code."""
    burrow("create", str(tmp_path / "first"), "-q")
    init = _entry(cache) / "site" / "pip" / "__init__.py"
    init.chmod(0o644)
    evil = "raise SystemExit('someone else s code')\n"
    init.write_text(evil + "#" * (init.stat().st_size - len(evil) - 1) + "\n")  # same size


@pytest.mark.parametrize("how", ["group-writable", "world-writable", "other-owner"])
def test_a_cache_others_can_change_is_refused(tmp_path: Path, cold_cache: Path, how: str) -> None:
    _evil_entry(cold_cache, tmp_path)
    facts = sorted(cold_cache.glob("interpreters/*"))
    if how == "other-owner":
        require_root("giving the cache to another user")
        shutil.chown(cold_cache, "nobody")
    else:
        cold_cache.chmod(0o770 if how == "group-writable" else 0o777)
    for args in (["create", str(tmp_path / "env")], ["cache", "info"], ["cache", "clean"]):
        result = burrow(*args, check=False)
        count("bad_inputs")
        assert_one_line_error(result)
        assert "cache" in result.stderr
    assert not (tmp_path / "env").exists()
    assert _entry(cold_cache).exists()  # not cleaned either
    # Without pip, nothing is needed from it: facts are learnt again, not read or written.
    for fact in facts:
        fact.write_bytes(b"not read")
    burrow("create", str(tmp_path / "bare"), "--without-pip", "-q")
    check_env(tmp_path / "bare", seeded=False)
    assert sorted(cold_cache.glob("interpreters/*")) == facts


def test_a_symlinked_entry_is_never_linked_nor_followed(
    tmp_path: Path, cold_cache: Path, guard: Guard
) -> None:
    burrow("create", str(tmp_path / "first"), "-q")
    outside = tmp_path / "outside"
    shutil.copytree(_entry(cold_cache), outside, symlinks=True)
    guard.watch(outside)
    link = _entry(cold_cache).parent / "pip-999.0"
    link.symlink_to(outside)
    result = burrow("create", str(tmp_path / "env"), "--json")
    assert json.loads(result.stdout)["seeded"]["pip"] != "999.0"
    info = json.loads(burrow("cache", "info", "--json").stdout)
    assert [p["version"] for p in info["packages"]] != ["999.0"]
    burrow("cache", "clean")
    assert not os.path.lexists(link)
    assert outside.is_dir()  # the guard checks every file in it


@pytest.mark.parametrize("prefix", [".burrow-build-", ".burrow-trash-"])
def test_symlinked_leftovers_are_unlinked_not_followed(
    tmp_path: Path, guard: Guard, prefix: str
) -> None:
    outside = guard.plant(tmp_path / "outside")
    parent = tmp_path / "parent"
    parent.mkdir()
    link = parent / f"{prefix}999999999-deadbeef"
    link.symlink_to(outside)
    inner = parent / f"{prefix}999999998-deadbeef"
    inner.mkdir()
    (inner / "escape").symlink_to(outside)
    burrow("create", str(parent / "env"), "--without-pip", "-q")
    count("bad_inputs", 2)
    assert not os.path.lexists(link) and not os.path.lexists(inner)


def test_clean_empties_every_store_and_a_warm_lock_then_just_misses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, guard: Guard
) -> None:
    """The index's pages and the lock memo are real records of a real lock; the other
    stores hold planted files in the places their writers use."""
    import sys

    import localindex

    import burrow as api
    from burrow import cache
    from burrow.packages.locking import Sources

    for name in [k for k in os.environ if k.startswith("PIP_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    root = tmp_path / "cache"
    monkeypatch.setenv("BURROW_CACHE_DIR", str(root))
    src = tmp_path / "src"
    found = [localindex.wheel(src, "top", "1.0", ["leaf"]), localindex.wheel(src, "leaf", "1.0")]
    sources = Sources(index_url=localindex.write_index(tmp_path / "www", found).as_uri())
    (tmp_path / "requirements.in").write_text("top\n", "utf-8")

    def lock() -> str:
        return api.lock([tmp_path / "requirements.in"], python=sys.executable,
                        sources=sources).text  # fmt: skip

    first = lock()
    for folder in ("read-locks", "downloads-v1/ab/abcd", "built-v1/cd/cdef/cpython-312",
                   "pack/ef", "periodic"):  # fmt: skip
        (root / folder).mkdir(parents=True, exist_ok=True)
        (root / folder / "record").write_bytes(b"x" * 100)
    live = root / "index-v1" / "pages" / f".record.{os.getpid()}-abcd1234.tmp"
    live.write_bytes(b"being written")
    downloading = root / "downloads-v1" / f".download-{os.getpid()}-abcd1234"
    unnamed = root / "downloads-v1" / ".download-abc123"  # no pid: whose it is is unknown
    # What killed runs left: a download and a build whose pids are gone.
    killed = [root / "downloads-v1" / f".download-{NO_SUCH_PID}-abcd1234",
              root / "built-v1" / "cd" / "cdef" / f".build-{NO_SUCH_PID}-abcd1234"]  # fmt: skip
    for work in (downloading, unnamed, *killed):
        (work / "src").mkdir(parents=True)
        (work / "src" / "x.whl").write_bytes(b"being downloaded")
    outside = guard.plant(tmp_path / "outside")
    (root / "pack" / "ef" / "link").symlink_to(outside)

    stores = {s.kind: s for s in cache.summary().stores}
    assert [kind for kind, _, _ in cache.STORES] == list(stores)
    assert stores["index"].files >= 1 and stores["resolutions"].files >= 1
    for kind in ("read-locks", "downloads", "built", "periodic"):
        assert stores[kind].files == 1 and stores[kind].size >= 100
    assert stores["pack"].files == 2
    assert stores["index"].path == str(root / "index-v1")

    done = cache.clean()
    assert done.removed >= 8 and done.freed >= 500
    assert all(s.files == 0 and s.size == 0 for s in cache.summary().stores)
    assert live.exists() and (downloading / "src" / "x.whl").exists()  # a live run's, kept
    assert (unnamed / "src" / "x.whl").exists()
    assert not any(os.path.lexists(work) for work in killed)
    assert not os.path.lexists(root / "pack" / "ef" / "link")  # the link, not its target
    assert not list((root / "index-v1" / "resolutions-v1").rglob("*.json"))
    # A lock run after the clean finds no page and no memo: it reads and resolves again.
    assert lock() == first
    assert cache.summary().stores[0].files >= 1


def test_info_lists_the_stores_in_text(tmp_path: Path, cold_cache: Path) -> None:
    (cold_cache / "read-locks").mkdir(parents=True)
    (cold_cache / "read-locks" / "0badf00d").write_bytes(b"x" * 2048)
    text = burrow("cache", "info").stdout
    assert "read-locks: 1 file (2.0 KiB)" in text
    assert json.loads(burrow("cache", "clean", "--json").stdout)["removed"] == 1
    assert "read-locks" not in burrow("cache", "info").stdout


def test_a_clean_in_the_middle_of_a_lock_only_makes_it_miss(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The clean runs after the lock read its pages and before it keeps its memo: the
    lock still gives the answer a lock on an untouched cache gives."""
    import sys

    import localindex

    import burrow as api
    from burrow import cache
    from burrow.packages import resolve as resolve_module
    from burrow.packages.locking import Sources

    for name in [k for k in os.environ if k.startswith("PIP_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    src = tmp_path / "src"
    found = [localindex.wheel(src, "top", "1.0", ["leaf"]), localindex.wheel(src, "leaf", "1.0")]
    sources = Sources(index_url=localindex.write_index(tmp_path / "www", found).as_uri())
    (tmp_path / "requirements.in").write_text("top\n", "utf-8")

    def lock(cache_dir: str) -> str:
        monkeypatch.setenv("BURROW_CACHE_DIR", cache_dir)
        return api.lock([tmp_path / "requirements.in"], python=sys.executable,
                        sources=sources).text  # fmt: skip

    untouched = lock(str(tmp_path / "other-cache"))
    real = resolve_module.resolve
    cleaned: list[int] = []

    def cleaning(*args: object, **kwargs: object) -> object:
        answer = real(*args, **kwargs)  # type: ignore[arg-type]
        cleaned.append(cache.clean().removed)
        return answer

    monkeypatch.setattr(resolve_module, "resolve", cleaning)
    during = lock(str(tmp_path / "cache"))  # the pages it read vanish under it
    assert cleaned and cleaned[0] >= 1
    assert during == untouched
    assert lock(str(tmp_path / "cache")) == untouched


def test_a_sync_after_a_clean_misses_its_records_and_syncs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from helpers import make_wheel

    from burrow import cache
    from burrow.packages import sync as engine

    root = tmp_path / "cache"
    monkeypatch.setenv("BURROW_CACHE_DIR", str(root))
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    env = tmp_path / "env"
    burrow("create", str(env), "-q", "--without-pip")
    lockfile = tmp_path / "lock.txt"
    lockfile.write_text(f"{make_wheel(tmp_path / 'w', 'aa', '1.0')}\n")
    settled = os.stat(lockfile).st_mtime_ns - 60 * 10**9
    os.utime(lockfile, ns=(settled, settled))  # an older lock: its read is kept
    assert engine.sync(env, lockfile).added == [("aa", "1.0")]
    assert os.listdir(root / "read-locks")
    assert cache.clean().removed >= 2
    assert not os.listdir(root / "read-locks")
    assert engine.sync(env, lockfile).added == []  # the env already matches
    assert os.listdir(root / "read-locks")  # read afresh and kept again
    shutil.rmtree(next(env.glob("lib/python*/site-packages/aa")))
    shutil.rmtree(next(env.glob("lib/python*/site-packages/aa-1.0.dist-info")))
    cache.clean()
    assert engine.sync(env, lockfile).added == [("aa", "1.0")]  # rebuilt from the wheel
