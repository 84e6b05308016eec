"""Build in-memory datasets for engine tests, bypassing file loading.

The engine only reads each source's ``frame`` (and the roster's), so tests state their
rows as small DataFrames and their spec as YAML text.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from salesperf.sources.dataset import Dataset
from salesperf.spec import Spec, parse_spec


@dataclass
class StubSource:
    frame: pd.DataFrame
    files: list[Any] = field(default_factory=list)
    rejected: list[Any] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def rows_read(self) -> int:
        return len(self.frame)

    @property
    def rows_loaded(self) -> int:
        return len(self.frame)


def frame(rows: list[tuple[Any, ...]], columns: list[str]) -> pd.DataFrame:
    out = pd.DataFrame(rows, columns=columns)
    if "date" in out:
        out["date"] = pd.to_datetime(out["date"])
    for column in out.columns:
        if out[column].dtype == object:
            out[column] = out[column].astype("string")
    out["_row"] = range(2, len(out) + 2)
    return out


def spec_from(text: str) -> Spec:
    return parse_spec(textwrap.dedent(text), "kpi.yaml", check_paths=False)


def dataset(
    spec: Spec, sources: dict[str, pd.DataFrame], roster: pd.DataFrame | None = None
) -> Dataset:
    return Dataset(
        spec,
        {name: StubSource(f) for name, f in sources.items()},  # type: ignore[misc]
        StubSource(roster) if roster is not None else None,  # type: ignore[arg-type]
    )
