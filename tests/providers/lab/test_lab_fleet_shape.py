"""A lab shaped by the cluster file's ssh settings, without touching this machine: the logins and the
bastion derived from the file, ssh through the bastion, known_hosts on other ports, and what is refused."""

from __future__ import annotations

import ipaddress
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from provisioner.cluster.load import load_topology
from provisioner.errors import UsageError
from provisioner.providers.lab import Lab, LabError, LabHost, lab_for
from provisioner.providers.lab.keys import write_known_hosts
from provisioner.providers.lab.model import LabBastion, LabLogin
from provisioner.providers.lab.state import LabRecord, MachineRecord, load_record, save_record


def _cluster(tmp_path: Path, ssh: dict[str, Any], *host_ssh: dict[str, Any]) -> Path:
    hosts = [{"name": f"cp{n}", "address": f"198.18.12.1{n}", "roles": ["control_plane"]} for n in (1, 2, 3)]
    for host, overrides in zip(hosts, host_ssh, strict=False):
        if overrides:
            host["ssh"] = overrides
    path = tmp_path / "cluster.yaml"
    path.write_text(yaml.safe_dump({"name": "shape", "layout": "stacked",
                                    "endpoint": {"address": "198.18.12.100", "load_balancer": "external"},
                                    "ssh": ssh, "hosts": hosts}))
    return path


def _lab(tmp_path: Path, ssh: dict[str, Any], *host_ssh: dict[str, Any]) -> Lab:
    topology, _ = load_topology(_cluster(tmp_path, ssh, *host_ssh))
    return lab_for(topology, state_root=tmp_path / "labs")


def test_each_machine_accepts_the_user_port_and_sudo_the_file_names(tmp_path: Path) -> None:
    lab = _lab(tmp_path, {"user": "admin", "port": 2222, "become": True, "bastion": "198.18.13.10:2200"},
               {}, {}, {"user": "ops", "port": 2201, "become": False})
    logins = {host.name: host.login for host in lab.machines}
    assert logins == {
        "cp1": LabLogin(("admin",), 2222, True),
        "cp2": LabLogin(("admin",), 2222, True),
        "cp3": LabLogin(("ops",), 2201, False),
        # Without `user@`, each host's user logs in to the bastion as itself.
        "bastion": LabLogin(("admin", "ops"), 2200, False),
    }
    assert lab.bastion == LabBastion(ipaddress.IPv4Address("198.18.13.10"), LabLogin(("admin", "ops"), 2200))


def test_the_bastion_stands_in_both_networks_and_this_machine_only_in_front(tmp_path: Path) -> None:
    lab = _lab(tmp_path, {"bastion": "jump@198.18.13.10"})
    assert lab.front_subnet == ipaddress.IPv4Network("198.18.13.0/24")
    assert lab.bridge_address == ipaddress.IPv4Address("198.18.13.254")
    bastion = next(host for host in lab.machines if host.name == "bastion")
    assert bastion.address == ipaddress.IPv4Address("198.18.12.254")
    assert bastion.login.users == ("jump",)
    assert [(status.host, str(status.address)) for status in lab.status()][-1] == ("bastion", "198.18.13.10")


def test_without_a_bastion_nothing_changes(tmp_path: Path) -> None:
    lab = _lab(tmp_path, {})
    assert lab.bastion is None and lab.front_subnet is None
    assert [host.name for host in lab.machines] == ["cp1", "cp2", "cp3"]
    assert lab.bridge_address == ipaddress.IPv4Address("198.18.12.254")


def test_the_labs_own_ssh_goes_through_the_bastion_as_root(tmp_path: Path) -> None:
    lab = _lab(tmp_path, {"user": "admin", "port": 2222, "bastion": "jump@198.18.13.10:2200"})
    argv = lab.ssh_command("cp1", ["hostname"])
    assert argv[-2:] == ["root@198.18.12.11", "hostname"]
    assert argv[argv.index("-p") + 1] == "2222"
    proxy = shlex.split(next(word for word in argv if word.startswith("ProxyCommand=")).removeprefix("ProxyCommand="))
    assert proxy[-3:] == ["-W", "%h:%p", "root@198.18.13.10"]
    assert proxy[proxy.index("-p") + 1] == "2200"
    assert "StrictHostKeyChecking=yes" in proxy
    direct = lab.ssh_command("bastion", ["true"])
    assert direct[-2:] == ["root@198.18.13.10", "true"] and not any("ProxyCommand" in word for word in direct)


@pytest.mark.parametrize(("ssh", "host_ssh", "message"), [
    ({"bastion": "jump.example.net"}, {}, "a lab's bastion is a lab machine and needs an IPv4 address"),
    ({"bastion": "198.18.13.10"}, {"bastion": "198.18.14.10"}, "one bastion in front of every host or none"),
    ({}, {"bastion": "198.18.14.10"}, "one bastion in front of every host or none"),
    ({"bastion": "198.18.12.50"}, {}, "is in the hosts' network 198.18.12.0/24"),
    ({"bastion": "10.0.0.1"}, {}, "outside 198.18.0.0/15"),
])
def test_bastions_a_lab_cannot_be_are_refused(tmp_path: Path, ssh: dict[str, Any], host_ssh: dict[str, Any],
                                              message: str) -> None:
    with pytest.raises(UsageError, match=message.replace(".", r"\.").replace("(", r"\(")):
        _lab(tmp_path, ssh, host_ssh)


def test_a_host_cannot_take_the_bastions_name(tmp_path: Path) -> None:
    bastion = LabBastion(ipaddress.IPv4Address("198.18.13.10"))
    with pytest.raises(LabError, match="jump host"):
        Lab("shape", [LabHost("bastion", ipaddress.IPv4Address("198.18.12.11"))], bastion=bastion,
            state_root=tmp_path)


def test_known_hosts_names_the_port_where_it_is_not_22(tmp_path: Path) -> None:
    key = tmp_path / "key"
    key.with_suffix(".pub").write_text("ssh-ed25519 AAAAkey root@cp1\n")
    write_known_hosts(tmp_path / "known_hosts", [("cp1", ipaddress.IPv4Address("198.18.12.11"), 2222, key),
                                                 ("cp2", ipaddress.IPv4Address("198.18.12.12"), 22, key)])
    assert (tmp_path / "known_hosts").read_text().splitlines() == [
        "[198.18.12.11]:2222,[cp1]:2222 ssh-ed25519 AAAAkey", "198.18.12.12,cp2 ssh-ed25519 AAAAkey"]


def test_records_keep_the_front_network(tmp_path: Path) -> None:
    record = LabRecord(
        cluster="shape", subnet=ipaddress.IPv4Network("198.18.12.0/24"), bridge="plbx",
        bridge_address=ipaddress.IPv4Address("198.18.13.254"), image=tmp_path / "image",
        machines={"bastion": MachineRecord(ipaddress.IPv4Address("198.18.12.254"), "shape-bastion", "ns", "veth",
                                           42, front_veth="vethf")},
        front_subnet=ipaddress.IPv4Network("198.18.13.0/24"),
    )
    save_record(tmp_path / "lab.json", record)
    assert load_record(tmp_path / "lab.json") == record
