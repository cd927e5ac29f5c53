"""Why requirements cannot be resolved, said in a few lines a person can act on:
`explain(exc.causes, provider)` gives e.g. "cannot resolve the requirements: flask 3.1
needs werkzeug>=3.1, but constraints.txt:2 pins werkzeug==2.3 (available: 3.1.3, ...)".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Dict, List, Sequence

from burrow.packages.candidates import PYTHON

if TYPE_CHECKING:
    from typing import Any

    from burrow.packages.provider import Provider


def explain(causes: Sequence[Any], provider: Provider) -> str:
    """A few lines saying who needs what, e.g. 'flask 3.1 needs werkzeug>=3.1, but
    constraints.txt:2 pins werkzeug==2.3'."""
    by_name: Dict[str, List[str]] = {}
    for cause in causes:
        req = cause.requirement
        if req.name == PYTHON:
            who = cause.parent.describe() if cause.parent else req.origin
            by_name.setdefault(PYTHON, []).append(
                f"{who} needs Python {req.specifier}"
                f" (the target is {provider.target.python_version})"
            )
            continue
        if cause.parent is not None:
            text = f"{cause.parent.describe()} needs {req.describe()}"
        else:
            text = f"{req.origin} asks for {req.describe()}"
        by_name.setdefault(req.name, []).append(text)
    lines = []
    for name, texts in by_name.items():
        for limit in provider.constraints.get(name, []):
            texts.append(f"{limit.origin} pins {limit.describe()}")
        texts = list(dict.fromkeys(texts))
        if name == PYTHON:
            lines.append("; ".join(texts))
            continue
        available = sorted(provider._versions.get(name, {}), reverse=True)
        shown = ", ".join(str(v) for v in available[:5]) + (", ..." if len(available) > 5 else "")
        found = f" (available: {shown})" if available else " (no usable file)"
        if len(texts) == 1:
            lines.append(f"{texts[0]}, but no version fits{found}")
        else:
            lines.append(", but ".join([", ".join(texts[:-1]), texts[-1]]) + found)
    return "cannot resolve the requirements: " + "\n".join(lines)
