"""Seeding from the package index pip is configured for: `--pip latest`, `--upgrade-deps`.

The index is a real PEP 503 simple index, served from files built in tmp_path, so the
tests need no network; the wheels are the pip wheels interpreters here ship.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

from helpers import bundled_wheels, burrow


def version_key(wheel: Path) -> tuple[int, ...]:
    return tuple(int(x) for x in wheel.name.split("-")[1].split("."))


def make_index(tmp_path: Path, *, corrupt: bool = False) -> tuple[str, str]:
    """A file:// simple index holding every distinct pip wheel found; returns (url, newest)."""
    files = tmp_path / "files"
    project = tmp_path / "simple" / "pip"
    files.mkdir()
    project.mkdir(parents=True)
    links = []
    wheels = {w.name: w for w in bundled_wheels()}
    for name, wheel in sorted(wheels.items()):
        shutil.copy(wheel, files / name)
        digest = hashlib.sha256((files / name).read_bytes()).hexdigest()
        if corrupt:
            digest = "0" * 64
        links.append(f'<a href="../../files/{name}#sha256={digest}">{name}</a>')
    (project / "index.html").write_text("<html><body>" + "\n".join(links) + "</body></html>")
    newest = max(wheels.values(), key=version_key).name.split("-")[1]
    return (tmp_path / "simple").as_uri() + "/", newest


def index_env(url: str) -> dict[str, str]:
    return {"PIP_INDEX_URL": url, "PIP_CONFIG_FILE": "/dev/null", "PIP_FIND_LINKS": ""}


def pip_version(env: Path) -> str:
    out = subprocess.run(
        [str(env / "bin" / "python"), "-m", "pip", "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.split()[1]


def test_pip_latest_comes_from_the_index(tmp_path: Path, cold_cache: Path) -> None:
    url, newest = make_index(tmp_path)
    env = tmp_path / "env"
    burrow("create", str(env), "--pip", "latest", env=index_env(url))
    assert pip_version(env) == newest
    # The fetched wheel is kept: a later offline bundle seed can use it.
    assert list((cold_cache / "wheels").glob(f"pip-{newest}-*.whl"))


def test_upgrade_deps_seeds_the_newest_pip(tmp_path: Path, cold_cache: Path) -> None:
    url, newest = make_index(tmp_path)
    env = tmp_path / "env"
    burrow("create", str(env), "--upgrade-deps", env=index_env(url))
    assert pip_version(env) == newest


def test_a_bad_hash_is_refused_and_leaves_nothing(tmp_path: Path, cold_cache: Path) -> None:
    url, _ = make_index(tmp_path, corrupt=True)
    env = tmp_path / "env"
    result = burrow("create", str(env), "--pip", "latest", env=index_env(url), check=False)
    assert result.returncode == 1
    assert result.stderr.startswith("error: ") and "hash" in result.stderr.lower()
    assert not env.exists()
    assert not list(cold_cache.glob("wheels/*.whl"))


def test_an_unknown_exact_version_is_a_clear_error(tmp_path: Path, cold_cache: Path) -> None:
    url, _ = make_index(tmp_path)
    env = tmp_path / "env"
    result = burrow("create", str(env), "--pip", "0.0.1", env=index_env(url), check=False)
    assert result.returncode == 1
    assert "0.0.1" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not env.exists()
