"""How many examples a property test runs: its count scaled to the loaded hypothesis profile.

A count written in a test (``examples(150)``) is what that property needs at hypothesis's
default budget of 100 examples. The ``ci`` profile (the default, see tests/conftest.py)
runs a quarter of it, ``thorough`` five times as many.
"""

from __future__ import annotations

from hypothesis import settings

#: max_examples of hypothesis's own default profile, which the counts in the tests assume.
DEFAULT_BUDGET = 100


def examples(count: int) -> int:
    """`count` scaled by the loaded profile's max_examples / 100; never below 1."""
    return max(1, round(count * settings.default.max_examples / DEFAULT_BUDGET))
