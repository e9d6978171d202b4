"""The libvirt networks a rendered Vagrantfile asks for, and whether the cluster's addresses fit them.

vagrant-libvirt puts the hosts' addresses on one network per cluster with a /24 netmask and gives
this machine its .1; the management network is another /24 (or larger) of its own. Checked before
anything is rendered or started, so a clash is one line per problem rather than a half-created VM.
"""

from __future__ import annotations

import ipaddress

from provisioner.cluster.topology import Topology
from provisioner.errors import Problem, UsageError

PRIVATE_PREFIX = 24
# Inside a VM of a box that names its NICs ethN (the one `provisioner vagrant box build` makes, Debian's):
# eth0 is on the management network, eth1 carries the cluster address.
VM_CLUSTER_INTERFACE = "eth1"


def address_problems(topology: Topology) -> list[str]:
    if topology.cluster.vagrant.provider != "libvirt":
        return []
    management = ipaddress.ip_network(topology.cluster.vagrant.management_network.address)
    problems: list[str] = []
    networks: set[ipaddress.IPv4Network] = set()
    for index, host in enumerate(topology.cluster.hosts):
        where = f"{topology.source}: hosts[{index}].address"
        address = ipaddress.ip_address(host.address)
        if not isinstance(address, ipaddress.IPv4Address):
            problems.append(f"{where}: expected an IPv4 address for vagrant-libvirt, got {address}")
            continue
        network = ipaddress.IPv4Network(f"{address}/{PRIVATE_PREFIX}", strict=False)
        networks.add(network)
        if address == network.network_address + 1:
            problems.append(f"{where}: expected an address other than {address}, the .1 of {network} "
                            "that libvirt gives to this machine")
        if address in management:
            problems.append(f"{where}: expected an address outside vagrant.management_network.address "
                            f"{management}, got {address}")
    if len(networks) > 1:
        listed = ", ".join(str(network) for network in sorted(networks))
        problems.append(f"{topology.source}: hosts: expected every address in one /{PRIVATE_PREFIX} "
                        f"(one libvirt network), got {listed}")
    return problems


def interface_warnings(topology: Topology) -> list[Problem]:
    """keepalived binds the VIP to endpoint.interface, as the cluster file says for every kind of host:
    a name other than the VMs' cluster interface is worth a word before they start (a box of another
    naming may have it; if not, keepalived's check at apply refuses it and says why)."""
    endpoint = topology.cluster.endpoint
    if not topology.load_balancer_hosts or endpoint is None or endpoint.interface == VM_CLUSTER_INTERFACE:
        return []
    return [Problem(str(topology.source), "endpoint.interface",
                    f"{endpoint.interface}: inside VMs of the box `provisioner vagrant box build` makes (and "
                    f"Debian's) the cluster address is on {VM_CLUSTER_INTERFACE}, where keepalived must put the VIP")]


class AddressesDoNotFit(UsageError):
    """The cluster's addresses cannot be carried by the VMs' networks: one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems

    def lines(self) -> list[str]:
        return list(self.problems)
