"""burrow.packages.requirements: pip's requirements-file format, read as pip reads it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import make_wheel, write
from localindex import sha256

from burrow.errors import LockError
from burrow.packages.requirements import is_pinned, parse_file, parse_line


def test_pins_hashes_and_continuations(tmp_path: Path) -> None:
    lock = write(
        tmp_path / "requirements.txt",
        "# generated\n"
        "flask==3.0.0 \\\n"
        "    --hash=sha256:AAAA \\\n"
        "    --hash=sha256:bbbb\n"
        "    # via app\n"
        "click==8.1.7 --hash=sha512:cc --hash sha256:dd\n",
    )
    found = parse_file(lock)
    flask, click = found.requirements
    assert (flask.name, flask.specifier, flask.origin) == ("flask", "==3.0.0", f"{lock}:2")
    assert flask.hashes == {"sha256": ["aaaa", "bbbb"]}
    assert click.hashes == {"sha512": ["cc"], "sha256": ["dd"]}
    assert click.origin == f"{lock}:6"
    assert found.constraints == []
    assert found.files == [str(lock)]


def test_extras_markers_and_requirement(tmp_path: Path) -> None:
    lock = write(
        tmp_path / "r.txt",
        'Requests[socks, security] >=2,<3 ; python_version < "3.12"  # why\n'
        "plain;sys_platform=='linux'\n",
    )
    requests, plain = parse_file(lock).requirements
    assert requests.name == "Requests"
    assert requests.extras == ("security", "socks")
    assert requests.marker == 'python_version < "3.12"'
    assert not is_pinned(requests)
    requirement = requests.requirement
    assert requirement is not None
    assert requirement.name == "Requests"
    assert str(requirement.specifier) == "<3,>=2"
    assert plain.marker == 'sys_platform == "linux"'
    assert plain.specifier == ""


def test_includes_are_relative_to_the_including_file(tmp_path: Path) -> None:
    write(tmp_path / "deep" / "more.txt", "-c ../constraints.txt\nattrs==23.1\n")
    write(tmp_path / "constraints.txt", "six<2\n-r deep/again.txt\n")
    write(tmp_path / "deep" / "again.txt", "idna==3.4\n")
    top = write(tmp_path / "top.txt", "--requirement=deep/more.txt\nflask\n")
    found = parse_file(top)
    assert [line.name for line in found.requirements] == ["idna", "attrs", "flask"]
    assert [line.name for line in found.constraints] == ["six"]
    assert found.constraints[0].origin == f"{tmp_path / 'deep'}/../constraints.txt:1"
    # A constraints file's own -r include gives requirements, as in pip.
    assert found.requirements[0].origin.endswith("again.txt:1")


def test_constraint_file_and_file_url_include(tmp_path: Path) -> None:
    inner = write(tmp_path / "inner.txt", "six==1.16.0\n")
    outer = write(tmp_path / "c.txt", f"-r {inner.as_uri()}\nattrs<24\n")
    found = parse_file(outer, constraint=True)
    assert [line.name for line in found.constraints] == ["attrs"]
    assert [line.name for line in found.requirements] == ["six"]


def test_include_cycle_is_an_error(tmp_path: Path) -> None:
    write(tmp_path / "a.txt", "-r b.txt\n")
    write(tmp_path / "b.txt", "-r a.txt\n")
    with pytest.raises(LockError, match=r"b\.txt:1: .*a\.txt includes itself"):
        parse_file(tmp_path / "a.txt")


def test_missing_include_names_the_line(tmp_path: Path) -> None:
    top = write(tmp_path / "top.txt", "a==1\n-r nowhere.txt\n")
    with pytest.raises(LockError, match=r"top\.txt:2: cannot read requirements file .*nowhere"):
        parse_file(top)


def test_environment_variables(tmp_path: Path) -> None:
    lock = write(
        tmp_path / "r.txt",
        "${PKG}==${VER}\n--index-url ${INDEX}/simple\n--extra-index-url ${INDEX}/$HOME/${lower}\n",
    )
    environ = {"PKG": "demo", "VER": "1.0", "INDEX": "https://host.invalid"}
    found = parse_file(lock, environ=environ)
    assert found.requirements[0].name == "demo"
    assert found.requirements[0].specifier == "==1.0"
    assert found.options.index_url == "https://host.invalid/simple"
    # Only ${UPPER_CASE} is expanded.
    assert found.options.extra_index_urls == ["https://host.invalid/$HOME/${lower}"]


def test_unset_variable_is_left_as_written(tmp_path: Path) -> None:
    lock = write(tmp_path / "r.txt", "${MISSING}==1\n")
    with pytest.raises(LockError, match=r"r\.txt:1: invalid requirement '\$\{MISSING\}==1'"):
        parse_file(lock, environ={})


def test_options_merge_as_pip_does(tmp_path: Path) -> None:
    (tmp_path / "wheels").mkdir()
    lock = write(
        tmp_path / "r.txt",
        "-i https://one.invalid/simple\n"
        "--index-url=https://two.invalid/simple\n"
        "--extra-index-url https://x.invalid/simple --extra-index-url https://y.invalid/s\n"
        "-f wheels\n"
        "--find-links https://links.invalid/\n"
        "--no-index\n"
        "--pre --prefer-binary --require-hashes\n"
        "--trusted-host host.invalid\n"
        "--only-binary :all:\n"
        "--no-binary Foo_Bar,baz\n"
        "--use-feature truststore\n"
        "--extra-index https://abbreviated.invalid/\n",
    )
    options = parse_file(lock).options
    assert options.index_url == "https://two.invalid/simple"
    assert options.extra_index_urls == [
        "https://x.invalid/simple",
        "https://y.invalid/s",
        "https://abbreviated.invalid/",
    ]
    assert options.find_links == [str(tmp_path / "wheels"), "https://links.invalid/"]
    assert options.no_index and options.pre and options.prefer_binary and options.require_hashes
    assert options.trusted_hosts == ["host.invalid"]
    # --no-binary NAME takes NAME out of --only-binary's list, which stays ':all:'.
    assert options.only_binary == {":all:"}
    assert options.no_binary == {"foo-bar", "baz"}


def test_binary_choices_none_and_all(tmp_path: Path) -> None:
    lock = write(tmp_path / "r.txt", "--no-binary a,b\n--only-binary a\n--no-binary :none:,c\n")
    options = parse_file(lock).options
    assert options.no_binary == {"c"}
    assert options.only_binary == {"a"}
    lock.write_text("--only-binary a\n--no-binary :all:\n")
    options = parse_file(lock).options
    assert (options.no_binary, options.only_binary) == ({":all:"}, set())


def test_paths_urls_and_editables(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "proj" / "pyproject.toml", "")
    wheel = make_wheel(tmp_path / "dist", "demo-pkg", "1.5")
    lock = write(
        tmp_path / "r.txt",
        "-e ./proj[test]\n"
        "--editable proj\n"
        "./proj ; python_version >= '3'\n"
        f"./dist/{wheel.name} --hash=sha256:{sha256(wheel)}\n"
        "other @ https://host.invalid/files/other-2.0-py3-none-any.whl --hash=sha256:ab\n"
        "https://host.invalid/x-2.0.tar.gz#egg=xpkg; python_version >= '3'\n"
        f"named @ {(tmp_path / 'proj').as_uri()}\n"
        "-e file://" + str(tmp_path / "proj").replace(os.sep, "/") + "#egg=proj\n",
    )
    edit, edit2, local, path_wheel, remote, sdist, named, edit_url = parse_file(lock).requirements
    project = str(tmp_path / "proj")
    assert (edit.editable, edit.path, edit.extras, edit.name) == (True, project, ("test",), None)
    assert edit.url == (tmp_path / "proj").as_uri()
    assert edit.requirement is None
    assert (edit2.editable, edit2.path) == (True, project)
    assert (local.editable, local.path, local.marker) == (False, project, 'python_version >= "3"')
    assert not is_pinned(local)
    assert path_wheel.name == "demo-pkg"
    assert path_wheel.path == str(wheel)
    assert is_pinned(path_wheel)
    assert remote.name == "other"
    assert remote.path is None
    assert is_pinned(remote)
    assert remote.requirement is not None
    assert remote.requirement.url == "https://host.invalid/files/other-2.0-py3-none-any.whl"
    assert (sdist.name, sdist.url) == ("xpkg", "https://host.invalid/x-2.0.tar.gz#egg=xpkg")
    assert sdist.marker == 'python_version >= "3"'
    assert not is_pinned(sdist)
    assert (named.name, named.path) == ("named", project)
    assert (edit_url.editable, edit_url.name, edit_url.path) == (True, "proj", project)


@pytest.mark.parametrize(
    ("text", "pinned"),
    [
        ("a==1.0", True),
        ("a===1.0", True),
        ("a==1.0+local", True),
        ("a==1.*", False),
        ("a>=1.0", False),
        ("a==1.0,>=0.5", False),
        ("a", False),
        ("a @ https://host.invalid/a-1.0-py3-none-any.whl", False),
        ("a @ https://host.invalid/a-1.0-py3-none-any.whl --hash=sha256:00", True),
    ],
)
def test_is_pinned(text: str, pinned: bool) -> None:
    assert is_pinned(parse_line(text)) is pinned


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("flask=1.0", r"r\.txt:1: invalid requirement 'flask=1\.0'.*did you mean ==\?"),
        ("flask==1.0 --hash=md5:00", r"r\.txt:1: --hash algorithm 'md5' is not one of sha256"),
        ("flask==1.0 --hash=00", r"r\.txt:1: --hash must be a hash name and a value"),
        ("flask==1.0 --frobnicate", r"r\.txt:1: unknown option --frobnicate"),
        ("flask==1.0 -r other.txt", r"r\.txt:1: --requirement cannot follow a requirement"),
        ("--hash=sha256:00", r"r\.txt:1: --hash without a requirement"),
        ("--index-url", r"r\.txt:1: --index-url needs a value"),
        ("--pre=yes", r"r\.txt:1: --pre takes no value"),
        ("-e git+https://host.invalid/repo#egg=x", r"r\.txt:1: VCS requirements are not"),
        ("git+https://host.invalid/repo#egg=x", r"r\.txt:1: VCS requirements are not"),
        ("-e https://host.invalid/x.tar.gz", r"r\.txt:1: -e needs a local project directory"),
        ('a==1 ; python_version >> "3"', r"r\.txt:1: invalid marker"),
        ("a>=1.0[extra]", r"r\.txt:1: (extras after the version|invalid requirement)"),
        ("--no-binary -x", r"r\.txt:1: --no-binary/--only-binary need a value"),
        ("a==1 --hash 'sha256:00", r"r\.txt:1: cannot split the options"),
    ],
)
def test_bad_lines_are_one_line_errors(tmp_path: Path, text: str, message: str) -> None:
    lock = write(tmp_path / "r.txt", text + "\n")
    with pytest.raises(LockError, match=message) as caught:
        parse_file(lock)
    assert "\n" not in str(caught.value)
    assert str(caught.value).startswith(str(lock))


def test_directory_without_project_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    lock = write(tmp_path / "r.txt", f"{tmp_path / 'empty'}\n")
    with pytest.raises(LockError, match="is not installable"):
        parse_file(lock)


def test_encodings(tmp_path: Path) -> None:
    lock = tmp_path / "r.txt"
    lock.write_bytes("\ufeffa==1\n".encode())
    assert parse_file(lock).requirements[0].name == "a"
    lock.write_bytes("a==1\n".encode("utf-16"))
    assert parse_file(lock).requirements[0].name == "a"
    lock.write_bytes(b"a==1 # caf\xe9\n")
    with pytest.raises(LockError, match="not UTF-8"):
        parse_file(lock)


def test_backslash_at_end_of_file_and_comment_in_continuation(tmp_path: Path) -> None:
    lock = write(tmp_path / "r.txt", "a==1 \\\n# a comment ends it\nb==2 \\")
    a, b = parse_file(lock).requirements
    assert (a.specifier, a.origin) == ("==1", f"{lock}:1")
    assert (b.specifier, b.origin) == ("==2", f"{lock}:3")


def test_same_answers_as_pip(tmp_path: Path) -> None:
    """pip installs exactly the lines we read, from a tricky file with real hashes."""
    wheels = tmp_path / "wheels"
    for name, version in [("alpha", "1.0"), ("alpha", "2.0"), ("beta", "3.1"), ("gamma", "0.1"),
                          ("delta", "4.0"), ("eps-ilon", "5.0"), ("zeta", "6.0")]:  # fmt: skip
        make_wheel(wheels, name, version)
    digest = {w.name.split("-")[0]: sha256(w) for w in wheels.iterdir() if "alpha-1" not in w.name}
    digest["alpha"] = sha256(wheels / "alpha-2.0-py3-none-any.whl")
    write(tmp_path / "sub" / "more.txt", f"gamma==0.1 --hash=sha256:{digest['gamma']}\n")
    lock = write(
        tmp_path / "requirements.txt",
        "# comment line\n"
        f"alpha==2.0 \\\n  --hash=sha256:{digest['alpha']} \\\n  # via something\n"
        f"Beta == 3.1 ; python_version >= '3' --hash=sha256:{digest['beta']}\n"
        f"delta==4.0 ; python_version < '3' --hash=sha256:{digest['delta']}\n"
        "-r sub/more.txt  # include\n"
        f"${{EPS}}==5.0 --hash=sha256:{digest['eps_ilon']}\n"
        f"./wheels/zeta-6.0-py3-none-any.whl --hash=sha256:{digest['zeta']}\n",
    )
    environ = {**os.environ, "EPS": "eps-ilon", "PIP_CONFIG_FILE": os.devnull}
    environ.pop("PIP_CONSTRAINT", None)
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "-q",
         "--report", "-", "--no-index", "--find-links", str(wheels), "-r", str(lock)],
        cwd=tmp_path, env=environ, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    by_pip = {(i["metadata"]["name"].lower(), i["metadata"]["version"]) for i in report["install"]}

    from packaging.markers import Marker
    from packaging.utils import canonicalize_name

    ours = set()
    old_cwd = Path.cwd()
    os.chdir(tmp_path)  # paths in lines are relative to the working directory, as for pip
    try:
        lines = parse_file(lock, environ=environ).requirements
    finally:
        os.chdir(old_cwd)
    for line in lines:
        if line.marker and not Marker(line.marker).evaluate():
            continue
        assert line.name is not None
        version = line.specifier.lstrip("= ") if line.specifier else line.url.split("-")[-4]  # type: ignore[union-attr]
        ours.add((canonicalize_name(line.name), version))
    assert ours == by_pip
    assert ("delta", "4.0") not in ours
