"""The package engine end to end: wheels built here, cached once, linked into real envs,
and pip inside those envs treating what burrow installed as a normal install."""

from __future__ import annotations

import hashlib
import os
import stat
import subprocess
from pathlib import Path
from typing import Dict, Tuple

import pytest
from helpers import assert_record_matches, burrow, make_wheel, run_in, wait_for_compile

SITE_CODE = "import sysconfig; print(sysconfig.get_path('purelib'))"


def site_of(env: Path) -> Path:
    return Path(run_in(env, SITE_CODE).strip())


def pip(env: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(env / "bin" / "python"), "-m", "pip", "--disable-pip-version-check", *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PIP_NO_INDEX": "1"},
    )


def rich_wheel(folder: Path, version: str = "1.0") -> Path:
    """A wheel with every kind of file a real one has."""
    return make_wheel(
        folder,
        "demo",
        version,
        console_scripts={"demo": "demo:main"},
        gui_scripts={"demo-gui": "demo:main"},
        files={
            f"demo-{version}.data/scripts/tool": (
                "#!python\nimport demo\nprint('tool', demo.VALUE)\n"
            ),
            f"demo-{version}.data/scripts/plain.sh": "#!/bin/sh\necho plain\n",
            f"demo-{version}.data/data/share/demo/readme.txt": "hello\n",
            f"demo-{version}.data/headers/demo.h": "int demo;\n",
            "demo.pth": "import demo_boot\n",
            "demo_boot.py": "import os\nos.environ['DEMO_BOOTED'] = '1'\n",
            "demo/_speedups.cpython-311-x86_64-linux-gnu.so": b"\x7fELF not really\n",
            "demo/sub/__init__.py": "",
            "demo/sub/mod.py": "X = 1\n",
            "demo/data.json": '{"a": 1}\n',
        },
    )


def new_env(path: Path, *args: str) -> Path:
    burrow("create", str(path), "-q", *args)
    return path


def lock(path: Path, *wheels: Path) -> Path:
    path.write_text("".join(f"{w}\n" for w in wheels))
    return path


def sync(env: Path, lockfile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return burrow("sync", "-e", str(env), str(lockfile), *args)


def tree(root: Path) -> Dict[str, Tuple[str, int, int]]:
    """Every file and link under ``root``: (content hash or link target, inode, mode)."""
    found = {}
    for current, dirs, files in os.walk(root):
        for name in files + [d for d in dirs if os.path.islink(os.path.join(current, d))]:
            path = os.path.join(current, name)
            st = os.lstat(path)
            if stat.S_ISLNK(st.st_mode):
                what = "link:" + os.readlink(path)
            else:
                what = hashlib.sha256(Path(path).read_bytes()).hexdigest()
            found[os.path.relpath(path, root)] = (what, st.st_ino, st.st_mtime_ns)
    for current, dirs, _files in os.walk(root):
        for name in dirs:
            found[os.path.relpath(os.path.join(current, name), root) + "/"] = ("dir", 0, 0)
    return found


# --- a normal install ------------------------------------------------------------------


def test_every_kind_of_file_lands_where_pip_puts_it(tmp_path: Path, cache: Path) -> None:
    env = new_env(tmp_path / "env")
    wheel = rich_wheel(tmp_path / "wheels")
    # Byte-compiled before the command returns, as pip does (by default it is done behind).
    out = sync(env, lock(tmp_path / "lock.txt", wheel), "--compile-bytecode").stdout
    assert out.splitlines() == ["+ demo==1.0"]
    site = site_of(env)
    assert (site / "demo" / "sub" / "mod.py").is_file()
    assert (site / "demo" / "__pycache__").is_dir()  # byte-compiled in the cache
    assert (env / "share" / "demo" / "readme.txt").read_text() == "hello\n"
    assert next(env.glob("include/site/python3.*/demo/demo.h")).is_file()
    # Scripts name this env's python; the wheel's own #!python script too.
    for script in ("demo", "demo-gui", "tool"):
        assert (env / "bin" / script).read_text().startswith(f"#!{env}/bin/python")
        assert os.access(env / "bin" / script, os.X_OK)
    assert subprocess.run([env / "bin" / "demo"], capture_output=True, text=True).stdout == (
        "demo ran\n"
    )
    assert (
        "tool 1.0" in subprocess.run([env / "bin" / "tool"], capture_output=True, text=True).stdout
    )
    assert (env / "bin" / "plain.sh").read_text() == "#!/bin/sh\necho plain\n"
    assert run_in(env, "import os; print(os.environ.get('DEMO_BOOTED'))").strip() == "1"
    dist = site / "demo-1.0.dist-info"
    assert (dist / "INSTALLER").read_text() == "burrow\n"
    assert (dist / "REQUESTED").exists()
    listed = assert_record_matches(env, "demo")
    on_disk = {os.path.normpath(p) for p in (site / "demo").rglob("*") if p.is_file()}
    assert on_disk <= listed
    assert os.path.normpath(env / "bin" / "tool") in listed
    assert os.path.normpath(env / "share" / "demo" / "readme.txt") in listed


def test_files_are_shared_with_the_cache_but_per_env_files_are_not(
    tmp_path: Path, cache: Path
) -> None:
    env = new_env(tmp_path / "env")
    sync(env, lock(tmp_path / "lock.txt", rich_wheel(tmp_path / "wheels")))
    site = site_of(env)
    module = site / "demo" / "sub" / "mod.py"
    assert module.stat().st_nlink >= 2  # the cache holds the other link
    assert not module.stat().st_mode & 0o222  # read-only: an edit in place fails loudly
    for own in ("demo.pth", "demo-1.0.dist-info/RECORD", "demo-1.0.dist-info/INSTALLER"):
        assert (site / own).stat().st_nlink == 1, own
    assert (env / "bin" / "tool").stat().st_nlink == 1


def test_pip_lists_shows_checks_and_freezes_what_burrow_installed(
    tmp_path: Path, cache: Path
) -> None:
    env = new_env(tmp_path / "env")
    wheels = tmp_path / "wheels"
    base = make_wheel(wheels, "base-lib", "2.0")
    app = make_wheel(wheels, "app", "1.0", requires=("base-lib>=2",))
    sync(env, lock(tmp_path / "lock.txt", base, app))
    listing = pip(env, "list", "--format=freeze").stdout.splitlines()
    assert {"app==1.0", "base-lib==2.0"} <= set(listing)
    shown = pip(env, "show", "app").stdout
    assert "Requires: base-lib" in shown and "Version: 1.0" in shown
    checked = pip(env, "check")
    assert checked.returncode == 0 and "No broken requirements" in checked.stdout
    # Wheels named by path are direct-URL installs (PEP 610) with the archive's hash, as
    # pip records them: pip freezes them so.
    frozen = set(pip(env, "freeze").stdout.splitlines())
    digest = {w: hashlib.sha256(w.read_bytes()).hexdigest() for w in (app, base)}
    assert {
        f"app @ {app.as_uri()}#sha256={digest[app]}",
        f"base-lib @ {base.as_uri()}#sha256={digest[base]}",
    } <= frozen
    assert "INSTALLER: burrow" in pip(env, "show", "-v", "app").stdout.replace(
        "Installer", "INSTALLER"
    )


def test_pip_uninstall_removes_this_envs_links_only(tmp_path: Path, cache: Path) -> None:
    wheel = rich_wheel(tmp_path / "wheels")
    lockfile = lock(tmp_path / "lock.txt", wheel)
    one, two = new_env(tmp_path / "one"), new_env(tmp_path / "two")
    sync(one, lockfile)
    sync(two, lockfile)
    wait_for_compile(cache)  # the entry's bytecode, compiled (and linked) behind the syncs
    before_two = tree(two)
    cache_before = tree(cache / "packages")
    proc = pip(one, "uninstall", "-y", "demo")
    assert proc.returncode == 0, proc.stderr
    assert not (site_of(one) / "demo").exists()
    assert not (one / "bin" / "demo").exists() and not (one / "bin" / "tool").exists()
    assert tree(two) == before_two
    assert tree(cache / "packages") == cache_before
    assert run_in(two, "import demo.sub.mod; print(demo.sub.mod.X)").strip() == "1"
    # And back: the env is synced again from the same, intact cache entry.
    assert sync(one, lockfile).stdout.splitlines() == ["+ demo==1.0"]
    assert run_in(one, "import demo; print(demo.VALUE)").strip() == "1.0"


def test_pip_upgrades_and_force_reinstalls_over_burrow(tmp_path: Path, cache: Path) -> None:
    wheels = tmp_path / "wheels"
    old = rich_wheel(wheels, "1.0")
    rich_wheel(wheels, "2.0")
    one, two = new_env(tmp_path / "one"), new_env(tmp_path / "two")
    lockfile = lock(tmp_path / "lock.txt", old)
    sync(one, lockfile)
    sync(two, lockfile)
    wait_for_compile(cache)  # the entry's bytecode, compiled (and linked) behind the syncs
    before_two = tree(two)
    proc = pip(one, "install", "-U", "--find-links", str(wheels), "demo")
    assert proc.returncode == 0, proc.stderr
    assert run_in(one, "import demo; print(demo.VALUE)").strip() == "2.0"
    proc = pip(one, "install", "--force-reinstall", "--find-links", str(wheels), "demo==2.0")
    assert proc.returncode == 0, proc.stderr
    assert tree(two) == before_two
    assert run_in(two, "import demo; print(demo.VALUE)").strip() == "1.0"
    # sync puts the lock's version back, replacing pip's install by its RECORD.
    assert sync(one, lockfile).stdout.splitlines() == ["- demo==2.0", "+ demo==1.0"]
    assert pip(one, "check").returncode == 0
    assert_record_matches(one, "demo")


# --- sync -------------------------------------------------------------------------------


def test_sync_adds_upgrades_downgrades_and_removes(tmp_path: Path, cache: Path) -> None:
    env = new_env(tmp_path / "env")
    w = tmp_path / "wheels"
    first = lock(tmp_path / "a.txt", make_wheel(w, "aa", "1.0"), make_wheel(w, "bb", "2.0"))
    second = lock(
        tmp_path / "b.txt",
        make_wheel(w, "aa", "1.1"),
        make_wheel(w, "bb", "1.0"),
        make_wheel(w, "cc", "3"),
    )
    assert sync(env, first).stdout.splitlines() == ["+ aa==1.0", "+ bb==2.0"]
    import json

    changes = json.loads(sync(env, second, "--json").stdout)
    assert changes == {
        "added": [["cc", "3"]],
        "upgraded": [["aa", "1.0", "1.1"]],
        "downgraded": [["bb", "2.0", "1.0"]],
        "removed": [],
    }
    assert sync(env, lock(tmp_path / "c.txt", make_wheel(w, "cc", "3"))).stdout.splitlines() == [
        "- aa==1.1",
        "- bb==1.0",
    ]
    names = {p.name for p in site_of(env).iterdir()}
    assert "aa" not in names and "bb" not in names and "pip" in names  # the seed stays
    assert pip(env, "check").returncode == 0


def test_a_matching_env_is_not_touched(tmp_path: Path, cache: Path) -> None:
    env = new_env(tmp_path / "env")
    lockfile = lock(tmp_path / "lock.txt", rich_wheel(tmp_path / "wheels"))
    sync(env, lockfile)
    before = tree(env)
    parent_before = sorted(os.listdir(tmp_path))
    proc = sync(env, lockfile)
    assert proc.stdout == "Nothing to change\n"
    assert tree(env) == before  # same inodes, same mtimes: not rebuilt, not swapped
    assert sorted(os.listdir(tmp_path)) == parent_before


def test_the_library_call(tmp_path: Path, cache: Path) -> None:
    import burrow as lib

    env = new_env(tmp_path / "env")
    changes = lib.sync(env, lock(tmp_path / "lock.txt", make_wheel(tmp_path / "w", "aa", "1.0")))
    assert changes.added == [("aa", "1.0")] and not changes.removed
    assert not lib.sync(env, tmp_path / "lock.txt")


def test_user_changes_during_a_sync_are_kept(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from burrow.packages import sync as engine

    env = new_env(tmp_path / "env")
    w = tmp_path / "wheels"
    (env / "notes.txt").write_text("mine\n")
    (env / "gone.txt").write_text("delete me\n")
    (env / "edited.txt").write_text("old\n")
    engine.sync(env, lock(tmp_path / "a.txt", make_wheel(w, "aa", "1.0")))

    def meanwhile(step: str) -> None:
        if step == "built":  # the clone is ready; the user keeps working in the env
            (env / "new.txt").write_text("written during the sync\n")
            (env / "newdir").mkdir()
            (env / "newdir" / "x").write_text("x\n")
            (env / "gone.txt").unlink()
            (env / "edited.txt.tmp").write_text("new\n")
            os.replace(env / "edited.txt.tmp", env / "edited.txt")

    monkeypatch.setattr(engine, "_reached", meanwhile)
    changes = engine.sync(env, lock(tmp_path / "b.txt", make_wheel(w, "aa", "2.0")))
    assert changes.upgraded == [("aa", "1.0", "2.0")]
    assert (env / "notes.txt").read_text() == "mine\n"
    assert (env / "new.txt").read_text() == "written during the sync\n"
    assert (env / "newdir" / "x").read_text() == "x\n"
    assert (env / "edited.txt").read_text() == "new\n"
    assert not (env / "gone.txt").exists()
    assert run_in(env, "import aa; print(aa.VALUE)").strip() == "2.0"
    assert not [n for n in os.listdir(tmp_path) if n.startswith(".burrow-")]


def test_a_damaged_cache_entry_is_rebuilt_not_linked(tmp_path: Path, cache: Path) -> None:
    wheel = rich_wheel(tmp_path / "wheels")
    lockfile = lock(tmp_path / "lock.txt", wheel)
    sync(new_env(tmp_path / "one"), lockfile)
    cached = next(cache.glob("packages/*/*/*/site/demo/sub/mod.py"))
    cached.chmod(0o644)
    cached.write_text("X = 'damaged'\n")  # an in-place edit as root, size changed
    two = new_env(tmp_path / "two")
    sync(two, lockfile)
    assert run_in(two, "import demo.sub.mod; print(demo.sub.mod.X)").strip() == "1"
    assert_record_matches(two, "demo")


def test_sync_errors_are_one_line_and_leave_the_env(tmp_path: Path, cache: Path) -> None:
    env = new_env(tmp_path / "env")
    before = tree(env)
    bad = tmp_path / "bad.txt"
    bad.write_text("not-a-wheel.txt\n")
    proc = burrow("sync", "-e", str(env), str(bad), check=False)
    assert (
        proc.returncode == 1
        and proc.stderr.startswith("error: ")
        and len(proc.stderr.splitlines()) == 1
    )
    broken = tmp_path / "w" / "broken-1.0-py3-none-any.whl"
    broken.parent.mkdir()
    broken.write_bytes(b"PK not a zip")
    proc = burrow("sync", "-e", str(env), str(lock(tmp_path / "l.txt", broken)), check=False)
    assert proc.returncode == 1 and "broken" in proc.stderr, proc.stderr
    assert len(proc.stderr.splitlines()) == 1
    proc = burrow("sync", "-e", str(tmp_path / "nowhere"), str(bad), check=False)
    assert proc.returncode == 1 and "error:" in proc.stderr
    assert tree(env) == before


# --- create -r LOCK -----------------------------------------------------------------------


@pytest.mark.parametrize("relocatable", [False, True])
def test_create_from_a_lock_goes_through_the_cache(
    tmp_path: Path, cache: Path, relocatable: bool
) -> None:
    lockfile = lock(tmp_path / "lock.txt", rich_wheel(tmp_path / "wheels"))
    env = tmp_path / "env"
    burrow("create", str(env), "-q", "-r", str(lockfile), *(["--relocatable"] * relocatable))
    site = site_of(env)
    assert (site / "demo" / "sub" / "mod.py").stat().st_nlink >= 2  # linked from the cache
    assert (site / "demo-1.0.dist-info" / "INSTALLER").read_text() == "burrow\n"
    head = (env / "bin" / "demo").read_text().splitlines()[0]
    if relocatable:
        assert str(tmp_path) not in head
    else:
        assert head.startswith(f"#!{env}/bin/python")
    assert subprocess.run([env / "bin" / "tool"], capture_output=True, text=True).stdout == (
        "tool 1.0\n"
    )
    assert_record_matches(env, "demo")
    assert pip(env, "check").returncode == 0
    if relocatable:
        moved = tmp_path / "moved"
        env.rename(moved)
        out = subprocess.run([moved / "bin" / "demo"], capture_output=True, text=True)
        assert out.stdout == "demo ran\n", out.stderr
    # The env is synced with the same lock: nothing to do.
    if not relocatable:
        assert sync(env, lockfile).stdout == "Nothing to change\n"


# --- the cache as its user sees it, and shared by concurrent runs -----------------------------


def test_cache_info_and_clean_cover_packages(tmp_path: Path, cache: Path) -> None:
    import json

    env = new_env(tmp_path / "env")
    lockfile = lock(tmp_path / "lock.txt", rich_wheel(tmp_path / "wheels"))
    sync(env, lockfile)
    listed = json.loads(burrow("cache", "info", "--json").stdout)["packages"]
    demo = [p for p in listed if p["name"] == "demo"]
    assert len(demo) == 1 and demo[0]["version"] == "1.0" and demo[0]["complete"]
    burrow("cache", "clean", "-q")
    assert not list(cache.glob("packages/*/*/*/manifest"))
    # The env keeps its own links; a new env rebuilds the entry.
    assert run_in(env, "import demo.sub.mod; print(demo.sub.mod.X)").strip() == "1"
    other = new_env(tmp_path / "other")
    assert sync(other, lockfile).stdout.splitlines() == ["+ demo==1.0"]
    assert_record_matches(other, "demo")


def test_concurrent_syncs_share_one_cold_cache(tmp_path: Path, cache: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    w = tmp_path / "wheels"
    lockfile = lock(
        tmp_path / "lock.txt",
        rich_wheel(w),
        *(
            make_wheel(w, f"pkg{i}", "1.0", console_scripts={f"pkg{i}": f"pkg{i}:main"})
            for i in range(4)
        ),
    )
    envs = [new_env(tmp_path / f"env{i}") for i in range(4)]
    with ThreadPoolExecutor(4) as pool:
        results = list(
            pool.map(
                lambda env: burrow("sync", "-q", "-e", str(env), str(lockfile), check=False), envs
            )
        )
    for proc in results:
        assert proc.returncode == 0, proc.stderr
    assert len(list(cache.glob("packages/*/*/*/manifest"))) == 5  # each wheel built once
    for env in envs:
        assert_record_matches(env, "demo")
        assert subprocess.run([env / "bin" / "pkg3"], capture_output=True, text=True).stdout == (
            "pkg3 ran\n"
        )


def test_a_locks_only_binary_holds_for_its_pins(tmp_path: Path, cache: Path) -> None:
    """`--only-binary :all:` in the lock: a pin offered only as an sdist is refused, not
    built, and the env is left as it was."""
    from localindex import sdist

    links = tmp_path / "links"
    sdist(links, "srconly", "1.0")
    env = new_env(tmp_path / "env")
    before = tree(env)
    lockfile = tmp_path / "lock.txt"
    lockfile.write_text(f"--find-links {links}\n--only-binary :all:\nsrconly==1.0\n")
    proc = burrow("sync", "-e", str(env), str(lockfile), check=False)
    assert proc.returncode == 1 and "--only-binary rules out srconly-1.0.tar.gz" in proc.stderr
    assert len(proc.stderr.splitlines()) == 1, proc.stderr
    assert tree(env) == before


def test_a_file_two_dists_ship_is_the_later_ones(tmp_path: Path, cache: Path) -> None:
    """Entries are linked side by side only when no two write one path; otherwise in the
    lock's order, so that the later dist's file wins, as with pip."""
    w = tmp_path / "wheels"
    first = make_wheel(w, "aa", files={"shared/common.txt": "from aa\n"})
    second = make_wheel(w, "bb", files={"shared/common.txt": "from bb\n"})
    apart = [make_wheel(w, name) for name in ("cc", "dd", "ee")]
    env = tmp_path / "env"
    burrow("create", str(env), "-q", "-r", str(lock(tmp_path / "lock.txt", first, second, *apart)))
    site = site_of(env)
    assert (site / "shared" / "common.txt").read_text() == "from bb\n"
    for name in ("aa", "bb"):
        record = next(site.glob(f"{name}-1.0.dist-info")) / "RECORD"
        assert "shared/common.txt," in record.read_text()
    for name in ("cc", "dd", "ee"):
        assert_record_matches(env, name)
    alone = tmp_path / "alone"  # entries apart: linked by two threads, every file there
    burrow("create", str(alone), "-q", "-r", str(lock(tmp_path / "apart.txt", *apart)))
    for name in ("cc", "dd", "ee"):
        assert_record_matches(alone, name)
        assert (site_of(alone) / name / "__init__.py").stat().st_nlink >= 2
