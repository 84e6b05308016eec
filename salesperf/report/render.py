"""Rendering a report view model with Jinja, or as JSON.

Built-in templates live in ``salesperf/templates``; a user's template folder (``--template-dir``
or ``report.templates`` in kpi.yaml) overrides any of them by file name. Every template runs
in a :class:`jinja2.sandbox.SandboxedEnvironment` with ``StrictUndefined``: a template can
read the view model and nothing else (no files, no attribute tricks), and a misspelt field is
an error, not a blank. HTML is autoescaped, so a rep called ``<script>`` shows as text.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from salesperf.errors import Finding, Level, Location, SalesperfError
from salesperf.markdown import md_text

TEMPLATES = {
    ("company", "html"): "report.html.j2",
    ("company", "md"): "report.md.j2",
    ("rep", "html"): "rep.html.j2",
    ("rep", "md"): "rep.md.j2",
    ("notify", "html"): "notify.html.j2",
}


class TemplateError(SalesperfError):
    """A report template failed: names the template file and line."""


def _environment(template_dir: Path | None) -> Any:
    # lazy: Jinja takes 0.15 s to import (python -X importtime); JSON and Excel reports and
    # `salesperf diff` render no template.
    from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, StrictUndefined

    # lazy: the budget module imports Jinja at its top, as above.
    from salesperf.report.budget import sandbox_class

    Sandbox = sandbox_class()

    loaders: list[Any] = []
    if template_dir is not None:
        loaders.append(FileSystemLoader(str(template_dir)))
    loaders.append(PackageLoader("salesperf", "templates"))
    env = Sandbox(
        loader=ChoiceLoader(loaders),
        undefined=StrictUndefined,
        autoescape=lambda name: bool(name) and name.endswith((".html.j2", ".html")),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["md"] = md_text  # the one Markdown escape (salesperf.markdown)
    return env


def steps_for(view: dict[str, Any]) -> int:
    """The rendering budget of a view model: a base, and more for each entity row."""
    # lazy: the budget module imports Jinja (0.15 s); only templates need it.
    from salesperf.report.budget import MAX_STEPS, STEPS_PER_ROW

    rows = sum(len(level.get("entities", ())) for level in view.get("levels", ()))
    rows += sum(len(k.get("entities", ())) for k in view.get("kpis", ()))
    return MAX_STEPS + STEPS_PER_ROW * rows


def render_template(view: dict[str, Any], fmt: str, template_dir: Path | None = None) -> str:
    """Render the view model to HTML or Markdown text."""
    # lazy: as in _environment.
    from jinja2 import TemplateError as JinjaError
    from jinja2 import TemplateNotFound, TemplateSyntaxError, UndefinedError
    from jinja2.exceptions import SecurityError

    name = TEMPLATES[(view["kind"], fmt)]
    env = _environment(template_dir)
    env.budget.limit = steps_for(view)
    try:
        template = env.get_template(name)
        return str(template.render(**view))
    except TemplateSyntaxError as exc:
        raise _template_error(exc.filename or exc.name or name, exc.lineno, exc.message) from None
    except TemplateNotFound as exc:
        line, where = _template_line(exc, name)  # the {% include %} that asked for it
        message = f"template not found: {exc.name} (templates load only from the template folder)"
        raise _template_error(where, line, message) from None
    except (UndefinedError, SecurityError, JinjaError) as exc:
        line, where = _template_line(exc, name)
        raise _template_error(where, line, str(exc)) from None
    except (ArithmeticError, TypeError, ValueError, LookupError, RecursionError) as exc:
        # `{{ 1 / 0 }}`, `range(10**9)` (the sandbox's OverflowError), a macro calling
        # itself: the template's fault, reported at its line.
        line, where = _template_line(exc, name)
        text = str(exc).splitlines()[0][:200] if str(exc) else ""
        message = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
        raise _template_error(where, line, message) from None


def _template_line(exc: BaseException, name: str) -> tuple[int | None, str]:
    """The template file and line a render error came from (from the traceback)."""
    tb = exc.__traceback__
    line = None
    where = name
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith(".j2") or "<template>" in filename:
            line = tb.tb_lineno
            where = filename
        tb = tb.tb_next
    return line, where


def _template_error(template: str, line: int | None, message: str | None) -> TemplateError:
    return TemplateError(
        "The report template failed:",
        [Finding(Level.ERROR, message or "template error", Location(template, line), "template")],
    )


def _plain(value: Any) -> Any:
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if k != "chart_svg"}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str):
        return _plain(value.item())
    return value


def render_json(view: dict[str, Any]) -> str:
    """The whole view model (charts left out: they are pictures, not data)."""
    return json.dumps(_plain(view), ensure_ascii=False, indent=2, sort_keys=False) + "\n"
