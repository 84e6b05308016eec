"""Safe YAML loading that remembers where every key came from.

PyYAML's ``safe_load`` forgets line numbers and silently keeps the last of two duplicate
keys. Both are unacceptable for a spec that people edit by hand: every error must say
``kpi.yaml:14: kpis[2].target.method``. So mappings are built as :class:`LineDict`
(a dict that also knows the line of each key) and sequences as :class:`LineList`.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from salesperf.errors import Finding, Level, Location, SpecError

#: Aliases are legal YAML, but a few nested ones expand into millions of nodes
#: ("billion laughs"). Real specs use a handful, and expand to a few thousand values.
MAX_ALIASES = 200
MAX_EXPANDED_NODES = 200_000
#: A spec is a few levels deep (kpis[0].target.growth); thousands of nested brackets are
#: hostile, and PyYAML's recursive composer would die with a RecursionError.
MAX_DEPTH = 64


class LineDict(dict[str, Any]):
    """A mapping that records the 1-based line of itself and of each key.

    ``written`` keeps, for a value that YAML turned into something other than text (a
    boolean, a number, null), the text as written: ``Yes`` read as true, ``010`` read as
    the octal number 8. Checks use it to say what was written and how to quote it.
    """

    line: int = 0
    key_lines: dict[str, int]
    written: dict[str, str]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.key_lines = {}
        self.written = {}


class LineList(list[Any]):
    """A sequence that records the 1-based line of itself and of each item (and, like
    :attr:`LineDict.written`, the written text of each item that is not text)."""

    line: int = 0
    item_lines: list[int]
    written: list[str | None]

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.item_lines = []
        self.written = []


def _written(node: Node) -> str | None:
    """The text of a plain scalar that YAML resolved to a non-string type."""
    if isinstance(node, ScalarNode) and node.style is None and not node.tag.endswith(":str"):
        return str(node.value)
    return None


class _Loader(yaml.SafeLoader):
    def __init__(self, stream: str, filename: str) -> None:
        super().__init__(stream)
        self.filename = filename
        self.findings: list[Finding] = []
        self.alias_count = 0
        self.depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        if self.depth >= MAX_DEPTH:
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]  # untyped in types-PyYAML
            raise SpecError(
                "The spec cannot be used:",
                [
                    Finding(
                        Level.ERROR,
                        f"nested more than {MAX_DEPTH} levels deep; a kpi.yaml needs a few",
                        Location(self.filename, mark.line + 1),
                        "yaml-depth",
                    )
                ],
            )
        if self.check_event(yaml.AliasEvent):
            self.alias_count += 1
            if self.alias_count > MAX_ALIASES:
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]  # untyped in types-PyYAML
                raise SpecError(
                    "The spec cannot be used:",
                    [
                        Finding(
                            Level.ERROR,
                            f"more than {MAX_ALIASES} YAML aliases (*name); "
                            "write the values out instead of nesting anchors",
                            Location(self.filename, mark.line + 1),
                            "yaml-aliases",
                        )
                    ],
                )
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def construct_line_mapping(self, node: MappingNode) -> LineDict:
        result = LineDict()
        result.line = node.start_mark.line + 1
        for key_node, value_node in node.value:
            merged = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
            if key_node.tag == "tag:yaml.org,2002:merge" and any(m is node for m in merged):
                self.findings.append(
                    Finding(
                        Level.ERROR,
                        "'<<:' merges this mapping into itself; merge another anchor",
                        Location(self.filename, key_node.start_mark.line + 1),
                        "yaml-recursive-merge",
                    )
                )
                return result
        self.flatten_mapping(node)
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, str | int | float | bool) or key is None:
                self.findings.append(
                    Finding(
                        Level.ERROR,
                        "mapping keys must be plain words",
                        Location(self.filename, key_node.start_mark.line + 1),
                        "yaml-key",
                    )
                )
                continue
            # A key is a name: `no:` is the word "no", `010:` is "010", not False and 8.
            key = str(key) if isinstance(key, str) else str(_written(key_node) or key)
            line = key_node.start_mark.line + 1
            if key in result:
                self.findings.append(
                    Finding(
                        Level.ERROR,
                        f"duplicate key '{key}' (first on line {result.key_lines[key]}); "
                        "YAML would silently keep only the last one",
                        Location(self.filename, line),
                        "yaml-duplicate-key",
                    )
                )
                continue
            result[key] = self.construct_object(value_node, deep=True)
            result.key_lines[key] = line
            written = _written(value_node)
            if written is not None:
                result.written[key] = written
        return result

    def construct_line_sequence(self, node: SequenceNode) -> LineList:
        result = LineList()
        result.line = node.start_mark.line + 1
        for child in node.value:
            result.append(self.construct_object(child, deep=True))
            result.item_lines.append(child.start_mark.line + 1)
            result.written.append(_written(child))
        return result


_Loader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _Loader.construct_line_mapping
)
_Loader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _Loader.construct_line_sequence
)


def load_yaml(text: str, filename: str) -> Any:
    """Parse YAML safely; raise :class:`SpecError` with file and line on any problem."""
    loader = _Loader(text, filename)
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "invalid YAML"
        hint = ""
        if "found character '\\t'" in str(problem):
            hint = "; indent with spaces, not tabs"
        elif "recursive node" in str(problem):
            hint = "; an anchor (&name) is used inside itself (*name)"
        elif "unknown escape character" in str(problem):
            hint = (
                "; inside double quotes a backslash starts an escape: write Windows paths in "
                "single quotes ('data\\orders.csv') or with forward slashes"
            )
        raise SpecError(
            "The spec is not valid YAML:",
            [Finding(Level.ERROR, f"{problem}{hint}", Location(filename, line), "yaml-syntax")],
        ) from None
    except yaml.YAMLError as exc:
        raise SpecError(
            "The spec is not valid YAML:",
            [Finding(Level.ERROR, str(exc), Location(filename), "yaml-syntax")],
        ) from None
    finally:
        loader.dispose()
    if loader.findings:
        raise SpecError("The spec cannot be used:", loader.findings)
    _check_expanded_size(data, filename)
    return data


def _check_expanded_size(data: Any, filename: str) -> None:
    """Refuse documents whose aliases expand to more values than any real spec has."""
    seen = 0
    stack = [data]
    while stack:
        node = stack.pop()
        seen += 1
        if seen > MAX_EXPANDED_NODES:
            line = getattr(node, "line", None)
            raise SpecError(
                "The spec cannot be used:",
                [
                    Finding(
                        Level.ERROR,
                        f"the document expands to more than {MAX_EXPANDED_NODES:,} values "
                        "through YAML aliases (*name); write the values out instead",
                        Location(filename, line),
                        "yaml-aliases",
                    )
                ],
            )
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def line_of(data: Any, path: tuple[str | int, ...]) -> int | None:
    """The line of the deepest node of ``path`` that exists in ``data``."""
    node = data
    line: int | None = getattr(data, "line", None)
    for part in path:
        if isinstance(node, LineDict) and isinstance(part, str) and part in node:
            line = node.key_lines.get(part, line)
            node = node[part]
        elif isinstance(node, LineList) and isinstance(part, int) and 0 <= part < len(node):
            line = node.item_lines[part]
            node = node[part]
        else:
            break
    return line
