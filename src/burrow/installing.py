"""``burrow create -r FILE`` / ``--install PKG…``: install with the env's own pip, all or nothing.

For a new env, pip runs while the env is still being built beside its target. The
scripts pip writes name that temporary place, so they are re-pointed at the env's final
path (their RECORD lines updated to match) before the env is renamed into place. A pip
that fails, is interrupted or is killed therefore leaves no env at all, and ``--clear``
keeps the old env until the new one is complete. An existing env updated in place gets
pip's work directly, as ``pip install`` would.
"""

from __future__ import annotations

import os

from burrow import fs
from burrow._fast import Record
from burrow.environment import python_of
from burrow.errors import BurrowError, OptionError
from burrow.scripts import repointed

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Tuple

    from burrow.layout import Layout

#: Scripts pip writes are small; anything larger in bin/ is not one of them.
_MAX_SCRIPT = 1 << 20


class InstallFailed(BurrowError):
    """pip could not install what was asked into the env."""


class InstallRequest(Record):
    """What to install after seeding, e.g. InstallRequest(requirements=('req.txt',))."""

    requirements: Tuple[str, ...] = ()
    constraints: Tuple[str, ...] = ()  # -c files, for the requirements and the packages
    packages: Tuple[str, ...] = ()
    pip_args: Tuple[str, ...] = ()  # e.g. ('-q',)
    stdout: Any = None  # where pip's progress goes; None: burrow's own stdout

    def check(self, seed: bool) -> None:
        """Refuse before anything is built: pip options with no pip to run them, a
        requirements file missing, or a package that is a path to something pip cannot
        install (an env's path, mistyped)."""
        if not seed and not _engine_can(self):
            # burrow's own engine needs no pip in the env; pip's own options do.
            raise OptionError(f"{' '.join(self.pip_args)} needs pip in the env: drop --without-pip")
        for name in self.requirements:
            if not os.path.isfile(name):
                raise InstallFailed(f"requirements file {name} not found")
        for name in self.constraints:
            if not os.path.isfile(name):
                raise InstallFailed(f"constraints file {name} not found")
        for package in self.packages:
            _check_package(package)


#: What marks a folder as a project pip can install (``pip install ./src/app``).
_PROJECT_FILES = ("pyproject.toml", "setup.py")


def _check_package(word: str) -> None:
    """A package is a name or requirement, a URL, an archive, or a project folder; a word
    that names another directory, or looks like a path to nothing, was meant as the env."""
    if "://" in word or "@" in word:  # a URL, or 'name @ URL'
        return
    hint = f"the env's path is PATH, not a package: burrow create {word} --install PKG"
    if os.path.isdir(word):
        if not any(os.path.isfile(os.path.join(word, f)) for f in _PROJECT_FILES):
            raise OptionError(f"--install {word}: a directory, not a project to install; {hint}")
        return
    looks_like_path = any(sep in word for sep in ("/", os.sep)) or word[:1] in (".", "~")
    if looks_like_path and not os.path.exists(word):
        raise OptionError(f"--install {word}: looks like a path, and nothing is there; {hint}")


def pip_install(env_dir: str, request: InstallRequest) -> None:
    """Run ``ENV/bin/python -m pip install -r … PKG…`` with the env active."""
    import subprocess

    from burrow.running import active_environ

    command = [python_of(env_dir), "-m", "pip", "install", "--disable-pip-version-check"]
    command += list(request.pip_args)
    for name in request.requirements:
        command += ["-r", os.path.abspath(name)]
    for name in request.constraints:
        command += ["-c", os.path.abspath(name)]
    command += list(request.packages)
    try:
        code = subprocess.call(command, env=active_environ(env_dir), stdout=request.stdout)
    except OSError as exc:
        raise InstallFailed(f"cannot run pip in {env_dir}: {exc.strerror or exc}") from None
    if code:
        raise InstallFailed(f"pip could not install the requirements (exit code {code})")


def _engine_can(request: InstallRequest) -> bool:
    """Whether burrow's resolver and engine can do the install (no pip option to honour)."""
    return all(arg in ("-q", "-v") for arg in request.pip_args)


def install_in_place(env_dir: str, request: InstallRequest, compile_bytecode: bool) -> None:
    """Add the request's packages to an env that is in place: resolved in-process and
    installed all or nothing through the engine; pip only for options it alone has."""
    if not _engine_can(request):
        pip_install(env_dir, request)
        return
    from burrow.packages.install import install

    try:
        install(
            env_dir,
            requirements=request.requirements,
            constraints=request.constraints,
            packages=request.packages,
            compile_bytecode=compile_bytecode,
        )
    except BurrowError as exc:
        raise InstallFailed(str(exc)) from None


def install_before_rename(
    build: str,
    final: str,
    layout: Layout,
    relocatable: bool,
    request: InstallRequest,
    compile_bytecode: bool,
) -> None:
    """Install into the env being built at ``build``, which will live at ``final``: through
    burrow's package engine (a lock as it is, anything else resolved in-process), or with
    pip for options only pip has (its scripts then made to name ``final``)."""
    if not request.packages:
        from burrow.interpreter import inspect
        from burrow.packages.sync import install_new, pinned_wheels

        try:
            wheels = pinned_wheels(
                request.requirements, inspect(python_of(build)), request.constraints
            )
        except BurrowError as exc:  # the caller says what became of the env
            raise InstallFailed(str(exc)) from None
        if wheels is not None:
            install_new(
                build, final, wheels, relocatable=relocatable, compile_bytecode=compile_bytecode
            )
            return
    if _engine_can(request):
        # Anything else is resolved in-process and installed through the same engine.
        from burrow.interpreter import inspect
        from burrow.packages.install import resolved_wheels
        from burrow.packages.sync import install_new

        info = inspect(python_of(build))
        try:
            wheels = resolved_wheels(
                info, request.requirements, request.constraints, request.packages
            )
        except BurrowError as exc:  # the caller says what became of the env
            raise InstallFailed(str(exc)) from None
        install_new(
            build, final, wheels, relocatable=relocatable, compile_bytecode=compile_bytecode
        )
        return
    pip_install(build, request)
    repoint_scripts(build, final, layout, relocatable)


def repoint_scripts(build: str, final: str, layout: Layout, relocatable: bool) -> None:
    """Scripts in bin/ that run a python of ``build`` are made to run ``final``'s."""
    from burrow.records import changed_key

    old_bin = os.path.join(build, layout.scripts)
    new_bin = os.path.join(final, layout.scripts)
    changed: Dict[str, bytes] = {}
    for name in sorted(os.listdir(old_bin)):
        path = os.path.join(old_bin, name)
        if os.path.islink(path) or not os.path.isfile(path):
            continue
        with open(path, "rb") as handle:
            data = handle.read(_MAX_SCRIPT + 1)
        fixed = None if len(data) > _MAX_SCRIPT else repointed(data, old_bin, new_bin, relocatable)
        if fixed is not None:
            fs.replace_file(path, fixed, mode=None)  # keeps pip's mode
            changed[changed_key(path)] = fixed
    if changed:
        _update_records(build, layout, changed)


def _update_records(build: str, layout: Layout, changed: Dict[str, bytes]) -> None:
    """Give the rewritten scripts their new hash and size in every RECORD listing them."""
    from burrow.records import rehashed

    for site_rel in layout.site_packages():
        site = os.path.join(build, site_rel)
        for name in sorted(os.listdir(site)):
            record = os.path.join(site, name, "RECORD")
            if not name.endswith(".dist-info") or not os.path.isfile(record):
                continue
            with open(record, "rb") as handle:
                fixed = rehashed(handle.read(), site, changed)
            if fixed is not None:
                fs.replace_file(record, fixed, mode=None)
