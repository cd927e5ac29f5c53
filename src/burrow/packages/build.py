"""Wheels built from sdists and local projects (PEP 517, PEP 660), in build envs of burrow's.

`build_sdist(path, sha256, info)` builds once and keeps the wheel under the sdist's
sha256 and the target's interpreter; `build_project(dir, info, editable=True)` builds a
local project each time (its files may have changed); `sdist_metadata(path, info)` asks
the backend for the metadata alone. The hooks run in a temporary env made with
`burrow.create`, whose pip installs the build requirements.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Iterator, Mapping, Optional, Sequence

from burrow import fs
from burrow._fast import getLogger
from burrow.errors import FetchError

#: Wheels built from sdists, under the cache dir (`burrow cache`).
CACHE_FOLDER = "built-v1"

if TYPE_CHECKING:
    from contextlib import AbstractContextManager
    from typing import Literal

    from build import ProjectBuilder

    from burrow.interpreter import PythonInfo

    Distribution = Literal["wheel", "editable"]

logger = getLogger(__name__)


def built_dir() -> str:
    """Where built wheels are kept: <cache>/built-v1/<sdist sha256>/<interpreter>/x.whl."""
    from burrow import dirs

    return os.path.join(dirs.private_cache_dir(), CACHE_FOLDER)


def interpreter_key(info: PythonInfo) -> str:
    """What a built wheel depends on: 'cpython-312-linux_x86_64' ('cpython-313t-...')."""
    threaded = "t" if info.free_threaded else ""
    platform = info.sysconfig_platform.replace("-", "_").replace(".", "_")
    return f"{info.cache_tag}{threaded}-{platform}"


def build_sdist(sdist: str, sha256: str, info: PythonInfo, *, origin: str = "") -> str:
    """The wheel built from `sdist` for `info`: from the cache, else built and kept."""
    import shutil

    folder = os.path.join(built_dir(), sha256[:2], sha256, interpreter_key(info))
    found = _wheel_in(folder)
    if found is not None:
        return found
    os.makedirs(os.path.dirname(folder), exist_ok=True)
    # The pid in the name lets `cache clean` remove it once this run is gone.
    work = fs.unique_dir(os.path.dirname(folder), ".build-")
    try:
        source = _unpack(sdist, os.path.join(work, "src"), origin)
        wheel = _build(source, info, "wheel", os.path.join(work, "out"), origin)
        staged = os.path.join(work, "done")
        os.makedirs(staged)
        shutil.move(wheel, os.path.join(staged, os.path.basename(wheel)))
        try:
            os.rename(staged, folder)
        except OSError:  # another run built it meanwhile: use theirs
            if _wheel_in(folder) is None:
                raise
        result = _wheel_in(folder)
        if result is None:
            raise FetchError(
                f"{_where(origin)}the build of {os.path.basename(sdist)} left no wheel"
            )
        return result
    finally:
        shutil.rmtree(work, ignore_errors=True)


def build_project(path: str, info: PythonInfo, *, editable: bool = False, origin: str = "") -> str:
    """A wheel (PEP 660 editable one when asked) of the project directory `path`."""
    import hashlib
    import shutil

    root = os.path.join(built_dir(), "projects")
    os.makedirs(root, exist_ok=True)
    work = fs.unique_dir(root, ".build-")
    try:
        wheel = _build(path, info, "editable" if editable else "wheel", work, origin)
        with open(wheel, "rb") as handle:
            digest = hashlib.sha256(handle.read()).hexdigest()
        folder = os.path.join(root, digest[:2], digest)
        os.makedirs(folder, exist_ok=True)
        final = os.path.join(folder, os.path.basename(wheel))
        os.replace(wheel, final)
        return final
    finally:
        shutil.rmtree(work, ignore_errors=True)


def sdist_metadata(
    path: str | os.PathLike[str], info: PythonInfo | None = None, *, origin: str = ""
) -> bytes:
    """The core metadata of an sdist or project directory, from
    prepare_metadata_for_build_wheel (or a whole build when the backend lacks it); built
    with `info`'s interpreter, else the one running burrow."""
    import shutil
    import tempfile

    if info is None:
        import sys

        from burrow.interpreter import inspect

        info = inspect(sys.executable)
    path = os.fspath(path)
    work = tempfile.mkdtemp(prefix="burrow-metadata-")
    try:
        source = path if os.path.isdir(path) else _unpack(path, os.path.join(work, "src"), origin)
        with _builder(source, info, "wheel", origin) as builder:
            out = os.path.join(work, "out")
            try:
                dist_info = builder.prepare("wheel", out)
                if dist_info is None:
                    wheel = builder.build("wheel", out)
                    return _metadata_of_wheel(wheel)
            except Exception as exc:  # noqa: BLE001 - a backend may raise anything
                raise _failed(source, origin, exc) from None
            with open(os.path.join(dist_info, "METADATA"), "rb") as handle:
                return handle.read()
    finally:
        shutil.rmtree(work, ignore_errors=True)


# --------------------------------------------------------------------------- building


def _build(source: str, info: PythonInfo, distribution: Distribution, out: str, origin: str) -> str:
    with _builder(source, info, distribution, origin) as builder:
        try:
            wheel: str = builder.build(distribution, out)
        except Exception as exc:  # noqa: BLE001 - a backend may raise anything
            raise _failed(source, origin, exc) from None
    logger.info("built %s", os.path.basename(wheel))
    return wheel


def _builder(
    source: str, info: PythonInfo, distribution: Distribution, origin: str
) -> AbstractContextManager[ProjectBuilder]:
    from contextlib import contextmanager

    @contextmanager
    def session() -> Iterator[ProjectBuilder]:
        import shutil
        import tempfile

        from build import BuildException, ProjectBuilder

        env_dir = tempfile.mkdtemp(prefix="burrow-build-env-")
        env = os.path.join(env_dir, "env")
        try:
            # pip is seeded only once the project turns out to need something installed.
            python = _make_env(env, info, seed=False)
            try:
                builder = ProjectBuilder(source, python_executable=python, runner=_runner())
            except BuildException as exc:
                raise FetchError(f"{_where(origin)}cannot build {source}: {exc}") from None
            needs = sorted(builder.build_system_requires)
            seeded = _install(env, python, info, False, needs, source=source, origin=origin)
            try:
                extra = builder.get_requires_for_build(distribution)
            except Exception as exc:  # noqa: BLE001 - a backend may raise anything
                raise _failed(source, origin, exc) from None
            _install(env, python, info, seeded, sorted(extra), source=source, origin=origin)
            yield builder
        finally:
            shutil.rmtree(env_dir, ignore_errors=True)

    return session()


def _make_env(path: str, info: PythonInfo, *, seed: bool) -> str:
    """An env of the target interpreter for one build (pip added to it when `seed`).

    Made by burrow's own CLI in a child process: creating envs may itself build (create
    -r resolves, and resolving builds sdists), so build.py does not import the creator.
    """
    import subprocess
    import sys

    import burrow
    from burrow.environment import python_of

    home = os.path.dirname(os.path.dirname(os.path.abspath(burrow.__file__)))
    environ = dict(os.environ)
    environ["PYTHONPATH"] = os.pathsep.join(filter(None, [home, environ.get("PYTHONPATH")]))
    command = [sys.executable, "-m", "burrow", "create", "-q", "-p", info.executable,
               "--prompt", "build", *([] if seed else ["--without-pip"]), path]  # fmt: skip
    proc = subprocess.run(command, env=environ, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise FetchError(f"cannot make a build env: {_last_line(proc.stderr or proc.stdout)}")
    return python_of(path)


def _install(
    env: str,
    python: str,
    info: PythonInfo,
    seeded: bool,
    requirements: Sequence[str],
    *,
    source: str,
    origin: str,
) -> bool:
    """Build requirements installed by the build env's pip (with pip's own configuration);
    whether the env has pip now."""
    import subprocess

    if not requirements:
        return seeded
    if not seeded:
        _make_env(env, info, seed=True)  # the same env, pip added
    logger.info("installing build requirements of %s: %s", source, ", ".join(requirements))
    proc = subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         *requirements],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if proc.returncode != 0:
        last = _last_line(proc.stderr or proc.stdout)
        raise FetchError(
            f"{_where(origin)}cannot install the build requirements of {source} "
            f"({', '.join(requirements)}): {last}"
        )
    return True


def _runner() -> Any:
    """A pyproject-hooks runner that keeps the hooks' output quiet, and in the error."""

    def run(cmd: Sequence[str], cwd: Optional[str] = None,
            extra_environ: Optional[Mapping[str, str]] = None) -> None:  # fmt: skip
        import subprocess

        environ = dict(os.environ)
        environ.update(extra_environ or {})
        proc = subprocess.run(
            list(cmd), cwd=cwd, env=environ, capture_output=True, text=True, check=False
        )
        logger.debug("%s", proc.stdout + proc.stderr)
        if proc.returncode != 0:
            raise subprocess.CalledProcessError(proc.returncode, cmd, proc.stdout, proc.stderr)

    return run


def _failed(source: str, origin: str, exc: BaseException) -> FetchError:
    import subprocess

    cause: Optional[BaseException] = exc
    reason = ""
    while cause is not None and not reason:
        if isinstance(cause, subprocess.CalledProcessError):
            reason = _last_line(f"{cause.stdout or ''}{cause.stderr or ''}")
        cause = getattr(cause, "exception", None) or cause.__cause__
    reason = reason or _last_line(str(exc)) or type(exc).__name__
    return FetchError(f"{_where(origin)}building {os.path.basename(source)} failed: {reason}")


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def _where(origin: str) -> str:
    return f"{origin}: " if origin else ""


# --------------------------------------------------------------------------- files


def _unpack(sdist: str, dest: str, origin: str) -> str:
    """The project directory inside an sdist (.tar.gz or .zip) unpacked into `dest`."""
    import tarfile
    import zipfile

    os.makedirs(dest, exist_ok=True)
    name = os.path.basename(sdist)
    try:
        if name.endswith(".zip"):
            with zipfile.ZipFile(sdist) as archive:
                for member in archive.namelist():
                    _check_member(member, name, origin)
                archive.extractall(dest)  # noqa: S202 - every member checked above
        else:
            with tarfile.open(sdist) as archive:
                for entry in archive.getmembers():
                    _check_member(entry.name, name, origin)
                    if not (entry.isfile() or entry.isdir()):
                        raise FetchError(f"{_where(origin)}{name} holds a link or device")
                archive.extractall(dest)  # noqa: S202 - every member checked above
    except (OSError, tarfile.TarError, zipfile.BadZipFile) as exc:
        raise FetchError(f"{_where(origin)}cannot unpack {name}: {exc}") from None
    entries = os.listdir(dest)
    if len(entries) == 1 and os.path.isdir(os.path.join(dest, entries[0])):
        return os.path.join(dest, entries[0])
    return dest


def _check_member(member: str, name: str, origin: str) -> None:
    parts = member.replace("\\", "/").split("/")
    if member.startswith(("/", "\\")) or ".." in parts or ":" in parts[0]:
        raise FetchError(f"{_where(origin)}{name} holds a path outside itself: {member!r}")


def _wheel_in(folder: str) -> Optional[str]:
    try:
        names = [n for n in os.listdir(folder) if n.endswith(".whl")]
    except OSError:
        return None
    return os.path.join(folder, names[0]) if names else None


def _metadata_of_wheel(wheel: str) -> bytes:
    import zipfile

    with zipfile.ZipFile(wheel) as archive:
        for member in archive.namelist():
            parts = member.split("/")
            if len(parts) == 2 and parts[0].endswith(".dist-info") and parts[1] == "METADATA":
                return archive.read(member)
    raise FetchError(f"{wheel} has no METADATA")
