"""The report as an Excel workbook: real numbers with number formats, never strings.

Sheets: Summary, Scorecard, KPI results, Alerts, Data quality, named (with their headers,
statuses and alert labels) in the spec's language from :mod:`salesperf.glossary`. Every
text cell goes through :func:`salesperf.outputs.xlsx_text` (formulas neutralised, control
characters an .xlsx cannot hold replaced), so a customer called ``=HYPERLINK(...)`` stays
text.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd
from babel.numbers import get_currency_symbol
from openpyxl import Workbook
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from salesperf.engine.pipeline import TABLE_COLUMNS
from salesperf.glossary import WORDS, level_word, word
from salesperf.outputs import xlsx_text
from salesperf.spec.models import Unit

if TYPE_CHECKING:
    from salesperf.report import ReportBundle

STATUS_FILLS = {
    "on_track": "DAFBE1",
    "met": "DAFBE1",
    "at_risk": "FFF8C5",
    "behind": "FFEBE9",
    "missed": "FFEBE9",
}
PERCENT = "0.0%"
COUNT = "#,##0.##"


def _number_format(unit: str, currency_format: str) -> str:
    return {
        Unit.CURRENCY.value: currency_format,
        Unit.PERCENT.value: PERCENT,
        Unit.COUNT.value: COUNT,
    }.get(unit, "#,##0.00")


def _clean(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float) and value != value:
        return None
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if isinstance(value, dict | list):
        return None
    return xlsx_text(value)


def workbook_bytes(bundle: ReportBundle) -> bytes:
    """The workbook of a report, byte for byte the same for the same report."""
    spec = bundle.results.spec
    symbol = get_currency_symbol(
        spec.currency, locale="zh_CN" if bundle.locale == "zh-CN" else "en_US"
    )
    words = bundle.view["labels"]
    book = _Book(
        Workbook(), money=f'"{symbol}"#,##0;-"{symbol}"#,##0', locale=bundle.locale, words=words
    )
    _summary(book, bundle.view["headline"], words)
    book.wb.remove(book.wb["Sheet"])
    book.wb.move_sheet(book.title("summary"), offset=-len(book.wb.sheetnames))
    _scorecard(book, bundle.view.get("scorecard") or {"kpis": [], "rows": []}, words)
    _results(book, bundle.results.table, {k.id: k.unit.value for k in spec.kpis})
    _alerts(book, bundle.alerts or [], words)
    _data_quality(book, bundle.view["data_quality"], words)
    buffer = io.BytesIO()
    book.wb.properties.creator = "salesperf"
    # Fixed timestamps: the same inputs give the same bytes.
    fixed = dt.datetime(2000, 1, 1)
    book.wb.properties.created = fixed
    book.wb.properties.modified = fixed
    book.wb.save(buffer)
    return _normalise_zip(buffer.getvalue())


#: A column's number format: one for the whole column, or one per data row (0-based).
Format = str | Callable[[int], str]


@dataclass
class _Book:
    """The workbook being written, the currency format of its money cells, and the
    report's language (sheet names, headers and statuses)."""

    wb: Workbook
    money: str
    locale: str = "en"
    words: dict[str, str] | None = None

    def title(self, key: str) -> str:
        return word(f"sheet.{key}", self.locale)

    def column(self, name: str) -> str:
        """A results-table column's header in the report's language (its id otherwise)."""
        return word(f"col.{name}", self.locale) if f"col.{name}" in WORDS else name

    def status(self, status: str) -> str:
        return (self.words or {}).get(status, status)

    def sheet(
        self, title: str, headers: list[str], rows: list[list[Any]], formats: dict[int, Format]
    ) -> Worksheet:
        """A sheet with a bold, frozen, filterable header row; `formats` by 1-based column."""
        ws: Worksheet = self.wb.create_sheet(title)
        ws.append([xlsx_text(h) for h in headers])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in rows:
            ws.append([_clean(v) for v in row])
        for column, fmt in formats.items():
            for r in range(2, len(rows) + 2):
                cell = ws.cell(row=r, column=column)
                cell.number_format = fmt(r - 2) if callable(fmt) else fmt
        ws.freeze_panes = "A2"
        if rows:
            ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{len(rows) + 1}"
        for i, header in enumerate(headers, start=1):
            width = max(
                [len(str(header))]
                + [len(str(r[i - 1])) for r in rows[:200] if r[i - 1] is not None]
            )
            ws.column_dimensions[get_column_letter(i)].width = min(max(10, width + 2), 48)
        return ws

    def unit_format(self, unit: str) -> str:
        return _number_format(unit, self.money)


def _status_fills(book: _Book, ws: Worksheet, column: int, count: int) -> None:
    """Colour each of the first `count` data rows by the status (in words) in `column`."""
    if not count:
        return
    letter = get_column_letter(column)
    area = f"A2:{get_column_letter(ws.max_column)}{count + 1}"
    for status, colour in STATUS_FILLS.items():
        ws.conditional_formatting.add(
            area,
            FormulaRule(  # type: ignore[no-untyped-call]  # unannotated in types-openpyxl
                formula=[f'${letter}2="{book.status(status)}"'],
                fill=PatternFill(start_color=colour, end_color=colour, fill_type="solid"),
            ),
        )


def _summary(book: _Book, headline: list[dict[str, Any]], words: dict[str, str]) -> None:
    """Summary: the headline, one row per KPI."""
    keys = ["actual", "target", "attainment", "pace", "projected", "previous", "last_year"]
    rows = [[k["name"], *(k[key] for key in keys), k["status_label"]] for k in headline]

    def unit_of(index: int) -> str:
        return book.unit_format(headline[index]["unit"])

    ws = book.sheet(
        book.title("summary"),
        [words["kpi"], *(words[key] for key in keys), words["status"]],
        rows,
        {2: unit_of, 3: unit_of, 4: PERCENT, 5: PERCENT, 6: unit_of, 7: unit_of, 8: unit_of},
    )
    _status_fills(book, ws, 9, len(rows))


def _scorecard(book: _Book, card: dict[str, Any], words: dict[str, str]) -> None:
    """Scorecard: rank, rep, team, total score and tier, then each KPI's scored figure,
    named as it is: pace while the period is open, attainment once it is closed."""
    kpi_names = [k["name"] for k in card["kpis"]]
    rows = [
        [
            r["rank"],
            r["name"],
            r["entity"],
            r["parent"],
            r["total"],
            r["tier"],
            *[c["value"] for c in r["kpis"]],
        ]
        for r in card["rows"]
    ]
    measure = card.get("measure_label", words["pace"])
    headers = [words["rank"], words["rep"], book.column("id"), words["team"], words["score"]]
    headers.append(words["tier"])
    book.sheet(
        book.title("scorecard"),
        [*headers, *(f"{name} ({measure})" for name in kpi_names)],
        rows,
        {5: "0.0%", **{7 + i: PERCENT for i in range(len(kpi_names))}},
    )


def _results(book: _Book, table: pd.DataFrame, units: dict[str, str]) -> None:
    """KPI results: the whole results table, raw numbers."""
    # Every column of the results table but the target basis (a nested dict); the number
    # formats below are by position in this list.
    columns = [c for c in TABLE_COLUMNS if c != "target_basis"]
    position = {c: i + 1 for i, c in enumerate(columns)}
    records = table[columns].to_dict(orient="records")
    rows = [[book.status(r[c]) if c == "status" else r[c] for c in columns] for r in records]

    def value_format(index: int) -> str:
        return book.unit_format(units.get(records[index]["kpi"], "number"))

    values = ("actual", "target", "gap", "expected_to_date", "projected")
    formats: dict[int, Format] = {position[c]: value_format for c in values}
    formats.update({position[c]: PERCENT for c in ("attainment", "pace", "elapsed")})
    ws = book.sheet(book.title("kpis"), [book.column(c) for c in columns], rows, formats)
    _status_fills(book, ws, position["status"], len(rows))


def _alerts(book: _Book, alerts: list[dict[str, Any]], words: dict[str, str]) -> None:
    headers = [words[w] for w in ("severity", "rule", "level")] + [book.column("id")]
    headers += [words["name"], words["kpi"], book.column("message")]
    keys = ("severity_label", "rule_label", "level", "entity", "who", "kpi_name", "message")
    rows = [[a[key] for key in keys] for a in alerts]
    for row in rows:
        row[2] = level_word(row[2], book.locale) if row[2] else None
    book.sheet(book.title("alerts"), headers, rows, {})


def _data_quality(book: _Book, quality: list[dict[str, Any]], words: dict[str, str]) -> None:
    """Data quality: per source, rows read and loaded, and what was wrong."""
    headers = ["source", "rows_read", "rows_loaded", "rejected", "duplicates", "unknown_reps"]
    rows = [
        [
            q["source"],
            q["rows_read"],
            q["rows_loaded"],
            "; ".join(f"{r['count']} {r['reason']}" for r in q["rejected"]),
            "; ".join(q["duplicate_examples"]),
            ", ".join(q["unknown_reps"]),
            ", ".join(q["files"]),
            "; ".join(n["text"] for n in q.get("notes", [])),
        ]
        for q in quality
    ]
    book.sheet(
        book.title("data_quality"),
        [*(words[h] for h in headers), words["files"], words["coverage"]],
        rows,
        {2: "#,##0", 3: "#,##0"},
    )


def _normalise_zip(data: bytes) -> bytes:
    """Rewrite the xlsx zip with fixed member timestamps (openpyxl stamps the wall clock)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            info = zipfile.ZipInfo(item.filename, date_time=(2000, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = item.external_attr
            payload = source.read(item.filename)
            if item.filename == "docProps/core.xml":
                # openpyxl stamps "modified" with the wall clock at save time.
                payload = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                    rb"\g<1>2000-01-01T00:00:00Z\g<2>",
                    payload,
                )
            target.writestr(info, payload)
    return out.getvalue()
