"""How `salesperf … --help` reads at any width.

Docstrings are wrapped at 100 columns in the source; typer's rich mode keeps those line
breaks, and rich re-wraps them at the terminal's width, leaving orphans ("are", "`scoring:`")
at 80 columns. :func:`reflow` joins the lines of each prose paragraph so rich wraps it once;
an example (a line starting with ``salesperf``) stays on its own line, whole, pasteable.

Option metavars say what to type (``PERIOD``, ``DATE``, ``table|json``) instead of typer's
Python types (``<str>``, ``<%Y-%m-%d>``), flags show none (not ``<bool>``) and the usage line
shows a required argument as ``KPI_YAML`` (not ``{KPI_YAML}``).
"""

from __future__ import annotations

from typing import Any

from typer.core import TyperCommand, TyperGroup

#: An example line: a command the reader can paste.
EXAMPLE_PREFIX = "salesperf "


def reflow(text: str | None) -> str | None:
    """Each prose paragraph on one line; example lines kept one per line."""
    if not text:
        return text
    paragraphs = []
    for paragraph in text.split("\n\n"):
        lines = [line.strip() for line in paragraph.splitlines() if line.strip()]
        if lines and all(line.startswith(EXAMPLE_PREFIX) for line in lines):
            paragraphs.append("\n".join("  " + line for line in lines))
        else:
            paragraphs.append(" ".join(lines))
    return "\n\n".join(p for p in paragraphs if p)


#: typer's type labels, as the reader would name what to type.
_LABELS = {"bool": "", "%Y-%m-%d": "DATE", "path": "FILE", "file": "FILE", "dir": "DIR"}


def _metavar(param: Any, ctx: Any) -> str | None:
    """What to type after an option: ``DATE``, ``table|json``, ``PERIOD``; nothing for a
    flag. ``None`` keeps typer's own label (an older typer without ``display_type``)."""
    display = getattr(param, "display_type", None)
    if display is None:
        return None
    label = str(display(ctx)).strip("<>")
    if label in _LABELS:
        return _LABELS[label]
    if "|" in label:
        return label
    if label.startswith("int"):
        return "N"
    if label.startswith("float"):
        return "SECONDS"
    long = next((o for o in param.opts if o.startswith("--")), param.opts[0])
    return str(long).lstrip("-").upper().replace("-", "_")


def _tidy(params: list[Any], ctx: Any) -> list[Any]:
    for param in params:
        kind = getattr(param, "param_type_name", "")
        if kind == "option" and param.metavar is None:
            param.metavar = _metavar(param, ctx)
        elif kind == "argument" and param.metavar is not None:
            # KPI_YAML already says what to give; typer would add "<file>" beside it.
            param.display_type_rich = lambda ctx: None
    return params


class Command(TyperCommand):
    """A typer command whose help reads well at 60, 80 or 120 columns."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["help"] = reflow(kwargs.get("help"))
        super().__init__(*args, **kwargs)

    def get_params(self, ctx: Any) -> list[Any]:
        return _tidy(super().get_params(ctx), ctx)

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        return [piece.strip("{}") for piece in super().collect_usage_pieces(ctx)]


class Group(TyperGroup):
    """The root `salesperf` group, with the same help conventions as :class:`Command`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["help"] = reflow(kwargs.get("help"))
        super().__init__(*args, **kwargs)

    def get_params(self, ctx: Any) -> list[Any]:
        return _tidy(super().get_params(ctx), ctx)
