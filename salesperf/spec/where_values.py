"""The values of `where:` filters as YAML types them, checked against what was written.

YAML 1.1 (what PyYAML reads) turns unquoted ``Yes``/``No``/``on``/``off`` into booleans,
``010`` into the octal number 8, ``1:30`` into the sexagesimal number 90 and ``null`` or an
empty value into nothing. In a filter each of those silently matches no row (``{paid: Yes}``
compares the column with "true"; ``{country: NO}`` with "false") or the wrong ones, so the
revenue comes out 0 with no warning. They are refused here, on the raw document, where the
line and the text as written are still known, with the quoted form to use instead.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from typing import Any

from salesperf.errors import Finding, Level, Location
from salesperf.spec.locations import format_path
from salesperf.spec.yaml_loader import LineDict, LineList

#: Keys whose mapping is a filter (a KPI's and a ratio part's `where:`, the alerts'
#: `returns_where:`).
FILTER_KEYS = ("where", "returns_where")
#: Integers as YAML 1.1 reads them that are not plain decimal: octal, hex, binary,
#: sexagesimal. ``1_000`` (digit grouping) is left alone: it means what it says.
_NOT_DECIMAL = re.compile(r"^[-+]?(0[0-7_]+|0[xob][0-9a-fA-F_]+|[0-9][0-9_]*(:[0-5]?[0-9])+.*)$")


def where_value_findings(raw: Any, filename: str) -> list[Finding]:
    """Every `where:` value that YAML typed differently from how it reads, and every octal
    or base-60 number anywhere in the spec."""
    return list(_walk(raw, (), filename))


def _walk(node: Any, path: tuple[str | int, ...], filename: str) -> Iterator[Finding]:
    if isinstance(node, LineDict):
        for key, value in node.items():
            if key in FILTER_KEYS and isinstance(value, LineDict):
                yield from _filter(value, (*path, key), filename)
            elif isinstance(value, LineDict | LineList):
                yield from _walk(value, (*path, key), filename)
            else:
                line = node.key_lines.get(key, node.line)
                yield from _number(value, node.written.get(key), (*path, key), filename, line)
    elif isinstance(node, LineList):
        for i, item in enumerate(node):
            if isinstance(item, LineDict | LineList):
                yield from _walk(item, (*path, i), filename)
            else:
                line = node.item_lines[i]
                yield from _number(item, node.written[i], (*path, i), filename, line)


#: Octal (``010``) and base-60 (``1:30``) integers, as YAML 1.1 reads them.
_SURPRISING_INT = re.compile(r"^[-+]?(0[0-7_]+|[0-9][0-9_]*(:[0-5]?[0-9])+)$")


def _number(
    value: Any, written: str | None, path: tuple[str | int, ...], filename: str, line: int
) -> Iterator[Finding]:
    """Anywhere in the spec, ``weight: 010`` is 8 and ``periods: 1:30`` is 90 to YAML:
    nobody means that, so it is refused with the number to write."""
    if isinstance(value, bool) or not isinstance(value, int) or not written:
        return
    if _SURPRISING_INT.match(written.strip()):
        decimal = written.strip().lstrip("+-").lstrip("0_") or "0"
        fix = f"write {decimal}" if ":" not in written else "write the number itself"
        yield _finding(
            f"YAML reads {written} as the number {value} ({_notation(written)}); {fix}, or "
            f"'{written}' in quotes if it is text",
            path,
            filename,
            line,
        )


def _filter(where: LineDict, path: tuple[str | int, ...], filename: str) -> Iterator[Finding]:
    for field, condition in where.items():
        at = (*path, field)
        line = where.key_lines.get(field, where.line)
        if isinstance(condition, LineDict):
            for op, value in condition.items():
                op_line = condition.key_lines.get(op, line)
                if isinstance(value, LineList):
                    yield from _items(value, (*at, op), filename)
                else:
                    yield from _scalar(
                        value, condition.written.get(op), (*at, op), filename, op_line
                    )
        elif isinstance(condition, LineList):
            yield from _items(condition, at, filename)
        else:
            yield from _scalar(condition, where.written.get(field), at, filename, line)


def _items(values: LineList, path: tuple[str | int, ...], filename: str) -> Iterator[Finding]:
    for i, value in enumerate(values):
        line = values.item_lines[i]
        if isinstance(value, LineList | LineDict):
            kind = "list" if isinstance(value, LineList) else "mapping"
            yield _finding(
                f"a {kind} inside a list of values; list plain values, e.g. [Won, Lost]",
                (*path, i),
                filename,
                line,
            )
        else:
            yield from _scalar(value, values.written[i], (*path, i), filename, line)


def _scalar(
    value: Any, written: str | None, path: tuple[str | int, ...], filename: str, line: int
) -> Iterator[Finding]:
    if value is None and not written:
        yield _finding(
            "the value is empty, and a filter needs one; write the value to match, or remove "
            "this line",
            path,
            filename,
            line,
        )
    elif value is None:
        yield _finding(
            f"'{written}' is no value in YAML, and a filter needs one; write '{written}' in "
            "quotes to match that text",
            path,
            filename,
            line,
        )
    elif isinstance(value, bool):
        yield _finding(
            f"YAML reads {written or value} as {str(value).lower()}, which matches no text in "
            f"a column; write '{written or value}' in quotes to match that text",
            path,
            filename,
            line,
        )
    elif isinstance(value, int) and written and _NOT_DECIMAL.match(written):
        yield _finding(
            f"YAML reads {written} as the number {value} ({_notation(written)}); "
            f"write '{written}' in quotes to match that text",
            path,
            filename,
            line,
        )
    elif isinstance(value, float) and (math.isnan(value) or (written and ":" in written)):
        yield _finding(
            f"YAML reads {written or value} as the number {value}, which no value equals; "
            f"write '{written or value}' in quotes to match that text",
            path,
            filename,
            line,
        )


def _notation(written: str) -> str:
    digits = written.lstrip("+-").lower()
    if ":" in digits:
        return "base 60, like a time"
    if digits.startswith("0x"):
        return "hexadecimal"
    if digits.startswith("0b"):
        return "binary"
    return "octal: a leading zero"


def _finding(message: str, path: tuple[str | int, ...], filename: str, line: int) -> Finding:
    return Finding(Level.ERROR, message, Location(filename, line, format_path(path)), "where-value")
