"""Addresses the VMs' libvirt networks cannot carry are refused before anything is rendered or started."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from provisioner.cluster.load import load_topology
from provisioner.providers.vagrant.networks import address_problems, interface_warnings
from tests.conftest import run_cli


def _cluster(tmp_path: Path, addresses: list[str], **vagrant: Any) -> Path:
    cluster_file = tmp_path / "cluster.yaml"
    cluster_file.write_text(yaml.safe_dump({
        "name": "demo", "layout": "stacked", "vagrant": vagrant,
        "endpoint": {"address": addresses[0], "load_balancer": "none"},
        "hosts": [{"name": f"cp{n}", "address": address, "roles": ["control_plane"]}
                  for n, address in enumerate(addresses, start=1)],
    }))
    return cluster_file


def test_the_dot_one_a_second_subnet_and_the_management_network_are_refused_one_line_each(tmp_path: Path) -> None:
    cluster_file = _cluster(tmp_path, ["198.18.40.1", "198.18.41.12", "198.19.255.13"])
    out = tmp_path / "build"
    result = run_cli("vagrant", "up", str(cluster_file), "--out", str(out))
    assert result.exit_code == 2
    assert [line for line in result.stderr.splitlines() if line.startswith("error:")] == [
        f"error: {cluster_file}: hosts[0].address: expected an address other than 198.18.40.1, the .1 of "
        "198.18.40.0/24 that libvirt gives to this machine",
        f"error: {cluster_file}: hosts[2].address: expected an address outside vagrant.management_network.address "
        "198.19.255.0/24, got 198.19.255.13",
        f"error: {cluster_file}: hosts: expected every address in one /24 (one libvirt network), got "
        "198.18.40.0/24, 198.18.41.0/24, 198.19.255.0/24",
    ]
    assert not out.exists()


def test_virtualbox_networks_are_not_libvirts(tmp_path: Path) -> None:
    cluster_file = _cluster(tmp_path, ["192.168.56.1", "192.168.57.12"], provider="virtualbox")
    assert address_problems(load_topology(cluster_file)[0]) == []


def _balanced(tmp_path: Path, endpoint: dict[str, Any]) -> Path:
    cluster_file = tmp_path / "cluster.yaml"
    cluster_file.write_text(yaml.safe_dump({
        "name": "demo", "layout": "stacked", "endpoint": {"address": "198.18.40.100", **endpoint},
        "hosts": [{"name": "cp1", "address": "198.18.40.11", "roles": ["control_plane"]},
                  {"name": "lb1", "address": "198.18.40.31", "roles": ["load_balancer"]}],
    }))
    return cluster_file


def test_a_vip_interface_the_vms_lack_is_warned_about_and_eth1_is_not(tmp_path: Path) -> None:
    cluster_file = _balanced(tmp_path, {"interface": "host0"})
    assert [str(problem) for problem in interface_warnings(load_topology(cluster_file)[0])] == [
        f"{cluster_file}: endpoint.interface: host0: inside VMs of the box `provisioner vagrant box build` makes "
        "(and Debian's) the cluster address is on eth1, where keepalived must put the VIP"]
    assert interface_warnings(load_topology(_balanced(tmp_path, {"interface": "eth1"}))[0]) == []
    # Without keepalived there is no VIP to place.
    assert interface_warnings(load_topology(_cluster(tmp_path, ["198.18.40.11"]))[0]) == []
