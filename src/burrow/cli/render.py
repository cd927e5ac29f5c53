"""The one place records become text or JSON on stdout."""

from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, List, Sequence


def print_json(data: Any) -> None:
    import json

    print(json.dumps(data, indent=2, ensure_ascii=False))


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
