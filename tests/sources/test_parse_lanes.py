"""The loader's numpy shortcuts against the regexes and pandas calls they stand in for.

Each shortcut decides only what it can decide by code points (a text that may carry a
currency mark, a value that rules out ``1.234``) and leaves the rest to the slower lane, so
on any texts the result is the slower lane's.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from salesperf.sources import parse
from salesperf.sources.parse import (
    _DOT_OR_THOUSANDS,
    Distinct,
    _may_carry_mark,
    _some_value_decides,
    currency_marks,
)
from tests.properties import examples

#: Marks, separators, digits of other scripts and a NUL: what the shortcuts must
#: not get wrong.
cells = st.text(
    alphabet=st.sampled_from(list("0123456789.,-+ $¥€£元%()AZaz\u00a0\u3000\ufeff\x00١²\t")),
    max_size=12,
)


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    # Several chunks per example: the chunk boundaries must not matter.
    monkeypatch.setattr(parse, "_TEXT_CHUNK", 4)


@settings(max_examples=examples(300), deadline=None)
@given(texts=st.lists(cells, max_size=20))
def test_mark_candidates_are_the_regex_s(texts: list[str]) -> None:
    pattern = re.compile(r"[A-Z$]|[^\x00-\x7f]")
    expected = [pattern.search(t) is not None for t in texts]
    assert _may_carry_mark(np.asarray(texts, dtype=object)).tolist() == expected


def test_currency_marks_found_among_plain_amounts() -> None:
    values = np.asarray(["1,234.50", "¥1,234", "12.00", "USD 5", "7"], dtype=object)
    codes = np.array([0, 1, 2, 3, 4, 0, -1])
    marks = currency_marks(Distinct(codes, values), np.zeros(len(codes), dtype=bool))
    assert {k: v.tolist() for k, v in marks.items()} == {"¥": [1], "$": [3]}


decimal_texts = cells | st.builds(
    lambda head, tail: f"{head}.{tail}",
    st.sampled_from(["0", "1", "12", "123", "1234", "١", "²"]),
    st.sampled_from(["", "5", "50", "500", "5000", "٥٥٥"]),
)


@settings(max_examples=examples(300), deadline=None)
@given(texts=st.lists(decimal_texts, max_size=12))
def test_a_deciding_value_is_one_the_regexes_call_deciding(texts: list[str]) -> None:
    """True only when some text has a separator and cannot be read as 1.234 (what
    _ambiguous_separators then concludes with its regexes)."""
    either = re.compile(_DOT_OR_THOUSANDS)
    deciding = [bool(re.search(r"[.,]", t)) and either.match(t) is None for t in texts]
    if _some_value_decides(np.asarray(texts, dtype=object)):
        assert any(deciding), texts


def test_the_usual_amounts_decide_without_a_regex() -> None:
    assert _some_value_decides(np.asarray(["1.234", "1,234.50"], dtype=object))
    assert _some_value_decides(np.asarray(["1.234", "12.50"], dtype=object))
    assert _some_value_decides(np.asarray(["0.125"], dtype=object))
    assert _some_value_decides(np.asarray(["1234.567"], dtype=object))
    # Every value reads as 1.234 or 1234: the regexes decide (and ask).
    assert not _some_value_decides(np.asarray(["1.234", "12.500", "7"], dtype=object))
