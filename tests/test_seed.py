"""Seeding pip: a normal install from a hard-linked, byte-compiled cache."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from helpers import (
    assert_record_matches,
    bundled_wheels,
    burrow,
    burrow_env,
    copy_interpreter,
    make_wheel,
    run_in,
    wheel_dir_with,
)
from pythons import cpythons

SITE_CODE = "import sysconfig; print(sysconfig.get_path('purelib'))"


def site_of(env: Path) -> Path:
    return Path(run_in(env, SITE_CODE).strip())


def pip(env: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(env / "bin" / "python"), "-m", "pip", "--disable-pip-version-check", *args],
        capture_output=True,
        text=True,
        check=False,
    )


def newer_pip_than(version: str) -> Path | None:
    def key(w: Path) -> tuple[int, ...]:
        return tuple(int(x) for x in w.name.split("-")[1].split("."))

    current = tuple(int(x) for x in version.split("."))
    newer = [w for w in bundled_wheels() if key(w) > current]
    return max(newer, key=key) if newer else None


def test_record_is_complete_and_correct(tmp_path: Path) -> None:
    env = tmp_path / "env"
    burrow("create", str(env))
    site = site_of(env)
    dist = next(site.glob("pip-*.dist-info"))
    assert (dist / "INSTALLER").read_text().strip() == "burrow"
    listed = assert_record_matches(env, "pip")
    on_disk = {os.path.normpath(p) for p in (site / "pip").rglob("*") if p.is_file()}
    assert on_disk <= listed  # every file of the package is recorded, bytecode too
    for script in ("pip", "pip3", "pip{}.{}".format(*sys.version_info[:2])):
        assert os.path.normpath(env / "bin" / script) in listed


def test_bytecode_is_ready(tmp_path: Path) -> None:
    env = tmp_path / "env"
    burrow("create", str(env))
    tag = sys.implementation.cache_tag
    init = site_of(env) / "pip" / "__pycache__" / f"__init__.{tag}.pyc"
    assert init.is_file()
    # Importing pip must not need to write bytecode: its pyc files are valid.
    before = {p: p.stat().st_mtime_ns for p in (site_of(env) / "pip").rglob("*.pyc")}
    assert pip(env, "--version").returncode == 0
    after = {p: p.stat().st_mtime_ns for p in (site_of(env) / "pip").rglob("*.pyc")}
    assert before == after


def test_files_are_hard_linked_from_the_cache(tmp_path: Path) -> None:
    burrow("create", str(tmp_path / "a"))
    burrow("create", str(tmp_path / "b"))
    a = site_of(tmp_path / "a") / "pip" / "__init__.py"
    b = site_of(tmp_path / "b") / "pip" / "__init__.py"
    assert a.stat().st_ino == b.stat().st_ino
    assert a.stat().st_nlink >= 3  # the cache and two envs


def test_pip_upgrade_and_uninstall_work(tmp_path: Path) -> None:
    env = tmp_path / "env"
    burrow("create", str(env))
    current = pip(env, "--version").stdout.split()[1]
    newer = newer_pip_than(current)
    if newer is not None:
        result = pip(env, "install", "--no-index", "--upgrade", str(newer))
        assert result.returncode == 0, result.stderr
        assert pip(env, "--version").stdout.split()[1] == newer.name.split("-")[1]
    result = pip(env, "uninstall", "-y", "pip")
    assert result.returncode == 0, result.stderr
    site = site_of(env)
    assert not list(site.glob("pip*"))
    assert not (env / "bin" / "pip").exists()
    # The cache's copy survives an uninstall inside one env.
    burrow("create", str(tmp_path / "again"))
    assert pip(tmp_path / "again", "--version").returncode == 0


def test_installing_other_packages_works(tmp_path: Path) -> None:
    env = tmp_path / "env"
    burrow("create", str(env))
    wheel = make_wheel(tmp_path, "tiny_pkg", "4.2", console_scripts={"tiny": "tiny_pkg:main"})
    result = pip(env, "install", "--no-index", str(wheel))
    assert result.returncode == 0, result.stderr
    assert run_in(env, "import tiny_pkg; print(tiny_pkg.VALUE)").strip() == "4.2"
    tiny = subprocess.run([str(env / "bin" / "tiny")], capture_output=True, text=True)
    assert tiny.stdout.strip() == "tiny_pkg ran"


def test_setuptools_and_wheel_seeding(tmp_path: Path) -> None:
    setuptools = bundled_wheels("setuptools")
    if not setuptools:
        pytest.skip("no setuptools wheel bundled with any interpreter here")
    links = tmp_path / "links"
    links.mkdir()
    shutil.copy(setuptools[-1], links)
    env = tmp_path / "env"
    result = burrow(
        "create", str(env), "--setuptools", "--json", env={"PIP_FIND_LINKS": str(links)}
    )
    assert '"setuptools"' in result.stdout
    assert run_in(env, "import setuptools; print('ok')").strip() == "ok"


def test_without_pip_and_no_seed(tmp_path: Path) -> None:
    for flag in ("--without-pip", "--no-seed"):
        env = tmp_path / flag.strip("-")
        burrow("create", str(env), flag)
        assert not list(site_of(env).glob("pip*"))
        assert not (env / "bin" / "pip").exists()


def test_pip_exact_version_offline(tmp_path: Path, cold_cache: Path) -> None:
    links = wheel_dir_with(tmp_path)
    wanted = next(links.glob("pip-*.whl")).name.split("-")[1]
    env = tmp_path / "env"
    burrow("create", str(env), "--pip", wanted, env={"PIP_FIND_LINKS": str(links)})
    assert pip(env, "--version").stdout.split()[1] == wanted


def test_env_with_spaces_and_quotes_gets_working_scripts(tmp_path: Path) -> None:
    env = tmp_path / 'it\'s a "dir" with spaces' / "env"
    burrow("create", str(env))
    proc = subprocess.run([str(env / "bin" / "pip"), "--version"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert str(env) in proc.stdout


def test_damaged_cache_entry_is_rebuilt_not_linked(tmp_path: Path, cold_cache: Path) -> None:
    burrow("create", str(tmp_path / "first"))
    entries = list((cold_cache / "seed").glob("*/*/pip-*"))
    assert entries
    victim = next(entries[0].glob("site/pip/__init__.py"))
    victim.chmod(0o644)
    victim.write_text("raise SystemExit('damaged cache was linked')\n")  # size changes
    burrow("create", str(tmp_path / "second"))
    assert pip(tmp_path / "second", "--version").returncode == 0
    # A missing manifest (a half-written entry) is rebuilt too.
    for entry in (cold_cache / "seed").glob("*/*/pip-*"):
        (entry / "manifest").unlink()
    burrow("create", str(tmp_path / "third"))
    assert pip(tmp_path / "third", "--version").returncode == 0


def test_same_size_edit_in_the_cache_is_not_linked(tmp_path: Path, cold_cache: Path) -> None:
    burrow("create", str(tmp_path / "first"))
    victim = next(cold_cache.glob("seed/*/*/pip-*/site/pip/__init__.py"))
    original = victim.read_bytes()
    victim.chmod(0o644)
    tampered = b"#" * len(original)  # same size: only the mtime tells
    victim.write_bytes(tampered)
    burrow("create", str(tmp_path / "second"))
    linked = site_of(tmp_path / "second") / "pip" / "__init__.py"
    assert linked.read_bytes() == original
    assert pip(tmp_path / "second", "--version").returncode == 0


def test_concurrent_creates_share_a_cold_cache(tmp_path: Path, cold_cache: Path) -> None:
    def make(i: int) -> int:
        return burrow("create", str(tmp_path / f"env{i}"), check=False).returncode

    with ThreadPoolExecutor(4) as pool:
        codes = list(pool.map(make, range(4)))
    assert codes == [0, 0, 0, 0]
    for i in range(4):
        assert pip(tmp_path / f"env{i}", "--version").returncode == 0
    assert len(list((cold_cache / "seed").glob("*/*/pip-*"))) == 1


def test_copy_fallback_across_filesystems(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shm = Path("/dev/shm")
    if not shm.is_dir() or os.stat(shm).st_dev == os.stat(tmp_path).st_dev:
        pytest.skip("no second filesystem to put the cache on")
    cache = Path(os.path.join(shm, f"burrow-test-cache-{os.getpid()}"))
    monkeypatch.setenv("BURROW_CACHE_DIR", str(cache))
    try:
        env = tmp_path / "env"
        burrow("create", str(env))
        init = site_of(env) / "pip" / "__init__.py"
        assert init.stat().st_nlink == 1
        assert os.access(init, os.W_OK)  # a private copy the user may edit
        assert pip(env, "--version").returncode == 0
    finally:
        shutil.rmtree(cache, ignore_errors=True)


def test_interpreter_without_ensurepip_or_venv(tmp_path: Path, cold_cache: Path) -> None:
    """A real CPython whose stdlib lacks ensurepip and venv, as on Debian."""
    python = cpythons().get("3.12") or next(iter(cpythons().values()))
    stripped, copy = copy_interpreter(python, tmp_path / "stripped", without=("ensurepip", "venv"))
    probe = subprocess.run([str(stripped), "-c", "import ensurepip"], capture_output=True)
    assert probe.returncode != 0
    links = wheel_dir_with(tmp_path)
    env = tmp_path / "env"
    burrow("create", str(env), "-p", str(stripped), env={"PIP_FIND_LINKS": str(links)})
    assert pip(env, "--version").returncode == 0
    assert Path(run_in(env, "import sys; print(sys.base_prefix)").strip()) == copy


def test_no_pip_anywhere_offline_is_a_clear_error(tmp_path: Path, cold_cache: Path) -> None:
    python = cpythons().get("3.12") or next(iter(cpythons().values()))
    stripped, _ = copy_interpreter(python, tmp_path / "stripped", without=("ensurepip",))
    env = tmp_path / "env"
    argv = [sys.executable, "-m", "burrow", "create", str(env), "-p", str(stripped)]
    system_wheels = Path("/usr/share/python-wheels")
    if system_wheels.is_dir():
        # The system's own pip wheel would be found: hide it, in a mount namespace of this
        # command only, behind an empty directory.
        if os.geteuid() != 0 or not shutil.which("unshare"):
            pytest.skip("cannot hide the system's python-wheels without root and unshare")
        empty = tmp_path / "empty"
        empty.mkdir()
        script = 'mount --bind "$1" /usr/share/python-wheels && shift && exec "$@"'
        argv = ["unshare", "--mount", "sh", "-c", script, "sh", str(empty), *argv]
    result = subprocess.run(
        argv, env=burrow_env({"PIP_FIND_LINKS": ""}), capture_output=True, text=True, check=False
    )
    assert result.returncode == 1, result.stderr
    assert "--without-pip" in result.stderr and len(result.stderr.splitlines()) == 1
    assert not env.exists()
