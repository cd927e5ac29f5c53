"""burrow pack: a relocatable, deterministic archive of an env, with or without its python."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import stat
import subprocess
import tarfile
from pathlib import Path
from typing import Dict, Tuple

import pytest
from helpers import assert_record_matches, burrow, copy_interpreter, make_wheel
from pythons import host, in_ci

import burrow as api
from burrow.activation.scripts import env_id_of, render_activators
from burrow.errors import BurrowError

MTIME = 315532800


@pytest.fixture(scope="module")
def packed_env(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An env with pip, a package with a console script, a .pth and a direct_url.json that
    name the env's own place."""
    root = tmp_path_factory.mktemp("packed")
    env = root / "env"
    burrow("create", str(env), "-p", host(), "-q")
    wheel = make_wheel(root / "wheels", "demo", console_scripts={"demo": "demo:main"})
    subprocess.run(
        [str(env / "bin" / "python"), "-m", "pip", "install", "-q", "--no-index", str(wheel)],
        check=True,
    )
    site = next(env.glob("lib/python3.*/site-packages"))
    (env / "extra").mkdir()
    (env / "extra" / "extra_mod.py").write_text("WHERE = 'extra'\n")
    (site / "extra.pth").write_text(f"{env / 'extra'}\nimport os\n")
    dist_info = next(site.glob("demo-1.0.dist-info"))
    (dist_info / "direct_url.json").write_text(
        json.dumps({"url": (env / "wheels" / "demo.whl").as_uri(), "archive_info": {}})
    )
    os.symlink("extra/extra_mod.py", env / "link-to-mod")
    os.chmod(env / "extra" / "extra_mod.py", 0o640)
    return env


def snapshot(root: Path) -> Dict[str, Tuple[int, int, str]]:
    """Every entry under root: mode, mtime and contents (or link target)."""
    seen = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = os.path.join(folder, name)
            st = os.lstat(path)
            if stat.S_ISLNK(st.st_mode):
                content = os.readlink(path)
            elif stat.S_ISREG(st.st_mode):
                content = hashlib.sha256(Path(path).read_bytes()).hexdigest()
            else:
                content = ""
            seen[os.path.relpath(path, root)] = (st.st_mode, st.st_mtime_ns, content)
    return seen


def unpack(archive: Path, where: Path) -> Path:
    where.mkdir(parents=True)
    subprocess.run(["tar", "-xzf", str(archive), "-C", str(where)], check=True)
    return where


def test_same_env_packs_to_the_same_bytes_and_the_env_is_unchanged(
    packed_env: Path, tmp_path: Path
) -> None:
    before = snapshot(packed_env)
    first = api.pack(str(packed_env), str(tmp_path / "one.tar.gz"))
    second = api.pack(str(packed_env), str(tmp_path / "two.tar.gz"))
    assert (tmp_path / "one.tar.gz").read_bytes() == (tmp_path / "two.tar.gz").read_bytes()
    assert first.size == second.size == (tmp_path / "one.tar.gz").stat().st_size
    assert snapshot(packed_env) == before
    assert sorted(os.listdir(tmp_path)) == ["one.tar.gz", "two.tar.gz"]  # no temp left


def test_members_are_sorted_with_fixed_owner_and_time_and_no_gzip_stamp(
    packed_env: Path, tmp_path: Path
) -> None:
    archive = tmp_path / "env.tar.gz"
    api.pack(str(packed_env), str(archive))
    data = archive.read_bytes()
    assert data[:4] == b"\x1f\x8b\x08\x00" and data[4:8] == b"\0\0\0\0"  # no name, no mtime
    with tarfile.open(archive) as tar:
        members = tar.getmembers()
    names = [m.name for m in members]
    assert names == sorted(names)
    assert {(m.uid, m.gid, m.uname, m.gname, m.mtime) for m in members} == {(0, 0, "", "", MTIME)}
    on_disk = set(snapshot(packed_env))
    assert set(names) == on_disk
    by_name = {m.name: m for m in members}
    assert by_name["link-to-mod"].issym() and by_name["link-to-mod"].linkname == (
        "extra/extra_mod.py"
    )
    assert by_name["extra/extra_mod.py"].mode == 0o640
    assert by_name["bin/demo"].mode & 0o111


def test_unpacked_elsewhere_the_env_runs_with_relocatable_scripts(
    packed_env: Path, tmp_path: Path
) -> None:
    archive = tmp_path / "env.tar.gz"
    api.pack(str(packed_env), str(archive))
    moved = unpack(archive, tmp_path / "elsewhere" / "moved env")
    old = str(packed_env).encode()
    for script in ("demo", "pip"):
        head = (moved / "bin" / script).read_bytes().split(b"\n", 3)
        assert head[0] == b"#!/bin/sh" and old not in b"\n".join(head[:3])
    out = subprocess.run(
        [str(moved / "bin" / "demo")], capture_output=True, text=True, check=True
    ).stdout
    assert out == "demo ran\n"
    code = "import sys, extra_mod; print(sys.prefix); print(extra_mod.__file__)"
    out = subprocess.run(
        [str(moved / "bin" / "python"), "-c", code], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert out == [str(moved), str(moved / "extra" / "extra_mod.py")]
    site = next(moved.glob("lib/python3.*/site-packages"))
    assert (site / "extra.pth").read_text().splitlines() == ["../../../extra", "import os"]
    url = json.loads((site / "demo-1.0.dist-info" / "direct_url.json").read_text())["url"]
    assert url == "file:wheels/demo.whl"
    for project in ("demo", "pip"):  # rewritten scripts and direct_url.json: RECORD agrees
        assert_record_matches(moved, project)
    bin_dir = str(packed_env / "bin")
    ((_, expected),) = render_activators(
        "bin",
        env_dir=str(packed_env),
        prompt="env",
        site_packages=[os.path.relpath(site, moved)],
        relocatable=True,
        names=["posix"],
        env_id=env_id_of(os.path.join(bin_dir, "activate")),
    )
    assert (moved / "bin" / "activate").read_bytes() == expected
    shell = f'. "{moved}/bin/activate" && printf %s "$VIRTUAL_ENV"'
    out = subprocess.run(["bash", "-c", shell], capture_output=True, text=True, check=True).stdout
    assert out == str(moved)


def test_pyc_files_stay_valid_for_their_sources(packed_env: Path, tmp_path: Path) -> None:
    archive = tmp_path / "env.tar.gz"
    api.pack(str(packed_env), str(archive))
    moved = unpack(archive, tmp_path / "moved")
    pycs = list(moved.glob("lib/python3.*/site-packages/pip/__pycache__/__init__.*.pyc"))
    assert pycs
    for pyc in pycs:
        data = pyc.read_bytes()
        source = pyc.parent.parent / "__init__.py"
        assert int.from_bytes(data[8:12], "little") == int(source.stat().st_mtime) == MTIME
        assert int.from_bytes(data[12:16], "little") == source.stat().st_size


def test_cli_prints_what_it_packed_and_json(packed_env: Path, tmp_path: Path) -> None:
    text = burrow("pack", str(packed_env), "-o", str(tmp_path / "a.tar.gz")).stdout
    assert "Packed " in text and os.path.realpath(host()) in text
    proc = burrow("pack", str(packed_env), "-o", str(tmp_path / "b.tar.gz"), "--json")
    data = json.loads(proc.stdout)
    assert data["output"] == str(tmp_path / "b.tar.gz") and data["standalone"] is False
    assert data["size"] == (tmp_path / "b.tar.gz").stat().st_size
    with tarfile.open(tmp_path / "b.tar.gz") as tar:
        assert len(tar.getmembers()) == data["members"]


def test_pack_waits_for_a_sync_or_the_bytecode_linked_behind_one(
    packed_env: Path, tmp_path: Path
) -> None:
    """pack reads the env in one state: it takes the env's sync lock, which a sync holds
    while it swaps and the bytecode job while it links."""
    import sys
    import time

    from helpers import burrow_env

    from burrow.packages.sync import env_lock

    output = tmp_path / "waited.tar.gz"
    with env_lock(str(packed_env)):
        proc = subprocess.Popen(
            [sys.executable, "-m", "burrow", "pack", "-q", str(packed_env), "-o", str(output)],
            env=burrow_env(),
            stderr=subprocess.PIPE,
            text=True,
        )
        time.sleep(2)
        assert proc.poll() is None and not output.exists()  # waiting for the lock
    assert proc.wait(timeout=120) == 0, proc.stderr.read() if proc.stderr else ""
    assert tarfile.is_tarfile(output)


def refused(env: Path, output: Path, *extra: str) -> str:
    proc = burrow("pack", str(env), "-o", str(output), *extra, check=False)
    assert proc.returncode == 1, proc
    assert proc.stderr.startswith("error: ") and len(proc.stderr.splitlines()) == 1
    assert not output.exists()
    assert not [n for n in os.listdir(output.parent) if n.endswith(".tmp")]
    return proc.stderr


def test_refuses_an_output_inside_the_env(packed_env: Path) -> None:
    before = snapshot(packed_env)
    assert "inside the env" in refused(packed_env, packed_env / "lib" / "env.tar.gz")
    assert snapshot(packed_env) == before


def test_refuses_an_editable_install_outside_the_env(tmp_path: Path) -> None:
    env = tmp_path / "env"
    burrow("create", str(env), "-p", host(), "-q", "--without-pip")
    site = next(env.glob("lib/python3.*/site-packages"))
    dist = site / "proj-1.0.dist-info"
    dist.mkdir()
    source = tmp_path / "src" / "proj"
    source.mkdir(parents=True)
    (dist / "direct_url.json").write_text(
        json.dumps({"url": source.as_uri(), "dir_info": {"editable": True}})
    )
    message = refused(env, tmp_path / "env.tar.gz")
    assert "proj-1.0.dist-info" in message and str(source) in message


def test_refuses_a_pth_path_outside_the_env(tmp_path: Path) -> None:
    env = tmp_path / "env"
    burrow("create", str(env), "-p", host(), "-q", "--without-pip")
    site = next(env.glob("lib/python3.*/site-packages"))
    (site / "outside.pth").write_text(f"{tmp_path}\n")
    assert "outside.pth" in refused(env, tmp_path / "env.tar.gz")


def test_refuses_an_env_whose_interpreter_is_gone(tmp_path: Path) -> None:
    python, prefix = copy_interpreter(host(), tmp_path / "python")
    env = tmp_path / "env"
    burrow("create", str(env), "-p", str(python), "-q", "--without-pip")
    shutil.rmtree(prefix)
    assert "gone" in refused(env, tmp_path / "env.tar.gz")
    with pytest.raises(BurrowError):
        api.pack(str(env), str(tmp_path / "env.tar.gz"))
    assert not (tmp_path / "env.tar.gz").exists()


def test_refuses_a_directory_that_is_no_env(tmp_path: Path) -> None:
    (tmp_path / "plain").mkdir()
    refused(tmp_path / "plain", tmp_path / "env.tar.gz")


def test_python_tarfile_and_gzip_read_the_concatenated_members(
    packed_env: Path, tmp_path: Path
) -> None:
    archive = tmp_path / "env.tar.gz"
    api.pack(str(packed_env), str(archive))
    raw = gzip.decompress(archive.read_bytes())
    assert len(raw) % 10240 == 0  # whole tar records
    with tarfile.open(archive) as tar:
        demo = tar.extractfile(next(m for m in tar if m.name.endswith("demo/__init__.py")))
        assert demo is not None and b"VALUE = '1.0'" in demo.read()


# --- --standalone ---------------------------------------------------------------------------


def hidden_run(hide: str, empty: Path, argv: list[str]) -> subprocess.CompletedProcess[str]:
    """Run argv with ``hide`` covered by an empty directory, in a mount namespace of its own."""
    if os.geteuid() != 0 or not shutil.which("unshare"):
        if in_ci():
            pytest.fail("hiding the interpreter needs root and unshare (CI=true)")
        pytest.skip("hiding the interpreter needs root and unshare")
    script = 'mount --bind "$1" "$2" && shift 2 && exec "$@"'
    return subprocess.run(
        ["unshare", "--mount", "sh", "-c", script, "sh", str(empty), hide, *argv],
        capture_output=True,
        text=True,
        check=False,
    )


def base_prefix(python: str) -> str:
    return subprocess.run(
        [python, "-c", "import sys; print(sys.base_prefix)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def test_standalone_runs_where_the_base_interpreter_is_hidden(
    packed_env: Path, tmp_path: Path
) -> None:
    archive = tmp_path / "env.tar.gz"
    result = api.pack(str(packed_env), str(archive), standalone=True)
    assert result.standalone
    moved = unpack(archive, tmp_path / "worker" / "env")
    assert not (moved / "pyvenv.cfg").exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    code = (
        "import sys, sysconfig, ssl, json, demo, extra_mod\n"
        "print(json.dumps([sys.prefix, sys.base_prefix, sysconfig.get_paths()['purelib'],"
        " sysconfig.get_paths()['stdlib'], json.__file__, ssl.OPENSSL_VERSION[:7], demo.VALUE]))"
    )
    hidden = base_prefix(host())
    proc = hidden_run(hidden, empty, [str(moved / "bin" / "python"), "-c", code])
    assert proc.returncode == 0, proc.stderr
    prefix, base, purelib, stdlib, json_file, ssl_name, value = json.loads(proc.stdout)
    assert prefix == base == str(moved)
    assert purelib.startswith(str(moved) + "/lib/python3") and purelib.endswith("site-packages")
    assert stdlib.startswith(str(moved) + "/") and json_file.startswith(stdlib)
    assert ssl_name == "OpenSSL" and value == "1.0"
    # The console scripts run too, and the hidden dir really is gone for them.
    proc = hidden_run(hidden, empty, ["sh", "-c", f'ls -A "{hidden}"; "{moved}/bin/demo"'])
    assert proc.returncode == 0 and proc.stdout == "demo ran\n", proc


def test_standalone_is_deterministic_and_leaves_out_the_base_site_packages(
    packed_env: Path, tmp_path: Path
) -> None:
    one, two = tmp_path / "one.tar.gz", tmp_path / "two.tar.gz"
    api.pack(str(packed_env), str(one), standalone=True)
    api.pack(str(packed_env), str(two), standalone=True)
    assert one.read_bytes() == two.read_bytes()
    with tarfile.open(one) as tar:
        names = set(tar.getnames())
    version = subprocess.run(
        [host(), "-c", "import sys; print('python%d.%d' % sys.version_info[:2])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert f"lib/{version}/os.py" in names and f"bin/{version}" in names
    assert not any(n.startswith(f"lib/{version}/test/") for n in names)
    assert "pyvenv.cfg" not in names


def test_reused_package_runs_give_the_bytes_a_cold_cache_gives(
    packed_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    warm = tmp_path / "warm.tar.gz"
    api.pack(str(packed_env), str(warm))
    api.pack(str(packed_env), str(warm))  # the packages' runs now come from the cache
    monkeypatch.setenv("BURROW_CACHE_DIR", str(tmp_path / "cold-cache"))
    cold = tmp_path / "cold.tar.gz"
    api.pack(str(packed_env), str(cold))
    assert cold.read_bytes() == warm.read_bytes()
    assert list((tmp_path / "cold-cache").rglob("pack/*/*"))  # the runs were kept


def test_runs_unused_for_a_month_are_pruned_once_a_day(
    packed_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pack cache does not grow for ever: a run no pack used for UNUSED_FOR goes, one
    used since is kept (a pack marks the runs it reads), and the look is made daily."""
    from burrow import archive

    monkeypatch.setenv("BURROW_CACHE_DIR", str(tmp_path / "cache"))
    api.pack(str(packed_env), str(tmp_path / "a.tar.gz"))
    store = tmp_path / "cache" / "pack"
    runs = sorted(p for p in store.glob("*/*"))
    assert len(runs) >= 2
    old = 1_000_000_000.0  # 2001: unused for years
    for run in runs:
        os.utime(run, (old, old))
    (store / "orphan").mkdir()
    stale = store / "orphan" / "stale-run"
    stale.write_bytes(b"x" * 16)
    os.utime(stale, (old, old))
    stamp = store / "last-pruned"
    assert stamp.exists()  # the first pack looked (nothing was old then)
    os.utime(stamp, (old, old))
    api.pack(str(packed_env), str(tmp_path / "b.tar.gz"))  # reads every run of this env
    assert not stale.exists()
    assert all(run.exists() and run.stat().st_mtime > old for run in runs)
    assert (tmp_path / "b.tar.gz").read_bytes() == (tmp_path / "a.tar.gz").read_bytes()
    # Within a day of the last look, nothing is looked at.
    stale.write_bytes(b"x" * 16)
    os.utime(stale, (old, old))
    assert archive.prune_runs(str(store)) == 0 and stale.exists()
    assert archive.prune_runs(str(store), now=stamp.stat().st_mtime + archive.UNUSED_CHECK + 1) == 1
    assert not stale.exists()
