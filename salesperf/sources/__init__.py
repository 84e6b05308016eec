"""Reading sales exports (CSV, TSV, .xlsx, .xls...) into typed frames, rejecting bad rows.

Public API: :func:`load_source`, :func:`load_roster`, :func:`read_header` and the result
types :class:`LoadedSource`, :class:`FileInfo`, :class:`Rejection`. Modules by stage:
``detect`` (what the bytes are: format, encoding, delimiter), ``csvfile`` and ``excel``
(raw rows), ``recover`` (lines with the wrong number of fields), ``parse`` (text, missing
markers, amounts), ``dates`` (date formats), ``load`` (orchestration and error messages).
"""

from salesperf.sources.load import load_roster, load_source, match_columns, read_header
from salesperf.sources.models import FileInfo, LoadedSource, Rejection
from salesperf.sources.parse import DEFAULT_MISSING

__all__ = [
    "DEFAULT_MISSING",
    "FileInfo",
    "LoadedSource",
    "Rejection",
    "load_roster",
    "load_source",
    "match_columns",
    "read_header",
]
