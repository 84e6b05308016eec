"""Load every input a spec names, once: the sources and the roster.

Each source file is parsed once per run, with only the columns the spec's KPIs use, however
many KPIs read it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from salesperf import paths
from salesperf.errors import DataError, Finding, Level, Location
from salesperf.periods import Calendar
from salesperf.sources import load_roster, load_source
from salesperf.sources.derive import add_derived
from salesperf.sources.market import load_market
from salesperf.sources.models import clip
from salesperf.spec import locate
from salesperf.spec.rules import derived_needed, fields_needed

if TYPE_CHECKING:
    import pandas as pd

    from salesperf.sources import LoadedSource
    from salesperf.sources.market import MarketFigures
    from salesperf.spec import Spec


@dataclass
class Dataset:
    spec: Spec
    sources: dict[str, LoadedSource]
    roster: LoadedSource | None
    #: Problems found while loading (only filled when loading with ``collect=True``).
    errors: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)
    #: Source -> what computing its derived columns (`derive:`) found.
    derived: dict[str, list[Any]] = field(default_factory=dict)
    #: The `market:` figures (None without a market input).
    market: MarketFigures | None = None

    def roster_frame(self) -> pd.DataFrame | None:
        return self.roster.frame if self.roster is not None else None

    def input_files(self) -> list[str]:
        """Every file read, plus every other file the spec names (unused sources, target
        overrides): an output must never replace any of them."""

        files = [f.path for s in self.sources.values() for f in s.files]
        if self.roster is not None:
            files += [f.path for f in self.roster.files]
        named = [s.path for s in self.spec.sources.values()]
        if self.spec.targets is not None and self.spec.targets.overrides:
            named.append(self.spec.targets.overrides)
        base = self.spec.base_dir
        files += [str(p) for pattern in named for p in paths.expand(base, pattern)]
        return files


def load_dataset(spec: Spec, *, collect: bool = False) -> Dataset:
    """Load all sources used by the spec's KPIs and the roster.

    With ``collect=False`` the first unreadable file raises :class:`DataError`; with
    ``collect=True`` every source is tried and problems are returned in ``errors`` (what
    ``salesperf check`` needs to show everything at once).
    """

    base = spec.base_dir
    used = list(dict.fromkeys(k.source for k in spec.kpis))
    loaded: dict[str, LoadedSource] = {}
    errors: list[Finding] = []
    for name in used:
        fields, numeric = fields_needed(spec, name)
        try:
            loaded[name] = load_source(name, spec.sources[name], base, fields, numeric)
        except DataError as exc:
            exc = _point_at_spec(spec, name, exc)
            if not collect:
                raise exc from None
            errors.extend(exc.findings or [Finding(Level.ERROR, exc.message, Location(), "data")])
    roster = None
    if spec.org is not None:
        try:
            roster = load_roster(spec.org, base)
        except DataError as exc:
            if not collect:
                raise
            errors.extend(exc.findings or [Finding(Level.ERROR, exc.message, Location(), "data")])
    market = None
    if spec.market is not None:
        try:
            market = load_market(spec, base, Calendar(spec.period, spec.fiscal_year_start))
        except DataError as exc:
            if not collect:
                raise
            errors.extend(exc.findings or [Finding(Level.ERROR, exc.message, Location(), "data")])
    dataset = Dataset(spec, loaded, roster, errors, market=market)
    for name, source in loaded.items():
        wanted = derived_needed(spec, name)
        if wanted:
            dataset.derived[name] = _derive(source, spec.sources[name].derive or {}, wanted)
    dataset.warnings.extend(roster_conflicts(dataset))
    if dataset.warnings and not collect:
        blocking = [w for w in dataset.warnings if w.level is Level.ERROR]
        if blocking:
            raise DataError("The roster cannot be used:", blocking)
    return dataset


def _derive(loaded: LoadedSource, derive: dict[str, str], wanted: set[str]) -> list[Any]:
    """Add the derived columns to the loaded frame, in place: the loader's text codes stay
    valid because the loaded columns themselves are not replaced."""
    computed, notes = add_derived(loaded.frame, derive, wanted)
    for note in notes:
        loaded.frame[note.name] = computed[note.name]
    return notes


def _point_at_spec(spec: Spec, source: str, exc: DataError) -> DataError:
    """A header missing from the file is fixed in the kpi.yaml: say where, once."""

    missing = [f for f in exc.findings if f.code == "missing-column"]
    if not missing:
        return exc
    columns = spec.sources[source].columns
    extra = []
    for field_name, header in columns.items():
        if any(f.location.key == header for f in missing):
            where = locate(spec.path, spec.raw, ("sources", source, "columns", field_name))
            extra.append(
                Finding(
                    Level.ERROR,
                    f"'{header}' is mapped here: change it to the header as it is in the file",
                    where,
                    "missing-column",
                )
            )
    return DataError(exc.message, [*exc.findings, *extra])


def roster_conflicts(dataset: Dataset) -> list[Finding]:
    """Roster rows that make a roll-up ambiguous, each an error: a rep listed twice with
    different teams, a rep with a blank team (the rest of the company's target would go to
    the other teams), a team in two regions (one region would be left without children)."""
    if dataset.roster is None or dataset.spec.org is None:
        return []
    frame = dataset.roster.frame
    findings: list[Finding] = []
    shown = dataset.roster.files[0].path if dataset.roster.files else dataset.spec.org.path
    findings.extend(_blank_levels(dataset, frame, shown))
    findings.extend(_split_parents(dataset, frame, shown))
    for level in dataset.spec.levels:
        if level not in frame.columns:
            continue
        per_rep = frame.dropna(subset=["rep"]).groupby("rep", observed=True)[level].nunique()
        clashes = per_rep[per_rep > 1]
        for rep in clashes.index[:10]:
            values = sorted(frame.loc[frame["rep"] == rep, level].dropna().astype(str).unique())
            rows = frame.loc[frame["rep"] == rep, "_row"].tolist()
            listed = ", ".join(map(str, rows[:10])) + (", …" if len(rows) > 10 else "")
            findings.append(
                Finding(
                    Level.ERROR,
                    f"rep '{clip(rep)}' is in more than one {level} "
                    f"({', '.join(clip(v) for v in values[:10])}) on rows {listed}; keep one "
                    "row per rep",
                    Location(shown, int(rows[0]), dataset.spec.org.columns[level]),
                    "roster-conflict",
                )
            )
    return findings


def _rows_text(rows: list[Any]) -> str:
    return ", ".join(map(str, rows[:10])) + (", …" if len(rows) > 10 else "")


def _blank_levels(dataset: Dataset, frame: pd.DataFrame, shown: str) -> list[Finding]:
    assert dataset.spec.org is not None
    findings = []
    for level in dataset.spec.levels:
        if level not in frame.columns:
            continue
        values = frame[level].astype("string").str.strip()
        blank = frame["rep"].notna() & (values.isna() | (values == ""))
        if not blank.any():
            continue
        reps = frame.loc[blank, "rep"].astype(str).tolist()
        rows = frame.loc[blank, "_row"].tolist()
        named = ", ".join(clip(r) for r in reps[:10]) + (", …" if len(reps) > 10 else "")
        findings.append(
            Finding(
                Level.ERROR,
                f"{len(reps)} rep(s) with no {level}: {named} (rows {_rows_text(rows)}); "
                f"fill in their {level}, or remove the rows of people who carry no target",
                Location(shown, int(rows[0]), dataset.spec.org.columns[level]),
                "roster-blank-level",
            )
        )
    return findings


def _split_parents(dataset: Dataset, frame: pd.DataFrame, shown: str) -> list[Finding]:
    """A team (any inner level) placed under two regions (the next level out)."""
    assert dataset.spec.org is not None
    levels = [lv for lv in dataset.spec.levels if lv in frame.columns]
    findings = []
    for inner, outer in itertools.pairwise(levels):
        pairs = frame.loc[frame[inner].notna() & frame[outer].notna(), [inner, outer, "_row"]]
        counts = pairs.groupby(inner, observed=True)[outer].nunique()
        for entity in counts.index[counts > 1][:10]:
            mine = pairs.loc[pairs[inner] == entity]
            parents = sorted(mine[outer].astype(str).unique())
            rows = mine["_row"].tolist()
            findings.append(
                Finding(
                    Level.ERROR,
                    f"{inner} '{clip(entity)}' is in more than one {outer} "
                    f"({', '.join(clip(p) for p in parents[:10])}) on rows {_rows_text(rows)}; "
                    f"a {inner} belongs to one {outer}: correct the rows, or name the "
                    f"{inner}s apart",
                    Location(shown, int(rows[0]), dataset.spec.org.columns[outer]),
                    "roster-conflict",
                )
            )
    return findings
