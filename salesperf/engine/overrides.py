"""Target overrides: an analyst's edited targets CSV, applied on top of the computed ones.

`salesperf targets -f csv -o FILE` writes exactly the shape read here (kpi, period, level,
entity, target; other columns ignored), so targets can be adjusted in Excel and fed back
with `targets: {overrides: FILE}`. Overrides win; parents of overridden children are
re-summed unless overridden themselves, and a parent that no longer equals the sum of its
children is a warning (a CRM's "target mismatch").
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from salesperf import paths
from salesperf.engine.levels import COMPANY
from salesperf.engine.target_history import TARGET_COLUMNS, is_missing
from salesperf.errors import DataError, Finding, Level, Location, did_you_mean
from salesperf.outputs import unneutralise

if TYPE_CHECKING:
    from salesperf.engine.org import Org
    from salesperf.periods import Period
    from salesperf.spec import Spec


OVERRIDE_COLUMNS = ("kpi", "period", "level", "entity", "target")


def read_overrides(spec: Spec) -> pd.DataFrame | None:
    """Read ``targets.overrides`` (CSV with kpi, period, level, entity, target; extra columns,
    such as those `salesperf targets -o` writes, are ignored)."""

    if spec.targets is None or not spec.targets.overrides:
        return None
    matches = paths.expand(spec.base_dir, spec.targets.overrides)
    if not matches:
        return None
    file = matches[0]
    try:
        frame = pd.read_csv(file, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise DataError(
            "Cannot read the target overrides:",
            [Finding(Level.ERROR, f"{exc}", Location(str(file)), "overrides")],
        ) from None
    frame.columns = [c.strip() for c in frame.columns]
    missing = [c for c in OVERRIDE_COLUMNS if c not in frame.columns]
    if missing:
        raise DataError(
            "Cannot use the target overrides:",
            [
                Finding(
                    Level.ERROR,
                    f"missing column(s) {', '.join(missing)}; "
                    f"expected {', '.join(OVERRIDE_COLUMNS)}",
                    Location(str(file), 1),
                    "overrides",
                )
            ],
        )
    frame = frame[list(OVERRIDE_COLUMNS)].copy()
    # `salesperf targets -f csv` neutralised names such as "=HYPERLINK(...)" as "'=HYP...".
    frame["entity"] = frame["entity"].map(unneutralise)
    frame["src_row"] = range(2, len(frame) + 2)
    frame["src_file"] = str(file)
    return frame


def apply_overrides(
    spec: Spec, frame: pd.DataFrame, overrides: pd.DataFrame, org: Org, period: Period
) -> tuple[pd.DataFrame, list[Finding]]:
    """Overrides win; parents of overridden children are re-summed unless overridden
    themselves, and a parent that no longer equals its children's sum is a warning."""

    findings: list[Finding] = []
    kpi_ids = [k.id for k in spec.kpis]
    levels = ["rep", *org.levels, COMPANY]
    rows = overrides.loc[overrides["period"].str.strip() == period.label]
    errors: list[Finding] = []
    for record in rows.itertuples(index=False):
        where = Location(record.src_file, int(record.src_row))
        if record.kpi not in kpi_ids:
            errors.append(
                Finding(
                    Level.ERROR,
                    f"unknown kpi '{record.kpi}'{did_you_mean(record.kpi, kpi_ids)}",
                    where,
                    "overrides",
                )
            )
        if record.level not in levels:
            errors.append(
                Finding(
                    Level.ERROR,
                    f"unknown level '{record.level}'; use one of {', '.join(levels)}",
                    where,
                    "overrides",
                )
            )
        try:
            float(str(record.target).replace(",", ""))
        except ValueError:
            errors.append(
                Finding(
                    Level.ERROR, f"target '{record.target}' is not a number", where, "overrides"
                )
            )
    if errors:
        raise DataError("The target overrides cannot be used:", errors)
    frame = frame.copy()
    overridden: set[tuple[str, str, str]] = set()
    for record in rows.itertuples(index=False):
        value = float(str(record.target).replace(",", ""))
        key = (record.kpi, record.level, record.entity.strip())
        mask = (frame["kpi"] == key[0]) & (frame["level"] == key[1]) & (frame["entity"] == key[2])
        if not mask.any():
            known = frame.loc[(frame["kpi"] == key[0]) & (frame["level"] == key[1]), "entity"]
            if key[2] not in set(known):
                findings.append(
                    Finding(
                        Level.WARNING,
                        f"override for unknown {key[1]} '{key[2]}'{did_you_mean(key[2], known)}; "
                        "added as given",
                        Location(record.src_file, int(record.src_row)),
                        "overrides",
                    )
                )
            new = dict.fromkeys(TARGET_COLUMNS)
            new.update({"kpi": key[0], "level": key[1], "entity": key[2]})
            frame = pd.concat([frame, pd.DataFrame([new])], ignore_index=True)
            mask = (
                (frame["kpi"] == key[0]) & (frame["level"] == key[1]) & (frame["entity"] == key[2])
            )
        frame.loc[mask, "target"] = value
        frame.loc[mask, "target_method"] = "override"
        frame.loc[mask, "target_note"] = (
            f"override ({Path(record.src_file).name} row {record.src_row})"
        )
        overridden.add(key)
    findings.extend(_reconcile(spec, frame, overridden, org, levels, period))
    return frame, findings


def _reconcile(
    spec: Spec,
    frame: pd.DataFrame,
    overridden: set[tuple[str, str, str]],
    org: Org,
    levels: list[str],
    period: Period,
) -> list[Finding]:
    findings: list[Finding] = []
    members = org.members
    touched_kpis = {k for k, _, _ in overridden}
    for kpi in spec.kpis:
        if kpi.id not in touched_kpis or not kpi.additive:
            continue
        for i, parent_level in enumerate(levels[1:], start=1):
            child_level = levels[i - 1]
            kids = frame.loc[(frame["kpi"] == kpi.id) & (frame["level"] == child_level)]
            if kids.empty:
                continue
            parents: list[str | None]
            if parent_level == COMPANY:
                parents = [COMPANY] * len(kids)
            elif child_level == "rep":
                parents = [
                    str(members.at[e, parent_level]) if e in members.index else None
                    for e in kids["entity"]
                ]
            else:
                mapping = members.drop_duplicates(child_level).set_index(child_level)[parent_level]
                parents = [
                    str(mapping.get(e)) if e in mapping.index else None for e in kids["entity"]
                ]
            sums: dict[str, float] = {}
            for parent, value in zip(parents, kids["target"], strict=True):
                if parent is None or value is None or is_missing(value):
                    continue
                sums[parent] = sums.get(parent, 0.0) + float(value)
            for parent, total in sums.items():
                mask = (
                    (frame["kpi"] == kpi.id)
                    & (frame["level"] == parent_level)
                    & (frame["entity"] == parent)
                )
                if (kpi.id, parent_level, parent) in overridden:
                    current = frame.loc[mask, "target"]
                    if not current.empty and abs(float(current.iloc[0]) - total) > 0.005:
                        findings.append(
                            Finding(
                                Level.WARNING,
                                f"target mismatch for {kpi.id} {parent_level} '{parent}' in "
                                f"{period.label}: override {float(current.iloc[0]):,.2f} but its "
                                f"{child_level}s sum to {total:,.2f}",
                                Location(spec.path, None, "targets.overrides"),
                                "target-mismatch",
                            )
                        )
                elif mask.any():
                    frame.loc[mask, "target"] = total
                    frame.loc[mask, "target_note"] = f"sum of {child_level}s after overrides"
    return findings
