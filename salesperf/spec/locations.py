"""Where a key of the kpi.yaml is: ``kpi.yaml:14: kpis[2].target.method``.

Below both the loader (:mod:`salesperf.spec.load`) and the cross-object rules
(:mod:`salesperf.spec.rules`), which both point at keys.
"""

from __future__ import annotations

from typing import Any

from salesperf.errors import Location
from salesperf.spec.yaml_loader import line_of


def format_path(loc: tuple[str | int, ...]) -> str:
    """``("kpis", 2, "target", "method")`` -> ``kpis[2].target.method``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def locate(spec_file: str, raw: Any, loc: tuple[str | int, ...]) -> Location:
    """Location of a key path in the spec file (line of the deepest existing node)."""
    return Location(spec_file, line_of(raw, loc), format_path(loc) or None)
