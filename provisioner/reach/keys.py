"""Before any host is contacted: the SSH private keys the hosts are reached with exist on this machine."""

from __future__ import annotations

import os

from provisioner.cluster.positions import format_path
from provisioner.cluster.topology import Topology
from provisioner.errors import Problem
from provisioner.providers.base import SshTarget


def missing_private_keys(topology: Topology, targets: list[SshTarget]) -> list[Problem]:
    """One problem per cluster-file key (or per host for a host-level key) that is not a file here."""
    shown = str(topology.source)
    index_of = {host.name: index for index, host in enumerate(topology.hosts)}
    problems: dict[str, Problem] = {}
    for target in targets:
        key = target.connection.private_key
        if not key or os.path.isfile(os.path.expanduser(key)):
            continue
        index = index_of[target.host]
        if topology.hosts[index].ssh.private_key:
            field = format_path(("hosts", index, "ssh", "private_key"), {index: target.host})
        elif topology.cluster.ssh.private_key:
            field = "ssh.private_key"
        else:  # recorded by `provisioner vagrant up`
            field = f"{target.host} (from vagrant ssh-config)"
        problems.setdefault(field, Problem(shown, field, f"expected a private key file on this machine, "
                                                         f"{key} is not one"))
    return list(problems.values())
