"""`salesperf feedback-form`: an Excel form managers and peers fill in, read back unchanged.

One row per rep (x kind, x criterion when configured) with the date, rep and kind already
filled in, a 1-5 score picked from a dropdown (data validation) and a free comment. The
date is the period's last day, so every rating lands in the period it reviews.

Round trip: the form's headers are the ones the feedback source (``feedback_form.source``,
default ``feedback``) already maps, and the report language's defaults for fields it does
not map (:data:`HEADERS`). So the filled-in workbook is loaded by the ordinary loader with
the mapping in :attr:`FeedbackForm.mapping_yaml`; rows left without a score are blank
(NaN) and count for nothing. Unmapped columns (name, team) are there for the reviewer only.

Every text cell goes through :func:`salesperf.outputs.xlsx_text` (a rep called
``=HYPERLINK(...)`` stays text) and the file is written atomically.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from salesperf.engine.org import build_org
from salesperf.engine.pipeline import resolve_period
from salesperf.errors import Finding, Level, Location, UsageError, argument, did_you_mean
from salesperf.outputs import atomic_write_bytes, refuse_inputs, xlsx_text
from salesperf.sources.dataset import load_dataset
from salesperf.spec.models import FeedbackFormSpec

if TYPE_CHECKING:
    from salesperf.engine.org import Org
    from salesperf.periods import Calendar, Period
    from salesperf.sources.dataset import Dataset
    from salesperf.spec import Spec

SCALE = (1, 2, 3, 4, 5)
#: Default headers by report language; a field the feedback source maps keeps its header.
HEADERS: dict[str, dict[str, str]] = {
    "en": {
        "date": "Date",
        "rep": "Rep",
        "name": "Name",
        "team": "Team",
        "kind": "Kind",
        "criterion": "Criterion",
        "reviewer": "Reviewer",
        "score": "Score",
        "comment": "Comment",
    },
    "zh-CN": {
        "date": "日期",
        "rep": "销售员",
        "name": "姓名",
        "team": "团队",
        "kind": "类型",
        "criterion": "评价维度",
        "reviewer": "评价人",
        "score": "评分",
        "comment": "评语",
    },
}
SHEET = {"en": "Feedback", "zh-CN": "反馈"}
HELP_SHEET = {"en": "Instructions", "zh-CN": "填写说明"}
#: Fields the loader reads back (the others are for the reviewer's eyes only).
LOADED_FIELDS = ("date", "rep", "kind", "criterion", "reviewer", "score", "comment")
_HELP = {
    "en": [
        "Feedback form: {title}, {period}.",
        "Pick a score in the {score} column: 1 = poor, 2 = below expectations, "
        "3 = meets expectations, 4 = strong, 5 = outstanding.",
        "Leave the score empty to skip a row. A comment is optional but helps the rep most.",
        "Do not change the headers or the {date}, {rep} and {kind} columns: salesperf "
        "reads this sheet back as it is.",
        "To use the filled-in form, add it to kpi.yaml under sources:",
    ],
    "zh-CN": [
        "反馈表：{title}，{period}。",
        "在“{score}”列选择分数：1 = 差，2 = 低于预期，3 = 符合预期，4 = 良好，5 = 优秀。",
        "不评分的行请留空。评语可选，但对销售员最有帮助。",
        "请勿修改表头以及“{date}”“{rep}”“{kind}”列：salesperf 会按原样读取本表。",
        "填写完成后，在 kpi.yaml 的 sources: 下加入：",
    ],
}
_PROMPT = {
    "en": ("Score", "Pick 1 (poor) to 5 (outstanding)", "Please pick a whole number 1-5."),
    "zh-CN": ("评分", "选择 1（差）到 5（优秀）", "请选择 1 到 5 的整数。"),
}


@dataclass(frozen=True)
class FeedbackForm:
    """A built form: the workbook bytes and what is in it."""

    period: str
    date: dt.date
    kinds: tuple[str, ...]
    criteria: tuple[str, ...]
    reps: int
    rows: int
    #: field -> header, in column order (loaded fields and the name/team helpers).
    headers: dict[str, str]
    #: The `sources:` entry that loads the filled-in form.
    mapping_yaml: str
    data: bytes
    #: Files the form was built from (never overwritten by :func:`write_feedback_form`).
    inputs: tuple[str, ...] = ()
    #: Kinds no KPI reads yet (ratings of these kinds are loaded but not scored).
    unused_kinds: tuple[str, ...] = field(default_factory=tuple)


def build_feedback_form(
    spec: Spec,
    *,
    period: str | None = None,
    kinds: list[str] | None = None,
    team: str | None = None,
    dataset: Dataset | None = None,
    file_name: str = "feedback-form.xlsx",
) -> FeedbackForm:
    """Build the form for ``period`` (default: the period containing the data's last date).

    ``kinds`` default to ``feedback_form.kinds`` (``[manager]``); ``team`` limits the rows to
    one team's reps. ``file_name`` only appears in the suggested ``path:`` of the mapping.
    """

    settings = spec.feedback_form or FeedbackFormSpec()
    chosen_kinds = tuple(dict.fromkeys(k.strip() for k in (kinds or settings.kinds) if k.strip()))
    if not chosen_kinds:
        raise _usage("kinds", "give at least one kind, e.g. manager or peer")
    dataset = dataset or load_dataset(spec)
    calendar, chosen, _ = resolve_period(spec, dataset, period, None)
    org = build_org(dataset)
    reps = _reps(dataset, org, calendar, chosen, team)
    locale = spec.locale.value
    headers = form_headers(spec, settings.reviewer, bool(settings.criteria))
    last_day = chosen.end - dt.timedelta(days=1)
    team_level = org.levels[0] if org.levels else None
    rows: list[dict[str, Any]] = []
    for rep in reps:
        for kind in chosen_kinds:
            criteria: list[str | None] = [*settings.criteria] or [None]
            for criterion in criteria:
                rows.append(
                    {
                        "date": last_day,
                        "rep": rep,
                        "name": org.name_of(rep) or rep,
                        "team": org.members.at[rep, team_level] if team_level else None,
                        "kind": kind,
                        "criterion": criterion,
                    }
                )
    mapping = mapping_yaml(settings.source, headers, file_name)
    data = _workbook(spec, chosen, headers, rows, mapping, locale)
    used = _kinds_read(spec, settings.source)
    return FeedbackForm(
        period=chosen.label,
        date=last_day,
        kinds=chosen_kinds,
        criteria=tuple(settings.criteria),
        reps=len(reps),
        rows=len(rows),
        headers=headers,
        mapping_yaml=mapping,
        data=data,
        inputs=(spec.path, *dataset.input_files()),
        unused_kinds=tuple(k for k in chosen_kinds if used is not None and k not in used),
    )


def write_feedback_form(path: str | Path, form: FeedbackForm, *, force: bool = False) -> None:
    """Write atomically; never over an input, and never over a file without ``force``."""
    path = Path(path)
    refuse_inputs(path, form.inputs)
    if path.exists() and not force:
        raise UsageError(
            "Not overwriting:",
            [
                Finding(
                    Level.ERROR,
                    "file exists; pass --force to replace it or -o to write elsewhere",
                    Location(str(path)),
                    "exists",
                )
            ],
        )
    atomic_write_bytes(path, form.data)


def form_headers(spec: Spec, reviewer: bool = True, criterion: bool = False) -> dict[str, str]:
    """field -> header in column order: the feedback source's own headers where it maps the
    field (so the filled form loads with the same `columns:`), else the locale's default."""

    settings = spec.feedback_form or FeedbackFormSpec()
    defaults = HEADERS.get(spec.locale.value, HEADERS["en"])
    source = spec.sources.get(settings.source)
    mapped = dict(source.columns) if source is not None else {}
    fields = ["date", "rep", "name", "team", "kind"]
    fields += ["criterion"] if criterion else []
    fields += ["reviewer"] if reviewer else []
    fields += ["score", "comment"]
    headers: dict[str, str] = {}
    for name in fields:
        header = mapped.get(name, defaults[name]) if name in LOADED_FIELDS else defaults[name]
        while header in headers.values():  # a helper column must not shadow a mapped one
            header += " "
        headers[name] = header
    return headers


def mapping_yaml(source: str, headers: dict[str, str], file_name: str) -> str:
    """The `sources:` entry that loads the filled-in form, as kpi.yaml text."""
    pairs = ", ".join(f"{f}: {_yaml_text(h)}" for f, h in headers.items() if f in LOADED_FIELDS)
    return f"  {source}:\n    path: {_yaml_text(file_name)}\n    columns: {{{pairs}}}\n"


def _yaml_text(text: str) -> str:
    plain = text.strip() == text and text and not any(c in text for c in ":{}[],#&*!|>'\"%@`")
    return text if plain else '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _reps(
    dataset: Dataset, org: Org, calendar: Calendar, period: Period, team: str | None
) -> list[str]:
    """Reps to review: employed during the period (roster), or active in it or the period
    before (no roster); one team's when ``team`` is given. Ordered by team, then name."""

    members = org.members
    start, end = pd.Timestamp(period.start), pd.Timestamp(period.end)
    if org.origin == "roster":
        on_roster = members[org.levels[0]].notna() if org.levels else members["name"].notna()
        employed = (members["start"].isna() | (members["start"] < end)) & (
            members["end"].isna() | (members["end"] >= start)
        )
        chosen = members.loc[employed & on_roster]
    else:
        since = pd.Timestamp(calendar.period(period.ordinal - 1).start)
        active: set[str] = set()
        for loaded in dataset.sources.values():
            frame = loaded.frame
            if "rep" in frame.columns:
                window = frame.loc[(frame["date"] >= since) & (frame["date"] < end), "rep"]
                active |= set(window.dropna().astype(str))
        chosen = members.loc[members.index.isin(sorted(active))]
    if team is not None:
        level = org.levels[0] if org.levels else None
        if level is None:
            raise _usage("team", "this spec has no team level (map a team or add a roster)")
        teams = sorted(members[level].dropna().unique())
        match = [t for t in teams if str(t).lower() == team.strip().lower()]
        if not match:
            raise _usage("team", f"no team called '{team}'{did_you_mean(team, teams)}")
        chosen = chosen.loc[chosen[level] == match[0]]
    keys = [
        (str(row.get(org.levels[0]) or "") if org.levels else "", str(row["name"] or rep), rep)
        for rep, row in chosen.iterrows()
    ]
    return [str(rep) for _, _, rep in sorted(keys)]


def _kinds_read(spec: Spec, source: str) -> set[str] | None:
    """Kinds the spec's KPIs filter on in ``source`` (None: some KPI reads every kind)."""
    kinds: set[str] = set()
    for kpi in spec.kpis:
        if kpi.source != source:
            continue
        condition = (kpi.where or {}).get("kind")
        if condition is None:
            return None
        if isinstance(condition, dict):
            values = condition.get("eq", condition.get("in", []))
        else:
            values = condition
        kinds |= {str(v) for v in (values if isinstance(values, list) else [values])}
    return kinds


def _usage(option: str, message: str) -> UsageError:
    return UsageError(
        "Cannot build the feedback form:",
        [Finding(Level.ERROR, message, argument(option), "feedback-form")],
    )


def _workbook(
    spec: Spec,
    period: Period,
    headers: dict[str, str],
    rows: list[dict[str, Any]],
    mapping: str,
    locale: str,
) -> bytes:
    # lazy: openpyxl takes 0.6 s to import (python -X importtime, this 2-core machine);
    # only writing the form needs it.
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = SHEET.get(locale, SHEET["en"])
    fields = list(headers)
    header_fill = PatternFill("solid", fgColor="DDDDDD")
    input_fill = PatternFill("solid", fgColor="FFF7D6")
    inputs = {"score", "comment", "reviewer"}
    sheet.append([xlsx_text(headers[f]) for f in fields])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = header_fill
    for row in rows:
        sheet.append([_cell(row.get(f)) for f in fields])
    last_row = len(rows) + 1
    for index, name in enumerate(fields, start=1):
        letter = get_column_letter(index)
        values = [headers[name], *(str(r.get(name) or "") for r in rows)]
        width = min(max(max(map(_display_width, values)), 6) + 2, 40)
        sheet.column_dimensions[letter].width = 60 if name == "comment" else width
        if name == "date":
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = "yyyy-mm-dd"
        if name in inputs:
            for (cell,) in sheet.iter_rows(
                min_row=2, max_row=last_row, min_col=index, max_col=index
            ):
                cell.fill = input_fill
                if name == "comment":
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
    title, prompt, error = _PROMPT.get(locale, _PROMPT["en"])
    score_letter = get_column_letter(fields.index("score") + 1)
    validation = DataValidation(
        type="list",
        formula1='"' + ",".join(map(str, SCALE)) + '"',
        allow_blank=True,
        showErrorMessage=True,
        showInputMessage=True,
        promptTitle=title,
        prompt=prompt,
        errorTitle=title,
        error=error,
    )
    sheet.add_data_validation(validation)
    validation.add(f"{score_letter}2:{score_letter}{max(last_row, 2)}")
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(fields))}{max(last_row, 2)}"

    guide = book.create_sheet(HELP_SHEET.get(locale, HELP_SHEET["en"]))
    names = {k: headers[k] for k in ("score", "date", "rep", "kind")}
    for line in _HELP.get(locale, _HELP["en"]):
        guide.append([xlsx_text(line.format(title=spec.title or "", period=period.label, **names))])
    guide.append([xlsx_text("sources:")])
    for line in mapping.rstrip("\n").splitlines():
        guide.append([xlsx_text(line)])
    guide.column_dimensions["A"].width = 100
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _display_width(text: str) -> int:
    """Columns a text needs in Excel: CJK characters are about twice as wide."""
    return sum(2 if ord(c) >= 0x2E80 else 1 for c in text)


def _cell(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, dt.date):
        return value
    return xlsx_text(str(value))
