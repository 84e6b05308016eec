"""One review of one period: load once, compute each stage once, hand it on.

    review = Review("kpi.yaml", period="2017-06")
    review.results.table        # actual, target, attainment, pace... per KPI and entity
    review.scorecard.totals     # scores, tiers, ranks, change since last period
    review.alerts               # what needs attention, and why

:class:`Review` owns a run. Every stage is a pure function of its inputs (the modules
under ``salesperf/engine``, ``anomalies``, ``evaluation``); each property below calls one
of them on first use, keeps what it returns (``functools.cached_property``) and hands it
to the stages after it::

    spec ─► dataset ─► org ─► rows ─► cube ─► targets ─► results ─┬► previous ─► scorecard ─► plans
                                                                 ├► alerts
                                                                 └► trend

``previous`` (scoring's previous period) and ``trend`` (the report's last 12 periods) are
cut from the same cube: nothing is loaded, prepared or counted twice. The CLI, reports,
:func:`salesperf.backtest.run_backtest` and :func:`salesperf.diff.diff_reports` all take a
:class:`Review`.
"""

from __future__ import annotations

import datetime as dt
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from salesperf.engine.market import market_share_findings
from salesperf.engine.metrics import COMPANY, compute_actuals, prepare_rows
from salesperf.engine.org import build_org
from salesperf.engine.overrides import read_overrides
from salesperf.engine.pipeline import (
    Results,
    last_data_date,
    pacing_shares,
    resolve_period,
    results_table,
    stale_findings,
)
from salesperf.engine.targets import compute_targets
from salesperf.errors import Finding, Level, argument
from salesperf.sources.dataset import load_dataset
from salesperf.spec import Spec, load_spec

# The stages after `results` (scoring, plans, alerts, the report) are imported where they
# are used: `salesperf progress` and `targets` need none of them (together 50 ms of imports,
# median of 9 fresh processes with compiled bytecode; tests/cli/test_cli.py checks it).
if TYPE_CHECKING:
    from salesperf.anomalies import Alert
    from salesperf.engine.metrics import Rows
    from salesperf.engine.org import Org
    from salesperf.engine.targets import TargetSet
    from salesperf.evaluation.performance import Evaluation
    from salesperf.evaluation.plans import Plan
    from salesperf.evaluation.scoring import Scorecard
    from salesperf.report import ReportBundle
    from salesperf.sources.dataset import Dataset


class Review:
    """A review of ``period`` (default: the one containing ``as_of``) as of ``as_of``
    (default: the last date of the spec's clock source).

    ``spec``: a :class:`~salesperf.spec.Spec` or the path of a kpi.yaml. ``dataset``: the
    loaded sources, when the caller has them already (tests, a notebook reviewing several
    periods of the same exports); loaded here otherwise. Bad input raises a
    :class:`~salesperf.errors.SalesperfError` naming the file, line and key, or the
    argument (``period=``, ``rep=``).
    """

    def __init__(
        self,
        spec: Spec | str | Path,
        period: str | None = None,
        as_of: dt.date | None = None,
        *,
        dataset: Dataset | None = None,
    ) -> None:
        self.spec: Spec = spec if isinstance(spec, Spec) else load_spec(spec)
        self.dataset: Dataset = dataset if dataset is not None else load_dataset(self.spec)
        self.calendar, self.period, self.as_of = resolve_period(
            self.spec, self.dataset, period, as_of
        )
        #: How ``period`` was read, when that is worth saying (2017-Q2 as a fiscal quarter).
        self.period_reading: str | None = (
            self.calendar.reading(period) if period is not None else None
        )
        self._reports: dict[tuple[str | None, Path | None, bool], ReportBundle] = {}

    def __repr__(self) -> str:
        return f"Review({self.spec.path!r}, period={self.period.label!r}, as_of={self.as_of})"

    # -- the engine: rows -> cube -> targets -> results -----------------------------------

    @cached_property
    def org(self) -> Org:
        """Reps and the roster levels above them (team, region...)."""
        return build_org(self.dataset)

    @cached_property
    def rows(self) -> dict[str, Rows]:
        """Every source's rows up to as-of, with period ordinal and roster levels attached."""
        return prepare_rows(self.dataset, self.org, self.calendar, self.as_of)

    @cached_property
    def cube(self) -> pd.DataFrame:
        """The actuals cube: (kpi, level, entity, period ordinal ``p``) -> actual, from the
        first period of the data up to the later of the reviewed and the as-of period."""
        last_p = max(self.period.ordinal, self.calendar.period_of(self.as_of).ordinal)
        return compute_actuals(
            self.spec.kpis, self.rows, self.org, self.calendar, last_p, self.dataset.market
        )

    @cached_property
    def overrides(self) -> pd.DataFrame | None:
        """The spec's ``targets.overrides`` file, read once (None without one)."""
        return read_overrides(self.spec)

    @cached_property
    def targets(self) -> TargetSet:
        """The reviewed period's targets at every level, with their basis."""
        return compute_targets(
            self.spec,
            self.cube,
            self.org,
            self.calendar,
            self.period,
            self.overrides,
            market=self.dataset.market,
        )

    @cached_property
    def results(self) -> Results:
        """The reviewed period's results: ``results.table`` is the tidy results table."""
        shares = pacing_shares(self.spec, self.rows, self.calendar, self.period, self.as_of)
        table = results_table(
            self.spec, self.cube, self.targets.frame, shares, self.org, self.period
        )
        findings = [*self.spec.warnings, *self.dataset.warnings, *self.targets.findings]
        findings += market_share_findings(self.spec, self.dataset.market, self.period)
        if self.period_reading:
            where = argument("period")
            findings.append(Finding(Level.WARNING, self.period_reading, where, "period-read"))
        findings += stale_findings(self.dataset, self.as_of)
        return Results(
            self.spec,
            self.period,
            self.as_of,
            self.calendar,
            table,
            self.cube,
            self.org,
            self.dataset,
            findings,
        )

    @cached_property
    def previous(self) -> Results | None:
        """The previous period's results as of its last day (or as of ``as_of``, if that is
        earlier), for the change in score and rank. None when the data does not reach back.

        The actuals of a closed period depend on no later row (a customer's first-ever row,
        last period's customers and each period's rows are all in the past), so the
        reviewed cube up to the previous period is the cube a review of that period would
        count: it is cut, not counted again. Only a previous period that is not closed by
        ``as_of`` (a review of a future period) or whose sources had no rows yet by then
        is reviewed from scratch, on the same loaded data.
        """
        from salesperf.evaluation.scoring import previous_period  # lazy: see the imports

        before = previous_period(self.results)
        if before is None:
            return None
        last_day = before.end - dt.timedelta(days=1)
        as_of = min(last_day, self.as_of)
        started = all(r.first_p is None or r.first_p <= before.ordinal for r in self.rows.values())
        if as_of != last_day or not started:
            return Review(self.spec, before.label, as_of, dataset=self.dataset).results
        cube = self.cube.loc[self.cube["p"] <= before.ordinal].reset_index(drop=True)
        targets = compute_targets(
            self.spec,
            cube,
            self.org,
            self.calendar,
            before,
            self.overrides,
            market=self.dataset.market,
        )
        # The previous period is closed: every KPI's elapsed share is 1.
        shares = dict.fromkeys((k.id for k in self.spec.kpis), 1.0)
        table = results_table(self.spec, cube, targets.frame, shares, self.org, before)
        findings = [*self.spec.warnings, *self.dataset.warnings, *targets.findings]
        return Results(
            self.spec,
            before,
            as_of,
            self.calendar,
            table,
            cube,
            self.org,
            self.dataset,
            findings,
        )

    # -- evaluation: scorecard -> plans -> comments ---------------------------------------

    @cached_property
    def scorecard(self) -> Scorecard:
        """Scores, tiers and ranks, with the change since the previous period."""
        from salesperf.evaluation.scoring import score_with_change  # lazy: 10 ms with feedback

        return score_with_change(self.results, lambda: self.previous)

    @cached_property
    def plans(self) -> dict[str, Plan]:
        """Rep id -> improvement plan (every scored rep)."""
        from salesperf.evaluation.plans import build_plans  # lazy: 14 ms

        return build_plans(self.results, self.scorecard)

    @cached_property
    def comments(self) -> pd.DataFrame:
        """The period's feedback comments, newest first."""
        from salesperf.evaluation.feedback import feedback_comments  # lazy: with scoring

        return feedback_comments(self.results)

    @cached_property
    def evaluation(self) -> Evaluation:
        """Results, scorecard, plans and comments together (`salesperf evaluate`'s views)."""
        from salesperf.evaluation.performance import Evaluation  # lazy: with scoring

        findings = [*self.results.findings, *self.scorecard.findings]
        return Evaluation(self.results, self.scorecard, self.plans, self.comments, findings)

    # -- anomalies and the report's trend --------------------------------------------------

    @cached_property
    def today(self) -> dt.date:
        """The day alerts treat as today: the data's own latest date, not the wall clock,
        so a review is reproducible and a past ``as_of`` does not make later rows future."""
        return max(self.as_of, last_data_date(self.dataset) or self.as_of)

    @cached_property
    def alerts(self) -> list[Alert]:
        """Every alert of the reviewed period, folded, explained and sorted."""
        from salesperf.anomalies.detect import detect  # lazy: 25 ms

        return detect(self.results, self.rows, today=self.today)

    @cached_property
    def trend(self) -> pd.DataFrame:
        """Company actual vs target for the last :data:`TREND_PERIODS` periods, the reviewed
        one last. Columns: kpi, period, actual (the open period's actual *to date*, never a
        projection), target, projected (only the open period of a KPI that accumulates).
        Earlier periods' targets are replayed from the cube, as the rule set them then
        (overrides are not applied: the trend judges the rule)."""
        from salesperf.engine.replay import replay  # lazy: with scoring
        from salesperf.report.model import TREND_PERIODS, company_trend  # lazy: 28 ms

        # Company rows only: the replay then skips splitting targets down to every rep.
        history = replay(self.results, TREND_PERIODS - 1, levels=[COMPANY])
        return company_trend(self.results, history)

    # -- the report ------------------------------------------------------------------------

    def report(
        self,
        *,
        locale: str | None = None,
        template_dir: Path | None = None,
        charts: bool = True,
    ) -> ReportBundle:
        """The report's view model (see :mod:`salesperf.report`), built once per locale,
        template folder and ``charts`` (JSON and Excel leave the chart pictures out)."""
        from salesperf.report import report_bundle  # lazy: with the trend's report.model

        key = (locale, template_dir, charts)
        if key not in self._reports:
            self._reports[key] = report_bundle(
                self, locale=locale, template_dir=template_dir, charts=charts
            )
        return self._reports[key]
