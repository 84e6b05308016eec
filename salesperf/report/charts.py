"""Charts as inline SVG from matplotlib.

Text stays text (``svg.fonttype: none``) so Chinese names render with the reader's own
fonts, and the output is byte-for-byte reproducible: no date metadata, and element ids
derived from a fixed salt instead of a random one.
"""

from __future__ import annotations

import io
import math
import warnings
from collections.abc import Sequence

FONT_STACK = [
    "DejaVu Sans",
    "Noto Sans CJK SC",
    "PingFang SC",
    "Microsoft YaHei",
    "sans-serif",
]
ACTUAL_COLOUR = "#1f6feb"
TARGET_COLOUR = "#8b949e"


def trend_svg(
    periods: Sequence[str],
    actual: Sequence[float | None],
    target: Sequence[float | None],
    *,
    labels: tuple[str, str] = ("Actual", "Target"),
    percent: bool = False,
    title: str = "",
) -> str:
    """Actual (solid) vs target (dashed) over periods, as an SVG document string."""
    # The object API, not pyplot: importing pyplot costs half a second, and pyplot's figure
    # manager is of no use for a picture that is only saved. The Agg canvas measures the
    # text for the layout, as it did under pyplot, so the SVG is unchanged.
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.layout_engine import TightLayoutEngine
    from matplotlib.ticker import FuncFormatter

    def clean(values: Sequence[float | None]) -> list[float]:
        return [math.nan if v is None or v != v else float(v) for v in values]

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
                "font.size": 9,
                "axes.spines.top": False,
                "axes.spines.right": False,
            }
        ),
    ):
        warnings.simplefilter("ignore")
        fig = Figure(figsize=(6.4, 2.4), dpi=100)
        FigureCanvasAgg(fig)
        ax = fig.subplots()
        x = list(range(len(periods)))
        ax.plot(
            x,
            clean(actual),
            color=ACTUAL_COLOUR,
            marker="o",
            markersize=3,
            linewidth=2,
            label=labels[0],
        )
        ax.plot(
            x,
            clean(target),
            color=TARGET_COLOUR,
            linestyle="--",
            linewidth=1.5,
            label=labels[1],
        )
        step = max(1, len(periods) // 6)
        ax.set_xticks(x[::step], [str(p) for p in periods][::step])
        ax.yaxis.set_major_formatter(
            FuncFormatter(lambda v, _: f"{v:.0%}" if percent else _compact(v))
        )
        ax.grid(axis="y", color="#e5e7eb", linewidth=0.8)
        ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), frameon=False, ncol=2)
        if title:
            ax.set_title(title, loc="left", fontsize=10)
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


def _compact(value: float) -> str:
    magnitude = abs(value)
    if magnitude >= 1e6:
        return f"{value / 1e6:.1f}M"
    if magnitude >= 1e4:
        return f"{value / 1e3:.0f}k"
    if magnitude >= 1e3:
        return f"{value / 1e3:.1f}k"
    return f"{value:g}"
