"""burrow.packages.build: sdists and local projects built into wheels, in burrow's own
build envs, with a PEP 517 backend that lives in the project itself (nothing to download)."""

from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path

import pytest
from localindex import sha256, write_index

from burrow.errors import FetchError
from burrow.interpreter import PythonInfo
from burrow.packages.build import build_project, build_sdist, built_dir, sdist_metadata
from burrow.packages.fetch import fetch
from burrow.packages.lockfile import read_lock
from burrow.packages.pipconfig import IndexConfig

BACKEND = """
import base64, hashlib, os, zipfile

NAME, VERSION = {name!r}, {version!r}
HERE = os.path.dirname(os.path.abspath(__file__))


def _metadata():
    return "Metadata-Version: 2.1\\nName: %s\\nVersion: %s\\n" % (NAME, VERSION)


def _wheel(directory, files):
    if os.path.exists(os.path.join(HERE, "FAIL")):
        raise RuntimeError("this project refuses to build")
    dist = "%s-%s" % (NAME, VERSION)
    files = dict(files)
    files[dist + ".dist-info/METADATA"] = _metadata()
    files[dist + ".dist-info/WHEEL"] = (
        "Wheel-Version: 1.0\\nGenerator: test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n"
    )
    record = []
    for path, text in files.items():
        data = text.encode()
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append("%s,sha256=%s,%d" % (path, digest, len(data)))
    record.append(dist + ".dist-info/RECORD,,")
    filename = dist + "-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(directory, filename), "w") as archive:
        for path, text in files.items():
            archive.writestr(path, text)
        archive.writestr(dist + ".dist-info/RECORD", "\\n".join(record) + "\\n")
    return filename


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    with open(os.path.join(HERE, NAME, "__init__.py")) as handle:
        return _wheel(wheel_directory, {{NAME + "/__init__.py": handle.read()}})


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    return _wheel(wheel_directory, {{"_%s_editable.pth" % NAME: HERE + "\\n"}})


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    dist_info = "%s-%s.dist-info" % (NAME, VERSION)
    os.makedirs(os.path.join(metadata_directory, dist_info))
    with open(os.path.join(metadata_directory, dist_info, "METADATA"), "w") as handle:
        handle.write(_metadata())
    return dist_info
"""

PYPROJECT = """
[build-system]
requires = []
build-backend = "backend"
backend-path = ["."]
"""


@pytest.fixture(autouse=True)
def _own_cache(cold_cache: Path) -> Path:
    return cold_cache


def project(folder: Path, name: str = "builtpkg", version: str = "1.0") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pyproject.toml").write_text(PYPROJECT)
    (folder / "backend.py").write_text(BACKEND.format(name=name, version=version))
    (folder / name).mkdir(exist_ok=True)
    (folder / name / "__init__.py").write_text(f"VALUE = {version!r}\n")
    return folder


def make_sdist(folder: Path, source: Path, name: str = "builtpkg", version: str = "1.0") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{name}-{version}.tar.gz"
    with tarfile.open(target, "w:gz") as archive:
        for path in sorted(source.rglob("*")):
            archive.add(path, f"{name}-{version}/{path.relative_to(source)}", recursive=False)
        data = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode()
        member = tarfile.TarInfo(f"{name}-{version}/PKG-INFO")
        member.size = len(data)
        archive.addfile(member, io.BytesIO(data))
    return target


def test_sdist_built_once_and_cached(tmp_path: Path, info: PythonInfo) -> None:
    sdist = make_sdist(tmp_path / "dist", project(tmp_path / "src"))
    wheel = build_sdist(str(sdist), sha256(sdist), info)
    assert Path(wheel).name == "builtpkg-1.0-py3-none-any.whl"
    assert wheel.startswith(built_dir())
    with zipfile.ZipFile(wheel) as archive:
        assert archive.read("builtpkg/__init__.py") == b"VALUE = '1.0'\n"
    (tmp_path / "src" / "FAIL").write_text("")  # a second build would now fail
    assert build_sdist(str(sdist), sha256(sdist), info) == wheel


def test_unbuildable_sdist(tmp_path: Path, info: PythonInfo) -> None:
    source = project(tmp_path / "src")
    (source / "FAIL").write_text("")
    sdist = make_sdist(tmp_path / "dist", source)
    with pytest.raises(FetchError) as caught:
        build_sdist(str(sdist), sha256(sdist), info, origin="r.txt:3")
    assert str(caught.value) == (
        "r.txt:3: building builtpkg-1.0 failed: RuntimeError: this project refuses to build"
    )
    assert not list(Path(built_dir()).rglob("*.whl"))


def test_sdist_escaping_its_folder_is_refused(tmp_path: Path, info: PythonInfo) -> None:
    sdist = tmp_path / "evil-1.0.tar.gz"
    with tarfile.open(sdist, "w:gz") as archive:
        member = tarfile.TarInfo("../outside.txt")
        archive.addfile(member, io.BytesIO(b""))
    with pytest.raises(FetchError, match="holds a path outside itself"):
        build_sdist(str(sdist), sha256(sdist), info)
    assert not (tmp_path / "outside.txt").exists()


def test_project_and_editable(tmp_path: Path, info: PythonInfo) -> None:
    source = project(tmp_path / "src")
    regular = build_project(str(source), info)
    editable = build_project(str(source), info, editable=True)
    with zipfile.ZipFile(regular) as archive:
        assert "builtpkg/__init__.py" in archive.namelist()
    with zipfile.ZipFile(editable) as archive:
        assert archive.read("_builtpkg_editable.pth").decode().strip() == str(source)


def test_metadata(tmp_path: Path, info: PythonInfo) -> None:
    source = project(tmp_path / "src", version="3.1")
    sdist = make_sdist(tmp_path / "dist", source, version="3.1")
    assert b"Version: 3.1" in sdist_metadata(str(sdist), info)
    assert b"Name: builtpkg" in sdist_metadata(str(source), info)


def test_fetch_builds_sdists_and_projects(tmp_path: Path, info: PythonInfo) -> None:
    sdist = make_sdist(tmp_path / "dist", project(tmp_path / "src"))
    simple = write_index(tmp_path / "index", [sdist])
    local = project(tmp_path / "local", name="localpkg", version="0.5")
    lock = tmp_path / "requirements.txt"
    lock.write_text(f"builtpkg==1.0 --hash=sha256:{sha256(sdist)}\n-e {local}\n")
    pins = read_lock([lock], [], info).pins
    built, editable = fetch(pins, info, IndexConfig(index_urls=(simple.as_uri(),), find_links=()))
    assert (built.name, built.version, built.direct_url) == ("builtpkg", "1.0", None)
    assert built.sha256 == sha256(Path(built.path))
    assert (editable.name, editable.version) == ("localpkg", "0.5")
    assert editable.direct_url == {"url": local.as_uri(), "dir_info": {"editable": True}}


def offline_pip(monkeypatch: pytest.MonkeyPatch, links: Path) -> None:
    """The build env's pip sees only `links`, whatever this machine's pip config says."""
    monkeypatch.setenv("PIP_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(links))
    monkeypatch.delenv("PIP_CONSTRAINT", raising=False)


def test_build_requirements_installed_by_the_env_pip(
    tmp_path: Path, info: PythonInfo, monkeypatch: pytest.MonkeyPatch
) -> None:
    from localindex import wheel

    links = tmp_path / "links"
    wheel(links, "buildhelper", "7.0")
    offline_pip(monkeypatch, links)
    source = project(tmp_path / "src")
    pyproject = source / "pyproject.toml"
    pyproject.write_text(PYPROJECT.replace("requires = []", 'requires = ["buildhelper==7.0"]'))
    backend = source / "backend.py"
    # The backend only works when its requirement is installed in the build env.
    backend.write_text(
        "import buildhelper\nassert buildhelper.VALUE == '7.0'\n" + backend.read_text()
    )
    wheel_path = build_project(str(source), info)
    assert Path(wheel_path).name == "builtpkg-1.0-py3-none-any.whl"

    pyproject.write_text(PYPROJECT.replace("requires = []", 'requires = ["nothere"]'))
    with pytest.raises(FetchError) as caught:
        build_project(str(source), info, origin="r.txt:1")
    message = str(caught.value)
    assert message.startswith(f"r.txt:1: cannot install the build requirements of {source} ")
    assert "\n" not in message
