"""The engine's last stage and its result: :class:`Results` of one period.

    spec -> sources -> metrics (actuals cube) -> targets -> attainment

:class:`salesperf.review.Review` chains the stages and owns what they compute; the
functions here are the pure steps it calls: :func:`resolve_period` (which period, as of
when), :func:`pacing_shares` and :func:`results_table`. ``Results.table`` is the tidy
results table: one row per (kpi, level, entity, period) with actual, target, attainment,
gap, expected_to_date, pace, projected, status and the target's method and basis.
"""

from __future__ import annotations

import datetime as dt
import math
import shlex
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from salesperf.engine.attainment import compute_attainment
from salesperf.engine.levels import COMPANY
from salesperf.engine.pacing import elapsed_share
from salesperf.engine.target_roster import UNASSIGNED, unassigned_actuals
from salesperf.errors import Finding, Level, Location, UsageError, argument, did_you_mean
from salesperf.periods import Calendar, check_as_of
from salesperf.sources.filters import where_mask

if TYPE_CHECKING:
    from salesperf.engine.metrics import Rows
    from salesperf.engine.org import Org
    from salesperf.periods import Calendar, Period
    from salesperf.sources.dataset import Dataset
    from salesperf.spec import Spec

RESULTS_SCHEMA = "salesperf.results/1"
TABLE_COLUMNS = [
    "kpi",
    "kpi_name",
    "level",
    "entity",
    "name",
    "parent",
    "period",
    "actual",
    "target",
    "attainment",
    "gap",
    "expected_to_date",
    "pace",
    "projected",
    "status",
    "elapsed",
    "numerator",
    "denominator",
    "responses",
    "target_method",
    "target_basis",
    "note",
]


@dataclass
class Results:
    spec: Spec
    period: Period
    as_of: dt.date
    calendar: Calendar
    table: pd.DataFrame
    cube: pd.DataFrame
    org: Org
    dataset: Dataset
    findings: list[Finding] = field(default_factory=list)

    def to_dict(self, rows: pd.DataFrame | None = None) -> dict[str, Any]:
        """The JSON shape (contract ``salesperf.results/1``): plain numbers, fractions."""
        frame = self.table if rows is None else rows
        return {
            "schema": RESULTS_SCHEMA,
            "title": self.spec.title,
            "period": self.period.label,
            "period_start": self.period.start.isoformat(),
            "period_end": (self.period.end - dt.timedelta(days=1)).isoformat(),
            "as_of": self.as_of.isoformat(),
            "grain": self.period.grain.value,
            "currency": self.spec.currency,
            "rows": [_clean_row(r) for r in frame.to_dict(orient="records")],
            "findings": [f.to_dict() for f in self.findings],
        }


def _clean_row(row: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in row.items():
        if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
            value = None
        elif isinstance(value, float):
            # 12 significant digits: 25600.12, not the float sum's 25600.120000000003.
            value = float(f"{value:.12g}")
        elif value is not None and hasattr(value, "item"):
            value = value.item()
        if value is not None and not isinstance(value, (str, int, float, bool, dict, list)):
            value = None if value != value else str(value)
        out[key] = value
    return out


def last_data_date(dataset: Dataset, today: dt.date | None = None) -> dt.date | None:
    """The default as-of: the latest row date of the spec's clock source.

    Only one source decides, because others may legitimately hold future dates (a CRM's
    open deals carry expected close dates). Rows dated after today are data errors and are
    ignored here (``check`` reports them).
    """

    today = today or dt.date.today()
    limit = pd.Timestamp(today) + pd.Timedelta(days=1)
    name = dataset.spec.clock_source
    candidates = [dataset.sources[name]] if name in dataset.sources else []
    candidates = candidates or list(dataset.sources.values())
    latest = None
    for loaded in candidates:
        dates = loaded.frame["date"]
        dates = dates[dates < limit]
        if dates.notna().any():
            value = dates.max().date()
            latest = value if latest is None or value > latest else latest
    return latest


def stale_findings(dataset: Dataset, as_of: dt.date) -> list[Finding]:
    """A warning when as-of (``--as-of``, or the end of a ``--period``) is after the clock
    source's last row: every actual after that date reads 0 and every status "behind"
    because nothing was exported yet, not because nothing was sold."""
    latest = last_data_date(dataset, today=max(as_of, dt.date.today()))
    if latest is None or as_of <= latest:
        return []
    name = dataset.spec.clock_source
    return [
        Finding(
            Level.WARNING,
            f"no rows after {latest.isoformat()} in source '{name}' (as of "
            f"{as_of.isoformat()}): actuals after that date are 0 because the data stops, "
            "and pace and status say nothing yet",
            Location(key="--as-of"),
            "no-rows-after",
        )
    ]


def resolve_period(
    spec: Spec, dataset: Dataset, period: str | None, as_of: dt.date | None
) -> tuple[Calendar, Period, dt.date]:
    calendar = Calendar(spec.period, spec.fiscal_year_start)
    if as_of is not None:
        check_as_of(as_of)
    if as_of is None:
        latest = last_data_date(dataset) or dt.date.today()
        if period is not None:
            chosen = calendar.parse(period)
            last_day = chosen.end - dt.timedelta(days=1)
            return calendar, chosen, min(latest, last_day) if latest >= chosen.start else last_day
        return calendar, calendar.period_of(latest), latest
    chosen = calendar.parse(period) if period is not None else calendar.period_of(as_of)
    return calendar, chosen, as_of


def pacing_shares(
    spec: Spec, rows: dict[str, Rows], calendar: Calendar, period: Period, as_of: dt.date
) -> dict[str, float]:
    """KPI id -> the share of ``period`` that should be done by ``as_of`` (see
    :mod:`salesperf.engine.pacing`); seasonal pacing reads the company's own rows."""
    shares: dict[str, float] = {}
    for kpi in spec.kpis:
        company_values = None
        if kpi.additive and spec.pacing.value == "seasonal":
            company_values = _daily_values(rows[kpi.source].frame, kpi)
        shares[kpi.id] = elapsed_share(
            spec, period, as_of, calendar=calendar, company_values=company_values
        )
    return shares


def results_table(
    spec: Spec,
    cube: pd.DataFrame,
    targets: pd.DataFrame,
    shares: dict[str, float],
    org: Org,
    period: Period,
) -> pd.DataFrame:
    """The tidy results table of ``period``: its actuals in ``cube`` against ``targets``
    (attainment, pace, projection, status), with names, parents and the spec's order."""
    current = cube.loc[cube["p"] == period.ordinal].drop(columns=["p"])
    if (targets["entity"] == UNASSIGNED).any():
        extra = unassigned_actuals(cube, org, targets, period.ordinal)
        current = pd.concat([current, extra], ignore_index=True)
    table = compute_attainment(spec, current, targets, shares)
    return _decorate(spec, table, org, period)


def _daily_values(frame: pd.DataFrame, kpi: Any) -> pd.DataFrame:
    """Company rows of an additive KPI as (date, value), for the seasonal pacing curve."""

    rows = frame.loc[where_mask(frame, kpi.where)] if kpi.where else frame
    if kpi.measure.value == "sum":
        value = rows[kpi.column].fillna(0.0)
    else:
        value = pd.Series(1.0, index=rows.index)
    return pd.DataFrame({"date": rows["date"].to_numpy(), "value": value.to_numpy()})


def _decorate(spec: Spec, table: pd.DataFrame, org: Org, period: Period) -> pd.DataFrame:
    """Add display columns and order rows: by KPI (spec order), level, entity."""

    names = {k.id: k.name for k in spec.kpis}
    order = {k.id: i for i, k in enumerate(spec.kpis)}
    levels = ["rep", *org.levels, COMPANY]
    table = table.copy()
    table["kpi_name"] = table["kpi"].map(names)
    table["period"] = period.label
    member_names = org.members["name"] if "name" in org.members else pd.Series(dtype=object)
    is_rep = table["level"] == "rep"
    table["name"] = table["entity"].where(~is_rep, table["entity"].map(member_names))
    table.loc[table["level"] == COMPANY, "name"] = spec.title or "Company"
    table["name"] = table["name"].fillna(table["entity"])
    parent = pd.Series(None, index=table.index, dtype=object)
    for i, level in enumerate(levels[:-1]):
        above = levels[i + 1]
        if above == COMPANY:
            parent[table["level"] == level] = COMPANY
            continue
        if level == "rep":
            mapping = org.members[above]
        else:
            mapping = (
                org.members.dropna(subset=[level]).drop_duplicates(level).set_index(level)[above]
            )
        mask = table["level"] == level
        parent[mask] = table.loc[mask, "entity"].map(mapping)
    table["parent"] = parent
    table["_k"] = table["kpi"].map(order)
    table["_l"] = table["level"].map({lv: i for i, lv in enumerate(levels)})
    table = table.sort_values(["_k", "_l", "entity"], kind="stable").drop(columns=["_k", "_l"])
    for column in TABLE_COLUMNS:
        if column not in table:
            table[column] = None
    return table[TABLE_COLUMNS].reset_index(drop=True)


def find_entity(results: Results, level: str, query: str) -> str:
    """Match a rep/team by key or display name, case-insensitively; suggest on a miss.

    A key wins over a name. A name shared by several entities (two reps called Ann Lee)
    or a partial text matching several is a usage error listing their keys: picking one
    would show someone else's numbers without a word.
    """
    rows = results.table.loc[results.table["level"] == level, ["entity", "name"]].drop_duplicates()
    pairs = [(str(e), str(n)) for e, n in rows.itertuples(index=False)]
    lowered = query.strip().lower()
    # The argument the caller passed: rep= for reps, team= for a roster level (a Python
    # caller never typed a --flag; the CLI shows its own option names).
    option = "rep" if level == "rep" else "team"
    by_key = [e for e, _ in pairs if e.lower() == lowered]
    if len(by_key) == 1:
        return by_key[0]
    named = list(dict.fromkeys(e for e, n in pairs if n.lower() == lowered))
    if len(named) == 1:
        return named[0]
    if named:
        raise _ambiguous(query, level, option, named, pairs, f"is the name of {len(named)}")
    partial = list(
        dict.fromkeys(e for e, n in pairs if lowered in e.lower() or lowered in n.lower())
    )
    if len(partial) == 1:
        return partial[0]
    if partial:
        raise _ambiguous(query, level, option, partial, pairs, f"matches {len(partial)}")
    choices = [*(e for e, _ in pairs), *(n for _, n in pairs)]
    hint = did_you_mean(query, choices, n=3)
    raise UsageError(
        f"No {level} called '{query}':",
        [
            Finding(
                Level.ERROR,
                f"'{query}' matches no {level} key or name{hint}",
                argument(option),
                "unknown-entity",
            )
        ],
    )


#: Matches listed by an ambiguous rep=/team= before "…".
SHOW_MATCHES = 10


def _ambiguous(
    query: str, level: str, option: str, keys: list[str], pairs: list[tuple[str, str]], what: str
) -> UsageError:
    names = dict(pairs)
    listed = ", ".join(
        f"{key} ({names[key]})" if names.get(key, key) != key else key
        for key in keys[:SHOW_MATCHES]
    )
    if len(keys) > SHOW_MATCHES:
        listed += f", … ({len(keys):,} in all)"
    plural = f"{level}s"
    return UsageError(
        f"More than one {level} called '{query}':",
        [
            Finding(
                Level.ERROR,
                f"'{query}' {what} {plural}: {listed}; pass the key instead, e.g. "
                f"{shlex.quote(keys[0])}",
                argument(option),
                "ambiguous-entity",
            )
        ],
    )


def check_level(results: Results, level: str | None) -> None:
    """Raise a usage error unless ``level`` is rep, a roster level or company."""
    levels = ["rep", *results.org.levels, COMPANY]
    if level is not None and level not in levels:
        raise UsageError(
            f"No level called '{level}':",
            [
                Finding(
                    Level.ERROR,
                    f"use one of {', '.join(levels)}{did_you_mean(level, levels)}",
                    argument("level"),
                    "unknown-level",
                )
            ],
        )


def find_team(results: Results, query: str) -> str:
    """:func:`find_entity` for ``team=``, with a clear error when the spec has no teams."""
    if "team" not in results.org.levels:
        raise UsageError(
            "No teams:",
            [
                Finding(
                    Level.ERROR,
                    "this spec has no team level (map a team column or add an org roster)",
                    argument("team"),
                    "no-teams",
                )
            ],
        )
    return find_entity(results, "team", query)
