"""The lab's network on this machine: one bridge per lab, and per machine a network namespace joined to
the bridge by a veth pair. The namespaces are made here rather than by nspawn so their names (and the
15-character interface names) are ours, and `down` can remove them by name after a crash.

There is deliberately no default route, NAT or forwarding: machines reach each other and this machine's
bridge address, nothing else.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import signal
import time
from collections.abc import Iterable
from typing import Any

from provisioner.providers.lab import names
from provisioner.providers.lab.commands import run
from provisioner.providers.lab.errors import LabError


def ensure_bridge(cluster: str, address: ipaddress.IPv4Address, subnet: ipaddress.IPv4Network) -> str:
    bridge = names.bridge_name(cluster)
    existing = _links().get(bridge)
    if existing is None:
        # Snooping off: VRRP and other multicast between machines is flooded to every port.
        run(["ip", "link", "add", "name", bridge, "type", "bridge", "mcast_snooping", "0"])
        run(["ip", "link", "set", "dev", bridge, "alias", names.bridge_alias(cluster)])
    elif names.cluster_from_alias(existing.get("ifalias", "")) != cluster:
        raise LabError(f"interface {bridge} exists but does not belong to lab {cluster!r}: remove it first")
    interface = f"{address}/{subnet.prefixlen}"
    if ipaddress.IPv4Interface(interface) not in _ipv4_interfaces().get(bridge, []):
        run(["ip", "address", "add", interface, "dev", bridge])
    run(["ip", "link", "set", "dev", bridge, "up"])
    return bridge


def check_subnet_free(cluster: str, subnet: ipaddress.IPv4Network) -> None:
    """Refuses a subnet another lab, or anything else on this machine, already uses."""
    own_bridge = names.bridge_name(cluster)
    links = _links()
    for link, interfaces in _ipv4_interfaces().items():
        if link == own_bridge:
            continue
        for interface in interfaces:
            if not interface.network.overlaps(subnet):
                continue
            owner = names.cluster_from_alias(links.get(link, {}).get("ifalias", ""))
            if owner is not None:
                raise LabError(f"lab {owner!r} already uses {interface.network} (bridge {link}): "
                               f"give lab {cluster!r} addresses in another /24 of 198.18.0.0/15")
            raise LabError(f"{subnet} overlaps {interface} on interface {link} of this machine: "
                           "pick another /24 inside 198.18.0.0/15")


def ensure_machine_network(cluster: str, host: str, address: ipaddress.IPv4Address,
                           subnet: ipaddress.IPv4Network) -> tuple[str, str]:
    """The machine's namespace with its end of the veth addressed and up; returns (netns, veth)."""
    netns = names.netns_name(cluster, host)
    veth = names.veth_name(cluster, address)
    if netns not in list_netns():
        run(["ip", "netns", "add", netns])
    guest = names.GUEST_INTERFACE
    if run(["ip", "-n", netns, "link", "show", guest], check=False).returncode != 0:
        if veth in _links():  # its peer went with an earlier namespace
            run(["ip", "link", "del", veth])
        run(["ip", "link", "add", veth, "type", "veth", "peer", "name", guest, "netns", netns])
    run(["ip", "link", "set", "dev", veth, "master", names.bridge_name(cluster), "up"])
    run(["ip", "-n", netns, "address", "flush", "dev", guest])
    run(["ip", "-n", netns, "address", "add", f"{address}/{subnet.prefixlen}", "dev", guest])
    run(["ip", "-n", netns, "link", "set", "dev", "lo", "up"])
    run(["ip", "-n", netns, "link", "set", "dev", guest, "up"])
    return netns, veth


def set_link(link: str, *, up: bool) -> None:
    run(["ip", "link", "set", "dev", link, "up" if up else "down"])


def remove_lab_network(cluster: str, recorded: Iterable[str] = ()) -> None:
    """Removes the lab's namespaces, veths and bridge: those recorded and any found by name prefix."""
    recorded = set(recorded)
    for netns in list_netns():
        if netns.startswith(names.netns_prefix(cluster)) or netns in recorded:
            kill_processes_in(netns)
            run(["ip", "netns", "del", netns])
    bridge = names.bridge_name(cluster)
    for link in _links():
        if not (link.startswith(names.veth_prefix(cluster)) or link in recorded or link == bridge):
            continue
        # A veth may vanish with its namespace between listing and deleting.
        if run(["ip", "link", "del", link], check=False).returncode != 0 and link in _links():
            raise LabError(f"could not delete interface {link}")


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
