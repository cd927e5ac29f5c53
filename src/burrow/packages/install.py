"""`burrow install` and unpinned `create -r`: resolve in-process, then install through
the engine (all or nothing), no pip process anywhere.

    install(".venv", packages=["flask>=3"])  # Changes(added=[('flask', '3.1.0'), ...])

An existing env is resolved against what it has: installed versions are kept while they
fit (pip's `only-if-needed`), and nothing is removed.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, List, Optional, Sequence

from burrow._fast import getLogger

if TYPE_CHECKING:
    from burrow.interpreter import PythonInfo
    from burrow.packages.index import Index
    from burrow.packages.locking import Sources
    from burrow.packages.resolve import Options, Resolution
    from burrow.packages.sync import Changes, Wheel

logger = getLogger(__name__)


def install(
    env: str | os.PathLike[str],
    *,
    requirements: Sequence[str | os.PathLike[str]] = (),
    constraints: Sequence[str | os.PathLike[str]] = (),
    packages: Sequence[str] = (),
    sources: Optional[Sources] = None,
    upgrade: bool = False,
    upgrade_packages: Sequence[str] = (),
    compile_bytecode: bool = False,
) -> Changes:
    """Add what `requirements` / `packages` need to `env`, resolved against what it has.

    Installed versions are kept while they fit, except, as with `pip install -U`, those of
    the requirements asked for when `upgrade`, and those of `upgrade_packages` (uv's `-P`).
    New cache entries are byte-compiled before it returns with `compile_bytecode`, else
    behind it.
    """
    from burrow.environment import python_of
    from burrow.interpreter import inspect
    from burrow.layout import plan
    from burrow.packages import installed
    from burrow.packages.sync import _check_env, sync_wheels

    target = _check_env(env)
    info = inspect(python_of(target))
    have = installed.scan(os.path.join(target, plan(info).purelib))
    preferred = {name: dist.version for name, dist in have.items()}
    wheels = resolved_wheels(
        info,
        requirements,
        constraints,
        packages,
        sources=sources,
        preferred=preferred,
        upgrade=upgrade,
        upgrade_packages=upgrade_packages,
    )
    return sync_wheels(target, wheels, keep_others=True, compile_bytecode=compile_bytecode)


def resolved_wheels(
    info: PythonInfo,
    requirements: Sequence[str | os.PathLike[str]] = (),
    constraints: Sequence[str | os.PathLike[str]] = (),
    packages: Sequence[str] = (),
    *,
    sources: Optional[Sources] = None,
    preferred: Optional[dict[str, str]] = None,
    upgrade: bool = False,
    upgrade_packages: Sequence[str] = (),
) -> List[Wheel]:
    """Resolve for `info` and return one local wheel per pin (downloaded when needed).

    `preferred` versions ({name: version}, the env's) are chosen while they fit, but not for
    the requirements' own names when `upgrade`, nor for `upgrade_packages`. `-e DIR`
    lines are built as editable wheels (PEP 660).
    The answer is `burrow lock`'s memo when these inputs (the env's versions among them,
    as `preferred`) were resolved before and no page read since changed (`lockmemo.py`).
    """
    from packaging.utils import canonicalize_name

    from burrow.packages.candidates import target_of
    from burrow.packages.locking import Sources, read_inputs, resolve_options
    from burrow.packages.lockmemo import Memo, RecordingIndex
    from burrow.packages.resolve import resolve

    inputs = read_inputs(requirements, constraints, packages)
    options, _ = resolve_options(inputs, sources or Sources())
    options = options.replace(editables=True)
    if preferred:
        fresh = {canonicalize_name(name) for name in upgrade_packages}
        if upgrade:
            fresh |= {canonicalize_name(r.name) for r in inputs.requirements if r.name}
        kept = {name: v for name, v in preferred.items() if canonicalize_name(name) not in fresh}
        options = options.replace(preferred=kept)
    with RecordingIndex(options.config) as index:
        target = target_of(info)
        memo = Memo(
            index.cache_root(),
            inputs.requirements,
            inputs.constraints,
            target,
            options,
            purpose="install",
        )
        found = memo.load()
        if found is not None:
            resolution = found[0]
        else:
            resolution = resolve(
                inputs.requirements, inputs.constraints, info, options, index=index
            )
            memo.store(resolution, _page_hashes(resolution), index)
        return wheels_of(resolution, index, info, options)


def _page_hashes(resolution: Resolution) -> dict[str, List[str]]:
    """Each pin's sha256s as its pages name them (an install reads no other file for them)."""
    return {
        pin.name: sorted({link.sha256 for link in pin.links if link.sha256})
        for pin in resolution.pins
    }


def wheels_of(
    resolution: Resolution, index: Index, info: PythonInfo, options: Options
) -> List[Wheel]:
    """A local wheel for each pin, from the fetcher: downloaded once into the cache (hash
    checked), several at a time, sdists built into wheels by the target interpreter."""
    import importlib

    from burrow.packages.pins import Pin as LockPin
    from burrow.packages.sync import as_wheels
    from burrow.packages.urls import file_path

    pins = []
    for pin in resolution.pins:
        digests = sorted({link.sha256 for link in pin.links if link.sha256})
        path = None
        if pin.url is not None and pin.url.startswith("file:"):
            path = str(file_path(pin.url))
        pins.append(
            LockPin(
                name=pin.name,
                version=pin.version,
                hashes={"sha256": digests} if digests else {},
                url=pin.url,
                path=path,
                editable=pin.editable,
                extras=pin.extras,
                origin=f"{pin.name}=={pin.version}",
                requested=pin.requested,
            )
        )
    # Imported by name, as sync does: the fetcher builds sdists in envs that creator makes,
    # and creator installs through this module.
    fetch = importlib.import_module("burrow.packages.fetch")
    found = fetch.fetch(
        pins,
        info,
        index.config,
        index=index,
        only_binary=options.only_binary,
        no_binary=options.no_binary,
    )
    return as_wheels(found)
