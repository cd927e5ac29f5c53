"""burrow.scripts: console scripts that run with the right python, written and re-pointed.

The scripts are run for real: a shebang is only right if the kernel and sh accept it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from burrow import scripts

posix_only = pytest.mark.skipif(os.name == "nt", reason="POSIX scripts")


def python_at(folder: Path) -> str:
    """A python reachable at ``folder``/python (a link to the running one)."""
    folder.mkdir(parents=True, exist_ok=True)
    link = folder / "python"
    link.symlink_to(sys.executable)
    return str(link)


def module_in(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "mod").mkdir()
    (tmp_path / "mod" / "hello.py").write_text("def main():\n    print('hi from', __name__)\n")
    return {**os.environ, "PYTHONPATH": str(tmp_path / "mod")}


def test_script_head_forms() -> None:
    assert scripts.script_head("/env/bin/python", False) == "#!/env/bin/python\n"
    spaced = scripts.script_head("/my env/bin/python", False)
    assert spaced.startswith("#!/bin/sh\n'''exec' '/my env/bin/python' ")
    assert '"$(dirname -- "$0")/python"' in scripts.script_head("/env/bin/python", True)
    assert scripts.script_head("/" + "a" * 130 + "/python", False).startswith("#!/bin/sh\n")


@posix_only
@pytest.mark.parametrize("folder", ["bin", "with space/bin", "x" * 130 + "/bin"])
@pytest.mark.parametrize("relocatable", [False, True])
def test_written_script_runs(tmp_path: Path, folder: str, relocatable: bool) -> None:
    bin_dir = tmp_path / folder
    python = python_at(bin_dir)
    path = scripts.write_console_script(
        str(bin_dir),
        "hello",
        "hello",
        "main",
        kind="console",
        python=python,
        relocatable=relocatable,
        windows=False,
    )
    assert path == str(bin_dir / "hello") and os.access(path, os.X_OK)
    out = subprocess.run([path], env=module_in(tmp_path), capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout == "hi from hello\n"


@posix_only
@pytest.mark.parametrize("old_folder", ["build/bin", "build with space/bin"])
def test_repointed_runs_the_new_python(tmp_path: Path, old_folder: str) -> None:
    old_bin, new_bin = tmp_path / old_folder, tmp_path / "final" / "bin"
    data = scripts.posix_script(str(old_bin / "python"), "hello", "main", False)
    fixed = scripts.repointed(data, str(old_bin), str(new_bin), False)
    assert fixed is not None and os.fsencode(old_bin) not in fixed
    python_at(new_bin)
    path = new_bin / "hello"
    path.write_bytes(fixed)
    path.chmod(0o755)
    out = subprocess.run([str(path)], env=module_in(tmp_path), capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout == "hi from hello\n"


def test_repointed_leaves_other_files_alone(tmp_path: Path) -> None:
    old_bin, new_bin = str(tmp_path / "build" / "bin"), str(tmp_path / "final" / "bin")
    assert scripts.repointed(b"#!/usr/bin/python3\nprint(1)\n", old_bin, new_bin, False) is None
    assert scripts.repointed(b"\x7fELF binary", old_bin, new_bin, False) is None
    nested = os.fsencode(old_bin) + b"/sub/python\n"
    assert scripts.repointed(b"#!" + nested, old_bin, new_bin, False) is None


@pytest.fixture(scope="module")
def bare_python(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The python of an env with nothing installed: no .pth file imports `re` at start."""
    env = tmp_path_factory.mktemp("bare") / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env)], check=True)
    return str(env / "bin" / "python")


@posix_only
@pytest.mark.parametrize(
    "name",
    ["hello", "hello.exe", "hello-script.pyw", "hello-script.pyw.exe", "hello.exe.exe",
     "hello.exe-script.pyw", "hello-script.py", "hello.EXE", "script.pyw"],
)  # fmt: skip
def test_argv0_loses_a_suffix_as_pips_template_does(
    tmp_path: Path, bare_python: str, name: str
) -> None:
    """pip's template runs re.sub(r'(-script\\.pyw|\\.exe)?$', '', argv[0]); the script
    burrow writes gives the same argv[0] without importing re."""
    import re

    (tmp_path / "mod").mkdir()
    (tmp_path / "mod" / "show.py").write_text(
        "import sys\ndef main():\n    print(sys.argv[0])\n    print('re' in sys.modules)\n"
    )
    path = scripts.write_console_script(
        str(tmp_path),
        name,
        "show",
        "main",
        kind="console",
        python=bare_python,
        relocatable=False,
        windows=False,
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "mod")}
    out = subprocess.run([path], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    argv0, re_imported = out.stdout.splitlines()
    assert argv0 == re.sub(r"(-script\.pyw|\.exe)?$", "", path)
    assert re_imported == "False"
