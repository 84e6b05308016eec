"""The report view model: every number a report shows, computed and formatted once.

Templates hold no arithmetic: they read this plain dict. Each value comes twice where a
template or a script may want either: raw (``attainment``: a fraction) and formatted
(``attainment_fmt``: "85%" in the report's locale). docs/templates.md documents the fields.

Sections appear when their data exists: ``scorecard``/``plans`` once an evaluation is
passed in, ``alerts`` once alerts are.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from babel.numbers import get_currency_symbol
from markupsafe import Markup

from salesperf import __version__, paths
from salesperf.engine.levels import COMPANY
from salesperf.engine.source_summary import summarise_source
from salesperf.formatting import BABEL_LOCALES, fmt_change, fmt_fraction, fmt_value
from salesperf.glossary import plain_note, word
from salesperf.report.charts import ChartWords, trend_svg
from salesperf.report.i18n import labels, level_name
from salesperf.report.verdict import verdict
from salesperf.spec.models import CUMULATIVE_MEASURES, Unit

if TYPE_CHECKING:
    import pandas as pd

    from salesperf.engine.pipeline import Results

REPORT_SCHEMA = "salesperf.report/1"
TREND_PERIODS = 12


def _num(value: Any) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if number != number else number


def _change(current: float | None, before: float | None) -> float | None:
    if current is None or before is None or before == 0:
        return None
    return current / before - 1


def generated_at() -> str | None:
    """Only with SOURCE_DATE_EPOCH: two runs on the same inputs give identical bytes."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if not epoch:
        return None
    try:
        stamp = dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC)
    except (ValueError, OverflowError):
        return None
    return stamp.strftime("%Y-%m-%d %H:%M UTC")


class _Fmt:
    """Formatting bound to the spec's currency and the report's locale."""

    def __init__(self, results: Results, locale: str) -> None:
        self.spec = results.spec
        self.locale = locale
        self.units = {k.id: k.unit for k in results.spec.kpis}
        # A report formats thousands of numbers, many of them repeated (zeros, fixed targets,
        # the hundred-odd whole percentages attainment and pace are shown as), and babel
        # takes tens of microseconds a number. The key keeps the sign of a zero: -0.0 == 0.0
        # but "-$0" is not "$0".
        self._values: dict[tuple[str, float | None, float], str] = {}
        self._fractions: dict[tuple[float | None, float], str] = {}

    def value(self, kpi: str, value: Any) -> str:
        number = _num(value)
        key = (kpi, number, 1.0 if number is None else math.copysign(1.0, number))
        if key not in self._values:
            self._values[key] = fmt_value(number, self.units[kpi], self.spec.currency, self.locale)
        return self._values[key]

    def fraction(self, value: Any) -> str:
        number = _num(value)
        key = (number, 1.0 if number is None else math.copysign(1.0, number))
        if key not in self._fractions:
            self._fractions[key] = fmt_fraction(number, self.locale)
        return self._fractions[key]

    def change(self, value: float | None) -> str:
        return fmt_change(value, self.locale)

    def gap(self, kpi: str, value: Any) -> str:
        """A distance to target, unsigned: "$12,345", or "3.5 pts" for a percent KPI
        (percentage points: "3.5%" would read as a share of the target)."""
        number = _num(value)
        if number is None:
            return "–"
        if self.units[kpi] is Unit.PERCENT:
            return word("points", self.locale, n=f"{abs(number) * 100:.1f}")
        return self.value(kpi, abs(number))


#: Pace statuses, which a closed period replaces with met or missed.
PACE_STATUSES = ("on_track", "at_risk", "behind")


def closed_status(status: str, attainment: float | None) -> str:
    """After the period ends nobody is "at risk": the target was met (attainment of at
    least 100%, as floored for display) or missed. No target or no data stay as they are."""
    if status not in PACE_STATUSES or attainment is None:
        return status
    return "met" if math.floor(attainment * 100 + 1e-9) >= 100 else "missed"


def result_words(fmt: _Fmt, words: dict[str, str], row: Any, status: str) -> str:
    """ "missed by $12,345 (−4%)" / "met, $800 (+2%) over" for a closed period; "" else.
    Percent KPIs say the gap in points, without a percent of a percent."""

    if status not in ("met", "missed"):
        return ""
    gap = _num(row.gap)
    target = _num(row.target)
    if gap is None or target is None or not target:
        return words[status]
    amount = fmt.gap(row.kpi, gap)
    if fmt.units[row.kpi] is Unit.PERCENT:
        return word(f"{status}_by_points", fmt.locale, amount=amount)
    attainment = _num(row.attainment)
    relative = fmt_change(None if attainment is None else attainment - 1, fmt.locale)
    return word(f"{status}_by", fmt.locale, amount=amount, percent=relative)


def _kpi_cell(fmt: _Fmt, words: dict[str, str], row: Any, closed: bool = False) -> dict[str, Any]:
    status = closed_status(row.status, _num(row.attainment)) if closed else row.status
    return {
        "kpi": row.kpi,
        "actual": _num(row.actual),
        "actual_fmt": fmt.value(row.kpi, row.actual),
        "target": _num(row.target),
        "target_fmt": fmt.value(row.kpi, row.target),
        "attainment": _num(row.attainment),
        "attainment_fmt": fmt.fraction(row.attainment),
        "bar_pct": round(100 * max(0.0, min(1.0, _num(row.attainment) or 0.0)), 1),
        "pace": _num(row.pace),
        "pace_fmt": fmt.fraction(row.pace),
        "projected": _num(row.projected),
        "projected_fmt": fmt.value(row.kpi, row.projected),
        "gap": _num(row.gap),
        "gap_fmt": fmt.gap(row.kpi, row.gap),
        "status": status,
        "status_label": words.get(status, status),
        "result_fmt": result_words(fmt, words, row, status),
        "note": note_words(row.note or "", fmt.locale),
    }


def _blank_cell(kpi: str, words: dict[str, str]) -> dict[str, Any]:
    """The cell of a KPI an entity has no row for."""
    dash = "–"
    return {
        "kpi": kpi,
        "actual": None,
        "actual_fmt": dash,
        "target": None,
        "target_fmt": dash,
        "attainment": None,
        "attainment_fmt": dash,
        "bar_pct": 0.0,
        "pace": None,
        "pace_fmt": dash,
        "projected": None,
        "projected_fmt": dash,
        "gap": None,
        "gap_fmt": dash,
        "status": "no_data",
        "status_label": words.get("no_data", "no_data"),
        "result_fmt": dash,
        "note": "",
    }


def note_words(note: str, locale: str) -> str:
    """The engine's notes in a manager's words (see :func:`salesperf.glossary.plain_note`)."""
    return plain_note(note, locale)


def build_view(
    results: Results,
    trend: pd.DataFrame,
    *,
    locale: str | None = None,
    alerts: list[dict[str, Any]] | None = None,
    scorecard: dict[str, Any] | None = None,
    charts: bool = True,
) -> dict[str, Any]:
    """The company/team report's view model. ``trend``: company actual (to date for the
    open period), projection and target per KPI and period (:func:`company_trend`, kept by
    :attr:`salesperf.review.Review.trend`). ``charts=False`` leaves out the trend charts'
    SVG (the trend numbers stay): JSON and Excel do not show pictures."""
    spec = results.spec
    locale = locale or spec.locale.value
    words = labels(locale)
    fmt = _Fmt(results, locale)
    table = results.table
    elapsed = _num(table["elapsed"].dropna().iloc[0]) if table["elapsed"].notna().any() else None
    closed = elapsed is None or elapsed >= 1
    view: dict[str, Any] = {
        "schema": REPORT_SCHEMA,
        "kind": "company",
        "meta": _meta(results, locale, elapsed),
        "labels": words,
        "headline": _headline(results, fmt, words, closed),
        "levels": _levels(results, fmt, words, locale, closed),
        "kpis": _kpi_sections(results, trend, fmt, words, charts, locale, closed),
        "alerts": alerts,
        "scorecard": scorecard,
        "data_quality": data_quality(results, locale),
        "provenance": provenance(results),
    }

    view["verdict"] = verdict(view, results)
    return view


def _meta(results: Results, locale: str, elapsed: float | None) -> dict[str, Any]:
    spec = results.spec
    words = labels(locale)
    return {
        "title": spec.title or words["report"],
        "period": results.period.label,
        "period_start": results.period.start.isoformat(),
        "period_end": (results.period.end - dt.timedelta(days=1)).isoformat(),
        "as_of": results.as_of.isoformat(),
        "open": elapsed is not None and elapsed < 1,
        "elapsed": elapsed,
        "elapsed_fmt": fmt_fraction(elapsed, locale),
        "elapsed_text": word("elapsed_text", locale, share=fmt_fraction(elapsed, locale)),
        "open_note": word("open_note", locale, date=results.as_of.isoformat()),
        "pace_help": word("pace_help", locale, date=results.as_of.isoformat()),
        "locale": locale,
        "lang": "zh-CN" if locale == "zh-CN" else "en",
        "currency": spec.currency,
        "generated": generated_at(),
        "version": __version__,
    }


def _company_actuals(results: Results) -> dict[tuple[str, int], float]:
    """(kpi, period ordinal) -> the company's actual, the first cube row of each: one pass
    over the cube instead of filtering all of it twice per KPI."""
    cube = results.cube
    company = cube[(cube["level"] == COMPANY) & (cube["entity"] == COMPANY)]
    company = company.drop_duplicates(["kpi", "p"], keep="first")
    keys = zip(company["kpi"].tolist(), company["p"].tolist(), strict=True)
    return dict(zip(keys, company["actual"].tolist(), strict=True))


def _headline(
    results: Results, fmt: _Fmt, words: dict[str, str], closed: bool
) -> list[dict[str, Any]]:
    """Company row per KPI, against last period and the same period last year.

    While a period is open, KPIs that accumulate compare their *projection* with the
    earlier periods' totals (comparing a half month with a whole one says nothing).
    """
    rows = results.table[results.table["level"] == COMPANY]
    previous = results.period.ordinal - 1
    last_year = results.calendar.last_year(results.period).ordinal
    kpis = {k.id: k for k in results.spec.kpis}
    actuals = _company_actuals(results)
    out = []
    for row in rows.itertuples(index=False):
        kpi = kpis[row.kpi]
        compare = _num(row.projected) if kpi.measure in CUMULATIVE_MEASURES else _num(row.actual)
        before = _num(actuals.get((row.kpi, previous)))
        year_ago = _num(actuals.get((row.kpi, last_year)))
        cell = _kpi_cell(fmt, words, row, closed)
        cell.update(
            {
                "name": row.kpi_name,
                "unit": kpi.unit.value,
                "weight": kpi.weight,
                "previous": before,
                "previous_fmt": fmt.value(row.kpi, before),
                "change_previous": _change(compare, before),
                "change_previous_fmt": fmt.change(_change(compare, before)),
                "last_year": year_ago,
                "last_year_fmt": fmt.value(row.kpi, year_ago),
                "change_last_year": _change(compare, year_ago),
                "change_last_year_fmt": fmt.change(_change(compare, year_ago)),
            }
        )
        out.append(cell)
    return out


def _levels(
    results: Results, fmt: _Fmt, words: dict[str, str], locale: str, closed: bool
) -> list[dict[str, Any]]:
    """Roll-ups per roster level (outermost first), each entity with its members below."""
    table = results.table
    kpi_order = [k.id for k in results.spec.kpis]
    out = []
    for level in [*reversed(results.org.levels), "rep"]:
        rows = table[table["level"] == level]
        if rows.empty:
            continue
        # One pass over the level's rows, each cell filed under its entity's group number:
        # itertuples once per entity cost more than building the cells.
        codes = rows.groupby(["entity", "name", "parent"], dropna=False, sort=True).ngroup()
        by_group: dict[int, dict[str, dict[str, Any]]] = {}
        firsts: dict[int, Any] = {}
        for code, r in zip(codes.tolist(), rows.itertuples(index=False), strict=True):
            by_group.setdefault(code, {})[r.kpi] = _kpi_cell(fmt, words, r, closed)
            firsts.setdefault(code, r)
        entities = []
        for code in sorted(by_group):
            first, by_kpi = firsts[code], by_group[code]
            parent = first.parent
            entities.append(
                {
                    "entity": str(first.entity),
                    "name": str(first.name),
                    # Without teams every rep's parent is the company: not a team to show.
                    "parent": None
                    if parent is None or parent != parent or parent == COMPANY
                    else str(parent),
                    # "(unassigned)" has rows for additive KPIs only: a dash elsewhere
                    # keeps every row of the table as wide as its header.
                    "kpis": [by_kpi.get(k) or _blank_cell(k, words) for k in kpi_order],
                }
            )
        entities.sort(key=lambda e: (e["parent"] or "", e["name"]))
        out.append(
            {
                "level": level,
                "label": words["by_level"].format(level=level_name(level, locale)),
                "level_name": level_name(level, locale),
                "entities": entities,
            }
        )
    return out


def company_trend(results: Results, history: pd.DataFrame) -> pd.DataFrame:
    """The company's trend: ``history`` (earlier periods' company kpi, period, actual,
    target) and the reviewed period last.

    ``actual`` is always what happened: the open period's actual *to date*. ``projected``
    (the run-rate projection for the whole period) is filled only for the open period of a
    KPI that accumulates, and is never plotted as an actual.
    """
    history = history[history["level"] == COMPANY][["kpi", "period", "actual", "target"]]
    history = history.assign(projected=float("nan"))
    current = results.table[results.table["level"] == COMPANY]
    cumulative = {k.id for k in results.spec.kpis if k.measure in CUMULATIVE_MEASURES}
    elapsed = pd.to_numeric(current["elapsed"], errors="coerce")
    is_open = current["kpi"].isin(list(cumulative)) & (elapsed < 1)
    now = pd.DataFrame(
        {
            "kpi": current["kpi"],
            "period": current["period"],
            "actual": current["actual"],
            "target": current["target"],
            "projected": pd.to_numeric(current["projected"], errors="coerce").where(is_open),
        }
    )
    return pd.concat([history, now], ignore_index=True)


def _chart_kind(unit: Unit) -> str:
    return {Unit.PERCENT: "percent", Unit.CURRENCY: "currency", Unit.COUNT: "count"}.get(
        unit, "number"
    )


def currency_symbol(currency: str, locale: str) -> str:

    return str(get_currency_symbol(currency, BABEL_LOCALES.get(locale, "en_US")))


def _trend_caption(
    results: Results, fmt: _Fmt, words: dict[str, str], kpi_id: str, points: pd.DataFrame
) -> tuple[str, str]:
    """(chart title, caption): the title counts the periods really shown; the caption says
    which point is to date, which is projected, and where a target is missing."""

    locale = fmt.locale
    shown = len(points)
    title = word("trend_chart", locale, n=shown) if shown > 1 else word("trend_chart_one", locale)
    notes = []
    last = points.iloc[-1] if shown else None
    elapsed = results.table["elapsed"].dropna()
    share = float(elapsed.iloc[0]) if len(elapsed) else 1.0
    if last is not None and share < 1:
        if _num(last["projected"]) is not None:
            notes.append(
                word(
                    "trend_open",
                    locale,
                    period=last["period"],
                    actual=fmt.value(kpi_id, last["actual"]),
                    elapsed=fmt_fraction(share, locale),
                    projected=fmt.value(kpi_id, last["projected"]),
                )
            )
        else:
            notes.append(
                word(
                    "trend_open_ratio",
                    locale,
                    period=last["period"],
                    elapsed=fmt_fraction(share, locale),
                )
            )
    missing = [str(p) for p, t in zip(points["period"], points["target"], strict=True) if t != t]
    if missing and len(missing) < shown:
        notes.append(word("trend_gaps", locale, periods=", ".join(missing)))
    return title, " ".join(notes)


def _kpi_sections(
    results: Results,
    series: pd.DataFrame,
    fmt: _Fmt,
    words: dict[str, str],
    charts: bool,
    locale: str,
    closed: bool,
) -> list[dict[str, Any]]:
    table = results.table
    # The trend is data (JSON, Excel, templates); only its picture is optional.
    first_level = results.org.levels[0] if results.org.levels else "rep"
    symbol = currency_symbol(results.spec.currency, locale)
    chart_words = ChartWords(words["actual"], words["target"], words["projected"], words["to_date"])
    out = []
    for kpi in results.spec.kpis:
        rows = table[(table["kpi"] == kpi.id) & (table["level"] == first_level)]
        rows = rows.sort_values(
            ["attainment", "entity"], ascending=[False, True], na_position="last"
        )
        points = series[series["kpi"] == kpi.id]
        title, caption = _trend_caption(results, fmt, words, kpi.id, points)
        section: dict[str, Any] = {
            "kpi": kpi.id,
            "name": kpi.name,
            "description": kpi.description or "",
            "unit": kpi.unit.value,
            "level": first_level,
            "level_name": level_name(first_level, locale),
            "chart_title": title,
            "chart_caption": caption,
            "entities": [
                {"entity": r.entity, "name": r.name, **_kpi_cell(fmt, words, r, closed)}
                for r in rows.itertuples(index=False)
            ],
            "chart_svg": None,
            "chart_file": None,
            "trend": [
                {"period": p, "actual": _num(a), "target": _num(t), "projected": _num(x)}
                for p, a, t, x in zip(
                    points["period"],
                    points["actual"],
                    points["target"],
                    points["projected"],
                    strict=True,
                )
            ],
        }
        if charts and len(points) >= 2:
            # Markup: the SVG is made here from numbers and fixed labels, never from
            # user text, so it is inlined as is while everything else is escaped.
            section["chart_svg"] = Markup(
                trend_svg(
                    list(points["period"]),
                    list(points["actual"]),
                    list(points["target"]),
                    projected=_num(points["projected"].iloc[-1]),
                    words=chart_words,
                    kind=_chart_kind(kpi.unit),
                    currency_symbol=symbol,
                    locale=locale,
                )
            )
        out.append(section)
    return out


def data_quality(results: Results, locale: str = "en") -> list[dict[str, Any]]:
    """Per source: rows read and rejected (by reason), duplicates, unknown reps."""

    out = []
    for name in results.dataset.sources:
        summary = summarise_source(results.dataset, name, results.as_of)
        out.append(
            {
                "source": name,
                "files": [relative_to_spec(f.path, results.spec.base_dir) for f in summary.files],
                "rows_read": summary.rows_read,
                "rows_read_fmt": fmt_value(summary.rows_read, Unit.COUNT, locale=locale),
                "rows_loaded": summary.rows_loaded,
                "rows_loaded_fmt": fmt_value(summary.rows_loaded, Unit.COUNT, locale=locale),
                "rejected": [
                    {"reason": reason, "count": info["count"], "rows": info["rows"]}
                    for reason, info in summary.rejected.items()
                ],
                "duplicate_keys": summary.duplicate_keys,
                "duplicate_examples": summary.duplicate_examples,
                "unknown_reps": summary.unknown_reps,
                "future_dates": summary.future_dates,
                "warnings": [*summary.warnings, *_stale(summary.date_max, results.as_of)],
                "notes": _coverage_notes(results, summary, locale),
            }
        )
    return out


def _coverage_notes(results: Results, summary: Any, locale: str) -> list[dict[str, Any]]:
    """Rows outside the source and rows KPIs cannot count, as sentences for the report."""
    words = labels(locale)
    names = {k.id: k.name for k in results.spec.kpis}
    notes = []
    if summary.rows_outside:
        rows = fmt_value(summary.rows_outside, Unit.COUNT, locale=locale)
        text = words["outside_where"].format(rows=rows, source=summary.name)
        notes.append({"text": text, "expected": True})
    for gap in summary.not_counted:
        rows = fmt_value(gap["rows"], Unit.COUNT, locale=locale)
        text = words["not_counted"].format(
            rows=rows, source=summary.name, field=gap["field"], kpi=names[gap["kpi"]]
        )
        if gap["expected"]:
            reason = gap["reason"]
            why = words["expected_because"].format(reason=reason) if reason else words["expected"]
            text += why
        notes.append({"text": text, "expected": gap["expected"]})
    return notes


def _stale(date_max: str | None, as_of: dt.date) -> list[str]:
    """The report's line for a source that stops before as-of (see engine.pipeline)."""
    if date_max is None or date_max >= as_of.isoformat():
        return []
    return [f"no rows after {date_max}: actuals after that date are 0 because the data stops"]


def _sha256(path: str | Path) -> str | None:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None


def relative_to_spec(path: str | Path, base: str | Path) -> str:
    """A file as the reader knows it: relative to kpi.yaml's folder (``data/orders.csv``),
    never an absolute path that names the machine and its user; a file outside that
    folder keeps only its name."""
    file = Path(os.path.abspath(path))
    folder = Path(os.path.abspath(base))
    try:
        return file.relative_to(folder).as_posix()
    except ValueError:
        return file.name


def provenance(results: Results) -> dict[str, Any]:
    """What the report was made from: enough to tell whether a rerun used the same data.
    Paths are relative to kpi.yaml's folder, whatever folder the report was made in."""
    spec = results.spec
    spec_file = Path(spec.path)
    base = spec.base_dir
    inputs = []
    for loaded in [*results.dataset.sources.values(), results.dataset.roster]:
        if loaded is None:
            continue
        for info in loaded.files:
            inputs.append(
                {
                    "path": relative_to_spec(info.path, base),
                    "rows": info.rows_read,
                    "sha256": info.sha256,
                }
            )
    if spec.targets is not None and spec.targets.overrides:
        for file in paths.expand(Path(spec.base_dir), spec.targets.overrides):
            inputs.append(
                {"path": relative_to_spec(file, base), "rows": None, "sha256": _sha256(file)}
            )
    return {
        "spec": {"path": spec_file.name, "sha256": _sha256(spec_file)},
        "inputs": inputs,
        "version": __version__,
        "period": results.period.label,
        "as_of": results.as_of.isoformat(),
    }
