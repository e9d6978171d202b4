"""A lab's state folder: where each file lives, and the record of what `up` created.

The record lets `down` undo exactly what was made, even when called with a different host list; names
are also derivable (names.py), so a lost or half-written record never leaves anything behind.
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from provisioner.atomic import write_atomically

DEFAULT_STATE_ROOT = Path("/var/lib/provisioner/labs")


@dataclass(frozen=True)
class LabPaths:
    state_dir: Path

    @property
    def record(self) -> Path:
        return self.state_dir / "lab.json"

    @property
    def private_key(self) -> Path:
        return self.state_dir / "id_ed25519"

    @property
    def known_hosts(self) -> Path:
        return self.state_dir / "known_hosts"

    @property
    def machines(self) -> Path:
        return self.state_dir / "machines"

    def machine_dir(self, host: str) -> Path:
        return self.machines / host

    def root(self, host: str) -> Path:
        return self.machine_dir(host) / "root"

    def host_key(self, host: str) -> Path:
        return self.machine_dir(host) / "ssh_host_ed25519_key"

    def console_log(self, host: str) -> Path:
        return self.machine_dir(host) / "console.log"


@dataclass
class MachineRecord:
    address: ipaddress.IPv4Address
    machine: str
    netns: str
    veth: str
    pid: int | None = None
    front_veth: str | None = None  # the bastion's leg in the front network


@dataclass
class LabRecord:
    cluster: str
    subnet: ipaddress.IPv4Network
    bridge: str
    bridge_address: ipaddress.IPv4Address
    image: Path
    machines: dict[str, MachineRecord] = field(default_factory=dict)
    front_subnet: ipaddress.IPv4Network | None = None  # set when the lab has a bastion


def load_record(path: Path) -> LabRecord | None:
    """The record, or None when there is none or it is unreadable (a crash mid-write)."""
    try:
        data = json.loads(path.read_text())
        return LabRecord(
            cluster=data["cluster"],
            subnet=ipaddress.IPv4Network(data["subnet"]),
            bridge=data["bridge"],
            bridge_address=ipaddress.IPv4Address(data["bridge_address"]),
            image=Path(data["image"]),
            machines={host: MachineRecord(
                address=ipaddress.IPv4Address(machine["address"]), machine=machine["machine"],
                netns=machine["netns"], veth=machine["veth"], pid=machine.get("pid"),
                front_veth=machine.get("front_veth"),
            ) for host, machine in data["machines"].items()},
            front_subnet=ipaddress.IPv4Network(data["front_subnet"]) if data.get("front_subnet") else None,
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def save_record(path: Path, record: LabRecord) -> None:
    write_atomically(path, json.dumps(asdict(record), default=_plain, indent=2, sort_keys=True) + "\n")


def _plain(value: Any) -> str:
    if isinstance(value, ipaddress.IPv4Address | ipaddress.IPv4Network | Path):
        return str(value)
    raise TypeError(f"cannot record {value!r}")
