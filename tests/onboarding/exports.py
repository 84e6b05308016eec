"""Generators of five export shapes a new user brings to `salesperf init`.

Each writes a small, deterministic export into a folder and returns its path. History
months are filled by a seeded generator; the last month (February 2024) is written by hand
so that tests can check its numbers by hand (see each function's docstring).
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

HISTORY = [(2023, m) for m in range(1, 13)] + [(2024, 1)]


def _days(rng: random.Random, year: int, month: int, n: int) -> list[str]:
    return [f"{year}-{month:02d}-{rng.randint(1, 28):02d}" for _ in range(n)]


def invoice_lines(folder: Path) -> Path:
    """Online-retail invoice lines: Quantity and UnitPrice, no amount, no rep; about a
    quarter of the lines have no CustomerID. February 2024, by hand:
    536901 (C900): 2 x 3.50 + 1 x 10.00 = 17.00; 536902 (no customer): 4 x 2.25 = 9.00
    -> revenue 26.00, 2 orders (3 lines), 1 new customer (C900)."""
    rng = random.Random(1)
    rows = [
        [
            "InvoiceNo",
            "StockCode",
            "Description",
            "Quantity",
            "InvoiceDate",
            "UnitPrice",
            "CustomerID",
            "Country",
        ]
    ]
    invoice = 536000
    for year, month in HISTORY:
        for day in _days(rng, year, month, 12):
            invoice += 1
            customer = "" if rng.random() < 0.25 else f"C{rng.randint(100, 140)}"
            for _ in range(rng.randint(1, 3)):
                rows.append(
                    [
                        str(invoice),
                        f"S{rng.randint(1, 30)}",
                        "Item",
                        str(rng.randint(1, 6)),
                        f"{day} 10:{rng.randint(10, 59)}",
                        f"{rng.choice([1.25, 2.55, 4.95])}",
                        customer,
                        rng.choice(["United Kingdom", "France"]),
                    ]
                )
    rows += [
        ["536901", "S1", "Mug", "2", "2024-02-05 09:10", "3.50", "C900", "United Kingdom"],
        ["536901", "S2", "Lamp", "1", "2024-02-05 09:10", "10.00", "C900", "United Kingdom"],
        ["536902", "S3", "Card", "4", "2024-02-20 16:45", "2.25", "", "France"],
    ]
    return _csv(folder / "invoice_lines.csv", rows)


def pipeline(folder: Path) -> Path:
    """A CRM pipeline with open deals (no close date, no value) and a roster file next to
    it. February 2024, by hand: Ann won 1,200, Bob won 300, Cy lost one -> revenue 1,500,
    2 won deals, win rate 2 / 3; team 'North' (Ann, Bob) 1,500."""
    rng = random.Random(2)
    rows = [
        [
            "opportunity_id",
            "sales_agent",
            "product",
            "account",
            "deal_stage",
            "engage_date",
            "close_date",
            "close_value",
        ]
    ]
    agents = ["Ann", "Bob", "Cy", "Dee"]
    n = 0
    for year, month in HISTORY:
        for day in _days(rng, year, month, 10):
            n += 1
            stage = rng.choice(["Won", "Won", "Lost"])
            value = str(rng.randint(200, 2000)) if stage == "Won" else "0"
            rows.append(
                [
                    f"OPP{n:04d}",
                    rng.choice(agents),
                    "GTX",
                    f"Acct{rng.randint(1, 25)}",
                    stage,
                    day,
                    day,
                    value,
                ]
            )
    rows += [
        ["OPP9001", "Ann", "GTX", "Acct1", "Won", "2024-01-20", "2024-02-10", "1200"],
        ["OPP9002", "Bob", "GTX", "Acct2", "Won", "2024-01-25", "2024-02-12", "300"],
        ["OPP9003", "Cy", "GTX", "Acct3", "Lost", "2024-01-26", "2024-02-14", "0"],
        ["OPP9004", "Dee", "GTX", "Acct4", "Engaging", "2024-02-01", "", ""],
        ["OPP9005", "Ann", "GTX", "", "Prospecting", "", "", ""],
    ]
    _csv(
        folder / "sales_teams.csv",
        [
            ["sales_agent", "manager", "regional_office"],
            ["Ann", "North", "Central"],
            ["Bob", "North", "Central"],
            ["Cy", "South", "East"],
            ["Dee", "South", "East"],
        ],
    )
    return _csv(folder / "sales_pipeline.csv", rows)


def chinese_orders(folder: Path) -> Path:
    """A Chinese e-commerce order list, GB18030-encoded: one row per order, the paid amount
    in 买家实际支付金额, no rep. February 2024, by hand: 100.00 + 250.50 + 49.50 = 400.00
    over 3 orders, 2 of them from new buyers (buyer_x, buyer_y; buyer_1 bought before)."""
    rng = random.Random(3)
    rows = [
        [
            "订单编号",
            "买家会员名",
            "买家实际支付金额",
            "订单状态",
            "收货地址",
            "订单创建时间",
            "订单付款时间",
            "宝贝总数量",
        ]
    ]
    n = 0
    for year, month in HISTORY:
        for day in _days(rng, year, month, 15):
            n += 1
            rows.append(
                [
                    f"2023{n:08d}",
                    f"buyer_{rng.randint(1, 40)}",
                    f"{rng.randint(20, 500)}.00",
                    "交易成功",
                    "浙江省杭州市",
                    f"{day} 10:00:00",
                    f"{day} 10:05:00",
                    str(rng.randint(1, 3)),
                ]
            )
    rows[1][1] = "buyer_1"
    rows += [
        [
            "202402000001",
            "buyer_x",
            "100.00",
            "交易成功",
            "上海市",
            "2024-02-03 09:00:00",
            "2024-02-03 09:01:00",
            "1",
        ],
        [
            "202402000002",
            "buyer_1",
            "250.50",
            "交易成功",
            "北京市",
            "2024-02-10 12:00:00",
            "2024-02-10 12:03:00",
            "2",
        ],
        [
            "202402000003",
            "buyer_y",
            "49.50",
            "交易成功",
            "广州市",
            "2024-02-21 20:00:00",
            "2024-02-21 20:10:00",
            "1",
        ],
    ]
    return _csv(folder / "订单报表.csv", rows, encoding="gb18030")


def workbook_with_roster(folder: Path) -> Path:
    """An Excel workbook: an Orders sheet (Customer ID and Customer Name, Sales Rep) and a
    Reps sheet (Sales Rep -> Team). February 2024, by hand: R1 400 + R2 250 + R3 150 = 800;
    team East (R1, R2) 650, West (R3) 150; 3 orders."""
    from openpyxl import Workbook

    rng = random.Random(4)
    book = Workbook()
    orders = book.active
    orders.title = "Orders"
    orders.append(
        ["Order ID", "Order Date", "Customer ID", "Customer Name", "Sales Rep", "Product", "Sales"]
    )
    n = 0
    for year, month in HISTORY:
        for day in _days(rng, year, month, 10):
            n += 1
            cid = rng.randint(1, 20)
            orders.append(
                [
                    f"SO-{n:04d}",
                    day,
                    f"CUS-{cid:03d}",
                    f"Customer {cid}",
                    rng.choice(["R1", "R2", "R3"]),
                    "Chair",
                    rng.randint(50, 900),
                ]
            )
    orders.append(["SO-9001", "2024-02-02", "CUS-001", "Customer 1", "R1", "Desk", 400])
    orders.append(["SO-9002", "2024-02-09", "CUS-002", "Customer 2", "R2", "Desk", 250])
    orders.append(["SO-9003", "2024-02-16", "CUS-003", "Customer 3", "R3", "Lamp", 150])
    reps = book.create_sheet("Reps")
    reps.append(["Sales Rep", "Name", "Team"])
    for rep, name, team in (("R1", "Ann", "East"), ("R2", "Bo", "East"), ("R3", "Cy", "West")):
        reps.append([rep, name, team])
    path = folder / "sales.xlsx"
    book.save(path)
    return path


def company_series(folder: Path) -> Path:
    """A company-level monthly series (no rep, no customer, no order id): Month, Revenue.
    February 2024, by hand: 61,000; February 2023: 50,000 (last year's basis)."""
    rows = [["Month", "Revenue"]]
    for i, (year, month) in enumerate(HISTORY):
        rows.append([f"{year}-{month:02d}-01", str(50_000 + 1_000 * i)])
    rows[2][1] = "50000"  # February 2023
    rows.append(["2024-02-01", "61000"])
    return _csv(folder / "monthly_revenue.csv", rows)


def _csv(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    with path.open("w", newline="", encoding=encoding) as handle:
        csv.writer(handle).writerows(rows)
    return path


SHAPES = {
    "invoice_lines": invoice_lines,
    "pipeline": pipeline,
    "chinese_orders": chinese_orders,
    "workbook_with_roster": workbook_with_roster,
    "company_series": company_series,
}
