"""burrow.packages.pylock: PEP 751 pylock.toml read into pins for one target."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from helpers import write

from burrow.errors import LockError
from burrow.interpreter import PythonInfo
from burrow.packages.lockfile import read_lock

pytestmark = pytest.mark.skipif(sys.version_info < (3, 11), reason="tomllib is 3.11+")

H1 = "a" * 64
H2 = "b" * 64


def test_packages_files_and_markers(tmp_path: Path, info: PythonInfo) -> None:
    write(tmp_path / "proj" / "pyproject.toml", "")
    lock = write(
        tmp_path / "pylock.toml",
        f"""\
lock-version = "1.0"
requires-python = ">=3.8"
environments = ["sys_platform == '{info.platform}'", "sys_platform == 'nowhere'"]
created-by = "hand"

[[packages]]
name = "Attrs"
version = "23.1.0"
requires-python = ">=3.7"
index = "https://pypi.org/simple"
[[packages.wheels]]
name = "attrs-23.1.0-py3-none-any.whl"
url = "https://files.invalid/attrs-23.1.0-py3-none-any.whl"
size = 61160
hashes = {{ sha256 = "{H1}" }}
[packages.sdist]
url = "https://files.invalid/attrs-23.1.0.tar.gz"
hashes = {{ sha256 = "{H2}" }}

[[packages]]
name = "skipped"
version = "1.0"
marker = "sys_platform == 'nowhere'"
[[packages.wheels]]
url = "https://files.invalid/skipped-1.0-py3-none-any.whl"
hashes = {{ sha256 = "{H1}" }}

[[packages]]
name = "local"
[packages.directory]
path = "proj"
editable = true

[[packages]]
name = "direct"
[packages.archive]
path = "dist/direct-2.0.tar.gz"
hashes = {{ sha256 = "{H2}" }}

[[packages]]
name = "dev-only"
version = "1.0"
marker = "'dev' in dependency_groups"
wheels = [{{ path = "w/dev_only-1.0-py3-none-any.whl", hashes = {{ sha256 = "{H1}" }} }}]
""",
    )
    found = read_lock([lock], [], info)
    attrs, local, direct = found.pins
    assert (attrs.name, attrs.version) == ("attrs", "23.1.0")
    assert attrs.hashes == {"sha256": [H1, H2]}
    assert [f.filename for f in attrs.files] == [
        "attrs-23.1.0-py3-none-any.whl",
        "attrs-23.1.0.tar.gz",
    ]
    assert attrs.files[0].size == 61160
    assert attrs.files[0].hashes == {"sha256": H1}
    assert (local.editable, local.path, local.version) == (True, str(tmp_path / "proj"), None)
    assert direct.path == str(tmp_path / "dist" / "direct-2.0.tar.gz")
    assert direct.url == (tmp_path / "dist" / "direct-2.0.tar.gz").as_uri()
    assert found.files == [str(lock)]


def test_default_groups_select_packages(tmp_path: Path, info: PythonInfo) -> None:
    lock = write(
        tmp_path / "pylock.dev.toml",
        f"""\
lock-version = "1.0"
default-groups = ["dev"]
[[packages]]
name = "dev-only"
marker = "'dev' in dependency_groups"
wheels = [{{ path = "dev_only-1.0-py3-none-any.whl", hashes = {{ sha256 = "{H1}" }} }}]
""",
    )
    (pin,) = read_lock([lock], [], info).pins
    assert (pin.name, pin.version) == ("dev-only", "1.0")  # version from the wheel's name
    assert pin.files[0].path == str(tmp_path / "dev_only-1.0-py3-none-any.whl")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('lock-version = "2.0"\n', "lock-version 2.0 is not 1.x"),
        ('lock-version = "1.0"\nrequires-python = "<3"\n', "the lock is for Python <3, not"),
        (
            'lock-version = "1.0"\nenvironments = ["sys_platform == \'nowhere\'"]\n',
            "the lock is for other environments",
        ),
        (
            'lock-version = "1.0"\n[[packages]]\nname = "x"\nversion = "1"\n',
            r"packages\[0\] \(x\): x lists no wheels",
        ),
        (
            'lock-version = "1.0"\n[[packages]]\nname = "x"\nrequires-python = "<3"\n'
            '[packages.directory]\npath = "."\n',
            r"packages\[0\] \(x\): x \(any version\) needs Python <3",
        ),
        (
            'lock-version = "1.0"\n[[packages]]\nname = "x"\n'
            'wheels = [{ url = "https://h.invalid/x-1-py3-none-any.whl" }]\n',
            r"packages\[0\] \(x\): the wheel x-1-py3-none-any\.whl has no hashes",
        ),
        (
            'lock-version = "1.0"\n[[packages]]\nname = "x"\n[packages.vcs]\ntype = "git"\n',
            "VCS packages are not supported",
        ),
        ('lock-version = "1.0"\n[[packages]]\nversion = "1"\n', "a package needs a name"),
        ("lock-version = \n", "not valid TOML"),
    ],
)
def test_bad_locks(tmp_path: Path, info: PythonInfo, body: str, message: str) -> None:
    lock = write(tmp_path / "pylock.toml", body)
    with pytest.raises(LockError, match=message) as caught:
        read_lock([lock], [], info)
    assert str(caught.value).startswith(str(lock))
    assert "\n" not in str(caught.value)
