"""Write `salesperf init`'s decisions as a commented kpi.yaml (see :mod:`salesperf.scaffold`)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from salesperf.scaffold import _Plan
    from salesperf.sources.sample import Sample


def _q(value: str) -> str:
    """Quote a YAML scalar only when needed (JSON strings are valid YAML)."""
    plain = re.fullmatch(r"[A-Za-z\u4e00-\u9fff][\w\u4e00-\u9fff ]*", value)
    reserved = value.lower() in {"yes", "no", "on", "off", "true", "false", "null", "y", "n"}
    if plain and not value.endswith(" ") and not reserved:
        return value
    return json.dumps(value, ensure_ascii=False)


def relative(path: Path, spec_dir: Path) -> str:
    """A path as a kpi.yaml in ``spec_dir`` names it."""
    try:
        return Path(os.path.relpath(path.resolve(), spec_dir.resolve())).as_posix()
    except ValueError:  # another drive
        return str(path.resolve())


def write_spec(
    data_file: Path, sample: Sample, plan: _Plan, spec_dir: Path, spec_name: str = "kpi.yaml"
) -> str:
    zh = plan.chinese
    mapping = plan.mapping
    lines = [
        "# Starter kpi.yaml written by `salesperf init`. Review every line, then run",
        f"#   salesperf check {spec_name}",
        "# kpi.yaml.example in the salesperf repository documents every key.",
        "# Why each choice was made:",
        *(f"#   - {reason}" for reason in plan.reasons),
        "version: 1",
        f"title: {'月度销售回顾' if zh else 'Monthly sales review'}",
        f"currency: {plan.currency}",
        f"locale: {'zh-CN' if zh else 'en'}",
        "period: month",
        "",
        "sources:",
        "  orders:",
        f"    path: {_q(relative(data_file, spec_dir))}",
    ]
    if sample.format != "csv" and sample.sheet:
        lines.append(f"    sheet: {_q(sample.sheet)}")
    lines.append("    columns:                # salesperf field: header as it appears in the file")
    if "date" not in mapping:
        lines.append("      date: CHANGE_ME         # required: the column that dates each row")
    for field_name, header in mapping.items():
        lines.append(f"      {field_name}: {_q(header)}")
    used = set(mapping.values())
    for header in sample.headers:
        if header.strip() and header.strip() not in used:
            lines.append(f"      # ?: {_q(header.strip())}")
    if plan.derive:
        lines.append("    derive:                 # computed columns")
        lines += [f'      {name}: "{text}"' for name, text in plan.derive.items()]
    if plan.where:
        stage = plan.where["stage"]
        if isinstance(stage, dict):  # cancelled orders left out
            values = ", ".join(_q(v) for v in stage["not_in"])
            lines.append(f"    where: {{stage: {{not_in: [{values}]}}}}   # sales that happened")
        else:
            values = ", ".join(_q(str(v)) for v in stage)  # type: ignore[attr-defined]
            lines.append(f"    where: {{stage: [{values}]}}   # closed deals only")
    if plan.allow_missing:
        lines.append("    allow_missing:          # gaps that are expected (reported, not warned)")
        lines += [f"      {f}: {_q(reason)}" for f, reason in plan.allow_missing.items()]
    if plan.key:
        lines.append(f"    key: {plan.key}           # duplicated values are reported")
    if plan.roster is not None:
        lines += _org_lines(plan, spec_dir)
    lines += ["", "kpis:"]
    kpis = _kpis(plan)
    weights = _split_100(len(kpis))
    for block, weight in zip(kpis, weights, strict=True):
        lines += [line.replace("WEIGHT", str(weight)) for line in block]
    return "\n".join(lines) + "\n"


def _org_lines(plan: _Plan, spec_dir: Path) -> list[str]:
    roster = plan.roster
    assert roster is not None
    lines = ["", "org:                          # the roster: who is in which team"]
    lines.append(f"  path: {_q(relative(roster.path, spec_dir))}")
    if roster.sheet:
        lines.append(f"  sheet: {_q(roster.sheet)}")
    pairs = ", ".join(f"{k}: {_q(v)}" for k, v in roster.columns.items())
    lines.append(f"  columns: {{{pairs}}}")
    lines.append(f"  levels: [{', '.join(roster.levels)}]")
    return lines


def _target(plan: _Plan, additive: bool) -> str:
    """Last year's value when a year of history exists, else the trailing 3-period mean."""
    has_reps = "rep" in plan.mapping
    allocate = ", allocate: history_share" if additive and has_reps else ""
    if plan.months >= 13:
        return f"    target: {{method: last_year, growth: 0.05{allocate}}}"
    return f"    target: {{method: trailing_mean, periods: 3{allocate}}}"


def _kpis(plan: _Plan) -> list[list[str]]:
    zh = plan.chinese
    mapping = plan.mapping
    has_amount = "amount" in mapping or "amount" in plan.derive
    won_filter = ""
    if plan.won:
        won = plan.won[0] if len(plan.won) == 1 else "[" + ", ".join(plan.won) + "]"
        won_filter = f"    where: {{stage: {won}}}"
    kpis: list[list[str]] = []
    if has_amount:
        block = [
            "  - id: revenue",
            f"    name: {'销售额' if zh else 'Revenue'}",
            "    source: orders",
            "    measure: sum",
            "    column: amount",
        ]
        if won_filter:
            block.append(won_filter)
        block += ["    unit: currency", "    weight: WEIGHT", _target(plan, True)]
        kpis.append(block)
    if plan.won:
        kpis.append(
            [
                "  - id: won_deals",
                f"    name: {'赢单数' if zh else 'Won deals'}",
                "    source: orders",
                "    measure: count",
                won_filter,
                "    unit: count",
                "    weight: WEIGHT",
                _target(plan, True),
            ]
        )
        kpis.append(
            [
                "  - id: win_rate",
                f"    name: {'赢单率' if zh else 'Win rate'}",
                "    source: orders",
                "    measure: ratio",
                f"    numerator: {{measure: count, {won_filter.strip()}}}",
                "    denominator: {measure: count}",
                "    unit: percent",
                "    weight: WEIGHT",
                "    target: {method: trailing_mean, periods: 3}",
            ]
        )
    elif "order_id" in mapping and plan.line_items:
        kpis.append(
            [
                "  - id: orders",
                f"    name: {'订单数' if zh else 'Orders'}",
                "    source: orders",
                "    measure: count_distinct",
                "    column: order_id",
                "    unit: count",
                "    weight: WEIGHT",
                _target(plan, False),
            ]
        )
    elif "order_id" in mapping or "rep" in mapping or "customer" in mapping:
        kpis.append(
            [
                "  - id: orders",
                f"    name: {'订单数' if zh else 'Orders'}",
                "    source: orders",
                "    measure: count",
                "    unit: count",
                "    weight: WEIGHT",
                _target(plan, True),
            ]
        )
    if "customer" in mapping:
        kpis.append(
            [
                "  - id: new_customers",
                f"    name: {'新客户数' if zh else 'New customers'}",
                "    source: orders",
                "    measure: new_customers",
                "    unit: count",
                "    weight: WEIGHT",
                "    target: {method: trailing_mean, periods: 3}",
            ]
        )
    if not kpis:
        kpis.append(
            [
                "  - id: rows",
                f"    name: {'记录数' if zh else 'Rows'}",
                "    source: orders",
                "    measure: count",
                "    unit: count",
                "    weight: WEIGHT",
                _target(plan, True),
            ]
        )
    return kpis


def _split_100(n: int) -> list[int]:
    base, extra = divmod(100, n)
    return [base + (1 if i < extra else 0) for i in range(n)]
