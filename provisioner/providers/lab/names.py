"""Names of everything a lab creates on this machine, derived from the cluster and host names alone.

Interface names are limited to 15 characters, so links carry a short hash of the cluster name instead of
the name itself. Every name starts with a per-lab prefix so `down` can find leftovers by name after a
crash, even when the recorded state is gone.
"""

from __future__ import annotations

import hashlib
import ipaddress

IFNAME_MAX = 15
# Machine names become host names inside nspawn, which allows at most 64 characters.
MACHINE_NAME_MAX = 64
BRIDGE_PREFIX = "plb"
VETH_PREFIX = "plv"
NETNS_PREFIX = "plab-"
# The machine end of every veth, as nspawn's own --network-veth would name it.
GUEST_INTERFACE = "host0"
# The bastion's second leg, in the network this machine reaches.
FRONT_GUEST_INTERFACE = "host1"
BASTION_HOST = "bastion"


def lab_id(cluster: str) -> str:
    """Eight hex digits that stand for the cluster in interface names."""
    return hashlib.sha256(cluster.encode()).hexdigest()[:8]


def machine_name(cluster: str, host: str) -> str:
    return f"{cluster}-{host}"


def bridge_name(cluster: str) -> str:
    return f"{BRIDGE_PREFIX}{lab_id(cluster)}"


def front_bridge_name(cluster: str) -> str:
    """The bridge in front of a lab with a bastion: this machine and the bastion, nothing else."""
    return f"{bridge_name(cluster)}f"


def veth_prefix(cluster: str) -> str:
    return f"{VETH_PREFIX}{lab_id(cluster)}"


def veth_name(cluster: str, address: ipaddress.IPv4Address) -> str:
    # The last octet is unique within a lab (all hosts share one /24), so names never collide in a lab.
    return f"{veth_prefix(cluster)}{int(address) & 0xFF:02x}"


def front_veth_name(cluster: str) -> str:
    return f"{veth_prefix(cluster)}f"


def netns_prefix(cluster: str) -> str:
    return f"{NETNS_PREFIX}{lab_id(cluster)}-"


def netns_name(cluster: str, host: str) -> str:
    return f"{netns_prefix(cluster)}{host}"


def bridge_alias(cluster: str) -> str:
    """Written on the bridge so another lab (or a person running `ip link`) can tell whose it is."""
    return f"provisioner lab {cluster}"


def cluster_from_alias(alias: str) -> str | None:
    prefix = bridge_alias("")
    return alias[len(prefix):] if alias.startswith(prefix) else None
