"""The resolver gives pip's answer: a matrix of cases on a local index, each checked against
its expected set, and (slow) against `pip install --dry-run --report` on the same index."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Dict, List, NamedTuple, Tuple

import localindex
import pytest

from burrow.errors import FetchError, ResolutionError
from burrow.interpreter import inspect
from burrow.packages.index import Index
from burrow.packages.pipconfig import IndexConfig
from burrow.packages.requirements import parse_line
from burrow.packages.resolve import Options, resolve

if TYPE_CHECKING:
    from burrow.interpreter import PythonInfo

HOST = f"{sys.version_info[0]}.{sys.version_info[1]}"
NEVER = f">={sys.version_info[0]}.{sys.version_info[1] + 50}"  # no interpreter here


def build(src: Path) -> Tuple[List[Path], Dict[str, str], Dict[str, str]]:
    """Every project of every case: (files, yanked, data-requires-python)."""
    w = localindex.wheel
    files = [
        # backtracking: alpha 2.0 pins beta 1, gamma needs beta 2: alpha falls back to 1.0
        w(src, "alpha", "1.0", ["beta"]),
        w(src, "alpha", "2.0", ["beta==1.0"]),
        w(src, "beta", "1.0"),
        w(src, "beta", "2.0"),
        w(src, "gamma", "1.0", ["beta>=2"]),
        # extras and markers
        w(
            src,
            "app",
            "1.0",
            [
                "base-dep",
                'web-dep>=1; extra == "web"',
                f'old-dep; python_version < "{HOST}"',
                f'new-dep; python_version >= "{HOST}"',
                'never-dep; sys_platform == "no-such-os"',
                'web-extra-py; extra == "web" and python_version >= "3"',
            ],
            extras=["web"],
        ),
        w(src, "base-dep", "1.0"),
        w(src, "web-dep", "0.5"),
        w(src, "web-dep", "1.2"),
        w(src, "old-dep", "1.0"),
        w(src, "new-dep", "1.0"),
        w(src, "never-dep", "1.0"),
        w(src, "web-extra-py", "3.0"),
        # yanked
        w(src, "shaky", "1.0"),
        w(src, "shaky", "2.0"),
        # pre-releases
        w(src, "pre-lib", "1.0"),
        w(src, "pre-lib", "2.0b1"),
        w(src, "only-pre", "1.0a1"),
        w(src, "only-pre", "1.0a2"),
        # the newest version drops the target's Python: on the index page, or only in
        # its metadata
        w(src, "dropper", "1.0"),
        w(src, "dropper", "2.0", requires_python=NEVER),
        w(src, "meta-dropper", "1.0"),
        w(src, "meta-dropper", "2.0", requires_python=NEVER),
        # constraints
        w(src, "limited", "1.0", ["beta"]),
        w(src, "limited", "1.5", ["beta"]),
        w(src, "limited", "3.0", ["beta"]),
        # a wheel for another platform only
        w(src, "native", "1.0"),
        w(src, "native", "2.0", tag="cp39-cp39-win_amd64"),
    ]
    yanked = {"shaky-2.0-py3-none-any.whl": "broken"}
    requires_python = {"dropper-2.0-py3-none-any.whl": NEVER}
    return files, yanked, requires_python


class Case(NamedTuple):
    requirements: List[str]
    constraints: List[str]
    expected: Dict[str, str]
    pre: bool = False


CASES = {
    "backtracking": Case(["alpha", "gamma"], [], {"alpha": "1.0", "beta": "2.0", "gamma": "1.0"}),
    "extras-and-markers": Case(
        ["app[web]"],
        [],
        {
            "app": "1.0",
            "base-dep": "1.0",
            "web-dep": "1.2",
            "new-dep": "1.0",
            "web-extra-py": "3.0",
        },
    ),
    "no-extras": Case(["app"], [], {"app": "1.0", "base-dep": "1.0", "new-dep": "1.0"}),
    "yanked-skipped": Case(["shaky"], [], {"shaky": "1.0"}),
    "yanked-pinned": Case(["shaky==2.0"], [], {"shaky": "2.0"}),
    "pre-not-by-default": Case(["pre-lib"], [], {"pre-lib": "1.0"}),
    "pre-asked-in-specifier": Case(["pre-lib>=2.0b1"], [], {"pre-lib": "2.0b1"}),
    "pre-with-flag": Case(["pre-lib"], [], {"pre-lib": "2.0b1"}, pre=True),
    "pre-only-match": Case(["only-pre"], [], {"only-pre": "1.0a2"}),
    "requires-python-on-page": Case(["dropper"], [], {"dropper": "1.0"}),
    "requires-python-in-metadata": Case(["meta-dropper"], [], {"meta-dropper": "1.0"}),
    "constraints": Case(["limited"], ["limited<2", "beta<2"], {"limited": "1.5", "beta": "1.0"}),
    "other-platform-wheel": Case(["native"], [], {"native": "1.0"}),
}


@pytest.fixture(scope="module")
def simple(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("index")
    files, yanked, requires_python = build(root / "src")
    return localindex.write_index(
        root, files, yanked=yanked, requires_python=requires_python, metadata_files=True
    )


@pytest.fixture(scope="module")
def host() -> PythonInfo:
    return inspect(sys.executable)


def burrow_resolve(
    simple: Path,
    info: PythonInfo,
    requirements: List[str],
    constraints: List[str] = (),  # type: ignore[assignment]
    **options: object,
) -> Dict[str, str]:
    config = IndexConfig(index_urls=(simple.as_uri(),), find_links=())
    lines = [parse_line(text, f"requirements.in:{n}") for n, text in enumerate(requirements, 1)]
    limits = [parse_line(text, f"constraints.txt:{n}") for n, text in enumerate(constraints, 1)]
    with Index(config, cache_dir=str(simple.parent / "cache")) as index:
        found = resolve(lines, limits, info, Options(config=config, **options), index=index)
    return {pin.name: pin.version for pin in found.pins}


@pytest.mark.parametrize("case", sorted(CASES))
def test_resolution(simple: Path, host: PythonInfo, case: str) -> None:
    requirements, constraints, expected, pre = CASES[case]
    assert burrow_resolve(simple, host, requirements, constraints, pre=pre) == expected


def test_resolution_over_http_reads_ahead(simple: Path, host: PythonInfo, tmp_path: Path) -> None:
    """From a network index, each likely pick's metadata (and then the pages it needs)
    is read ahead in the session's pool: every case resolves as from the file:// index,
    and no metadata file is fetched twice in one resolution."""
    with localindex.serve(simple.parent) as server:
        url = f"{server.url}/simple/"
        for number, (name, case) in enumerate(sorted(CASES.items())):
            config = IndexConfig(index_urls=(url,), find_links=())
            lines = [parse_line(text, "requirements.in") for text in case.requirements]
            limits = [parse_line(text, "constraints.txt") for text in case.constraints]
            before = len(server.requests)
            # A cache of its own each time: every page and metadata file is fetched.
            with Index(config, cache_dir=str(tmp_path / str(number))) as index:
                options = Options(config=config, pre=case.pre)
                found = resolve(lines, limits, host, options, index=index)
            assert {pin.name: pin.version for pin in found.pins} == case.expected, name
            fetched = [p for p in server.paths()[before:] if p.endswith(".metadata")]
            assert fetched and len(fetched) == len(set(fetched)), name


def test_a_closed_session_starts_no_more_work(tmp_path: Path) -> None:
    config = IndexConfig(index_urls=("http://127.0.0.1:9/simple/",), find_links=())
    index = Index(config, cache_dir=str(tmp_path))
    started = index.in_background(lambda: "ran")
    assert started is not None and started.result() == "ran"
    index.close()
    assert index.in_background(lambda: "ran") is None
    index.prefetch(["demo"])  # a hint only: nothing starts, nothing fails


def pip_resolve(simple: Path, tmp_path: Path, case: Case) -> Dict[str, str]:
    """What pip (of the interpreter running the tests) installs, by its --report."""
    args = [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed"]
    args += ["--report", "-", "--quiet", "--index-url", simple.as_uri()]
    args += ["--disable-pip-version-check", "--no-cache-dir"]
    if case.pre:
        args.append("--pre")
    if case.constraints:
        constraints = tmp_path / "constraints.txt"
        constraints.write_text("\n".join(case.constraints) + "\n", "utf-8")
        args += ["-c", str(constraints)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env["PIP_CONFIG_FILE"] = os.devnull
    report = subprocess.run(
        [*args, *case.requirements], env=env, capture_output=True, text=True, check=True
    )
    return {
        item["metadata"]["name"]: item["metadata"]["version"]
        for item in json.loads(report.stdout)["install"]
    }


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(CASES))
def test_same_answer_as_pip(simple: Path, host: PythonInfo, tmp_path: Path, case: str) -> None:
    pip_answer = pip_resolve(simple, tmp_path, CASES[case])
    assert pip_answer == CASES[case].expected
    requirements, constraints, _, pre = CASES[case]
    assert burrow_resolve(simple, host, requirements, constraints, pre=pre) == pip_answer


# --------------------------------------------------------------------------- the rest


def test_direct_url_and_its_dependencies(simple: Path, host: PythonInfo, tmp_path: Path) -> None:
    wheel = localindex.wheel(tmp_path, "direct", "7.0", ["beta<2"])
    found = burrow_resolve(simple, host, [f"direct @ {wheel.as_uri()}"])
    assert found == {"direct": "7.0", "beta": "1.0"}


def test_sdist_only_project_same_answer_as_pip(
    tmp_path: Path, host: PythonInfo, cold_cache: Path
) -> None:
    """Dependencies only a build of each sdist can tell (its PKG-INFO lists none): the
    newest needs beta>=2; asked for beta<2 too, the resolver falls back to the older sdist,
    whose metadata pins beta below 2 and pulls in an extra."""
    src = tmp_path / "src"
    files = [
        localindex.built_sdist(src, "built-only", "1.0", ["beta<2", "app[web]"]),
        localindex.built_sdist(src, "built-only", "2.0", ["beta>=2"]),
        localindex.wheel(src, "beta", "1.0"),
        localindex.wheel(src, "beta", "2.0"),
        localindex.wheel(src, "app", "1.0", ['web-dep; extra == "web"'], extras=["web"]),
        localindex.wheel(src, "web-dep", "1.2"),
    ]
    simple = localindex.write_index(tmp_path / "www", files)
    newest = {"built-only": "2.0", "beta": "2.0"}
    assert pip_resolve(simple, tmp_path, Case(["built-only"], [], newest)) == newest
    assert burrow_resolve(simple, host, ["built-only"]) == newest
    older = {"built-only": "1.0", "beta": "1.0", "app": "1.0", "web-dep": "1.2"}
    assert pip_resolve(simple, tmp_path, Case(["built-only", "beta<2"], [], older)) == older
    assert burrow_resolve(simple, host, ["built-only", "beta<2"]) == older


def test_only_binary_and_no_binary(tmp_path: Path, host: PythonInfo) -> None:
    src = tmp_path / "src"
    files = [
        localindex.wheel(src, "mixed", "1.0"),
        localindex.sdist(src, "mixed", "2.0"),
    ]
    simple = localindex.write_index(tmp_path / "www", files)
    assert burrow_resolve(simple, host, ["mixed"]) == {"mixed": "2.0"}
    assert burrow_resolve(simple, host, ["mixed"], only_binary=frozenset({":all:"})) == {
        "mixed": "1.0"
    }
    with pytest.raises(ResolutionError, match="asks for mixed<2, but no version fits"):
        burrow_resolve(simple, host, ["mixed<2"], no_binary=frozenset({"mixed"}))


def test_conflict_is_explained_in_a_few_lines(simple: Path, host: PythonInfo) -> None:
    with pytest.raises(ResolutionError) as error:
        burrow_resolve(simple, host, ["gamma"], ["beta==1.0"])
    message = str(error.value)
    assert "gamma 1.0 needs beta>=2" in message
    assert "constraints.txt:1 pins beta==1.0" in message
    assert len(message.splitlines()) <= 4


def test_top_level_conflict_names_the_lines(simple: Path, host: PythonInfo) -> None:
    with pytest.raises(ResolutionError) as error:
        burrow_resolve(simple, host, ["beta>=2", "beta<2"])
    assert "requirements.in:1 asks for beta>=2" in str(error.value)
    assert "requirements.in:2 asks for beta<2" in str(error.value)


def test_python_conflict_says_which_python(simple: Path, host: PythonInfo) -> None:
    with pytest.raises(ResolutionError, match=r"meta-dropper 2\.0 needs Python >="):
        burrow_resolve(simple, host, ["meta-dropper==2.0"])


def test_unknown_package_suggests_close_names(simple: Path, host: PythonInfo) -> None:
    with pytest.raises(ResolutionError) as error:
        burrow_resolve(simple, host, ["gama"])
    assert str(error.value) == (
        f"no package named 'gama' on {simple.as_uri()} (did you mean 'gamma'?)"
    )


def test_unreachable_index_is_one_line(host: PythonInfo) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = IndexConfig(index_urls=(f"http://127.0.0.1:{port}/simple/",), find_links=())
    with pytest.raises(FetchError) as error:
        resolve([parse_line("beta")], [], host, Options(config=config))
    assert str(error.value).startswith(f"could not read http://127.0.0.1:{port}/simple/beta/:")
    assert "\n" not in str(error.value)


def test_preferred_versions_are_kept_while_they_fit(simple: Path, host: PythonInfo) -> None:
    found = burrow_resolve(simple, host, ["limited"], preferred={"limited": "1.0", "beta": "1.0"})
    assert found == {"limited": "1.0", "beta": "1.0"}
    found = burrow_resolve(simple, host, ["limited>=1.5"], preferred={"limited": "1.0"})
    assert found == {"limited": "3.0", "beta": "2.0"}


def test_markers_are_the_targets(simple: Path, host: PythonInfo) -> None:
    """An older target interpreter takes the other branch of a python_version marker."""
    older = host.replace(version=(host.version[0], host.version[1] - 1, 0))
    found = burrow_resolve(simple, older, ["app"])
    assert found == {"app": "1.0", "base-dep": "1.0", "old-dep": "1.0"}


def test_editables_are_resolved_only_when_asked(
    simple: Path, host: PythonInfo, tmp_path: Path, cold_cache: Path
) -> None:
    """`burrow lock` asks (Options.editables); install and create -r still refuse `-e`."""
    project = localindex.project(tmp_path / "proj", "demo", "0.3", ["beta<2"])
    line = parse_line(f"-e {project}", "requirements.in:1")
    config = IndexConfig(index_urls=(simple.as_uri(),), find_links=())
    with pytest.raises(ResolutionError, match="editable requirements cannot be locked yet"):
        resolve([line], [], host, Options(config=config))
    found = resolve([line], [], host, Options(config=config, editables=True))
    assert [(p.name, p.version, p.editable) for p in found.pins] == [
        ("beta", "1.0", False),
        ("demo", "0.3", True),
    ]
    assert found.pins[1].url == project.as_uri()
