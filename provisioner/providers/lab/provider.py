"""The lab as a provider: one machine per host of the cluster file, reached as the file says."""

from __future__ import annotations

import ipaddress

from provisioner.cluster.topology import Topology
from provisioner.errors import UsageError
from provisioner.providers.base import Progress, Provider, SshTarget, quiet
from provisioner.providers.lab.errors import LabError
from provisioner.providers.lab.lab import Lab
from provisioner.providers.lab.model import LabHost


def lab_for(topology: Topology) -> Lab:
    """The lab of a cluster file; a file the lab cannot host is bad input (exit 2, nothing touched)."""
    hosts: list[LabHost] = []
    for host in topology.hosts:
        address = ipaddress.ip_address(host.address)
        if not isinstance(address, ipaddress.IPv4Address):
            raise UsageError(f"{topology.source}: host {host.name}: lab machines need an IPv4 address in "
                             f"198.18.0.0/15, got {host.address}")
        hosts.append(LabHost(host.name, address))
    try:
        return Lab(topology.name, hosts)
    except LabError as error:
        raise UsageError(f"{topology.source}: {error}") from None


class LabProvider(Provider):
    """Lab cluster files name the lab's key and known_hosts, so the default targets reach the machines."""

    name = "lab"

    def __init__(self, topology: Topology) -> None:
        super().__init__(topology)
        self.lab = lab_for(topology)
        self._check_connection_settings()

    def _check_connection_settings(self) -> None:
        wanted = self.lab.connection
        for host in self.topology.hosts:
            connection = self.topology.connection(host)
            if connection.private_key != str(wanted.private_key) or connection.known_hosts != str(wanted.known_hosts):
                raise UsageError(
                    f"{self.topology.source}: host {host.name}: lab machines are reached with "
                    f"ssh.private_key: {wanted.private_key} and ssh.known_hosts: {wanted.known_hosts}")

    def up(self, progress: Progress = quiet) -> list[SshTarget]:
        self.lab.up(progress)
        return self.targets()

    def down(self, progress: Progress = quiet) -> None:
        progress(f"removing lab {self.topology.name}")
        self.lab.down()
