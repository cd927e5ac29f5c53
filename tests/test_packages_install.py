"""burrow install and unpinned create -r: resolved in burrow's process, installed by the
engine (INSTALLER says burrow: no pip ran), resolved against what an env has."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Optional

import helpers
import localindex
import pytest


@pytest.fixture
def index(tmp_path: Path) -> Path:
    return localindex.top_mid_leaf(tmp_path)


def run(index: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """burrow with pip configured for ``index`` alone."""
    proc = _burrow({"PIP_INDEX_URL": index.as_uri()}, *args)
    assert not check or proc.returncode == 0, proc.stderr
    return proc


def run_unconfigured(*args: str) -> subprocess.CompletedProcess[str]:
    """burrow with no index configured at all but pip's default, which the tests never
    reach: each use gives --no-index, -i or -f."""
    return _burrow({}, *args)


def _burrow(
    settings: Dict[str, str], *args: str, cwd: Optional[Path] = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env.update(PIP_CONFIG_FILE=os.devnull, PYTHONPATH=str(helpers.SRC), **settings)
    return subprocess.run(
        [sys.executable, "-m", "burrow", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def installed(env: Path) -> Dict[str, str]:
    """name -> 'version by INSTALLER' of every dist-info in the env."""
    site = next(env.glob("lib/python*/site-packages"))
    found = {}
    for dist in site.glob("*.dist-info"):
        name, version = dist.name[: -len(".dist-info")].split("-", 1)
        installer = (dist / "INSTALLER").read_text("utf-8").strip()
        found[name.lower().replace("_", "-")] = f"{version} by {installer}"
    return found


def packages(env: Path) -> Dict[str, str]:
    return {k: v for k, v in installed(env).items() if k not in ("pip", "setuptools", "wheel")}


def site_listing(env: Path) -> List[str]:
    return sorted(p.name for p in next(env.glob("lib/python*/site-packages")).iterdir())


def test_create_with_unpinned_requirements_runs_no_pip(tmp_path: Path, index: Path) -> None:
    (tmp_path / "requirements.txt").write_text("top[x]\nmid<2\n", "utf-8")
    env = tmp_path / "env"
    run(index, "create", "-q", str(env), "-r", str(tmp_path / "requirements.txt"))
    assert packages(env) == {
        "top": "1.0 by burrow",
        "mid": "1.0 by burrow",
        "leaf": "1.0 by burrow",
        "extra-dep": "1.0 by burrow",
    }
    assert helpers.run_in(env, "import top, mid; print(top.VALUE, mid.VALUE)").split() == [
        "1.0",
        "1.0",
    ]
    check = subprocess.run(
        [str(env / "bin" / "python"), "-m", "pip", "check"], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout


def test_create_with_an_unsatisfiable_set_makes_no_env(tmp_path: Path, index: Path) -> None:
    env = tmp_path / "env"
    asks = ("--install", "top", "--install", "mid<1")
    proc = run(index, "create", "-q", str(env), *asks, check=False)
    assert proc.returncode == 1
    assert "cannot resolve the requirements: argument 2 asks for mid<1" in proc.stderr
    assert "was not created" in proc.stderr
    assert not env.exists()


def test_install_resolves_against_what_the_env_has(tmp_path: Path, index: Path) -> None:
    env = tmp_path / "env"
    run(index, "create", "-q", str(env))
    out = run(index, "install", "-e", str(env), "mid<2").stdout
    assert out.splitlines() == ["+ leaf==1.0", "+ mid==1.0"]
    # top needs mid>=1: the installed 1.0 fits and stays, though 2.0 is newer.
    out = run(index, "install", "-e", str(env), "top").stdout
    assert out.splitlines() == ["+ top==1.0"]
    assert packages(env) == {
        "top": "1.0 by burrow",
        "mid": "1.0 by burrow",
        "leaf": "1.0 by burrow",
    }
    assert run(index, "install", "-e", str(env), "top").stdout == "Nothing to change\n"
    # What no longer fits is upgraded, and nothing else is removed.
    out = run(index, "install", "-e", str(env), "mid>=2").stdout
    assert out.splitlines() == ["- mid==1.0", "+ mid==2.0"]
    assert packages(env)["mid"] == "2.0 by burrow"
    assert "top" in packages(env) and "pip" in installed(env)


def test_failed_install_leaves_the_env_unchanged(tmp_path: Path, index: Path) -> None:
    env = tmp_path / "env"
    run(index, "create", "-q", str(env), "--install", "mid<2")
    before = site_listing(env)
    proc = run(index, "install", "-e", str(env), "top", "mid>5", check=False)
    assert proc.returncode == 1
    assert proc.stderr.startswith("error: cannot resolve the requirements: ")
    assert site_listing(env) == before
    proc = run(index, "install", "-e", str(env), "nosuch", check=False)
    assert proc.stderr == f"error: no package named 'nosuch' on {index.as_uri()}\n"
    assert site_listing(env) == before


def test_create_install_into_an_existing_env_uses_the_engine(tmp_path: Path, index: Path) -> None:
    env = tmp_path / "env"
    run(index, "create", "-q", str(env))
    (env / "mine.txt").write_text("keep", "utf-8")
    run(index, "create", "-q", str(env), "--install", "mid<2")
    assert packages(env) == {"mid": "1.0 by burrow", "leaf": "1.0 by burrow"}
    assert (env / "mine.txt").read_text("utf-8") == "keep"


def test_upgrade_asks_for_the_newest_fitting_versions(tmp_path: Path, index: Path) -> None:
    """`-U` upgrades what is asked for (pip install -U), `-P NAME` a dependency too (uv's
    -P); without them, an installed version that fits stays."""
    env = tmp_path / "env"
    run(index, "create", "-q", str(env), "--install", "mid<2")
    assert run(index, "install", "-e", str(env), "mid").stdout == "Nothing to change\n"
    out = run(index, "install", "-e", str(env), "-U", "mid").stdout
    assert out.splitlines() == ["- mid==1.0", "+ mid==2.0"]
    run(index, "install", "-e", str(env), "mid==1.0")
    assert run(index, "install", "-e", str(env), "top").stdout.splitlines() == ["+ top==1.0"]
    assert packages(env)["mid"] == "1.0 by burrow"  # top's dependency: kept, even with -U
    assert run(index, "install", "-e", str(env), "-U", "top").stdout == "Nothing to change\n"
    out = run(index, "install", "-e", str(env), "top", "-P", "MID").stdout
    assert out.splitlines() == ["- mid==1.0", "+ mid==2.0"]


def test_editable_project_comes_with_its_dependencies(tmp_path: Path, index: Path) -> None:
    """`install --editable DIR`, and `create -r` of a file that names only `-e DIR`: the
    project's dependencies are resolved (such a file is no lock), and it is editable."""
    project = localindex.project(tmp_path / "proj", "demo", "0.3", ["mid<2"])
    env = tmp_path / "env"
    run(index, "create", "-q", str(env))
    out = run(index, "install", "-e", str(env), "--editable", str(project)).stdout
    assert out.splitlines() == ["+ demo==0.3", "+ leaf==1.0", "+ mid==1.0"]
    site = next(env.glob("lib/python*/site-packages"))
    direct = (site / "demo-0.3.dist-info" / "direct_url.json").read_text("utf-8")
    assert '"editable": true' in direct
    (tmp_path / "dev.txt").write_text(f"-e {project}\n", "utf-8")
    other = tmp_path / "other"
    run(index, "create", "-q", str(other), "-r", str(tmp_path / "dev.txt"))
    assert packages(other) == packages(env)


def test_a_project_directory_is_built_and_installed_as_pip_install_dot(
    tmp_path: Path, index: Path
) -> None:
    """`burrow install ./proj`, as `pip install ./proj`: the project is built into a wheel
    (not editable) with its dependencies resolved; a lock names it by its URL."""
    project = localindex.project(tmp_path / "proj", "demo", "0.3", ["mid<2"])
    env = tmp_path / "env"
    run(index, "create", "-q", "--without-pip", str(env))
    proc = _burrow(
        {"PIP_INDEX_URL": index.as_uri()}, "install", "-e", str(env), "./proj", cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["+ demo==0.3", "+ leaf==1.0", "+ mid==1.0"]
    site = next(env.glob("lib/python*/site-packages"))
    direct = (site / "demo-0.3.dist-info" / "direct_url.json").read_text("utf-8")
    assert '"dir_info": {}' in direct and project.as_uri() in direct
    (tmp_path / "app.in").write_text(f"{project}\n", "utf-8")
    locked = run(index, "lock", "-r", str(tmp_path / "app.in")).stdout
    assert f"demo @ {project.as_uri()}\n" in locked and "mid==1.0" in locked


def test_a_file_argument_is_read_as_requirements(tmp_path: Path, index: Path) -> None:
    """`burrow install requirements.txt` installs what the file lists (pip would hint at -r;
    nobody means a package named requirements-txt)."""
    (tmp_path / "requirements.txt").write_text("mid<2\n", "utf-8")
    env = tmp_path / "env"
    run(index, "create", "-q", "--without-pip", str(env))
    proc = _burrow(
        {"PIP_INDEX_URL": index.as_uri()}, "install", "-e", str(env), "requirements.txt",
        cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["+ leaf==1.0", "+ mid==1.0"]


def test_create_with_constraints_holds_what_requirements_bring(tmp_path: Path, index: Path) -> None:
    """`create -r FILE -c FILE`, as `pip install -r -c`: a constraint bounds a dependency it
    does not ask for; a lock whose pin it rules out makes no env."""
    (tmp_path / "req.txt").write_text("top\n", "utf-8")
    (tmp_path / "cons.txt").write_text("mid<2\nnever-asked==9\n", "utf-8")
    env = tmp_path / "env"
    run(
        index,
        "create",
        "-q",
        str(env),
        "-r",
        str(tmp_path / "req.txt"),
        "-c",
        str(tmp_path / "cons.txt"),
    )
    assert packages(env) == {
        "top": "1.0 by burrow",
        "mid": "1.0 by burrow",
        "leaf": "1.0 by burrow",
    }
    unbounded = tmp_path / "unbounded"
    run(index, "create", "-q", str(unbounded), "--install", "top")
    assert packages(unbounded)["mid"] == "2.0 by burrow"
    # A lock is checked against the constraints too (its pins must satisfy them).
    (tmp_path / "lock.txt").write_text(run(index, "lock", "mid==2.0").stdout, "utf-8")
    locked = tmp_path / "locked"
    proc = run(
        index, "create", "-q", str(locked), "-r", str(tmp_path / "lock.txt"),
        "-c", str(tmp_path / "cons.txt"), check=False,
    )  # fmt: skip
    assert proc.returncode == 1 and "mid" in proc.stderr and "was not created" in proc.stderr
    assert not locked.exists()
    run(index, "create", "-q", str(locked), "-r", str(tmp_path / "lock.txt"))
    assert packages(locked)["mid"] == "2.0 by burrow"


def test_create_constraints_alone_are_refused(tmp_path: Path, index: Path) -> None:
    (tmp_path / "cons.txt").write_text("mid<2\n", "utf-8")
    env = tmp_path / "env"
    proc = run(index, "create", str(env), "-c", str(tmp_path / "cons.txt"), check=False)
    assert proc.returncode == 2 and "-c constrains what -r FILE or --install PKG" in proc.stderr
    assert not env.exists()
    proc = run(
        index, "create", str(env), "--install", "mid", "-c", str(tmp_path / "no.txt"), check=False
    )
    assert proc.returncode == 1
    assert f"constraints file {tmp_path / 'no.txt'} not found" in proc.stderr
    assert not env.exists()


def test_sync_takes_pip_syncs_index_options_and_a_dry_run(
    tmp_path: Path, index: Path, cold_cache: Path
) -> None:
    """`sync -i URL`, `-f DIR`, `--no-index` and `-n`, as pip-sync takes them: a lock with
    only names, versions and hashes is fetched from where the command line says (a cache
    of its own: an entry cached by hash needs no index at all)."""
    lockfile = tmp_path / "lock.txt"
    lockfile.write_text(run(index, "lock", "top").stdout, "utf-8")
    assert "--index-url" not in lockfile.read_text("utf-8")  # the index came from config
    env = tmp_path / "env"
    run(index, "create", "-q", str(env), "--without-pip")
    proc = run_unconfigured("sync", "-e", str(env), "--no-index", str(lockfile))
    assert proc.returncode == 1, proc.stderr
    # Each pin is missing; the fetch stops at the first to fail, whichever that is.
    missing = (
        r"lock\.txt:(7|10|15): (leaf|mid|top)==\d\.0: no such package to be found: "
        r"--no-index, and no --find-links"
    )
    assert re.fullmatch(f"error: .*{missing}\n", proc.stderr), proc.stderr
    assert packages(env) == {}
    proc = run_unconfigured("sync", "-e", str(env), "-n", "-i", index.as_uri(), str(lockfile))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        "Would change (a dry run: nothing was changed):",
        "+ leaf==1.0",
        "+ mid==2.0",
        "+ top==1.0",
    ]
    assert packages(env) == {}
    proc = run_unconfigured(
        "sync", "-e", str(env), "--find-links", str(tmp_path / "src"), str(lockfile)
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["+ leaf==1.0", "+ mid==2.0", "+ top==1.0"]
    assert packages(env) == {
        "top": "1.0 by burrow",
        "mid": "2.0 by burrow",
        "leaf": "1.0 by burrow",
    }
    proc = run_unconfigured("sync", "-e", str(env), "-n", "--no-index", str(lockfile))
    assert proc.returncode == 0 and proc.stdout == "Nothing to change\n", proc.stderr


def test_sync_reads_requirements_txt_here_when_given_no_file(tmp_path: Path, index: Path) -> None:
    """`burrow sync` alone, as `pip-sync`: requirements.txt here; nothing here is a usage
    error that says what it looked for."""
    env = tmp_path / "env"
    run(index, "create", "-q", "--without-pip", str(env))
    settings = {"PIP_INDEX_URL": index.as_uri()}
    proc = _burrow(settings, "sync", "-e", str(env), cwd=tmp_path)
    assert proc.returncode == 2
    assert "no requirements.txt or pylock.toml here" in proc.stderr
    (tmp_path / "requirements.txt").write_text(run(index, "lock", "mid==1.0").stdout, "utf-8")
    proc = _burrow(settings, "sync", "-e", str(env), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["+ leaf==1.0", "+ mid==1.0"]


def test_sync_takes_several_lock_files_together_as_pip_sync(tmp_path: Path, index: Path) -> None:
    """`burrow sync base.txt dev.txt`: the env holds both locks' pins (one pinned in both
    is one package); a project locked differently in two of them is refused, env as it was."""
    (tmp_path / "base.txt").write_text(run(index, "lock", "mid==1.0").stdout, "utf-8")
    (tmp_path / "dev.txt").write_text(run(index, "lock", "extra-dep").stdout, "utf-8")
    (tmp_path / "new.txt").write_text(run(index, "lock", "mid==2.0").stdout, "utf-8")
    env = tmp_path / "env"
    run(index, "create", "-q", "--without-pip", str(env))
    proc = _burrow(
        {"PIP_INDEX_URL": index.as_uri()}, "sync", "-e", str(env), "base.txt", "dev.txt",
        cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["+ extra-dep==1.0", "+ leaf==1.0", "+ mid==1.0"]
    proc = _burrow(
        {"PIP_INDEX_URL": index.as_uri()}, "sync", "-e", str(env), "base.txt", "new.txt",
        cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 1
    assert "mid is locked twice, differently" in proc.stderr
    assert packages(env) == dict.fromkeys(("extra-dep", "leaf", "mid"), "1.0 by burrow")


def test_pips_dash_e_dot_gets_a_hint(tmp_path: Path, index: Path) -> None:
    """`burrow install -e .` typed as `pip install -e .`: -e is the env here, and a project
    directory is no env: the error says to use --editable."""
    localindex.project(tmp_path / "proj", "demo", "0.3")
    proc = _burrow({"PIP_INDEX_URL": index.as_uri()}, "install", "-e", ".", cwd=tmp_path / "proj")
    assert proc.returncode == 2
    assert "with --editable ." in proc.stderr
