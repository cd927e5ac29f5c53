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
from burrow.errors import PackageError

if TYPE_CHECKING:
    from pathlib import Path

    from burrow.interpreter import PythonInfo
    from burrow.packages.index import Index, Link
    from burrow.packages.locking import Sources
    from burrow.packages.resolve import Pin, Resolution
    from burrow.packages.sync import Changes, Wheel

logger = getLogger(__name__)


def install(
    env: str | os.PathLike[str],
    *,
    requirements: Sequence[str | os.PathLike[str]] = (),
    constraints: Sequence[str | os.PathLike[str]] = (),
    packages: Sequence[str] = (),
    sources: Optional[Sources] = None,
) -> Changes:
    """Add what `requirements` / `packages` need to `env`, resolved against what it has."""
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
        info, requirements, constraints, packages, sources=sources, preferred=preferred
    )
    return sync_wheels(target, wheels, keep_others=True)


def resolved_wheels(
    info: PythonInfo,
    requirements: Sequence[str | os.PathLike[str]] = (),
    constraints: Sequence[str | os.PathLike[str]] = (),
    packages: Sequence[str] = (),
    *,
    sources: Optional[Sources] = None,
    preferred: Optional[dict[str, str]] = None,
) -> List[Wheel]:
    """Resolve for `info` and return one local wheel per pin (downloaded when needed)."""
    from burrow.packages.index import Index
    from burrow.packages.locking import Sources, read_inputs, resolve_options
    from burrow.packages.resolve import resolve

    inputs = read_inputs(requirements, constraints, packages)
    options, _ = resolve_options(inputs, sources or Sources())
    if preferred:
        options = options.replace(preferred=preferred)
    with Index(options.config) as index:
        resolution = resolve(inputs.requirements, inputs.constraints, info, options, index=index)
        return wheels_of(resolution, index)


def wheels_of(resolution: Resolution, index: Index) -> List[Wheel]:
    """A local wheel file for each pin: in place for file:// links, else downloaded once
    into the cache (by sha256), several at a time."""
    from concurrent.futures import ThreadPoolExecutor

    pins = list(resolution.pins)
    for pin in pins:
        if pin.chosen is None or not pin.chosen.is_wheel:
            raise PackageError(
                f"{pin.name} {pin.version} has no wheel for this interpreter, only an sdist;"
                " building sdists is not supported yet"
            )
    if len(pins) < 2:
        return [_wheel(pin, index) for pin in pins]
    with ThreadPoolExecutor(8, thread_name_prefix="burrow-download") as pool:
        return list(pool.map(lambda pin: _wheel(pin, index), pins))


def _wheel(pin: Pin, index: Index) -> Wheel:
    from urllib.parse import urlsplit

    from burrow.packages.index import _file_path
    from burrow.packages.sync import Wheel

    link = pin.chosen
    if link is None:  # wheels_of checked it; this keeps the type checker informed
        raise PackageError(f"{pin.name} {pin.version}: no file to install")
    if urlsplit(link.url).scheme.lower() == "file":
        path = str(_file_path(link.url))
    else:
        path = str(_download_once(link, index))
    direct_url = None
    if pin.url is not None:
        archive = {"hash": f"sha256={link.sha256}"} if link.sha256 else {}
        direct_url = {"url": pin.url, "archive_info": archive}
    if not os.path.isfile(path):
        raise PackageError(f"{pin.name} {pin.version}: {path} does not exist")
    return Wheel(
        name=pin.name,
        version=pin.version,
        path=path,
        sha256=link.sha256 or "",
        direct_url=direct_url,
        requested=pin.requested,
    )


def _download_once(link: Link, index: Index) -> Path:
    """The file of `link` in the download cache, fetched (hash checked) when missing."""
    from pathlib import Path

    root = index.cache_root()
    digest = link.sha256
    if root is None or not digest:
        import tempfile

        return index.download(link, Path(tempfile.mkdtemp(prefix="burrow-download-")))
    folder = Path(root, "files", digest[:2], digest)
    cached = folder / link.filename
    if cached.is_file():
        return cached
    return index.download(link, folder)
