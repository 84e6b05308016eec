"""Escaping and size limits of chat messages: properties over any text."""

from __future__ import annotations

import re

from hypothesis import assume, given
from hypothesis import strategies as st

from salesperf.notify.render import escape_markdown, escape_mrkdwn, fit

MORE = "… and {n} more (see the report)"
texts = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60)


@given(st.lists(texts, max_size=30), st.integers(min_value=60, max_value=600))
def test_fit_keeps_whole_lines_within_the_limit(lines: list[str], limit: int) -> None:
    lines = [" ".join(line.split()) for line in lines]  # message lines hold no newline
    text = fit(lines, limit, MORE)
    whole = "\n".join(lines)
    if len(whole.encode("utf-8")) <= limit:
        assert text == whole
        return
    assert len(text.encode("utf-8")) <= limit
    *kept, tail = text.split("\n")
    assert kept == lines[: len(kept)]  # whole lines, in order
    assert tail == MORE.format(n=len(lines) - len(kept))


@given(texts)
def test_slack_text_cannot_link_mention_or_format(text: str) -> None:
    escaped = escape_mrkdwn(text)
    assert "<" not in escaped and ">" not in escaped
    assert re.fullmatch(r"(?:[^&]|&(?:amp|lt|gt);)*", escaped)
    assert not re.search("[*_~`](?!\u200b)", escaped)  # every marker is broken up
    assume("\u200b" not in text)
    shown = escaped.replace("\u200b", "").replace("&lt;", "<").replace("&gt;", ">")
    assert shown.replace("&amp;", "&") == " ".join(text.split())


def _unescaped_specials(escaped: str) -> list[str]:
    found, i = [], 0
    while i < len(escaped):
        if escaped[i] == "\\":
            i += 2
            continue
        if escaped[i] in "`*[]<>|":
            found.append(escaped[i])
        i += 1
    return found


@given(texts)
def test_markdown_escapes_are_complete_and_reversible(text: str) -> None:
    escaped = escape_markdown(text)
    assert "\n" not in escaped
    assert _unescaped_specials(escaped) == []
    # Control characters (NUL, ESC...) are shown as spaces, like line breaks.
    plain = re.sub(r"[\x00-\x1f\x7f\x85\u2028\u2029]", " ", text)
    assert re.sub(r"\\(.)", r"\1", escaped) == " ".join(plain.split())
