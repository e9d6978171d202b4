"""The lab's network on this machine: one bridge per lab, and per machine a network namespace joined to
the bridge by a veth pair. The namespaces are made here rather than by nspawn so their names (and the
15-character interface names) are ours, and `down` can remove them by name after a crash.

There is deliberately no default route, NAT or forwarding: machines reach each other and this machine's
bridge address, nothing else. A lab behind a bastion has two bridges: the cluster's, where this machine has
no address (and an unreachable route), and one in front where only the bastion joins this machine.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import signal
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from provisioner.providers.lab import names
from provisioner.providers.lab.commands import run
from provisioner.providers.lab.errors import LabError


@dataclass(frozen=True)
class Leg:
    """One network interface of a machine: `guest` inside it, its veth peer on this machine in `bridge`."""

    bridge: str
    veth: str
    guest: str
    address: ipaddress.IPv4Address
    subnet: ipaddress.IPv4Network


def ensure_bridge(cluster: str, bridge: str, subnet: ipaddress.IPv4Network,
                  address: ipaddress.IPv4Address | None) -> None:
    """The bridge, with this machine's `address` on it; without one, this machine has no way into the
    bridge's network (a lab behind a bastion)."""
    existing = _links().get(bridge)
    if existing is None:
        # Snooping off: VRRP and other multicast between machines is flooded to every port.
        run(["ip", "link", "add", "name", bridge, "type", "bridge", "mcast_snooping", "0"])
        run(["ip", "link", "set", "dev", bridge, "alias", names.bridge_alias(cluster)])
    elif names.cluster_from_alias(existing.get("ifalias", "")) != cluster:
        raise LabError(f"interface {bridge} exists but does not belong to lab {cluster!r}: remove it first")
    if address is not None:
        interface = f"{address}/{subnet.prefixlen}"
        if ipaddress.IPv4Interface(interface) not in _ipv4_interfaces().get(bridge, []):
            run(["ip", "address", "add", interface, "dev", bridge])
    run(["ip", "link", "set", "dev", bridge, "up"])


def ensure_unreachable(subnet: ipaddress.IPv4Network) -> None:
    """A network this machine must not reach is answered "unreachable" here at once, instead of being
    sent out through the default route."""
    run(["ip", "route", "replace", "unreachable", str(subnet)])


def remove_unreachable(subnet: ipaddress.IPv4Network) -> None:
    if str(subnet) in _unreachable_routes():
        run(["ip", "route", "del", "unreachable", str(subnet)])


def check_subnet_free(cluster: str, subnet: ipaddress.IPv4Network) -> None:
    """Refuses a subnet another lab, or anything else on this machine, already uses."""
    links = _links()
    for link, interfaces in _ipv4_interfaces().items():
        owner = names.cluster_from_alias(links.get(link, {}).get("ifalias", ""))
        if owner == cluster:
            continue
        for interface in interfaces:
            if not interface.network.overlaps(subnet):
                continue
            if owner is not None:
                raise LabError(f"lab {owner!r} already uses {interface.network} (bridge {link}): "
                               f"give lab {cluster!r} addresses in another /24 of 198.18.0.0/15")
            raise LabError(f"{subnet} overlaps {interface} on interface {link} of this machine: "
                           "pick another /24 inside 198.18.0.0/15")
    own_hidden = str(subnet) if names.bridge_name(cluster) in links else None
    for route in _unreachable_routes():
        if route != own_hidden and ipaddress.IPv4Network(route).overlaps(subnet):
            raise LabError(f"{route} is already a lab network behind a bastion (an unreachable route on this "
                           "machine): pick another /24 inside 198.18.0.0/15")


def ensure_machine_network(cluster: str, host: str, legs: Sequence[Leg]) -> str:
    """The machine's namespace with the machine's end of each leg addressed and up; returns the netns."""
    netns = names.netns_name(cluster, host)
    if netns not in list_netns():
        run(["ip", "netns", "add", netns])
    for leg in legs:
        if run(["ip", "-n", netns, "link", "show", leg.guest], check=False).returncode != 0:
            if leg.veth in _links():  # its peer went with an earlier namespace
                run(["ip", "link", "del", leg.veth])
            run(["ip", "link", "add", leg.veth, "type", "veth", "peer", "name", leg.guest, "netns", netns])
        run(["ip", "link", "set", "dev", leg.veth, "master", leg.bridge, "up"])
        run(["ip", "-n", netns, "address", "flush", "dev", leg.guest])
        run(["ip", "-n", netns, "address", "add", f"{leg.address}/{leg.subnet.prefixlen}", "dev", leg.guest])
        run(["ip", "-n", netns, "link", "set", "dev", leg.guest, "up"])
    run(["ip", "-n", netns, "link", "set", "dev", "lo", "up"])
    return netns


def set_link(link: str, *, up: bool) -> None:
    run(["ip", "link", "set", "dev", link, "up" if up else "down"])


def remove_lab_network(cluster: str, recorded: Iterable[str] = ()) -> None:
    """Removes the lab's namespaces, veths and bridge: those recorded and any found by name prefix."""
    recorded = set(recorded)
    for netns in list_netns():
        if netns.startswith(names.netns_prefix(cluster)) or netns in recorded:
            kill_processes_in(netns)
            run(["ip", "netns", "del", netns])
    bridges = {names.bridge_name(cluster), names.front_bridge_name(cluster)}
    for link in _links():
        if not (link.startswith(names.veth_prefix(cluster)) or link in recorded or link in bridges):
            continue
        # A veth may vanish with its namespace between listing and deleting.
        if run(["ip", "link", "del", link], check=False).returncode != 0 and link in _links():
            raise LabError(f"could not delete interface {link}")


def link_exists(name: str) -> bool:
    return name in _links()


def list_netns() -> list[str]:
    output = run(["ip", "-j", "netns", "list"]).stdout.strip()
    return [entry["name"] for entry in json.loads(output)] if output else []


def kill_processes_in(netns: str) -> None:
    """Kills what is left in a machine's namespace once its nspawn is gone (normally nothing; after a
    crash, stray machine processes would keep the namespace and its veth alive)."""
    deadline = time.monotonic() + 10
    while pids := run(["ip", "netns", "pids", netns], check=False).stdout.split():
        if time.monotonic() > deadline:
            raise LabError(f"processes {' '.join(pids)} in network namespace {netns} survive SIGKILL")
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid), signal.SIGKILL)
        time.sleep(0.05)


def _links() -> dict[str, dict[str, Any]]:
    return {link["ifname"]: link for link in json.loads(run(["ip", "-j", "link", "show"]).stdout)}


def _ipv4_interfaces() -> dict[str, list[ipaddress.IPv4Interface]]:
    interfaces: dict[str, list[ipaddress.IPv4Interface]] = {}
    for link in json.loads(run(["ip", "-j", "-4", "address", "show"]).stdout):
        interfaces[link["ifname"]] = [
            ipaddress.IPv4Interface(f"{info['local']}/{info['prefixlen']}")
            for info in link.get("addr_info", []) if info.get("family") == "inet"
        ]
    return interfaces


def _unreachable_routes() -> list[str]:
    return [route["dst"] for route in json.loads(run(["ip", "-j", "-4", "route", "show", "type", "unreachable"]).stdout
                                                 or "[]")]
