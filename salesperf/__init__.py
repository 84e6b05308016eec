"""salesperf: sales performance management from KPI specs and sales exports.

The library is the product; the ``salesperf`` command is a thin skin over it.
Heavy modules (pandas) are imported lazily so that ``import salesperf`` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:  # pragma: no cover
    from salesperf.spec import Spec, load_spec

__all__ = ["Spec", "__version__", "load_spec"]


def __getattr__(name: str) -> Any:
    if name in {"load_spec", "Spec"}:
        from salesperf import spec

        return getattr(spec, name)
    raise AttributeError(f"module 'salesperf' has no attribute {name!r}")
