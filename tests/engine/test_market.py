"""Market research in target setting: `market:`, `growth: {market: ...}`, `market_share`.

One small company, hand-computed. Reps A and B are in team T1 (region East), C in T2
(region West). Sales, whole months (dated the 1st, so every month is covered whole):

    month     A    B    C   East  West  company
    2017-01  100   50  400   150   400     550
    2017-02  200   50  400   250   400     650
    2017-03  300   50  400   350   400     750
    2017-04   10    -    -    10     -      10   (the target period, open)

Targets are trailing_mean over 3 periods: A 200, B 50, C 400, East 250, West 400,
company 650, before growth.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from salesperf.cli import app
from salesperf.cli.views import describe_basis
from salesperf.errors import DataError, SpecError
from salesperf.review import Review
from salesperf.sources.market import MarketFigures
from tests.engine_helpers import dataset, frame, spec_from

SALES = [
    ("2017-01-01", "A", 100),
    ("2017-01-01", "B", 50),
    ("2017-01-01", "C", 400),
    ("2017-02-01", "A", 200),
    ("2017-02-01", "B", 50),
    ("2017-02-01", "C", 400),
    ("2017-03-01", "A", 300),
    ("2017-03-01", "B", 50),
    ("2017-03-01", "C", 400),
    ("2017-04-10", "A", 10),
]
ROSTER = "rep,team,region\nA,T1,East\nB,T1,East\nC,T2,West\n"
REGIONAL = """\
Month,Region,Market size,Market growth
2017-01,East,1000,
2017-02,East,1500,
2017-03,East,2000,
2017-04,East,2000,9%
2017-01,West,2000,
2017-02,West,2000,
2017-03,West,2000,
2017-04,West,2000,-2%
"""
WHOLE = """\
Month,Market size,Market growth
2017-01,3000,
2017-02,3500,
2017-03,4000,
2017-04,4000,5%
"""


def write_project(
    tmp_path: Path, market: str, *, level: bool, allocate: bool = False, margin: float = 0.01
) -> Path:
    (tmp_path / "o.csv").write_text(
        "d,r,a\n" + "".join(f"{d},{r},{a}\n" for d, r, a in SALES), encoding="utf-8"
    )
    (tmp_path / "roster.csv").write_text(ROSTER, encoding="utf-8")
    (tmp_path / "market.csv").write_text(market, encoding="utf-8")
    region = "region: Region, " if level else ""
    split = "\n" + " " * 18 + "allocate: history_share" if allocate else ""
    (tmp_path / "kpi.yaml").write_text(
        textwrap.dedent(
            f"""\
            version: 1
            sources:
              orders:
                path: o.csv
                columns: {{date: d, rep: r, amount: a}}
              market:
                path: market.csv
                date_format: "%Y-%m"
                columns: {{date: Month, {region}size: Market size, growth: Market growth}}
            org:
              path: roster.csv
              columns: {{rep: rep, team: team, region: region}}
            market: {{source: market{", level: region" if level else ""}}}
            kpis:
              - id: revenue
                name: Revenue
                source: orders
                measure: sum
                column: amount
                unit: currency
                weight: 50
                target:
                  method: trailing_mean
                  periods: 3
                  growth: {{market: growth, margin: {margin}}}{split}
              - id: share
                name: Market share
                source: orders
                measure: market_share
                column: amount
                market: size
                unit: percent
                weight: 50
                target: {{method: trailing_mean, periods: 3}}
            """
        ),
        encoding="utf-8",
    )
    return tmp_path / "kpi.yaml"


def targets(path: Path, kpi: str = "revenue", period: str | None = None) -> dict:
    table = Review(path, period=period).results.table
    rows = table[table["kpi"] == kpi]
    return {(r.level, r.entity): r for r in rows.itertuples(index=False)}


def test_regional_market_bottom_up(tmp_path: Path) -> None:
    # East grows 9% + 1 pt margin = 10%, West -2% + 1 pt = -1%:
    # A 200 x 1.10 = 220, B 50 x 1.10 = 55, C 400 x 0.99 = 396;
    # T1 = East = 220 + 55 = 275, T2 = West = 396, company 275 + 396 = 671.
    got = targets(write_project(tmp_path, REGIONAL, level=True))
    expected = {
        ("rep", "A"): 220,
        ("rep", "B"): 55,
        ("rep", "C"): 396,
        ("team", "T1"): 275,
        ("team", "T2"): 396,
        ("region", "East"): 275,
        ("region", "West"): 396,
        ("company", "company"): 671,
    }
    assert {k: got[k].target for k in expected} == expected
    basis = got[("rep", "C")].target_basis
    assert basis["growth"] == pytest.approx(-0.01)
    assert basis["market"] == {
        "figure": "growth",
        "period": "2017-04",
        "value": -0.02,
        "margin": 0.01,
        "level": "region",
        "entity": "West",
    }


def test_regional_market_allocated_from_each_region(tmp_path: Path) -> None:
    # Each region from its own history and market: East 250 x 1.10 = 275, West 400 x 0.99
    # = 396; company = 275 + 396 = 671. East splits by history share over 2017-01..03:
    # T1 is all of East (275); A 600 / 750 x 275 = 220, B 150 / 750 x 275 = 55.
    got = targets(write_project(tmp_path, REGIONAL, level=True, allocate=True))
    assert got[("region", "East")].target == 275
    assert got[("region", "West")].target == 396
    assert got[("company", "company")].target == 671
    assert got[("company", "company")].target_basis == {"sum_of": "region"}
    assert (got[("rep", "A")].target, got[("rep", "B")].target) == (220, 55)
    assert got[("rep", "A")].target_basis["share"] == pytest.approx(0.8)
    assert got[("region", "East")].target_basis["market"]["entity"] == "East"


def test_whole_market_allocated(tmp_path: Path) -> None:
    # Company 650 x (1 + 5% + 1 pt) = 689. Regions by history share (East 750, West
    # 1,200 of 1,950): East 689 x 750 / 1950 = 265, West 424; A 265 x 600 / 750 = 212,
    # B 53, C 424.
    got = targets(write_project(tmp_path, WHOLE, level=False, allocate=True))
    assert got[("company", "company")].target == 689
    assert got[("company", "company")].target_basis["market"] == {
        "figure": "growth",
        "period": "2017-04",
        "value": 0.05,
        "margin": 0.01,
    }
    assert [got[("region", e)].target for e in ("East", "West")] == [265, 424]
    assert [got[("rep", e)].target for e in "ABC"] == [212, 53, 424]


def test_whole_market_bottom_up(tmp_path: Path) -> None:
    # Every rep grows 6%: A 212, B 53, C 424; company 689 (the sum).
    got = targets(write_project(tmp_path, WHOLE, level=False))
    assert [got[("rep", e)].target for e in "ABC"] == [212, 53, 424]
    assert got[("company", "company")].target == 689


def test_market_share_is_pooled_from_sales_and_market_size(tmp_path: Path) -> None:
    # 2017-04 targets pool 2017-01..03: East 750 / (1000 + 1500 + 2000) = 1/6; West
    # 1200 / 6000 = 0.2; company 1950 / (3000 + 3500 + 4000) = 0.185714...; rep A (East's
    # market) 600 / 4500 = 0.1333...; team T1 is East's: 750 / 4500.
    got = targets(write_project(tmp_path, REGIONAL, level=True), kpi="share")
    assert got[("region", "East")].target == pytest.approx(750 / 4500)
    assert got[("region", "West")].target == pytest.approx(0.2)
    assert got[("company", "company")].target == pytest.approx(1950 / 10500)
    assert got[("rep", "A")].target == pytest.approx(600 / 4500)
    assert got[("team", "T1")].target == pytest.approx(750 / 4500)
    # April to date: company 10 / 4000 (never an average of the regions' shares).
    company = got[("company", "company")]
    assert company.actual == pytest.approx(10 / 4000)
    assert (company.numerator, company.denominator) == (10, 4000)


def test_market_share_of_a_closed_period(tmp_path: Path) -> None:
    # 2017-03: East 350 / 2000 = 0.175, company 750 / 4000 = 0.1875 (the regions summed),
    # A 300 / 2000 = 0.15.
    got = targets(write_project(tmp_path, REGIONAL, level=True), kpi="share", period="2017-03")
    assert got[("region", "East")].actual == pytest.approx(0.175)
    assert got[("company", "company")].actual == pytest.approx(0.1875)
    assert got[("rep", "A")].actual == pytest.approx(0.15)


def test_no_market_row_for_the_period_is_a_warning_not_zero(tmp_path: Path) -> None:
    path = write_project(tmp_path, REGIONAL.replace("2017-04,West,2000,-2%\n", ""), level=True)
    results = Review(path).results
    table = results.table[results.table["kpi"] == "revenue"]
    c = table[(table.level == "rep") & (table.entity == "C")].iloc[0]
    assert c.target != c.target or c.target is None  # not set, and never 0
    assert c.note == "no market figure"
    a = table[(table.level == "rep") & (table.entity == "A")].iloc[0]
    assert a.target == 220
    messages = [f.message for f in results.findings if f.code == "no-market-figure"]
    assert any("no growth in" in m and "for 2017-04 for region West" in m for m in messages)


def test_market_share_without_a_size_warns(tmp_path: Path) -> None:
    path = write_project(tmp_path, WHOLE.replace("2017-04,4000,5%", "2017-04,,5%"), level=False)
    results = Review(path).results
    share = results.table[(results.table.kpi == "share") & (results.table.level == "company")]
    assert share.iloc[0].actual != share.iloc[0].actual  # no data
    assert any(
        f.code == "no-market-figure" and "share: no size" in f.message and "2017-04" in f.message
        for f in results.findings
    )


def test_bad_market_row_exits_2_naming_file_row_and_column(tmp_path: Path) -> None:
    path = write_project(tmp_path, WHOLE.replace("2017-03,4000,", "2017-03,lots,"), level=False)
    with pytest.raises(DataError) as caught:
        Review(path)
    finding = caught.value.findings[0]
    assert (Path(str(finding.location.file)).name, finding.location.line) == ("market.csv", 4)
    assert finding.location.key == "Market size"
    assert "'lots' is not a number" in finding.message
    result = CliRunner().invoke(app, ["targets", str(path)])
    assert result.exit_code == 2
    assert "market.csv:4: Market size" in result.output


def test_two_rows_for_one_period_are_an_error(tmp_path: Path) -> None:
    path = write_project(tmp_path, WHOLE + "2017-04,4100,6%\n", level=False)
    with pytest.raises(DataError) as caught:
        Review(path)
    finding = caught.value.findings[0]
    assert finding.location.line == 6
    assert "rows 5, 6 are for the same period, 2017-04" in finding.message


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("market: {source: market}", "no market_growth"),
        ("market: {source: markt}", "did you mean 'market'"),
        ("growth: {market: growht, margin: 0.01}", "did you mean 'growth'"),
        ("market: size\n", "needs `market:`"),
        ("margin: 0.01}", "margin"),
    ],
)
def test_spec_errors(tmp_path: Path, change: str, message: str) -> None:
    path = write_project(tmp_path, WHOLE, level=False)
    text = path.read_text(encoding="utf-8")
    if change.startswith("market: {source: market}"):
        text = text.replace("market: {source: market}\n", "")
        message = "the spec has no `market:`"
    elif change.startswith("market: {source: markt}"):
        text = text.replace("market: {source: market}", change)
    elif change.startswith("growth:"):
        text = text.replace("growth: {market: growth, margin: 0.01}", change)
    elif change.startswith("market: size"):
        text = text.replace("    market: size\n", "")
    else:
        text = text.replace("margin: 0.01}", "margin: 5}")
        message = "must lie in (-1, 1]"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SpecError) as caught:
        Review(path)
    assert message in str(caught.value) + " ".join(f.message for f in caught.value.findings)


def test_basis_names_the_market_figure_in_both_languages() -> None:
    basis = {
        "periods": ["2017-03"],
        "values": [300.0],
        "growth": 0.1,
        "market": {
            "figure": "growth",
            "period": "2017-04",
            "value": 0.09,
            "margin": 0.01,
            "level": "region",
            "entity": "East",
        },
    }
    assert describe_basis(basis) == (
        "2017-03: 300 (+10%) · market growth 2017-04 (East) +9.0%, margin +1.0 pts"
    )
    assert describe_basis(basis, locale="zh-CN").endswith(
        "2017-04 市场增长率（East） +9.0%，加成 +1.0 个百分点"
    )
    missing = {**basis, "market": {**basis["market"], "value": None}}
    assert describe_basis(missing, locale="zh-CN").endswith("缺少 2017-04（East）市场数据")


def test_targets_cli_shows_the_market_figure(tmp_path: Path) -> None:
    path = write_project(tmp_path, WHOLE, level=False)
    result = CliRunner().invoke(app, ["targets", str(path), "--kpi", "revenue", "-f", "csv"])
    assert result.exit_code == 0, result.output
    assert "market growth 2017-04 +5.0%, margin +1.0 pts" in result.output


def test_backtest_compares_with_history_only(tmp_path: Path) -> None:
    from salesperf.backtest import run_backtest

    path = write_project(tmp_path, WHOLE, level=False)
    result = run_backtest(Review(path, as_of=pd.Timestamp("2017-03-31").date()), alerts=False)
    methods = [m.method for m in result.kpis[0].methods]
    assert methods[:2] == ["trailing_mean", "trailing_mean (history only)"]


# -- properties --------------------------------------------------------------------------

PROPERTY_SPEC = """\
version: 1
sources:
  orders: {{path: o.csv, columns: {{date: date, rep: rep, amount: amount}}}}
  market: {{path: m.csv, columns: {{date: date, growth: growth}}}}
org: {{path: roster.csv, columns: {{rep: rep, team: team}}}}
market: {{source: market}}
kpis:
  - id: revenue
    name: Revenue
    source: orders
    measure: sum
    column: amount
    unit: currency
    target: {{method: trailing_mean, periods: 2, growth: {growth}{allocate}}}
"""


def _property_review(amounts: list[int], growth: str, allocate: str, market: float) -> Review:
    spec = spec_from(PROPERTY_SPEC.format(growth=growth, allocate=allocate))
    reps = ["A", "B", "C"]
    rows = [
        (f"2017-{m:02d}-01", rep, amounts[(m - 1) * 3 + i])
        for m in (1, 2, 3)
        for i, rep in enumerate(reps)
    ]
    roster = frame([("A", "T1"), ("B", "T1"), ("C", "T2")], ["rep", "team"])
    data = dataset(spec, {"orders": frame(rows, ["date", "rep", "amount"])}, roster)
    data.market = MarketFigures(
        "market",
        "m.csv",
        None,
        pd.DataFrame(
            {"p": [2017 * 12 + 2], "entity": pd.array([pd.NA], dtype="string"), "growth": market}
        ),
        ["growth"],
    )
    return Review(spec, period="2017-03", dataset=data)


amounts = st.lists(st.integers(0, 10_000), min_size=9, max_size=9)


@given(amounts, st.sampled_from(["", ", allocate: history_share", ", allocate: equal"]))
def test_market_growth_of_zero_is_the_history_only_target(values: list[int], allocate: str):
    with_market = _property_review(values, "{market: growth}", allocate, 0.0).results.table
    history = _property_review(values, "0", allocate, 0.0).results.table
    assert with_market["target"].tolist() == history["target"].tolist()


@given(amounts, st.floats(-0.5, 1.0), st.floats(-0.2, 0.2))
def test_allocated_market_targets_sum_exactly_to_the_parent(
    values: list[int], growth: float, margin: float
) -> None:
    review = _property_review(
        values, f"{{market: growth, margin: {margin!r}}}", ", allocate: history_share", growth
    )
    table = review.results.table
    company = table[table.level == "company"].iloc[0].target
    if company != company:
        return
    teams = table[table.level == "team"]
    reps = table[table.level == "rep"]
    assert round(teams["target"].sum(), 6) == company
    for team, parent in zip(teams.entity, teams.target, strict=True):
        assert round(reps[reps.parent == team]["target"].sum(), 6) == parent
