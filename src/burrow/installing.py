"""``burrow create -r FILE`` / ``--install PKG…``: create the env, then install with its pip.

pip runs once the env is complete and in place (console scripts record the env's final
path), with its own progress on the terminal. If pip fails or is interrupted, the env this
run created is removed again, so the result is all or nothing; an env that existed before
the run is never removed.
"""

from __future__ import annotations

import os

from burrow.errors import BurrowError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import IO, Any, Optional, Sequence

    from burrow.creator import Options
    from burrow.environment import Environment


class InstallFailed(BurrowError):
    """pip could not install what was asked into the env."""


def check_requirement_files(files: Sequence[str]) -> None:
    """Refuse before creating anything when a requirements file is missing."""
    for name in files:
        if not os.path.isfile(name):
            raise InstallFailed(f"requirements file {name} not found")


def pip_install(
    env: Environment,
    requirements: Sequence[str] = (),
    packages: Sequence[str] = (),
    *,
    pip_args: Sequence[str] = (),
    stdout: Optional[IO[Any]] = None,
) -> None:
    """Run ``ENV/bin/python -m pip install -r … PKG…``; pip's output goes to ``stdout``."""
    import subprocess

    from burrow.running import active_environ

    command = [env.executable, "-m", "pip", "install", "--disable-pip-version-check"]
    command += list(pip_args)
    for name in requirements:
        command += ["-r", name]
    command += list(packages)
    try:
        code = subprocess.call(command, env=active_environ(env.path), stdout=stdout)
    except OSError as exc:
        raise InstallFailed(f"cannot run pip in {env.path}: {exc.strerror or exc}") from None
    if code:
        raise InstallFailed(f"pip could not install the requirements (exit code {code})")


def create_and_install(
    path: str,
    options: Options,
    requirements: Sequence[str] = (),
    packages: Sequence[str] = (),
    *,
    pip_args: Sequence[str] = (),
    stdout: Optional[IO[Any]] = None,
) -> Environment:
    """``create`` then ``pip_install``; on failure the env is removed if this run made it."""
    from burrow.creator import create

    check_requirement_files(requirements)
    if not options.seed:
        raise InstallFailed("installing requirements needs pip: drop --without-pip")
    existed = os.path.lexists(path)
    env = create(path, options)
    made = os.lstat(env.path)
    try:
        pip_install(env, requirements, packages, pip_args=pip_args, stdout=stdout)
    except BaseException as exc:
        if existed:
            if isinstance(exc, InstallFailed):
                raise InstallFailed(f"{exc}; {path} existed before this run and is kept") from None
            raise
        _remove_if_same(env.path, made)
        if isinstance(exc, InstallFailed):
            raise InstallFailed(f"{exc}; removed {path}, which this run created") from None
        raise
    return env


def _remove_if_same(path: str, made: os.stat_result) -> None:
    """Remove the env at ``path`` only if it is still the very directory this run made."""
    from burrow.envs import discard

    try:
        now = os.lstat(path)
    except OSError:
        return
    if (now.st_dev, now.st_ino) == (made.st_dev, made.st_ino):
        discard(path)
