"""Running the real CLI and the real interpreters inside envs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, Optional

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
