"""Values the lab takes and hands back."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path


@dataclass(frozen=True)
class LabHost:
    """One host of the cluster file that becomes one machine."""

    name: str
    address: ipaddress.IPv4Address


class MachineState(StrEnum):
    RUNNING = "running"
    STOPPED = "stopped"
    ABSENT = "absent"


@dataclass(frozen=True)
class MachineStatus:
    host: str
    machine: str
    address: ipaddress.IPv4Address
    state: MachineState


@dataclass(frozen=True)
class LabConnection:
    """How SSH reaches every machine of a lab: same user, port, key and known_hosts for all."""

    user: str
    port: int
    private_key: Path
    known_hosts: Path
