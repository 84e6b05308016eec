"""Numbers formatted for people, per unit and locale (babel does the locale work)."""

from __future__ import annotations

import functools
import math
from typing import Any

from babel import Locale
from babel.numbers import format_currency, format_decimal, format_percent, parse_pattern

from salesperf.spec.models import Unit

BABEL_LOCALES = {"en": "en_US", "zh-CN": "zh_Hans_CN"}


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


@functools.cache
def _locale(locale: str) -> Any:
    """The babel Locale, parsed once: a report formats thousands of numbers."""

    return Locale.parse(BABEL_LOCALES.get(locale, "en_US"))


@functools.cache
def _pattern(pattern: str) -> Any:
    """A parsed babel number pattern (babel's formatters take one as ``format``)."""

    return parse_pattern(pattern)


def fmt_value(value: Any, unit: Unit | str, currency: str = "USD", locale: str = "en") -> str:
    """A KPI value in its unit: $12,346 · 1,234 · 61.5% · 4.21."""

    if _missing(value):
        return "–"
    where = _locale(str(locale))
    unit = Unit(unit)
    value = float(value)
    if unit is Unit.CURRENCY:
        pattern = _pattern("¤#,##0" if abs(value) >= 100 or value == 0 else "¤#,##0.00")
        return format_currency(value, currency, format=pattern, locale=where, currency_digits=False)
    if unit is Unit.PERCENT:
        return format_percent(value, _pattern("#,##0.0%"), locale=where)
    if unit is Unit.COUNT:
        # Whole units: a count (and a count's projection) of 929.2 is 929.
        return format_decimal(value, _pattern("#,##0"), locale=where)
    return format_decimal(value, _pattern("#,##0.##"), locale=where)


def fmt_fraction(value: Any, locale: str = "en") -> str:
    """Attainment and pace (fractions) as whole percentages, rounded down: 0.997 -> 99%,
    so a pace shown as 100% is never "at risk"."""

    if _missing(value):
        return "–"
    floored = math.floor(float(value) * 100 + 1e-9) / 100
    return format_percent(floored, _pattern("#,##0%"), locale=_locale(str(locale)))


def fmt_points(value: Any) -> str:
    """A score (a fraction, 1.0 = 100 points) as points with one decimal, rounded down:
    0.72519 -> 72.5, so a shown 95.0 never hides a 94.99 that missed tier A."""
    if _missing(value):
        return "–"
    return f"{math.floor(float(value) * 1000 + 1e-6) / 10:.1f}"


def fmt_signed_points(value: Any) -> str:
    """A change of score in points, rounded to the nearest tenth: +2.5, −0.3, ±0.0."""
    if _missing(value):
        return ""
    tenths = round(float(value) * 1000)
    if tenths == 0:
        return "±0.0"
    return ("+" if tenths > 0 else "−") + f"{abs(tenths) / 10:.1f}"


def fmt_change(value: Any, locale: str = "en") -> str:
    """A signed change (a fraction) as a whole percentage rounded to the *nearest* (half
    away from zero); a change that rounds to zero is "±0%": -0.0013 -> "±0%",
    -0.012 -> "−1%", -0.016 -> "−2%", 0.125 -> "+13%". Unlike :func:`fmt_fraction`
    (attainment, floored so a shown 100% is reached), a change has no threshold to protect,
    and flooring made every small fall look a whole point worse."""
    if _missing(value):
        return "–"
    whole = math.floor(abs(float(value)) * 100 + 0.5 + 1e-9)
    if whole == 0:
        return "±0%"
    sign = "+" if float(value) > 0 else "−"
    return sign + format_percent(whole / 100, _pattern("#,##0%"), locale=_locale(str(locale)))


def fmt_signed_value(value: Any, unit: Any, currency: str = "USD", locale: str = "en") -> str:
    """A signed amount in its unit: +$1,234 · −$80 · ±$0."""
    if _missing(value):
        return "–"
    text = fmt_value(abs(float(value)), unit, currency, locale)
    if float(value) == 0:
        return "±" + text
    return ("+" if float(value) > 0 else "−") + text
