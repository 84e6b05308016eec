"""Read a kpi.yaml into a :class:`Spec`, collecting every problem before failing."""

from __future__ import annotations

import types
import typing
from enum import Enum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from salesperf.errors import Finding, Level, Location, SpecError, did_you_mean
from salesperf.paths import node_kind
from salesperf.spec.locations import format_path, locate
from salesperf.spec.models import Spec
from salesperf.spec.rules import run_rules
from salesperf.spec.where_values import where_value_findings
from salesperf.spec.yaml_loader import LineDict, load_yaml

__all__ = ["format_path", "load_spec", "locate", "parse_spec"]

#: Refuse specs that are clearly not hand-written configs (or are hostile): a commented
#: 200-KPI spec is ~100 KB, and PyYAML reads about 150 KB a second.
MAX_SPEC_BYTES = 1_000_000
#: Every command does per-KPI work (~20 ms each on small data); scorecards have 5-20 KPIs.
MAX_KPIS = 500


def load_spec(path: str | Path, *, check_paths: bool = True) -> Spec:
    """Parse and validate a kpi.yaml.

    Raises :class:`SpecError` listing every problem with file, line and key path. Warnings
    (for instance weights that do not sum to 100) are kept on ``spec._warnings``.
    """
    path = Path(path)
    shown = str(path)
    try:
        status = path.stat()
        special = node_kind(status.st_mode)
        if special is not None:  # /dev/zero has size 0 and never ends; a pipe blocks
            raise _one(shown, f"not a regular file ({special}); pass the kpi.yaml file", "io")
        with path.open("rb") as handle:
            # At most one byte past the limit, whatever the size said (a file that grows).
            data = handle.read(MAX_SPEC_BYTES + 1)
        size = max(status.st_size, len(data))
        if size > MAX_SPEC_BYTES:
            raise _one(
                shown,
                f"file is {size:,} bytes; a kpi.yaml is expected to be small (at most "
                f"{MAX_SPEC_BYTES:,} bytes): split it into one spec per team or region",
                "size",
            )
        text = data.decode("utf-8-sig")
    except FileNotFoundError:
        raise _one(
            shown, "file not found; create one with `salesperf init DATA_FILE`", "missing"
        ) from None
    except IsADirectoryError:
        raise _one(shown, "is a directory; pass the kpi.yaml file itself", "missing") from None
    except UnicodeDecodeError as exc:
        raise _one(
            shown, f"not UTF-8 text (byte {exc.start}); save the spec as UTF-8", "encoding"
        ) from None
    except OSError as exc:
        raise _one(shown, f"cannot read: {exc.strerror}", "io") from None
    return parse_spec(text, shown, base_dir=path.parent, check_paths=check_paths)


def parse_spec(
    text: str, filename: str = "kpi.yaml", *, base_dir: Path | None = None, check_paths: bool = True
) -> Spec:
    """Validate spec text; ``filename`` is only used in messages."""
    if "\x00" in text:
        raise _one(filename, "contains NUL bytes; this is not a YAML text file", "encoding")
    raw = load_yaml(text, filename)
    if raw is None:
        raise _one(filename, "the file is empty; start from kpi.yaml.example", "empty")
    if not isinstance(raw, LineDict):
        raise _one(filename, "the top level must be a mapping of keys (version, sources, kpis)")
    kpis = raw.get("kpis")
    if isinstance(kpis, list) and len(kpis) > MAX_KPIS:
        raise SpecError(
            f"{filename} cannot be used:",
            [
                Finding(
                    Level.ERROR,
                    f"{len(kpis):,} KPIs; a spec holds at most {MAX_KPIS:,}: split it into one "
                    "spec per team or region",
                    locate(filename, raw, ("kpis",)),
                    "too-many-kpis",
                )
            ],
        )

    typed = where_value_findings(raw, filename)
    try:
        spec = Spec.model_validate(raw)
    except ValidationError as exc:
        findings = [_finding_from_pydantic(err, filename, raw) for err in exc.errors()]
        if typed:  # the precise finding, at the item's line, replaces the model's
            findings = [f for f in findings if "must hold plain values" not in f.message]
        findings = _dedupe([*typed, *findings])
        raise SpecError(f"{filename} has {_count(findings)}:", findings) from None
    if typed:
        raise SpecError(f"{filename} has {_count(typed)}:", _dedupe(typed))

    spec._path = filename
    spec._base_dir = str(base_dir if base_dir is not None else Path())
    spec._raw = raw

    findings = run_rules(spec, check_paths=check_paths)
    errors = [f for f in findings if f.level is Level.ERROR]
    if errors:
        raise SpecError(f"{filename} has {_count(errors)}:", findings)
    spec._warnings = tuple(findings)
    return spec


def _count(findings: list[Finding]) -> str:
    n = len(findings)
    return "1 problem" if n == 1 else f"{n} problems"


def _one(filename: str, message: str, code: str = "spec") -> SpecError:
    return SpecError(
        f"{filename} cannot be used:",
        [Finding(Level.ERROR, message, Location(filename), code)],
    )


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen: set[tuple[object, ...]] = set()
    out = []
    for f in findings:
        key = (f.location.line, f.location.key, f.message)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return sorted(out, key=lambda f: (f.location.line or 0, f.location.key or ""))


def _data_loc(loc: tuple[str | int, ...], raw: Any) -> tuple[str | int, ...]:
    """Drop pydantic's internal union/validator tags so the path matches the YAML."""
    out: list[str | int] = []
    node = raw
    for part in loc:
        if isinstance(node, dict) and isinstance(part, str) and part in node:
            out.append(part)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int):
            out.append(part)
            node = node[part] if 0 <= part < len(node) else None
        elif isinstance(part, str) and part not in ("[key]",) and not isinstance(node, dict | list):
            continue
        elif isinstance(node, dict) and isinstance(part, str) and "[" not in part:
            out.append(part)  # a missing key
            node = None
    return tuple(out)


def _finding_from_pydantic(err: Any, filename: str, raw: Any) -> Finding:
    loc = _data_loc(tuple(err["loc"]), raw)
    kind = err["type"]
    value = err.get("input")
    message = err["msg"]
    if kind == "extra_forbidden":
        allowed = _allowed_keys(loc[:-1])
        key = str(loc[-1]) if loc else "?"
        message = f"unknown key '{key}'{did_you_mean(key, allowed)}"
        home = [f for f in allowed if key in _allowed_keys((*loc[:-1], f))]
        if home:
            message += f" (`{key}:` belongs under `{home[0]}:`)"
        if allowed:
            message += f"; allowed here: {', '.join(sorted(allowed))}"
    elif kind == "missing":
        message = f"required key '{loc[-1]}' is missing" if loc else "a required key is missing"
        loc = loc[:-1] if loc else loc
        where = locate(filename, raw, loc)
        key_path = format_path((*loc, _missing_name(err)))
        return Finding(Level.ERROR, message, Location(where.file, where.line, key_path), kind)
    elif kind == "enum":
        enum = _enum_at(loc)
        choices = [m.value for m in enum] if enum is not None else []
        shown = ", ".join(choices) if choices else err.get("ctx", {}).get("expected", "")
        message = f"'{value}' is not one of {shown}{did_you_mean(str(value), choices)}"
    elif kind == "literal_error":
        message = f"'{value}' is not allowed; expected {err.get('ctx', {}).get('expected', '')}"
    elif kind == "string_pattern_mismatch":
        field = loc[-1] if loc else ""
        if field == "id":
            message = (
                f"'{value}' must use only lowercase letters, digits and _ (e.g. new_customers)"
            )
        elif field == "currency":
            message = f"'{value}' is not an ISO 4217 code (three capital letters, e.g. USD, CNY)"
    elif kind == "value_error":
        message = str(err.get("ctx", {}).get("error", message))
    elif kind in ("dict_type", "model_type"):
        message = f"expected a mapping of keys here, got {_describe(value)}"
    elif kind == "list_type":
        message = f"expected a list here (items starting with '- '), got {_describe(value)}"
    elif kind in ("float_parsing", "float_type", "int_parsing", "int_type", "int_from_float"):
        message = f"expected a number, got {_describe(value)}"
    elif kind == "string_type":
        message = f"expected text, got {_describe(value)}"
    elif kind == "too_short":
        message = "must not be empty"
    elif kind in _BOUNDS:
        limit = next(iter(err.get("ctx", {}).values()), "?")
        shown = f"{limit:g}" if isinstance(limit, int | float) else limit
        message = f"must be {_BOUNDS[kind]} {shown}, got {_describe(value)}"
    where = locate(filename, raw, loc)
    return Finding(Level.ERROR, message, where, kind)


_BOUNDS = {
    "greater_than": "above",
    "greater_than_equal": "at least",
    "less_than": "below",
    "less_than_equal": "at most",
}


def _missing_name(err: Any) -> str:
    return str(err["loc"][-1])


def _describe(value: Any) -> str:
    if value is None:
        return "nothing (an empty value)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"'{value}'"


def _unwrap(tp: Any) -> list[Any]:
    """The concrete candidate types inside Optional/Union/Annotated."""
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(tp)[0])
    if origin in (typing.Union, types.UnionType):
        out = []
        for arg in typing.get_args(tp):
            out.extend(_unwrap(arg))
        return out
    return [tp]


def _type_at(loc: tuple[str | int, ...]) -> Any:
    current: Any = Spec
    for part in loc:
        nxt = None
        for candidate in _unwrap(current):
            origin = typing.get_origin(candidate)
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                field = candidate.model_fields.get(str(part))
                if field is not None:
                    nxt = field.annotation
                    break
            elif origin is dict and isinstance(part, str):
                nxt = typing.get_args(candidate)[1]
                break
            elif origin is list and isinstance(part, int):
                nxt = typing.get_args(candidate)[0]
                break
        if nxt is None:
            return None
        current = nxt
    return current


def _allowed_keys(loc: tuple[str | int, ...]) -> list[str]:
    for candidate in _unwrap(_type_at(loc)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return [f.alias or name for name, f in candidate.model_fields.items()]
    return []


def _enum_at(loc: tuple[str | int, ...]) -> type[Enum] | None:
    for candidate in _unwrap(_type_at(loc)):
        if isinstance(candidate, type) and issubclass(candidate, Enum):
            return candidate
    return None
