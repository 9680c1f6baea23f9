"""The read path stays a picture a newcomer can see: no import cycle in bot/ (type-only and
function-level imports included), and the write path never imports the read path."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(packages: tuple[str, ...] = ("bot", "ingest")) -> dict[str, set[str]]:
    """Every import statement, wherever it stands, as module -> imported project modules."""
    files = [p for pkg in packages for p in (ROOT / pkg).rglob("*.py")]
    modules = {_module(p) for p in files}
    graph: dict[str, set[str]] = {}
    for p in files:
        here = _module(p)
        deps: set[str] = set()
        for node in ast.walk(ast.parse(p.read_text(), str(p))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            deps.update(n for n in names if n in modules and n != here)
        graph[here] = deps
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        stack.append(m)
        for d in sorted(graph.get(m, ())):
            if state.get(d) == 1:
                return stack[stack.index(d) :] + [d]
            if d not in state and (found := visit(d)):
                return found
        stack.pop()
        state[m] = 2
        return None

    for m in sorted(graph):
        if m not in state and (found := visit(m)):
            return found
    return None


def test_no_import_cycle_in_the_read_or_write_path() -> None:
    graph = import_graph()
    # package __init__ files hold docstrings only: importing a module imports its package,
    # which must not pull anything back in
    assert all(not graph[m] for m in graph if (ROOT / m.replace(".", "/") / "__init__.py").exists())
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_ingest_never_imports_bot() -> None:
    graph = import_graph()
    wrong = {m: sorted(d for d in deps if d.startswith("bot")) for m, deps in graph.items()}
    assert {m: d for m, d in wrong.items() if m.startswith("ingest") and d} == {}


def test_cycle_finder_sees_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None
