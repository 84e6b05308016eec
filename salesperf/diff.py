"""What changed between two runs: compare two JSON reports (``salesperf report -f json``).

    changes = diff_reports("2017-06-14.json", "2017-06-21.json")   # or two Reviews
    changes.identical, changes.to_dict()

Compared, section by section (everything else in a report is derived from these):

- ``run``: the period, as-of date and salesperf version;
- ``inputs``: the kpi.yaml's SHA-256, and every input file's (matched by path, else by file
  name): changed, added or removed;
- ``values``: each KPI's actual, target and status, for the company (``headline``) and for
  every entity of every level (``levels``); entities that appear or disappear;
- ``scores``: each scorecard row's total, tier and rank (reps, teams and up);
- ``alerts``: alerts that appeared or cleared, matched on rule, KPI, level and entity, and
  matched alerts whose severity changed.

Numbers are equal within a relative tolerance of 1e-9 (and 1e-12 absolute, for zeros), so
float noise from a different summation order is not a change.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

from salesperf.errors import DataError, Finding, Level, Location

if TYPE_CHECKING:
    from salesperf.review import Review

DIFF_SCHEMA = "salesperf.diff/1"
REPORT_SCHEMA = "salesperf.report/1"  # salesperf.report.model.REPORT_SCHEMA, without Jinja
REL_TOL = 1e-9
ABS_TOL = 1e-12
SECTIONS = ("run", "inputs", "values", "scores", "alerts")
VALUE_FIELDS = ("actual", "target", "status")
SCORE_FIELDS = ("total", "tier", "rank")


@dataclass(frozen=True)
class Change:
    """One difference. ``what`` names the field (``actual``, ``status``, ``tier``...), the
    input event (``spec``, ``changed``, ``added``, ``removed``: ``old``/``new`` are SHA-256)
    or the alert event (``appeared``, ``cleared``, ``severity``: ``old``/``new`` are
    severities, ``old_fmt``/``new_fmt`` messages). ``old``/``new`` are raw values (None when
    absent), ``old_fmt``/``new_fmt`` as the reports show them."""

    section: str
    what: str
    rule: str | None = None  # alerts
    kpi: str | None = None
    level: str | None = None
    entity: str | None = None
    name: str | None = None
    old: Any = None
    new: Any = None
    old_fmt: str = ""
    new_fmt: str = ""


@dataclass
class ReportDiff:
    old_file: str
    new_file: str
    old_meta: dict[str, Any]
    new_meta: dict[str, Any]
    changes: list[Change] = field(default_factory=list)

    @property
    def identical(self) -> bool:
        return not self.changes

    def section(self, name: str) -> list[Change]:
        return [c for c in self.changes if c.section == name]

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape (contract ``salesperf.diff/1``)."""
        return {
            "schema": DIFF_SCHEMA,
            "identical": self.identical,
            "old": {"file": self.old_file, **self.old_meta},
            "new": {"file": self.new_file, **self.new_meta},
            "counts": {s: len(self.section(s)) for s in SECTIONS},
            **{s: [_without_section(c) for c in self.section(s)] for s in SECTIONS},
        }


def _without_section(change: Change) -> dict[str, Any]:
    out = asdict(change)
    del out["section"]
    return out


def load_report(path: str | Path) -> dict[str, Any]:
    """A company report written by ``salesperf report -f json``, or a DataError naming the
    file (missing, unreadable, not JSON, another schema, a per-rep report)."""
    path = Path(path)

    def fail(message: str) -> DataError:
        finding = Finding(Level.ERROR, message, Location(str(path)), "diff-input")
        return DataError("Cannot compare the reports:", [finding])

    hint = "write reports to compare with `salesperf report KPI_YAML -f json -o FILE.json`"
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise fail("no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise fail(f"cannot be read ({type(exc).__name__}); {hint}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise fail(f"not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); {hint}") from None
    except RecursionError:
        raise fail(
            f"not a salesperf report: its JSON is nested too deeply to read; {hint}"
        ) from None
    schema = data.get("schema") if isinstance(data, dict) else None
    if not isinstance(data, dict) or schema != REPORT_SCHEMA:
        found = f"schema {clip(repr(schema))}" if isinstance(schema, str) else "no schema"
        raise fail(f"not a salesperf report ({found}, expected '{REPORT_SCHEMA}'); {hint}")
    if data.get("kind", "company") != "company":
        raise fail(
            f"a per-rep report (kind {clip(repr(data.get('kind')))}); diff compares company reports"
        )
    problems = schema_problems(data)  # before any field is read: no crash half-way
    if problems:
        findings = [
            Finding(Level.ERROR, message, Location(str(path), None, key), "diff-input")
            for key, message in problems
        ]
        findings.append(Finding(Level.ERROR, hint, Location(str(path)), "diff-input"))
        raise DataError("Cannot compare the reports: not a report salesperf wrote:", findings)
    report: dict[str, Any] = data
    return report


#: Problems listed per damaged report before the rest are counted.
SHOW_PROBLEMS = 5


@functools.cache
def _validator() -> Any:
    # lazy: jsonschema takes 0.1 s to import (python -X importtime); only `diff` checks
    # reports against the schema.
    import jsonschema

    return jsonschema.Draft202012Validator(report_schema())


def report_schema() -> dict[str, Any]:
    """The JSON Schema (Draft 2020-12) of a company report: salesperf/schemas/."""
    text = files("salesperf").joinpath("schemas/report.schema.json").read_text("utf-8")
    return dict(json.loads(text))


def schema_problems(data: Any) -> list[tuple[str, str]]:
    """(field path, what is wrong) for the first few places where ``data`` does not match
    the report schema, in document order; empty when it matches. A report edited by hand
    or damaged in transit would otherwise fail half-way through the comparison."""
    try:
        errors = sorted(_validator().iter_errors(data), key=lambda e: [str(p) for p in e.path])
    except RecursionError:
        return [("", "nested too deeply to check")]
    out: list[tuple[str, str]] = []
    for error in errors:
        problem = (_json_path(error.absolute_path) or "(the whole file)", _problem(error))
        if problem not in out:
            out.append(problem)
    errors, out = out, out[:SHOW_PROBLEMS]
    if len(errors) > SHOW_PROBLEMS:
        out.append(("", f"and {len(errors) - SHOW_PROBLEMS:,} more problem(s)"))
    return out


def clip(value: object, limit: int = 60) -> str:
    """A value from a damaged file as shown in a message: one line, at most ``limit``."""
    text = str(value).replace("\n", "\\n")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _json_path(parts: Any) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


_JSON_TYPES = {
    dict: "an object",
    list: "a list",
    str: "text",
    bool: "true/false",
    int: "a number",
    float: "a number",
    type(None): "null",
}


def _problem(error: Any) -> str:
    """One schema error in words: what was expected and what is there."""
    found = _JSON_TYPES.get(type(error.instance), "a value")
    if error.validator == "type":
        wanted = error.validator_value
        wanted = wanted if isinstance(wanted, list) else [wanted]
        names = {
            "object": "an object",
            "array": "a list",
            "string": "text",
            "null": "null",
            "integer": "an integer",
        }
        shown = " or ".join(names.get(w, f"a {w}") for w in wanted)
        return f"expected {shown}, got {found}"
    if error.validator == "required":
        return f"{clip(error.message)} (a report always has it)"
    if error.validator in ("enum", "const"):
        return f"{clip(repr(error.instance))} is not allowed here ({clip(error.message)})"
    return clip(error.message)


def same(old: Any, new: Any) -> bool:
    """Equal, with numbers compared within REL_TOL (booleans and text exactly)."""
    numbers = (int, float)
    if (
        isinstance(old, numbers)
        and isinstance(new, numbers)
        and not isinstance(old, bool)
        and not isinstance(new, bool)
    ):
        return math.isclose(old, new, rel_tol=REL_TOL, abs_tol=ABS_TOL)
    return bool(old == new)


def report_document(report: Review | Mapping[str, Any] | str | Path) -> dict[str, Any]:
    """A company report as its JSON document: a review's (what ``write_report(review,
    "json", ...)`` would write), a JSON report file's (:func:`load_report`), or the document
    itself."""
    if isinstance(report, (str, Path)):
        return load_report(report)
    if isinstance(report, Mapping):
        return dict(report)
    # lazy: `salesperf diff` compares two files and must not pay for importing the report
    # renderer, Jinja and pandas (about a second, measured with python -X importtime).
    from salesperf.report.render import render_json

    document: dict[str, Any] = json.loads(render_json(report.report(charts=False).view))
    return document


def diff_reports(
    old: Review | Mapping[str, Any] | str | Path,
    new: Review | Mapping[str, Any] | str | Path,
    old_file: str | None = None,
    new_file: str | None = None,
) -> ReportDiff:
    """Every difference between two company reports (see the module docstring).

    ``old`` and ``new``: each a :class:`~salesperf.review.Review`, the path of a JSON report
    (``salesperf report -f json``) or a loaded one. ``old_file`` / ``new_file`` name them in
    the output (default: the path, else "OLD" and "NEW").
    """
    old_name = old_file or (str(old) if isinstance(old, (str, Path)) else "OLD")
    new_name = new_file or (str(new) if isinstance(new, (str, Path)) else "NEW")
    old, new = report_document(old), report_document(new)
    out = ReportDiff(old_name, new_name, _meta(old), _meta(new))
    out.changes.extend(_run(old, new))
    out.changes.extend(_inputs(old.get("provenance") or {}, new.get("provenance") or {}))
    out.changes.extend(_values(old, new))
    out.changes.extend(_scores(old.get("scorecard") or {}, new.get("scorecard") or {}))
    out.changes.extend(_alerts(old.get("alerts") or [], new.get("alerts") or []))
    return out


def _meta(report: dict[str, Any]) -> dict[str, Any]:
    meta = report.get("meta") or {}
    return {k: meta.get(k) for k in ("title", "period", "as_of", "version")}


def _run(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    before, after = _meta(old), _meta(new)
    return [
        Change(
            "run",
            key,
            old=before[key],
            new=after[key],
            old_fmt=_text(before[key]),
            new_fmt=_text(after[key]),
        )
        for key in ("period", "as_of", "version")
        if not same(before[key], after[key])
    ]


def _inputs(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    changes = []
    old_spec, new_spec = old.get("spec") or {}, new.get("spec") or {}
    if not same(old_spec.get("sha256"), new_spec.get("sha256")):
        changes.append(
            Change(
                "inputs",
                "spec",
                entity=new_spec.get("path") or old_spec.get("path"),
                old=old_spec.get("sha256"),
                new=new_spec.get("sha256"),
                old_fmt=_short(old_spec.get("sha256")),
                new_fmt=_short(new_spec.get("sha256")),
            )
        )
    before = {f["path"]: f for f in old.get("inputs") or []}
    after = {f["path"]: f for f in new.get("inputs") or []}
    pairs = [(p, p) for p in before if p in after]
    # A run from another folder names the same files by another path: pair by file name.
    lost = [p for p in before if p not in after]
    found = [p for p in after if p not in before]
    for path in list(lost):
        matches = [q for q in found if Path(q).name == Path(path).name]
        if len(matches) == 1 and [Path(p).name for p in lost].count(Path(path).name) == 1:
            pairs.append((path, matches[0]))
            lost.remove(path)
            found.remove(matches[0])
    for old_path, new_path in pairs:
        a, b = before[old_path], after[new_path]
        if not same(a.get("sha256"), b.get("sha256")):
            changes.append(
                Change(
                    "inputs",
                    "changed",
                    entity=new_path,
                    old=a.get("sha256"),
                    new=b.get("sha256"),
                    old_fmt=_file(a),
                    new_fmt=_file(b),
                )
            )
    for path in lost:
        sha = before[path].get("sha256")
        changes.append(
            Change("inputs", "removed", entity=path, old=sha, old_fmt=_file(before[path]))
        )
    for path in found:
        sha = after[path].get("sha256")
        changes.append(Change("inputs", "added", entity=path, new=sha, new_fmt=_file(after[path])))
    return changes


def _text(value: Any) -> str:
    return "–" if value is None else str(value)


def _short(sha: Any) -> str:
    return f"sha256 {sha[:12]}…" if isinstance(sha, str) else "–"


def _file(entry: dict[str, Any]) -> str:
    """ "9,957 rows, sha256 2a0bb7c78a75…" """
    rows = entry.get("rows")
    counted = f"{rows:,} rows, " if isinstance(rows, int) else ""
    return counted + _short(entry.get("sha256"))


def _cells(report: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """(level, entity) -> {"name": ..., "kpis": {kpi: cell}}, the company first."""
    title = (report.get("meta") or {}).get("title")
    out: dict[tuple[str, str], dict[str, Any]] = {
        ("company", "company"): {
            "name": title or "company",
            "kpis": {c["kpi"]: c for c in report.get("headline") or []},
        }
    }
    for level in report.get("levels") or []:
        for entity in level.get("entities") or []:
            out[(level["level"], str(entity["entity"]))] = {
                "name": entity.get("name"),
                "kpis": {c["kpi"]: c for c in entity.get("kpis") or []},
            }
    return out


def _values(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    before, after = _cells(old), _cells(new)
    changes = []
    for key in [*before, *(k for k in after if k not in before)]:
        level, entity = key
        if key not in after or key not in before:
            gone = key not in after
            name = (before if gone else after)[key]["name"]
            what = "removed" if gone else "added"
            changes.append(Change("values", what, level=level, entity=entity, name=name))
            continue
        a, b = before[key]["kpis"], after[key]["kpis"]
        name = after[key]["name"]
        for kpi in [*a, *(k for k in b if k not in a)]:
            old_cell, new_cell = a.get(kpi, {}), b.get(kpi, {})
            for what in VALUE_FIELDS:
                if same(old_cell.get(what), new_cell.get(what)):
                    continue
                changes.append(
                    Change(
                        "values",
                        what,
                        kpi=kpi,
                        level=level,
                        entity=entity,
                        name=name,
                        old=old_cell.get(what),
                        new=new_cell.get(what),
                        old_fmt=_shown(old_cell, what),
                        new_fmt=_shown(new_cell, what),
                    )
                )
    return changes


def _shown(cell: dict[str, Any], what: str) -> str:
    """A value as the report shows it (its ``*_fmt`` or label), else as is."""
    for key in (f"{what}_fmt", f"{what}_label"):
        if isinstance(cell.get(key), str):
            return str(cell[key])
    value = cell.get(what)
    return "–" if value is None else str(value)


def _scores(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    def rows(card: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
        both = [*(card.get("rows") or []), *(card.get("groups") or [])]
        return {(r["level"], str(r["entity"])): r for r in both}

    before, after = rows(old), rows(new)
    changes = []
    for key in [*before, *(k for k in after if k not in before)]:
        level, entity = key
        if key not in after or key not in before:
            gone = key not in after
            row = (before if gone else after)[key]
            what = "removed" if gone else "added"
            changes.append(Change("scores", what, level=level, entity=entity, name=row.get("name")))
            continue
        a, b = before[key], after[key]
        for what in SCORE_FIELDS:
            if same(a.get(what), b.get(what)):
                continue
            changes.append(
                Change(
                    "scores",
                    what,
                    level=level,
                    entity=entity,
                    name=b.get("name"),
                    old=a.get(what),
                    new=b.get(what),
                    old_fmt=_shown(a, what),
                    new_fmt=_shown(b, what),
                )
            )
    return changes


def _alerts(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[Change]:
    """Alerts matched on (rule, kpi, level, entity); several alerts with one key (a rule per
    source) are matched in order, the rest appeared or cleared."""

    def key(alert: dict[str, Any]) -> tuple[Any, ...]:
        return (alert.get("rule"), alert.get("kpi"), alert.get("level"), alert.get("entity"))

    def grouped(alerts: list[dict[str, Any]]) -> dict[tuple[Any, ...], list[dict[str, Any]]]:
        out: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
        for alert in alerts:
            out.setdefault(key(alert), []).append(alert)
        return out

    before, after = grouped(old), grouped(new)
    changes = []
    for k in [*before, *(k for k in after if k not in before)]:
        a, b = before.get(k, []), after.get(k, [])
        for i in range(max(len(a), len(b))):
            x = a[i] if i < len(a) else None
            y = b[i] if i < len(b) else None
            if x is not None and y is not None and same(x.get("severity"), y.get("severity")):
                continue
            what = "severity" if x and y else ("cleared" if x else "appeared")
            shown = y or x
            assert shown is not None
            changes.append(
                Change(
                    "alerts",
                    what,
                    rule=k[0],
                    kpi=k[1],
                    level=k[2],
                    entity=k[3],
                    name=shown.get("who") or shown.get("entity"),
                    old=x.get("severity") if x else None,
                    new=y.get("severity") if y else None,
                    old_fmt=str(x.get("message") or "") if x else "",
                    new_fmt=str(y.get("message") or "") if y else "",
                )
            )
    return changes
