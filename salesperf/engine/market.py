"""Targets that follow the market: ``growth: {market: <figure>, margin: <fraction>}``.

target = basis x (1 + market growth + margin), the growth being the market figure of the
*target* period (a forecast of the market, as the market research states it), for the
entity's own market:

- market rows without a ``level``: every entity uses the whole market's row;
- ``market: {level: region}``: a region uses its own row, reps and teams the row of their
  region, the company (and any level above region) the whole market's row (the row whose
  region is blank). With ``allocate``, the target is set per region from its own history and
  market and split below it by ``allocate``; the company's is the sum of its regions'.

When the market file has no figure for the target period (or the entity's region), the
target is not set (note "no market figure") and one warning per KPI names the period, the
figure and the regions: a missing figure is never read as 0 growth.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from salesperf.engine.levels import COMPANY
from salesperf.engine.target_history import is_missing
from salesperf.engine.target_roster import UNASSIGNED
from salesperf.errors import Finding, Level, Location
from salesperf.spec.models import MeasureKind

if TYPE_CHECKING:
    import pandas as pd

    from salesperf.engine.org import Org
    from salesperf.engine.target_history import Basis
    from salesperf.sources.market import MarketFigures

#: The note of a target that the market file could not set.
NO_MARKET = "no market figure"


class MarketRules:
    """The market part of the targets planner (``salesperf.engine.targets``)."""

    # Provided by the planner.
    spec: Any
    kpi: Any
    target: Any
    period: Any
    levels: list[str]
    findings: list[Finding]
    market: MarketFigures | None

    def member(self, column: str) -> dict[Any, Any]:  # pragma: no cover - the planner's
        raise NotImplementedError

    def parent_of(self, level: str, parent_level: str) -> dict[str, str]:  # pragma: no cover
        raise NotImplementedError

    def market_level(self) -> str | None:
        """The roster level the market rows are per, when this KPI's growth follows them."""
        if self.target.market_growth is None or self.market is None:
            return None
        level = self.market.level
        return level if level in self.levels else None

    def allocation_start(self) -> str:
        """Where a top-down split starts: the company, or the market's level (each region
        grows with its own market)."""
        return self.market_level() or COMPANY

    def market_entity(self, level: str, entity: str) -> str | None:
        """The entity of the market's level whose row applies to (level, entity); None:
        the whole market."""
        market_level = self.market_level()
        if market_level is None or level not in self.levels or entity == UNASSIGNED:
            return None
        if level == market_level:
            return entity
        if self.levels.index(level) > self.levels.index(market_level):
            return None  # above the market's level: the whole market
        if level == "rep":
            value = self.member(market_level).get(entity)
            return None if is_missing(value) else str(value)
        return self.parent_of(level, market_level).get(entity)

    def with_market(self, level: str, entity: str, basis: Basis) -> Basis:
        """``basis`` with the market growth of the target period attached (unchanged when
        the growth is fixed)."""
        growth = self.target.market_growth
        if growth is None:
            return basis
        where = self.market_entity(level, entity)
        value = None
        if self.market is not None:
            value = self.market.value(growth.market, self.period.ordinal, where)
        info: dict[str, Any] = {
            "figure": growth.market,
            "period": self.period.label,
            "value": None if value is None else round(value, 6),
            "margin": growth.margin,
        }
        if where is not None:
            info["level"] = self.market_level()
            info["entity"] = where
        if value is None:
            missing: set[str | None] = self.__dict__.setdefault("_market_missing", set())
            missing.add(where)
            return dataclasses.replace(basis, market=info)
        return dataclasses.replace(basis, growth=round(value + growth.margin, 9), market=info)

    def report_missing_market(self) -> None:
        """One warning per KPI naming the period, figure and regions without a figure."""
        missing: set[str | None] = self.__dict__.get("_market_missing", set())
        if not missing:
            return
        growth = self.target.market_growth
        assert growth is not None
        shown = self.market.file if self.market is not None else "the market source"
        who = ""
        named = sorted(m for m in missing if m is not None)
        if named:
            level = self.market_level()
            who = f" for {level} {', '.join(named[:10])}" + (", …" if len(named) > 10 else "")
            if None in missing:
                who += " and the whole market"
        message = (
            f"{self.kpi.id}: no {growth.market} in {shown} for {self.period.label}{who}, so "
            f"those targets are not set; add the row(s) for {self.period.label} (a growth "
            "of 0 is written 0)"
        )
        where = Location(self.spec.path, None, f"kpis.{self.kpi.id}.target.growth.market")
        self.findings.append(Finding(Level.WARNING, message, where, "no-market-figure"))


def market_sizes(
    market: MarketFigures | None,
    figure: str,
    level: str,
    values: pd.DataFrame,
    org: Org,
    levels: list[str],
) -> pd.Series:
    """The market size behind each (entity, p) row of ``values`` at ``level`` (NaN where
    the market file has no figure): the denominator of ``market_share``.

    A region's market is its own row; a rep's or team's, their region's; the company's (and
    any level above the market's), the whole market: its own row, else the sum of the
    regions' rows. Without a ``level``, every entity's market is the whole market, so reps'
    shares add up to their team's and the company's.
    """
    nan = pd.Series(np.nan, index=values.index, dtype="float64")
    if market is None:
        return nan
    frame = market.frame
    p = values["p"].astype("int64")
    parts = frame.loc[frame["entity"].notna(), ["p", "entity", figure]]
    whole = frame.loc[frame["entity"].isna()].set_index("p")[figure]
    summed = parts.groupby("p")[figure].sum(min_count=1)
    incomplete = parts.groupby("p")[figure].apply(lambda s: bool(s.isna().any()))
    summed = summed.where(~incomplete.reindex(summed.index, fill_value=False))
    totals = whole.combine_first(summed) if len(parts) else whole
    total = p.map(totals).astype("float64")
    market_level = market.level if market.level in levels else None
    if market_level is None or levels.index(level) > levels.index(market_level):
        return total
    entity = values["entity"].astype("string")
    if level == "rep":
        entity = entity.map(org.members[market_level].astype("string"))
    elif level != market_level:
        pairs = org.members.dropna(subset=[level]).drop_duplicates(level)
        entity = entity.map(pairs.set_index(pairs[level].astype(str))[market_level])
    own = pd.MultiIndex.from_arrays([parts["p"], parts["entity"].astype(str)])
    lookup = pd.Series(parts[figure].to_numpy(), index=own)
    keys = pd.MultiIndex.from_arrays([p, entity.astype(object).where(entity.notna(), "")])
    found = lookup.reindex(keys).to_numpy(dtype="float64")
    return pd.Series(found, index=values.index, dtype="float64")


def market_share_findings(spec: Any, market: MarketFigures | None, period: Any) -> list[Finding]:
    """A warning per ``market_share`` KPI whose market size the file lacks for ``period``:
    its share is "no data" then, never 0."""
    findings = []
    for kpi in spec.kpis:
        if kpi.measure is not MeasureKind.MARKET_SHARE or kpi.market is None:
            continue
        if market is not None and market.total(kpi.market, period.ordinal) is not None:
            continue
        shown = market.file if market is not None else "the market source"
        findings.append(
            Finding(
                Level.WARNING,
                f"{kpi.id}: no {kpi.market} in {shown} for {period.label}, so the market "
                f"share has no data; add the row for {period.label}",
                Location(spec.path, None, f"kpis.{kpi.id}.market"),
                "no-market-figure",
            )
        )
    return findings
