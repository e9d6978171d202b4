"""A Vagrantfile with one VM per host, sized by its most demanding role."""

from __future__ import annotations

from typing import Any

from provisioner.cluster.model import Resources
from provisioner.cluster.topology import Topology
from provisioner.render.templating import render_template


def vagrantfile(topology: Topology) -> str:
    settings = topology.cluster.vagrant
    hosts: list[dict[str, Any]] = []
    for host in topology.hosts:
        sizes: list[Resources] = [getattr(settings, role) for role in sorted(topology.roles_of(host))]
        hosts.append({
            "name": host.name,
            "address": host.address,
            "cpus": max(size.cpus for size in sizes),
            "memory": max(size.memory for size in sizes),
        })
    return render_template("Vagrantfile.j2", cluster_name=topology.name, layout=topology.layout,
                           box=settings.box, provider=settings.provider, hosts=hosts,
                           management_network=settings.management_network, isolated=settings.isolated,
                           forward_mode="none" if settings.isolated else "nat",
                           private_network_name=private_network_name(topology))


def private_network_name(topology: Topology) -> str:
    """The libvirt network of the cluster's addresses: one per cluster, so clusters never share one."""
    return f"provisioner-{topology.name}"
