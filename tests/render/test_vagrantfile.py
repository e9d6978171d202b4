"""The rendered Vagrantfile keeps VMs on the networks the cluster file names, isolated unless it says not."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from provisioner.cluster.load import load_topology
from provisioner.providers import StaticProvider, ssh_targets
from provisioner.providers.vagrant import VM_SSH_TIMEOUT_SECONDS, MachineSsh
from provisioner.providers.vagrant.record import record_machines
from provisioner.render import render
from provisioner.render.inventory import inventory
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


def test_recorded_vms_change_neither_the_tree_nor_keepalived_but_the_runs_targets_wait_longer(tmp_path: Path) -> None:
    out = _rendered(tmp_path)
    topology = load_topology(tmp_path / "cluster.yaml")[0]
    before = {path: path.read_bytes() for path in out.rglob("*") if path.is_file()}
    record_machines(out, "libvirt", {name: MachineSsh(name, address, 22, "vagrant", ()) for name, address in
                                     (("cp1", "198.19.255.20"), ("lb1", "198.19.255.21"))})
    assert render(topology, out).files.written == []
    assert {path: path.read_bytes() for path in before} == before
    assert re.search(r"^\s*interface host0$", (out / "hosts" / "lb1" / "keepalived.conf").read_text(), re.MULTILINE)
    assert "ansible_ssh_timeout" not in (out / "inventory.yml").read_text()
    check_rendered(topology, out)  # verify takes the tree as its own with VMs recorded
    # The inventory apply writes for its run, from the targets the command passes in.
    run_hosts = inventory(topology, ssh_targets(topology, out))["all"]["hosts"]
    assert {name: (vars_["ansible_host"], vars_["ansible_ssh_timeout"]) for name, vars_ in run_hosts.items()} == {
        "cp1": ("198.19.255.20", VM_SSH_TIMEOUT_SECONDS), "lb1": ("198.19.255.21", VM_SSH_TIMEOUT_SECONDS)}
    assert "ansible_ssh_timeout" not in str(inventory(topology, StaticProvider(topology).targets()))
