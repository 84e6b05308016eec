"""The import graph of the salesperf package, as layers: `python scripts/import_graph.py`
rewrites docs/architecture.md; `--check` exits 1 when it is out of date or has a cycle.

Every ``import`` statement counts, function-level ones too (they hide cycles); the ones
under ``if TYPE_CHECKING:`` do not (they never run). tests/test_imports.py runs this.
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "salesperf"
OUTPUT = ROOT / "docs" / "architecture.md"


@dataclass(frozen=True)
class Import:
    source: str  # importing module
    target: str  # imported salesperf module
    line: int
    in_function: bool


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def statements(tree: ast.AST) -> list[tuple[ast.Import | ast.ImportFrom, bool]]:
    """Every import statement that runs, and whether it is inside a function."""
    found: list[tuple[ast.Import | ast.ImportFrom, bool]] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _type_checking(child):
                for other in child.orelse:
                    visit_one(other, in_function)
                continue
            visit_one(child, in_function)

    def visit_one(child: ast.AST, in_function: bool) -> None:
        if isinstance(child, (ast.Import, ast.ImportFrom)):
            found.append((child, in_function))
            return
        function = isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
        visit(child, in_function or function)

    visit(tree, False)
    return found


def imports() -> list[Import]:
    files = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}
    out = []
    for name, path in files.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node, in_function in statements(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = node.module or ""
                if node.level:
                    parts = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    base = ".".join([*parts, base] if base else parts)
                # `from salesperf.report import xlsx` imports the module salesperf.report.xlsx
                targets = [
                    f"{base}.{alias.name}" if f"{base}.{alias.name}" in files else base
                    for alias in node.names
                ]
            for target in targets:
                if target in files and target != name:
                    out.append(Import(name, target, node.lineno, in_function))
    return out


def cycles(edges: list[Import]) -> list[list[str]]:
    """Groups of modules that import each other, directly or round a loop (Tarjan)."""
    graph: dict[str, set[str]] = defaultdict(set)
    for edge in edges:
        graph[edge.source].add(edge.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def strong(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in sorted(graph[node]):
            if other not in index:
                strong(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            strong(node)
    return found


def component(module: str) -> str:
    """The box a module is drawn in: its subpackage, or the top-level module itself."""
    parts = module.split(".")
    return "salesperf" if len(parts) == 1 else parts[1]


def layers(edges: list[Import]) -> list[list[str]]:
    """Components by layer: a component sits one layer above the highest it imports."""
    graph: dict[str, set[str]] = defaultdict(set)
    nodes = {component(module_name(p)) for p in PACKAGE.rglob("*.py")} - {"salesperf"}
    for edge in edges:
        low, high = component(edge.target), component(edge.source)
        if low != high and "salesperf" not in (low, high):
            graph[high].add(low)
    level: dict[str, int] = {}

    def depth(node: str, seen: tuple[str, ...] = ()) -> int:
        if node not in level:
            if node in seen:
                raise ValueError(f"components import each other: {' -> '.join(seen)}")
            below = [depth(other, (*seen, node)) for other in graph[node]]
            level[node] = 1 + max(below, default=-1)
        return level[node]

    for node in nodes:
        depth(node)
    out: list[list[str]] = [[] for _ in range(max(level.values()) + 1)]
    for node, value in level.items():
        out[value].append(node)
    return [sorted(names) for names in out]


def reduced(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """Only the arrows that say something: A --> C goes when A --> B --> ... --> C."""

    def below(node: str) -> set[str]:
        found: set[str] = set()
        todo = list(graph.get(node, ()))
        while todo:
            other = todo.pop()
            if other not in found:
                found.add(other)
                todo.extend(graph.get(other, ()))
        return found

    return {
        high: {low for low in lows if not any(low in below(mid) for mid in lows - {low})}
        for high, lows in sorted(graph.items())
    }


def document(edges: list[Import]) -> str:
    stacked = layers(edges)
    graph: dict[str, set[str]] = defaultdict(set)
    for edge in edges:
        low, high = component(edge.target), component(edge.source)
        if low != high and "salesperf" not in (low, high):
            graph[high].add(low)
    graph = defaultdict(set, reduced(graph))
    members: dict[str, list[str]] = defaultdict(list)
    for path in sorted(PACKAGE.rglob("*.py")):
        name = module_name(path)
        members[component(name)].append(name.removeprefix("salesperf."))
    lines = [
        "# Architecture: the import graph as layers",
        "",
        "<!-- Generated by scripts/import_graph.py; tests/test_imports.py checks it is",
        "     current and that no module imports itself round a loop. -->",
        "",
        "salesperf reads bottom to top as the data flows: each box imports only boxes on",
        "lower layers, never one beside or above it, and no module imports another that",
        "imports it back (function-level imports included). An arrow `A --> B`: A imports B",
        "(arrows implied by others are left out: `review` imports `engine` through more).",
        "",
        "```mermaid",
        "flowchart BT",
    ]
    for number, names in enumerate(stacked):
        lines.append(f'  subgraph layer{number}["layer {number}"]')
        lines.extend(f"    {name}" for name in names)
        lines.append("  end")
    for high in sorted(graph):
        lines.extend(f"  {high} --> {low}" for low in sorted(graph[high]))
    lines += ["```", "", "| Layer | Box | Modules |", "|---|---|---|"]
    for number, names in reversed(list(enumerate(stacked))):
        for name in names:
            shown = ", ".join(f"`{m}`" for m in members[name])
            lines.append(f"| {number} | {name} | {shown} |")
    lines += [
        "",
        "A box is a subpackage (`engine`: `salesperf/engine/`) or a top-level module",
        "(`errors`: `salesperf/errors.py`). `review` (one `Review` owns a run) chains the",
        "stages; the side tools (`check`, `backtest`, `diff`, `notify`) and the CLI sit on top.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    edges = imports()
    loops = cycles(edges)
    for loop in loops:
        print("import cycle:", " -> ".join(loop), file=sys.stderr)
    text = document(edges)
    if "--check" in argv:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
        if current != text:
            print(f"{OUTPUT} is out of date: run python scripts/import_graph.py", file=sys.stderr)
            return 1
        return 1 if loops else 0
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT}")
    return 1 if loops else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
