"""The analyst's baseline (``baseline.py``) written as DuckDB SQL: the same KPIs, the same rows.

    python benchmarks/baseline_duckdb.py DATA_DIR [--out actuals.csv]

What a careful analyst using DuckDB would write: ``read_csv`` of the exports with the column
types given (``1,234.50`` read as text and the commas dropped; ISO dates as DATE), then one
``GROUP BY`` per measure over (rep, month). Multi-threaded (DuckDB uses every core). It
computes exactly the numbers of ``baseline.py`` (``tests/test_benchmarks.py`` checks it), and
like it validates nothing.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb

QUERY = """
WITH orders AS (
    SELECT row_number() OVER () AS line, "Order Date" AS date,
           year("Order Date") * 12 + month("Order Date") - 1 AS month,
           "Sales Rep" AS rep, "Customer ID" AS customer, "Quantity" AS quantity,
           CAST(replace("Amount", ',', '') AS DOUBLE) AS amount
    FROM read_csv($orders, header = true, columns = {
        'Order ID': 'VARCHAR', 'Order Date': 'DATE', 'Sales Rep': 'VARCHAR',
        'Customer ID': 'VARCHAR', 'Customer': 'VARCHAR', 'Product': 'VARCHAR',
        'Category': 'VARCHAR', 'Region': 'VARCHAR', 'Quantity': 'DOUBLE',
        'Discount %': 'VARCHAR', 'Amount': 'VARCHAR'})
),
as_of AS (SELECT max(date) AS day FROM orders),
kept AS (SELECT * FROM orders WHERE date <= (SELECT day FROM as_of)),
measures AS (
    SELECT rep, month, sum(amount) AS revenue, count(*) AS orders, sum(quantity) AS units,
           count(DISTINCT customer) AS active_customers,
           avg(amount) FILTER (WHERE amount > 0) AS avg_deal_size,
           count(*) FILTER (WHERE amount < 0) AS returns
    FROM kept GROUP BY ALL
),
-- New customers: each customer's first row (by month, then file order), credited to that
-- row's rep.
firsts AS (
    SELECT arg_min(rep, (month, line)) AS rep, min(month) AS month FROM kept GROUP BY customer
),
new AS (SELECT rep, month, count(*) AS new_customers FROM firsts GROUP BY ALL),
-- Retention: of last month's customers of a rep, the share served again this month.
pairs AS (SELECT DISTINCT rep, month, customer FROM kept),
retention AS (
    SELECT last.rep, last.month + 1 AS month, avg(CAST(now.customer IS NOT NULL AS DOUBLE))
           AS retention_rate
    FROM pairs AS last LEFT JOIN pairs AS now
      ON now.rep = last.rep AND now.month = last.month + 1 AND now.customer = last.customer
    GROUP BY ALL
),
wins AS (
    SELECT "Owner" AS rep, year("Close Date") * 12 + month("Close Date") - 1 AS month,
           avg(CAST("Stage" = 'Won' AS DOUBLE)) AS win_rate
    FROM read_csv($pipeline, header = true, columns = {
        'Opportunity ID': 'VARCHAR', 'Created': 'DATE', 'Close Date': 'DATE',
        'Owner': 'VARCHAR', 'Stage': 'VARCHAR', 'Value': 'DOUBLE'})
    WHERE "Close Date" <= (SELECT day FROM as_of) AND "Stage" IN ('Won', 'Lost')
    GROUP BY ALL
),
csat AS (
    SELECT "Rep" AS rep, year("Date") * 12 + month("Date") - 1 AS month,
           avg("Score") AS csat, count(*) AS csat_responses
    FROM read_csv($feedback, header = true, columns = {
        'Date': 'DATE', 'Rep': 'VARCHAR', 'Kind': 'VARCHAR', 'Score': 'DOUBLE',
        'Comment': 'VARCHAR'})
    WHERE "Date" <= (SELECT day FROM as_of) AND "Kind" = 'csat'
    GROUP BY ALL
)
SELECT rep, month,
       coalesce(revenue, 0) AS revenue, coalesce(orders, 0) AS orders,
       coalesce(units, 0) AS units, active_customers, avg_deal_size,
       coalesce(returns, 0) AS returns, coalesce(new_customers, 0) AS new_customers,
       retention_rate, win_rate, csat, coalesce(csat_responses, 0) AS csat_responses
FROM measures
LEFT JOIN new USING (rep, month)
LEFT JOIN retention USING (rep, month)
FULL JOIN wins USING (rep, month)
FULL JOIN csat USING (rep, month)
ORDER BY rep, month
"""


def monthly_actuals(folder: Path) -> duckdb.DuckDBPyRelation:
    """One row per (rep, month) with every KPI's actual (and CSAT's response count)."""
    connection = duckdb.connect()
    files = {name: str(folder / f"{name}.csv") for name in ("orders", "pipeline", "feedback")}
    return connection.sql(QUERY, params=files)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", type=Path, help="a folder written by generate.py")
    parser.add_argument("--out", type=Path, help="write the actuals here as CSV")
    args = parser.parse_args(argv)
    actuals = monthly_actuals(args.data)
    rows = actuals.fetchall()
    if args.out:
        actuals.write_csv(str(args.out))
    last = max(row[1] for row in rows)
    current = [row for row in rows if row[1] == last]
    print(
        f"{len(rows)} rep-months; month {last // 12}-{last % 12 + 1:02d}: "
        f"revenue {sum(r[2] for r in current):,.2f} from {int(sum(r[3] for r in current))} orders"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
