"""The benchmark harness (benchmarks/): a deterministic generator, and a hand-written pandas
baseline that must agree with salesperf. No timings here: those belong in benchmarks/run.py."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest

from salesperf.review import Review

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def _module(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"benchmarks_{name}", BENCHMARKS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


generate = _module("generate")
baseline = _module("baseline")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("bench")
    generate.generate(4000, folder)
    return folder


def test_generator_is_deterministic(project: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    generate.generate(4000, again)
    names = sorted(p.name for p in project.iterdir())
    assert names == ["feedback.csv", "kpi.yaml", "orders.csv", "pipeline.csv", "roster.csv"]
    for name in names:
        assert (again / name).read_bytes() == (project / name).read_bytes(), name
    other = tmp_path / "other"
    generate.generate(4000, other, seed=generate.SEED + 1)
    assert (other / "orders.csv").read_bytes() != (project / "orders.csv").read_bytes()


def test_generated_data_looks_like_an_export(project: Path) -> None:
    orders = pd.read_csv(project / "orders.csv", dtype=str)
    assert len(orders) == 4000
    assert orders["Amount"].str.contains(",").any()  # "1,234.50"
    returns = orders["Amount"].str.startswith("-")
    assert returns.any() and orders.loc[returns, "Order ID"].str.endswith("-R").all()
    assert orders["Order Date"].is_monotonic_increasing
    stages = set(pd.read_csv(project / "pipeline.csv")["Stage"])
    assert stages == {"Won", "Lost", "Open"}
    roster = pd.read_csv(project / "roster.csv")
    assert len(roster) == 200 and roster["team"].nunique() == 12 and roster["region"].nunique() == 3


def test_baseline_agrees_with_salesperf(project: Path) -> None:
    """The cross-check that makes the benchmark honest: both compute the same numbers."""
    expected = baseline.monthly_actuals(project)
    results = Review(project / "kpi.yaml").results
    cube = results.cube.loc[results.cube["level"] == "rep"]
    ours = cube.pivot_table(index=["entity", "p"], columns="kpi", values="actual", dropna=False)
    ours.index = ours.index.set_names(["rep", "month"])
    theirs = expected.astype({"rep": str}).set_index(["rep", "month"])
    theirs = theirs.loc[theirs["orders"] > 0]
    joined = theirs.join(ours.add_suffix("_salesperf"), how="left")
    assert len(joined) > 1000
    for kpi in [
        "revenue",
        "orders",
        "units",
        "active_customers",
        "new_customers",
        "retention_rate",
        "avg_deal_size",
        "returns",
        "win_rate",
        "csat",
    ]:
        mine = joined[f"{kpi}_salesperf"].to_numpy(dtype=float)
        base = joined[kpi].to_numpy(dtype=float)
        if kpi in ("win_rate", "csat", "retention_rate", "avg_deal_size"):
            known = ~np.isnan(base)
            assert np.isnan(mine[~known]).all(), kpi  # no data on both sides
            mine, base = mine[known], base[known]
        np.testing.assert_allclose(mine, base, rtol=1e-9, err_msg=kpi)


def test_previous_period_on_the_same_data_matches_a_fresh_run(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Scoring's previous period is cut from the review's cube (the actuals are counted
    once); a fresh review of that period on freshly loaded data gives the same numbers."""
    import datetime as dt

    from salesperf import review as review_module
    from salesperf.sources.dataset import load_dataset
    from salesperf.spec import load_spec

    computed = []
    compute_actuals = review_module.compute_actuals
    monkeypatch.setattr(
        review_module,
        "compute_actuals",
        lambda *a, **k: computed.append(1) or compute_actuals(*a, **k),
    )
    spec = load_spec(project / "kpi.yaml")
    review = Review(spec)
    reused = review.previous
    assert reused is not None
    assert len(computed) == 1  # the previous period was cut from the review's cube
    as_of = dt.date(2023, 11, 30)
    fresh = Review(spec, period="2023-11", as_of=as_of, dataset=load_dataset(spec))
    assert fresh.results is not None and len(computed) == 2
    assert review.period.label == "2023-12" and reused.as_of == as_of
    pd.testing.assert_frame_equal(reused.cube, fresh.cube)
    pd.testing.assert_frame_equal(reused.table, fresh.results.table)


@pytest.mark.parametrize("engine", ["duckdb", "polars"])
def test_duckdb_and_polars_baselines_agree_with_the_pandas_one(project: Path, engine: str) -> None:
    """The peers the harness reports ratios to compute the same numbers, row for row."""
    pytest.importorskip(engine, reason=f"{engine} is in the bench extra: pip install -e '.[bench]'")
    module = _module(f"baseline_{engine}")
    actuals = module.monthly_actuals(project)
    # Both as pandas frames: DuckDB's own .df(), polars through plain lists (no pyarrow).
    theirs = actuals.df() if engine == "duckdb" else pd.DataFrame(actuals.to_dict(as_series=False))
    expected = baseline.monthly_actuals(project)
    assert list(theirs.columns) == list(expected.columns)
    assert len(theirs) == len(expected) > 1000
    assert theirs["rep"].astype(str).tolist() == expected["rep"].astype(str).tolist()
    for column in expected.columns.drop("rep"):
        np.testing.assert_allclose(
            theirs[column].to_numpy(dtype=float),
            expected[column].to_numpy(dtype=float),
            rtol=1e-9,
            err_msg=f"{engine}: {column}",
        )
