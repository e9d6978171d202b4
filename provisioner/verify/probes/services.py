"""systemd unit states, several units in one round trip."""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class UnitState:
    active: str   # active, inactive, failed, activating, ...
    enabled: str  # enabled, disabled, masked, not-found, ...

    @property
    def running(self) -> bool:
        return self.active == "active"

    def describe(self) -> str:
        return f"{self.active}, {self.enabled}"


def states_command(units: Sequence[str]) -> str:
    names = " ".join(shlex.quote(unit) for unit in units)
    # is-enabled prints nothing for an unknown unit; `not-found` keeps every line three words.
    return (f"for unit in {names}; do a=$(systemctl is-active \"$unit\"); "
            "e=$(systemctl is-enabled \"$unit\" 2>/dev/null); "
            "echo \"$unit ${a:-unknown} ${e:-not-found}\"; done")


def states(stdout: str) -> dict[str, UnitState]:
    result: dict[str, UnitState] = {}
    for line in stdout.splitlines():
        words = line.split()
        if len(words) >= 3:
            result[words[0]] = UnitState(words[1], words[2])
    return result
