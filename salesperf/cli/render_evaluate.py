"""Terminal views of `salesperf evaluate` and `salesperf feedback-form` (rich).

Only the CLI imports this module. It draws what :mod:`salesperf.evaluation.performance` selected and
does no arithmetic beyond formatting: scores are shown as points (1.0 = 100.0, rounded
down like every percentage salesperf shows, so a 94.99 is never displayed as tier A's 95).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.box import SIMPLE_HEAD
from rich.table import Table

from salesperf.cli.render import err, literal, out
from salesperf.evaluation.scoring import TRENDS
from salesperf.formatting import fmt_fraction, fmt_points, fmt_signed_points, fmt_value
from salesperf.glossary import plain_note
from salesperf.report.i18n import labels

if TYPE_CHECKING:
    import pandas as pd

    from salesperf.evaluation.feedback_form import FeedbackForm
    from salesperf.evaluation.performance import Evaluation, Selection
    from salesperf.evaluation.plans import Plan, PlanItem


TREND_STYLE = {"up": "green", "down": "red", "flat": "dim", "new": "dim"}
TIER_STYLE = ("bold green", "green", "yellow", "red")
SHOW_COMMENTS = 8


points = fmt_points
signed_points = fmt_signed_points


def _attainment(value: Any, locale: str) -> str:
    if value is None or value != value:
        return "[dim]n/a[/]"
    style = "green" if value >= 1 else "yellow" if value >= 0.9 else "red"
    return f"[{style}]{fmt_fraction(value, locale)}[/]"


def _tier(evaluation: Evaluation, tier: Any) -> str:
    if not isinstance(tier, str):
        return "[dim]–[/]"
    names = [t.name for t in evaluation.scorecard.tiers]
    index = names.index(tier) if tier in names else len(names) - 1
    style = TIER_STYLE[min(index, len(TIER_STYLE) - 1)]
    if index == len(names) - 1:
        style = TIER_STYLE[-1]
    return f"[{style}]{literal(tier)}[/]"


def _trend(evaluation: Evaluation, row: Any, *, with_rank: bool = True) -> str:
    trend = row.trend
    if not isinstance(trend, str):
        return ""
    text = f"[{TREND_STYLE[trend]}]{TRENDS[trend]}"
    if trend != "new":
        text += f" {signed_points(row.total_change)}"
    text += "[/]"
    if with_rank and _rank(row.previous_rank) != "–":
        text += f" [dim](was #{_rank(row.previous_rank)})[/]"
    return text


def _heading(evaluation: Evaluation, what: str) -> str:
    results = evaluation.results
    card = evaluation.scorecard
    state = "closed" if card.closed else "open: scored on pace to date"
    versus = f" · vs {card.previous_period}" if card.previous_period else ""
    return (
        f"[bold]{literal(what)}[/] · {results.period.label} · as of {results.as_of.isoformat()}"
        f" ({state}){versus}"
    )


def _rank(value: Any, tied: Any = False) -> str:
    """ "3", or "=3" when others share the rank (the same total), as in the report."""
    try:
        return ("=" if tied is True else "") + str(int(value))
    except (TypeError, ValueError):
        return "–"


def leaderboard_title(evaluation: Evaluation, selection: Selection) -> str:
    title = evaluation.results.spec.title or "Scorecard"
    level = selection.level or "rep"
    if selection.team:
        return _heading(evaluation, f"Team {selection.team}")
    if level != "rep":
        return _heading(evaluation, f"{title} · by {level}")
    return _heading(evaluation, title)


def leaderboard(evaluation: Evaluation, selection: Selection) -> Table:
    """Rank, who, parent, score, tier, trend and attainment to date of every weighted KPI."""
    spec = evaluation.results.spec
    locale = spec.locale.value
    card = evaluation.scorecard
    level = selection.level or "rep"
    levels = ["rep", *evaluation.results.org.levels, "company"]
    above = levels[levels.index(level) + 1] if level != "company" else None
    show_parent = above not in (None, "company") and selection.team is None
    rows = selection.totals.loc[selection.totals["level"] == level]
    table = Table(
        expand=False,
        box=SIMPLE_HEAD,
        collapse_padding=True,
        pad_edge=False,
    )
    table.add_column("#", justify="right")
    if selection.team:
        table.add_column("Team #", justify="right")
    table.add_column("Who", no_wrap=True)
    if show_parent:
        table.add_column(str(above).capitalize(), no_wrap=True)
    table.add_column("Score", justify="right", no_wrap=True)
    table.add_column("Tier", justify="center", no_wrap=True)
    table.add_column("Trend", no_wrap=True)
    # Per-KPI columns only as far as the terminal allows: rank, score and tier must never
    # be cut; JSON and CSV carry every KPI.
    fixed = 58 if show_parent else 44
    room = max(0, (out.width - fixed) // 11)
    shown_kpis = list(card.weights)[:room]
    # The cells are what is scored, named as the report names them: pace while the period
    # is open, attainment once it is closed.
    measure = labels(locale)["attainment" if card.closed else "pace"]
    for kpi in shown_kpis:
        name = spec.kpi(kpi).name
        widest = max((len(word) for word in name.split()), default=4)
        header = f"{literal(name)}\n[dim]{measure.lower()}[/]"
        table.add_column(header, justify="right", min_width=min(widest, 12))
    attainment = {
        (r["entity"], r["kpi"]): r["attainment_to_date"]
        for r in selection.kpis.to_dict(orient="records")
        if r["level"] == level
    }
    for row in rows.itertuples(index=False):
        who = literal(str(row.name))
        cells = [_rank(row.rank, row.tied)]
        if selection.team:
            cells.append(_rank(row.rank_in_parent))
        cells.append(who)
        if show_parent:
            cells.append(literal(str(row.parent)) if isinstance(row.parent, str) else "[dim]–[/]")
        cells += [
            points(row.total) + ("†" if row.partial else " "),
            _tier(evaluation, row.tier),
            _trend(evaluation, row, with_rank=False),
        ]
        cells += [_attainment(attainment.get((row.entity, k)), locale) for k in shown_kpis]
        table.add_row(*cells)
    return table


def _groups(evaluation: Evaluation, selection: Selection) -> Table | None:
    """Teams (and higher levels) scored from their own KPI values, and the company."""
    if selection.rep or selection.level is not None:
        return None
    totals = selection.totals
    shown = totals.loc[totals["level"] != "rep"]
    if shown.empty:
        return None
    table = Table(
        box=SIMPLE_HEAD,
        collapse_padding=True,
        pad_edge=False,
    )
    for column in ("Level", "Who", "#", "Score", "Tier", "Trend"):
        table.add_column(column, justify="right" if column in ("#", "Score") else "left")
    for row in shown.itertuples(index=False):
        table.add_row(
            row.level,
            literal(str(row.name)),
            _rank(row.rank),
            points(row.total) + ("†" if row.partial else " "),
            _tier(evaluation, row.tier),
            _trend(evaluation, row, with_rank=False),
        )
    return table


def _footnotes(evaluation: Evaluation, selection: Selection) -> list[str]:
    lines = []
    if "tied" in selection.totals and selection.totals["tied"].fillna(False).astype(bool).any():
        lines.append(f"[dim]{literal(labels('en')['tie_note'])}[/]")
    kpis = selection.kpis
    for row in selection.totals.itertuples(index=False):
        if not row.partial and not (row.total != row.total and row.level == "rep"):
            continue
        missing = kpis.loc[
            (kpis["level"] == row.level) & (kpis["entity"] == row.entity) & ~kpis["scored"]
        ]
        spec = evaluation.results.spec
        reasons = "; ".join(
            f"{spec.kpi(r.kpi).name}: {plain_note(str(r.note), 'en')}"
            for r in missing.itertuples(index=False)
        )
        mark = "†" if row.partial else "not scored"
        lines.append(f"[dim]{mark} {literal(str(row.name))}: {literal(reasons)}[/]")
    tiers = ", ".join(
        f"{t.name} ≥ {points(t.minimum)}" if t.minimum > 0 else f"{t.name} below"
        for t in evaluation.scorecard.tiers
    )
    lines.append(
        "[dim]Score: weighted score of each KPI's attainment to date (100 = on target); "
        f"† partial: weights renormalised over the KPIs that could be scored. Tiers: {tiers}.[/]"
    )
    return lines


def render_evaluation(evaluation: Evaluation, selection: Selection) -> None:
    if selection.rep is not None:
        render_rep(evaluation, selection)
        return
    if selection.totals.empty:
        out.print("[dim]No entities match.[/]")
        return
    out.print(leaderboard_title(evaluation, selection), soft_wrap=True)
    if selection.totals["total"].isna().all():
        out.print(
            f"[yellow]Nothing could be scored for {evaluation.results.period.label}[/]: "
            "no weighted KPI has both data and a target yet."
        )
        _print_warnings(evaluation)
        return
    out.print(leaderboard(evaluation, selection))
    groups = _groups(evaluation, selection)
    if groups is not None:
        out.print(
            "[bold]Teams and above[/], scored from their own KPI values (not averages of reps)"
        )
        out.print(groups)
    for line in _footnotes(evaluation, selection):
        out.print(line, soft_wrap=True)
    _print_warnings(evaluation)


def render_rep(evaluation: Evaluation, selection: Selection) -> None:
    """One rep's full scorecard, improvement plan and latest feedback comments."""
    spec = evaluation.results.spec
    locale = spec.locale.value
    row = selection.totals.iloc[0]
    plan = selection.plans[0] if selection.plans else None
    team = f", {row['parent']}" if isinstance(row["parent"], str) else ""
    standing = f"score {points(row['total'])}" + (" (partial)" if row["partial"] else "")
    standing += f" · tier {row['tier']}" if isinstance(row["tier"], str) else ""
    if _rank(row["rank"]) != "–":
        standing += f" · #{_rank(row['rank'])} of {_rank(row['ranked'])}"
        if _rank(row["rank_in_parent"]) != "–":
            standing += f" (team #{_rank(row['rank_in_parent'])} of "
            standing += f"{_rank(row['ranked_in_parent'])})"
    trend = _trend(evaluation, _Row(row))
    title = f"{row['name']} ({row['entity']}{team})"
    out.print(_heading(evaluation, title))
    out.print(f"{literal(standing)} {trend}")
    table = Table(expand=False, box=SIMPLE_HEAD, collapse_padding=True, pad_edge=False)
    # Numbers never wrap; on a narrow terminal the history and notes columns go (JSON and
    # CSV always carry them).
    wide = out.width >= 120
    columns = [
        ("KPI", "left"),
        ("Weight", "right"),
        ("Actual", "right"),
        ("Target", "right"),
        ("Att.", "right"),
        ("Score", "right"),
        ("Points", "right"),
        ("Team med.", "right"),
    ]
    if wide:
        columns += [("Last periods", "left"), ("Note", "left")]
    for column, justify in columns:
        if column in ("KPI", "Last periods", "Note"):
            table.add_column(column, justify=justify, overflow="fold", min_width=10)  # type: ignore[arg-type]
        else:
            table.add_column(column, justify=justify, no_wrap=True)  # type: ignore[arg-type]
    items = _plan_items(plan)
    for record in selection.kpis.itertuples(index=False):
        kpi = spec.kpi(record.kpi)
        item = items.get(record.kpi)
        recent = ""
        median = "–"
        if item is not None:
            recent = ", ".join(
                fmt_value(v, kpi.unit, spec.currency, locale) for _, v in item.recent
            )
            median = fmt_fraction(item.team_median_attainment, locale)
        table.add_row(
            literal(kpi.name),
            fmt_fraction(record.weight, locale),
            fmt_value(record.actual, kpi.unit, spec.currency, locale),
            fmt_value(record.target, kpi.unit, spec.currency, locale),
            _attainment(record.attainment_to_date, locale),
            points(record.score),
            points(record.points),
            median,
            *([literal(recent), literal(str(record.note or ""))] if wide else []),
        )
    out.print(table)
    if plan is not None:
        _render_plan(plan)
    comments = selection.comments.head(SHOW_COMMENTS)
    if len(comments):
        out.print(f"[bold]Feedback[/] (newest first, {len(selection.comments)} this period)")
        for c in comments.itertuples(index=False):
            score = "" if c.score != c.score else f" {c.score:g}"
            kind = "" if not isinstance(c.kind, str) else f" {c.kind}"
            out.print(
                f"  {c.date}{literal(kind)}{score}: {literal(str(c.comment))}", soft_wrap=True
            )
    _print_warnings(evaluation)


class _Row:
    """Attribute access to a Series, for :func:`_trend`."""

    def __init__(self, series: pd.Series) -> None:
        self.trend = series["trend"]
        self.total_change = series["total_change"]
        self.previous_rank = series["previous_rank"]


def _plan_items(plan: Plan | None) -> dict[str, PlanItem]:
    if plan is None:
        return {}
    return {i.kpi: i for i in plan.items}


def _render_plan(plan: Plan) -> None:
    out.print(f"[bold]Plan:[/] {literal(plan.summary)}", soft_wrap=True)
    for item in plan.strengths:
        out.print(f"  [green]+[/] {literal(item.text)}", soft_wrap=True)
    for item in plan.weaknesses:
        advice = f" [dim]→ {literal(item.advice)}[/]" if item.advice else ""
        out.print(f"  [red]−[/] {literal(item.text)} [dim]({item.severity})[/]{advice}")
    for kpi, reason in plan.unscored:
        out.print(f"  [dim]· {literal(kpi)} not scored: {literal(reason)}[/]")


def _print_warnings(evaluation: Evaluation) -> None:
    from salesperf.errors import Level

    for finding in evaluation.findings:
        if finding.level is Level.WARNING:
            from salesperf.cli.render import as_option

            err.print(f"[yellow]warning[/]: {literal(str(as_option(finding)))}", soft_wrap=True)


def render_feedback_form(path: Path, form: FeedbackForm) -> None:
    out.print(
        f"[green]Wrote[/] {literal(str(path))}: {form.rows} rows "
        f"({form.reps} reps x {literal(', '.join(form.kinds))}) for {form.period}",
        soft_wrap=True,
    )
    for kind in form.unused_kinds:
        out.print(
            f"[yellow]note:[/] no KPI reads kind '{literal(kind)}' yet: add one, e.g. "
            f"measure: mean, column: score, where: {{kind: {literal(kind)}}}",
            soft_wrap=True,
        )
    out.print("When it is filled in, add it as a source (or to your feedback glob):")
    out.print(literal(form.mapping_yaml), soft_wrap=True)
