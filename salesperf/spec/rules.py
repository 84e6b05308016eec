"""Cross-object checks on a parsed spec, one small named rule each.

A rule takes the spec and yields :class:`Finding` objects that point at a line of the
kpi.yaml. Adding a check means adding a function to :data:`RULES`.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

from salesperf import paths
from salesperf.errors import Finding, Level, did_you_mean
from salesperf.spec.expressions import dependencies, is_text, names_in, parse_expression, text_names
from salesperf.spec.locations import locate
from salesperf.spec.market_rules import MARKET_RULES
from salesperf.spec.models import (
    COLUMN_MEASURES,
    NUMERIC_COLUMN_MEASURES,
    PART_MEASURES,
    AlertsSpec,
    KpiSpec,
    MeasureKind,
    Pacing,
    Spec,
    TargetMethod,
)
from salesperf.spec.notify import ADDRESS_PLACEHOLDER, EMAIL

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
            if field not in source.fields:
                mapped = ", ".join(source.fields)
                yield _error(
                    spec,
                    "unmapped-field",
                    f"field '{field}' is not mapped in sources.{kpi.source}.columns"
                    f"{did_you_mean(field, source.fields)}; mapped: {mapped}",
                    "kpis",
                    i,
                    *loc,
                )


def _filters(spec: Spec) -> Iterator[tuple[str, dict[str, object], tuple[str | int, ...]]]:
    """(source, where, key path) of every filter in the spec."""
    for i, kpi in enumerate(spec.kpis):
        if kpi.where:
            yield kpi.source, kpi.where, ("kpis", i, "where")
        for part_name in ("numerator", "denominator"):
            part = getattr(kpi, part_name)
            if part is not None and part.where:
                yield kpi.source, part.where, ("kpis", i, part_name, "where")
    if spec.alerts.returns_where:
        for name, source in spec.sources.items():
            if "amount" in source.columns:
                yield name, spec.alerts.returns_where, ("alerts", "returns_where")


def where_numbers_fit_fields(spec: Spec) -> Iterator[Finding]:
    """A filter on a numeric field (one a KPI sums) compares numbers: a text value there
    would match no row, or fail in the middle of a run."""
    numeric_by_source: dict[str, set[str]] = {}
    for name, where, loc in _filters(spec):
        if name not in spec.sources:
            continue
        if name not in numeric_by_source:
            numeric_by_source[name] = fields_needed(spec, name)[1]
        for field, condition in where.items():
            if field not in numeric_by_source[name]:
                continue
            ops = condition if isinstance(condition, dict) else {"eq": condition}
            for op, value in ops.items():
                for item in value if isinstance(value, list) else [value]:
                    number = _as_number(item)
                    if number is not None and math.isfinite(number):
                        continue
                    at = (*loc, field) if ops is not condition else (*loc, field, op)
                    example = "[1000, 2000]" if op in ("in", "not_in") else "1000"
                    yield _error(
                        spec,
                        "where-not-a-number",
                        f"'{item}' is not a number, but '{field}' is a numeric field (a KPI "
                        f"sums it); compare it with a number, e.g. {{{op}: {example}}}",
                        *at,
                    )


def _as_number(value: object) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value))
    except ValueError:
        return None


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
        if source.key and source.key not in source.fields:
            yield _error(
                spec,
                "unmapped-field",
                f"key '{source.key}' is not a mapped field"
                f"{did_you_mean(source.key, source.fields)}",
                "sources",
                name,
                "key",
            )


def source_filters_mapped(spec: Spec) -> Iterator[Finding]:
    """A source's `where:` and `allow_missing:` name its fields (mapped or derived)."""
    for name, source in spec.sources.items():
        for key in ("where", "allow_missing"):
            for field in getattr(source, key) or {}:
                if field not in source.fields:
                    yield _error(
                        spec,
                        "unmapped-field",
                        f"field '{field}' is not mapped in sources.{name}.columns"
                        f"{did_you_mean(field, source.fields)}; mapped: "
                        f"{', '.join(source.fields)}",
                        "sources",
                        name,
                        key,
                        field,
                    )


def derived_names_known(spec: Spec) -> Iterator[Finding]:
    """A derived column reads mapped fields or derived columns defined above it, and uses
    each one either as text (compared with a quoted text) or as a number, not both."""
    for name, source in spec.sources.items():
        available = list(source.columns)
        kinds: dict[str, str] = {}
        for derived, text in (source.derive or {}).items():
            expr = parse_expression(text)
            loc = ("sources", name, "derive", derived)
            for used in names_in(expr):
                if used == derived:
                    yield _error(spec, "derive-cycle", f"'{derived}' uses itself", *loc)
                elif used in (source.derive or {}) and used not in available:
                    yield _error(
                        spec,
                        "derive-order",
                        f"'{derived}' uses '{used}', which is derived below it; define "
                        f"'{used}' first",
                        *loc,
                    )
                elif used not in available:
                    yield _error(
                        spec,
                        "unknown-name",
                        f"'{used}' in '{text}' is not a field of source '{name}'"
                        f"{did_you_mean(used, available)}; names are the keys of columns: "
                        f"(map the file's header there first) or derived columns above; "
                        f"fields: {', '.join(available)}",
                        *loc,
                    )
            as_text = text_names(expr)
            derive = source.derive or {}
            for used in names_in(expr):
                kind = "text" if used in as_text else "number"
                if used in derive and used in available:
                    used_expr = parse_expression(derive[used])
                    derived_kind = "text" if is_text(used_expr) else "number"
                    if derived_kind != kind:
                        yield _error(
                            spec,
                            "derive-type",
                            f"'{used}' is {derived_kind} but '{derived}' uses it as {kind}",
                            *loc,
                        )
                    continue
                if kinds.setdefault(used, kind) != kind:
                    yield _error(
                        spec,
                        "derive-type",
                        f"'{used}' is used both as text (compared with a quoted text) and as a "
                        "number in the derived columns; use one field for each",
                        *loc,
                    )
            available.append(derived)


def calendar_known(spec: Spec) -> Iterator[Finding]:
    """`calendar:` names a country (and subdivision) the `holidays` library knows, and is
    only useful with `pacing: workdays`."""
    calendar = spec.calendar
    if calendar is not None:
        countries = supported_countries()
        if calendar.country not in countries:
            yield _error(
                spec,
                "unknown-country",
                f"country '{calendar.country}' has no official calendar in the holidays "
                f"library{did_you_mean(calendar.country, countries)}; use an ISO 3166 code "
                "(US, CN, DE, GB...), or list days under holidays:/workdays: instead",
                "calendar",
                "country",
            )
        elif calendar.subdivision is not None:
            subs = countries[calendar.country]
            if calendar.subdivision not in subs:
                yield _error(
                    spec,
                    "unknown-subdivision",
                    f"subdivision '{calendar.subdivision}' is not one of {calendar.country}'s"
                    f"{did_you_mean(calendar.subdivision, subs)}: {', '.join(subs[:60])}",
                    "calendar",
                    "subdivision",
                )
        if spec.pacing is not Pacing.WORKDAYS:
            yield _warning(
                spec,
                "unused-calendar",
                "calendar: is only used by `pacing: workdays`; add it or remove calendar:",
                "calendar",
            )
    both = sorted(set(spec.holidays) & set(spec.workdays))
    if both:
        yield _warning(
            spec,
            "holiday-and-workday",
            f"{', '.join(d.isoformat() for d in both[:5])} listed under both holidays: and "
            "workdays:; workdays: wins",
            "workdays",
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
    if spec.notify is not None and spec.notify.smtp is not None and spec.notify.smtp.ca_file:
        named.append((spec.notify.smtp.ca_file, ("notify", "smtp", "ca_file")))
    for pattern, loc in named:
        if not paths.expand(base, pattern):
            what = "no file matches" if any(c in pattern for c in "*?[") else "file not found:"
            special = paths.special_kind(base, pattern)
            if special is not None:
                what = f"not a regular file ({special}):"
            elif paths.is_broken_link(base, pattern):
                what = "symbolic link that loops or points at nothing:"
            elif paths.is_folder(base, pattern):
                what = "a folder, not a file (use a glob such as 'data/*.csv'):"
            where = f"paths are relative to the kpi.yaml's folder, {base}"
            if paths.is_foreign_drive(pattern):
                where = "a Windows drive path, which does not exist here: " + where
            yield _error(spec, "path", f"{what} '{pattern}' ({where})", *loc)


def unused_sources(spec: Spec) -> Iterator[Finding]:
    used = {k.source for k in spec.kpis}
    if spec.market is not None:
        used.add(spec.market.source)  # read by targets and market_share
    for name in spec.sources:
        if name not in used:
            yield Finding(
                Level.INFO,
                f"source '{name}' is not used by any KPI",
                locate(spec._path, spec._raw, ("sources", name)),
                "unused-source",
            )


def drilldown_fields(spec: Spec, kpi: KpiSpec) -> list[str]:
    """The fields a KPI's problem analysis splits by: its own `drilldown:` or, failing that,
    the top-level fields its source can provide (mapped columns, rep and roster levels)."""
    available = _drillable(spec, kpi.source)
    if kpi.drilldown is not None:
        return [f for f in kpi.drilldown if f in available]
    return [f for f in spec.drilldown if f in available]


def _drillable(spec: Spec, source_name: str) -> set[str]:
    source = spec.sources.get(source_name)
    if source is None:
        return set()
    roster_levels = set(spec.org.levels) if spec.org is not None else set()
    return set(source.fields) | (roster_levels if "rep" in source.columns else set())


def drilldown_fields_mapped(spec: Spec) -> Iterator[Finding]:
    """Drill-down fields must exist on the rows: mapped in the source or a roster level."""
    for i, kpi in enumerate(spec.kpis):
        available = _drillable(spec, kpi.source)
        for j, field in enumerate(kpi.drilldown or []):
            if field not in available:
                yield _error(
                    spec,
                    "unmapped-field",
                    f"drill-down field '{field}' is not mapped in sources.{kpi.source}.columns"
                    f"{did_you_mean(field, available)}; available: {', '.join(sorted(available))}",
                    "kpis",
                    i,
                    "drilldown",
                    j,
                )
    used = {k.source for k in spec.kpis}
    anywhere = set().union(*(_drillable(spec, name) for name in used)) if used else set()
    for j, field in enumerate(spec.drilldown):
        if field not in anywhere:
            yield _error(
                spec,
                "unmapped-field",
                f"drill-down field '{field}' is not mapped in any source a KPI reads"
                f"{did_you_mean(field, anywhere)}; available: {', '.join(sorted(anywhere))}",
                "drilldown",
                j,
            )


#: (milder, stricter, True when the stricter threshold must be lower) pairs of alert settings.
_ALERT_PAIRS = (
    ("pace_warning", "pace_critical", True),
    ("z_warning", "z_critical", False),
    ("change_warning", "change_critical", False),
    ("peer_warning", "peer_critical", False),
)


def alert_thresholds_ordered(spec: Spec) -> Iterator[Finding]:
    """A critical threshold must be at least as extreme as its warning threshold."""
    scopes: list[tuple[AlertsSpec, tuple[str | int, ...]]] = [(spec.alerts, ("alerts",))]
    scopes += [
        (spec.alerts.for_kpi(k), ("kpis", i, "alerts"))
        for i, k in enumerate(spec.kpis)
        if k.alerts is not None
    ]
    for settings, loc in scopes:
        for warning, critical, lower in _ALERT_PAIRS:
            mild, strict = getattr(settings, warning), getattr(settings, critical)
            if (strict > mild) if lower else (strict < mild):
                side = "above" if lower else "below"
                yield _error(
                    spec,
                    "alert-thresholds",
                    f"{critical} {strict:g} is {side} {warning} {mild:g}; a critical alert "
                    "must be at least as far out as a warning",
                    *loc,
                    critical,
                )
        window, minimum = settings.history_window, settings.history_min
        if minimum > window:
            yield _error(
                spec,
                "alert-thresholds",
                f"history_min {minimum} is more than history_window {window}",
                *loc,
                "history_min",
            )


def feedback_form_source(spec: Spec) -> Iterator[Finding]:
    """`feedback_form.source` names the source the filled-in form feeds."""
    form = spec.feedback_form
    if form is not None and form.source not in spec.sources:
        yield _error(
            spec,
            "unknown-source",
            f"source '{form.source}' is not defined under `sources:`"
            f"{did_you_mean(form.source, spec.sources)}",
            "feedback_form",
            "source",
        )


def notify_rules(spec: Spec) -> Iterator[Finding]:
    """`notify.rules`: unique names, a known audience, known channels that can reach it."""

    notify = spec.notify
    if notify is None:
        return
    audiences = ["rep", *spec.levels, "company"]
    vias = [EMAIL, *notify.channels]
    seen: set[str] = set()
    for i, rule in enumerate(notify.rules):
        at = ("notify", "rules", i)
        if rule.name in seen:
            yield _error(spec, "duplicate-rule", f"rule name '{rule.name}' is used twice", *at)
        seen.add(rule.name)
        if rule.to not in audiences:
            yield _error(
                spec,
                "unknown-audience",
                f"'{rule.to}' is not rep, a roster level or company"
                f"{did_you_mean(rule.to, audiences)}; use one of {', '.join(audiences)}",
                *at,
                "to",
            )
            continue
        for j, via in enumerate(rule.via):
            if via not in vias:
                yield _error(
                    spec,
                    "unknown-channel",
                    f"'{via}' is neither `email` nor a channel under `notify.channels:`"
                    f"{did_you_mean(via, vias)}",
                    *at,
                    "via",
                    j,
                )
                continue
            if via == EMAIL and notify.smtp is None:
                yield _error(spec, "no-smtp", "`via: email` needs `notify.smtp:`", *at, "via", j)
            personal = via == EMAIL or ADDRESS_PLACEHOLDER in notify.channels[via].url
            if not personal and rule.to != "company":
                # A group robot posts to everyone in the chat: one rep's (or team's) figures
                # must not land in front of the others.
                yield _error(
                    spec,
                    "group-channel",
                    f"channel '{via}' posts to one group chat, so it can only carry `to: company`;"
                    f" for each {rule.to}, put {ADDRESS_PLACEHOLDER} in its url and list the "
                    f"{rule.to}s' robot keys under `notify.contacts.{via}.{rule.to}`",
                    *at,
                    "via",
                    j,
                )
            elif personal and rule.to not in notify.contacts.get(via, {}):
                yield _error(
                    spec,
                    "no-contacts",
                    f"who is each {rule.to} on '{via}'? add `notify.contacts.{via}.{rule.to}:` "
                    "(a roster field, or a mapping of keys to addresses)",
                    *at,
                    "via",
                    j,
                )


def notify_contacts(spec: Spec) -> Iterator[Finding]:
    """`notify.contacts`: known channels and audiences; roster fields that are mapped."""

    notify = spec.notify
    if notify is None:
        return
    vias = [EMAIL, *notify.channels]
    audiences = ["rep", *spec.levels, "company"]
    fields = list(spec.org.columns) if spec.org is not None else []
    for via, by_level in notify.contacts.items():
        if via not in vias:
            yield _error(
                spec,
                "unknown-channel",
                f"'{via}' is neither `email` nor a channel{did_you_mean(via, vias)}",
                "notify",
                "contacts",
                via,
            )
        for level, contact in by_level.items():
            at = ("notify", "contacts", via, level)
            if level not in audiences:
                yield _error(
                    spec,
                    "unknown-audience",
                    f"'{level}' is not one of {', '.join(audiences)}"
                    f"{did_you_mean(level, audiences)}",
                    *at,
                )
            elif isinstance(contact, str) and level == "company":
                yield _error(
                    spec,
                    "company-contact",
                    "the company has no roster row: write `company: {company: address}`",
                    *at,
                )
            elif isinstance(contact, str) and contact not in fields:
                where = "org.columns" if spec.org is not None else "an `org:` roster (none here)"
                yield _error(
                    spec,
                    "unmapped-field",
                    f"roster field '{contact}' is not mapped in {where}"
                    f"{did_you_mean(contact, fields)}",
                    *at,
                )


RULES: list[Rule] = [
    unique_kpi_ids,
    kpi_sources_exist,
    as_of_source_exists,
    measure_arguments,
    kpi_fields_mapped,
    where_numbers_fit_fields,
    target_arguments,
    weights_sum_to_100,
    org_levels_mapped,
    source_keys_mapped,
    derived_names_known,
    source_filters_mapped,
    calendar_known,
    unused_sources,
    drilldown_fields_mapped,
    alert_thresholds_ordered,
    feedback_form_source,
    notify_rules,
    notify_contacts,
]


def run_rules(spec: Spec, *, check_paths: bool = True) -> list[Finding]:
    findings: list[Finding] = []
    rules = [*RULES, *MARKET_RULES]
    for rule in [*rules, paths_exist] if check_paths else rules:
        findings.extend(rule(spec))
    return sorted(findings, key=lambda f: (f.location.line or 0, f.location.key or ""))


def fields_needed(spec: Spec, source_name: str) -> tuple[set[str], set[str]]:
    """(fields to load, fields that must be numeric) for one source.

    Only these columns are read from the files: exports often have dozens of columns.
    Derived columns are replaced by the mapped fields they are computed from; those used
    as numbers in a formula must be numeric.
    """
    source = spec.sources[source_name]
    fields, numeric = _fields_used(spec, source_name)
    derive = source.derive or {}
    if derive:
        mapped, derived = dependencies(derive, fields)
        fields |= mapped
        for name in derived:
            expr = parse_expression(derive[name])
            numeric |= set(names_in(expr)) - text_names(expr)
    return fields & set(source.columns), numeric & set(source.columns)


def derived_needed(spec: Spec, source_name: str) -> set[str]:
    """The derived columns of a source that its KPIs use (directly or through another)."""
    derive = spec.sources[source_name].derive or {}
    if not derive:
        return set()
    fields, _ = _fields_used(spec, source_name)
    return dependencies(derive, fields)[1]


def _fields_used(spec: Spec, source_name: str) -> tuple[set[str], set[str]]:
    source = spec.sources[source_name]
    fields = {"date"}
    numeric: set[str] = set()
    # `comment` is free text that no KPI aggregates, but feedback reports quote it.
    always = {"rep", "comment", *spec.levels}
    fields |= always & set(source.fields)
    if source.key:
        fields.add(source.key)
    fields.update(source.where or {})
    for kpi in spec.kpis:
        if kpi.source != source_name:
            continue
        for field, _ in _field_refs(kpi):
            fields.add(field)
        # Problem analysis groups rows by these and, for sums, splits the change into
        # new, lost and existing customers: only loaded when a drill-down is configured.
        drill = drilldown_fields(spec, kpi)
        fields.update(drill)
        if drill and kpi.measure is MeasureKind.SUM:
            fields.add("customer")
        parts = [(kpi.measure, kpi.column)]
        parts += [(p.measure, p.column) for p in (kpi.numerator, kpi.denominator) if p]
        for measure, column in parts:
            if column and measure in NUMERIC_COLUMN_MEASURES:
                numeric.add(column)
    if "amount" in source.fields:
        fields.add("amount")
        numeric.add("amount")
        # The alerts' negative_amount rule tells returns from errors with this filter.
        fields.update(spec.alerts.returns_where or {})
    return fields & set(source.fields), numeric


def supported_countries() -> dict[str, list[str]]:
    """ISO country code -> its subdivision codes, as the `holidays` library knows them."""
    # lazy: holidays takes 0.08 s to import (python -X importtime); only a spec with
    # `calendar:` needs it.
    import holidays

    return {code: list(subs) for code, subs in holidays.list_supported_countries().items()}
