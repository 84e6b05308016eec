"""Anomaly alerts: what in the reviewed period a manager should look at, and why.

    review = salesperf.Review("kpi.yaml")
    review.alerts                                    # list[Alert], sorted
    salesperf.anomalies.detect(review.results, review.rows)   # the same, as a stage
    [a.to_dict() for a in alerts]                    # JSON-ready

Modules: ``model`` (Alert, Severity), ``context`` (what rules share), ``kpi_rules``
(behind_pace, off_history, sharp_change, consecutive_declines, peer_outlier), ``activity``
(gone_quiet), ``data_rules`` (duplicate_key, negative_amount, future_date,
large_transaction, rejected_rows, not_on_roster), ``messages`` (en / zh-CN catalogue),
``detect`` (running, folding, analysis, order) and ``digest`` (Markdown and view rows).
Problem analysis lives in :mod:`salesperf.anomalies.analysis`.
"""

from salesperf.anomalies.detect import RULES, detect, select, sort_alerts, to_document
from salesperf.anomalies.model import ALERTS_SCHEMA, Alert, Severity

__all__ = [
    "ALERTS_SCHEMA",
    "RULES",
    "Alert",
    "Severity",
    "detect",
    "select",
    "sort_alerts",
    "to_document",
]
