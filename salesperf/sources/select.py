"""A source's own `where:`: which rows of the files the source holds.

A CRM pipeline export lists open deals next to closed ones; a source of closed deals says
``where: {stage: [Won, Lost]}``, and the open deals (which have no close date yet) are
neither loaded nor rejected: they are counted as outside the source. The filter is applied
to the typed values of every row before rejections are kept, so a missing close date on an
open deal is no data problem. It may use mapped and derived fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from salesperf.sources.derive import add_derived
from salesperf.sources.filters import where_mask


def outside_rows(
    columns: Mapping[str, Any],
    where: Mapping[str, Any],
    derive: Mapping[str, str],
    rows: np.ndarray,
) -> np.ndarray:
    """True for the rows that do not match ``where`` (``columns``: field -> typed values of
    every row of one file, rejected ones included)."""
    frame = pd.DataFrame(dict(columns))
    frame["_row"] = np.asarray(rows, dtype=np.int64)
    derived = {f for f in where if f in derive}
    if derived:
        frame, _ = add_derived(frame, derive, derived)
    selected: np.ndarray = where_mask(frame, dict(where)).to_numpy(dtype=bool)
    return ~selected
