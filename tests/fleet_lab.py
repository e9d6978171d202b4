"""A lab shaped like a typical fleet, for tests of apply, verify, ping (and drills) against one.

The cluster file says how the hosts are reached, and the lab makes its machines accept exactly that:
- the hosts on 198.18.12.0/24, a network this machine has no route to, behind a bastion machine
  (`jump@198.18.13.10`) whose front leg shares 198.18.13.0/24 with this machine;
- a non-root login user with passwordless sudo (`admin`, `become: true`) and sshd on port 2222;
- cp3 with its own user and port (`ops`, 2200).
Stacked etcd with three members, no load balancers, no Kubernetes: small, yet every path is taken.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from provisioner.cluster.load import load_topology
from provisioner.providers.lab import Lab, lab_for
from tests.apply.labs import run_on
from tests.conftest import CliResult, run_cli

NAME = "fl-fleet"
SUBNET = "198.18.12"
FRONT = "198.18.13"
BASTION = f"jump@{FRONT}.10"
# Where the bastion sits in the hosts' network: the address this machine would have had there.
BASTION_INSIDE = f"{SUBNET}.254"


def fleet_cluster(state_root: Path) -> dict[str, Any]:
    state = state_root / NAME
    return {
        "name": NAME,
        "layout": "stacked",
        "endpoint": {"address": f"{SUBNET}.100", "load_balancer": "external"},
        "ssh": {"user": "admin", "port": 2222, "become": True, "bastion": BASTION,
                "private_key": str(state / "id_ed25519"), "known_hosts": str(state / "known_hosts")},
        "kubernetes": {"install": "none"},
        "hosts": [
            {"name": "cp1", "address": f"{SUBNET}.11", "roles": ["control_plane"]},
            {"name": "cp2", "address": f"{SUBNET}.12", "roles": ["control_plane"]},
            {"name": "cp3", "address": f"{SUBNET}.13", "roles": ["control_plane"],
             "ssh": {"user": "ops", "port": 2200}},
        ],
    }


@dataclass
class FleetLab:
    """The lab, its cluster file and the folder apply renders into."""

    folder: Path
    cluster_file: Path
    lab: Lab
    data: dict[str, Any]

    @property
    def out(self) -> Path:
        return self.folder / "build"

    def address(self, host: str) -> str:
        return str(next(entry["address"] for entry in self.data["hosts"] if entry["name"] == host))

    def variant(self, name: str, **ssh: Any) -> Path:
        """A copy of the cluster file with some `ssh` keys changed, in a folder of its own."""
        data = {**self.data, "ssh": {**self.data["ssh"], **ssh}}
        path = self.folder / name / "cluster.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        return path

    def run(self, command: str, cluster_file: Path | None = None, *arguments: str) -> CliResult:
        """`provisioner COMMAND CLUSTER --out ...`, every variant rendering into the one build folder.

        One folder because it holds the cluster's CA: a variant rendered elsewhere would issue a new
        CA, which apply rightly refuses on hosts that already run the recorded one.
        """
        return run_cli(command, str(cluster_file or self.cluster_file), "--out", str(self.out), *arguments)

    def ssh(self, host: str, command: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """As root, with the lab's own key, through the bastion: the lab's back door, not the tool's path."""
        return run_on(self.lab, host, command, check)


def fleet_lab(folder: Path) -> FleetLab:
    """The cluster file written and its Lab built; nothing is started."""
    state_root = folder / "labs"
    data = fleet_cluster(state_root)
    cluster_file = folder / "cluster.yaml"
    folder.mkdir(parents=True, exist_ok=True)
    cluster_file.write_text(yaml.safe_dump(data, sort_keys=False))
    topology, _ = load_topology(cluster_file)
    return FleetLab(folder, cluster_file, lab_for(topology, state_root=state_root), data)
