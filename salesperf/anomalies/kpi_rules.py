"""Rules on KPI values: behind pace, off its own history, sharp change, consecutive
declines and peer outlier.

Each rule reads the shared :class:`~salesperf.anomalies.context.Context` and returns alerts.
Values of open periods are compared at the same point of every period (see
:mod:`salesperf.anomalies.comparisons`). Noise is not news, so every rule wants evidence: a usual
sample of ``min_sample`` rows, ``history_min`` periods of history where history is used,
and (changes) a move beyond ``change_min_z`` robust scales of the entity's own history.
``evidence["deviation"]`` (observed minus expected, in the KPI's unit) lets the detector
fold a team's alert into the rep who explains it.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from salesperf.anomalies.context import MAD_TO_SD, MIN_RELATIVE_SCALE, VOLUME_LIKE, Context
from salesperf.anomalies.history import (
    active,
    adverse,
    clip,
    comparable_across_seasons,
    history,
    number,
    paced,
    season_factor,
)
from salesperf.anomalies.messages import Share, Text, Value, format_fact
from salesperf.anomalies.model import Alert, Severity
from salesperf.spec.models import Direction, KpiSpec

if TYPE_CHECKING:
    from salesperf.spec.models import AlertsSpec

# -- behind pace -------------------------------------------------------------------------------


def behind_pace(ctx: Context) -> list[Alert]:
    """Pace (actual / expected to date) below ``pace_warning`` (critical: ``pace_critical``)."""
    out: list[Alert] = []
    table = ctx.results.table
    for kpi in ctx.results.spec.kpis:
        if not active(ctx, "behind_pace", kpi) or not paced(ctx, kpi):
            continue
        settings = ctx.settings(kpi)
        rows = table[(table["kpi"] == kpi.id) & table["pace"].notna()]
        rows = rows[rows["pace"] < settings.pace_warning]
        for level, group in rows.groupby("level", sort=False):
            stats = history(ctx, kpi, str(level))
            for row in group.itertuples(index=False):
                entity = str(row.entity)
                if stats is None or not stats.enough(kpi, settings, entity):
                    continue
                pace = float(row.pace)
                severity = Severity.CRITICAL if pace < settings.pace_critical else Severity.WARNING
                evidence = {
                    "actual": row.actual,
                    "target": row.target,
                    "expected_to_date": row.expected_to_date,
                    "pace": pace,
                    "elapsed": row.elapsed,
                    "projected": row.projected,
                    "pace_warning": settings.pace_warning,
                    "pace_critical": settings.pace_critical,
                }
                if kpi.additive:
                    evidence["deviation"] = row.actual - row.expected_to_date
                facts = {
                    "pace": Share(pace),
                    "actual": Value(row.actual, kpi.unit),
                    "expected": Value(row.expected_to_date, kpi.unit),
                    "target": Value(row.target, kpi.unit),
                    "as_of": ctx.results.as_of.isoformat(),
                }
                # After the period ends there is no pace left to judge: the target was
                # missed, by an amount (no "so far", no "expected by").
                closed = row.elapsed == row.elapsed and float(row.elapsed) >= 1
                if closed:
                    facts["gap"] = Value(abs(row.actual - row.target), kpi.unit)
                message = "behind_pace.closed" if closed else "behind_pace"
                out.append(
                    ctx.alert(
                        severity,
                        "behind_pace",
                        message,
                        facts,
                        kpi=kpi,
                        level=str(level),
                        entity=entity,
                        observed=pace,
                        expected=1.0,
                        low=settings.pace_warning,
                        evidence=evidence,
                    )
                )
    return out


# -- off its own history -------------------------------------------------------------------------


def off_history(ctx: Context) -> list[Alert]:
    """A value far from the entity's own trailing history, by a robust z-score.

    z = (value / seasonal index - median) / scale over the previous ``history_window``
    periods. Adverse deviations (a collapse of a higher-is-better KPI) are warnings, or
    critical beyond ``z_critical``; favourable ones (a spike) are info, good news to verify,
    and a warning beyond ``spike_warning`` (so far out that bad data is the likelier story).
    """
    out: list[Alert] = []
    calendar = ctx.results.calendar
    for kpi in ctx.results.spec.kpis:
        if not active(ctx, "off_history", kpi):
            continue
        settings = ctx.settings(kpi)
        for level in ctx.levels:
            stats = history(ctx, kpi, level)
            if stats is None:
                continue
            current = stats.values[ctx.p] / stats.now_factor
            z = (current - stats.median) / stats.scale.where(stats.scale > 0)
            for entity in z[z.abs() >= settings.z_warning].index:
                entity = str(entity)
                if not stats.enough(kpi, settings, entity):
                    continue
                score = float(z[entity])
                if adverse(kpi, score):
                    extreme = abs(score) >= settings.z_critical
                    severity = Severity.CRITICAL if extreme else Severity.WARNING
                    key = "off_history.low" if score < 0 else "off_history.high"
                else:
                    suspicious = abs(score) >= settings.spike_warning
                    severity = Severity.WARNING if suspicious else Severity.INFO
                    key = "off_history.spike" if score > 0 else "off_history.low"
                center = float(stats.median[entity])
                spread = float(stats.scale[entity]) * settings.z_warning
                low = clip(kpi, (center - spread) * stats.now_factor)
                high = clip(kpi, (center + spread) * stats.now_factor)
                observed = stats.at(entity, ctx.p)
                expected = center * stats.now_factor
                evidence = {
                    **ctx.basis.to_dict(),
                    "periods": [calendar.period(p).label for p in stats.columns],
                    "values": [number(stats.at(entity, p)) for p in stats.columns],
                    "seasonal_factors": stats.factors if kpi.measure in VOLUME_LIKE else None,
                    "current_seasonal_factor": stats.now_factor,
                    "median": center,
                    "mad": float(stats.mad[entity]),
                    "scale": float(stats.scale[entity]),
                    "z": score,
                    "z_warning": settings.z_warning,
                    "spike_warning": settings.spike_warning,
                    "z_critical": settings.z_critical,
                    "deviation": observed - expected,
                }
                facts = {
                    "observed": Value(observed, kpi.unit),
                    "expected": Value(expected, kpi.unit),
                    "low": Value(low, kpi.unit),
                    "high": Value(high, kpi.unit),
                    "z": round(abs(score), 1),  # "n times the usual spread"
                    "span": ctx.span(ctx.p),
                }
                out.append(
                    ctx.alert(
                        severity,
                        "off_history",
                        key,
                        facts,
                        kpi=kpi,
                        level=level,
                        entity=entity,
                        observed=observed,
                        expected=expected,
                        low=low,
                        high=high,
                        evidence=evidence,
                    )
                )
    return out


# -- sharp change ---------------------------------------------------------------------------------


def sharp_change(ctx: Context) -> list[Alert]:
    """A drop (a rise, for lower-is-better KPIs) of at least ``change_warning`` against the
    same period last year, or against the previous period times the seasonal move (volume-
    like KPIs need two years of history for that); and beyond ``change_min_z`` times the noise
    of such a difference. A comparison period that was itself off its history (|z| at least
    ``z_warning``) is no yardstick and is skipped. The worse comparison is reported; every
    usable one is in the evidence."""
    out: list[Alert] = []
    calendar = ctx.results.calendar
    last_year = calendar.last_year(ctx.period).ordinal
    for kpi in ctx.results.spec.kpis:
        if not active(ctx, "sharp_change", kpi):
            continue
        settings = ctx.settings(kpi)
        options = [("last_year", last_year, 1.0)]
        if comparable_across_seasons(ctx, kpi):
            ratio = season_factor(ctx, kpi, ctx.p) / season_factor(ctx, kpi, ctx.p - 1)
            options.append(("last_period", ctx.p - 1, ratio))
        for level in ctx.levels:
            stats = history(ctx, kpi, level)
            if stats is None:
                continue
            for entity in stats.values.index:
                entity = str(entity)
                observed = number(stats.at(entity, ctx.p))
                if observed is None or not stats.enough(kpi, settings, entity):
                    continue
                comparisons = []
                for basis, p, adjust in options:
                    if not stats.has(p):
                        continue
                    before = number(stats.at(entity, p))
                    if before is None or before <= 0:
                        continue
                    if not stats.at(entity, p, "sizes") >= settings.min_sample:
                        continue
                    if stats.outlier(entity, p, settings.z_warning):
                        continue  # last March's one-off order makes no April look like a drop
                    expected = before * adjust
                    comparisons.append(
                        {
                            "against": basis,
                            "period": calendar.period(p).label,
                            "value": before,
                            "seasonal_adjustment": adjust,
                            "expected": expected,
                            "change": observed / expected - 1,
                            "noise_z": stats.noise_z(entity, ctx.p, expected, p),
                        }
                    )
                worst = _worst_change(kpi, comparisons, settings)
                if worst is None:
                    continue
                magnitude = abs(worst["change"])
                critical = magnitude >= settings.change_critical
                severity = Severity.CRITICAL if critical else Severity.WARNING
                last = worst["against"] == "last_year"
                p_before = last_year if last else ctx.p - 1
                against = (
                    Text({"en": "last year", "zh-CN": "去年同期"})
                    if last
                    else Text(
                        {"en": "last period, seasonally adjusted", "zh-CN": "上期（季节调整后）"}
                    )
                )
                evidence = {
                    **ctx.basis.to_dict(),
                    "against": worst["against"],
                    "comparisons": comparisons,
                    "change_warning": settings.change_warning,
                    "change_critical": settings.change_critical,
                    "change_min_z": settings.change_min_z,
                    "history_scale": float(stats.scale[entity]) * stats.now_factor,
                    "deviation": observed - worst["expected"],
                }
                facts = {
                    "change": Share(worst["change"], signed=True),
                    "against": against,
                    "observed": Value(observed, kpi.unit),
                    "expected": Value(worst["expected"], kpi.unit),
                    "span": ctx.span(ctx.p),
                    "comparison_span": ctx.span(p_before),
                }
                key = "sharp_change"
                if not last:
                    key = "sharp_change.adjusted"
                    facts["before"] = Value(worst["value"], kpi.unit)
                    facts["factor"] = f"{worst['seasonal_adjustment']:.2f}"
                out.append(
                    ctx.alert(
                        severity,
                        "sharp_change",
                        key,
                        facts,
                        kpi=kpi,
                        level=level,
                        entity=entity,
                        observed=observed,
                        expected=worst["expected"],
                        evidence=evidence,
                    )
                )
    return out


def _worst_change(
    kpi: KpiSpec, comparisons: list[dict[str, Any]], settings: AlertsSpec
) -> dict[str, Any] | None:
    worst = None
    for item in comparisons:
        change = item["change"]
        if not adverse(kpi, change) or abs(change) < settings.change_warning:
            continue
        if not item["noise_z"] >= settings.change_min_z:
            continue
        if worst is None or abs(change) > abs(worst["change"]):
            worst = item
    return worst


# -- consecutive declines ---------------------------------------------------------------------


def consecutive_declines(ctx: Context) -> list[Alert]:
    """``declines`` adverse moves in a row (seasonally adjusted, same point of each period)
    adding up to at least ``decline_min_total`` and ``change_min_z`` robust scales: a slide
    that no single period shows."""
    out: list[Alert] = []
    calendar = ctx.results.calendar
    currency = ctx.results.spec.currency
    for kpi in ctx.results.spec.kpis:
        settings = ctx.settings(kpi)
        steps = settings.declines
        if (
            steps == 0
            or not active(ctx, "consecutive_declines", kpi)
            or not comparable_across_seasons(ctx, kpi)
        ):
            continue
        chain = list(range(ctx.p - steps, ctx.p + 1))
        for level in ctx.levels:
            stats = history(ctx, kpi, level)
            if stats is None or any(p not in stats.values.columns for p in chain):
                continue
            # Each value re-expressed in the reviewed period's season, so the last is as seen.
            factors = [season_factor(ctx, kpi, p) / stats.now_factor for p in chain]
            adjusted = stats.values[chain].div(factors, axis=1)
            moves = adjusted.diff(axis=1).iloc[:, 1:]
            falling = (moves < 0) if kpi.direction is Direction.HIGHER else (moves > 0)
            total = adjusted[ctx.p] / adjusted[chain[0]] - 1
            hits = (
                falling.all(axis=1)
                & (adjusted[chain[0]] > 0)
                & (stats.sizes[chain].min(axis=1) >= settings.min_sample)
                & (total.abs() >= settings.decline_min_total)
            )
            for entity in hits[hits].index:
                entity = str(entity)
                path = [float(v) for v in adjusted.loc[entity]]
                noise = stats.noise_z(entity, ctx.p, path[0], chain[0])
                if not stats.enough(kpi, settings, entity) or not noise >= settings.change_min_z:
                    continue
                change = float(total[entity])
                critical = abs(change) >= settings.change_critical
                evidence = {
                    **ctx.basis.to_dict(),
                    "periods": [calendar.period(p).label for p in chain],
                    "values": [stats.at(entity, p) for p in chain],
                    "adjusted_values": path,
                    "seasonally_adjusted": any(abs(f - 1) > 1e-12 for f in factors),
                    "total_change": change,
                    "noise_z": noise,
                    "declines": steps,
                    "decline_min_total": settings.decline_min_total,
                    "deviation": path[-1] - path[0],
                }
                arrows = {
                    loc: " → ".join(format_fact(Value(v, kpi.unit), loc, currency) for v in path)
                    for loc in ("en", "zh-CN")
                }
                facts = {"n": steps, "path": Text(arrows), "total": Share(change, signed=True)}
                out.append(
                    ctx.alert(
                        Severity.CRITICAL if critical else Severity.WARNING,
                        "consecutive_declines",
                        "consecutive_declines",
                        facts,
                        kpi=kpi,
                        level=level,
                        entity=entity,
                        observed=path[-1],
                        expected=path[0],
                        evidence=evidence,
                    )
                )
    return out


# -- peer outlier ------------------------------------------------------------------------------


def peer_outlier(ctx: Context) -> list[Alert]:
    """A rep whose pace is far below the rest of the team: behind while the team is not.

    Leave-one-out median and MAD of the other reps' paces (scale at least 10% of the
    median), z below -``peer_warning``; teams of at least ``peer_min`` reps with enough
    history. Pace puts reps of different sizes on one scale, so KPIs without targets are
    not compared.
    """
    out: list[Alert] = []
    table = ctx.results.table
    team_level = ctx.parent_level("rep") or "team"
    for kpi in ctx.results.spec.kpis:
        if not active(ctx, "peer_outlier", kpi) or not paced(ctx, kpi):
            continue
        settings = ctx.settings(kpi)
        stats = history(ctx, kpi, "rep")
        if stats is None:
            continue
        reps = table[(table["kpi"] == kpi.id) & (table["level"] == "rep") & table["pace"].notna()]
        reps = reps[reps["parent"].notna()]
        keep = [
            stats.enough(kpi, settings, str(e)) and not ctx.partial("rep", str(e))
            for e in reps["entity"]
        ]
        reps = reps.loc[keep] if len(reps) else reps
        for team, group in reps.groupby("parent", sort=True):
            if len(group) < settings.peer_min:
                continue
            paces = dict(zip(group["entity"].astype(str), group["pace"].astype(float), strict=True))
            for entity, pace in paces.items():
                others = [v for k, v in paces.items() if k != entity]
                center = _median(others)
                mad = _median([abs(v - center) for v in others])
                scale = max(mad * MAD_TO_SD, abs(center) * MIN_RELATIVE_SCALE)
                score = (pace - center) / scale if scale > 0 else 0.0
                if score > -settings.peer_warning:
                    continue
                critical = score <= -settings.peer_critical
                evidence = {
                    "team_level": team_level,
                    "team": str(team),
                    "peers": {k: v for k, v in paces.items() if k != entity},
                    "median": center,
                    "mad": mad,
                    "scale": scale,
                    "z": score,
                    "peer_warning": settings.peer_warning,
                    "peer_critical": settings.peer_critical,
                }
                facts = {
                    "pace": Share(pace),
                    "team": ctx.who(team_level, str(team)),
                    "median": Share(center),
                    "z": round(abs(score), 1),  # "n times the usual spread"
                }
                out.append(
                    ctx.alert(
                        Severity.CRITICAL if critical else Severity.WARNING,
                        "peer_outlier",
                        "peer_outlier",
                        facts,
                        kpi=kpi,
                        level="rep",
                        entity=entity,
                        observed=pace,
                        expected=center,
                        low=center - settings.peer_warning * scale,
                        high=center + settings.peer_warning * scale,
                        evidence=evidence,
                    )
                )
    return out


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    n = len(ordered)
    if n == 0:
        return math.nan
    mid = n // 2
    return ordered[mid] if n % 2 else (ordered[mid - 1] + ordered[mid]) / 2
