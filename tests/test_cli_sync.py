"""`burrow sync`'s argparse-free fast path reads exactly what argparse would, or steps aside."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from burrow.cli import build_parser
from burrow.cli.sync import fast_sync, sync_options

FLAGS = [flag for option in sync_options() for flag in option.flags]
WORDS = st.one_of(
    st.sampled_from(FLAGS),
    st.sampled_from(["env", "lock.txt", "-", "--", "-qv", "--js", "--env=x", "-h", "", "-x"]),
    st.text(max_size=6),
)


def argparse_values(argv: list[str]) -> dict[str, object] | None:
    try:
        namespace = build_parser().parse_args(["sync", *argv])
    except SystemExit:
        return None
    return vars(namespace)


@settings(max_examples=400, deadline=None)
@given(st.lists(WORDS, max_size=6))
def test_fast_path_agrees_with_argparse(argv: list[str]) -> None:
    fast = fast_sync(["sync", *argv])
    if fast is None:
        return  # argparse decides: nothing to compare
    expected = argparse_values(argv)
    assert expected is not None, f"fast path accepted what argparse refuses: {argv}"
    assert vars(fast) == expected


def test_common_forms_take_the_fast_path() -> None:
    for argv in (
        ["lock.txt"],
        ["-e", "env", "lock.txt"],
        ["lock.txt", "--env", "env", "-q"],
        ["--json", "-v", "-v", "-e", ".venv", "requirements.lock"],
    ):
        fast = fast_sync(["sync", *argv])
        assert fast is not None, argv
        assert vars(fast) == argparse_values(argv)


def test_unusual_forms_are_left_to_argparse() -> None:
    for argv in ([], ["--help"], ["--en", "env", "lock"], ["-e"], ["-e", "-q", "lock"], ["a", "b"]):
        assert fast_sync(["sync", *argv]) is None, argv
    assert fast_sync(["create", "env"]) is None
