"""Lab copies of the example cluster files: own names and addresses, so the examples' labs stay free.

Other people run labs on the same machine, so every lab here is named <prefix><layout> (apply's: ap-),
lives on its suite's own /24 (apply's: 198.18.1.0/24, VIP .100) and keeps its state (key, known_hosts,
machines) under a folder of the test.
"""

from __future__ import annotations

import ipaddress
import json
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from provisioner.cluster.load import load_topology
from provisioner.cluster.topology import Topology
from provisioner.providers.lab import Lab, LabHost
from tests.conftest import EXAMPLES, CliResult, run_cli

SUBNET = "198.18.1"


def lab_cluster_file(example: str, folder: Path, state_root: Path, *, prefix: str = "ap-", subnet: str = SUBNET,
                     **overrides: Any) -> Path:
    """Writes folder/<name>/cluster.yaml: the example renamed to <prefix><layout>, moved to <subnet>.x, with
    SSH settings pointing at the lab's state under state_root. `overrides` replace top-level keys."""
    data = yaml.safe_load((EXAMPLES / example / "cluster.yaml").read_text())
    name = prefix + example.removeprefix("lab-")
    data["name"] = name
    data["endpoint"]["address"] = _moved(data["endpoint"]["address"], subnet)
    for host in data["hosts"]:
        host["address"] = _moved(host["address"], subnet)
    data["ssh"]["private_key"] = str(state_root / name / "id_ed25519")
    data["ssh"]["known_hosts"] = str(state_root / name / "known_hosts")
    data.update(overrides)
    path = folder / name / "cluster.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def _moved(address: str, subnet: str) -> str:
    return f"{subnet}.{address.rsplit('.', 1)[1]}"


def topology_of(cluster_file: Path) -> Topology:
    topology, _ = load_topology(cluster_file)
    return topology


def lab_for(topology: Topology, state_root: Path) -> Lab:
    hosts = [LabHost(host.name, ipaddress.IPv4Address(host.address)) for host in topology.hosts]
    return Lab(topology.name, hosts, state_root=state_root)


@dataclass
class LabCluster:
    """A lab copy of an example, its machines and the folder apply renders into."""

    example: str
    cluster_file: Path
    lab: Lab
    out: Path
    # Read straight from the cluster file, so checks do not lean on the code they check.
    data: dict[str, Any]

    @property
    def layout(self) -> str:
        return str(self.data["layout"])

    def hosts_with(self, role: str) -> list[dict[str, Any]]:
        return [host for host in self.data["hosts"] if role in host["roles"]]

    @property
    def etcd_members(self) -> list[dict[str, Any]]:
        return self.hosts_with("control_plane" if self.layout == "stacked" else "etcd")

    @property
    def vip(self) -> str:
        return str(self.data["endpoint"]["address"])

    def reload(self) -> None:
        self.data = yaml.safe_load(self.cluster_file.read_text())

    def apply(self, report: Path | None = None) -> CliResult:
        arguments = ["apply", str(self.cluster_file), "--out", str(self.out)]
        return run_cli(*arguments, *(["--report", str(report)] if report else []))

    def ssh(self, host: str, command: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return run_on(self.lab, host, command, check)


@contextmanager
def applied_lab(cluster_file: Path, state_root: Path, out: Path, example: str | None = None) -> Iterator[LabCluster]:
    """The cluster file's machines up (state under state_root) and applied into `out`; torn down whatever
    happens. `example`: the example the file copies (default: the cluster's name)."""
    lab = lab_for(topology_of(cluster_file), state_root)
    try:
        lab.up()
        cluster = LabCluster(example or topology_of(cluster_file).name, cluster_file, lab, out, {})
        cluster.reload()
        result = cluster.apply()
        assert result.exit_code == 0, result.stdout + result.stderr
        yield cluster
    finally:
        lab.down()


def run_on(lab: Lab, host: str, command: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """`command` on a lab machine as root, over the lab's own SSH access (through its bastion if any)."""
    result = subprocess.run(lab.ssh_command(host, [command]), capture_output=True, text=True, timeout=120,
                            check=False)
    if check:
        assert result.returncode == 0, f"{host}: `{command}` failed: {result.stderr.strip()}"
    return result


def changed_per_host(report: Path) -> dict[str, int]:
    return {host: counts["changed"] for host, counts in json.loads(report.read_text())["hosts"].items()}
