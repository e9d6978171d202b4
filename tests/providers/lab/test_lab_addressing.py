"""Lab addresses stay inside 198.18.0.0/15, share one /24, and leave room for the bridge."""

from __future__ import annotations

import ipaddress

import pytest

from provisioner.providers.lab import LabError, LabHost
from provisioner.providers.lab.addressing import bridge_address, lab_subnet


def hosts(*pairs: tuple[str, str]) -> list[LabHost]:
    return [LabHost(name, ipaddress.IPv4Address(address)) for name, address in pairs]


def test_the_subnet_is_the_24_holding_the_hosts() -> None:
    lab = hosts(("cp1", "198.19.7.11"), ("cp2", "198.19.7.12"))
    assert lab_subnet("prod", lab) == ipaddress.IPv4Network("198.19.7.0/24")


@pytest.mark.parametrize("address", ["10.0.0.11", "192.168.1.5", "198.17.255.1", "198.20.0.1"])
def test_addresses_outside_the_benchmark_range_are_refused(address: str) -> None:
    with pytest.raises(LabError, match=r"outside 198\.18\.0\.0/15"):
        lab_subnet("prod", hosts(("cp1", address)))


def test_hosts_must_share_one_24() -> None:
    with pytest.raises(LabError, match="share one /24"):
        lab_subnet("prod", hosts(("cp1", "198.18.0.11"), ("cp2", "198.18.1.11")))


@pytest.mark.parametrize("address", ["198.18.3.0", "198.18.3.255"])
def test_network_and_broadcast_addresses_are_refused(address: str) -> None:
    with pytest.raises(LabError, match="network or broadcast"):
        lab_subnet("prod", hosts(("cp1", "198.18.3.1"), ("cp2", address)))


def test_duplicate_names_and_addresses_are_refused() -> None:
    with pytest.raises(LabError, match="appears twice"):
        lab_subnet("prod", hosts(("cp1", "198.18.0.11"), ("cp1", "198.18.0.12")))
    with pytest.raises(LabError, match="two hosts"):
        lab_subnet("prod", hosts(("cp1", "198.18.0.11"), ("cp2", "198.18.0.11")))


@pytest.mark.parametrize("name", ["CP1", "cp_1", "-cp", "cp-", "", "cp.1"])
def test_host_names_are_lowercase_dns_labels(name: str) -> None:
    with pytest.raises(LabError, match="host name"):
        lab_subnet("prod", hosts((name, "198.18.0.11")))


def test_cluster_names_are_checked_too() -> None:
    with pytest.raises(LabError, match="cluster name"):
        lab_subnet("Prod", hosts(("cp1", "198.18.0.11")))


def test_machine_names_must_fit_a_host_name() -> None:
    with pytest.raises(LabError, match="longer than 64"):
        lab_subnet("c" * 40, hosts(("h" * 30, "198.18.0.11")))


def test_an_empty_lab_is_refused() -> None:
    with pytest.raises(LabError, match="no hosts"):
        lab_subnet("prod", [])


def test_the_bridge_takes_254_unless_a_host_has_it() -> None:
    subnet = ipaddress.IPv4Network("198.18.0.0/24")
    assert bridge_address(subnet, hosts(("cp1", "198.18.0.11"))) == ipaddress.IPv4Address("198.18.0.254")
    taken = hosts(("cp1", "198.18.0.254"), ("cp2", "198.18.0.253"))
    assert bridge_address(subnet, taken) == ipaddress.IPv4Address("198.18.0.252")
