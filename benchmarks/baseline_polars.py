"""The analyst's baseline (``baseline.py``) written with polars: the same KPIs, the same rows.

    python benchmarks/baseline_polars.py DATA_DIR [--out actuals.csv]

What a careful analyst using polars would write: a lazy scan of only the columns needed,
``1,234.50`` read by dropping the commas (polars' reader has no thousands separator), ISO
dates parsed with their known format, and one ``group_by`` per measure over (rep, month).
Multi-threaded (polars uses every core). It computes exactly the numbers of ``baseline.py``
(``tests/test_benchmarks.py`` checks it), and like it validates nothing.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import polars as pl

KEYS = ["rep", "month"]


def _month(column: str) -> pl.Expr:
    date = pl.col(column).str.to_date("%Y-%m-%d")
    return (date.dt.year().cast(pl.Int32) * 12 + date.dt.month().cast(pl.Int32) - 1).alias("month")


def monthly_actuals(folder: Path) -> pl.DataFrame:
    """One row per (rep, month) with every KPI's actual (and CSAT's response count)."""
    orders = (
        pl.scan_csv(
            folder / "orders.csv",
            schema_overrides={"Amount": pl.String, "Order Date": pl.String, "Quantity": pl.Float64},
        )
        .select(
            pl.col("Order Date").str.to_date("%Y-%m-%d").alias("date"),
            _month("Order Date"),
            pl.col("Sales Rep").alias("rep"),
            pl.col("Customer ID").alias("customer"),
            pl.col("Quantity").alias("quantity"),
            pl.col("Amount").str.replace_all(",", "", literal=True).cast(pl.Float64),
        )
        .collect()
    )
    as_of = orders["date"].max()
    orders = orders.filter(pl.col("date") <= as_of).with_row_index("line")
    amount = pl.col("Amount")
    out = orders.group_by(KEYS).agg(
        revenue=amount.sum(),
        orders=pl.len(),
        units=pl.col("quantity").sum(),
        active_customers=pl.col("customer").n_unique(),
        avg_deal_size=amount.filter(amount > 0).mean(),
        returns=(amount < 0).sum(),
    )
    # New customers: each customer's first row (by month, then file order), credited to
    # that row's rep.
    first = orders.sort(["month", "line"]).unique("customer", keep="first")
    new = first.group_by(KEYS).agg(new_customers=pl.len())
    # Retention: of last month's customers of a rep, the share served again this month.
    pairs = orders.select(*KEYS, "customer").unique()
    seen = pairs.with_columns(pl.col("month") + 1).join(
        pairs.with_columns(kept=pl.lit(True)), on=[*KEYS, "customer"], how="left"
    )
    retention = seen.group_by(KEYS).agg(retention_rate=pl.col("kept").fill_null(False).mean())
    out = out.join(new, on=KEYS, how="left").join(retention, on=KEYS, how="left")

    pipeline = (
        pl.scan_csv(folder / "pipeline.csv", schema_overrides={"Close Date": pl.String})
        .select(
            pl.col("Close Date").str.to_date("%Y-%m-%d").alias("date"),
            _month("Close Date"),
            pl.col("Owner").alias("rep"),
            pl.col("Stage"),
        )
        .filter((pl.col("date") <= as_of) & pl.col("Stage").is_in(["Won", "Lost"]))
        .group_by(KEYS)
        .agg(win_rate=(pl.col("Stage") == "Won").mean())
        .collect()
    )
    feedback = (
        pl.scan_csv(folder / "feedback.csv", schema_overrides={"Date": pl.String})
        .select(
            pl.col("Date").str.to_date("%Y-%m-%d").alias("date"),
            _month("Date"),
            pl.col("Rep").alias("rep"),
            pl.col("Kind"),
            pl.col("Score").cast(pl.Float64),
        )
        .filter((pl.col("date") <= as_of) & (pl.col("Kind") == "csat"))
        .group_by(KEYS)
        .agg(csat=pl.col("Score").mean(), csat_responses=pl.len())
        .collect()
    )
    out = out.join(pipeline, on=KEYS, how="full", coalesce=True)
    out = out.join(feedback, on=KEYS, how="full", coalesce=True)
    additive = ["revenue", "orders", "units", "new_customers", "returns", "csat_responses"]
    out = out.with_columns(pl.col(additive).cast(pl.Float64).fill_null(0))
    return out.sort(KEYS)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", type=Path, help="a folder written by generate.py")
    parser.add_argument("--out", type=Path, help="write the actuals here as CSV")
    args = parser.parse_args(argv)
    actuals = monthly_actuals(args.data)
    if args.out:
        actuals.write_csv(args.out)
    last = actuals["month"].max()
    current = actuals.filter(pl.col("month") == last)
    print(
        f"{len(actuals)} rep-months; month {last // 12}-{last % 12 + 1:02d}: "
        f"revenue {current['revenue'].sum():,.2f} from {int(current['orders'].sum())} orders"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
