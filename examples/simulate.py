"""The sales model behind the example data: reps, customers, orders, pipeline and feedback.

This module knows nothing about a particular company; :mod:`generate` describes two of them
(a :class:`Market` each), plants the anomalies and writes the files.

Realism is deliberately modest. Revenue is driven by a per-rep order *rate*
(skill x season x growth x ramp-up x a small monthly wobble) and each order goes to a customer
from the rep's own book, so rep-level monthly numbers are steady enough that planted anomalies
stand out and little else does. Money is integer cents; every draw comes from a generator
seeded by the market's seed and a stage name.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

import numpy as np

#: The last business days of a month weigh this much more (end-of-month push).
MONTH_END_PUSH = 2.2
MONTH_END_DAYS = 5
#: Month-to-month wobble of a rep's order count (lognormal sigma). Account managers book
#: repeat orders on a cadence, so counts vary much less than a Poisson count would: with
#: ~25 orders a month Poisson noise alone (20%) would bury a planted 60% slump in false alarms.
COUNT_NOISE = 0.06
#: Spread of an order line's value around its category's typical value (lognormal sigma).
LINE_VALUE_NOISE = 0.28
#: Share of full productivity of a new hire in their first, second and third month.
RAMP_UP = (0.3, 0.6, 0.85)
#: Yearly churn of a size-1 customer; a customer of size s churns 1/sqrt(s) as often.
CUSTOMER_CHURN_PER_YEAR = 0.10
#: Pareto shape of customer size: the top 20% of customers bring nearly 60% of revenue.
CUSTOMER_PARETO_SHAPE = 1.2
CUSTOMER_MAX_SIZE = 40.0
#: New accounts start small; a whale arriving mid-year would swing its rep's numbers.
ACQUIRED_MAX_SIZE = 6.0
#: Share of order lines that are later partly returned, 3 to 30 business days on.
RETURN_SHARE = 0.02
OPPORTUNITIES_PER_REP_MONTH = 6.0
#: Share of opportunities past their close date that are still Open (slipped deals).
OPEN_SLIPPED_SHARE = 0.03
OPPORTUNITY_MEDIAN_CENTS = 1_500_000
CSAT_PER_REP_MONTH = 4.5
BLANK_COMMENT_SHARE = 0.35
PEERS_PER_REVIEW = 2


@dataclass(frozen=True)
class Rep:
    rep_id: str
    name: str
    team: str
    region: str
    start: date
    end: date | None = None

    def active_on(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


@dataclass(frozen=True)
class Profile:
    """How a rep performs. Skill scales order volume, account share and manager scores."""

    skill: float
    discount: float  # percent, the rep's habitual discount
    win_rate: float  # fraction of closed opportunities won
    csat: float  # mean customer satisfaction, 1-5


@dataclass(frozen=True)
class Product:
    name: str
    category: str
    price_cents: int
    typical_quantity: float  # per order line, for a size-1 customer


@dataclass
class Customer:
    customer_id: str
    name: str
    region: str
    size: float  # Pareto weight: how much this customer buys relative to a small one
    acquired: date  # the day before the data starts for customers who predate it
    churned: date | None
    owner: str
    category_mix: np.ndarray
    transfer: tuple[date, str] | None = None  # (from this day, new owner)

    def owner_on(self, day: date) -> str:
        return self.transfer[1] if self.transfer and day >= self.transfer[0] else self.owner

    def buys_on(self, day: date) -> bool:
        return self.acquired <= day and (self.churned is None or day < self.churned)


@dataclass(frozen=True)
class Line:
    """One order line; a return has negative quantity and amount."""

    day: date
    rep_id: str
    customer: Customer
    product: Product
    quantity: int
    cents: int
    order_id: str = ""
    planted: bool = False  # planted anomalies get no returns


@dataclass(frozen=True)
class Opportunity:
    created: date
    close: date
    owner: str
    account: str
    stage: str  # Won, Lost or Open
    cents: int
    opportunity_id: str = ""


@dataclass(frozen=True)
class Feedback:
    day: date
    rep_id: str
    kind: str  # csat, manager or peer
    score: int  # 1-5
    comment: str


@dataclass(frozen=True)
class Market:
    """Everything that differs between one simulated company and another."""

    name: str  # names the random streams
    seed: int
    first_day: date
    last_day: date  # "today": the last day with data
    reps: tuple[Rep, ...]
    products: tuple[Product, ...]
    customer_names: tuple[str, ...]
    region_share: dict[str, float]
    existing_customers: int
    acquired_customers: int
    orders_per_rep_month: float  # average rep, first month, season 1.0
    season: tuple[float, ...]  # multiplier per calendar month
    annual_growth: float
    holidays: frozenset[date]
    max_order_cents: int  # no ordinary order is bigger: keeps a planted one unique
    #: (rep_id, year, month) -> multiplier on the order rate (a planted slump)
    rate_factors: dict[tuple[str, int, int], float] = field(default_factory=dict)
    #: rep_id -> first day from which the rep does nothing at all (a planted silence)
    absences: dict[str, date] = field(default_factory=dict)

    def rng(self, stage: str) -> np.random.Generator:
        """One stream per stage, so editing one stage leaves the other files' bytes alone."""
        return np.random.default_rng([self.seed, zlib.crc32(f"{self.name}/{stage}".encode())])

    def idle(self, rep: Rep, day: date) -> bool:
        """True if the rep cannot sell on ``day``: not hired yet, gone, or absent."""
        absent = rep.rep_id in self.absences and day >= self.absences[rep.rep_id]
        return absent or not rep.active_on(day)

    def business_days(self, first: date | None = None, last: date | None = None) -> list[date]:
        first, last = first or self.first_day, last or self.last_day
        days = (first + timedelta(n) for n in range((last - first).days + 1))
        return [d for d in days if d.weekday() < 5 and d not in self.holidays]

    def month_days(self, year: int, month: int) -> list[date]:
        """All business days of a month, including any after ``last_day``."""
        following = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
        return self.business_days(date(year, month, 1), following - timedelta(1))

    def months(self) -> list[tuple[int, int]]:
        first, last = self.first_day, self.last_day
        span = range(first.year * 12 + first.month - 1, last.year * 12 + last.month)
        return [(n // 12, n % 12 + 1) for n in span]

    def growth(self, year: int, month: int) -> float:
        """Compound annual growth, applied smoothly month by month."""
        elapsed = (year - self.first_day.year) * 12 + month - self.first_day.month
        return (1 + self.annual_growth) ** (elapsed / 12)


def ramp(rep: Rep, year: int, month: int) -> float:
    """New hires sell less while they learn the catalogue and build a book."""
    n = (year - rep.start.year) * 12 + month - rep.start.month
    return RAMP_UP[n] if 0 <= n < len(RAMP_UP) else 1.0


def spread_over_month(rng: np.random.Generator, days: Sequence[date], count: int) -> list[date]:
    """``count`` order days: evenly spaced through the month, denser in its last days.

    Reps close what they can before the books shut, so the last MONTH_END_DAYS weigh
    MONTH_END_PUSH times more. Systematic sampling (one random offset, then even steps)
    keeps the share booked by mid-month steady, so a partial month paces like earlier ones.
    """
    weights = np.ones(len(days))
    weights[-MONTH_END_DAYS:] = MONTH_END_PUSH
    cumulative = np.cumsum(weights) / weights.sum()
    steps = (rng.random() + np.arange(count)) / max(count, 1)
    return [days[min(int(k), len(days) - 1)] for k in np.searchsorted(cumulative, steps)]


def pick(rng: np.random.Generator, items: Sequence[Any], weights: Iterable[float] = ()) -> Any:
    """One item, uniformly or in proportion to ``weights``."""
    p = np.fromiter(weights, dtype=float)
    if not p.size:
        return items[int(rng.integers(len(items)))]
    return items[int(rng.choice(len(items), p=p / p.sum()))]


def rep_profiles(market: Market) -> dict[str, Profile]:
    """Skill is lognormal around 1; win rates spread by skill rank over 35-65%."""
    rng = market.rng("profiles")
    skill = np.exp(rng.normal(0.0, 0.22, len(market.reps)))
    rank = skill.argsort().argsort() / max(len(market.reps) - 1, 1)
    return {
        rep.rep_id: Profile(
            skill=float(skill[i]),
            discount=float(rng.uniform(2, 14)),
            win_rate=float(np.clip(0.35 + 0.30 * rank[i] + rng.normal(0, 0.02), 0.35, 0.65)),
            csat=float(rng.uniform(3.7, 4.7)),
        )
        for i, rep in enumerate(market.reps)
    }


def simulate_customers(market: Market, profiles: dict[str, Profile]) -> list[Customer]:
    """Customers with a Pareto size, a region, an owner in that region and a lifetime.

    Existing customers are spread over the reps active on day one (better reps hold more
    accounts); the others are acquired on business days through the period, three times as
    often by reps hired during it (they hunt). A churned customer simply stops buying.
    """
    rng = market.rng("customers")
    days = market.business_days()
    regions = sorted(market.region_share)
    acquired = sorted(days[i] for i in rng.integers(len(days), size=market.acquired_customers))
    starts = [market.first_day - timedelta(1)] * market.existing_customers + acquired
    n_categories = len({p.category for p in market.products})
    customers = []
    for i, start in enumerate(starts):
        region = pick(rng, regions, (market.region_share[r] for r in regions))
        day = max(start, market.first_day)
        reps = [r for r in market.reps if r.region == region and not market.idle(r, day)]
        hunt = [3.0 if r.start > market.first_day else 1.0 for r in reps]
        weights = (profiles[r.rep_id].skill * h for r, h in zip(reps, hunt, strict=True))
        owner = pick(rng, reps, weights)
        max_size = CUSTOMER_MAX_SIZE if start < market.first_day else ACQUIRED_MAX_SIZE
        size = float(min(rng.pareto(CUSTOMER_PARETO_SHAPE) + 1, max_size))
        lifetime = rng.exponential(365 * size**0.5 / CUSTOMER_CHURN_PER_YEAR)
        churned = day + timedelta(30 + int(lifetime))
        customers.append(
            Customer(
                customer_id=f"C{i + 1:04d}",
                name=market.customer_names[i],
                region=region,
                size=size,
                acquired=start,
                churned=churned if churned <= market.last_day else None,
                owner=owner.rep_id,
                category_mix=rng.dirichlet(np.full(n_categories, 0.8)),
            )
        )
    return customers


def transfer_accounts(
    customers: Iterable[Customer],
    to_rep: str,
    day: date,
    count: int | None,
    rng: np.random.Generator,
) -> None:
    """Hand ``count`` of ``customers`` (all if None) to ``to_rep`` from ``day`` on."""
    pool = list(customers)
    chosen = range(len(pool)) if count is None else rng.choice(len(pool), count, replace=False)
    for k in sorted(chosen):
        pool[k].transfer = (day, to_rep)


class Books:
    """Which customers a rep can sell to on a day, found quickly (a rep has a few dozen)."""

    def __init__(self, customers: Iterable[Customer]) -> None:
        self._by_rep: dict[str, list[Customer]] = {}
        for c in customers:
            for rep_id in dict.fromkeys((c.owner, *(c.transfer[1:] if c.transfer else ()))):
                self._by_rep.setdefault(rep_id, []).append(c)

    def pick(self, rng: np.random.Generator, rep_id: str, day: date) -> Customer | None:
        """A customer of the rep, bigger ones more often (but less than in proportion)."""
        book = [c for c in self._by_rep.get(rep_id, []) if c.owner_on(day) == rep_id]
        book = [c for c in book if c.buys_on(day)]
        return pick(rng, book, (c.size**0.7 for c in book)) if book else None


def catalogue(table: dict[str, tuple[int, list[tuple[str, int]]]]) -> tuple[Product, ...]:
    """Products from ``{category: (typical line value, [(name, list price), ...])}``.

    A customer buys many mice and few workstations: the typical quantity is the category's
    typical line value over the price (at least one), so line values stay comparable.
    """
    return tuple(
        Product(name, category, price * 100, max(1.0, value / price))
        for category, (value, items) in table.items()
        for name, price in items
    )


def make_line(
    rng: np.random.Generator,
    market: Market,
    day: date,
    rep_id: str,
    customer: Customer,
    discount: float,
) -> Line:
    """Product from the customer's usual category mix; quantity grows gently with its size.

    A line that would exceed the market's largest ordinary order is scaled down to a random
    size below it (not clipped to it, which would pile lines up on one amount).
    """
    categories = sorted({p.category for p in market.products})
    category = pick(rng, categories, customer.category_mix)
    product = pick(rng, [p for p in market.products if p.category == category])
    quantity = product.typical_quantity * customer.size**0.25
    quantity *= rng.lognormal(0.0, LINE_VALUE_NOISE)
    percent_off = int(np.clip(round(discount + rng.normal(0, 3)), 0, 30))
    unit_cents = product.price_cents * (100 - percent_off) // 100
    quantity, most = max(1, round(quantity)), max(1, market.max_order_cents // unit_cents)
    if quantity > most:
        quantity = int(rng.integers(max(1, most // 3), most + 1))
    return Line(day, rep_id, customer, product, quantity, quantity * unit_cents)


def simulate_orders(
    market: Market, profiles: dict[str, Profile], customers: list[Customer]
) -> list[Line]:
    """Each rep's monthly order count varies a little around a rate; days favour month end.

    An acquired customer's first order lands on its acquisition day, so new customers give a
    clean signal. Days after ``last_day`` or when the rep is idle are dropped, which is what
    makes the current month partial.
    """
    rng = market.rng("orders")
    books = Books(customers)
    reps = {r.rep_id: r for r in market.reps}
    lines = [
        make_line(rng, market, c.acquired, c.owner, c, profiles[c.owner].discount)
        for c in customers
        if c.acquired >= market.first_day and not market.idle(reps[c.owner], c.acquired)
    ]
    for rep in market.reps:
        profile = profiles[rep.rep_id]
        for year, month in market.months():
            days = market.month_days(year, month)
            rate = market.orders_per_rep_month * profile.skill * market.season[month - 1]
            rate *= market.growth(year, month) * ramp(rep, year, month)
            rate *= market.rate_factors.get((rep.rep_id, year, month), 1.0)
            count = round(rate * rng.lognormal(0.0, COUNT_NOISE))
            for day in spread_over_month(rng, days, count):
                if day > market.last_day or market.idle(rep, day):
                    continue
                customer = books.pick(rng, rep.rep_id, day)
                if customer is not None:
                    line = make_line(rng, market, day, rep.rep_id, customer, profile.discount)
                    lines.append(line)
    return lines


def number_lines(lines: Iterable[Line], make_id: Callable[[date, int, int], str]) -> list[Line]:
    """Sort lines by date (ties broken on content) and give each an id.

    ``make_id(day, n_overall, n_in_day)`` gets 1-based counters.
    """
    ordered = sorted(
        lines,
        key=lambda ln: (
            ln.day,
            ln.rep_id,
            ln.customer.customer_id,
            ln.product.name,
            ln.quantity,
            ln.cents,
        ),
    )
    out, per_day = [], {}
    for n, ln in enumerate(ordered, start=1):
        per_day[ln.day] = per_day.get(ln.day, 0) + 1
        out.append(replace(ln, order_id=make_id(ln.day, n, per_day[ln.day])))
    return out


def add_returns(market: Market, lines: Sequence[Line], suffix: str) -> list[Line]:
    """Some lines come back a few weeks later: part of the quantity, id ``<order><suffix>``."""
    rng = market.rng("returns")
    days = market.business_days()
    position = {d: i for i, d in enumerate(days)}
    reps = {r.rep_id: r for r in market.reps}
    returns = []
    for ln in lines:
        if ln.planted or ln.cents <= 0 or rng.random() >= RETURN_SHARE:
            continue
        later = days[position[ln.day] + 3 : position[ln.day] + 30]
        day = pick(rng, later) if later else None
        if day is None or market.idle(reps[ln.rep_id], day):
            continue
        quantity = int(rng.integers(1, ln.quantity + 1))
        cents = round(ln.cents * quantity / ln.quantity)
        returns.append(
            replace(ln, day=day, quantity=-quantity, cents=-cents, order_id=ln.order_id + suffix)
        )
    return returns


def simulate_pipeline(
    market: Market,
    profiles: dict[str, Profile],
    customers: list[Customer],
    prospects: Sequence[str],
    successors: dict[str, str],
) -> list[Opportunity]:
    """Opportunities: created through the month, closed 1-13 weeks later, won at the rep's rate.

    Deals not closed by ``last_day`` are Open; a few overdue ones are still Open (slipped).
    A leaver's deals closing after they left belong to their successor; an absent rep's
    deals closing during the absence stay Open. Accounts are the rep's customers or prospects.
    """
    rng = market.rng("pipeline")
    books = Books(customers)
    reps = {r.rep_id: r for r in market.reps}
    out = []
    for rep in market.reps:
        profile = profiles[rep.rep_id]
        for year, month in market.months():
            days = [d for d in market.month_days(year, month) if d <= market.last_day]
            days = [d for d in days if not market.idle(rep, d)]
            rate = OPPORTUNITIES_PER_REP_MONTH * profile.skill**0.5 * market.season[month - 1]
            for _ in range(rng.poisson(rate * ramp(rep, year, month)) if days else 0):
                created = pick(rng, days)
                close = created + timedelta(7 + int(rng.gamma(2.0, 22.0)))
                while close.weekday() >= 5 or close in market.holidays:
                    close += timedelta(1)
                owner = rep.rep_id
                if rep.end and close > rep.end:
                    owner = successors[rep.rep_id]
                customer = books.pick(rng, rep.rep_id, created) if rng.random() < 0.6 else None
                account = customer.name if customer else pick(rng, prospects)
                won = rng.random() < profiles[owner].win_rate
                undecided = close > market.last_day or market.idle(reps[owner], close)
                slipped = not undecided and rng.random() < OPEN_SLIPPED_SHARE
                stage = "Open" if undecided or slipped else "Won" if won else "Lost"
                value = rng.lognormal(np.log(OPPORTUNITY_MEDIAN_CENTS / 5000), 0.8)
                cents = max(10, round(value)) * 5000  # CRMs hold round numbers: $50 steps
                out.append(Opportunity(created, close, owner, account, stage, cents))
    out.sort(key=lambda o: (o.created, o.close, o.owner, o.account, o.cents, o.stage))
    return [replace(o, opportunity_id=f"OPP-{n:05d}") for n, o in enumerate(out, start=1)]


def simulate_feedback(
    market: Market,
    profiles: dict[str, Profile],
    csat_comments: dict[str, Sequence[str]],
    manager_comments: dict[int, str],
    peer_comments: Sequence[str],
) -> list[Feedback]:
    """CSAT surveys through each month; manager scores monthly and peer reviews quarterly.

    Manager and peer feedback is dated the last business day of the month, so the current
    (partial) month has none yet. CSAT counts vary, so some rep-months have fewer than 3.
    """
    rng = market.rng("feedback")
    out = []
    for rep in market.reps:
        profile = profiles[rep.rep_id]
        for year, month in market.months():
            all_days = market.month_days(year, month)
            days = [d for d in all_days if d <= market.last_day and not market.idle(rep, d)]
            for _ in range(rng.poisson(CSAT_PER_REP_MONTH) if days else 0):
                score = int(np.clip(round(rng.normal(profile.csat, 0.75)), 1, 5))
                tone = "good" if score >= 4 else "fair" if score == 3 else "poor"
                blank = rng.random() < BLANK_COMMENT_SHARE
                comment = "" if blank else pick(rng, csat_comments[tone])
                out.append(Feedback(pick(rng, days), rep.rep_id, "csat", score, comment))
            month_end = all_days[-1]
            if month_end > market.last_day or market.idle(rep, month_end):
                continue
            mean = np.clip(3.6 + 1.5 * (profile.skill - 1), 2.5, 4.7)
            score = int(np.clip(round(rng.normal(mean, 0.6)), 1, 5))
            out.append(Feedback(month_end, rep.rep_id, "manager", score, manager_comments[score]))
            if month % 3 == 0:
                for _ in range(PEERS_PER_REVIEW):
                    score = int(np.clip(round(rng.normal(4.0, 0.7)), 1, 5))
                    comment = pick(rng, peer_comments) if rng.random() < 0.5 else ""
                    out.append(Feedback(month_end, rep.rep_id, "peer", score, comment))
    out.sort(key=lambda f: (f.day, f.rep_id, f.kind, f.score, f.comment))
    return out
