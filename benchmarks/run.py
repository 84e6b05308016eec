"""Time salesperf against a bare read and a hand-written pandas baseline, in one run.

    python benchmarks/run.py --rows 1000000 --repeat 3
    python benchmarks/run.py --rows 1000000 --markdown      # the table for README.md
    python benchmarks/run.py --excel                         # calamine vs openpyxl, 200k rows
    python benchmarks/run.py --help-startup                  # `salesperf --help` wall time
    python benchmarks/run.py --rows 1000000 --reps 100000   # scaling in reps, not rows

Data is generated once per size (``benchmarks/generate.py``) into ``--data`` (default
``benchmarks/.data/rows-N``, git-ignored) and reused. Every measurement is a fresh
subprocess (interpreter start and imports included, as a user or cron job pays them), run
interleaved: each round runs every command once, so a busy machine slows all of them alike.
Wall time is ``time.perf_counter`` around the process; peak RSS is the child's own
``ru_maxrss`` from ``os.wait4``. The table shows the median of the rounds and the ratios to
(a) the bare ``pandas.read_csv`` of the orders file with the columns salesperf reads and
(b) the baseline script.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
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


@dataclass
class Command:
    label: str
    argv: list[str]
    kind: str  # "a" read, "b" baseline, "c" salesperf
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
    """(wall seconds, peak RSS in KiB, exit code) of one subprocess."""
    started = time.perf_counter()
    process = subprocess.Popen(
        argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=_env(cache)
    )
    assert process.stderr is not None
    error = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode not in (0, 1):
        # Reported and left out of the medians: one failed run should not lose the others.
        sys.stderr.write(error.decode(errors="replace")[-2000:])
        print(f"  FAILED ({process.returncode}): {' '.join(argv)}", file=sys.stderr)
    return wall, usage.ru_maxrss, process.returncode


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
    commands = [
        Command("(a) pandas.read_csv, same columns", [python, "-c", READ_ONLY, str(folder / "orders.csv"), headers], "a"),  # noqa: E501
        Command("(b) hand-written pandas baseline", [python, str(HERE / "baseline.py"), str(folder)], "b"),  # noqa: E501
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
        f"numpy {numpy.__version__}"
    )


def table(commands: list[Command], rows: int, markdown: bool) -> str:
    read = next(c for c in commands if c.kind == "a")
    base = next(c for c in commands if c.kind == "b")
    head = ["command", "wall s", "peak RSS MB", "x read (a)", "x baseline (b)", "RSS x (b)"]
    lines = []
    for c in commands:
        lines.append(
            [
                c.label,
                f"{c.wall:.2f}",
                f"{c.rss_mb:.0f}",
                f"{c.wall / read.wall:.2f}",
                f"{c.wall / base.wall:.2f}",
                f"{c.rss_mb / base.rss_mb:.2f}",
            ]
        )
    runs = len(read.walls)
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
