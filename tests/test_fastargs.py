"""The fast path for `burrow create` reads exactly what argparse would, or steps aside."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

from helpers import burrow_env
from hypothesis import given, settings
from hypothesis import strategies as st

from burrow import fastargs
from burrow.cli import build_parser
from burrow.cli.create import create_options
from burrow.cli.create import fast_create as _fast_create

OPTIONS = create_options()
FLAGS = [flag for option in OPTIONS for flag in option.flags]
WORDS = st.one_of(
    st.sampled_from(FLAGS),
    st.sampled_from(["env", ".", "-", "--", "-qv", "--sys", "--pip=1", "-h", "3.12", "", "-x"]),
    st.text(max_size=6),
)


def argparse_values(argv: list[str]) -> dict[str, object] | None:
    parser = build_parser()
    try:
        namespace = parser.parse_args(["create", *argv])
    except SystemExit:
        return None
    return vars(namespace)


@settings(max_examples=600, deadline=None)
@given(st.lists(WORDS, max_size=6))
def test_fast_path_agrees_with_argparse(argv: list[str]) -> None:
    fast = _fast_create(["create", *argv])
    if fast is None:
        return  # argparse decides: nothing to compare
    expected = argparse_values(argv)
    assert expected is not None, f"fast path accepted what argparse refuses: {argv}"
    assert vars(fast) == expected


def test_common_forms_take_the_fast_path() -> None:
    for argv in (
        [],
        ["env"],
        ["env", "-q", "--without-pip"],
        ["-p", "3.12", "--prompt", "my app", "--clear", "env"],
        ["--copies", "--system-site-packages", "--json", "env"],
        ["env", "-r", "requirements.txt", "--requirement", "dev.txt", "-q"],
        ["--install", "flask>=3", "--install", "rich", "env"],
    ):
        fast = _fast_create(["create", *argv])
        assert fast is not None, argv
        assert vars(fast) == argparse_values(argv)


def test_unusual_forms_are_left_to_argparse() -> None:
    for argv in (
        ["--help"],
        ["--sys"],  # an abbreviation argparse would accept
        ["--prompt", "-x"],
        ["--clear", "--upgrade"],
        ["--setuptools", "env"],  # argparse takes "env" as the version
        ["a", "b"],
    ):
        assert _fast_create(["create", *argv]) is None, argv


def test_defaults_match_argparse() -> None:
    parser = argparse.ArgumentParser()
    fastargs.add_to(parser, OPTIONS)
    assert vars(parser.parse_args([])) == fastargs.defaults(OPTIONS)


def test_plain_create_does_not_import_argparse(tmp_path: object) -> None:
    code = (
        "import sys; from burrow.cli import main; "
        "main(['create', sys.argv[1], '-q', '--without-pip']); "
        "print('argparse' in sys.modules)"
    )
    target = os.path.join(str(tmp_path), "env")
    out = subprocess.run(
        [sys.executable, "-c", code, target], env=burrow_env(), capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


# --- create's options are declared once, on creator.Options -------------------------------


def test_every_option_field_has_one_declaration() -> None:
    from burrow.options import Options, command_line_options

    declared = command_line_options()
    assert {o.dest for o in declared} == set(Options._fields) - {"command", "install"}
    for option in declared:
        assert fastargs.default_of(option) == getattr(Options, option.dest), option.dest
    # the CLI's table is that list plus its own options, in the same form
    assert OPTIONS[: len(declared)] == declared


TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\0"), max_size=8)


@settings(max_examples=300, deadline=None)
@given(
    values=st.fixed_dictionaries(
        {
            "python": st.none() | TEXT,
            "prompt": st.none() | TEXT,
            "setuptools": st.none() | st.just("bundle") | TEXT,
            "system_site_packages": st.booleans(),
            "symlinks": st.sampled_from([None, True, False]),
            "seed": st.booleans(),
            "relocatable": st.booleans(),
            "scm_ignore_files": st.booleans(),
            "activators": st.none() | st.sampled_from(["posix", "fish,csh"]),
            "requirements": st.lists(TEXT, min_size=1, max_size=3),
        }
    )
)
def test_unparse_reads_back_the_same(values: dict[str, object]) -> None:
    """What pyvenv.cfg records as the command gives the same options when run again."""
    parser = argparse.ArgumentParser()
    fastargs.add_to(parser, OPTIONS)
    words = fastargs.unparse(OPTIONS, values)
    parsed = vars(parser.parse_args(words))
    assert {k: parsed[k] for k in values} == values, words
