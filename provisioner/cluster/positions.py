"""Where a problem is: the line of a key or list item, and the key path as the file reads it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import yaml

from provisioner.cluster.model import NAME_MAX_LENGTH, NAME_PATTERN

Path = tuple[str | int, ...]
# Keys shown as written; anything else (a line break, markup, an empty key) is shown quoted.
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_-]+")
# Host names are shown next to their index only when they are valid names (an invalid one has its own error).
_SHOWN_HOST_NAME = re.compile(NAME_PATTERN)


class Positions:
    """Maps a field path such as ("hosts", 2, "address") to the 1-based line where it is written."""

    def __init__(self, root: yaml.Node | None, data: Any = None) -> None:
        self._lines: dict[Path, int] = {}
        self.duplicate_keys: list[tuple[Path, int]] = []
        self.host_names = _host_names(data)
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

    def field(self, path: Path) -> str:
        """The path as the file reads it, naming the host: ("hosts", 3, "roles") -> "hosts[3] (e1).roles"."""
        return format_path(path, self.host_names)


def _host_names(data: Any) -> dict[int, str]:
    hosts = data.get("hosts") if isinstance(data, dict) else None
    if not isinstance(hosts, list):
        return {}
    return {index: host["name"] for index, host in enumerate(hosts)
            if isinstance(host, dict) and isinstance(host.get("name"), str)
            and len(host["name"]) <= NAME_MAX_LENGTH and _SHOWN_HOST_NAME.fullmatch(host["name"])}


def format_path(path: Path, host_names: dict[int, str] | None = None) -> str:
    """("hosts", 2, "address") -> "hosts[2] (cp3).address", the way the file's keys read."""
    text = ""
    for position, part in enumerate(path):
        if isinstance(part, int):
            text += f"[{part}]"
            if position == 1 and path[0] == "hosts" and host_names and part in host_names:
                text += f" ({host_names[part]})"
            continue
        key = part if _PLAIN_KEY.fullmatch(part) else repr(part)
        text += f".{key}" if text else key
    return text
