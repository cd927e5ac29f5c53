"""The one place records become text or JSON on stdout.

A command's handler gets records from the library (``burrow._fast.Record``, lists of them)
and hands them to ``show`` with a function that prints them as text; ``--json`` prints the
same records as JSON instead, their fields as keys (docs/json.md lists them).
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from typing import Any, Callable, Dict, List, Sequence

    from burrow.packages.sync import Changes


def show(data: Any, args: argparse.Namespace, text: Callable[[Any], None]) -> None:
    """Print ``data`` as JSON when --json was given, else as ``text`` prints it."""
    if getattr(args, "json", False):
        print_json(data)
    else:
        text(data)


def print_json(data: Any) -> None:
    import json

    print(json.dumps(plain(data), indent=2, ensure_ascii=False))


def print_changes(changes: Changes, args: argparse.Namespace, dry_run: bool = False) -> None:
    """What `sync` or `install` changed (or, ``dry_run``, would change): JSON, one line per
    change, or nothing under -q."""
    from burrow.packages.sync import summary_lines

    if args.json:
        print_json(changes.as_dict())
    elif not args.quiet:
        if dry_run and changes:
            print("Would change (a dry run: nothing was changed):")
        for line in summary_lines(changes):
            print(line)
        if not changes:
            print("Nothing to change")


def plain(data: Any) -> Any:
    """Records as dicts of their fields, tuples as lists, all the way down (for JSON)."""
    from burrow._fast import Record

    if isinstance(data, Record):
        data = data.as_dict()
    if isinstance(data, dict):
        return {key: plain(value) for key, value in data.items()}
    if isinstance(data, (list, tuple)):
        return [plain(value) for value in data]
    return data


def print_table(rows: List[Dict[str, Any]], columns: Sequence[str]) -> None:
    """A plain aligned table, e.g. for `burrow list`."""
    cells = [[str(row.get(c, "")) for c in columns] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    print("  ".join(c.upper().ljust(w) for c, w in zip(columns, widths)).rstrip())
    for r in cells:
        print("  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip())


def human_size(size: int) -> str:
    """1536 -> '1.5 KiB'."""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def dash() -> str:
    """An em dash, or '-' where stdout cannot encode one."""
    encoding = getattr(sys.stdout, "encoding", None) or "ascii"
    try:
        "\u2014".encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return "-"
    return "\u2014"
