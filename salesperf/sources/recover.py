"""Records with the wrong number of fields: recover the used columns only when unambiguous.

The usual cause is an unquoted delimiter inside a value (Northwind's ``Rua do Paço, 67``):
the record has ``n + e`` fields and exactly one column was split into ``e + 1`` pieces. Which
column is unknown, so every split position ``j`` is a candidate. A candidate is kept only if
each of its values fits what that column holds in the well-formed rows (numbers stay
numbers, dates stay dates, always-empty columns stay empty). The record is recovered when
all kept candidates agree on every column salesperf uses: typically the used columns lie
before the first column that could have split (or after it, counting from the end).
Otherwise it is rejected as ``wrong-field-count``, never guessed.

A record with *fewer* fields is recovered only when every used column is present, every
present value fits its column, and at least one of those checks could have failed (a
number, date or empty column): a line broken in two leaves a first half that reads correctly
and a second half that does not.
"""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
import pandas as pd

from salesperf.sources.dates import DATE_SHAPE
from salesperf.sources.models import clip
from salesperf.sources.parse import DEFAULT_MISSING

#: Rows of well-formed data used to learn what each column holds.
PROFILE_ROWS = 1000
#: A column counts as "always empty" only on this much evidence: optional columns are
#: often empty in a few rows, and a wrong "empty" would rule out the true split.
EMPTY_EVIDENCE = 100
_MISSING = frozenset({"", "-", *DEFAULT_MISSING})
_NUMBER = re.compile(
    r"^[(+-]?\s*(?:[A-Z]{3}\s?|[A-Z]{0,2}[$¥€£])?\s*[-+]?"
    r"(?:\d{1,3}(?:[,. ']\d{3})+|\d+)(?:[.,]\d+)?(?:[eE][-+]?\d+)?"
    r"\s*%?\s*(?:[A-Z]{3}|元)?\)?-?$"
)


def profile_columns(sample: list[list[str]], n: int) -> list[str]:
    """What each column holds in well-formed rows: "empty", "number", "date" or "text"."""
    profiles = []
    for c in range(n):
        present = [v.strip() for row in sample if c < len(row) for v in (row[c],)]
        present = [v for v in present if v not in _MISSING]
        if not sample:
            profiles.append("text")
        elif not present:
            profiles.append("empty" if len(sample) >= EMPTY_EVIDENCE else "text")
        elif all(_NUMBER.match(v) for v in present):
            profiles.append("number")
        elif all(DATE_SHAPE.match(v) for v in present):
            profiles.append("date")
        else:
            profiles.append("text")
    return profiles


def fits(value: str, profile: str) -> bool:
    value = value.strip()
    if value in _MISSING:
        return True
    if profile == "empty":
        return False
    if profile == "number":
        return bool(_NUMBER.match(value))
    if profile == "date":
        return bool(DATE_SHAPE.match(value))
    return True


class Recovery:
    """Applies the rule above to a file's bad records and reports what it did."""

    def __init__(self, n: int, positions: list[int], profiles: list[str], delimiter: str) -> None:
        self.n = n
        self.positions = sorted(set(positions))
        self.profiles = profiles
        self.delimiter = delimiter
        self.recovered = 0
        self.rejected = 0
        self.field_counts: Counter[int] = Counter()
        self.first_line: int | None = None

    def recover(self, values: list[str]) -> list[str] | None:
        """The used columns' values, or None when they cannot be placed unambiguously."""
        n, extra = self.n, len(values) - self.n
        if extra > 0:
            picks = set()
            for j in range(n):
                merged = self.delimiter.join(values[j : j + extra + 1])
                candidate = [*values[:j], merged, *values[j + extra + 1 :]]
                if all(fits(v, p) for v, p in zip(candidate, self.profiles, strict=True)):
                    picks.add(tuple(candidate[p] for p in self.positions))
                    if len(picks) > 1:
                        return None
            return list(picks.pop()) if picks else None
        if any(p >= len(values) for p in self.positions):
            return None
        present = self.profiles[: len(values)]
        if not any(p != "text" for p in present):
            return None
        if not all(fits(v, p) for v, p in zip(values, present, strict=True)):
            return None
        return [values[p] for p in self.positions]

    def apply(
        self,
        records: list[tuple[int, list[str], str]],
        frame: pd.DataFrame,
        rows: np.ndarray,
        rejected: list[tuple[int, str, int | None, str | None]],
        shown: str,
    ) -> tuple[pd.DataFrame, np.ndarray]:
        """Append recovered records to ``frame``/``rows`` (kept in file order), reject the rest."""
        got: list[list[str]] = []
        got_rows: list[int] = []
        for line, values, raw in records:
            self.field_counts[len(values)] += 1
            if self.first_line is None:
                self.first_line = line
            values_used = self.recover(values)
            if values_used is None:
                self.rejected += 1
                rejected.append((line, "wrong-field-count", None, clip(raw)))
            else:
                self.recovered += 1
                got.append(values_used)
                got_rows.append(line)
        if not got:
            return frame, rows
        extra = pd.DataFrame(
            {p: pd.Series([r[i] for r in got], dtype=object) for i, p in enumerate(self.positions)}
        )
        combined = pd.concat([frame, extra], ignore_index=True)
        all_rows = np.concatenate([rows, np.array(got_rows, dtype=np.int64)])
        order = np.argsort(all_rows, kind="stable")
        return combined.iloc[order].reset_index(drop=True), all_rows[order]

    def warnings(self, shown: str, data_rows: int) -> list[str]:
        total = self.recovered + self.rejected
        if not total:
            return []
        counts = ", ".join(f"{k}" for k in sorted(self.field_counts))
        if not self.rejected:
            outcome = "all recovered: the columns used could be placed unambiguously"
        elif not self.recovered:
            outcome = (
                "all rejected as wrong-field-count: a column used could have shifted, so its "
                "value cannot be placed without guessing"
            )
        else:
            outcome = (
                f"{self.recovered:,} recovered (the columns used could be placed "
                f"unambiguously), {self.rejected:,} rejected as wrong-field-count"
            )
        out = [
            f"{shown}: {total:,} line(s) have {counts} fields instead of the header's {self.n} "
            f"(first: line {self.first_line}), usually an unquoted delimiter inside a value; "
            f"{outcome}"
        ]
        if total > data_rows / 2:
            out.append(
                f"{shown}: most lines disagree with the header's {self.n} fields; check "
                "header_row: and delimiter: for this source"
            )
        return out
