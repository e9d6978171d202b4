"""Private copies of the lab examples, so verify's labs never take the examples' names or addresses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from tests.conftest import EXAMPLES

# 198.18.2.0/24 is this suite's own: the examples use 198.18.0.x, other suites other /24s.
SUBNET_PREFIX = "198.18.2."
LAB_STATE_ROOT = Path("/var/lib/provisioner/labs")


def derived_cluster(example: str, name: str, folder: Path, prefix: str = SUBNET_PREFIX) -> Path:
    """inventories/<example>/cluster.yaml with its name, addresses (moved to the /24 `prefix`) and SSH paths
    replaced; returns the copy."""
    data: dict[str, Any] = yaml.safe_load((EXAMPLES / example / "cluster.yaml").read_text())
    data["name"] = name
    data["endpoint"]["address"] = moved(data["endpoint"]["address"], prefix)
    data["ssh"]["private_key"] = str(LAB_STATE_ROOT / name / "id_ed25519")
    data["ssh"]["known_hosts"] = str(LAB_STATE_ROOT / name / "known_hosts")
    for host in data["hosts"]:
        host["address"] = moved(host["address"], prefix)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "cluster.yaml"
    target.write_text(yaml.safe_dump(data, sort_keys=False))
    return target


def ssh_argv(cluster_name: str, address: str, command: str) -> list[str]:
    """Plain ssh to a lab machine, built here rather than by the tool: faults come from outside it."""
    state = LAB_STATE_ROOT / cluster_name
    return ["ssh", "-F", "none", "-i", str(state / "id_ed25519"), "-o", "BatchMode=yes",
            "-o", "StrictHostKeyChecking=yes", "-o", f"UserKnownHostsFile={state / 'known_hosts'}",
            "-o", "ConnectTimeout=10", f"root@{address}", command]


def moved(address: str, prefix: str = SUBNET_PREFIX) -> str:
    """An example's address in a suite's /24 (verify's by default)."""
    return prefix + address.rsplit(".", 1)[1]
