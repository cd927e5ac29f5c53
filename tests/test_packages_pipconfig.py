"""pip's config honoured as pip honours it: configured constraint files in every resolution
and every lock installed, configured extra indexes kept when `-i` replaces the index, and
trusted hosts from every place pip reads them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Dict

import helpers
import localindex
import pytest
from loopback_tls import self_signed

from burrow.packages.pipconfig import pip_config, pip_constraints


@pytest.fixture
def index(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    files = [
        localindex.wheel(src, "top", "1.0", ["mid>=1"]),
        localindex.wheel(src, "mid", "1.0", ["leaf"]),
        localindex.wheel(src, "mid", "2.0", ["leaf"]),
        localindex.wheel(src, "leaf", "1.0"),
    ]
    return localindex.write_index(tmp_path / "www", files)


@pytest.fixture
def extra(tmp_path: Path) -> Path:
    """A second index with a project the first lacks."""
    only = localindex.wheel(tmp_path / "src-extra", "onlyextra", "1.0")
    return localindex.write_index(tmp_path / "www-extra", [only])


def environ(tmp_path: Path, config: str, **more: str) -> Dict[str, str]:
    """This process's environment without pip settings, then pip.conf holding `config`
    (the machine's XDG pip config left out: pip and burrow read it alike, tests should not)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    conf = tmp_path / f"pip-{len(list(tmp_path.glob('pip-*.conf')))}.conf"  # one per call
    conf.write_text(config, "utf-8")
    env.update(PIP_CONFIG_FILE=str(conf), HOME=str(tmp_path))
    env.update(XDG_CONFIG_DIRS=str(tmp_path / "no-xdg"), XDG_CONFIG_HOME=str(tmp_path / "no-xdg"))
    env.update(BURROW_CACHE_DIR=str(tmp_path / "cache"), **more)
    return env


def burrow(tmp_path: Path, env: Dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return helpers.burrow(*args, cwd=tmp_path, env=env, check=False)


def site_versions(env_dir: Path) -> Dict[str, str]:
    site = next(env_dir.glob("lib/python*/site-packages"))
    found = {}
    for dist in site.glob("*.dist-info"):
        name, version = dist.name[: -len(".dist-info")].split("-", 1)
        found[name.lower()] = version
    return {k: v for k, v in found.items() if k not in ("pip", "setuptools", "wheel")}


# --------------------------------------------------------------------------- reading


def test_constraint_files_are_read_from_config_and_environment(tmp_path: Path) -> None:
    env = environ(tmp_path, "[global]\nconstraint = a.txt\n    b.txt\n")
    assert pip_constraints(env) == ("a.txt", "b.txt")
    env = environ(tmp_path, "[global]\nconstraint = a.txt\n[install]\nconstraint = i.txt\n")
    assert pip_constraints(env) == ("i.txt",)
    assert pip_constraints({**env, "PIP_CONSTRAINT": "e.txt f.txt"}) == ("e.txt", "f.txt")
    assert pip_constraints(environ(tmp_path, "[global]\ntimeout = 3\n")) == ()
    # The index settings read from the same files are untouched by it.
    assert pip_config(env).index_urls == ("https://pypi.org/simple/",)


# --------------------------------------------------------------------------- resolving


def test_lock_honours_a_configured_constraint_and_names_it(tmp_path: Path, index: Path) -> None:
    (tmp_path / "constraints.txt").write_text("mid<2\n", "utf-8")
    free = environ(tmp_path, "")
    out = burrow(tmp_path, free, "lock", "-i", index.as_uri(), "top")
    assert "mid==2.0" in out.stdout, out.stderr
    constrained = environ(tmp_path, "[install]\nconstraint = constraints.txt\n")
    out = burrow(tmp_path, constrained, "lock", "-i", index.as_uri(), "top")
    assert out.returncode == 0, out.stderr
    # A configured constraint is named in `# via` like any -c file.
    via = "    # via\n    #   top\n    #   -c constraints.txt\ntop==1.0"
    assert "mid==1.0 \\\n" in out.stdout and via in out.stdout, out.stdout
    # PIP_CONSTRAINT does the same, a configured constraint the set cannot meet is refused.
    (tmp_path / "tight.txt").write_text("mid>5\n", "utf-8")
    out = burrow(
        tmp_path, {**free, "PIP_CONSTRAINT": "tight.txt"}, "lock", "-i", index.as_uri(), "top"
    )
    assert out.returncode == 1 and "mid>5" in out.stderr, out.stderr


def test_install_and_unpinned_create_honour_a_configured_constraint(
    tmp_path: Path, index: Path
) -> None:
    (tmp_path / "constraints.txt").write_text("mid<2\n", "utf-8")
    env = environ(
        tmp_path, "[global]\nconstraint = constraints.txt\n", PIP_INDEX_URL=index.as_uri()
    )
    (tmp_path / "requirements.in").write_text("top\n", "utf-8")
    made = burrow(tmp_path, env, "create", "venv", "-q", "-r", "requirements.in")
    assert made.returncode == 0, made.stderr
    assert site_versions(tmp_path / "venv") == {"top": "1.0", "mid": "1.0", "leaf": "1.0"}
    other = burrow(tmp_path, env, "create", "other", "-q")
    assert other.returncode == 0, other.stderr
    added = burrow(tmp_path, env, "install", "-e", "other", "top")
    assert added.returncode == 0, added.stderr
    assert site_versions(tmp_path / "other") == {"top": "1.0", "mid": "1.0", "leaf": "1.0"}


# --------------------------------------------------------------------------- installing a lock


def test_a_pin_outside_a_configured_constraint_is_refused(tmp_path: Path, index: Path) -> None:
    files = index.parent / "files"
    lock = tmp_path / "requirements.txt"
    lock.write_text(
        "".join(
            f"{files / n}\n" for n in ("leaf-1.0-py3-none-any.whl", "mid-2.0-py3-none-any.whl")
        ),
        "utf-8",
    )
    (tmp_path / "constraints.txt").write_text("# pins kept low\nmid<2\n", "utf-8")
    free = environ(tmp_path, "")
    made = burrow(tmp_path, free, "create", "venv", "-q")
    assert made.returncode == 0, made.stderr
    env = environ(tmp_path, "[global]\nconstraint = constraints.txt\n")
    synced = burrow(tmp_path, env, "sync", "-e", "venv", str(lock))
    assert synced.returncode == 1 and len(synced.stderr.splitlines()) == 1, synced.stderr
    assert synced.stderr.startswith("error: ") and "constraints.txt:2" in synced.stderr
    assert site_versions(tmp_path / "venv") == {}
    created = burrow(tmp_path, env, "create", "fresh", "-q", "-r", str(lock))
    assert created.returncode == 1 and "constraints.txt:2" in created.stderr, created.stderr
    assert len(created.stderr.splitlines()) == 1 and not (tmp_path / "fresh").exists()
    # A pylock.toml is held to it too.
    pylock = burrow(tmp_path, free, "lock", "-i", index.as_uri(), "top", "-o", "pylock.toml")
    assert pylock.returncode == 0, pylock.stderr
    synced = burrow(tmp_path, env, "sync", "-e", "venv", "pylock.toml")
    assert synced.returncode == 1 and "constraints.txt:2" in synced.stderr, synced.stderr
    assert len(synced.stderr.splitlines()) == 1 and site_versions(tmp_path / "venv") == {}
    # The same lock goes in once the constraint allows it.
    (tmp_path / "constraints.txt").write_text("mid<3\n", "utf-8")
    synced = burrow(tmp_path, env, "sync", "-e", "venv", str(lock))
    assert synced.returncode == 0, synced.stderr
    assert site_versions(tmp_path / "venv") == {"mid": "2.0", "leaf": "1.0"}


# --------------------------------------------------------------------------- indexes


def pip_finds(tmp_path: Path, env: Dict[str, str], *args: str) -> bool:
    """Whether pip (of the interpreter running the tests) would install `args` under `env`."""
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "-q", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    return proc.returncode == 0


def test_index_url_keeps_the_configured_extra_indexes_as_pip_does(
    tmp_path: Path, index: Path, extra: Path
) -> None:
    env = environ(tmp_path, f"[global]\nextra-index-url = {extra.as_uri()}\n")
    lock = ["lock", "-i", index.as_uri(), "top", "onlyextra"]
    out = burrow(tmp_path, env, *lock)
    assert out.returncode == 0 and "onlyextra==1.0" in out.stdout, out.stderr
    assert pip_finds(tmp_path, env, "-i", index.as_uri(), "top", "onlyextra")
    # An --index-url line in a requirements file replaces every index so far, in pip too.
    (tmp_path / "requirements.in").write_text(f"-i {index.as_uri()}\ntop\nonlyextra\n", "utf-8")
    out = burrow(tmp_path, env, "lock", "-r", "requirements.in")
    assert out.returncode == 1 and "onlyextra" in out.stderr, out.stderr
    assert not pip_finds(tmp_path, env, "-r", "requirements.in")
    # --no-index drops them all.
    out = burrow(tmp_path, env, "lock", "--no-index", "-i", index.as_uri(), "onlyextra")
    assert out.returncode == 1 and "onlyextra" in out.stderr, out.stderr
    assert not pip_finds(tmp_path, env, "--no-index", "-i", index.as_uri(), "onlyextra")


# --------------------------------------------------------------------------- trusted hosts


@pytest.mark.parametrize("where", ["config", "environment", "requirements", "command line"])
def test_a_trusted_host_is_read_despite_its_certificate_as_by_pip(
    tmp_path: Path, index: Path, where: str
) -> None:
    tls = self_signed(tmp_path / "tls")
    (tmp_path / "plain.in").write_text("top\n", "utf-8")
    (tmp_path / "trusting.in").write_text("--trusted-host localhost\ntop\n", "utf-8")
    with localindex.serve(index.parent, tls=tls) as server:
        simple = ["-i", server.url + "/simple/", "--retries", "0"]
        env = environ(tmp_path, "")
        assert not pip_finds(tmp_path, env, *simple, "-r", "plain.in")
        out = burrow(tmp_path, env, "lock", *simple[:2], "-r", "plain.in")
        assert out.returncode == 1 and "CERTIFICATE_VERIFY_FAILED" in out.stderr, out.stderr

        args = ["-r", "plain.in"]
        if where == "config":
            env = environ(tmp_path, "[global]\ntrusted-host = example.invalid\n  localhost\n")
        elif where == "environment":
            env = environ(tmp_path, "", PIP_TRUSTED_HOST="localhost")
        elif where == "requirements":
            args = ["-r", "trusting.in"]
        else:
            args += ["--trusted-host", "localhost"]
        assert pip_finds(tmp_path, env, *simple, *args)
        out = burrow(tmp_path, env, "lock", *simple[:2], *args)
        assert out.returncode == 0 and "top==1.0" in out.stdout, out.stderr
        carried = where in ("requirements", "command line")
        assert ("--trusted-host localhost" in out.stdout) is carried
        if carried:  # the lock names the host: a sync of it reads there without config
            (tmp_path / "lock.txt").write_text(out.stdout, "utf-8")
            plain = environ(tmp_path, "")
            assert burrow(tmp_path, plain, "create", "venv", "-q").returncode == 0
            synced = burrow(tmp_path, plain, "sync", "-e", "venv", "lock.txt")
            assert synced.returncode == 0, synced.stderr
            assert site_versions(tmp_path / "venv") == {"top": "1.0", "mid": "2.0", "leaf": "1.0"}


def test_the_environments_ca_bundle_beats_pips_cert_as_in_pip(tmp_path: Path, index: Path) -> None:
    tls = self_signed(tmp_path / "tls")
    elsewhere = self_signed(tmp_path / "other", "other")[0]
    with localindex.serve(index.parent, tls=tls) as server:
        simple = ["-i", server.url + "/simple/"]
        for bundle, cert, found in ((tls[0], elsewhere, True), (elsewhere, tls[0], False)):
            env = {k: v for k, v in environ(tmp_path, "").items() if "CA_BUNDLE" not in k}
            env.update(REQUESTS_CA_BUNDLE=str(bundle), PIP_CERT=str(cert))
            assert pip_finds(tmp_path, env, *simple, "--retries", "0", "top") is found
            out = burrow(tmp_path, env, "lock", *simple, "top")
            assert (out.returncode == 0) is found, out.stderr
        env.update(REQUESTS_CA_BUNDLE="", PIP_CLIENT_CERT=str(tmp_path / "missing.pem"))
        out = burrow(tmp_path, env, "lock", *simple, "top")
        assert out.returncode == 1 and out.stderr.count("\n") == 1, out.stderr
        assert f"client certificate {tmp_path / 'missing.pem'}: No such file" in out.stderr
