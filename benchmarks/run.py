"""Time salesperf against a bare read and a hand-written pandas baseline, in one run.

    python benchmarks/run.py --rows 1000000 --repeat 3
    python benchmarks/run.py --rows 1000000 --markdown      # the table for README.md
    python benchmarks/run.py --excel                         # calamine vs openpyxl, 200k rows
    python benchmarks/run.py --help-startup                  # `salesperf --help` wall time
    python benchmarks/run.py --rows 1000000 --reps 100000   # scaling in reps, not rows

Data is generated once per size (``benchmarks/generate.py``) into ``--data`` (default
``benchmarks/.data/rows-N``, git-ignored) and reused. Every measurement is a fresh
process (interpreter start and imports included, as a user or cron job pays them), run
interleaved: each round runs every command once, so a busy machine slows all of them alike.
Wall time is ``time.perf_counter`` around the process. Peak RSS comes from ``/usr/bin/time
-f %M``, which forks the command from its own small process: the ``ru_maxrss`` that
``os.wait4`` reports for a child forked from this harness starts at the harness's own peak
(Linux keeps the high-water mark across fork and exec), so a harness that had grown to 1 GB
reported 1 GB for every command. The table shows the median of the rounds and the ratios to
the three analyst baselines measured in the same rounds: pandas (``baseline.py``), DuckDB
(``baseline_duckdb.py``) and polars (``baseline_polars.py``), and, for the loader, the bare
reads of the orders columns salesperf reads.

Before timing, salesperf's bytecode is compiled (``compileall``): an editable install run
with ``PYTHONDONTWRITEBYTECODE=1`` would otherwise recompile every module on every run, which
a user's ``pip install`` (compiled at install) never does.
"""

from __future__ import annotations

import argparse
import compileall
import functools
import importlib.util
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate import REPS, generate  # noqa: E402

BIN = Path(sys.executable).parent
SALESPERF = str(BIN / "salesperf") if (BIN / "salesperf").exists() else "salesperf"

READ_ONLY = """
import sys, pandas as pd
frame = pd.read_csv(sys.argv[1], usecols=sys.argv[2].split("|"))
print(len(frame))
"""
READ_POLARS = """
import sys, polars as pl
frame = pl.read_csv(sys.argv[1], columns=sys.argv[2].split("|"), infer_schema_length=0)
print(len(frame))
"""
READ_DUCKDB = """
import sys, duckdb
columns = ", ".join('"' + c + '"' for c in sys.argv[2].split("|"))
query = f"SELECT {columns} FROM read_csv(?, all_varchar = true)"
relation = duckdb.connect().execute(f"SELECT count(*) FROM ({query})", [sys.argv[1]])
print(relation.fetchone()[0])
"""
#: GNU time (Debian package `time`): peak RSS of the command alone, see the module doc.
TIME = "/usr/bin/time"


@dataclass
class Command:
    label: str
    argv: list[str]
    kind: str  # "a" read, "b" baseline, "c" salesperf
    #: The baselines: "pandas", "duckdb" or "polars" (kind "a" and "b" only).
    engine: str = ""
    #: Where the cache of loaded sources lives for this command; None: off (a cold run).
    cache: Path | None = None
    walls: list[float] = field(default_factory=list)
    rss_kb: list[int] = field(default_factory=list)

    @property
    def wall(self) -> float:
        return statistics.median(self.walls) if self.walls else float("nan")

    @property
    def rss_mb(self) -> float:
        return statistics.median(self.rss_kb) / 1024 if self.rss_kb else float("nan")


def measure(
    argv: list[str], cwd: Path | None = None, cache: Path | None = None
) -> tuple[float, int, int]:
    """(wall seconds, peak RSS in KiB, exit code) of one fresh process."""
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss_file:
        timed = [TIME, "-f", "%M", "-o", rss_file.name, *argv] if _has_time() else argv
        started = time.perf_counter()
        process = subprocess.run(
            timed, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=_env(cache)
        )
        wall = time.perf_counter() - started
        lines = rss_file.read().split()
    code = process.returncode
    if code not in (0, 1):
        # Reported and left out of the medians: one failed run should not lose the others.
        sys.stderr.write(process.stderr.decode(errors="replace")[-2000:])
        print(f"  FAILED ({code}): {' '.join(argv)}", file=sys.stderr)
    # GNU time writes "Command exited with non-zero status N" before the number.
    rss = int(lines[-1]) if lines and lines[-1].isdigit() else 0
    return wall, rss, code


@functools.cache
def _has_time() -> bool:
    if Path(TIME).exists():
        return True
    print(f"  {TIME} not found (apt-get install time): peak RSS not measured", file=sys.stderr)
    return False


def _env(cache: Path | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("SALESPERF_DEBUG", None)
    env["COLUMNS"] = "100"
    # Cold runs parse every file, as the first run over new exports does.
    env["SALESPERF_CACHE"] = str(cache) if cache else "off"
    return env


def data_for(rows: int, folder: Path | None, xlsx: bool = False, reps: int = REPS) -> Path:
    """The generated project for ``rows`` by ``reps`` reps (made on first use)."""
    name = f"rows-{rows}" if reps == REPS else f"rows-{rows}-reps-{reps}"
    folder = folder or HERE / ".data" / name
    spec = folder / "kpi.yaml"
    if not spec.exists() or (xlsx and not (folder / "orders.xlsx").exists()):
        started = time.perf_counter()
        print(f"generating {rows:,} rows into {folder} ...", file=sys.stderr)
        generate(rows, folder, xlsx_rows=200_000 if xlsx else None, reps=reps)
        print(f"  done in {time.perf_counter() - started:.1f}s", file=sys.stderr)
    return folder


def salesperf_commands() -> set[str]:
    """Commands this salesperf has (report may not exist yet)."""
    out = subprocess.run([SALESPERF, "--help"], capture_output=True, text=True, env=_env())
    names = set()
    for line in out.stdout.splitlines():
        words = line.strip("│ ").split()
        if words:
            names.add(words[0])
    return names


def loaded_headers(spec_path: Path) -> list[str]:
    """The orders headers salesperf reads for this spec (its `usecols`)."""
    from salesperf.spec import load_spec
    from salesperf.spec.rules import fields_needed

    spec = load_spec(spec_path)
    fields, _ = fields_needed(spec, "orders")
    columns = spec.sources["orders"].columns
    return [columns[f] for f in columns if f in fields]


def pick_rep(folder: Path) -> str:
    """A rep employed until the end (the first one without an end date)."""
    import csv

    with open(folder / "roster.csv", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if not row["end_date"]:
                return row["rep_id"]
    raise SystemExit("no active rep in the roster")


def build_commands(folder: Path, only: list[str] | None) -> list[Command]:
    spec = folder / "kpi.yaml"
    rep = pick_rep(folder)
    python = sys.executable
    headers = "|".join(loaded_headers(spec))
    orders = str(folder / "orders.csv")
    commands = [
        Command("(a) pandas.read_csv, same columns", [python, "-c", READ_ONLY, orders, headers], "a", "pandas"),  # noqa: E501
        Command("(a) polars.read_csv, same columns (text)", [python, "-c", READ_POLARS, orders, headers], "a", "polars"),  # noqa: E501
        Command("(a) DuckDB read_csv, same columns (text)", [python, "-c", READ_DUCKDB, orders, headers], "a", "duckdb"),  # noqa: E501
        Command("(b) analyst baseline: pandas", [python, str(HERE / "baseline.py"), str(folder)], "b", "pandas"),  # noqa: E501
        Command("(b) analyst baseline: DuckDB", [python, str(HERE / "baseline_duckdb.py"), str(folder)], "b", "duckdb"),  # noqa: E501
        Command("(b) analyst baseline: polars", [python, str(HERE / "baseline_polars.py"), str(folder)], "b", "polars"),  # noqa: E501
    ]  # fmt: skip
    missing = [e for e in ("duckdb", "polars") if importlib.util.find_spec(e) is None]
    if missing:
        print(
            f"  {' and '.join(missing)} not installed (pip install -e '.[bench]'): "
            "their baselines are left out",
            file=sys.stderr,
        )
        commands = [c for c in commands if c.engine not in missing]
    commands += [
        Command(f"salesperf progress --rep {rep}", [SALESPERF, "progress", str(spec), "--rep", rep], "c"),  # noqa: E501
        Command("salesperf progress --format json", [SALESPERF, "progress", str(spec), "--format", "json"], "c"),  # noqa: E501
    ]  # fmt: skip
    available = salesperf_commands()
    if "evaluate" in available:
        commands.append(Command("salesperf evaluate", [SALESPERF, "evaluate", str(spec)], "c"))
    if "report" in available:
        argv = [SALESPERF, "report", str(spec), "--format", "html", "-o", str(folder / "r.html")]
        commands.append(Command("salesperf report --format html", argv, "c"))
    # The same commands once the exports have been loaded before (the cache of loaded
    # sources, salesperf/sources/cache.py): a second look the same day, or another config.
    warm = folder / ".cache"
    for command in [c for c in commands if c.kind == "c"]:
        label = f"{command.label} (cache warm)"
        commands.append(Command(label, command.argv, "c", cache=warm))
    if only:
        commands = [c for c in commands if c.kind != "c" or any(o in c.label for o in only)]
    return commands


def run_rounds(commands: list[Command], repeat: int) -> None:
    for cache in {c.cache for c in commands if c.cache is not None}:
        shutil.rmtree(cache, ignore_errors=True)
        primer = next(c for c in commands if c.cache == cache)
        measure(primer.argv, cache=cache)  # fills the cache; not timed
    for round_ in range(repeat):
        for command in commands:
            wall, rss, code = measure(command.argv, cache=command.cache)
            if code not in (0, 1):
                continue
            command.walls.append(wall)
            command.rss_kb.append(rss)
            print(
                f"  round {round_ + 1}: {command.label}: {wall:.2f}s, {rss / 1024:.0f} MB",
                file=sys.stderr,
            )


def machine() -> str:
    import numpy
    import pandas

    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{os.cpu_count()} cores ({platform.processor() or platform.machine()}), "
        f"{memory:.0f} GiB RAM, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, pandas {pandas.__version__}, "
        f"numpy {numpy.__version__}, {_version('duckdb')}, {_version('polars')}"
    )


def _version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"{name} {version(name)}"
    except PackageNotFoundError:
        return f"no {name}"


def table(commands: list[Command], rows: int, markdown: bool) -> str:
    """Median wall and peak RSS per command, with same-run ratios to each baseline."""
    baselines = {c.engine: c for c in commands if c.kind == "b"}
    head = ["command", "wall s", "peak RSS MB"]
    head += [f"x {_ENGINES[e]}" for e in baselines]
    head += ["RSS x pandas"]
    lines = []
    for c in commands:
        line = [c.label, f"{c.wall:.2f}", f"{c.rss_mb:.0f}"]
        line += [f"{c.wall / b.wall:.2f}" for b in baselines.values()]
        line += [f"{c.rss_mb / baselines['pandas'].rss_mb:.2f}"]
        lines.append(line)
    runs = len(baselines["pandas"].walls)
    title = f"{rows:,} order lines, median of {runs} interleaved run(s)"
    if markdown:
        out = [f"**{title}**", "", "| " + " | ".join(head) + " |"]
        out.append("| --- " + "| ---: " * (len(head) - 1) + "|")
        out += ["| " + " | ".join(line) + " |" for line in lines]
        return "\n".join(out)
    widths = [max(len(r[i]) for r in [head, *lines]) for i in range(len(head))]
    out = [title]
    for line in [head, *lines]:
        cells = [line[0].ljust(widths[0])] + [
            v.rjust(w) for v, w in zip(line[1:], widths[1:], strict=True)
        ]
        out.append("  ".join(cells))
    return "\n".join(out)


_ENGINES = {"pandas": "pandas", "duckdb": "DuckDB", "polars": "polars"}


# -- Excel ---------------------------------------------------------------------------------

CALAMINE = """
import sys, python_calamine
book = python_calamine.CalamineWorkbook.from_path(sys.argv[1])
rows = book.get_sheet_by_index(0).to_python()
print(len(rows))
"""
OPENPYXL = """
import sys, openpyxl
book = openpyxl.load_workbook(sys.argv[1], read_only=True, data_only=True)
rows = list(book.worksheets[0].iter_rows(values_only=True))
print(len(rows))
"""
SALESPERF_XLSX = """
import sys
from pathlib import Path
from salesperf.sources import load_source
from salesperf.spec.models import SourceSpec
columns = {"date": "Order Date", "rep": "Sales Rep", "customer": "Customer ID",
           "amount": "Amount"}
source = SourceSpec(path=sys.argv[1], columns=columns)
loaded = load_source("orders", source, Path("."), None, ["amount"])
print(loaded.rows_loaded)
"""


def excel(folder: Path, repeat: int) -> str:
    path = str(folder / "orders.xlsx")
    python = sys.executable
    commands = [
        Command("openpyxl (read_only, values_only)", [python, "-c", OPENPYXL, path], "a"),
        Command("python-calamine (to_python)", [python, "-c", CALAMINE, path], "b"),
        Command("salesperf loader (calamine + parsing)", [python, "-c", SALESPERF_XLSX, path], "c"),
    ]
    run_rounds(commands, repeat)
    slow = commands[0]
    out = [
        "| reader | wall s | peak RSS MB | speed-up vs openpyxl |",
        "| --- | ---: | ---: | ---: |",
    ]
    for c in commands:
        out.append(f"| {c.label} | {c.wall:.2f} | {c.rss_mb:.0f} | {slow.wall / c.wall:.1f}x |")
    return "\n".join(out)


# -- start-up ------------------------------------------------------------------------------

IMPORTS = """
import sys
import salesperf.cli
names = ("pandas", "numpy", "matplotlib", "openpyxl", "jinja2")
heavy = sorted(m for m in names if m in sys.modules)
print(",".join(heavy))
"""


def startup(repeat: int) -> str:
    walls = [measure([SALESPERF, "--help"])[0] for _ in range(max(repeat, 5))]
    heavy = subprocess.run(
        [sys.executable, "-c", IMPORTS], capture_output=True, text=True, check=True
    ).stdout.strip()
    verdict = "ok" if statistics.median(walls) < 0.3 and not heavy else "GOAL MISSED"
    return (
        f"`salesperf --help`: median {statistics.median(walls):.3f}s over {len(walls)} runs "
        f"(goal < 0.3 s); heavy modules imported by salesperf.cli: {heavy or 'none'} "
        f"-> {verdict}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--data", type=Path, help="data folder (default benchmarks/.data/...)")
    parser.add_argument("--only", action="append", help="only salesperf commands matching")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    parser.add_argument("--excel", action="store_true", help="time the .xlsx readers instead")
    parser.add_argument("--help-startup", action="store_true", help="time `salesperf --help`")
    parser.add_argument("--reps", type=int, default=REPS, help="reps on the roster (200)")
    args = parser.parse_args(argv)
    if shutil.which(SALESPERF) is None and not Path(SALESPERF).exists():
        raise SystemExit("salesperf is not installed in this environment (pip install -e .)")
    print(f"Machine: {machine()}\n")
    # What a user's `pip install` has: compiled bytecode (see the module doc).
    compileall.compile_dir(Path(__import__("salesperf").__file__).parent, quiet=1)
    if args.help_startup:
        print(startup(args.repeat))
        return 0
    if args.excel:
        folder = data_for(args.rows, args.data, xlsx=True)
        print(excel(folder, args.repeat))
        return 0
    folder = data_for(args.rows, args.data, reps=args.reps)
    commands = build_commands(folder, args.only)
    run_rounds(commands, args.repeat)
    print(table(commands, args.rows, args.markdown))
    return 0


if __name__ == "__main__":
    sys.exit(main())
