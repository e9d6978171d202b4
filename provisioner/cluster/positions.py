"""Line numbers of the keys and list items of a YAML document, so problems can point at a line."""

from __future__ import annotations

from collections.abc import Iterator

import yaml

Path = tuple[str | int, ...]


class Positions:
    """Maps a field path such as ("hosts", 2, "address") to the 1-based line where it is written."""

    def __init__(self, root: yaml.Node | None) -> None:
        self._lines: dict[Path, int] = {}
        self.duplicate_keys: list[tuple[Path, int]] = []
        if root is not None:
            self._lines[()] = root.start_mark.line + 1
            self._walk(root, ())

    def _walk(self, node: yaml.Node, path: Path) -> None:
        for child_path, key_line, child in self._children(node, path):
            if child_path in self._lines and isinstance(node, yaml.MappingNode):
                self.duplicate_keys.append((child_path, key_line))
            self._lines[child_path] = key_line
            self._walk(child, child_path)

    @staticmethod
    def _children(node: yaml.Node, path: Path) -> Iterator[tuple[Path, int, yaml.Node]]:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    yield (*path, key.value), key.start_mark.line + 1, value
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                yield (*path, index), item.start_mark.line + 1, item

    def line(self, path: Path) -> int | None:
        """The line of the path, or of its nearest written ancestor (a missing key points at its parent)."""
        while path:
            if path in self._lines:
                return self._lines[path]
            path = path[:-1]
        return self._lines.get(())


def format_path(path: Path) -> str:
    """("hosts", 2, "address") -> "hosts[2].address", the way the file's keys read."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text
