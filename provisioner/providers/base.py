"""What every provider does: make the cluster's hosts exist, then say how SSH reaches each of them.

Everything after "the hosts answer SSH" (inventory, apply, verify, ping) reads only `SshTarget`s, so
it is the same code whether the hosts are real servers, Vagrant VMs or lab machines.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from provisioner.cluster.model import Host
from provisioner.cluster.topology import Connection, Topology

# One line of progress for the operator ("Starting cp1"); providers never print themselves.
Progress = Callable[[str], None]


def quiet(_: str) -> None:
    """The progress callback used when the caller wants none."""


@dataclass(frozen=True)
class SshTarget:
    """How to reach one host of the cluster file over SSH.

    `address` is where ssh connects; it is the host's cluster address for real servers and the lab,
    but the address Vagrant forwards for a VM. The cluster address stays what etcd, kubeadm and
    keepalived use between the hosts.
    """

    host: str
    address: str
    connection: Connection

    @property
    def endpoint(self) -> str:
        """address:port as an operator reads it (IPv6 in brackets)."""
        shown = f"[{self.address}]" if ":" in self.address else self.address
        return f"{shown}:{self.connection.port}"


def cluster_target(topology: Topology, host: Host) -> SshTarget:
    """The target the cluster file alone describes: the host's address and its merged ssh settings."""
    return SshTarget(host.name, host.address, topology.connection(host))


class Provider(ABC):
    """Brings hosts up and down and hands out their SSH targets.

    `up` is idempotent: hosts already up are left as they are. When it returns, every host answers
    SSH with the settings `targets` gives. `down` removes only what `up` created.
    """

    # Name used on the command line and in messages: static, vagrant, lab.
    name: ClassVar[str]

    def __init__(self, topology: Topology) -> None:
        self.topology = topology

    @abstractmethod
    def up(self, progress: Progress = quiet) -> list[SshTarget]:
        """Makes every host exist and answer SSH; returns their targets in cluster-file order."""

    @abstractmethod
    def down(self, progress: Progress = quiet) -> None:
        """Removes the hosts `up` created; a second call finds nothing to do."""

    def targets(self) -> list[SshTarget]:
        """How to reach each host now, in cluster-file order; changes nothing.

        The default is the cluster file's own settings; a provider that assigns its own addresses
        or keys (Vagrant) overrides this.
        """
        return [cluster_target(self.topology, host) for host in self.topology.hosts]

    def target(self, host: str) -> SshTarget:
        for target in self.targets():
            if target.host == host:
                return target
        raise KeyError(host)
