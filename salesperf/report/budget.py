"""Limits on what a user's template may cost: a rendering budget, and bounded operations.

The sandbox stops a template from reading files or Python internals, but not from working
hard: ``"x"|center(300000000)``, ``"%0300000000d"|format(1)``, a string doubled with ``~``
thirty times, ``lipsum(3000000)`` or two nested ``range(100000)`` loops build 300 million
characters or run for minutes. :func:`sandbox_class` returns a sandbox in which

- every step counts against :data:`MAX_STEPS` (plus :data:`STEPS_PER_ROW` per entity row
  of the view model): each loop iteration, call, filter, operator and ``~``;
- no string or list a template builds may exceed :data:`MAX_TEXT` items, checked *before*
  the operations that would allocate it at once (``center``, ``format``, ``*``, ``join``,
  ``replace``, ``indent``, ``lipsum``...) and after every other one;
- the whole output is at most :data:`MAX_OUTPUT` characters;
- lists and dicts cannot be changed in place (``append``/``extend`` doubling).

Each limit raises :class:`jinja2.exceptions.SecurityError`, which the renderer reports with
the template's file and line (exit 2).
"""

from __future__ import annotations

import functools
import re
from typing import Any

from jinja2 import Environment, nodes
from jinja2.exceptions import SecurityError
from jinja2.nodes import EvalContext
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.visitor import NodeTransformer

#: Loop iterations, calls, filters and operators one render may run, plus STEPS_PER_ROW
#: for each entity row of the view model (the built-in HTML report takes about 65 a row).
MAX_STEPS = 5_000_000
STEPS_PER_ROW = 500
#: Longest string or list a template may build (a report is a few hundred KB).
MAX_TEXT = 1_000_000
#: Largest power (`{{ 10 ** 10 ** 10 }}`) and integer size a template may compute.
MAX_POWER = 100
MAX_INT_BITS = 4096
#: Characters one render may write, all of its output and block captures together.
MAX_OUTPUT = 100_000_000

#: Filters whose output can be far larger than their input: checked before they run.
_WIDTH_FILTERS = {"center": 1, "indent": 1, "wordwrap": 1, "truncate": 1}
_WIDTH_METHODS = {"center", "ljust", "rjust", "zfill", "expandtabs"}
_NUMBER_IN_FORMAT = re.compile(r"%[^a-zA-Z%]*|\{[^{}]*\}")


class Budget:
    """Steps and output characters of one render."""

    def __init__(self, limit: int = MAX_STEPS) -> None:
        self.limit = limit
        self.steps = 0
        self.output = 0

    def step(self, count: int = 1) -> None:
        self.steps += count
        if self.steps > self.limit:
            _refuse(f"the template took more than {self.limit:,} steps (loops, calls, filters)")

    def emit(self, value: Any) -> Any:
        self.step()
        self.output += len(value) if isinstance(value, str) else 16
        if self.output > MAX_OUTPUT:
            _refuse(f"the template wrote more than {MAX_OUTPUT:,} characters")
        return value

    def loop(self, iterable: Any) -> Any:
        for item in iterable:
            self.step()
            yield item


def _refuse(message: str) -> None:
    raise SecurityError(message)


def _size(value: Any) -> Any:
    """``value`` if it is a string, list or integer within the limits."""
    if isinstance(value, str | list | tuple | dict) and len(value) > MAX_TEXT:
        _refuse(f"a template may not build text or lists longer than {MAX_TEXT:,}")
    if isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
        _refuse(f"a template may not compute numbers above 2**{MAX_INT_BITS}")
    return value


def _width(value: Any) -> None:
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_TEXT:
        _refuse(f"a width of {value:,} is beyond the limit of {MAX_TEXT:,}")
    if isinstance(value, str) and len(value) > MAX_TEXT:
        _size(value)


def _format_widths(pattern: Any, args: tuple[Any, ...]) -> None:
    """``"%0300000000d"``, ``"%*d"`` or ``"{:>300000000}"``: widths within the limit."""
    if not isinstance(pattern, str):
        return
    for spec in _NUMBER_IN_FORMAT.findall(pattern):
        if "*" in spec and any(isinstance(a, int) and abs(a) > MAX_TEXT for a in args):
            _refuse(f"a width beyond the limit of {MAX_TEXT:,}")
        for number in re.findall(r"\d+", spec):
            if len(number) > 7 or int(number) > MAX_TEXT:
                _refuse(f"a width or precision of {number} is beyond the limit of {MAX_TEXT:,}")


def _replace_size(text: Any, old: Any, new: Any, count: Any = -1) -> None:
    if not all(isinstance(v, str) for v in (text, old, new)):
        return
    times = text.count(old) if old else len(text) + 1
    if isinstance(count, int) and count >= 0:
        times = min(times, count)
    if len(text) + times * (len(new) - len(old)) > MAX_TEXT:
        _refuse(f"a template may not build text longer than {MAX_TEXT:,}")


def _join_size(items: Any, separator: Any) -> None:
    if not isinstance(items, list | tuple) or not isinstance(separator, str):
        return
    total = len(separator) * max(len(items) - 1, 0)
    total += sum(len(i) for i in items if isinstance(i, str))
    if total > MAX_TEXT:
        _refuse(f"a template may not build text longer than {MAX_TEXT:,}")


def _before_filter(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """Checks of a filter's arguments before it runs (``args[0]`` is its input)."""
    if name in _WIDTH_FILTERS:
        for value in (*args[1:], *kwargs.values()):
            _width(value)
    elif name == "format" and args:
        _format_widths(args[0], args[1:])
    elif name == "replace" and len(args) >= 3:
        _replace_size(*args[:4])
    elif name == "join" and args:
        items = args[0]
        separator = args[1] if len(args) > 1 else kwargs.get("d", "")
        if isinstance(items, list | tuple):
            _join_size(items, separator)
    elif name == "batch" or name == "slice":
        for value in args[1:2]:
            _width(value)


def _guarded_filter(name: str, function: Any, budget: Budget) -> Any:
    @functools.wraps(function)
    def run(*args: Any, **kwargs: Any) -> Any:
        budget.step()
        # pass_context/pass_environment filters get those first: look past them.
        plain = [a for a in args if not _is_jinja_internal(a)]
        _before_filter(name, tuple(plain), kwargs)
        return _size(function(*args, **kwargs))

    return run


def _is_jinja_internal(value: Any) -> bool:
    return isinstance(value, Environment | Context | EvalContext)


def _before_method(function: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    owner = getattr(function, "__self__", None)
    name = getattr(function, "__name__", "")
    if not isinstance(owner, str):
        return
    if name in _WIDTH_METHODS:
        for value in (*args, *kwargs.values()):
            _width(value)
        tabs = args[0] if name == "expandtabs" and args else 0
        if isinstance(tabs, int) and owner.count("\t") * tabs > MAX_TEXT:
            _refuse(f"a template may not build text longer than {MAX_TEXT:,}")
    elif name in ("format", "format_map"):
        _format_widths(owner, args)
    elif name == "replace" and len(args) >= 2:
        _replace_size(owner, *args[:3])
    elif name == "join" and args:
        items = list(args[0]) if isinstance(args[0], list | tuple) else None
        if items is not None:
            _join_size(items, owner)
    elif name == "__mod__":
        _format_widths(owner, args)


def _before_binop(operator: str, left: Any, right: Any) -> None:
    if operator == "**":
        if isinstance(right, int | float) and abs(right) > MAX_POWER:
            _refuse(f"a power above {MAX_POWER} is not allowed in a template")
        integers = isinstance(left, int) and isinstance(right, int) and right > 0
        if integers and left.bit_length() * right > MAX_INT_BITS:
            _refuse(f"a template may not compute numbers above 2**{MAX_INT_BITS}")
    elif operator == "*":
        sized = [v for v in (left, right) if isinstance(v, str | list | tuple)]
        counts = [v for v in (left, right) if isinstance(v, int) and not isinstance(v, bool)]
        if sized and counts and len(sized[0]) * counts[0] > MAX_TEXT:
            _refuse(f"a template may not repeat text beyond {MAX_TEXT:,}")
        if len(counts) == 2 and sum(c.bit_length() for c in counts) > MAX_INT_BITS:
            _refuse(f"a template may not compute numbers above 2**{MAX_INT_BITS}")
    elif operator == "+":
        both = isinstance(left, str | list | tuple) and isinstance(right, str | list | tuple)
        if both and len(left) + len(right) > MAX_TEXT:
            _refuse(f"a template may not build text or lists longer than {MAX_TEXT:,}")
    elif operator == "%":
        _format_widths(left, right if isinstance(right, tuple) else (right,))


def _counted_class() -> type:
    def wrap(node: Any, name: str) -> Any:
        return nodes.Filter(node, name, [], [], None, None, lineno=node.lineno)

    class Counted(NodeTransformer):
        """Count every loop iteration, every ``~`` and every piece of output: a loop with an
        empty body still costs steps, and text built by ``~`` is size-checked."""

        def visit_For(self, node: Any) -> Any:
            node = self.generic_visit(node)
            node.iter = wrap(node.iter, "_sp_loop")
            return node

        def visit_Concat(self, node: Any) -> Any:
            return wrap(self.generic_visit(node), "_sp_text")

        def visit_Output(self, node: Any) -> Any:
            node = self.generic_visit(node)
            node.nodes = [
                n if isinstance(n, nodes.TemplateData) else wrap(n, "_sp_out") for n in node.nodes
            ]
            return node

    return Counted


def _Counted() -> Any:
    return _counted_class()()


def sandbox_class() -> type:
    """An immutable sandbox that runs every template within a :class:`Budget`."""

    class BudgetSandbox(ImmutableSandboxedEnvironment):
        intercepted_binops = frozenset({"*", "**", "+", "%", "-", "/", "//"})
        intercepted_unops = frozenset({"-", "+"})

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.budget = Budget()
            self.filters = {
                name: _guarded_filter(name, function, self.budget)
                for name, function in self.filters.items()
            }
            self.filters["_sp_loop"] = self.budget.loop
            self.filters["_sp_out"] = self.budget.emit
            self.filters["_sp_text"] = self._text
            lipsum: Any = self.globals["lipsum"]

            def bounded_lipsum(n: int = 5, html: bool = True, *rest: Any, **kw: Any) -> Any:
                if isinstance(n, int) and n > 1_000:
                    _refuse("lipsum() is limited to 1,000 paragraphs in a template")
                return lipsum(n, html, *rest, **kw)

            self.globals["lipsum"] = bounded_lipsum

        def _text(self, value: Any) -> Any:
            self.budget.step()
            return _size(value)

        def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
            self.budget.step()
            _before_binop(operator, left, right)
            return _size(super().call_binop(context, operator, left, right))

        def call_unop(self, context: Any, operator: str, arg: Any) -> Any:
            self.budget.step()
            return super().call_unop(context, operator, arg)

        def wrap_str_format(self, value: Any) -> Any:
            wrapped = super().wrap_str_format(value)
            if wrapped is None:
                return None
            pattern = value.__self__

            def checked(*args: Any, **kwargs: Any) -> Any:  # "{:>300000000}".format(1)
                _format_widths(pattern, args)
                return _size(wrapped(*args, **kwargs))

            return checked

        def call(self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
            self.budget.step()
            _before_method(__obj, args, kwargs)
            return _size(super().call(__context, __obj, *args, **kwargs))

        def _generate(self, source: Any, *args: Any, **kwargs: Any) -> Any:
            return super()._generate(_Counted().visit(source), *args, **kwargs)

    return BudgetSandbox
