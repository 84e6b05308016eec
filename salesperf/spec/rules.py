"""Cross-object checks on a parsed spec, one small named rule each.

A rule takes the spec and yields :class:`Finding` objects that point at a line of the
kpi.yaml. Adding a check means adding a function to :data:`RULES`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

from salesperf import paths
from salesperf.errors import Finding, Level, did_you_mean
from salesperf.spec.load import locate
from salesperf.spec.models import (
    COLUMN_MEASURES,
    PART_MEASURES,
    KpiSpec,
    MeasureKind,
    Spec,
    TargetMethod,
)

Rule = Callable[[Spec], Iterator[Finding]]

#: Measures that identify customers and so need a `customer` field.
CUSTOMER_MEASURES = frozenset({MeasureKind.NEW_CUSTOMERS, MeasureKind.RETENTION_RATE})


def _at(spec: Spec, *loc: str | int) -> object:
    return locate(spec._path, spec._raw, loc)


def _error(spec: Spec, code: str, message: str, *loc: str | int) -> Finding:
    return Finding(Level.ERROR, message, locate(spec._path, spec._raw, loc), code)


def _warning(spec: Spec, code: str, message: str, *loc: str | int) -> Finding:
    return Finding(Level.WARNING, message, locate(spec._path, spec._raw, loc), code)


def unique_kpi_ids(spec: Spec) -> Iterator[Finding]:
    counts = Counter(k.id for k in spec.kpis)
    seen: set[str] = set()
    for i, kpi in enumerate(spec.kpis):
        if counts[kpi.id] > 1 and kpi.id in seen:
            yield _error(spec, "duplicate-id", f"KPI id '{kpi.id}' is used twice", "kpis", i, "id")
        seen.add(kpi.id)


def kpi_sources_exist(spec: Spec) -> Iterator[Finding]:
    for i, kpi in enumerate(spec.kpis):
        if kpi.source not in spec.sources:
            hint = did_you_mean(kpi.source, spec.sources)
            known = ", ".join(spec.sources) or "none"
            yield _error(
                spec,
                "unknown-source",
                f"source '{kpi.source}' is not defined under `sources:`{hint}; defined: {known}",
                "kpis",
                i,
                "source",
            )


def as_of_source_exists(spec: Spec) -> Iterator[Finding]:
    if spec.as_of_source is not None and spec.as_of_source not in spec.sources:
        yield _error(
            spec,
            "unknown-source",
            f"source '{spec.as_of_source}' is not defined under `sources:`"
            f"{did_you_mean(spec.as_of_source, spec.sources)}",
            "as_of_source",
        )


def measure_arguments(spec: Spec) -> Iterator[Finding]:
    for i, kpi in enumerate(spec.kpis):
        if kpi.measure is MeasureKind.RATIO:
            for part in ("numerator", "denominator"):
                if getattr(kpi, part) is None:
                    yield _error(
                        spec,
                        "ratio-part",
                        f"a ratio needs `{part}:` (e.g. {{measure: count, where: {{stage: Won}}}})",
                        "kpis",
                        i,
                        "measure",
                    )
            if kpi.column:
                yield _error(
                    spec,
                    "ratio-column",
                    "a ratio takes no `column:`; put columns in numerator and denominator",
                    "kpis",
                    i,
                    "column",
                )
        else:
            for part in ("numerator", "denominator"):
                if getattr(kpi, part) is not None:
                    yield _error(
                        spec,
                        "not-ratio",
                        f"`{part}:` only applies to `measure: ratio`",
                        "kpis",
                        i,
                        part,
                    )
        if kpi.measure in COLUMN_MEASURES and not kpi.column:
            yield _error(
                spec,
                "missing-column",
                f"measure '{kpi.measure.value}' needs `column:` (the field it aggregates)",
                "kpis",
                i,
                "measure",
            )
        for part_name in ("numerator", "denominator"):
            part = getattr(kpi, part_name)
            if part is None:
                continue
            if part.measure not in PART_MEASURES:
                allowed = ", ".join(m.value for m in sorted(PART_MEASURES))
                yield _error(
                    spec,
                    "ratio-part",
                    f"'{part.measure.value}' cannot be summed into a ratio; use one of {allowed}",
                    "kpis",
                    i,
                    part_name,
                    "measure",
                )
            if part.measure in COLUMN_MEASURES and not part.column:
                yield _error(
                    spec,
                    "missing-column",
                    f"measure '{part.measure.value}' needs `column:`",
                    "kpis",
                    i,
                    part_name,
                )


def _field_refs(kpi: KpiSpec) -> Iterator[tuple[str, tuple[str | int, ...]]]:
    """Every field a KPI refers to, with the key path where it is named."""
    if kpi.column:
        yield kpi.column, ("column",)
    for field in kpi.where or {}:
        yield field, ("where", field)
    for part_name in ("numerator", "denominator"):
        part = getattr(kpi, part_name)
        if part is None:
            continue
        if part.column:
            yield part.column, (part_name, "column")
        for field in part.where or {}:
            yield field, (part_name, "where", field)
    if kpi.measure in CUSTOMER_MEASURES or any(
        p is not None and p.measure is MeasureKind.NEW_CUSTOMERS
        for p in (kpi.numerator, kpi.denominator)
    ):
        yield "customer", ("measure",)


def kpi_fields_mapped(spec: Spec) -> Iterator[Finding]:
    for i, kpi in enumerate(spec.kpis):
        source = spec.sources.get(kpi.source)
        if source is None:
            continue
        for field, loc in _field_refs(kpi):
            if field not in source.columns:
                mapped = ", ".join(source.columns)
                yield _error(
                    spec,
                    "unmapped-field",
                    f"field '{field}' is not mapped in sources.{kpi.source}.columns"
                    f"{did_you_mean(field, source.columns)}; mapped: {mapped}",
                    "kpis",
                    i,
                    *loc,
                )


def target_arguments(spec: Spec) -> Iterator[Finding]:
    levels = ["rep", *spec.levels, "company"]
    for i, kpi in enumerate(spec.kpis):
        target = kpi.target
        if target is None:
            continue
        if target.method is TargetMethod.FIXED and target.value is None:
            yield _error(
                spec, "fixed-value", "method 'fixed' needs `value:`", "kpis", i, "target", "method"
            )
        if target.method is not TargetMethod.FIXED and target.value is not None:
            yield _warning(
                spec,
                "unused-value",
                f"`value:` is ignored by method '{target.method.value}' (only 'fixed' uses it)",
                "kpis",
                i,
                "target",
                "value",
            )
        if target.level not in levels:
            yield _error(
                spec,
                "unknown-level",
                f"level '{target.level}' is not one of {', '.join(levels)}"
                f"{did_you_mean(target.level, levels)}",
                "kpis",
                i,
                "target",
                "level",
            )
        if target.allocate is not None and not kpi.additive:
            yield _error(
                spec,
                "allocate-non-additive",
                f"measure '{kpi.measure.value}' does not add up across reps, so its target "
                "cannot be split top-down; remove `allocate:` (each entity gets its own target)",
                "kpis",
                i,
                "target",
                "allocate",
            )
        if target.min is not None and target.max is not None and target.min > target.max:
            yield _error(spec, "clamp", "`min:` is above `max:`", "kpis", i, "target", "min")


def weights_sum_to_100(spec: Spec) -> Iterator[Finding]:
    weights = [k.weight for k in spec.kpis if k.weight > 0]
    if not weights:
        yield _warning(
            spec,
            "no-weights",
            "no KPI has a `weight:`; scorecards need weights that sum to 100",
            "kpis",
        )
        return
    total = sum(weights)
    if abs(total - 100) > 1e-9:
        yield _warning(
            spec,
            "weights",
            f"KPI weights sum to {total:g}, not 100; scores will be renormalised",
            "kpis",
        )


def org_levels_mapped(spec: Spec) -> Iterator[Finding]:
    if spec.org is None:
        return
    for j, level in enumerate(spec.org.levels):
        if level not in spec.org.columns:
            yield _error(
                spec,
                "unmapped-level",
                f"level '{level}' has no column in org.columns"
                f"{did_you_mean(level, spec.org.columns)}",
                "org",
                "levels",
                j,
            )


def source_keys_mapped(spec: Spec) -> Iterator[Finding]:
    for name, source in spec.sources.items():
        if source.key and source.key not in source.columns:
            yield _error(
                spec,
                "unmapped-field",
                f"key '{source.key}' is not a mapped field"
                f"{did_you_mean(source.key, source.columns)}",
                "sources",
                name,
                "key",
            )


def paths_exist(spec: Spec) -> Iterator[Finding]:
    base = Path(spec._base_dir)
    named: list[tuple[str, tuple[str | int, ...]]] = [
        (s.path, ("sources", name, "path")) for name, s in spec.sources.items()
    ]
    if spec.org is not None:
        named.append((spec.org.path, ("org", "path")))
    if spec.targets is not None and spec.targets.overrides:
        named.append((spec.targets.overrides, ("targets", "overrides")))
    for pattern, loc in named:
        if not paths.expand(base, pattern):
            what = "no file matches" if any(c in pattern for c in "*?[") else "file not found:"
            yield _error(
                spec,
                "path",
                f"{what} '{pattern}' (paths are relative to the kpi.yaml's folder, {base})",
                *loc,
            )


def unused_sources(spec: Spec) -> Iterator[Finding]:
    used = {k.source for k in spec.kpis}
    for name in spec.sources:
        if name not in used:
            yield Finding(
                Level.INFO,
                f"source '{name}' is not used by any KPI",
                locate(spec._path, spec._raw, ("sources", name)),
                "unused-source",
            )


RULES: list[Rule] = [
    unique_kpi_ids,
    kpi_sources_exist,
    as_of_source_exists,
    measure_arguments,
    kpi_fields_mapped,
    target_arguments,
    weights_sum_to_100,
    org_levels_mapped,
    source_keys_mapped,
    unused_sources,
]


def run_rules(spec: Spec, *, check_paths: bool = True) -> list[Finding]:
    findings: list[Finding] = []
    for rule in [*RULES, paths_exist] if check_paths else RULES:
        findings.extend(rule(spec))
    return sorted(findings, key=lambda f: (f.location.line or 0, f.location.key or ""))


def fields_needed(spec: Spec, source_name: str) -> tuple[set[str], set[str]]:
    """(fields to load, fields that must be numeric) for one source.

    Only these columns are read from the files: exports often have dozens of columns.
    """
    source = spec.sources[source_name]
    fields = {"date"}
    numeric: set[str] = set()
    always = {"rep", *spec.levels}
    fields |= always & set(source.columns)
    if source.key:
        fields.add(source.key)
    for kpi in spec.kpis:
        if kpi.source != source_name:
            continue
        for field, _ in _field_refs(kpi):
            fields.add(field)
        parts = [(kpi.measure, kpi.column)]
        parts += [(p.measure, p.column) for p in (kpi.numerator, kpi.denominator) if p]
        for measure, column in parts:
            if column and measure in (MeasureKind.SUM, MeasureKind.MEAN, MeasureKind.MEDIAN):
                numeric.add(column)
    if "amount" in source.columns:
        fields.add("amount")
        numeric.add("amount")
    return fields & set(source.columns), numeric & set(source.columns)
