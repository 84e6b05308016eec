"""The package imports as layers: no cycle, no hidden function-level import, picture current."""

from __future__ import annotations

import ast
import importlib.util
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent
SCRIPT = ROOT / "scripts" / "import_graph.py"


def _graph_module():
    spec = importlib.util.spec_from_file_location("import_graph", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


graph = _graph_module()


def test_no_import_cycles() -> None:
    edges = graph.imports()
    assert len(edges) > 200  # the graph was read, function-level imports included
    assert any(e.in_function for e in edges)
    assert graph.cycles(edges) == []


def test_cycle_detection_finds_a_loop_round_a_function_level_import() -> None:
    edges = [
        graph.Import("salesperf.a", "salesperf.b", 1, False),
        graph.Import("salesperf.b", "salesperf.c", 1, True),
        graph.Import("salesperf.c", "salesperf.a", 1, False),
        graph.Import("salesperf.c", "salesperf.d", 1, False),
    ]
    assert graph.cycles(edges) == [["salesperf.a", "salesperf.b", "salesperf.c"]]


def test_type_checking_imports_are_not_edges() -> None:
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    import salesperf.review\n"
        "def f():\n    import salesperf.engine\n"
    )
    found = [(ast.unparse(node), inside) for node, inside in graph.statements(tree)]
    assert found == [("from typing import TYPE_CHECKING", False), ("import salesperf.engine", True)]


def test_function_level_imports_say_why() -> None:
    """Outside the CLI (whose commands import pandas & co. so that `salesperf --help` stays
    fast: tests/cli/test_cli.py checks it) and the package's lazy names, an import inside a
    function is there for a measured start-up cost, and a `# lazy:` comment says which (or
    is an optional module tried where it is used: `try: import fcntl`)."""
    unexplained = []
    for path in sorted((ROOT / "salesperf").rglob("*.py")):
        relative = path.relative_to(ROOT / "salesperf")
        if relative.parts[0] == "cli" or relative.as_posix() == "__init__.py":
            continue
        lines = path.read_text(encoding="utf-8").splitlines()
        for node, inside in graph.statements(ast.parse("\n".join(lines))):
            if not inside:
                continue
            above = node.lineno - 2
            # One comment covers a block of imports: walk up past the imports above, then
            # read the comment block over them.
            while above >= 0 and lines[above].lstrip().startswith(("import ", "from ")):
                above -= 1
            comment = []
            while above >= 0 and lines[above].lstrip().startswith("#"):
                comment.append(lines[above].lstrip())
                above -= 1
            said = "# lazy:" in lines[node.lineno - 1] or any(
                line.startswith("# lazy:") for line in comment
            )
            # An import the platform may lack (fcntl on Windows) is tried where it is used.
            optional = lines[node.lineno - 2].strip() == "try:"
            said = said or optional
            if not said:
                unexplained.append(f"{relative}:{node.lineno}: {ast.unparse(node)}")
    assert unexplained == []


def test_the_picture_of_the_layers_is_current() -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    assert "```mermaid" in text and "review --> report" in text
