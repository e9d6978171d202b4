"""Which addresses a lab may use, and where this machine sits on the lab bridge.

Lab traffic must never leave this machine, so addresses are confined to 198.18.0.0/15 (RFC 2544,
benchmarking: never routed on the internet) and machines get no default route.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence

from provisioner.providers.lab.errors import LabError
from provisioner.providers.lab.model import LabHost
from provisioner.providers.lab.names import MACHINE_NAME_MAX, machine_name

LAB_RANGE = ipaddress.IPv4Network("198.18.0.0/15")
SUBNET_PREFIX = 24
# The bridge takes the highest free address of the /24, .254 unless a host already has it.
PREFERRED_BRIDGE_OCTET = 254
_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")


def check_name(kind: str, name: str) -> None:
    if not _NAME.match(name):
        raise LabError(f"{kind} name {name!r} must be lowercase letters, digits and inner dashes")


def lab_subnet(cluster: str, hosts: Sequence[LabHost]) -> ipaddress.IPv4Network:
    """The /24 all hosts share; refuses anything that could leak out of this machine or collide."""
    check_name("cluster", cluster)
    if not hosts:
        raise LabError(f"lab {cluster!r} has no hosts")
    names: set[str] = set()
    addresses: set[ipaddress.IPv4Address] = set()
    for host in hosts:
        check_name("host", host.name)
        if len(machine_name(cluster, host.name)) > MACHINE_NAME_MAX:
            raise LabError(f"machine name {machine_name(cluster, host.name)!r} is longer than "
                           f"{MACHINE_NAME_MAX} characters: shorten the cluster or host name")
        if host.name in names:
            raise LabError(f"host {host.name!r} appears twice in lab {cluster!r}")
        if host.address in addresses:
            raise LabError(f"address {host.address} is given to two hosts in lab {cluster!r}")
        if host.address not in LAB_RANGE:
            raise LabError(f"{host.name}: address {host.address} is outside {LAB_RANGE}, "
                           "the only range lab machines may use")
        names.add(host.name)
        addresses.add(host.address)
    subnet = ipaddress.IPv4Network(f"{hosts[0].address}/{SUBNET_PREFIX}", strict=False)
    for host in hosts:
        if host.address not in subnet:
            raise LabError(f"{host.name}: address {host.address} is outside {subnet}: "
                           "all hosts of a lab must share one /24")
        if host.address in (subnet.network_address, subnet.broadcast_address):
            raise LabError(f"{host.name}: address {host.address} is the network or broadcast "
                           f"address of {subnet}")
    return subnet


def bridge_address(subnet: ipaddress.IPv4Network, hosts: Sequence[LabHost]) -> ipaddress.IPv4Address:
    taken = {host.address for host in hosts}
    for octet in range(PREFERRED_BRIDGE_OCTET, 0, -1):
        candidate = subnet.network_address + octet
        if candidate not in taken:
            return candidate
    raise LabError(f"no free address is left in {subnet} for this machine's end of the lab bridge")


def front_subnet(bastion: ipaddress.IPv4Address, subnet: ipaddress.IPv4Network) -> ipaddress.IPv4Network:
    """The /24 in front of a lab's bastion: in the lab range, and another network than the hosts'."""
    if bastion not in LAB_RANGE:
        raise LabError(f"bastion address {bastion} is outside {LAB_RANGE}, the only range lab machines may use")
    front = ipaddress.IPv4Network(f"{bastion}/{SUBNET_PREFIX}", strict=False)
    if front == subnet:
        raise LabError(f"bastion address {bastion} is in the hosts' network {subnet}: a bastion stands in front "
                       "of the hosts, give it an address in another /24 of 198.18.0.0/15")
    if bastion in (front.network_address, front.broadcast_address):
        raise LabError(f"bastion address {bastion} is the network or broadcast address of {front}")
    return front
