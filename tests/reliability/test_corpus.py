"""The broken-input corpus: every case under tests/corpus/ states what must happen.

A case is a spec file ``tests/corpus/spec/<case>.yaml`` or a folder
``tests/corpus/data/<case>/`` or ``tests/corpus/templates/<case>/`` holding a ``kpi.yaml``
and its data files (and report templates). The spec's first lines say what to run and
expect:

    # expect: EXIT | fragment        exit code, and text that must appear in the output
    # and: fragment                  (optional, repeatable) more text that must appear
    # not: fragment                  (optional, repeatable) text that must not appear
    # run: progress --level rep      (optional) the command and options; default: check
    # file: out.html                 (optional) fragments are looked for in this written
                                     file too (reports are files, not output)
    # build: name                    (optional) a builder below adds large or file-system
                                     parts (a 10 MB line, symlink loops) at test time

Fragments name the file, the line or row, and the key or column. No case may print a
traceback, and no output may echo a huge value: it stays under MAX_OUTPUT characters.
Binary inputs are written by ``tests/corpus/make_data_cases.py`` and committed.
"""

from __future__ import annotations

import importlib.util
import os
import shlex
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from typer.testing import CliRunner

from salesperf.cli import app

CORPUS = Path(__file__).parents[1] / "corpus"
#: Longest output a case may produce: messages clip values, they never echo a whole file.
MAX_OUTPUT = 20_000
#: Seconds any case may take (the 10,000-KPI and 10 MB cases included).
MAX_SECONDS = 30


@dataclass
class Case:
    path: Path  # the spec file
    code: int
    fragments: list[str]
    command: list[str] = field(default_factory=lambda: ["check"])
    build: str | None = None
    absent: list[str] = field(default_factory=list)
    file: str | None = None

    @property
    def folder(self) -> Path:
        return self.path.parent if self.path.name == "kpi.yaml" else self.path


def _cases() -> list[Path]:
    specs = sorted((CORPUS / "spec").glob("*.yaml"))
    folders = sorted((CORPUS / "data").glob("*/kpi.yaml"))
    templates = sorted((CORPUS / "templates").glob("*/kpi.yaml"))
    return specs + folders + templates


def _case_id(path: Path) -> str:
    if path.name == "kpi.yaml":
        return f"{path.parent.parent.name}/{path.parent.name}"
    return f"spec/{path.stem}"


def _parse(path: Path) -> Case:
    # Bytes: a case may be deliberately not UTF-8 (or hold NULs) after its header lines.
    head = path.read_bytes().split(b"\n")[:10]
    lines = [raw.decode("utf-8", "replace") for raw in head]
    first = lines[0]
    assert first.startswith("# expect:"), f"{path} has no '# expect:' line"
    code, fragment = first.removeprefix("# expect:").split("|", 1)
    case = Case(path, int(code), [fragment.strip()])
    for line in lines[1:]:
        if line.startswith("# and:"):
            case.fragments.append(line.removeprefix("# and:").strip())
        elif line.startswith("# run:"):
            case.command = shlex.split(line.removeprefix("# run:"))
        elif line.startswith("# build:"):
            case.build = line.removeprefix("# build:").strip()
        elif line.startswith("# not:"):
            case.absent.append(line.removeprefix("# not:").strip())
        elif line.startswith("# file:"):
            case.file = line.removeprefix("# file:").strip()
    return case


# --- builders: parts too large to commit, or that need the file system ------------------

KPI = "  - {id: k%d, name: KPI %d, source: orders, measure: count}\n"


def _ten_mb_single_line(folder: Path) -> None:
    """One 10 MB line and no newline: a binary dump or a broken export, not a header."""
    chunk = "lorem ipsum dolor sit amet consectetur adipiscing elit "
    (folder / "orders.csv").write_text(chunk * (10_000_000 // len(chunk)), encoding="utf-8")


def _ten_mb_field(folder: Path) -> None:
    """A good file with one 10 MB amount: the row is rejected, its value clipped in messages."""
    (folder / "orders.csv").write_text(
        "Order Date,Sales Rep,Amount\n2017-06-01,R1,100\n2017-06-02,R2,"
        + "9" * 5_000_000
        + "x" * 5_000_000
        + "\n2017-06-03,R1,300\n",
        encoding="utf-8",
    )


def _overlong_only_row(folder: Path) -> None:
    """A header and one 5 MB line: that row is rejected, and then nothing is left."""
    (folder / "orders.csv").write_text(
        "Order Date,Sales Rep,Amount\n2017-06-01,R1," + "9" * 5_000_000 + "x\n",
        encoding="utf-8",
    )


def _huge_rep_name(folder: Path) -> None:
    """A 1 MB rep id, on two roster lines and a duplicated order: messages clip it."""
    rep = "R" + "x" * 1_000_000
    (folder / "orders.csv").write_text(
        "Order Date,Sales Rep,Amount,Order\n2017-06-01,R1,100,A1\n"
        f"2017-06-02,{rep},200,A2\n2017-06-03,{rep},300,A2\n",
        encoding="utf-8",
    )
    (folder / "roster.csv").write_text(
        f"Rep,Team\nR1,East\n{rep},East\n{rep},West\n", encoding="utf-8"
    )


def _symlink_loop_file(folder: Path) -> None:
    (folder / "data").mkdir()
    os.symlink("b.csv", folder / "data" / "a.csv")
    os.symlink("a.csv", folder / "data" / "b.csv")


def _symlink_loop_glob(folder: Path) -> None:
    """Two links to the parent folder: glob.glob would list 2**40 paths under `**`."""
    sub = folder / "data" / "june"
    sub.mkdir(parents=True)
    (sub / "orders.csv").write_text(
        "Order Date,Sales Rep,Amount\n2017-06-01,R1,100\n2017-06-02,R2,200\n", encoding="utf-8"
    )
    os.symlink("..", sub / "up")
    os.symlink("..", sub / "again")


def _fifo_source(folder: Path) -> None:
    """A named pipe where the export should be: reading it would block forever."""
    (folder / "data").mkdir()
    os.mkfifo(folder / "data" / "orders.csv")


def _ten_thousand_kpis(folder: Path) -> None:
    with (folder / "kpi.yaml").open("a", encoding="utf-8") as spec:
        spec.writelines(KPI % (i, i) for i in range(10_000))


def _spec_over_a_megabyte(folder: Path) -> None:
    with (folder / "kpi.yaml").open("a", encoding="utf-8") as spec:
        for i in range(10_000):
            spec.write(
                f"  - id: k{i}\n    name: KPI number {i}\n    source: orders\n"
                "    measure: sum\n    column: amount\n    weight: 0.01\n"
                "    target: {method: last_year, growth: 0.05}\n"
            )


BUILDERS: dict[str, Callable[[Path], None]] = {
    "ten_mb_single_line": _ten_mb_single_line,
    "ten_mb_field": _ten_mb_field,
    "overlong_only_row": _overlong_only_row,
    "huge_rep_name": _huge_rep_name,
    "symlink_loop_file": _symlink_loop_file,
    "symlink_loop_glob": _symlink_loop_glob,
    "fifo_source": _fifo_source,
    "ten_thousand_kpis": _ten_thousand_kpis,
    "spec_over_a_megabyte": _spec_over_a_megabyte,
}


@pytest.mark.parametrize("path", _cases(), ids=_case_id)
def test_corpus(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    case = _parse(path)
    if case.path.name == "kpi.yaml":
        work = tmp_path / case.folder.name
        shutil.copytree(case.folder, work, symlinks=True)
        spec_name = "kpi.yaml"
    else:
        work, spec_name = case.folder.parent, case.path.name
    if case.build:
        BUILDERS[case.build](work)
    monkeypatch.chdir(work)
    command, *options = case.command
    started = time.monotonic()
    result = CliRunner().invoke(app, [command, spec_name, *options])
    elapsed = time.monotonic() - started
    output = result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), output
    assert "Traceback" not in output
    assert len(output) < MAX_OUTPUT, output[:2000]
    assert result.exit_code == case.code, output
    if case.file:
        output += (work / case.file).read_text(encoding="utf-8")
    for fragment in case.fragments:
        assert fragment in output, output
    for fragment in case.absent:
        assert fragment not in output, output
    assert elapsed < MAX_SECONDS


def test_corpus_is_large_enough() -> None:
    cases = _cases()
    assert len(cases) >= 60
    assert len([c for c in cases if c.parent.parent.name == "data"]) >= 30
    assert len([c for c in cases if c.parent.parent.name == "templates"]) >= 5


def test_builders_are_all_used() -> None:
    used = {_parse(p).build for p in _cases()}
    assert set(BUILDERS) <= used


def test_generated_files_are_up_to_date() -> None:
    """The committed binaries are exactly what make_data_cases.py writes."""
    spec = importlib.util.spec_from_file_location("make_data_cases", CORPUS / "make_data_cases.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for relative, content in module.build().items():
        assert (CORPUS / relative).read_bytes() == content, f"regenerate tests/corpus/{relative}"
