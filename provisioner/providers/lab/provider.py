"""The lab as a provider: one machine per host of the cluster file, reached as the file says."""

from __future__ import annotations

import ipaddress
from pathlib import Path

from provisioner.cluster.bastion import parse_bastion
from provisioner.cluster.topology import Topology
from provisioner.errors import UsageError
from provisioner.providers.base import Progress, Provider, SshTarget, quiet
from provisioner.providers.lab.errors import LabError
from provisioner.providers.lab.lab import Lab
from provisioner.providers.lab.model import LabBastion, LabHost, LabLogin


def lab_for(topology: Topology, *, state_root: Path | None = None) -> Lab:
    """The lab of a cluster file; a file the lab cannot host is bad input (exit 2, nothing touched).

    The machines accept what the file's ssh settings say: each host's user (with passwordless sudo when
    it has `become`) and port; with a `bastion`, the hosts sit behind a jump host machine at that address."""
    hosts: list[LabHost] = []
    for host in topology.hosts:
        address = ipaddress.ip_address(host.address)
        if not isinstance(address, ipaddress.IPv4Address):
            raise UsageError(f"{topology.source}: host {host.name}: lab machines need an IPv4 address in "
                             f"198.18.0.0/15, got {host.address}")
        connection = topology.connection(host)
        hosts.append(LabHost(host.name, address, LabLogin((connection.user,), connection.port, connection.become)))
    try:
        return Lab(topology.name, hosts, bastion=_bastion(topology), state_root=state_root)
    except LabError as error:
        raise UsageError(f"{topology.source}: {error}") from None


def _bastion(topology: Topology) -> LabBastion | None:
    """The jump host machine the hosts' `ssh.bastion` names; every host must name the same one, or none."""
    connections = {host.name: topology.connection(host) for host in topology.hosts}
    named = {connection.bastion for connection in connections.values()}
    if named == {None}:
        return None
    if len(named) > 1:
        shown = ", ".join(f"{name}: {connection.bastion or 'none'}" for name, connection in connections.items())
        raise UsageError(f"{topology.source}: a lab has one bastion in front of every host or none ({shown})")
    written = next(iter(named))
    assert written is not None
    bastion = parse_bastion(written)
    try:
        address = ipaddress.IPv4Address(bastion.host)
    except ValueError:
        raise UsageError(f"{topology.source}: ssh.bastion: a lab's bastion is a lab machine and needs an IPv4 "
                         f"address in 198.18.0.0/15, got {bastion.host}") from None
    # The bastion accepts its own user, or each host's user when it names none.
    users = (bastion.user,) if bastion.user else tuple(dict.fromkeys(c.user for c in connections.values()))
    return LabBastion(address, LabLogin(users, bastion.port))


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
