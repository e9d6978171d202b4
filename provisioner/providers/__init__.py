"""Providers bring the hosts; everything after "the hosts answer SSH" reads `SshTarget`s only."""

from __future__ import annotations

from pathlib import Path

from provisioner.cluster.topology import Topology
from provisioner.providers.base import Progress, Provider, SshTarget, cluster_target, quiet
from provisioner.providers.static import StaticProvider
from provisioner.providers.vagrant import SETTINGS_FILE, VagrantProvider

__all__ = [
    "Progress",
    "Provider",
    "SshTarget",
    "StaticProvider",
    "VagrantProvider",
    "cluster_target",
    "quiet",
    "ssh_targets",
]


def ssh_targets(topology: Topology, out: Path) -> list[SshTarget]:
    """The targets inventory, apply, verify and ping use for the build folder `out`: Vagrant's settings
    while `provisioner vagrant up` has recorded them there, else the cluster file's own (real servers,
    and the lab, whose cluster files name its key and known_hosts)."""
    if (out / SETTINGS_FILE).is_file():
        return VagrantProvider(topology, out).targets()
    return StaticProvider(topology).targets()
