"""The resolution memo of `burrow lock`: a warm lock of unchanged inputs and pages is not
resolved again, gives exactly what a fresh resolution gives, and any change is seen."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Dict, List, Tuple

import localindex
import pytest

import burrow
from burrow.packages import resolve as resolve_module
from burrow.packages.index import Index
from burrow.packages.locking import Locked, Sources
from burrow.packages.lockmemo import RecordingIndex
from burrow.packages.pipconfig import IndexConfig


@pytest.fixture
def resolved(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> List[int]:
    """Counts the resolutions of `lock` (not `fresh`); a cache and pip config of its own."""
    for name in [k for k in os.environ if k.startswith("PIP_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("BURROW_CACHE_DIR", str(tmp_path / "cache"))
    calls: List[int] = []
    real = resolve_module.resolve

    def counting(*args: Any, **kwargs: Any) -> Any:
        if isinstance(kwargs["index"], RecordingIndex):  # burrow's own session, not fresh's
            calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(resolve_module, "resolve", counting)
    return calls


def files(src: Path) -> List[Path]:
    return [
        localindex.wheel(src, "top", "1.0", ["mid>=1"]),
        localindex.wheel(src, "mid", "1.0", ["leaf"]),
        localindex.wheel(src, "mid", "2.0", ["leaf"]),
        localindex.wheel(src, "leaf", "1.0"),
    ]


def lock(tmp_path: Path, sources: Sources, **kwargs: Any) -> Locked:
    return burrow.lock([tmp_path / "requirements.in"], python=sys.executable, sources=sources,
                       **kwargs)  # fmt: skip


def fresh(tmp_path: Path, sources: Sources, **kwargs: Any) -> Locked:
    """The answer of a resolution from the pages, past every memo (a session of its own)."""
    config = IndexConfig(index_urls=(sources.index_url or "",), find_links=sources.find_links)
    with Index(config) as index:
        return lock(tmp_path, sources, index=index, **kwargs)


def test_an_unchanged_lock_is_the_memo_and_equals_a_fresh_one(
    tmp_path: Path, resolved: List[int]
) -> None:
    sources = Sources(index_url=localindex.write_index(tmp_path / "www", files(tmp_path)).as_uri())
    (tmp_path / "requirements.in").write_text("top\n", "utf-8")
    first = lock(tmp_path, sources)
    second = lock(tmp_path, sources)
    assert len(resolved) == 1
    assert second.text == first.text == fresh(tmp_path, sources).text
    assert second.resolution == first.resolution
    assert [(p.name, p.version) for p in second.resolution.pins] == [
        ("leaf", "1.0"),
        ("mid", "2.0"),
        ("top", "1.0"),
    ]
    # A new output file adds no input; a re-lock of it keys on the pins it holds:
    # resolved once more, then remembered.
    output = tmp_path / "requirements.txt"
    lock(tmp_path, sources, output=output)
    assert len(resolved) == 1
    written = output.read_text("utf-8")
    assert lock(tmp_path, sources, output=output).text == written
    assert lock(tmp_path, sources, output=output).text == written
    assert len(resolved) == 2
    assert fresh(tmp_path, sources, output=output).text == written


def test_a_changed_page_or_input_is_resolved_again(tmp_path: Path, resolved: List[int]) -> None:
    src = tmp_path / "src"
    found = files(src)
    sources = Sources(index_url=localindex.write_index(tmp_path / "www", found).as_uri())
    (tmp_path / "requirements.in").write_text("top\n", "utf-8")
    lock(tmp_path, sources)
    localindex.write_index(tmp_path / "www", [*found, localindex.wheel(src, "mid", "3.0")])
    after = lock(tmp_path, sources)
    assert len(resolved) == 2
    assert [(p.name, p.version) for p in after.resolution.pins] == [("mid", "3.0"), ("top", "1.0")]
    assert after.text == fresh(tmp_path, sources).text
    (tmp_path / "requirements.in").write_text("top\nmid<3\n", "utf-8")
    pinned = lock(tmp_path, sources)
    assert len(resolved) == 3
    assert ("mid", "2.0") in [(p.name, p.version) for p in pinned.resolution.pins]
    assert pinned.text == fresh(tmp_path, sources).text


def test_a_wheel_replaced_in_a_find_links_folder_is_seen(
    tmp_path: Path, resolved: List[int]
) -> None:
    folder = tmp_path / "wheels"
    localindex.wheel(folder, "top", "1.0", ["leaf"])
    localindex.wheel(folder, "leaf", "1.0")
    localindex.wheel(folder, "leaf", "2.0", requires_python=">=99")  # read, then passed over
    localindex.wheel(folder, "other", "1.0")
    sources = Sources(no_index=True, find_links=(str(folder),))
    (tmp_path / "requirements.in").write_text("top\n", "utf-8")

    def pins() -> List[Tuple[str, str]]:
        return [(p.name, p.version) for p in lock(tmp_path, sources).resolution.pins]

    assert pins() == pins() == [("leaf", "1.0"), ("top", "1.0")]
    assert len(resolved) == 1
    # Same names, new content: the folder's listing (and mtime) may stay the same.
    localindex.wheel(folder, "leaf", "2.0")
    assert pins() == [("leaf", "2.0"), ("top", "1.0")]
    localindex.wheel(folder, "top", "1.0", ["leaf", "other"])
    assert pins() == [("leaf", "2.0"), ("other", "1.0"), ("top", "1.0")]
    assert len(resolved) == 3
    with Index(IndexConfig(index_urls=(), find_links=(str(folder),))) as index:
        assert lock(tmp_path, sources).text == lock(tmp_path, sources, index=index).text


@pytest.mark.parametrize("cache_control", ["max-age=600", "no-cache"])
def test_http_pages_are_trusted_only_while_fresh(
    tmp_path: Path, resolved: List[int], cache_control: str
) -> None:
    root = tmp_path / "www"
    localindex.write_index(root, files(tmp_path / "src"))
    (tmp_path / "requirements.in").write_text("top\n", "utf-8")
    with localindex.serve(root, cache_control=cache_control, etag=True) as server:
        sources = Sources(index_url=f"{server.url}/simple/")
        texts = {lock(tmp_path, sources).text for _ in range(3)}
        assert len(texts) == 1
        if cache_control == "no-cache":
            # Every page is revalidated by every run: the memo is never used.
            assert len(resolved) == 3
        else:
            # The first run fetched the pages into the HTTP cache; the second read them
            # from there, fresh, and kept the memo; the third used it.
            assert len(resolved) == 2
        assert texts == {fresh(tmp_path, sources).text}


def test_included_files_pip_config_and_variables_are_inputs(
    tmp_path: Path, resolved: List[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The shortcut taken before parsing (no packaging import) sees every input change:
    a file included by `-r`, pip's config file, a `${VAR}` the file reads."""
    src = tmp_path / "src"
    found = files(src)
    first = localindex.write_index(tmp_path / "www", found).as_uri()
    newer = [*found, localindex.wheel(src, "mid", "1.5", ["leaf"])]
    second = localindex.write_index(tmp_path / "www2", newer).as_uri()
    config = tmp_path / "pip.conf"
    config.write_text(f"[global]\nindex-url = {first}\n", "utf-8")
    monkeypatch.setenv("PIP_CONFIG_FILE", str(config))
    (tmp_path / "requirements.in").write_text("-r more.in\n", "utf-8")
    (tmp_path / "more.in").write_text("top\n", "utf-8")

    def pins() -> List[Tuple[str, str]]:
        locked = lock(tmp_path, Sources())
        assert locked.text == fresh_from(tmp_path).text
        return [(p.name, p.version) for p in locked.resolution.pins]

    everything = [("leaf", "1.0"), ("mid", "2.0"), ("top", "1.0")]
    assert pins() == pins() == everything
    assert len(resolved) == 1
    (tmp_path / "more.in").write_text("top\nmid<2\n", "utf-8")
    assert pins() == pins() == [("leaf", "1.0"), ("mid", "1.0"), ("top", "1.0")]
    assert len(resolved) == 2
    config.write_text(f"[global]\nindex-url = {second}\n", "utf-8")
    assert pins() == [("leaf", "1.0"), ("mid", "1.5"), ("top", "1.0")]
    assert len(resolved) == 3
    # A `${VAR}` is read from the environment as the file is parsed: never a shortcut.
    config.write_text(f"[global]\nindex-url = {first}\n", "utf-8")
    (tmp_path / "more.in").write_text("top\nmid${MID}\n", "utf-8")
    monkeypatch.setenv("MID", "<2")
    assert ("mid", "1.0") in pins()
    monkeypatch.setenv("MID", ">=2")
    assert ("mid", "2.0") in pins()


def fresh_from(tmp_path: Path) -> Locked:
    """A fresh resolution with pip's config as the environment gives it."""
    from burrow.packages.pipconfig import pip_config

    with Index(pip_config()) as index:
        return lock(tmp_path, Sources(), index=index)


def test_a_remembered_lock_imports_neither_packaging_nor_resolvelib(tmp_path: Path) -> None:
    import subprocess

    import helpers

    simple = localindex.write_index(tmp_path / "www", files(tmp_path / "src"))
    (tmp_path / "requirements.in").write_text("top\n", "utf-8")
    script = (
        "import sys, burrow\n"
        "from burrow.packages.locking import Sources\n"
        f"sources = Sources(index_url={simple.as_uri()!r})\n"
        "locked = burrow.lock(['requirements.in'], sources=sources)\n"
        "print(len(locked.resolution.pins), sorted(m for m in sys.modules\n"
        "      if m.split('.')[0] in ('packaging', 'resolvelib') and m != 'packaging'))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env.update(PIP_CONFIG_FILE=os.devnull, PYTHONPATH=str(helpers.SRC))
    env["BURROW_CACHE_DIR"] = str(tmp_path / "cache")
    runs = [
        subprocess.run(
            [sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True,
            text=True, check=True,
        ).stdout
        for _ in range(2)
    ]  # fmt: skip
    assert runs[0].startswith("3 ['packaging.")  # resolved
    assert runs[1] == "3 []\n"  # remembered


def install_wheels(
    tmp_path: Path, sources: Sources, preferred: Dict[str, str], *, fresh: bool = False
) -> List[Any]:
    """The wheels `burrow install` / unpinned `create -r` would install for requirements.in
    into an env holding `preferred`; with `fresh`, resolved from the pages past every memo."""
    from burrow.interpreter import inspect
    from burrow.packages.install import resolved_wheels, wheels_of
    from burrow.packages.locking import read_inputs, resolve_options

    info = inspect(sys.executable)
    requirements = [tmp_path / "requirements.in"]
    if not fresh:
        return resolved_wheels(info, requirements, sources=sources, preferred=preferred)
    inputs = read_inputs(requirements, (), ())
    options, _ = resolve_options(inputs, sources)
    if preferred:
        options = options.replace(preferred=preferred)
    with Index(options.config) as index:
        resolution = resolve_module.resolve(
            inputs.requirements, inputs.constraints, info, options, index=index
        )
        return wheels_of(resolution, index, info, options)


def test_install_and_create_r_reuse_the_memo_of_the_same_inputs(
    tmp_path: Path, resolved: List[int]
) -> None:
    """Unpinned `create -r` (an empty env) and `install` (the env's versions are an input)
    take the memo of the same inputs; its answer is exactly a fresh resolution's."""
    src = tmp_path / "src"
    found = files(src)
    sources = Sources(index_url=localindex.write_index(tmp_path / "www", found).as_uri())
    (tmp_path / "requirements.in").write_text("top\n", "utf-8")

    def pins(wheels: List[Any]) -> List[Tuple[str, str]]:
        return [(w.name, w.version) for w in wheels]

    first = install_wheels(tmp_path, sources, {})
    assert install_wheels(tmp_path, sources, {}) == first
    assert len(resolved) == 1
    assert first == install_wheels(tmp_path, sources, {}, fresh=True)
    assert pins(first) == [("leaf", "1.0"), ("mid", "2.0"), ("top", "1.0")]
    # What the env has is part of the key: kept while it fits.
    kept = install_wheels(tmp_path, sources, {"mid": "1.0"})
    assert install_wheels(tmp_path, sources, {"mid": "1.0"}) == kept
    assert len(resolved) == 2
    assert kept == install_wheels(tmp_path, sources, {"mid": "1.0"}, fresh=True)
    assert ("mid", "1.0") in pins(kept)
    # `burrow lock` of the same lines keeps a memo of its own (editables allowed, every
    # file hashed), and a changed page is resolved again.
    lock(tmp_path, sources)
    assert len(resolved) == 3
    localindex.write_index(tmp_path / "www", [*found, localindex.wheel(src, "mid", "3.0")])
    after = install_wheels(tmp_path, sources, {})
    assert len(resolved) == 4
    assert pins(after) == [("mid", "3.0"), ("top", "1.0")]
    assert after == install_wheels(tmp_path, sources, {}, fresh=True)
