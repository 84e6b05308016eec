"""The arithmetic of targets: growth, rounding and exact splits (no pandas, no spec).

Every split is exact: children always sum to their parent, in whole units (cents below
100), by largest-remainder rounding.
"""

from __future__ import annotations

import math

from salesperf.spec.models import Unit


def rounding_step(unit: Unit, magnitude: float) -> float:
    """Targets are stated in whole units (a quota of 12,345.67 invites a smirk), except for
    small amounts where whole units would distort shares. Counted things (orders, new
    customers) are always whole: nobody wins 0.3 of a customer, and the largest-remainder
    split hands the whole units to the reps with the largest shares."""
    if unit is Unit.COUNT:
        return 1.0
    if unit in (Unit.CURRENCY, Unit.NUMBER, Unit.SCORE) and abs(magnitude) >= 100:
        return 1.0
    return 0.01


def largest_remainder(total: float, weights: list[float], step: float) -> list[float]:
    """Split ``total`` in proportion to ``weights`` into multiples of ``step`` that sum to
    ``total`` (rounded to ``step``) exactly. Ties go to the earlier item (callers sort).
    Weights of mixed sign, or a negative total, go through :func:`split_signed`."""
    units_total = round(total / step)
    n = len(weights)
    if n == 0:
        return []
    weight_sum = math.fsum(weights)
    if units_total < 0 or any(w < 0 for w in weights):
        raw = [r / step for r in split_signed(units_total * step, weights)]
    else:
        shares = [w / weight_sum for w in weights] if weight_sum > 0 else [1.0 / n] * n
        raw = [units_total * s for s in shares]
    floors = [math.floor(r) for r in raw]
    left = units_total - sum(floors)
    order = sorted(range(n), key=lambda i: (-(raw[i] - floors[i]), i))
    for i in order[: max(left, 0)]:
        floors[i] += 1
    return [f * step if step < 1 else float(f) for f in floors]


def split_signed(total: float, weights: list[float]) -> list[float]:
    """Each weight plus a share of ``total - sum(weights)`` in proportion to |weight|
    (equal shares when every weight is 0): sums to ``total`` whatever the signs.

    With non-negative weights this is ``total x weight / sum(weights)``, the usual history
    share; with a loss-making child or a negative total it keeps every child's own level
    and spreads only the change, so a negative target is never handed whole to the one
    child with positive history.
    """
    n = len(weights)
    if n == 0:
        return []
    change = total - math.fsum(weights)
    scale = math.fsum(abs(w) for w in weights)
    if scale == 0:
        return [total / n] * n
    return [w + change * abs(w) / scale for w in weights]


def grow(base: float, growth: float) -> float:
    """The basis after growth: base x (1 + growth), or base + |base| x growth when the base
    is negative (growth on a loss means a smaller loss, never a bigger one)."""
    return base + abs(base) * growth


def round_to(value: float, step: float) -> float:
    # Half away from zero (0.5 orders -> 1), not Python's half-to-even (0.5 -> 0).
    units = math.copysign(math.floor(abs(value / step) + 0.5), value)
    return units * step if step < 1 else float(units)


def median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2
