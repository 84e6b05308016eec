"""The market input: market research figures per period (and region), read strictly.

A market file is small and every row of it sets targets, so unlike a sales export nothing
in it is left out quietly: a row whose date or figure cannot be read, or two rows for the
same period (and region), stop the run with the file, row and column to fix (exit 2).
Blank figures are allowed: a period without a figure is reported where it is needed
(the target or market share of that period), never read as 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from salesperf.errors import DataError, Finding, Level, Location
from salesperf.sources import load_source
from salesperf.sources.models import Rejection
from salesperf.spec.market_rules import market_figures

if TYPE_CHECKING:
    from pathlib import Path

    import pandas as pd

    from salesperf.periods import Calendar
    from salesperf.sources.models import LoadedSource
    from salesperf.spec import Spec

#: What a rejected market row needs, by the loader's reason code.
_FIX = {
    "bad-number": "write a number: 12.5, 1,234, 5% or 0.05 (a growth is a fraction or a "
    "percentage); leave the cell blank if the figure is not known",
    "mixed-percent": "write every growth of the column the same way: all as percentages "
    "(5%) or all as fractions (0.05)",
    "bad-date": "write the date of the period the row is for (2017-06-01, or the month "
    "2017-06); set date_format: under the market source if the file uses another form",
    "missing-date": "every row needs the date of the period it is for",
}


@dataclass
class MarketFigures:
    """The market figures of a run: one row per period ordinal (and ``level`` entity).

    ``frame`` columns: ``p`` (period ordinal), ``entity`` (the level's entity, ``<NA>`` for
    the whole market), ``_row`` (the file's row) and one float column per figure.
    """

    source: str
    file: str
    level: str | None
    frame: pd.DataFrame
    figures: list[str] = field(default_factory=list)

    def value(self, figure: str, p: int, entity: str | None = None) -> float | None:
        """The figure for period ``p`` and ``entity`` of :attr:`level` (None: the whole
        market); None when the file has no row or a blank cell for it."""
        rows = self._rows(p, entity)
        if rows is None:
            return None
        value = rows[figure].iloc[0]
        return None if value != value else float(value)

    def total(self, figure: str, p: int) -> float | None:
        """The whole market's figure for ``p``: its own row, else (an additive figure such
        as a market size) the sum of the level's rows; None when neither exists."""
        whole = self.value(figure, p)
        if whole is not None or self.level is None:
            return whole
        part = self.frame.loc[(self.frame["p"] == p) & self.frame["entity"].notna(), figure]
        if part.empty or part.isna().any():
            return None
        return float(part.sum())

    def _rows(self, p: int, entity: str | None) -> pd.DataFrame | None:
        frame = self.frame
        at = frame["p"] == p
        at &= frame["entity"].isna() if entity is None else (frame["entity"] == entity)
        rows = frame.loc[at.fillna(False)]
        return rows if len(rows) else None

    def entities(self) -> list[str]:
        return sorted(str(e) for e in self.frame["entity"].dropna().unique())


def load_market(spec: Spec, base_dir: Path, calendar: Calendar) -> MarketFigures | None:
    """Read the spec's market source (None without `market:`); raise :class:`DataError`
    for any row that cannot be read and for two rows of one period (and entity)."""
    market = spec.market
    if market is None:
        return None
    source = spec.sources[market.source]
    figures = market_figures(spec)
    loaded = load_source(market.source, source, base_dir, list(source.columns), figures)
    shown = loaded.files[0].path if loaded.files else source.path
    problems = [_rejected(loaded, r) for r in loaded.rejected]
    frame = loaded.frame

    entity = (
        frame[market.level].astype("string").str.strip().replace("", pd.NA)
        if market.level is not None
        else pd.Series(pd.NA, index=frame.index, dtype="string")
    )
    table = pd.DataFrame(
        {
            "p": calendar.ordinals(frame["date"]).astype("int64"),
            "entity": entity,
            "_row": frame["_row"].astype("int64"),
            "_file": frame["_file"].astype(str),
        }
    )
    for figure in figures:
        table[figure] = frame[figure].astype("float64")
    problems += _duplicates(table, calendar, market.level, source.columns["date"])
    if problems:
        raise DataError(f"The market figures in {shown} cannot be used:", problems)
    return MarketFigures(market.source, shown, market.level, table, figures)


def _rejected(loaded: LoadedSource, rejection: object) -> Finding:
    assert isinstance(rejection, Rejection)
    fix = _FIX.get(rejection.reason, "correct the row or remove it")
    if rejection.reason == "bad-number" and rejection.value:
        what = f"'{rejection.value}' is not a number"
    else:
        what = rejection.reason + (f" '{rejection.value}'" if rejection.value else "")
    message = f"market figures: {what}; {fix}"
    where = Location(rejection.file, rejection.row, rejection.column)
    return Finding(Level.ERROR, message, where, "market-row")


def _duplicates(
    table: pd.DataFrame, calendar: Calendar, level: str | None, header: str
) -> list[Finding]:
    """Two rows for one period (and entity): which one sets the target is not for salesperf
    to guess."""
    keys = table.assign(_e=table["entity"].fillna("\0"))
    twice = keys[keys.duplicated(["p", "_e"], keep=False)]
    findings = []
    for (p, entity), rows in twice.groupby(["p", "_e"], sort=True):
        period = calendar.period(int(p)).label
        who = f" and {level} '{entity}'" if level is not None and entity != "\0" else ""
        listed = ", ".join(str(r) for r in rows["_row"].tolist()[:10])
        findings.append(
            Finding(
                Level.ERROR,
                f"rows {listed} are for the same period, {period}{who}; keep one row per period"
                + (f" and {level}" if level else ""),
                Location(str(rows["_file"].iloc[0]), int(rows["_row"].iloc[1]), header),
                "market-duplicate",
            )
        )
    return findings
