"""Would these targets have worked? Replay the spec's target rule over closed periods.

For each of the last N closed periods, targets are set exactly as the spec would have set
them then (:func:`salesperf.targets.compute_targets` only ever reads periods before the
one it judges, so there is no look-ahead) and compared with what actually happened.
This is the "A" (achievable) of SMART: a target that history says almost nobody reaches,
or that nearly everybody beats, is flagged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from salesperf.metrics import COMPANY
from salesperf.spec.models import Direction

if TYPE_CHECKING:
    import pandas as pd

    from salesperf.pipeline import Results

#: Share of rep-periods hitting target below which a target is "out of reach", and above
#: which it is "too easy". Between them a target is achievable but challenging.
TOO_HARD = 0.10
TOO_EASY = 0.90


@dataclass(frozen=True)
class Achievability:
    kpi: str
    periods: list[str]
    rep_periods: int  # rep-periods with a target and an actual
    hit_share: float | None  # share of them at or above 100% attainment
    company_attainment: list[float | None]
    verdict: bool | None  # None: not enough history to judge
    note: str


def replay(results: Results, periods: int = 6) -> pd.DataFrame:
    """Targets and actuals for the last ``periods`` closed periods before the current one.

    Columns: kpi, level, entity, period, actual, target, attainment.
    """
    import numpy as np
    import pandas as pd

    from salesperf.targets import compute_targets

    spec = results.spec
    cube = results.cube
    first = int(cube["p"].min()) if len(cube) else results.period.ordinal
    frames = []
    for back in range(periods, 0, -1):
        ordinal = results.period.ordinal - back
        if ordinal <= first:
            continue
        period = results.calendar.period(ordinal)
        targets = compute_targets(spec, cube, results.org, results.calendar, period).frame
        actual = cube.loc[cube["p"] == ordinal, ["kpi", "level", "entity", "actual"]]
        merged = actual.merge(targets[["kpi", "level", "entity", "target"]], how="inner")
        merged["period"] = period.label
        frames.append(merged)
    if not frames:
        return pd.DataFrame(
            columns=["kpi", "level", "entity", "period", "actual", "target", "attainment"]
        )
    out = pd.concat(frames, ignore_index=True)
    out["target"] = pd.to_numeric(out["target"], errors="coerce")
    lower = out["kpi"].map({k.id: k.direction is Direction.LOWER for k in spec.kpis}).astype(bool)
    usable = (out["target"] > 0) & out["actual"].notna()
    with np.errstate(divide="ignore", invalid="ignore"):
        attainment = (out["actual"] / out["target"]).where(~lower, out["target"] / out["actual"])
    out["attainment"] = attainment.where(usable).replace([np.inf, -np.inf], np.nan)
    return out


def achievability(results: Results, periods: int = 6) -> list[Achievability]:
    """One verdict per KPI with a target, from the replayed rep-level hit rate."""
    history = replay(results, periods)
    verdicts = []
    for kpi in results.spec.kpis:
        if kpi.target is None:
            continue
        rows = history[history["kpi"] == kpi.id]
        reps = rows[(rows["level"] == "rep") & rows["attainment"].notna()]
        company = rows[rows["level"] == COMPANY].set_index("period")["attainment"]
        labels = sorted(rows["period"].unique())
        company_values = [
            None if c != c else round(float(c), 4) for c in company.reindex(labels).tolist()
        ]
        if len(reps) < 3:
            verdicts.append(
                Achievability(
                    kpi.id,
                    labels,
                    len(reps),
                    None,
                    company_values,
                    None,
                    "not enough closed periods with targets to judge yet",
                )
            )
            continue
        share = float((reps["attainment"] >= 1).mean())
        shown = f"{share:.0%} of reps hit it over the last {len(labels)} closed periods"
        if share < TOO_HARD:
            verdict, note = False, f"out of reach: only {shown}"
        elif share > TOO_EASY:
            verdict, note = False, f"too easy: {shown}"
        else:
            verdict, note = True, shown
        verdicts.append(
            Achievability(kpi.id, labels, len(reps), share, company_values, verdict, note)
        )
    return verdicts
