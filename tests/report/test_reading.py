"""What the report says to a manager (issue 14): numbers rounded as read, no projection
drawn or named as an actual, closed periods as met/missed, ties shared, small counts scored
where they mean something, one glossary, a verdict at the top."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from salesperf.engine.metrics import COMPANY
from salesperf.formatting import fmt_change, fmt_signed_points
from salesperf.glossary import LOCALES, WORDS, plain_note, word
from salesperf.report import write_rep_reports, write_report
from salesperf.report.charts import axis_labels, trend_svg
from salesperf.report.model import closed_status, relative_to_spec
from salesperf.review import Review

ROOT = Path(__file__).parent.parent.parent
MID_JUNE = dt.date(2017, 6, 21)
JUNE_END = dt.date(2017, 6, 30)


@pytest.fixture(scope="module")
def open_review():
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(ROOT)
        yield Review("examples/kpi.yaml", as_of=MID_JUNE)


@pytest.fixture(scope="module")
def open_report(open_review):
    return open_review.report()


@pytest.fixture(scope="module")
def closed_report():
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(ROOT)
        yield Review("examples/kpi.yaml", as_of=JUNE_END).report()


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (-0.0013, "±0%"),  # was "-1%": floored away from zero
        (-0.012, "−1%"),  # was "-2%"
        (-0.016, "−2%"),
        (0.004, "±0%"),
        (0.005, "+1%"),  # half away from zero
        (0.125, "+13%"),
        (None, "–"),
    ],
)
def test_signed_changes_round_to_the_nearest(value, shown) -> None:
    assert fmt_change(value) == shown


def test_signed_points_round_to_the_nearest_tenth() -> None:
    assert [fmt_signed_points(v) for v in (0.0249, -0.0003, -0.0251, None)] == [
        "+2.5",
        "±0.0",
        "−2.5",
        "",
    ]


def test_axis_labels_one_style_per_axis() -> None:
    assert axis_labels([0, 1e6, 2e6, 3e6], "currency", "$") == ["$0", "$1M", "$2M", "$3M"]
    # Half millions need a decimal on every tick, not "$0M, $0M, $1M".
    assert axis_labels([0, 5e5, 1e6, 1.5e6], "currency", "$") == [
        "$0",
        "$0.5M",
        "$1.0M",
        "$1.5M",
    ]
    # Chinese amounts in 万 (10,000) and 亿 (100,000,000).
    assert axis_labels([0, 5e5, 1e6], "currency", "¥", "zh-CN") == ["¥0", "¥50万", "¥100万"]
    assert axis_labels([0, 1e8, 2e8], "currency", "¥", "zh-CN") == ["¥0", "¥1亿", "¥2亿"]
    # Counts stay whole below ten thousand; percentages get the decimals their step needs.
    assert axis_labels([0, 400, 800, 1200], "count") == ["0", "400", "800", "1,200"]
    assert axis_labels([0.40, 0.45, 0.50], "percent") == ["40%", "45%", "50%"]
    assert axis_labels([0.440, 0.445, 0.450], "percent") == ["44.0%", "44.5%", "45.0%"]


def test_trend_ends_with_the_actual_to_date_and_keeps_the_projection_apart(open_review) -> None:
    series = open_review.trend
    table = open_review.results.table
    company = table[table["level"] == COMPANY].set_index("kpi")
    revenue = series[series["kpi"] == "revenue"].iloc[-1]
    # June: $1,475,479 booked by the 21st; projected $2,678,764 (not drawn as an actual).
    assert revenue["actual"] == pytest.approx(company.at["revenue", "actual"])
    assert revenue["projected"] == pytest.approx(company.at["revenue", "projected"])
    assert round(revenue["actual"]) == 1_475_479 and round(revenue["projected"]) == 2_678_764
    # A ratio has no projection: its value to date is the value.
    win = series[series["kpi"] == "win_rate"].iloc[-1]
    assert win["projected"] != win["projected"]  # NaN
    # Earlier periods have none either.
    assert series[series["kpi"] == "revenue"]["projected"].iloc[:-1].isna().all()


def test_chart_draws_the_projection_as_a_separate_hollow_mark() -> None:
    svg = trend_svg(
        ["2017-04", "2017-05", "2017-06"],
        [100.0, 120.0, 60.0],
        [110.0, None, 130.0],
        projected=125.0,
        kind="currency",
        currency_symbol="$",
    )
    assert '<g id="actual">' in svg and '<g id="projected">' in svg and '<g id="target">' in svg
    assert "fill: #ffffff" in svg  # the hollow marker
    # Grid lines carry the values they mark; an amount axis starts at zero.
    values = [float(v) for v in re.findall(r'<g id="ygrid-([-0-9.e+]+)"', svg)]
    assert values[0] == 0 and values == sorted(values)
    assert ">Projected<" in svg and ">to date<" in svg
    # The missing May target is a gap: the target line is two pieces, not a dip to 0.
    target = re.search(r'<g id="target">\s*<path d="([^"]+)"', svg)
    assert target is not None and target[1].count("M") == 2


def test_chart_caption_counts_the_periods_shown_and_says_what_is_projected(open_report) -> None:
    revenue = next(k for k in open_report.view["kpis"] if k["kpi"] == "revenue")
    assert revenue["chart_title"] == f"Actual vs target, last {len(revenue['trend'])} periods"
    assert revenue["chart_caption"] == (
        "2017-06 is $1,475,479 to date (55% of the period); the hollow mark is the "
        "projection for the whole period, $2,678,764."
    )


def test_closed_status_is_met_or_missed() -> None:
    assert closed_status("on_track", 1.0) == "met"
    # 99.6% is shown as 99% (floored): missed, whatever the pace said.
    assert closed_status("at_risk", 0.996) == "missed"
    assert closed_status("behind", 0.5) == "missed"
    assert closed_status("no_target", None) == "no_target"
    assert closed_status("no_data", None) == "no_data"


def test_a_closed_period_says_met_or_missed_by_how_much(closed_report) -> None:
    view = closed_report.view
    assert view["meta"]["open"] is False
    statuses = {k["kpi"]: k["status"] for k in view["headline"]}
    assert set(statuses.values()) <= {"met", "missed", "no_target", "no_data"}
    revenue = next(k for k in view["headline"] if k["kpi"] == "revenue")
    gap = revenue["target"] - revenue["actual"]
    percent = round((1 - revenue["actual"] / revenue["target"]) * 100)
    assert revenue["status"] == ("missed" if gap > 0 else "met")
    if gap > 0:
        assert revenue["result_fmt"] == f"missed by ${round(gap):,} (−{percent}%)"
    # No pace talk once the period is over: no "so far", no "at risk", no "expected by".
    for alert in view["alerts"]:
        assert "so far" not in alert["message"], alert["message"]
    assert "at risk" not in str(view["verdict"])
    assert all("to date" not in r["text"] for r in view["verdict"]["results"])
    assert view["scorecard"]["measure"] == "attainment"


def test_verdict_states_the_company_result_and_who_is_furthest_behind(open_report) -> None:
    verdict = open_report.view["verdict"]
    texts = {r["kpi"]: r["text"] for r in verdict["results"]}
    # Revenue pace 91.4% (1,475,479 against 1,614,xxx expected by the 21st): 9% behind.
    assert texts["revenue"] == ("Revenue $1,475,479 to date, 9% behind pace (projected $2,678,764)")
    # Win rate is a ratio: judged against its target, no projection.
    assert texts["win_rate"] == "Win rate 45.5%, 9% below target"
    reps = next(g for g in verdict["groups"] if g["level"] == "rep")
    # Furthest behind by amount: the actual to date minus the revenue expected by today.
    table = open_report.results.table
    rows = table[(table["kpi"] == "revenue") & (table["level"] == "rep")].dropna(
        subset=["expected_to_date"]
    )
    worst = rows.assign(gap=rows["actual"] - rows["expected_to_date"]).nsmallest(1, "gap")
    assert reps["behind"][0].startswith(f"{worst['name'].iloc[0]}: ")
    assert len(verdict["alerts"]) <= 3
    assert verdict["alerts"][0]["severity"] == "critical"


def test_ties_share_a_rank_in_the_report(open_report) -> None:
    rows = open_report.view["scorecard"]["rows"]
    for row in rows:
        if row["tied"]:
            assert row["rank_fmt"] == f"={row['rank']}"
        elif row["rank"] == row["rank"] and row["rank"] is not None:
            assert row["rank_fmt"] == str(row["rank"])


def test_small_count_targets_are_whole_and_scored_a_level_up(open_report) -> None:
    table = open_report.results.table
    counts = table[table["kpi"].isin(["orders", "new_customers"]) & table["target"].notna()]
    assert (counts["target"] % 1 == 0).all()  # no 929.3 orders, no 0.3 customers
    # New customers: company 8 split equally over the reps, in whole customers summing to 8.
    new = table[(table["kpi"] == "new_customers")]
    company = new[new["level"] == COMPANY]["target"].iloc[0]
    assert new[new["level"] == "rep"]["target"].sum() == company
    # Below 3 a rep (and a team), reps are scored on their region's pace.
    card = open_report.evaluation.scorecard
    assert card.scored_above == {"new_customers": "region"}
    kpis = card.kpis
    rep_rows = kpis[(kpis["level"] == "rep") & (kpis["kpi"] == "new_customers")]
    regions = kpis[(kpis["level"] == "region") & (kpis["kpi"] == "new_customers")].set_index(
        "entity"
    )["attainment_to_date"]
    moved = rep_rows[rep_rows["scored_as"] == "region"]
    assert len(moved) >= 28
    assert set(moved["attainment_to_date"].round(9)) <= set(regions.round(9))
    notes = open_report.view["scorecard"]["notes"]
    assert any("New customers" in n and "region" in n for n in notes)


def test_names_and_paths_a_manager_reads(open_report, tmp_path: Path) -> None:
    view = open_report.view
    assert relative_to_spec("/x/y/data/a.csv", "/x/y") == "data/a.csv"
    assert relative_to_spec("/elsewhere/a.csv", "/x/y") == "a.csv"
    assert all(not f["path"].startswith("/") for f in view["provenance"]["inputs"])
    groups = view["scorecard"]["groups"]
    company = next(g for g in groups if g["level"] == COMPANY)
    assert company["name"] == "Company"  # not the report's title
    text = (ROOT / "tests/golden/report-2017-06.md").read_text(encoding="utf-8")
    for banned in ("robust z", "min_responses", "row(s)", "value(s)", "*"):
        assert banned not in text.split("## Data quality")[0].replace("**", ""), banned


def test_chinese_words_and_files(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    bundle = Review("examples/zh/kpi.yaml").report()
    labels = bundle.view["labels"]
    statuses = (labels["on_track"], labels["at_risk"], labels["behind"])
    assert statuses == ("进度正常", "有风险", "落后")
    assert (labels["met"], labels["missed"]) == ("已达标", "未达标")
    assert labels["pace"] == "进度达成率" and labels["attainment"] == "达成率"
    html = bundle.view.__repr__()
    assert "交互项" not in html and "稳健" not in html
    # Reps whose id is their name get one name in the file name.
    reps = write_rep_reports(bundle, "md", tmp_path / "reps")
    assert all("-" not in p.stem for p in reps), [p.name for p in reps]
    from openpyxl import load_workbook

    out = tmp_path / "r.xlsx"
    write_report(bundle, "xlsx", out)
    book = load_workbook(out)
    assert book.sheetnames == ["概览", "绩效评分", "指标明细", "预警", "数据质量"]
    assert book["概览"]["A1"].value == "指标"
    assert book["指标明细"]["A1"].value in {w[1] for k, w in WORDS.items() if k.startswith("col.")}


def test_the_glossary_has_every_word_in_every_language() -> None:
    assert LOCALES == ("en", "zh-CN")
    for key, pair in WORDS.items():
        assert len(pair) == 2 and all(pair), key
        fields = [set(re.findall(r"{(\w+)}", text)) for text in pair]
        assert fields[0] == fields[1], key
    # 达标 ("target met") is never the word for an open period's "on track".
    assert "达标" not in word("on_track", "zh-CN")
    assert plain_note("insufficient data: 2 < min_responses 3", "en") == (
        "2 answers, fewer than the 3 needed: not rated"
    )


def test_plans_act_on_the_cause_and_skip_reps_on_target(open_report) -> None:
    plans = open_report.evaluation.plans
    # Sarah Mitchell (R05): revenue 48% of pace with orders at 55% of pace and her average
    # order above her own recent one: a volume problem.
    revenue = next(i for i in plans["R05"].weaknesses if i.kpi == "revenue")
    assert revenue.cause == "volume"
    assert revenue.advice.startswith("fewer Orders than expected")
    # No item for a gap under 5%, and reps with none share one line in the report.
    for plan in plans.values():
        assert all(i.attainment_to_date < 0.95 for i in plan.weaknesses)
    # In June nobody is on target everywhere (retention is behind across the board); May
    # has four such reps, who share one line instead of getting a plan each.
    may = Review(ROOT / "examples/kpi.yaml", period="2017-05")
    card = may.report().view["scorecard"]
    listed = {p["entity"] for p in card["plans"]}
    fine = [r for r, p in may.evaluation.plans.items() if not p.weaknesses and p.total is not None]
    assert sorted(fine) == ["R01", "R04", "R26", "R29"] and not listed & set(fine)
    assert card["plans_on_target"].startswith("On or near target")
