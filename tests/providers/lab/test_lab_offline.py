"""What a Lab answers without touching this machine: SSH argv, connection, status, image keys, records."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from provisioner.providers.lab import ImageSpec, Lab, LabError, LabHost, MachineState
from provisioner.providers.lab.nspawn import nspawn_argv
from provisioner.providers.lab.state import LabRecord, MachineRecord, load_record, save_record

HOSTS = [LabHost("cp1", ipaddress.IPv4Address("198.18.0.11")), LabHost("lb1", ipaddress.IPv4Address("198.18.0.31"))]


@pytest.fixture
def lab(tmp_path: Path) -> Lab:
    return Lab("prod", HOSTS, state_root=tmp_path / "labs", cache_root=tmp_path / "cache")


def test_ssh_command_is_strict_and_uses_the_lab_key(lab: Lab, tmp_path: Path) -> None:
    argv = lab.ssh_command("cp1", ["hostname"])
    assert argv[0] == "ssh"
    assert argv[-2:] == ["root@198.18.0.11", "hostname"]
    assert str(tmp_path / "labs/prod/id_ed25519") in argv
    options = [argv[i + 1] for i, word in enumerate(argv) if word == "-o"]
    assert "StrictHostKeyChecking=yes" in options
    assert f"UserKnownHostsFile={tmp_path / 'labs/prod/known_hosts'}" in options


def test_connection_names_key_and_known_hosts(lab: Lab, tmp_path: Path) -> None:
    connection = lab.connection
    assert connection.private_key == tmp_path / "labs/prod/id_ed25519"
    assert connection.known_hosts == tmp_path / "labs/prod/known_hosts"


def test_unknown_hosts_are_refused(lab: Lab) -> None:
    with pytest.raises(LabError, match="no host 'cp9'"):
        lab.ssh_command("cp9")


def test_a_lab_never_brought_up_is_absent(lab: Lab) -> None:
    assert [status.state for status in lab.status()] == [MachineState.ABSENT] * 2
    assert [status.machine for status in lab.status()] == ["prod-cp1", "prod-lb1"]


def test_bridge_address(lab: Lab) -> None:
    assert lab.bridge_address == ipaddress.IPv4Address("198.18.0.254")


def test_paths_overlay_cannot_take_are_refused(tmp_path: Path) -> None:
    with pytest.raises(LabError, match="overlay"):
        Lab("prod", HOSTS, state_root=tmp_path / "a,b")


def test_image_key_follows_the_package_list_not_its_order() -> None:
    base = ImageSpec()
    assert ImageSpec(packages=tuple(reversed(base.packages))).key == base.key
    assert ImageSpec(packages=(*base.packages, "vim")).key != base.key
    assert ImageSpec(suite="forky").key != base.key


def test_the_image_has_the_role_packages() -> None:
    assert {"etcd-server", "etcd-client", "haproxy", "keepalived", "openssh-server"} <= set(ImageSpec().packages)


def test_nspawn_boots_systemd_detached_in_our_namespace(tmp_path: Path) -> None:
    argv = nspawn_argv(tmp_path / "root", "prod-cp1", "cp1", "plab-x-cp1", keep_unit=True)
    assert {"--boot", "--capability=CAP_NET_ADMIN", "--register=no", "--keep-unit"} <= set(argv)
    assert f"--directory={tmp_path / 'root'}" in argv
    assert "--network-namespace-path=/run/netns/plab-x-cp1" in argv


def test_nspawn_asks_systemd_for_a_scope_where_it_can(tmp_path: Path) -> None:
    assert "--keep-unit" not in nspawn_argv(tmp_path / "root", "prod-cp1", "cp1", "ns", keep_unit=False)


def test_records_round_trip(tmp_path: Path) -> None:
    record = LabRecord(
        cluster="prod", subnet=ipaddress.IPv4Network("198.18.0.0/24"), bridge="plbx",
        bridge_address=ipaddress.IPv4Address("198.18.0.254"), image=tmp_path / "image",
        machines={"cp1": MachineRecord(ipaddress.IPv4Address("198.18.0.11"), "prod-cp1", "ns", "veth", 42)},
    )
    save_record(tmp_path / "lab.json", record)
    assert load_record(tmp_path / "lab.json") == record


def test_a_torn_record_reads_as_none(tmp_path: Path) -> None:
    (tmp_path / "lab.json").write_text('{"cluster": "pro')
    assert load_record(tmp_path / "lab.json") is None


def test_every_change_needs_root(lab: Lab, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("os.geteuid", lambda: 1000)
    for action in (lab.up, lab.down, lambda: lab.stop("cp1"), lambda: lab.start("cp1")):
        with pytest.raises(LabError, match="needs root"):
            action()
