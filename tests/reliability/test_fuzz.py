"""Property-based fuzzing of the three entry points hostile input reaches (hypothesis).

* random tables (headers in English and Chinese, typed and garbage cells, missing markers,
  delimiters, encodings, line endings, workbooks with merged cells, damaged bytes) through
  ``load_source``: nothing but a :class:`SalesperfError` may escape, and what loads keeps
  the loader's contract;
* random mutations of examples/kpi.yaml (a key dropped, a value of the wrong type, an enum
  misspelt, a key moved to the wrong level) through ``parse_spec``: only a
  :class:`SpecError`, and every finding says where (file and line or key);
* random sales data through a ``Review``: additive KPIs roll up exactly, statuses
  stay in the allowed set, numbers are finite or missing, and nothing but a
  :class:`SalesperfError` escapes.

Bounded for CI: 400 random tables, 300 spec mutations and 120 engine runs, about 20 s in
all; SALESPERF_FUZZ_SCALE=20 multiplies them for a long local run.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import importlib.util
import io
import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from salesperf.engine.attainment import STATUSES
from salesperf.errors import SalesperfError, SpecError
from salesperf.review import Review
from salesperf.sources import load_source
from salesperf.spec import parse_spec
from salesperf.spec.models import SourceSpec
from salesperf.spec.yaml_loader import load_yaml
from tests.engine_helpers import dataset, frame, spec_from
from tests.properties import examples as scaled

ROOT = Path(__file__).parents[2]
SCALE = float(os.environ.get("SALESPERF_FUZZ_SCALE", "1"))


def fuzz(examples: int) -> settings:
    """Hypothesis settings for a property: no deadline (pandas warms up on first use)."""
    return settings(
        max_examples=max(1, round(scaled(examples) * SCALE)),
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )


def _builder() -> Any:
    """The raw-XML workbook writer of the corpus (it writes merged cells and formulas)."""
    path = ROOT / "tests" / "corpus" / "make_data_cases.py"
    spec = importlib.util.spec_from_file_location("make_data_cases", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


MAKE = _builder()

# --- 1. random tables through the loader ----------------------------------------------------

HEADER_TEXT = st.text(
    alphabet=st.one_of(
        st.characters(min_codepoint=0x20, max_codepoint=0x7E),
        st.sampled_from("订单日期销售员金额客户团队部门 \ufeff\u3000éß€"),
    ),
    min_size=1,
    max_size=10,
)
CELL = st.one_of(
    st.dates(dt.date(1990, 1, 1), dt.date(2040, 12, 31)).flatmap(
        lambda d: st.sampled_from(
            [
                d.isoformat(),
                d.strftime("%d/%m/%Y"),
                d.strftime("%m/%d/%Y"),
                d.strftime("%d-%b-%Y"),
                f"{d.year}年{d.month}月{d.day}日",
                str((d - dt.date(1899, 12, 30)).days),
            ]
        )
    ),
    st.floats(-1e9, 1e9, allow_nan=False).map(lambda x: f"{x:.2f}"),
    st.integers(-(10**7), 10**7).map(lambda x: f"{x:,}"),
    st.sampled_from(["$1,234.50", "€12,50", "¥1,000", "(12.50)", "12.5%", "USD 9", "1.234,56"]),
    st.sampled_from(["", "NULL", "N/A", "#N/A", "-", "NA", "TBD", "=SUM(A1:A9)", "\ufeff"]),
    st.text(
        alphabet=st.one_of(
            st.characters(max_codepoint=0x7F, blacklist_categories=("Cs",)),
            st.sampled_from('张伟李娜北京"\n\r,;\t|\x00\ufeff€'),
        ),
        max_size=12,
    ),
)
ENCODINGS = ["utf-8", "utf-8-sig", "gb18030", "utf-16", "utf-16-le", "cp1252"]


@st.composite
def random_tables(draw: st.DrawFn) -> tuple[str, bytes, dict[str, str], list[str]]:
    """(file name, bytes, field -> header mapping, numeric fields)."""
    width = draw(st.integers(1, 5))
    headers = draw(st.lists(HEADER_TEXT, min_size=width, max_size=width))
    rows = draw(st.lists(st.lists(CELL, min_size=0, max_size=width + 1), max_size=15))
    # Map date to a header that exists most of the time, sometimes to one that does not.
    mapped = draw(st.lists(st.sampled_from(headers), min_size=1, max_size=3, unique=True))
    if draw(st.integers(0, 9)) == 0:
        mapped[0] = draw(HEADER_TEXT)
    fields = ["date", "amount", "rep"][: len(mapped)]
    columns = dict(zip(fields, mapped, strict=False))
    spare = [h for h in headers if h not in columns.values()]
    if spare and draw(st.booleans()):
        columns["currency"] = spare[0]
    numeric = ["amount"] if "amount" in columns else []
    kind = draw(st.sampled_from(["csv"] * 5 + ["xlsx"]))
    if kind == "xlsx":
        data = _xlsx(headers, rows, draw)
        name = draw(st.sampled_from(["t.xlsx", "t.csv"]))  # a workbook under a CSV name
    else:
        delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
        buffer = io.StringIO(newline="")
        quoting = draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONE]))
        writer = csv.writer(
            buffer,
            delimiter=delimiter,
            quoting=quoting,
            escapechar="\\" if quoting == csv.QUOTE_NONE else None,
            lineterminator=draw(st.sampled_from(["\n", "\r\n", "\r"])),
        )
        try:
            writer.writerow(headers)
            writer.writerows(rows)
        except csv.Error:
            buffer = io.StringIO(delimiter.join(headers) + "\n")
        text = buffer.getvalue()
        encoding = draw(st.sampled_from(ENCODINGS))
        data = text.encode(encoding, errors="replace")
        if encoding == "utf-16" and not data.startswith(codecs.BOM_UTF16):
            data = codecs.BOM_UTF16_LE + data
        name = draw(st.sampled_from(["t.csv", "t.txt", "t.tsv", "t.xlsx"]))
    data = _damage(data, draw)
    return name, data, columns, numeric


def _xlsx(headers: list[str], rows: list[list[str]], draw: st.DrawFn) -> bytes:
    from xml.sax.saxutils import escape

    def clean(value: str) -> str:  # XML 1.0 cannot hold most control characters
        return escape("".join(c for c in value if c in "\t\n\r" or ord(c) >= 0x20))

    body = {1: [clean(h) for h in headers]}
    for i, row in enumerate(rows, start=2):
        body[i] = [clean(v) for v in row][:26]
    extra = ""
    if rows and draw(st.booleans()):
        top = draw(st.integers(1, len(rows) + 1))
        extra = (
            f'<mergeCells count="1"><mergeCell ref="A{top}:'
            f'{chr(65 + draw(st.integers(0, 3)))}{top + draw(st.integers(0, 3))}"/></mergeCells>'
        )
    return bytes(MAKE.xlsx(MAKE._sheet(body, extra)))


def _damage(data: bytes, draw: st.DrawFn) -> bytes:
    """Sometimes: truncate, insert NUL or random bytes, or flip a byte."""
    how = draw(st.sampled_from(["none"] * 6 + ["truncate", "nul", "bytes", "flip"]))
    if how == "none" or not data:
        return data
    at = draw(st.integers(0, len(data) - 1))
    if how == "truncate":
        return data[:at]
    if how == "nul":
        return data[:at] + b"\x00" * draw(st.integers(1, 50)) + data[at:]
    if how == "bytes":
        return data[:at] + draw(st.binary(min_size=1, max_size=20)) + data[at:]
    return data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1 :]


@fuzz(400)
@given(table=random_tables())
def test_loader_raises_only_salesperf_errors(tmp_path: Path, table) -> None:
    name, data, columns, numeric = table
    assume(all(h.strip() for h in columns.values()))  # the spec refuses blank headers
    path = tmp_path / name
    path.write_bytes(data)
    source = SourceSpec(path=name, columns=columns)
    try:
        loaded = load_source("fuzz", source, tmp_path, None, numeric, shown_base=tmp_path)
    except SalesperfError as exc:
        for finding in exc.findings:
            assert finding.location.file is not None, finding
            assert len(finding.message) < 2000, finding.message[:200]
        return
    finally:
        path.unlink()
    frame_ = loaded.frame
    assert loaded.rows_loaded + len(loaded.rejected) == loaded.rows_read
    assert frame_["date"].notna().all()
    assert str(frame_["date"].dtype) == "datetime64[ns]"
    for field in numeric:
        assert frame_[field].dtype == np.float64
        assert not np.isinf(frame_[field].to_numpy()).any()
    assert frame_["_row"].is_monotonic_increasing
    for rejection in loaded.rejected:
        assert rejection.value is None or len(rejection.value) <= 60


def _outcome(source: SourceSpec, folder: Path, numeric: list[str]) -> Any:
    """What loading gives: the frame, rejections and warnings, or the error's findings."""
    try:
        loaded = load_source("fuzz", source, folder, None, numeric, shown_base=folder)
    except SalesperfError as exc:
        return [str(f) for f in exc.findings]
    return loaded.frame, loaded.files, loaded.rejected, loaded.warnings


def _same(a: Any, b: Any) -> None:
    if isinstance(a, list) or isinstance(b, list):
        assert a == b
        return
    pd.testing.assert_frame_equal(a[0], b[0])
    assert a[1:] == b[1:]


@fuzz(150)
@given(table=random_tables())
def test_small_files_read_by_the_csv_module_as_by_the_c_parser(
    tmp_path: Path, table, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The tiny-file lane (issue 20 #22) gives what pandas' C parser gives, to the cell."""
    from salesperf.sources import csvfile

    name, data, columns, numeric = table
    assume(all(h.strip() for h in columns.values()))
    (tmp_path / name).write_bytes(data)
    source = SourceSpec(path=name, columns=columns)
    tiny = _outcome(source, tmp_path, numeric)
    monkeypatch.setattr(csvfile, "TINY_ROWS", -1)
    _same(tiny, _outcome(source, tmp_path, numeric))


@fuzz(60)
@given(tables=st.lists(random_tables(), min_size=2, max_size=6))
def test_a_glob_of_small_files_loads_as_file_by_file(
    tmp_path: Path, tables, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Finishing small files of one layout together (issue 20 #22) changes nothing: the
    same rows, files, rejections, warnings and errors as finishing them one by one."""
    from salesperf.sources import load as loader

    name, data, columns, numeric = tables[0]
    assume(all(h.strip() for h in columns.values()) and name.endswith(".csv"))
    header = data.split(b"\n")[0]
    for i, (_, other, _, _) in enumerate(tables):
        # The first table's header over every table's rows: one layout, varied contents.
        (tmp_path / f"part{i}.csv").write_bytes(header + b"\n" + other.split(b"\n", 1)[-1])
    source = SourceSpec(path="part*.csv", columns=columns)
    batched = _outcome(source, tmp_path, numeric)
    monkeypatch.setattr(loader, "BATCH_ROWS", 0)
    _same(batched, _outcome(source, tmp_path, numeric))


# --- 2. random mutations of the example spec through parse_spec ----------------------------

EXAMPLE = ROOT / "examples" / "kpi.yaml"


def _plain(node: Any) -> Any:
    """LineDict/LineList -> dict/list, which yaml.safe_dump can write."""
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


BASE_SPEC = _plain(load_yaml(EXAMPLE.read_text(encoding="utf-8"), "kpi.yaml"))


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = []
    if isinstance(node, dict):
        for key, value in node.items():
            out.append((*prefix, key))
            out.extend(_paths(value, (*prefix, key)))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out.append((*prefix, i))
            out.extend(_paths(value, (*prefix, i)))
    return out


ALL_PATHS = _paths(BASE_SPEC)
OTHER_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
    st.dates(),
)


def _parent(root: Any, path: tuple[Any, ...]) -> Any:
    node = root
    for part in path[:-1]:
        node = node[part]
    return node


@st.composite
def mutated_specs(draw: st.DrawFn) -> dict[str, Any]:
    import copy

    spec = copy.deepcopy(BASE_SPEC)
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(spec)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent, key = _parent(spec, path), path[-1]
        how = draw(st.sampled_from(["drop", "retype", "misspell", "rename", "nest", "unnest"]))
        if how == "drop":
            del parent[key]
        elif how == "retype":
            parent[key] = draw(OTHER_VALUES)
        elif how == "misspell" and isinstance(parent[key], str) and parent[key]:
            value = parent[key]
            at = draw(st.integers(0, len(value) - 1))
            parent[key] = (
                value[:at] + draw(st.sampled_from(["", "x", value[at] * 2])) + value[at + 1 :]
            )
        elif how == "rename" and isinstance(parent, dict):
            parent[f"{key}{draw(st.sampled_from(['s', '_', 'X']))}"] = parent.pop(key)
        elif how == "nest" and isinstance(parent, dict):
            sibling = [k for k, v in parent.items() if isinstance(v, dict) and k != key]
            if sibling:
                parent[draw(st.sampled_from(sibling))][key] = parent.pop(key)
        elif how == "unnest" and isinstance(parent, dict) and len(path) >= 2:
            grand = _parent(spec, path[:-1])
            if isinstance(grand, dict):
                grand[key] = parent.pop(key)
    return spec


@fuzz(300)
@given(spec=mutated_specs())
def test_spec_mutations_raise_only_located_spec_errors(spec: dict[str, Any]) -> None:
    text = yaml.safe_dump(spec, allow_unicode=True, sort_keys=False)
    try:
        parse_spec(text, "kpi.yaml", base_dir=EXAMPLE.parent)
    except SpecError as exc:
        assert exc.findings, exc
        for finding in exc.findings:
            assert finding.location.file == "kpi.yaml", finding
            assert finding.location.line is not None or finding.location.key, finding


def test_spec_mutations_are_meaningful() -> None:
    """The unmutated example parses, so failures above come from the mutations."""
    text = yaml.safe_dump(BASE_SPEC, allow_unicode=True, sort_keys=False)
    assert parse_spec(text, "kpi.yaml", base_dir=EXAMPLE.parent).kpis


# --- 3. random data through the engine -------------------------------------------------------

REPS = ["A", "B", "C", "D"]
ENGINE_SPEC = """
version: 1
period: PERIOD
pacing: PACING
sources:
  orders:
    path: o.csv
    columns: {date: d, rep: r, amount: a, customer: c, stage: s}
org:
  path: roster.csv
  columns: {rep: rep, team: team}
kpis:
  - {id: revenue, name: Revenue, source: orders, measure: sum, column: amount, weight: 40,
     target: {method: METHOD, growth: 0.05, periods: 2, ALLOCATE}}
  - {id: orders, name: Orders, source: orders, measure: count, weight: 20,
     target: {method: trailing_median, periods: 3}}
  - {id: new_customers, name: New customers, source: orders, measure: new_customers,
     weight: 10, target: {method: trailing_mean, periods: 2}}
  - {id: customers, name: Customers, source: orders, measure: count_distinct, column: customer,
     target: {method: fixed, value: 3, level: rep}}
  - {id: avg_order, name: Average order, source: orders, measure: mean, column: amount,
     direction: lower, target: {method: last_year}}
  - {id: win_rate, name: Win rate, source: orders, measure: ratio, weight: 20,
     numerator: {measure: count, where: {stage: Won}},
     denominator: {measure: count, where: {stage: [Won, Lost]}},
     target: {method: fixed, value: 0.5}}
  - {id: retention, name: Retention, source: orders, measure: retention_rate, weight: 10,
     target: {method: trailing_mean, periods: 2}}
"""
ADDITIVE = ("revenue", "orders", "new_customers")

engine_rows = st.lists(
    st.tuples(
        st.dates(dt.date(2015, 1, 1), dt.date(2018, 12, 31)),
        st.sampled_from([*REPS, "Z", None]),  # Z is not on the roster; None: no rep
        st.one_of(st.none(), st.floats(-1e6, 1e7, allow_nan=False, allow_infinity=False)),
        st.sampled_from(["c1", "c2", "c3", None]),
        st.sampled_from(["Won", "Lost", "Open", None]),
    ),
    min_size=0,
    max_size=50,
)


@fuzz(120)
@given(
    rows=engine_rows,
    team_of=st.lists(st.sampled_from(["T1", "T2", None]), min_size=4, max_size=4),
    period=st.sampled_from(["month", "quarter"]),
    pacing=st.sampled_from(["calendar", "workdays"]),
    method=st.sampled_from(["last_year", "trailing_mean", "seasonal", "fixed"]),
    allocate=st.sampled_from(["", "allocate: history_share", "allocate: equal"]),
    as_of=st.dates(dt.date(2016, 1, 1), dt.date(2018, 6, 30)),
)
def test_engine_invariants_on_random_data(
    rows, team_of, period, pacing, method, allocate, as_of
) -> None:
    text = (
        ENGINE_SPEC.replace("PERIOD", period)
        .replace("PACING", pacing)
        .replace("METHOD", method)
        .replace(", ALLOCATE", f", {allocate}" if allocate else "")
    )
    if method == "fixed":
        text = text.replace("growth: 0.05, periods: 2", "value: 1000")
    spec = spec_from(text)
    orders = frame(
        [(d.isoformat(), r, a, c, s) for d, r, a, c, s in rows],
        ["date", "rep", "amount", "customer", "stage"],
    )
    orders["amount"] = orders["amount"].astype("float64")
    roster = frame(list(zip(REPS, team_of, strict=True)), ["rep", "team"])
    try:
        results = Review(
            spec, as_of=as_of, dataset=dataset(spec, {"orders": orders}, roster)
        ).results
    except SalesperfError:
        return
    table = results.table
    assert set(table["status"]) <= set(STATUSES)
    for column in ("actual", "target", "attainment", "pace", "expected_to_date"):
        values = pd.to_numeric(table[column], errors="coerce").to_numpy(dtype=float)
        assert not np.isinf(values).any(), column
    if any(rep is None for _, rep, *_ in rows):
        return  # a row without a rep counts for the company only: no roll-up to check
    for kpi in ADDITIVE:
        mine = table[table["kpi"] == kpi]
        company = mine.loc[mine["level"] == "company", "actual"].sum()
        reps = mine.loc[mine["level"] == "rep", "actual"].fillna(0).sum()
        assert math.isclose(reps, company, rel_tol=1e-9, abs_tol=1e-6), kpi
        teams = mine[mine["level"] == "team"]
        for team, value in zip(teams["entity"], teams["actual"].fillna(0), strict=True):
            members = mine[(mine["level"] == "rep") & (mine["parent"] == team)]["actual"]
            assert math.isclose(members.fillna(0).sum(), value, rel_tol=1e-9, abs_tol=1e-6)
