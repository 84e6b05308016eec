"""Computed columns (`derive:`): a tiny expression language, parsed, never evaluated as Python.

``amount: "quantity * unit_price"`` or ``won_value: "value if stage == 'Won' else 0"``.
Python's own parser (:mod:`ast`) reads the text, and only an allow-list of node types is
turned into the small tree below: arithmetic (``+ - * /``, parentheses, numeric literals),
``abs(x)``, ``round(x)`` / ``round(x, digits)``, comparisons (``== != < <= > >=``, ``in``
and ``not in`` a list of literals), ``and`` / ``or`` / ``not`` and ``a if test else b``.
Anything else (attribute access, subscripts, other calls, lambdas, f-strings...) is an error
naming what was found. Names are fields of the same source: the keys of its ``columns:`` or
derived columns defined above this one. The tree is evaluated over whole pandas columns by
:mod:`salesperf.sources.derive`; nothing here imports pandas.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import lru_cache

from salesperf.errors import did_you_mean

#: Longest expression accepted (a derived column is a formula, not a program).
MAX_CHARS = 500
#: Deepest nesting accepted (keeps evaluation and error messages small).
MAX_DEPTH = 30


class ExpressionError(ValueError):
    """An expression that is not in the allowed language; the message says what and where."""


@dataclass(frozen=True)
class Number:
    value: float


@dataclass(frozen=True)
class Text:
    value: str


@dataclass(frozen=True)
class Name:
    name: str


@dataclass(frozen=True)
class Arithmetic:
    op: str  # + - * /
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Negate:
    operand: Expr


@dataclass(frozen=True)
class Compare:
    op: str  # == != < <= > >=
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Member:
    operand: Expr
    values: tuple[float | str, ...]
    negated: bool


@dataclass(frozen=True)
class Logic:
    op: str  # and | or
    operands: tuple[Expr, ...]


@dataclass(frozen=True)
class Not:
    operand: Expr


@dataclass(frozen=True)
class Function:
    name: str  # abs | round
    argument: Expr
    digits: int = 0


@dataclass(frozen=True)
class Choose:
    test: Expr
    then: Expr
    otherwise: Expr


Expr = (
    Number | Text | Name | Arithmetic | Negate | Compare | Member | Logic | Not | Function | Choose
)

_ARITHMETIC = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}
_COMPARE = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}
FUNCTIONS = ("abs", "round")
#: What a user may have meant by a node we refuse, for the message.
_REFUSED = {
    ast.Attribute: "attribute access (a.b)",
    ast.Subscript: "subscripts (a[b])",
    ast.Lambda: "lambda",
    ast.JoinedStr: "f-strings",
    ast.Pow: "powers (**)",
    ast.FloorDiv: "integer division (//)",
    ast.Mod: "remainders (%)",
    ast.NamedExpr: "assignment (:=)",
}


@lru_cache(maxsize=512)
def parse_expression(text: str) -> Expr:
    """The tree of ``text``; :class:`ExpressionError` when it is not in the language."""
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError("an empty expression; write a formula such as quantity * unit_price")
    if len(text) > MAX_CHARS:
        raise ExpressionError(f"the expression is {len(text)} characters; at most {MAX_CHARS}")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        where = f" at character {exc.offset}" if exc.offset else ""
        raise ExpressionError(
            f"cannot read '{text.strip()}'{where}: {exc.msg}; names are field names (letters, "
            "digits, _), texts are quoted ('Won')"
        ) from None
    return _convert(tree.body, 0)


def dependencies(derive: dict[str, str], wanted: set[str]) -> tuple[set[str], set[str]]:
    """(other fields, derived names) needed to compute the derived columns in ``wanted``,
    following derived columns that use other derived columns."""
    other: set[str] = set()
    derived: set[str] = set()
    stack = [w for w in wanted if w in derive]
    while stack:
        name = stack.pop()
        if name in derived:
            continue
        derived.add(name)
        for used in names_in(parse_expression(derive[name])):
            if used in derive and used != name:
                stack.append(used)
            elif used not in derive:
                other.add(used)
    return other, derived


def names_in(expr: Expr) -> list[str]:
    """Field names the expression reads, in order of first use."""
    out: dict[str, None] = {}
    _walk_names(expr, out)
    return list(out)


def text_names(expr: Expr) -> set[str]:
    """Names compared with a text literal (``stage == 'Won'``, ``stage in ('Won', 'Lost')``):
    they are loaded as text; every other name is a number."""
    out: set[str] = set()
    for node in _nodes(expr):
        if isinstance(node, Compare):
            for side, other in ((node.left, node.right), (node.right, node.left)):
                if isinstance(side, Name) and isinstance(other, Text):
                    out.add(side.name)
        elif (
            isinstance(node, Member)
            and isinstance(node.operand, Name)
            and any(isinstance(v, str) for v in node.values)
        ):
            out.add(node.operand.name)
    return out


def is_text(expr: Expr) -> bool:
    """True when the expression yields text (a conditional choosing between texts)."""
    if isinstance(expr, Text):
        return True
    if isinstance(expr, Choose):
        return is_text(expr.then) or is_text(expr.otherwise)
    return False


def _nodes(expr: Expr) -> list[Expr]:
    out: list[Expr] = [expr]
    for child in _children(expr):
        out.extend(_nodes(child))
    return out


def _children(expr: Expr) -> tuple[Expr, ...]:
    if isinstance(expr, Arithmetic | Compare):
        return (expr.left, expr.right)
    if isinstance(expr, Negate | Not | Member):
        return (expr.operand,)
    if isinstance(expr, Function):
        return (expr.argument,)
    if isinstance(expr, Logic):
        return expr.operands
    if isinstance(expr, Choose):
        return (expr.test, expr.then, expr.otherwise)
    return ()


def _walk_names(expr: Expr, out: dict[str, None]) -> None:
    if isinstance(expr, Name):
        out.setdefault(expr.name, None)
    for child in _children(expr):
        _walk_names(child, out)


def _refuse(node: ast.AST) -> ExpressionError:
    what = next((label for kind, label in _REFUSED.items() if isinstance(node, kind)), None)
    what = what or type(node).__name__
    return ExpressionError(
        f"{what} is not allowed; use + - * /, parentheses, numbers, abs(), round(), "
        "comparisons, and/or/not and `a if test else b`"
    )


def _convert(node: ast.AST, depth: int) -> Expr:
    if depth > MAX_DEPTH:
        raise ExpressionError(f"the expression nests more than {MAX_DEPTH} levels deep")
    down = depth + 1
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool) or value is None:
            raise ExpressionError(f"{value!r} is not allowed; use numbers or quoted texts")
        if isinstance(value, int | float):
            return Number(float(value))
        if isinstance(value, str):
            return Text(value)
        raise _refuse(node)
    if isinstance(node, ast.Name):
        return Name(node.id)
    if isinstance(node, ast.BinOp):
        op = _ARITHMETIC.get(type(node.op))
        if op is None:
            raise _refuse(node.op)
        return Arithmetic(op, _convert(node.left, down), _convert(node.right, down))
    if isinstance(node, ast.UnaryOp):
        operand = _convert(node.operand, down)
        if isinstance(node.op, ast.USub):
            return Number(-operand.value) if isinstance(operand, Number) else Negate(operand)
        if isinstance(node.op, ast.UAdd):
            return operand
        if isinstance(node.op, ast.Not):
            return Not(operand)
        raise _refuse(node.op)
    if isinstance(node, ast.BoolOp):
        op = "and" if isinstance(node.op, ast.And) else "or"
        return Logic(op, tuple(_convert(v, down) for v in node.values))
    if isinstance(node, ast.Compare):
        return _compare(node, down)
    if isinstance(node, ast.IfExp):
        return Choose(
            _convert(node.test, down), _convert(node.body, down), _convert(node.orelse, down)
        )
    if isinstance(node, ast.Call):
        return _call(node, down)
    raise _refuse(node)


def _compare(node: ast.Compare, depth: int) -> Expr:
    if len(node.ops) != 1:
        raise ExpressionError("chained comparisons (a < b < c) are not allowed; use `and`")
    op, right = node.ops[0], node.comparators[0]
    left = _convert(node.left, depth)
    if isinstance(op, ast.In | ast.NotIn):
        if not isinstance(right, ast.List | ast.Tuple | ast.Set) or not right.elts:
            raise ExpressionError("`in` needs a list of values: stage in ('Won', 'Lost')")
        values: list[float | str] = []
        for element in right.elts:
            literal = _convert(element, depth)
            if not isinstance(literal, Number | Text):
                raise ExpressionError("`in` lists hold numbers or quoted texts only")
            values.append(literal.value)
        return Member(left, tuple(values), isinstance(op, ast.NotIn))
    symbol = _COMPARE.get(type(op))
    if symbol is None:
        raise ExpressionError(f"the comparison {type(op).__name__} is not allowed")
    return Compare(symbol, left, _convert(right, depth))


def _call(node: ast.Call, depth: int) -> Expr:
    if not isinstance(node.func, ast.Name):
        raise _refuse(node.func)
    name = node.func.id
    if name not in FUNCTIONS:
        raise ExpressionError(
            f"function '{name}' is not allowed{did_you_mean(name, FUNCTIONS)}; only "
            f"{' and '.join(f + '()' for f in FUNCTIONS)}"
        )
    if node.keywords:
        raise ExpressionError(f"{name}() takes no keyword arguments")
    args = node.args
    if name == "abs" and len(args) != 1:
        raise ExpressionError("abs() takes one argument: abs(amount)")
    if name == "round":
        if len(args) not in (1, 2):
            raise ExpressionError("round() takes a value and optional digits: round(amount, 2)")
        digits = 0
        if len(args) == 2:
            literal = args[1]
            if not (
                isinstance(literal, ast.Constant)
                and isinstance(literal.value, int)
                and not isinstance(literal.value, bool)
                and 0 <= literal.value <= 10
            ):
                raise ExpressionError("round()'s digits must be a whole number from 0 to 10")
            digits = literal.value
        return Function("round", _convert(args[0], depth), digits)
    return Function("abs", _convert(args[0], depth))
