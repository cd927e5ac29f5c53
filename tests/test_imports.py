"""burrow's modules import one another without a cycle, function-level imports included.

A cycle hidden inside functions still ties the modules together: none of them can be
read, tested or moved without the others, and the order they load in decides whether
an import works. The graph is read from the source with ``ast``, so it holds for
modules added later without touching this test. ``importlib.import_module`` is not
followed: burrow's one use, the lazy re-exports in ``__init__``, points down only.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"
PACKAGE = "burrow"


def module_files() -> dict[str, Path]:
    """{'burrow.creator': .../creator.py, 'burrow.activation': .../__init__.py, ...}."""
    found = {}
    for path in sorted((SRC / PACKAGE).rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def type_checking_only(node: ast.If) -> bool:
    """``if TYPE_CHECKING:``: never run, so no dependency at run time (the names are only
    read by mypy, with ``from __future__ import annotations`` in every module)."""
    test = node.test
    name = test.attr if isinstance(test, ast.Attribute) else getattr(test, "id", None)
    return name == "TYPE_CHECKING"


def imported_names(tree: ast.Module, module: str, is_package: bool) -> set[str]:
    """Every dotted name ``module`` imports, at any depth: 'burrow.fs', 'burrow.fs.discard'."""
    names: set[str] = set()
    here = module if is_package else module.rpartition(".")[0]

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and type_checking_only(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolved against the importing package
                base = here.split(".")[: len(here.split(".")) - node.level + 1]
                origin = ".".join(base + ([node.module] if node.module else []))
            else:
                origin = node.module or ""
            names.add(origin)
            # `from burrow import fs` imports the module burrow.fs
            names.update(f"{origin}.{alias.name}" for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return names


def import_graph() -> dict[str, set[str]]:
    """{module: the burrow modules it imports}.

    An import of a package that holds the importer (``from burrow import __version__``
    in burrow.creator) is left out: Python has run that package's ``__init__`` before
    any module in it, so the edge orders nothing. ``__init__`` files only re-export.
    """
    files = module_files()
    graph: dict[str, set[str]] = {}
    for module, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        names = imported_names(tree, module, path.name == "__init__.py")
        graph[module] = {
            name
            for name in names
            if name in files and name != module and not module.startswith(name + ".")
        }
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle as [a, b, …, a], or None; depth-first search over the graph."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_imports_are_read_at_any_depth_but_not_under_type_checking() -> None:
    source = (
        "from burrow import fs\n"
        "TYPE_CHECKING = False\n"
        "if TYPE_CHECKING:\n"
        "    from burrow.layout import Layout\n"
        "def f():\n"
        "    import burrow.seed\n"
        "    from . import creator\n"
    )
    names = imported_names(ast.parse(source), "burrow.envs", is_package=False)
    assert {"burrow.fs", "burrow.seed", "burrow.creator"} <= names
    assert "burrow.layout" not in names


def test_the_graph_is_read_from_the_source() -> None:
    graph = import_graph()
    assert "burrow.fs" in graph["burrow.creator"]  # a top-level `from burrow import fs`
    assert "burrow.creator" in graph["burrow.cli.create"]  # an import inside a function
    assert "burrow.creator" not in graph[PACKAGE]  # only under TYPE_CHECKING


def test_find_cycle_names_it() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_no_import_cycle() -> None:
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])
