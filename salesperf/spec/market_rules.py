"""Spec rules of the market input: `market:`, `growth: {market: ...}` and `market_share`.

Each rule yields findings at the line of the key to fix (see :mod:`salesperf.spec.rules`).
"""

from __future__ import annotations

from collections.abc import Iterator

from salesperf.errors import Finding, Level, did_you_mean
from salesperf.spec.locations import locate
from salesperf.spec.models import MeasureKind, Spec


def _error(spec: Spec, code: str, message: str, *loc: str | int) -> Finding:
    return Finding(Level.ERROR, message, locate(spec.path, spec.raw, loc), code)


def market_figures(spec: Spec) -> list[str]:
    """The fields of the market source that hold figures: every mapped one but the date
    and the level the rows are per."""
    if spec.market is None or spec.market.source not in spec.sources:
        return []
    source = spec.sources[spec.market.source]
    # A roster level's column holds names, not figures (see market_source_known).
    return [f for f in source.columns if f != "date" and f not in spec.levels]


def market_source_known(spec: Spec) -> Iterator[Finding]:
    """`market.source` is a source, not one a KPI counts, and `market.level` a roster
    level that the market source maps."""
    market = spec.market
    if market is None:
        return
    if market.source not in spec.sources:
        yield _error(
            spec,
            "unknown-source",
            f"source '{market.source}' is not defined under `sources:`"
            f"{did_you_mean(market.source, spec.sources)}; add the market file there "
            "(path and columns, with `date:`), then name it here",
            "market",
            "source",
        )
        return
    counted = [i for i, k in enumerate(spec.kpis) if k.source == market.source]
    if counted:
        yield _error(
            spec,
            "market-source-counted",
            f"source '{market.source}' holds market figures, so no KPI can count it; "
            "point the KPI at your own sales (use `measure: market_share` to compare them "
            "with the market)",
            "kpis",
            counted[0],
            "source",
        )
    source = spec.sources[market.source]
    if market.level is not None:
        if market.level not in spec.levels:
            yield _error(
                spec,
                "unknown-level",
                f"level '{market.level}' is not a roster level"
                f"{did_you_mean(market.level, spec.levels)}; levels: "
                f"{', '.join(spec.levels) or 'none'}",
                "market",
                "level",
            )
        elif market.level not in source.columns:
            yield _error(
                spec,
                "unmapped-field",
                f"the market rows are per {market.level}, but sources.{market.source}."
                f"columns maps no '{market.level}'; add `{market.level}: <its header>`",
                "market",
                "level",
            )
    unused = [f for f in source.columns if f in spec.levels and f != market.level]
    for level in unused:
        yield _error(
            spec,
            "market-level",
            f"sources.{market.source}.columns maps '{level}', a roster level: if the rows "
            f"are per {level}, add `level: {level}` under market:; if not, remove the mapping",
            "market",
        )
    if not market_figures(spec):
        yield _error(
            spec,
            "market-no-figures",
            f"sources.{market.source}.columns maps no figure: add the market size or "
            "growth column, e.g. `market_growth: Market growth`",
            "sources",
            market.source,
            "columns",
        )


def market_fields_known(spec: Spec) -> Iterator[Finding]:
    """Every `growth: {market: f}` and market_share `market: f` names a figure of the
    market source, and market_share has what it needs."""
    figures = market_figures(spec)
    for i, kpi in enumerate(spec.kpis):
        wanted: list[tuple[str, tuple[str | int, ...]]] = []
        growth = kpi.target.market_growth if kpi.target is not None else None
        if growth is not None:
            wanted.append((growth.market, ("target", "growth", "market")))
        if kpi.measure is MeasureKind.MARKET_SHARE:
            if kpi.market is None:
                yield _error(
                    spec,
                    "market-share-field",
                    "measure 'market_share' needs `market:` (the market source's field "
                    "holding the market size), e.g. market: market_size",
                    "kpis",
                    i,
                    "measure",
                )
            else:
                wanted.append((kpi.market, ("market",)))
        elif kpi.market is not None:
            yield _error(
                spec,
                "market-not-share",
                "`market:` only applies to `measure: market_share`; for targets that follow "
                "the market use `target: {growth: {market: <field>}}`",
                "kpis",
                i,
                "market",
            )
        for name, loc in wanted:
            if spec.market is None:
                yield _error(
                    spec,
                    "no-market",
                    f"'{name}' is a market figure, but the spec has no `market:`; add "
                    "`market: {source: <the source holding market figures>}`",
                    "kpis",
                    i,
                    *loc,
                )
            elif spec.market.source in spec.sources and name not in figures:
                yield _error(
                    spec,
                    "unmapped-field",
                    f"'{name}' is not a figure of the market source "
                    f"'{spec.market.source}'{did_you_mean(name, figures)}; figures: "
                    f"{', '.join(figures) or 'none'}",
                    "kpis",
                    i,
                    *loc,
                )


MARKET_RULES = [market_source_known, market_fields_known]
