"""Generate realistic sales exports of any size for benchmarking salesperf.

    python benchmarks/generate.py --rows 1000000 --out /tmp/bench-1m
    python benchmarks/generate.py --rows 200000 --out /tmp/bench-xlsx --xlsx
    python benchmarks/generate.py --rows 1000000 --reps 100000 --out /tmp/bench-100k-reps

Writes, into ``--out``:

* ``orders.csv``: ``--rows`` order lines over 36 months (2021-01-01 .. 2023-12-20, so December
  2023 is in progress), 200 reps (``--reps``), 50k customers, 300 products in 10 categories;
  about 2% are returns (negative amounts, order ids ending in ``-R``). Each line's price is
  negotiated around its product's list price, so amounts repeat far less (28% distinct against 6%
  from list prices alone), as in a real export. Amounts are written the way ERPs export
  them (``"1,234.50"``), dates in ISO form.
* ``pipeline.csv``: opportunities (a tenth of ``--rows``) with stages Won, Lost and Open.
* ``feedback.csv``: CSAT answers (a twentieth of ``--rows``), scores 1-5, a few comments.
* ``roster.csv``: rep, name, team (12), region (3), start and end dates (joiners and leavers).
* ``kpi.yaml``: ten KPIs over those files (sums, counts, distinct and new customers,
  retention, a win-rate ratio, a CSAT mean with ``min_responses``), with ``last_year``,
  ``trailing_mean``, ``trailing_median``, ``seasonal`` and ``fixed`` targets and allocation.
* with ``--xlsx``: ``orders.xlsx``, the first ``--xlsx-rows`` order lines as a workbook
  (for the Excel reader comparison in ``run.py --excel``).

Deterministic: all randomness comes from ``numpy.random.default_rng(seed)``, nothing reads
the clock, and the files for a given (rows, seed) are byte-identical between runs on the same
numpy version. Generation is vectorised: a million rows take a few seconds, mostly writing.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

SEED = 7
FIRST_DAY = np.datetime64("2021-01-01")
LAST_DAY = np.datetime64("2023-12-20")  # "today": the review is mid-month
REPS = 200
TEAMS = (
    ("Atlantic", "East"),
    ("Great Lakes", "East"),
    ("Hudson", "East"),
    ("Capital", "East"),
    ("Gulf", "South"),
    ("Piedmont", "South"),
    ("Bayou", "South"),
    ("Lone Star", "South"),
    ("Pacific", "West"),
    ("Rockies", "West"),
    ("Sierra", "West"),
    ("Cascade", "West"),
)
CUSTOMERS = 50_000
PRODUCTS = 300
CATEGORIES = (
    "Hardware",
    "Networking",
    "Software",
    "Services",
    "Accessories",
    "Storage",
    "Printing",
    "Security",
    "Cloud",
    "Training",
)
#: Multiplier per calendar month: Q4 budget flush, summer dip.
SEASON = np.array([0.85, 0.90, 1.05, 0.95, 1.00, 1.05, 0.85, 0.80, 1.05, 1.05, 1.15, 1.30])
ANNUAL_GROWTH = 0.08
RETURN_SHARE = 0.02
FIRST_NAMES = (
    "Maria", "James", "Priya", "David", "Sarah", "Ahmed", "Emily", "Lukas", "Olivia", "Kwame",
    "Sophie", "Daniel", "Aisha", "Marco", "Hannah", "Carlos", "Yuki", "Grace", "Ethan",
    "Fatima", "Liam", "Ana", "Noah", "Mei", "Jonas", "Isabella", "Arjun", "Chloe", "Tomasz",
    "Zoe",
)  # fmt: skip
LAST_NAMES = (
    "Gonzalez", "O'Connor", "Raman", "Kim", "Mitchell", "Hassan", "Chen", "Weber", "Brown",
    "Mensah", "Laurent", "Novak", "Bello", "Rossi", "Schmidt", "Mendoza", "Tanaka", "Okafor",
    "Walker", "Alaoui", "Murphy", "Sousa", "Fischer", "Wong", "Berg", "Ricci",
)  # fmt: skip
WORDS = (
    "Harbor", "Summit", "Keller", "Bluewater", "Pioneer", "Redwood", "Granite", "Cedar",
    "Lakeside", "Meridian", "Atlas", "Beacon", "Sterling", "Hawthorne", "Ironwood", "Oakmont",
    "Westbrook", "Riverside", "Evergreen", "Crescent", "Falcon", "Horizon",
)  # fmt: skip
TRADES = (
    "Logistics",
    "Dental Group",
    "Law Partners",
    "Manufacturing",
    "Foods",
    "Health Clinic",
    "Architects",
    "Realty",
    "Insurance",
    "Engineering",
)
SUFFIXES = (" Inc.", " LLC", " Ltd", ", Inc.", " Group", "")
COMMENTS = (
    "Very responsive and knowledgeable.",
    "Delivery arrived ahead of schedule.",
    "Quote took two rounds to get right.",
    "Order arrived incomplete, nobody called back.",
)


def day_weights(days: np.ndarray) -> np.ndarray:
    """Relative order volume of each day: growth, season, quiet weekends, month-end push."""
    dates = pd.DatetimeIndex(days)
    years = (days - FIRST_DAY).astype(np.int64) / 365.25
    weight = (1 + ANNUAL_GROWTH) ** years * SEASON[dates.month - 1]
    weight = weight * np.where(dates.day_of_week >= 5, 0.08, 1.0)
    weight = weight * np.where(dates.day >= dates.days_in_month - 6, 1.5, 1.0)
    return np.asarray(weight, dtype=np.float64)


def sample_days(
    rng: np.random.Generator, cdf: np.ndarray, lo: np.ndarray, hi: np.ndarray
) -> np.ndarray:
    """A day index in [lo, hi) for each row, following the day weights (inverse CDF)."""
    u = rng.random(len(lo))
    target = cdf[lo] + u * (cdf[hi] - cdf[lo])
    return np.clip(np.searchsorted(cdf, target, side="right") - 1, lo, hi - 1)


def make_roster(rng: np.random.Generator, span: int, reps: int = REPS) -> pd.DataFrame:
    team = np.arange(reps) % len(TEAMS)
    # Most reps predate the data; about one in eight joins during it, one in ten leaves.
    start = np.where(
        rng.random(reps) < 0.12,
        rng.integers(60, span - 90, reps),
        -rng.integers(30, 3000, reps),
    )
    end = np.where(rng.random(reps) < 0.10, rng.integers(120, span - 30, reps), span + 10_000)
    end = np.maximum(end, start + 90)
    first = np.array(FIRST_NAMES)[rng.integers(0, len(FIRST_NAMES), reps)]
    last = np.array(LAST_NAMES)[rng.integers(0, len(LAST_NAMES), reps)]
    start_date = FIRST_DAY + start.astype("timedelta64[D]")
    end_date = FIRST_DAY + np.minimum(end, span + 5000).astype("timedelta64[D]")
    return pd.DataFrame(
        {
            "rep_id": [f"R{i:03d}" for i in range(1, reps + 1)],
            "name": [f"{a} {b}" for a, b in zip(first, last, strict=True)],
            "team": [TEAMS[t][0] for t in team],
            "region": [TEAMS[t][1] for t in team],
            "start": start,
            "end": end,
            "start_date": np.datetime_as_string(start_date, unit="D"),
            "end_date": np.where(end < span, np.datetime_as_string(end_date, unit="D"), ""),
        }
    )


def rep_rows(
    rng: np.random.Generator, roster: pd.DataFrame, n: int, span: int, cdf: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(rep index, day index) for ``n`` rows: reps sell only while employed."""
    lo = np.clip(roster["start"].to_numpy(), 0, span)
    hi = np.clip(roster["end"].to_numpy() + 1, 0, span)
    hi = np.maximum(hi, lo + 1)
    talent = rng.lognormal(0.0, 0.35, len(roster))
    share = talent * (cdf[hi] - cdf[lo])
    rep = rng.choice(len(roster), size=n, p=share / share.sum())
    return rep, sample_days(rng, cdf, lo[rep], hi[rep])


def make_customers(
    rng: np.random.Generator, span: int, reps: int = REPS
) -> tuple[np.ndarray, np.ndarray]:
    """Customer -> account rep, and the day each becomes a customer (55% existing)."""
    owner = rng.integers(0, reps, CUSTOMERS)
    acquired = np.where(rng.random(CUSTOMERS) < 0.55, 0, rng.integers(0, span, CUSTOMERS))
    return owner, acquired


def pick_customers(
    rng: np.random.Generator,
    rep: np.ndarray,
    day: np.ndarray,
    owner: np.ndarray,
    acquired: np.ndarray,
) -> np.ndarray:
    """Each row's customer: one of its rep's accounts acquired by that day (older ones buy
    more often), so first purchases (new customers) keep arriving and most buyers return."""
    order = np.lexsort((acquired, owner))
    key_sorted = owner[order].astype(np.int64) * 1_000_000 + acquired[order]
    offsets = np.searchsorted(owner[order], np.arange(int(rep.max(initial=0)) + 2))
    reachable = np.searchsorted(key_sorted, rep * 1_000_000 + day, side="right") - offsets[rep]
    reachable = np.maximum(reachable, np.minimum(offsets[rep + 1] - offsets[rep], 1))
    pick = np.floor(reachable * rng.random(len(rep)) ** 1.4).astype(np.int64)
    fallback = rng.integers(0, CUSTOMERS, len(rep))
    have = reachable > 0
    return np.where(have, order[np.minimum(offsets[rep] + pick, CUSTOMERS - 1)], fallback)


def money(cents: np.ndarray) -> list[str]:
    """Amounts as ERPs export them: 1,234.50 and -80.00."""
    return [f"{c / 100:,.2f}" for c in cents.tolist()]


def iso(days: np.ndarray) -> np.ndarray:
    return np.datetime_as_string(FIRST_DAY + days.astype("timedelta64[D]"), unit="D")


def make_orders(
    rng: np.random.Generator, roster: pd.DataFrame, n: int, span: int, cdf: np.ndarray
) -> pd.DataFrame:
    rep, day = rep_rows(rng, roster, n, span, cdf)
    owner, acquired = make_customers(rng, span, len(roster))
    customer = pick_customers(rng, rep, day, owner, acquired)
    names = np.array(
        [
            f"{WORDS[i % len(WORDS)]} {TRADES[(i // len(WORDS)) % len(TRADES)]}"
            f"{SUFFIXES[i % len(SUFFIXES)]}"
            for i in range(CUSTOMERS)
        ]
    )
    product = np.minimum(rng.zipf(1.3, n) - 1, PRODUCTS - 1)
    product = (product * 7919) % PRODUCTS  # popular products spread over the catalogue
    price_cents = np.round(np.exp(rng.normal(5.5, 1.2, PRODUCTS)) * 100).astype(np.int64) + 500
    quantity = np.minimum(rng.geometric(0.25, n), 200)
    discount = rng.integers(0, 21, n)
    # Each line's price is negotiated around the list price (+-3%): amounts seldom repeat in
    # a real export, and parsing a million distinct "1,234.50" texts costs more than a few
    # thousand repeated ones.
    negotiated = rng.normal(1.0, 0.03, n)
    cents = np.round(price_cents[product] * negotiated * quantity * (100 - discount) / 100)
    cents = cents.astype(np.int64)
    returned = rng.random(n) < RETURN_SHARE
    cents = np.where(returned, -cents, cents)
    quantity = np.where(returned, -quantity, quantity)
    order = np.argsort(day, kind="stable")  # exports are in date order
    rep, day, customer = rep[order], day[order], customer[order]
    product, quantity, cents, returned = (
        product[order],
        quantity[order],
        cents[order],
        returned[order],
    )
    ids = np.char.add("SO-", (np.arange(n) + 1_000_001).astype(str))
    ids = np.where(returned, np.char.add(ids, "-R"), ids)
    return pd.DataFrame(
        {
            "Order ID": ids,
            "Order Date": iso(day),
            "Sales Rep": roster["rep_id"].to_numpy()[rep],
            "Customer ID": np.char.add("C", np.char.zfill(customer.astype(str), 5)),
            "Customer": names[customer],
            "Product": np.char.add("P", np.char.zfill(product.astype(str), 3)),
            "Category": np.array(CATEGORIES)[product % len(CATEGORIES)],
            "Region": roster["region"].to_numpy()[rep],
            "Quantity": quantity,
            "Discount %": discount,
            "Amount": money(cents),
        }
    )


def make_pipeline(
    rng: np.random.Generator, roster: pd.DataFrame, n: int, span: int, cdf: np.ndarray
) -> pd.DataFrame:
    rep, close = rep_rows(rng, roster, n, span, cdf)
    created = np.maximum(close - rng.integers(7, 120, n), -200)
    skill = rng.beta(4, 6, len(roster))[rep]
    won = rng.random(n) < skill
    # Deals due to close in the last weeks are often still open.
    open_ = (close > span - 25) & (rng.random(n) < 0.6)
    stage = np.where(open_, "Open", np.where(won, "Won", "Lost"))
    value = np.round(np.exp(rng.normal(8.5, 0.9, n)), -2)
    order = np.argsort(close, kind="stable")
    return pd.DataFrame(
        {
            "Opportunity ID": [f"OPP-{i:07d}" for i in range(1, n + 1)],
            "Created": iso(created[order]),
            "Close Date": iso(close[order]),
            "Owner": roster["rep_id"].to_numpy()[rep[order]],
            "Stage": stage[order],
            "Value": [f"{v:.2f}" for v in value[order].tolist()],
        }
    )


def make_feedback(
    rng: np.random.Generator, roster: pd.DataFrame, n: int, span: int, cdf: np.ndarray
) -> pd.DataFrame:
    rep, day = rep_rows(rng, roster, n, span, cdf)
    mood = rng.normal(4.1, 0.3, len(roster))[rep]
    score = np.clip(np.round(rng.normal(mood, 0.9)), 1, 5).astype(np.int64)
    comment = np.where(
        rng.random(n) < 0.05, np.array(COMMENTS)[rng.integers(0, len(COMMENTS), n)], ""
    )
    order = np.argsort(day, kind="stable")
    return pd.DataFrame(
        {
            "Date": iso(day[order]),
            "Rep": roster["rep_id"].to_numpy()[rep[order]],
            "Kind": "csat",
            "Score": score[order],
            "Comment": comment[order],
        }
    )


KPI_YAML = """\
# Benchmark spec: ten KPIs over generated exports (benchmarks/generate.py).
version: 1
title: Benchmark Co.
currency: USD
period: month
pacing: calendar

sources:
  orders:
    path: orders.csv
    columns:
      date: Order Date
      rep: Sales Rep
      customer: Customer ID
      quantity: Quantity
      amount: Amount
  pipeline:
    path: pipeline.csv
    columns:
      date: Close Date
      rep: Owner
      stage: Stage
      amount: Value
  feedback:
    path: feedback.csv
    columns:
      date: Date
      rep: Rep
      kind: Kind
      score: Score

org:
  path: roster.csv
  columns:
    rep: rep_id
    name: name
    team: team
    region: region
    start_date: start_date
    end_date: end_date
  levels: [team, region]

kpis:
  - id: revenue
    name: Revenue
    source: orders
    measure: sum
    column: amount
    unit: currency
    weight: 40
    target: {method: last_year, growth: 0.08, allocate: history_share}

  - id: orders
    name: Orders
    source: orders
    measure: count
    unit: count
    target: {method: trailing_mean, periods: 3}

  - id: units
    name: Units sold
    source: orders
    measure: sum
    column: quantity
    unit: count
    target: {method: seasonal, periods: 12, allocate: history_share}

  - id: active_customers
    name: Active customers
    source: orders
    measure: count_distinct
    column: customer
    unit: count
    target: {method: trailing_median, periods: 6}

  - id: new_customers
    name: New customers
    source: orders
    measure: new_customers
    unit: count
    weight: 10
    target: {method: trailing_mean, periods: 12, allocate: equal}

  - id: retention_rate
    name: Customer retention
    source: orders
    measure: retention_rate
    unit: percent
    weight: 10
    target: {method: fixed, value: 0.6}

  - id: avg_deal_size
    name: Average deal size
    source: orders
    measure: mean
    column: amount
    where: {amount: {gt: 0}}
    unit: currency
    target: {method: trailing_mean, periods: 6}

  - id: returns
    name: Returns
    source: orders
    measure: count
    where: {amount: {lt: 0}}
    unit: count
    direction: lower
    target: {method: trailing_mean, periods: 6}

  - id: win_rate
    name: Win rate
    source: pipeline
    measure: ratio
    numerator: {measure: count, where: {stage: Won}}
    denominator: {measure: count, where: {stage: {in: [Won, Lost]}}}
    unit: percent
    weight: 20
    target: {method: fixed, value: 0.4}

  - id: csat
    name: Customer satisfaction
    source: feedback
    measure: mean
    column: score
    where: {kind: csat}
    min_responses: 3
    unit: score
    weight: 20
    target: {method: fixed, value: 4.2}
"""


def write_xlsx(orders: pd.DataFrame, path: Path) -> None:
    """The order lines as a workbook, amounts as numbers and dates as dates (as Excel saves)."""
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Orders")
    sheet.append(list(orders.columns))
    amounts = pd.to_numeric(orders["Amount"].str.replace(",", "", regex=False)).tolist()
    dates = pd.to_datetime(orders["Order Date"]).dt.date.tolist()
    columns = [orders[c].tolist() for c in orders.columns]
    columns[1], columns[-1] = dates, amounts
    for row in zip(*columns, strict=True):
        sheet.append(row)
    book.save(path)


def generate(
    rows: int,
    out: Path,
    seed: int = SEED,
    xlsx_rows: int | None = None,
    reps: int = REPS,
) -> Path:
    """Write the benchmark project for ``rows`` order lines by ``reps`` reps into ``out``;
    returns kpi.yaml."""
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    span = int((LAST_DAY - FIRST_DAY).astype(np.int64)) + 1
    days = FIRST_DAY + np.arange(span + 1).astype("timedelta64[D]")
    cdf = np.r_[0.0, np.cumsum(day_weights(days[:-1]))]
    roster = make_roster(rng, span, reps)
    roster.drop(columns=["start", "end"]).to_csv(out / "roster.csv", index=False)
    orders = make_orders(rng, roster, rows, span, cdf)
    orders.to_csv(out / "orders.csv", index=False, lineterminator="\n")
    make_pipeline(rng, roster, max(rows // 10, 100), span, cdf).to_csv(
        out / "pipeline.csv", index=False, lineterminator="\n"
    )
    make_feedback(rng, roster, max(rows // 20, 100), span, cdf).to_csv(
        out / "feedback.csv", index=False, lineterminator="\n"
    )
    if xlsx_rows:
        write_xlsx(orders.head(xlsx_rows), out / "orders.xlsx")
    spec = out / "kpi.yaml"
    spec.write_text(KPI_YAML, encoding="utf-8")
    return spec


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="order lines to write")
    parser.add_argument("--out", type=Path, required=True, help="folder to write into")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--xlsx", action="store_true", help="also write orders.xlsx")
    parser.add_argument("--xlsx-rows", type=int, default=200_000)
    parser.add_argument("--reps", type=int, default=REPS, help="reps on the roster (default 200)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    xlsx_rows = args.xlsx_rows if args.xlsx else None
    spec = generate(args.rows, args.out, args.seed, xlsx_rows, args.reps)
    print(f"wrote {spec.parent} in {time.perf_counter() - started:.1f}s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
