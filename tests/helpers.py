"""Running the real CLI and the real interpreters inside envs; files and wheels they read."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, Optional, Tuple

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"


def burrow_env(extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    """The environment to run burrow from this checkout with."""
    environ = dict(os.environ)
    environ["PYTHONPATH"] = str(SRC) + os.pathsep + environ.get("PYTHONPATH", "")
    environ.update(extra or {})
    return environ


def burrow(
    *args: str,
    cwd: Optional[Path] = None,
    env: Optional[Dict[str, str]] = None,
    check: bool = True,
    timeout: float = 300,
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m burrow ARGS`` from this checkout, as a user would."""
    proc = subprocess.run(
        [sys.executable, "-m", "burrow", *args],
        cwd=cwd,
        env=burrow_env(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"burrow {' '.join(args)} exited {proc.returncode}\n"
            f"stdout: {proc.stdout}\nstderr: {proc.stderr}"
        )
    return proc


def write(path: Path, text: str) -> Path:
    """``text`` as the UTF-8 file ``path`` (its folders made); the path, for chaining."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def run_in(env_dir: Path, code: str, *args: str) -> str:
    """Run Python code with the env's interpreter and return its stdout."""
    python = env_dir / "bin" / "python"
    proc = subprocess.run(
        [str(python), "-c", code, *args], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def bundled_wheels(name: str = "pip") -> list[Path]:
    """Wheels of ``name`` shipped inside the interpreters on this machine (ensurepip)."""
    from pythons import cpythons

    found = []
    for python in cpythons().values():
        out = subprocess.run(
            [python, "-c", "import sysconfig; print(sysconfig.get_path('stdlib'))"],
            capture_output=True,
            text=True,
            check=False,
        )
        bundled = Path(out.stdout.strip()) / "ensurepip" / "_bundled"
        found += sorted(bundled.glob(f"{name}-*.whl"))
    return found


def wheel_dir_with(tmp_path: Path, version_prefix: str = "") -> Path:
    """A find-links folder holding one pip wheel from this machine's interpreters."""
    import shutil

    folder = tmp_path / "wheels"
    folder.mkdir(exist_ok=True)
    wheels = [w for w in bundled_wheels() if w.name.startswith(f"pip-{version_prefix}")]
    assert wheels, "no pip wheel in any interpreter's ensurepip bundle"
    shutil.copy(wheels[-1], folder)
    return folder


def make_wheel(
    folder: Path,
    name: str,
    version: str = "1.0",
    *,
    tag: str = "py3-none-any",
    console_scripts: Optional[Dict[str, str]] = None,
    gui_scripts: Optional[Dict[str, str]] = None,
    files: Optional[Dict[str, str | bytes]] = None,
    requires: Tuple[str, ...] = (),
) -> Path:
    """A small but real wheel built by hand (RECORD with hashes), e.g. demo-1.0-py3-none-any.whl.

    The package's ``VALUE`` is its version; ``main()`` prints '<name> ran'. ``files`` adds
    more, by path in the wheel ('demo-1.0.data/scripts/tool', 'demo.pth'); ``requires``
    becomes Requires-Dist lines.
    """
    import base64
    import hashlib
    import zipfile

    folder.mkdir(parents=True, exist_ok=True)
    dist = f"{name.replace('-', '_')}-{version}"
    package = name.replace("-", "_").replace(".", "_")
    extra = files or {}
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    metadata += "".join(f"Requires-Dist: {r}\n" for r in requires)
    files = {
        f"{package}/__init__.py": f"VALUE = {version!r}\n\ndef main():\n    print('{name} ran')\n",
        f"{dist}.dist-info/METADATA": metadata,
        f"{dist}.dist-info/WHEEL": (
            f"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: {tag}\n"
        ),
    }
    sections = ""
    for section, scripts in (("console_scripts", console_scripts), ("gui_scripts", gui_scripts)):
        if scripts:
            sections += f"[{section}]\n" + "".join(f"{k} = {v}\n" for k, v in scripts.items())
    if sections:
        files[f"{dist}.dist-info/entry_points.txt"] = sections
    files.update(extra)
    record = []
    for path, text in files.items():
        data = text.encode() if isinstance(text, str) else text
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(data)}")
    record.append(f"{dist}.dist-info/RECORD,,")
    wheel = folder / f"{dist}-{tag}.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, text in files.items():
            archive.writestr(path, text)
        archive.writestr(f"{dist}.dist-info/RECORD", "\n".join(record) + "\n")
    return wheel


def copy_interpreter(
    python: str, where: Path, *, without: Tuple[str, ...] = ()
) -> Tuple[Path, Path]:
    """A real interpreter at a new place: its installation hard-linked into ``where``
    (so its stdlib is found beside it), minus the stdlib modules named in ``without``.

    Returns (the copy's executable, the copy's prefix).
    """
    import shutil

    prefix = subprocess.run(
        [python, "-c", "import sys; print(sys.base_prefix)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    subprocess.run(["cp", "-al", prefix, str(where)], check=True)
    stdlib = next(where.glob("lib/python3.*"))
    for module in without:
        shutil.rmtree(stdlib / module)
    return where / "bin" / Path(os.path.realpath(python)).name, where


def assert_record_matches(env_dir: Path, project: str) -> set[str]:
    """Every file ``project``'s RECORD lists exists with the hash and size it gives.

    Returns the listed paths, normalized and absolute.
    """
    import base64
    import csv
    import hashlib

    site = Path(run_in(env_dir, "import sysconfig; print(sysconfig.get_path('purelib'))").strip())
    dist = next(site.glob(f"{project}-*.dist-info"))
    with open(dist / "RECORD", newline="") as handle:
        rows = [row for row in csv.reader(handle) if row]
    for row in rows:
        path = site / row[0]
        assert path.exists(), row[0]
        if row[1]:
            algo, digest = row[1].split("=", 1)
            data = path.read_bytes()
            expected = base64.urlsafe_b64encode(hashlib.new(algo, data).digest()).rstrip(b"=")
            assert digest == expected.decode(), row[0]
            assert int(row[2]) == len(data), row[0]
    return {os.path.normpath(site / row[0]) for row in rows}


def wait_for_compile(cache: Path) -> int:
    """Until the compile behind every command run so far on ``cache`` has ended (its jobs'
    locks say so: no polling); how many jobs there were."""
    from burrow.packages.behind import wait

    return wait(str(cache))


def wait_for_check(cache: Path) -> str:
    """The log line of the daily pip check once it has ended and its process is gone."""
    import time

    folder = cache / "periodic"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        logs = list(folder.glob("pip-*.log"))
        if logs and not list(folder.glob("*.claim")):
            line = logs[0].read_text()
            _wait_gone(int(line.split()[2]), deadline)
            return line
        time.sleep(0.05)
    raise AssertionError(f"the check did not end: {sorted(p.name for p in folder.iterdir())}")


def _wait_gone(pid: int, deadline: float) -> None:
    """Until ``pid`` has exited (a zombie of an init that does not reap counts as exited)."""
    import time

    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                if stat.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return
        except FileNotFoundError:
            return
        time.sleep(0.05)
    raise AssertionError(f"the check's process {pid} is still running")
