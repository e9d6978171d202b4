"""Owner and mode of several paths in one round trip."""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class FileFacts:
    path: str
    owner: str
    group: str
    mode: int

    def describe(self) -> str:
        return f"{self.path} {self.owner}:{self.group} {self.mode:04o}"


def stat_command(paths: Sequence[str]) -> str:
    # Missing paths only print to stderr; the caller sees them as absent.
    return f"stat -c '%n|%U|%G|%a' {' '.join(shlex.quote(path) for path in paths)} 2>/dev/null; true"


def stats(stdout: str) -> dict[str, FileFacts]:
    found: dict[str, FileFacts] = {}
    for line in stdout.splitlines():
        parts = line.rsplit("|", 3)
        if len(parts) == 4:
            path, owner, group, mode = parts
            found[path] = FileFacts(path, owner, group, int(mode, 8))
    return found
