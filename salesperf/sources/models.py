"""What loading a source returns: the frame, what was detected per file, and every rejected row.

Plain data only, so the CLI, ``salesperf check`` and the JSON output can all render it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

#: Longest raw value kept in a :class:`Rejection` (sales data is confidential and noisy).
MAX_VALUE_CHARS = 60


def clip(value: object, limit: int = MAX_VALUE_CHARS) -> str:
    """Raw text as shown in messages: one line, at most ``limit`` characters."""
    text = str(value).replace("\r", "\\r").replace("\n", "\\n").replace("\x00", "\\0")
    text = text.replace("\ufeff", "<BOM>")  # invisible, yet it is why the value is wrong
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class Rejection:
    """One data row that was read but not loaded, and why.

    ``row`` is the row number a spreadsheet shows (the header row counts), which for a CSV
    is the physical line on which the record starts. ``column`` is the file's header, not
    the salesperf field, because that is what the user sees when they open the file.
    Reasons: ``missing-date``, ``bad-date``, ``bad-number``, ``wrong-field-count``,
    ``encoding`` (undecodable bytes), ``nul-byte``, ``repeated-header`` (a line that repeats
    the header, as when two exports are joined together), ``formula-no-value`` (a workbook
    cell holding a formula whose result was never stored, as scripts write them),
    ``mixed-percent`` (a percentage among plain numbers in one column, or the reverse).
    """

    file: str
    row: int
    reason: str
    column: str | None = None
    value: str | None = None


@dataclass(frozen=True)
class FileInfo:
    """What was detected (or taken from the spec) for one input file.

    ``format`` is what the bytes are ("csv", "xlsx", "xls", "xlsb", "ods"), which can differ
    from the extension. ``date_format`` is the strftime-style format used for the date
    column: the one given in the spec, or the one inferred (several joined by `` | `` when a
    file mixes unambiguous forms).
    """

    path: str
    format: str
    encoding: str | None
    delimiter: str | None
    sheet: str | None
    rows_read: int
    sha256: str
    date_format: str | None
    #: Data rows outside the source's `where:` (rows the source does not hold): neither
    #: loaded nor rejected.
    rows_outside: int = 0


@dataclass
class LoadedSource:
    """A source (one file or a glob of files) loaded into one frame.

    ``frame`` holds the requested salesperf fields (``date`` as datetime64[ns], numeric fields
    as float64, everything else as the ``string`` dtype with ``<NA>`` for missing), plus
    ``_file`` (categorical of file paths, categories in the order of ``files``, so its codes
    index ``files``) and ``_row`` (int64 spreadsheet row). ``rows_read`` counts data rows
    (blank lines excluded); every one of them is either in ``frame``, in ``rejected``, or
    outside the source's ``where:`` (counted in :attr:`rows_outside`).
    """

    name: str
    frame: pd.DataFrame
    files: list[FileInfo] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: Text field -> (the frame's column array, code per row, distinct values), filled by the
    #: loader, which has them anyway: see :meth:`codes`.
    text_codes: dict[str, tuple[Any, np.ndarray, np.ndarray]] = field(
        default_factory=dict, repr=False, compare=False
    )

    def codes(self, field_name: str) -> tuple[np.ndarray, np.ndarray] | None:
        """(code per row of ``frame`` as int32, -1 where missing; distinct values in order of
        first appearance) of a text field: what ``pd.factorize(frame[field_name])`` returns,
        without hashing a million strings again. None when the loader did not record them or
        ``frame`` no longer holds the column it loaded (a new frame, a replaced column)."""
        entry = self.text_codes.get(field_name)
        if entry is None or field_name not in self.frame.columns:
            return None
        array, codes, values = entry
        if self.frame[field_name].array is not array or len(codes) != len(self.frame):
            return None
        return codes, values

    @property
    def rows_read(self) -> int:
        return sum(f.rows_read for f in self.files)

    @property
    def rows_outside(self) -> int:
        return sum(f.rows_outside for f in self.files)

    @property
    def rows_loaded(self) -> int:
        return len(self.frame)

    @property
    def rejected_by_reason(self) -> dict[str, list[int]]:
        """Reason code -> row numbers (in file order), for summaries like "3 bad-date: 4, 9, 12"."""
        out: dict[str, list[int]] = {}
        for rejection in self.rejected:
            out.setdefault(rejection.reason, []).append(rejection.row)
        return out
