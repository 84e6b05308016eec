"""The one way text from data reaches Markdown: :func:`md_text`.

Names, KPI titles, tier names, comments, file names and messages all come from someone's
spreadsheet. In Markdown they could become live links (``[click](javascript:...)``),
images that call home (``![x](http://.../p.png)``), raw HTML (Markdown passes
``<img src=x onerror=...>`` through), a table cell split by ``|`` or a heading. Every
Markdown output of salesperf (``report``, ``--per-rep``, ``alerts -f md``, ``backtest -f
md``, ``diff -f md``) runs each data-derived string through :func:`md_text`, and
``tests/report/test_markdown.py`` checks each of them with the same hostile strings.
"""

from __future__ import annotations

import re

#: Backslash-escaped wherever they appear (CommonMark and GitHub honour ``\\`` before any
#: ASCII punctuation). Underscores stay: CommonMark ignores them inside words, and chat
#: apps that ignore escapes would show the backslash.
SPECIAL = "\\`*[]<>|&"
#: Marks that start a block at the beginning of a line (heading, list, quote, setext rule).
LINE_START = re.compile(r"^(?:[#+\-=>~]|\d+[.)])")
_CONTROLS = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]+")
_TABLE = str.maketrans({c: "\\" + c for c in SPECIAL})


def md_text(value: object, *, line_start: bool = False) -> str:
    """``value`` as inert Markdown text: shown as written, on one line.

    Markup characters are backslash-escaped, line breaks and other control characters
    become one space (a name can neither end a table row nor start a heading). With
    ``line_start`` (text that begins a line) a leading ``#``, ``-``, ``+``, ``=``, ``>``,
    ``~`` or ``1.`` is escaped too, so it cannot start a heading, a list or a quote.
    """
    text = "" if value is None else str(value)
    text = _CONTROLS.sub(" ", text).translate(_TABLE)
    if line_start and (match := LINE_START.match(text)):
        end = match.end() - 1  # the mark itself: "#", or the "." of "1."
        text = text[:end] + "\\" + text[end:]
    return text
