"""The rendered Vagrantfile keeps VMs on the networks the cluster file names, isolated unless it says not."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from provisioner.cluster.load import load_topology
from provisioner.providers.vagrant import MachineSsh
from provisioner.providers.vagrant.record import record_machines
from provisioner.render import render
from provisioner.verify.preflight import check_rendered

BASE: dict[str, Any] = {
    "name": "demo",
    "layout": "stacked",
    "endpoint": {"address": "198.18.9.100", "interface": "host0"},
    "hosts": [{"name": "cp1", "address": "198.18.9.11", "roles": ["control_plane"]},
              {"name": "lb1", "address": "198.18.9.31", "roles": ["load_balancer"]}],
}


def _rendered(tmp_path: Path, **vagrant: Any) -> Path:
    cluster_file = tmp_path / "cluster.yaml"
    cluster_file.write_text(yaml.safe_dump({**BASE, "vagrant": vagrant} if vagrant else BASE))
    render(load_topology(cluster_file)[0], tmp_path / "build")
    return tmp_path / "build"


def _settings(vagrantfile: str) -> dict[str, str]:
    return dict(re.findall(r"""(libvirt\.\w+|libvirt__\w+)(?: =|:) ["']([^"']*)["']""", vagrantfile))


def test_by_default_the_vms_are_on_isolated_networks_inside_198_18_0_0_15(tmp_path: Path) -> None:
    settings = _settings((_rendered(tmp_path) / "Vagrantfile").read_text())
    assert settings == {
        "libvirt.default_prefix": "#{CLUSTER}-",
        "libvirt.management_network_name": "provisioner-management",
        "libvirt.management_network_address": "198.19.255.0/24",
        "libvirt.management_network_mode": "none",
        "libvirt__network_name": "provisioner-demo",
        "libvirt__forward_mode": "none",
    }
    assert "libvirt__dhcp_enabled: false" in (tmp_path / "build" / "Vagrantfile").read_text()


def test_the_cluster_file_names_the_management_network_and_may_allow_nat(tmp_path: Path) -> None:
    out = _rendered(tmp_path, management_network={"name": "lab-mgmt", "address": "198.18.30.0/24"}, isolated=False)
    settings = _settings((out / "Vagrantfile").read_text())
    assert settings["libvirt.management_network_name"] == "lab-mgmt"
    assert settings["libvirt.management_network_address"] == "198.18.30.0/24"
    assert settings["libvirt.management_network_mode"] == "nat"
    assert settings["libvirt__forward_mode"] == "nat"


def test_while_vms_are_recorded_the_vip_goes_on_their_interface_and_ansible_waits_longer(tmp_path: Path) -> None:
    out = _rendered(tmp_path, interface="ens6")
    keepalived = out / "hosts" / "lb1" / "keepalived.conf"
    assert re.search(r"^\s*interface host0$", keepalived.read_text(), re.MULTILINE)
    assert "ansible_ssh_timeout" not in (out / "inventory.yml").read_text()
    record_machines(out, "libvirt", {name: MachineSsh(name, address, 22, "vagrant", ()) for name, address in
                                     (("cp1", "198.19.255.20"), ("lb1", "198.19.255.21"))})
    render(load_topology(tmp_path / "cluster.yaml")[0], out)
    assert re.search(r"^\s*interface ens6$", keepalived.read_text(), re.MULTILINE)
    assert yaml.safe_load((out / "inventory.yml").read_text())["all"]["vars"]["ansible_ssh_timeout"] == 60
    check_rendered(load_topology(tmp_path / "cluster.yaml")[0], out)  # verify takes this tree as its own
