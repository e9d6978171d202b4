"""A rendered tree in memory, written so that unchanged files keep their bytes and their mtime."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from provisioner.atomic import write_atomically


def to_yaml(data: object) -> str:
    return str(yaml.safe_dump(data, sort_keys=False, default_flow_style=False, width=120))


def to_yaml_documents(documents: Sequence[object]) -> str:
    return str(yaml.safe_dump_all(documents, sort_keys=False, default_flow_style=False, width=120,
                                  explicit_start=True))


@dataclass
class Tree:
    """Files by path relative to the output folder, with the mode each must have."""

    files: dict[str, tuple[bytes, int]] = field(default_factory=dict)

    def add(self, path: str, content: str | bytes, mode: int = 0o644) -> None:
        data = content.encode() if isinstance(content, str) else content
        self.files[path] = (data, mode)


@dataclass
class WriteResult:
    written: list[str]
    unchanged: list[str]
    removed: list[str]


def write_tree(tree: Tree, out: Path) -> WriteResult:
    """Writes changed files atomically; an unchanged file keeps its bytes and mtime (its mode is corrected)."""
    result = WriteResult([], [], [])
    for relative, (data, mode) in sorted(tree.files.items()):
        target = out / relative
        if target.is_file() and target.read_bytes() == data:
            if (target.stat().st_mode & 0o777) != mode:
                target.chmod(mode)
            result.unchanged.append(relative)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(target, data, mode)
        result.written.append(relative)
    return result
