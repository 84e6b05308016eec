"""Charts as inline SVG from matplotlib.

Text stays text (``svg.fonttype: none``) so Chinese names render with the reader's own
fonts, and the output is byte-for-byte reproducible: no date metadata, and element ids
derived from a fixed salt instead of a random one.

What a trend chart promises its reader:

- the solid line is what happened: every point is an actual, the open period's last point
  the actual *to date*; a projection, when there is one, is a separate hollow marker on a
  dotted line, labelled as projected in the legend (and the caption says so);
- a period without a target is a gap in the target line, never a 0;
- money axes carry the currency, amounts start at zero, one number style per axis (all
  ticks in the same scale and decimals: $0.5M, $1.0M, $1.5M), 万/亿 for Chinese amounts.

The SVG marks what a test (or a script) needs to check the picture against the numbers:
the actual, target and projected lines have ids ``actual``, ``target`` and ``projected``,
and each horizontal grid line ``ygrid-<value>`` carries the value it marks.
"""

from __future__ import annotations

import io
import itertools
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

FONT_STACK = [
    "DejaVu Sans",
    "Noto Sans CJK SC",
    "PingFang SC",
    "Microsoft YaHei",
    "sans-serif",
]
ACTUAL_COLOUR = "#1f6feb"
TARGET_COLOUR = "#8b949e"
#: Drawn at this size in inches (100 px each): a phone shows it at ~3/4, a desktop at ~1.1,
#: so 11-point text stays 11-16 px on both.
FIGURE_SIZE = (4.8, 2.7)
FONT_SIZE = 11


@dataclass(frozen=True)
class ChartWords:
    """The legend's words in the report's language."""

    actual: str = "Actual"
    target: str = "Target"
    projected: str = "Projected"
    to_date: str = "to date"


def _clean(values: Sequence[float | None]) -> list[float]:
    return [math.nan if v is None or v != v else float(v) for v in values]


def axis_labels(
    ticks: Sequence[float], kind: str, currency_symbol: str = "", locale: str = "en"
) -> list[str]:
    """Tick labels in one style for the whole axis: the same scale and decimals on every
    tick, enough decimals that no two ticks read the same. ``kind`` is ``percent``,
    ``currency`` or anything else (plain numbers)."""
    if not ticks:
        return []
    step = min((abs(b - a) for a, b in itertools.pairwise(ticks) if b != a), default=1)
    if kind == "percent":
        decimals = max(0, math.ceil(-math.log10(step * 100) - 1e-9))
        return [f"{t * 100:.{decimals}f}%" for t in ticks]
    biggest = max(abs(t) for t in ticks)
    if locale == "zh-CN":
        scales = [(1e8, "亿"), (1e4, "万"), (1, "")]
    else:
        scales = [(1e9, "B"), (1e6, "M"), (1e3, "k"), (1, "")]
    # Money is read in k/M (万/亿) from the first thousand; a count reads best whole up to
    # 9,999 (1,200 orders, not 1.2k).
    floor = 1 if kind == "currency" else 1e4
    scale, suffix = next(((s, x) for s, x in scales if biggest >= max(s, floor)), (1, ""))
    decimals = max(0, math.ceil(-math.log10(step / scale) - 1e-9))
    prefix = currency_symbol if kind == "currency" else ""
    out = []
    for t in ticks:
        number = f"{abs(t) / scale:,.{decimals}f}"
        sign = "−" if t < 0 and number.strip("0.,") else ""
        out.append(f"{sign}{prefix}{number}{suffix}" if t != 0 else f"{prefix}0")
    return out


def trend_svg(
    periods: Sequence[str],
    actual: Sequence[float | None],
    target: Sequence[float | None],
    *,
    projected: float | None = None,
    words: ChartWords | None = None,
    kind: str = "number",
    currency_symbol: str = "",
    locale: str = "en",
) -> str:
    """Actual (solid) vs target (dashed) over periods, as an SVG document string.

    ``projected`` is the open period's projection: a hollow marker above the last period,
    joined to the previous actual by a dotted line, never part of the actual line.
    ``kind`` is ``currency``, ``count``, ``number``, ``score`` or ``percent``: amounts
    (currency, count, number) start at zero.
    """
    # lazy: matplotlib takes 3 s to import here (python -X importtime, cold); JSON and Excel
    # reports draw no chart. The object API, not pyplot: importing pyplot costs half a
    # second more, and pyplot's figure manager is of no use for a picture that is only saved.
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.layout_engine import TightLayoutEngine

    words = words or ChartWords()
    actuals = _clean(actual)
    targets = _clean(target)
    # Glyphs missing from the measuring font (CJK) only affect layout here: the browser
    # draws the text with the reader's fonts.
    with (
        warnings.catch_warnings(),
        matplotlib.rc_context(
            {
                "svg.fonttype": "none",
                "svg.hashsalt": "salesperf",
                "font.family": "sans-serif",
                "font.sans-serif": FONT_STACK,
                "font.size": FONT_SIZE,
                "axes.spines.top": False,
                "axes.spines.right": False,
            }
        ),
    ):
        warnings.simplefilter("ignore")
        fig = Figure(figsize=FIGURE_SIZE, dpi=100)
        FigureCanvasAgg(fig)
        ax = fig.subplots()
        x = list(range(len(periods)))
        (line,) = ax.plot(x, actuals, color=ACTUAL_COLOUR, marker="o", markersize=4, linewidth=2)
        line.set_label(words.actual)
        line.set_gid("actual")
        (goal,) = ax.plot(x, targets, color=TARGET_COLOUR, linestyle="--", linewidth=1.5)
        goal.set_label(words.target)
        goal.set_gid("target")
        if projected is not None and projected == projected and len(x) >= 1:
            last = len(x) - 1
            start = actuals[last - 1] if last >= 1 else math.nan
            xs, ys = ([last], [projected])
            if start == start:
                xs, ys = [last - 1, last], [start, projected]
            (ahead,) = ax.plot(
                xs,
                ys,
                color=ACTUAL_COLOUR,
                linestyle=":",
                linewidth=1.5,
                marker="o",
                markersize=6,
                markerfacecolor="white",
                markevery=[len(xs) - 1],
            )
            ahead.set_label(words.projected)
            ahead.set_gid("projected")
            if actuals[last] == actuals[last]:
                ax.annotate(
                    words.to_date,
                    (last, actuals[last]),
                    xytext=(-4, -4),
                    textcoords="offset points",
                    ha="right",
                    va="top",
                    fontsize=FONT_SIZE - 2,
                    color=ACTUAL_COLOUR,
                )
        # Labels counted back from the last period, so the current one is always named.
        step = max(1, math.ceil(len(periods) / 5))
        labelled = list(range(len(x) - 1, -1, -step))[::-1]
        ax.set_xticks(labelled, [str(periods[i]) for i in labelled])
        ax.tick_params(labelsize=FONT_SIZE - 1)
        shown = [v for v in [*actuals, *targets, projected] if v is not None and v == v]
        if kind in ("currency", "count", "number") and shown and min(shown) >= 0:
            ax.set_ylim(bottom=0)  # amounts are compared by height: start at zero
        low, high = ax.get_ylim()
        ticks = [float(t) for t in ax.get_yticks() if low - 1e-9 <= t <= high + 1e-9]
        ax.set_yticks(ticks, axis_labels(ticks, kind, currency_symbol, locale))
        ax.set_ylim(low, high)
        ax.grid(axis="y", color="#e5e7eb", linewidth=0.8)
        for grid, value in zip(ax.get_ygridlines(), ticks, strict=False):
            grid.set_gid(f"ygrid-{value:.10g}")
        ax.legend(
            loc="lower left",
            bbox_to_anchor=(0, 1.0),
            frameon=False,
            ncol=3,
            fontsize=FONT_SIZE - 1,
            handlelength=1.6,
            columnspacing=1.0,
        )
        # The tight layout computed once, as fig.tight_layout() does, but without leaving a
        # placeholder layout engine on the figure: with one, savefig draws everything
        # twice.
        TightLayoutEngine().execute(fig)
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    svg = buffer.getvalue()
    # Drop the XML prolog and DOCTYPE: the SVG is inlined into HTML.
    start = svg.find("<svg")
    return svg[start:]
