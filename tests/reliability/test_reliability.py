"""Hardening of the loader, the paths and the spec against hostile input, one fix per test.

The corpus (tests/reliability/test_corpus.py) shows each case end to end through `salesperf check`;
these tests pin the exact behaviour of the pieces: what is refused, what is filled in, what
a rejection records, and that it stays fast.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from salesperf import paths
from salesperf.errors import DataError, SpecError
from salesperf.sources import load_source, xlsx_guard
from salesperf.sources.load import match_columns
from salesperf.sources.parse import clean_text, currency_marks, missing_markers, parse_numbers
from salesperf.spec import parse_spec
from salesperf.spec.models import SourceSpec
from tests.reliability.test_fuzz import MAKE

HEADER = '<row r="1"><c r="A1" t="inlineStr"><is><t>Date</t></is></c></row>'
ROW = '<row r="2"><c r="A2" t="inlineStr"><is><t>2017-06-01</t></is></c></row>'


def _load_sheet(tmp_path: Path, rows_xml: str) -> object:
    (tmp_path / "w.xlsx").write_bytes(MAKE.xlsx(f"<sheetData>{HEADER}{ROW}{rows_xml}</sheetData>"))
    source = SourceSpec(path="w.xlsx", columns={"date": "Date"})
    return load_source("o", source, tmp_path, shown_base=tmp_path)


# --- workbooks whose declared size would abort the Rust reader --------------------------------


@pytest.mark.parametrize(
    ("cell", "why"),
    [
        ('<c r="XFD1048576"><v>1</v></c>', "has cells as far as XFD1048576"),
        ('<c r="ZZ100000"><v>1</v></c>', "has cells as far as ZZ100000"),
        ('<c r = "xfd1048576"><v>1</v></c>', "has cells as far as XFD1048576"),  # spaces, case
        ("<c r='XFD1048576'><v>1</v></c>", "has cells as far as XFD1048576"),
        ('<c r="A00000000001048576"><v>1</v></c>', "beyond the last one Excel allows"),
        ('<c r="ZZZZ9"><v>1</v></c>', "beyond the last one Excel allows"),
        ('<c r="A2000000000"><v>1</v></c>', "beyond the last one Excel allows"),
    ],
)
def test_sheets_reaching_too_far_are_refused_before_calamine(
    tmp_path: Path, cell: str, why: str
) -> None:
    with pytest.raises(DataError) as exc:
        _load_sheet(tmp_path, f'<row r="9">{cell}</row>')
    (finding,) = exc.value.findings
    assert why in finding.message
    assert (finding.location.file, finding.location.key) == ("w.xlsx", "sheet")


def test_wide_or_tall_sheets_within_the_limit_load(tmp_path: Path) -> None:
    loaded = _load_sheet(tmp_path, '<row r="3"><c r="ZZ3"><v>1</v></c></row>')
    assert loaded.rows_loaded == 1  # row 3 has no date: rejected, not a crash
    loaded = _load_sheet(tmp_path, '<row r="100000"><c r="C100000"><v>1</v></c></row>')
    assert loaded.rows_read == 2


def test_a_reference_cut_at_a_chunk_boundary_is_still_seen(monkeypatch) -> None:
    import io

    xml = ("<x/>" * 50 + '<row r="7"><c r="XFD1048576"><v>1</v></c></row>').encode()
    for chunk in (7, 13, 64, 1 << 20):
        monkeypatch.setattr(xlsx_guard, "CHUNK", chunk)
        assert xlsx_guard._furthest_cell(io.BytesIO(xml)) == (1048576, 16384), chunk


def test_shared_string_count_larger_than_its_part_is_refused(tmp_path: Path) -> None:
    sst = (
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'uniqueCount="4000000000"><si><t>Date</t></si></sst>'
    )
    body = '<sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData>'
    (tmp_path / "w.xlsx").write_bytes(MAKE.xlsx(body, shared_strings=sst))
    with pytest.raises(DataError, match="declares 4,000,000,000 shared strings"):
        load_source("o", SourceSpec(path="w.xlsx", columns={"date": "Date"}), tmp_path)


# --- merged cells, repeated headers, BOMs ---------------------------------------------------


def test_merged_cells_fill_their_range_below_the_header_only(tmp_path: Path) -> None:
    rows = {
        1: ["Title over three columns"],
        2: ["Date", "Rep", "Amount"],
        3: ["2017-06-01", "R1", 1],
        4: ["2017-06-02", None, 2],
        5: ["2017-06-03", None, 3],
    }
    merges = '<mergeCells><mergeCell ref="A1:C1"/><mergeCell ref="B3:B9"/></mergeCells>'
    (tmp_path / "w.xlsx").write_bytes(MAKE.xlsx(MAKE._sheet(rows, merges)))
    source = SourceSpec(
        path="w.xlsx", header_row=2, columns={"date": "Date", "rep": "Rep", "amount": "Amount"}
    )
    loaded = load_source("o", source, tmp_path, None, ["amount"])
    assert loaded.frame["rep"].tolist() == ["R1", "R1", "R1"]
    assert loaded.rows_read == 3  # B6:B9 is merged but holds no rows of its own
    assert "1 merged cell range(s) below the header (first: B3:B9)" in loaded.warnings[0]


def test_a_repeated_header_row_is_rejected_with_its_bom_shown(tmp_path: Path) -> None:
    text = "Date,Amount\n2017-06-01,1\n\ufeffDate,Amount\n2017-06-02,2\n"
    (tmp_path / "a.csv").write_text(text, encoding="utf-8")
    source = SourceSpec(path="a.csv", columns={"date": "Date", "amount": "Amount"})
    loaded = load_source("o", source, tmp_path, None, ["amount"], shown_base=tmp_path)
    assert loaded.frame["amount"].tolist() == [1.0, 2.0]
    (rejection,) = loaded.rejected
    assert (rejection.row, rejection.reason, rejection.column) == (3, "repeated-header", "Date")
    assert rejection.value == "<BOM>Date"


@pytest.mark.parametrize(
    ("content", "rows"),
    [
        (b"0\n\xef\xbb\xbf\n", 0),  # found by test_fuzz: pandas raised EmptyDataError
        (b"Date\n\xef\xbb\xbf\n2017-06-01\n \xef\xbb\xbf \n", 1),
    ],
)
def test_a_line_holding_only_a_bom_is_blank(tmp_path: Path, content: bytes, rows: int) -> None:
    (tmp_path / "a.csv").write_bytes(content)
    header = content.split(b"\n")[0].decode()
    source = SourceSpec(path="a.csv", columns={"date": header})
    if not rows:  # blank lines only: a header without rows, which no command can use
        with pytest.raises(DataError, match="has no data rows"):
            load_source("o", source, tmp_path, shown_base=tmp_path)
        return
    loaded = load_source("o", source, tmp_path, shown_base=tmp_path)
    assert (loaded.rows_read, loaded.rows_loaded) == (rows, rows)


def test_title_block_points_at_the_header_row(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("Sales report\n\nDate,Amount\n2017-06-01,1\n")
    source = SourceSpec(path="a.csv", columns={"date": "Date", "amount": "Amount"})
    with pytest.raises(DataError) as exc:
        load_source("o", source, tmp_path, shown_base=tmp_path)
    hint = exc.value.findings[-1]
    assert hint.code == "header-row" and hint.location.line == 3
    assert "set header_row: 3" in hint.message


def test_an_unclosed_quote_is_reported_at_its_line(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text('Date,Rep\n2017-06-01,"R1\n2017-06-02,R2\n2017-06-03,R3\n')
    source = SourceSpec(path="a.csv", columns={"date": "Date", "rep": "Rep"})
    loaded = load_source("o", source, tmp_path, shown_base=tmp_path)
    assert any("opened on line 2 is never closed, so lines 2-4" in w for w in loaded.warnings)


# --- currencies ------------------------------------------------------------------------------


def _marks(values: list[str]) -> dict[str, list[int]]:
    import pandas as pd

    text = clean_text(pd.Series(values, dtype=object), missing_markers())
    numbers = parse_numbers(text)
    return {k: v.tolist() for k, v in currency_marks(text, numbers.bad).items()}


def test_currency_marks_group_symbols_and_codes_of_the_same_money() -> None:
    assert _marks(["$1", "USD 2", "3", "US$4"]) == {"$": [0, 1, 3]}
    assert _marks(["¥1", "2元", "CNY 3", "￥4"]) == {"¥": [0, 1, 2, 3]}
    assert _marks(["$1", "€2", "", "abc €"]) == {"$": [0], "€": [1]}  # bad numbers don't count


def test_mixed_currencies_name_the_rows_unless_a_currency_column_is_mapped(
    tmp_path: Path,
) -> None:
    (tmp_path / "a.csv").write_text('Date,Amount,Cur\n2017-06-01,$1,USD\n2017-06-02,"€2",EUR\n')
    columns = {"date": "Date", "amount": "Amount"}
    with pytest.raises(DataError) as exc:
        load_source("o", SourceSpec(path="a.csv", columns=columns), tmp_path, None, ["amount"])
    (finding,) = exc.value.findings
    assert finding.code == "mixed-currencies"
    assert (finding.location.line, finding.location.key) == (3, "Amount")
    assert "$ on 1 row(s): 2; € on 1 row(s): 3" in finding.message
    mapped = SourceSpec(path="a.csv", columns={**columns, "currency": "Cur"})
    loaded = load_source("o", mapped, tmp_path, None, ["amount"])
    assert loaded.frame["amount"].tolist() == [1.0, 2.0]


# --- headers: huge rows stay fast and short -----------------------------------------------------


def test_a_header_of_a_million_names_fails_fast_with_a_short_message() -> None:
    headers = [f"h{i}" for i in range(1_000_000)]
    started = time.monotonic()
    with pytest.raises(DataError) as exc:
        match_columns(headers, {"date": "Date", "amount": "Amount"}, "a.csv", 1)
    assert time.monotonic() - started < 5
    for finding in exc.value.findings:
        assert len(finding.message) < 1000
        assert "(1,000,000 names)" in finding.message


# --- paths: symlink loops, duplicates, hidden files ------------------------------------------


def test_double_star_does_not_follow_folder_links_and_counts_a_file_once(tmp_path: Path) -> None:
    sub = tmp_path / "data" / "june"
    sub.mkdir(parents=True)
    (sub / "orders.csv").write_text("x")
    (sub / ".~lock.orders.csv#").write_text("x")
    (tmp_path / "data" / ".hidden.csv").write_text("x")
    os.symlink("..", sub / "up")
    os.symlink("..", sub / "again")  # two loops: glob.glob would list 2**40 paths
    os.symlink("june/orders.csv", tmp_path / "data" / "alias.csv")  # the same file twice
    started = time.monotonic()
    found = paths.expand(tmp_path, "data/**/*.csv")
    assert time.monotonic() - started < 5
    assert [p.relative_to(tmp_path).as_posix() for p in found] == ["data/alias.csv"]
    assert paths.expand(tmp_path, "data/june/*.csv") == [sub / "orders.csv"]


def test_broken_links_folders_and_windows_drives_are_named(tmp_path: Path) -> None:
    os.symlink("b.csv", tmp_path / "a.csv")
    os.symlink("a.csv", tmp_path / "b.csv")
    assert paths.expand(tmp_path, "a.csv") == []
    assert paths.is_broken_link(tmp_path, "a.csv")
    assert paths.is_folder(tmp_path, ".")
    assert paths.is_foreign_drive("C:\\exports\\orders.csv") == (os.name != "nt")


# --- the spec ---------------------------------------------------------------------------------

SPEC = """\
version: 1
sources:
  orders:
    path: o.csv
    columns: {date: Date, amount: Amount}
kpis:
  - {id: revenue, name: Revenue, source: orders, measure: sum, column: amount, weight: 100}
"""


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("weight: 100", "weight: yes"), "kpis[0].weight: expected a number, got true"),
        (("weight: 100", "weight: 150"), "kpis[0].weight: must be at most 100, got '150'"),
        (("path: o.csv", "path: o.csv\n    header_row: 0"), "must be at least 1, got '0'"),
        (
            ("weight: 100}", "weight: 100, value: 5}"),
            "unknown key 'value' (`value:` belongs under `target:`)",
        ),
    ],
)
def test_spec_messages_for_wrong_types_bounds_and_nesting(
    change: tuple[str, str], message: str
) -> None:
    with pytest.raises(SpecError) as exc:
        parse_spec(SPEC.replace(*change), "kpi.yaml", check_paths=False)
    assert any(message in str(f) for f in exc.value.findings), exc.value


def test_deep_nesting_and_self_merges_are_spec_errors_with_lines() -> None:
    with pytest.raises(SpecError) as exc:
        parse_spec("version: 1\nx: " + "[" * 3000 + "]" * 3000 + "\n", "kpi.yaml")
    assert str(exc.value.findings[0]) == (
        "kpi.yaml:2: nested more than 64 levels deep; a kpi.yaml needs a few"
    )
    with pytest.raises(SpecError) as exc:
        parse_spec("version: 1\nd: &d\n  <<: *d\n  a: 1\n", "kpi.yaml")
    assert str(exc.value.findings[0]).startswith("kpi.yaml:3: '<<:' merges this mapping into")


def test_too_many_kpis_is_refused_before_validation() -> None:
    kpis = "".join(
        f"  - {{id: k{i}, name: K, source: orders, measure: count}}\n" for i in range(501)
    )
    started = time.monotonic()
    with pytest.raises(SpecError) as exc:
        parse_spec(SPEC.split("kpis:")[0] + "kpis:\n" + kpis, "kpi.yaml", check_paths=False)
    assert time.monotonic() - started < 5
    assert str(exc.value.findings[0]).startswith(
        "kpi.yaml:6: kpis: 501 KPIs; a spec holds at most 500"
    )


def test_numbers_only_sees_through_optional_and_annotated() -> None:
    from typing import Annotated

    from salesperf.spec.models import _numbers_only

    assert _numbers_only(float) and _numbers_only(int | None)
    assert _numbers_only(Annotated[float, "x"] | None)
    assert not _numbers_only(str | int | None) and not _numbers_only(bool)
