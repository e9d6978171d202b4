"""YAML text to plain data, refusing text that is unreadable or built to be expensive before it costs anything.

A cluster file is small and flat. Three kinds of text are refused with one line each, so that bad input
always answers within a second with exit status 2:
- control characters (a NUL byte, an escape sequence), which no editor shows and YAML forbids;
- nesting deeper than any cluster file needs (20,000 opening brackets would exhaust the recursive
  composer), counted by the composer itself as it descends;
- aliases that expand to more values than any cluster file has ("billion laughs"), nest deeper through
  aliases than the text shows, or refer to the node that holds them (a cycle), checked on the composed
  node graph, where an alias is one shared node, before anything walks the data as a tree.
A value YAML cannot hold (a date such as 2024-02-30, an integer of 5,000 digits) is named with its line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

from provisioner.errors import InputError, Problem

# Deeper than any cluster file (hosts[0].ssh.port is four levels), far below Python's recursion limit.
MAX_DEPTH = 32
# Values (scalars, lists, mappings) once every alias is expanded: a 1,000-host file has about 10,000.
MAX_VALUES = 100_000
# Everything YAML calls printable, less NEL (U+0085), which PyYAML would count as a line break of its own.
_NOT_PRINTABLE = re.compile("[^\t\n\r\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True)
class Document:
    root: yaml.Node | None  # the composed nodes, for line numbers
    data: Any  # the same document as Python values


def read_document(text: str, shown: str) -> Document:
    """The document in `text`; raises InputError with one line when it cannot or should not be read."""
    _refuse_control_characters(text, shown)
    loader = _DepthBoundLoader(text, shown)
    try:
        root = loader.get_single_node()
        if root is None:
            return Document(None, None)
        _refuse_expensive_aliases(root, shown)
        return Document(root, loader.construct_document(root))
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        reason = ": ".join(filter(None, [error.context, error.problem]))
        raise _refusal(shown, f"invalid YAML: {reason}", mark.line + 1 if mark else None) from None
    except yaml.YAMLError as error:
        raise _refusal(shown, f"invalid YAML: {' '.join(str(error).split())}") from None  # one line
    finally:
        loader.dispose()


def _refusal(shown: str, message: str, line: int | None = None) -> InputError:
    return InputError([Problem(shown, "", message, line)])


def _refuse_control_characters(text: str, shown: str) -> None:
    found = _NOT_PRINTABLE.search(text)
    if found:
        line_start = text.rfind("\n", 0, found.start()) + 1
        raise _refusal(shown, f"expected text without control characters, found U+{ord(found.group()):04X} at "
                              f"column {found.start() - line_start + 1}", text.count("\n", 0, found.start()) + 1)


class _DepthBoundLoader(yaml.SafeLoader):
    """PyYAML's safe loader, whose composer (one recursive call per level) stops at MAX_DEPTH levels.

    The scanner reads tokens only as the composer asks for them, so the rest of the text is never read."""

    def __init__(self, text: str, shown: str) -> None:
        super().__init__(text)
        self._shown = shown
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _refusal(self._shown, f"expected at most {MAX_DEPTH} levels of nesting, found more",
                               self.peek_event().start_mark.line + 1)  # type: ignore[no-untyped-call]
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except ValueError as error:  # a date such as 2024-02-30, an integer of 5,000 digits
            raise yaml.constructor.ConstructorError(None, None, str(error).split(";")[0], node.start_mark) from None


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _refuse_expensive_aliases(root: yaml.Node, shown: str) -> None:
    """Values and depth of the document as if every alias were written out, in one pass over the nodes.

    An alias is the very node its anchor names, so the nodes form a graph; sizes are computed once per
    node (post-order, with an explicit stack), which stays linear however large the expansion is."""
    measured: dict[int, tuple[int, int]] = {}  # id(node) -> (values, depth) once expanded
    in_progress: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if id(node) in measured:
            continue
        children = _children(node)
        if not children_done:
            if id(node) in in_progress:
                raise _refusal(shown, "expected aliases that refer to earlier values, found one inside the "
                                      "value it refers to (a cycle)", node.start_mark.line + 1)
            in_progress.add(id(node))
            stack.append((node, True))
            stack.extend((child, False) for child in children if id(child) not in measured)
            continue
        in_progress.discard(id(node))
        values = 1 + sum(measured[id(child)][0] for child in children)
        depth = 1 + max((measured[id(child)][1] for child in children), default=0)
        if values > MAX_VALUES:
            raise _refusal(shown, f"expected at most {MAX_VALUES} values once aliases are expanded, found more",
                           node.start_mark.line + 1)
        if depth > MAX_DEPTH:
            raise _refusal(shown, f"expected at most {MAX_DEPTH} levels of nesting once aliases are expanded, "
                                  "found more", node.start_mark.line + 1)
        measured[id(node)] = values, depth
