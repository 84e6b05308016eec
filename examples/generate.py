"""Generate the bundled example data for salesperf, byte for byte reproducibly.

    python examples/generate.py            # rewrite examples/data and examples/zh/data
    python examples/generate.py --check    # regenerate into a temp dir; exit 1 if bytes differ

Two fictional companies (the model itself is in ``simulate.py``):

* **Northbridge IT Supply**, an English-language IT reseller: 30 reps over time in 4 teams and
  2 regions, 450 customers, 40 products, order lines from 2015-01-01 to 2017-06-21. "Today" is
  Wednesday 2017-06-21, so June 2017 is in progress and pace/projection mean something. Five
  anomalies are planted on purpose; ``examples/README.md`` lists them for the tests.
* **鼎新办公用品**, a Chinese office-supplies distributor: 9 reps in 2 teams, a GBK-encoded CSV
  with Chinese headers, ``￥1,234.50`` amounts and ``2017/06/01`` dates. Nothing is planted.

Reproducible: all randomness comes from numpy ``default_rng`` seeded with :data:`SEED`, money
is integer cents, nothing reads the clock, rows are sorted and files are written with LF line
endings. The bytes were produced with numpy 2.4; numpy may change how a ``Generator``
distribution is computed in a future release (NEP 19), and ``--check`` is how you notice.
"""

from __future__ import annotations

import argparse
import csv
import filecmp
import io
import sys
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import numpy as np
from simulate import (
    Customer,
    Feedback,
    Line,
    Market,
    Opportunity,
    Profile,
    Rep,
    add_returns,
    catalogue,
    make_line,
    number_lines,
    pick,
    rep_profiles,
    simulate_customers,
    simulate_feedback,
    simulate_orders,
    simulate_pipeline,
    transfer_accounts,
)

SEED = 20170621
FIRST_DAY = date(2015, 1, 1)
LAST_DAY = date(2017, 6, 21)
HERE = Path(__file__).resolve().parent

# --- Northbridge IT Supply (examples/data) ---------------------------------------------------
ANNUAL_GROWTH = 0.08
#: Multiplier per calendar month: Q4 budget flush, summer dip, quarter-end bumps.
SEASON = (0.85, 0.90, 1.05, 0.95, 1.00, 1.05, 0.85, 0.80, 1.05, 1.05, 1.15, 1.30)
ORDERS_PER_REP_MONTH = 24.0
EXISTING_CUSTOMERS, ACQUIRED_CUSTOMERS, PROSPECTS = 200, 250, 150
MAX_ORDER_CENTS = 2_500_000  # $25,000: no ordinary line is bigger than this
#: Federal holidays (observed) on which nobody books orders; kpi.yaml lists the same days.
US_HOLIDAYS = frozenset(
    date.fromisoformat(d)
    for d in (
        "2015-01-01", "2015-05-25", "2015-07-03", "2015-09-07", "2015-11-26", "2015-12-25",
        "2016-01-01", "2016-05-30", "2016-07-04", "2016-09-05", "2016-11-24", "2016-12-26",
        "2017-01-02", "2017-05-29", "2017-07-04", "2017-09-04", "2017-11-23", "2017-12-25",
    )
)  # fmt: skip

# Lifecycle and planted anomalies. examples/README.md documents each; keep them in sync.
JOINER, JOIN_DATE = "R30", date(2016, 7, 11)
LEAVER, LEAVE_DATE = "R11", date(2017, 2, 17)  # last working day; R30 takes the accounts
JOINER_STARTER_ACCOUNTS = 8  # taken over from teammates on the first day
DROP_REP, DROP_MONTHS, DROP_FACTOR = "R05", ((2017, 5), (2017, 6)), 0.4
HUGE_REP, HUGE_DAY, HUGE_PRODUCT, HUGE_QUANTITY, HUGE_DISCOUNT = (
    "R17", date(2017, 3, 29), "Workstation Tower", 45, 12,
)  # fmt: skip
QUIET_REP, QUIET_FROM = "R21", date(2017, 6, 1)
DUPLICATE_DAY = date(2016, 11, 15)  # the first order line of this day is exported twice
UNROSTERED_REP = "R40"
UNROSTERED_DAYS = tuple(date(2017, 4, d) for d in (4, 7, 12, 19, 26))

# rep_id, name, team, start_date (end dates come from LEAVER/LEAVE_DATE)
ROSTER = (
    ("R01", "Maria Gonzalez", "Atlantic", "2011-03-14"),
    ("R02", "James O'Connor", "Atlantic", "2012-09-03"),
    ("R03", "Priya Raman", "Pacific", "2013-01-21"),
    ("R04", "David Kim", "Great Lakes", "2010-06-07"),
    ("R05", "Sarah Mitchell", "Atlantic", "2012-02-13"),
    ("R06", "Ahmed Hassan", "Rockies", "2014-04-28"),
    ("R07", "Emily Chen", "Pacific", "2011-10-10"),
    ("R08", "Lukas Weber", "Great Lakes", "2013-05-06"),
    ("R09", "Olivia Brown", "Atlantic", "2014-08-18"),
    ("R10", "Kwame Mensah", "Rockies", "2012-11-26"),
    ("R11", "Sophie Laurent", "Great Lakes", "2013-09-09"),
    ("R12", "Daniel Novak", "Pacific", "2014-02-03"),
    ("R13", "Aisha Bello", "Rockies", "2013-07-15"),
    ("R14", "Marco Rossi", "Atlantic", "2010-01-11"),
    ("R15", "Hannah Schmidt", "Great Lakes", "2014-10-06"),
    ("R16", "Carlos Mendoza", "Pacific", "2012-04-16"),
    ("R17", "Yuki Tanaka", "Rockies", "2011-05-23"),
    ("R18", "Grace Okafor", "Atlantic", "2014-06-02"),
    ("R19", "Ethan Walker", "Great Lakes", "2012-07-30"),
    ("R20", "Fatima Zahra Alaoui", "Pacific", "2014-11-17"),
    ("R21", "Liam Murphy", "Rockies", "2013-03-04"),
    ("R22", "Ana Sousa", "Atlantic", "2013-11-25"),
    ("R23", "Noah Fischer", "Pacific", "2011-08-08"),
    ("R24", "Mei Lin Wong", "Great Lakes", "2014-01-13"),
    ("R25", "Jonas Berg", "Rockies", "2012-05-14"),
    ("R26", "Isabella Ricci", "Atlantic", "2014-09-22"),
    ("R27", "Arjun Mehta", "Pacific", "2013-06-17"),
    ("R28", "Chloé Dubois", "Rockies", "2014-03-10"),
    ("R29", "Tomasz Kowalski", "Great Lakes", "2012-12-03"),
    ("R30", "Zoe Martinez", "Great Lakes", JOIN_DATE.isoformat()),
)
REGION_OF_TEAM = {"Atlantic": "East", "Great Lakes": "East", "Pacific": "West", "Rockies": "West"}
REGION_SHARE = {"East": 0.55, "West": 0.45}

# category: (typical order line value, [(product, list price)]) in dollars
CATALOG = {
    "Hardware": (2600, [("Business Laptop 14", 1149), ("Business Laptop 15", 1249),
                     ("Ultrabook 13", 1499), ("Workstation Tower", 2399), ("Desktop Mini", 699),
                     ("Monitor 24in", 219), ("Monitor 27in 4K", 449), ("Laser Printer", 389)]),
    "Networking": (2500, [("Switch 24-Port", 1290), ("Switch 48-Port", 2450),
                       ("Wi-Fi Access Point", 329), ("Firewall Appliance", 1890),
                       ("Edge Router", 860), ("Patch Panel 24", 89), ("SFP+ Module", 145),
                       ("Network Cable Kit", 59)]),
    "Software": (2200, [("Office Suite License", 149), ("Antivirus Seat", 39),
                      ("Backup Suite", 499), ("CRM Seat (Annual)", 720),
                      ("Design Suite License", 599), ("Endpoint Management Seat", 48),
                      ("Server OS License", 972), ("Database License", 1850)]),
    "Services": (2300, [("Onsite Installation", 850), ("Network Audit", 2400),
                     ("Support Plan Silver", 1200), ("Support Plan Gold", 3600),
                     ("Data Migration", 1950), ("Managed Backup (Month)", 390),
                     ("Consulting Day", 1350), ("Training Workshop", 990)]),
    "Accessories": (1400, [("Wireless Keyboard Set", 69), ("USB-C Dock", 229),
                         ("Laptop Bag", 49), ("Headset Pro", 119), ("Webcam HD", 89),
                         ("Cable Pack", 25), ("Surge Protector", 39), ("Ergonomic Mouse", 45)]),
}  # fmt: skip

COMPANY_WORDS = (
    "Harbor", "Summit", "Keller", "Bluewater", "Pioneer", "Redwood", "Granite", "Cedar",
    "Lakeside", "Meridian", "Atlas", "Beacon", "Sterling", "Hawthorne", "Brightwater", "Ironwood",
    "Oakmont", "Westbrook", "Riverside", "Evergreen", "Crescent", "Falcon", "Horizon", "Liberty",
    "Maple", "Northgate", "Parkside", "Quantum", "Rockport", "Sequoia", "Tidewater", "Vantage",
    "Willow", "Alder", "Copper", "Fairview", "Hillcrest", "Juniper", "Kingsley", "Lancaster",
    "Mercer", "Newport", "Orchard", "Prescott", "Ramsey", "Stanton", "Thornton", "Whitfield",
    "Castillo", "Nakamura", "Patel", "Okoye", "Lindqvist", "Moreau", "Brennan", "Delgado",
    "Abernathy", "Sorensen", "Vasquez",
)  # fmt: skip
COMPANY_TRADES = (
    "Logistics", "Dental Group", "Law Partners", "Manufacturing", "Foods", "Health Clinic",
    "Architects", "Realty", "Insurance", "Engineering", "Accounting", "Construction", "Hotels",
    "Academy", "Media", "Pharmacy", "Auto Parts", "Marine", "Energy", "Consulting", "Printing",
    "Veterinary", "Credit Union", "Brewing", "Farms", "Tool & Die", "Heating & Air",
)  # fmt: skip
COMPANY_SUFFIXES = ("Inc.", "LLC", "Ltd", "Co.", ", Inc.", "Group", "", "")

CSAT_COMMENTS = {
    "good": ("Very responsive and knowledgeable.", "Delivery arrived ahead of schedule.",
             "Always follows up promptly.", "Great advice on licensing options.",
             "Made the renewal painless.", "Clear quote, no surprises.",
             "Helpful with the install planning.", "Knows our setup, saves us time."),
    "fair": ("Okay overall, a bit slow to reply.", "Quote took two rounds to get right.",
             "Fine, but I had to chase the order status.", "Delivery was split into three."),
    "poor": ("Order arrived incomplete and nobody called back.",
             "Pricing changed after we signed off.", "Hard to reach during the rollout.",
             "Wrong part shipped, twice."),
}  # fmt: skip
MANAGER_COMMENTS = {
    5: "Exceeded plan; strong pipeline discipline.",
    4: "Solid month. Keep building new logos.",
    3: "On plan, but forecast accuracy needs work.",
    2: "Below expectations; agreed a coaching plan.",
    1: "Well below plan; weekly check-ins from now on.",
}
PEER_COMMENTS = (
    "Shares leads generously.", "Great at demos, helped me close a deal.",
    "Could update the CRM more consistently.", "Reliable teammate.",
    "Always willing to cover accounts.", "Sometimes late to hand over notes.",
)  # fmt: skip


# --- 鼎新办公用品 (examples/zh) --------------------------------------------------------------
# 销售员 is the rep's name as the CRM shows it; the roster repeats it as the join key.
ZH_ROSTER = (
    ("张伟", "华东一组", "2012-03-05"),
    ("王芳", "华东一组", "2013-07-15"),
    ("李娜", "华东一组", "2011-09-01"),
    ("刘洋", "华东一组", "2014-04-14"),
    ("陈静", "华东一组", "2014-11-03"),
    ("杨帆", "华南一组", "2012-06-18"),
    ("赵磊", "华南一组", "2013-02-25"),
    ("黄丽", "华南一组", "2014-08-11"),
    ("周杰", "华南一组", "2013-10-08"),
)
ZH_REGION_OF_TEAM = {"华东一组": "华东", "华南一组": "华南"}
ZH_REGION_SHARE = {"华东": 0.55, "华南": 0.45}
ZH_ANNUAL_GROWTH = 0.10
#: Spring Festival empties February; the October Golden Week dents October.
ZH_SEASON = (0.95, 0.60, 1.10, 1.00, 1.00, 1.05, 0.90, 0.90, 1.05, 0.85, 1.10, 1.25)
ZH_ORDERS_PER_REP_MONTH = 18.0
#: Public holidays, approximately (make-up working weekends are ignored).
ZH_HOLIDAY_RANGES = (
    ("2015-01-01", "2015-01-03"), ("2015-02-18", "2015-02-24"), ("2015-04-05", "2015-04-06"),
    ("2015-05-01", "2015-05-03"), ("2015-06-20", "2015-06-22"), ("2015-09-26", "2015-09-27"),
    ("2015-10-01", "2015-10-07"), ("2016-01-01", "2016-01-03"), ("2016-02-07", "2016-02-13"),
    ("2016-04-02", "2016-04-04"), ("2016-04-30", "2016-05-02"), ("2016-06-09", "2016-06-11"),
    ("2016-09-15", "2016-09-17"), ("2016-10-01", "2016-10-07"), ("2016-12-31", "2017-01-02"),
    ("2017-01-27", "2017-02-02"), ("2017-04-02", "2017-04-04"), ("2017-04-29", "2017-05-01"),
    ("2017-05-28", "2017-05-30"),
)  # fmt: skip
# 类别: (typical order line value, [(product, list price)]) in yuan
ZH_CATALOG = {
    "办公家具": (3200, [("人体工学办公椅", 899), ("升降办公桌", 1680), ("四门文件柜", 760),
                     ("会议桌（2.4米）", 2350), ("前台接待台", 3200)]),
    "办公设备": (3500, [("黑白激光打印机", 1299), ("彩色激光一体机", 3599), ("高速扫描仪", 2480),
                     ("商务投影仪", 3999), ("碎纸机", 680)]),
    "电子产品": (4500, [("商务笔记本电脑", 5299), ("23.8英寸显示器", 899), ("无线键鼠套装", 149),
                     ("会议平板（65英寸）", 8999), ("移动硬盘（2TB）", 459)]),
    "办公耗材": (2600, [("A4复印纸（箱）", 145), ("原装硒鼓", 420), ("中性笔（盒）", 24),
                      ("文件夹（10个装）", 36), ("订书钉（盒）", 8)]),
}  # fmt: skip
ZH_COMPANY_WORDS = (
    "恒远", "华信", "鑫达", "金桥", "瑞丰", "宏图", "永昌", "天成", "博远", "嘉禾", "中联", "新元",
    "东方", "盛世", "汇通", "佳和", "长青", "泰和", "联创", "诚信", "明德", "海纳", "安顺", "同兴",
)  # fmt: skip
ZH_COMPANY_TRADES = (
    "贸易", "科技", "电子", "物流", "建材", "食品", "医药", "机械", "装饰", "教育",
)  # fmt: skip
ZH_EXISTING_CUSTOMERS, ZH_ACQUIRED_CUSTOMERS = 70, 60
ZH_MAX_ORDER_CENTS = 10_000_000  # ￥100,000


# --- building the two companies --------------------------------------------------------------
def english_company_names(rng: np.random.Generator, n: int) -> tuple[str, ...]:
    """Unique plausible names; some hold a comma or '&', which exercises CSV quoting."""
    pairs = [(w, t) for w in COMPANY_WORDS for t in COMPANY_TRADES]
    names = []
    for k in rng.choice(len(pairs), size=n, replace=False):
        word, trade = pairs[k]
        suffix = pick(rng, COMPANY_SUFFIXES)
        separator = "" if suffix.startswith(",") else " "
        names.append(f"{word} {trade}{separator}{suffix}".strip())
    return tuple(names)


def chinese_company_names(rng: np.random.Generator, n: int) -> tuple[str, ...]:
    pairs = [(w, t) for w in ZH_COMPANY_WORDS for t in ZH_COMPANY_TRADES]
    picks = rng.choice(len(pairs), size=n, replace=False)
    return tuple(f"{pairs[k][0]}{pairs[k][1]}有限公司" for k in picks)


def english_market() -> tuple[Market, tuple[str, ...]]:
    """Northbridge IT Supply and the names of its prospects (accounts that never ordered)."""
    reps = tuple(
        Rep(
            rep_id,
            name,
            team,
            REGION_OF_TEAM[team],
            date.fromisoformat(start),
            LEAVE_DATE if rep_id == LEAVER else None,
        )
        for rep_id, name, team, start in ROSTER
    )
    market = Market(
        name="en",
        seed=SEED,
        first_day=FIRST_DAY,
        last_day=LAST_DAY,
        reps=reps,
        products=catalogue(CATALOG),
        customer_names=(),
        region_share=REGION_SHARE,
        existing_customers=EXISTING_CUSTOMERS,
        acquired_customers=ACQUIRED_CUSTOMERS,
        orders_per_rep_month=ORDERS_PER_REP_MONTH,
        season=SEASON,
        annual_growth=ANNUAL_GROWTH,
        holidays=US_HOLIDAYS,
        max_order_cents=MAX_ORDER_CENTS,
        rate_factors={(DROP_REP, y, m): DROP_FACTOR for y, m in DROP_MONTHS},
        absences={QUIET_REP: QUIET_FROM},
    )
    n_customers = EXISTING_CUSTOMERS + ACQUIRED_CUSTOMERS
    names = english_company_names(market.rng("names"), n_customers + PROSPECTS)
    return replace(market, customer_names=names[:n_customers]), names[n_customers:]


def chinese_market() -> Market:
    holidays = frozenset(
        date.fromisoformat(first) + timedelta(n)
        for first, last in ZH_HOLIDAY_RANGES
        for n in range((date.fromisoformat(last) - date.fromisoformat(first)).days + 1)
    )
    market = Market(
        name="zh",
        seed=SEED,
        first_day=FIRST_DAY,
        last_day=LAST_DAY,
        reps=tuple(
            Rep(name, name, team, ZH_REGION_OF_TEAM[team], date.fromisoformat(start))
            for name, team, start in ZH_ROSTER
        ),
        products=catalogue(ZH_CATALOG),
        customer_names=(),
        region_share=ZH_REGION_SHARE,
        existing_customers=ZH_EXISTING_CUSTOMERS,
        acquired_customers=ZH_ACQUIRED_CUSTOMERS,
        orders_per_rep_month=ZH_ORDERS_PER_REP_MONTH,
        season=ZH_SEASON,
        annual_growth=ZH_ANNUAL_GROWTH,
        holidays=holidays,
        max_order_cents=ZH_MAX_ORDER_CENTS,
    )
    n_customers = ZH_EXISTING_CUSTOMERS + ZH_ACQUIRED_CUSTOMERS
    return replace(market, customer_names=chinese_company_names(market.rng("names"), n_customers))


def planted_lines(market: Market, customers: Sequence[Customer]) -> list[Line]:
    """The huge one-off order and the orders booked under a rep id missing from the roster."""
    rng = market.rng("planted")
    book = [c for c in customers if c.owner_on(HUGE_DAY) == HUGE_REP and c.buys_on(HUGE_DAY)]
    biggest = max(book, key=lambda c: (c.size, c.customer_id))
    product = next(p for p in market.products if p.name == HUGE_PRODUCT)
    unit_cents = product.price_cents * (100 - HUGE_DISCOUNT) // 100
    huge = Line(HUGE_DAY, HUGE_REP, biggest, product, HUGE_QUANTITY, HUGE_QUANTITY * unit_cents)
    lines = [replace(huge, planted=True)]
    for day in UNROSTERED_DAYS:
        pool = [c for c in customers if c.region == "East" and c.buys_on(day)]
        line = make_line(rng, market, day, UNROSTERED_REP, pick(rng, pool), discount=5.0)
        lines.append(replace(line, planted=True))
    return lines


def hand_over_accounts(market: Market, customers: Sequence[Customer]) -> None:
    """The joiner gets a starter book from teammates and, later, all of the leaver's accounts.

    Only small accounts go to a new hire: moving a big one would dent a teammate's numbers.
    """
    team = next(r.team for r in market.reps if r.rep_id == JOINER)
    teammates = {r.rep_id for r in market.reps if r.team == team and r.rep_id != LEAVER}
    starter = [c for c in customers if c.owner in teammates and c.buys_on(JOIN_DATE)]
    starter = [c for c in starter if c.size < 1.5]
    rng = market.rng("handover")
    transfer_accounts(starter, JOINER, JOIN_DATE, JOINER_STARTER_ACCOUNTS, rng)
    leavers = [c for c in customers if c.owner == LEAVER]
    transfer_accounts(leavers, JOINER, LEAVE_DATE + timedelta(1), None, rng)


def english_orders(
    market: Market, profiles: dict[str, Profile], customers: list[Customer]
) -> list[Line]:
    """All order lines sorted by date and id: simulated, planted, returns, the duplicate."""
    lines = simulate_orders(market, profiles, customers) + planted_lines(market, customers)
    lines = number_lines(lines, lambda day, n, n_in_day: f"SO-{100000 + n}")
    lines += add_returns(market, lines, suffix="-R")
    lines.append(min((ln for ln in lines if ln.day == DUPLICATE_DAY), key=lambda ln: ln.order_id))
    return sorted(lines, key=lambda ln: (ln.day, ln.order_id))


# --- writing ---------------------------------------------------------------------------------
ORDER_HEADER = (
    "Order ID", "Order Date", "Sales Rep", "Customer ID", "Customer", "Product", "Category",
    "Region", "Quantity", "Amount",
)  # fmt: skip
PIPELINE_HEADER = ("Opportunity ID", "Created", "Close Date", "Owner", "Account", "Stage", "Value")
FEEDBACK_HEADER = ("Date", "Rep", "Kind", "Score", "Comment")
ROSTER_HEADER = ("rep_id", "name", "team", "region", "start_date", "end_date")
ZH_ORDER_HEADER = ("订单编号", "订单日期", "销售员", "客户名称", "产品", "区域", "数量", "销售金额")
ZH_ROSTER_HEADER = ("销售员", "姓名", "团队")


def money(cents: int, symbol: str = "") -> str:
    """``123450`` -> ``1,234.50``; a negative amount puts its sign before the symbol."""
    sign = "-" if cents < 0 else ""
    whole, fraction = divmod(abs(cents), 100)
    return f"{sign}{symbol}{whole:,}.{fraction:02d}"


def order_row(ln: Line) -> tuple[object, ...]:
    c, p = ln.customer, ln.product
    day, amount = ln.day.isoformat(), money(ln.cents)
    return (ln.order_id, day, ln.rep_id, c.customer_id, c.name, p.name, p.category, c.region,
            ln.quantity, amount)  # fmt: skip


def opportunity_row(o: Opportunity) -> tuple[object, ...]:
    """CRMs export pipeline values as plain numbers (no separators), unlike the ERP orders."""
    value = money(o.cents).replace(",", "")
    return (o.opportunity_id, o.created.isoformat(), o.close.isoformat(), o.owner, o.account,
            o.stage, value)  # fmt: skip


def feedback_row(f: Feedback) -> tuple[object, ...]:
    return (f.day.isoformat(), f.rep_id, f.kind, f.score, f.comment)


def roster_row(r: Rep) -> tuple[object, ...]:
    end = r.end.isoformat() if r.end else ""
    return (r.rep_id, r.name, r.team, r.region, r.start.isoformat(), end)


def zh_order_row(ln: Line) -> tuple[object, ...]:
    return (ln.order_id, f"{ln.day:%Y/%m/%d}", ln.rep_id, ln.customer.name, ln.product.name,
            ln.customer.region, ln.quantity, money(ln.cents, "￥"))  # fmt: skip


def write_csv(
    path: Path, header: Sequence[str], rows: Iterable[Sequence[object]], encoding: str = "utf-8"
) -> int:
    """Write with LF endings and minimal quoting; returns the number of data rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    count = 0
    for row in rows:
        writer.writerow(row)
        count += 1
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return count


def write_english(out: Path) -> dict[str, int]:
    """The orders (one file per year), pipeline, feedback and roster, all UTF-8."""
    market, prospects = english_market()
    profiles = rep_profiles(market)
    customers = simulate_customers(market, profiles)
    hand_over_accounts(market, customers)
    lines = english_orders(market, profiles, customers)
    written = {}
    for year in range(FIRST_DAY.year, LAST_DAY.year + 1):
        rows = (order_row(ln) for ln in lines if ln.day.year == year)
        written[f"data/orders-{year}.csv"] = write_csv(
            out / f"data/orders-{year}.csv", ORDER_HEADER, rows
        )
    opportunities = simulate_pipeline(market, profiles, customers, prospects, {LEAVER: JOINER})
    feedback = simulate_feedback(market, profiles, CSAT_COMMENTS, MANAGER_COMMENTS, PEER_COMMENTS)
    tables = {
        "data/pipeline.csv": (PIPELINE_HEADER, map(opportunity_row, opportunities)),
        "data/feedback.csv": (FEEDBACK_HEADER, map(feedback_row, feedback)),
        "data/roster.csv": (ROSTER_HEADER, map(roster_row, market.reps)),
    }
    for relative, (header, rows) in tables.items():
        written[relative] = write_csv(out / relative, header, rows)
    return written


def write_chinese(out: Path) -> dict[str, int]:
    """Orders in GBK, as a Chinese ERP exports them; the roster as Excel's "CSV UTF-8" (BOM)."""
    market = chinese_market()
    profiles = rep_profiles(market)
    customers = simulate_customers(market, profiles)
    lines = simulate_orders(market, profiles, customers)
    lines = number_lines(lines, lambda day, n, n_in_day: f"DD{day:%Y%m%d}{n_in_day:03d}")
    lines += add_returns(market, lines, suffix="-T")
    lines.sort(key=lambda ln: (ln.day, ln.order_id))
    orders, roster = "zh/data/销售订单.csv", "zh/data/团队.csv"
    return {
        orders: write_csv(out / orders, ZH_ORDER_HEADER, map(zh_order_row, lines), "gbk"),
        roster: write_csv(
            out / roster,
            ZH_ROSTER_HEADER,
            ((r.rep_id, r.name, r.team) for r in market.reps),
            "utf-8-sig",
        ),
    }


# --- Market research for Northbridge (examples/market) ---------------------------------------
#: Each region's IT-supply market in 2015-01 (dollars a month) and its yearly trend: the East
#: grows faster than the company's own 8%, the West slower.
MARKET_BASE = {"East": 9_600_000, "West": 10_400_000}
MARKET_TREND = {"East": 0.06, "West": 0.02}
#: The market file runs to the end of 2017: the months after "today" are the research
#: firm's forecast, which is what a target for next month needs.
MARKET_LAST = date(2017, 12, 1)
MARKET_HEADER = ("Month", "Region", "Market size (USD)", "Market growth (YoY)")


def market_rows() -> list[tuple[object, ...]]:
    """Monthly market size per region (whole thousands of dollars, the company's seasons
    times a yearly trend times 1.5% noise) and its year-on-year growth as a percentage
    with one decimal (blank in 2015, which has no year before it in the file)."""
    rng = np.random.default_rng([SEED, 15])
    sizes: dict[tuple[str, int, int], int] = {}
    rows: list[tuple[object, ...]] = []
    for region in sorted(MARKET_BASE):
        year, month = FIRST_DAY.year, 1
        while date(year, month, 1) <= MARKET_LAST:
            elapsed = (year - FIRST_DAY.year) * 12 + month - 1
            trend = (1 + MARKET_TREND[region]) ** (elapsed / 12)
            noise = float(np.exp(rng.normal(0.0, 0.015)))
            size = round(MARKET_BASE[region] * SEASON[month - 1] * trend * noise / 1000) * 1000
            sizes[(region, year, month)] = size
            before = sizes.get((region, year - 1, month))
            growth = "" if before is None else f"{(size / before - 1) * 100:.1f}%"
            rows.append((f"{year}-{month:02d}", region, f"{size:,}", growth))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return rows


def write_market(out: Path) -> dict[str, int]:
    """The market research file of examples/market (UTF-8, amounts with separators)."""
    relative = "market/data/market.csv"
    return {relative: write_csv(out / relative, MARKET_HEADER, market_rows())}


def generate(out: Path) -> dict[str, int]:
    """Write every example file under ``out``; returns {relative path: data rows}."""
    return {**write_english(out), **write_chinese(out), **write_market(out)}


# --- command line ----------------------------------------------------------------------------
def check(committed: Path) -> list[str]:
    """Problems found comparing a fresh generation with the files under ``committed``."""
    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        fresh = generate(Path(tmp))
        for relative in fresh:
            if not (committed / relative).is_file():
                problems.append(f"{relative}: missing (run python examples/generate.py)")
            elif not filecmp.cmp(Path(tmp) / relative, committed / relative, shallow=False):
                problems.append(f"{relative}: differs from a fresh generation")
    for folder in sorted({str(Path(r).parent) for r in fresh}):
        for path in sorted((committed / folder).glob("*")):
            relative = path.relative_to(committed).as_posix()
            if path.is_file() and relative not in fresh:
                problems.append(f"{relative}: not produced by generate.py (stale?)")
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    parser.add_argument("--out", type=Path, default=HERE, help="folder to write into")
    args = parser.parse_args(argv)
    if args.check:
        problems = check(args.out)
        for problem in problems:
            print(problem, file=sys.stderr)
        print("example data is up to date" if not problems else f"{len(problems)} problem(s)")
        return 1 if problems else 0
    for relative, rows in generate(args.out).items():
        size = (args.out / relative).stat().st_size
        print(f"{relative:28} {rows:>7,} rows {size:>11,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
