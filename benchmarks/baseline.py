"""The hand-written pandas script salesperf is measured against.

    python benchmarks/baseline.py DATA_DIR [--out actuals.csv]

What a careful analyst would write to get the monthly per-rep actuals of the benchmark's
KPIs from the generated exports (``benchmarks/generate.py``): read only the columns needed
with explicit dtypes, let the C parser read ``1,234.50`` (``thousands=","``) and the ISO
dates (``date_format``), then one ``groupby`` per measure over (rep, month). It is as
efficient as plain pandas gets without being clever, and deliberately does *less* than
salesperf: no validation or rejected-row report, no roster levels (team, region, company),
no targets, no pacing, no scoring.

Months are integer ordinals (``year * 12 + month - 1``), the same as salesperf's period
ordinals, so the two can be compared row for row (``tests/test_benchmarks.py``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

ORDER_COLUMNS = {
    "Order Date": "string",
    "Sales Rep": "category",
    "Customer ID": "category",
    "Quantity": "float64",
    "Amount": "float64",
}


def _month(dates: pd.Series) -> pd.Series:
    return (dates.dt.year * 12 + dates.dt.month - 1).astype("int32")


def monthly_actuals(folder: Path, as_of: pd.Timestamp | None = None) -> pd.DataFrame:
    """One row per (rep, month) with every KPI's actual (and CSAT's response count)."""
    orders = pd.read_csv(
        folder / "orders.csv", usecols=list(ORDER_COLUMNS), dtype=ORDER_COLUMNS, thousands=","
    )
    dates = pd.to_datetime(orders.pop("Order Date"), format="%Y-%m-%d")
    as_of = as_of or dates.max()
    orders = orders.loc[(dates <= as_of).to_numpy()]
    orders["month"] = _month(dates[dates <= as_of])
    orders = orders.rename(
        columns={"Sales Rep": "rep", "Customer ID": "customer", "Quantity": "quantity"}
    )
    keys = ["rep", "month"]
    grouped = orders.groupby(keys, observed=True)
    out = grouped.agg(
        revenue=("Amount", "sum"),
        orders=("Amount", "size"),
        units=("quantity", "sum"),
        active_customers=("customer", "nunique"),
    )
    sale = orders["Amount"] > 0
    out["avg_deal_size"] = orders.loc[sale].groupby(keys, observed=True)["Amount"].mean()
    out["returns"] = orders.loc[orders["Amount"] < 0].groupby(keys, observed=True).size()

    # New customers: each customer's first row (rows are in date order; stable sort keeps
    # the file order within a day), credited to that row's rep.
    first = orders.sort_values("month", kind="stable").drop_duplicates("customer")
    out["new_customers"] = first.groupby(keys, observed=True).size()

    # Retention: of last month's customers of a rep, the share served again this month.
    pairs = orders[["rep", "month", "customer"]].drop_duplicates()
    seen = pairs.assign(month=pairs["month"] + 1)
    seen = seen.merge(pairs, on=["rep", "month", "customer"], how="left", indicator=True)
    seen["kept"] = seen["_merge"] == "both"
    out["retention_rate"] = seen.groupby(keys, observed=True)["kept"].mean()

    pipeline = pd.read_csv(
        folder / "pipeline.csv",
        usecols=["Close Date", "Owner", "Stage"],
        dtype={"Close Date": "string", "Owner": "category", "Stage": "category"},
    )
    close = pd.to_datetime(pipeline.pop("Close Date"), format="%Y-%m-%d")
    pipeline = pipeline.loc[(close <= as_of).to_numpy()]
    pipeline["month"] = _month(close[close <= as_of])
    closed = pipeline.loc[pipeline["Stage"].isin(["Won", "Lost"])]
    won = closed["Stage"] == "Won"
    out = out.join(
        won.groupby([closed["Owner"].rename("rep"), closed["month"]], observed=True)
        .mean()
        .rename("win_rate"),
        how="outer",
    )

    feedback = pd.read_csv(
        folder / "feedback.csv",
        usecols=["Date", "Rep", "Kind", "Score"],
        dtype={"Date": "string", "Rep": "category", "Kind": "category", "Score": "float64"},
    )
    answered = pd.to_datetime(feedback.pop("Date"), format="%Y-%m-%d")
    feedback = feedback.loc[(answered <= as_of).to_numpy() & (feedback["Kind"] == "csat")]
    feedback["month"] = _month(answered[feedback.index])
    csat = feedback.groupby(["Rep", "month"], observed=True)["Score"].agg(["mean", "size"])
    csat.index = csat.index.set_names(keys)
    out = out.join(csat.rename(columns={"mean": "csat", "size": "csat_responses"}), how="outer")
    out.index = out.index.set_names(keys)
    additive = ["revenue", "orders", "units", "new_customers", "returns", "csat_responses"]
    out[additive] = out[additive].fillna(0)
    return out.reset_index().sort_values(keys, kind="stable").reset_index(drop=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", type=Path, help="a folder written by generate.py")
    parser.add_argument("--out", type=Path, help="write the actuals here as CSV")
    args = parser.parse_args(argv)
    actuals = monthly_actuals(args.data)
    if args.out:
        actuals.to_csv(args.out, index=False)
    last = actuals["month"].max()
    current = actuals.loc[actuals["month"] == last]
    print(
        f"{len(actuals)} rep-months; month {last // 12}-{last % 12 + 1:02d}: "
        f"revenue {current['revenue'].sum():,.2f} from {int(current['orders'].sum())} orders"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
