"""The report as an Excel workbook: real numbers with number formats, never strings.

Sheets: Summary, Scorecard, KPI results, Alerts, Data quality. Every text cell goes through
:func:`salesperf.outputs.neutralise`, so a customer called ``=HYPERLINK(...)`` stays text.
"""

from __future__ import annotations

import io
import re
from typing import TYPE_CHECKING, Any

from salesperf.engine.pipeline import TABLE_COLUMNS
from salesperf.outputs import neutralise
from salesperf.spec.models import Unit

if TYPE_CHECKING:
    from salesperf.report import ReportBundle

STATUS_FILLS = {
    "on_track": "DAFBE1",
    "at_risk": "FFF8C5",
    "behind": "FFEBE9",
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
    return neutralise(value)


def workbook_bytes(bundle: ReportBundle) -> bytes:
    from babel.numbers import get_currency_symbol
    from openpyxl import Workbook
    from openpyxl.formatting.rule import FormulaRule
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    results = bundle.results
    view = bundle.view
    words = view["labels"]
    spec = results.spec
    symbol = get_currency_symbol(
        spec.currency, locale="zh_CN" if bundle.locale == "zh-CN" else "en_US"
    )
    money = f'"{symbol}"#,##0;-"{symbol}"#,##0'
    units = {k.id: k.unit.value for k in spec.kpis}

    wb = Workbook()
    bold = Font(bold=True)

    def sheet(
        title: str, headers: list[str], rows: list[list[Any]], formats: dict[int, Any]
    ) -> Any:
        ws = wb.create_sheet(title)
        ws.append([neutralise(h) for h in headers])
        for cell in ws[1]:
            cell.font = bold
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

    def status_fills(ws: Any, column: int, count: int) -> None:
        if not count:
            return
        letter = get_column_letter(column)
        area = f"A2:{get_column_letter(ws.max_column)}{count + 1}"
        for status, colour in STATUS_FILLS.items():
            ws.conditional_formatting.add(
                area,
                FormulaRule(
                    formula=[f'${letter}2="{status}"'],
                    fill=PatternFill(start_color=colour, end_color=colour, fill_type="solid"),
                ),
            )

    # Summary: the headline
    headline = view["headline"]
    summary_rows = [
        [
            k["name"],
            k["actual"],
            k["target"],
            k["attainment"],
            k["pace"],
            k["projected"],
            k["previous"],
            k["last_year"],
            k["status"],
        ]
        for k in headline
    ]

    def unit_of(index: int) -> str:
        return _number_format(headline[index]["unit"], money)

    ws = sheet(
        "Summary",
        [
            words["kpi"],
            words["actual"],
            words["target"],
            words["attainment"],
            words["pace"],
            words["projected"],
            words["previous"],
            words["last_year"],
            words["status"],
        ],
        summary_rows,
        {2: unit_of, 3: unit_of, 4: PERCENT, 5: PERCENT, 6: unit_of, 7: unit_of, 8: unit_of},
    )
    status_fills(ws, 9, len(summary_rows))
    wb.remove(wb["Sheet"])
    wb.move_sheet("Summary", offset=-len(wb.sheetnames))

    # Scorecard
    card = view.get("scorecard") or {"kpis": [], "rows": []}
    kpi_names = [k["name"] for k in card["kpis"]]
    score_rows = [
        [
            r["rank"],
            r["name"],
            r["entity"],
            r["parent"],
            r["total"],
            r["tier"],
            *[c["attainment"] for c in r["kpis"]],
        ]
        for r in card["rows"]
    ]
    sheet(
        "Scorecard",
        [
            words["rank"],
            words["rep"],
            "id",
            words["team"],
            words["score"],
            words["tier"],
            *kpi_names,
        ],
        score_rows,
        {5: "0.0%", **{7 + i: PERCENT for i in range(len(kpi_names))}},
    )

    # KPI results: the whole results table, raw numbers
    table = results.table
    # Every column of the results table but the target basis (a nested dict); the number
    # formats below are by position in this list.
    columns = [c for c in TABLE_COLUMNS if c != "target_basis"]
    position = {c: i + 1 for i, c in enumerate(columns)}
    records = table[columns].to_dict(orient="records")
    result_rows = [[r[c] for c in columns] for r in records]

    def value_format(index: int) -> str:
        return _number_format(units.get(records[index]["kpi"], "number"), money)

    ws = sheet(
        "KPI results",
        columns,
        result_rows,
        {
            **{
                position[c]: value_format
                for c in ("actual", "target", "gap", "expected_to_date", "projected")
            },
            **{position[c]: PERCENT for c in ("attainment", "pace", "elapsed")},
        },
    )
    status_fills(ws, position["status"], len(result_rows))

    # Alerts
    alerts = bundle.alerts or []
    sheet(
        "Alerts",
        [
            words["severity"],
            words["rule"],
            words["level"],
            "id",
            words["name"],
            words["kpi"],
            "message",
        ],
        [
            [
                a["severity"],
                a["rule"],
                a["level"],
                a["entity"],
                a["who"],
                a["kpi_name"],
                a["message"],
            ]
            for a in alerts
        ],
        {},
    )

    # Data quality
    quality = view["data_quality"]
    sheet(
        "Data quality",
        [
            words["source"],
            words["rows_read"],
            words["rows_loaded"],
            words["rejected"],
            words["duplicates"],
            words["unknown_reps"],
            words["files"],
        ],
        [
            [
                q["source"],
                q["rows_read"],
                q["rows_loaded"],
                "; ".join(f"{r['count']} {r['reason']}" for r in q["rejected"]),
                "; ".join(q["duplicate_examples"]),
                ", ".join(q["unknown_reps"]),
                ", ".join(q["files"]),
            ]
            for q in quality
        ],
        {2: "#,##0", 3: "#,##0"},
    )
    buffer = io.BytesIO()
    wb.properties.creator = "salesperf"
    # Fixed timestamps: the same inputs give the same bytes.
    import datetime as dt

    fixed = dt.datetime(2000, 1, 1)
    wb.properties.created = fixed
    wb.properties.modified = fixed
    wb.save(buffer)
    return _normalise_zip(buffer.getvalue())


def _normalise_zip(data: bytes) -> bytes:
    """Rewrite the xlsx zip with fixed member timestamps (openpyxl stamps the wall clock)."""
    import zipfile

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
