"""salesperf: sales performance management from KPI specs and sales exports.

The library is the product; the ``salesperf`` command is a thin skin over it::

    import salesperf

    review = salesperf.Review("kpi.yaml", period="2017-06")
    review.results.table          # actual, target, attainment, pace... per KPI and entity
    review.scorecard.totals       # scores, tiers, ranks
    review.alerts                 # what needs attention, and why
    salesperf.write_report(review, "html", Path("review.html"))

docs/python-api.md walks through it. Every name below is imported on first use (a module
``__getattr__``): ``import salesperf`` stays cheap, pandas loads when a review needs it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:  # pragma: no cover
    from salesperf.anomalies.model import Alert, Severity
    from salesperf.backtest import Backtest, run_backtest
    from salesperf.diff import ReportDiff, diff_reports
    from salesperf.engine.pipeline import Results
    from salesperf.errors import (
        DataError,
        Finding,
        SalesperfError,
        SpecError,
        UsageError,
    )
    from salesperf.evaluation.performance import Evaluation
    from salesperf.evaluation.plans import Plan
    from salesperf.evaluation.scoring import Scorecard
    from salesperf.report import ReportBundle, write_rep_reports, write_report
    from salesperf.review import Review
    from salesperf.spec import Spec, load_spec

#: Public name -> the module that defines it.
_EXPORTS = {
    "load_spec": "salesperf.spec",
    "Spec": "salesperf.spec",
    "Review": "salesperf.review",
    "Results": "salesperf.engine.pipeline",
    "Evaluation": "salesperf.evaluation.performance",
    "Scorecard": "salesperf.evaluation.scoring",
    "Plan": "salesperf.evaluation.plans",
    "Alert": "salesperf.anomalies.model",
    "Severity": "salesperf.anomalies.model",
    "ReportBundle": "salesperf.report",
    "write_report": "salesperf.report",
    "write_rep_reports": "salesperf.report",
    "Backtest": "salesperf.backtest",
    "run_backtest": "salesperf.backtest",
    "ReportDiff": "salesperf.diff",
    "diff_reports": "salesperf.diff",
    "Finding": "salesperf.errors",
    "SalesperfError": "salesperf.errors",
    "SpecError": "salesperf.errors",
    "DataError": "salesperf.errors",
    "UsageError": "salesperf.errors",
}

__all__ = [
    "Alert",
    "Backtest",
    "DataError",
    "Evaluation",
    "Finding",
    "Plan",
    "ReportBundle",
    "ReportDiff",
    "Results",
    "Review",
    "SalesperfError",
    "Scorecard",
    "Severity",
    "Spec",
    "SpecError",
    "UsageError",
    "__version__",
    "diff_reports",
    "load_spec",
    "run_backtest",
    "write_rep_reports",
    "write_report",
]


def __getattr__(name: str) -> Any:
    # Lazy on purpose (start-up cost): `salesperf --help` imports this package, and the
    # names above pull in pandas, numpy and Jinja (about a second on a cold cache).
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'salesperf' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
