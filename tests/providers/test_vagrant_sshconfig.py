"""`vagrant ssh-config` output for several machines, as libvirt and VirtualBox print it (see fixtures/README.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from provisioner.errors import StepFailed
from provisioner.providers.vagrant import MachineSsh, parse_ssh_config

FIXTURES = Path(__file__).parent / "fixtures"


def _parse(name: str) -> dict[str, MachineSsh]:
    return parse_ssh_config((FIXTURES / name).read_text())


def test_libvirt_machines_answer_on_their_management_address() -> None:
    machines = _parse("libvirt.ssh-config")
    assert list(machines) == ["cp1", "cp2", "cp3"]
    assert machines["cp2"] == MachineSsh(
        machine="cp2",
        host_name="192.168.121.212",
        port=22,
        user="vagrant",
        identity_files=("/home/ops/clusters/lab/build/.vagrant/machines/cp2/libvirt/private_key",),
    )


def test_virtualbox_machines_answer_on_forwarded_ports_and_quoted_key_paths_are_unquoted() -> None:
    machines = _parse("virtualbox.ssh-config")
    assert {name: (m.host_name, m.port) for name, m in machines.items()} == {
        "cp1": ("127.0.0.1", 2222), "etcd1": ("127.0.0.1", 2200), "lb1": ("127.0.0.1", 2201)}
    assert machines["etcd1"].identity_files == (
        "/home/ops/My Clusters/prod eu1/build/.vagrant/machines/etcd1/virtualbox/private_key",)


def test_every_identity_file_is_kept_in_order_and_other_options_are_ignored() -> None:
    worker = _parse("virtualbox-insecure-keys.ssh-config")["worker1"]
    assert worker.identity_files == ("/home/ops/.vagrant.d/insecure_private_keys/vagrant.key.ed25519",
                                     "/home/ops/.vagrant.d/insecure_private_keys/vagrant.key.rsa")
    assert worker.proxy_jump is None


def test_equals_form_comments_and_proxy_jump_are_understood() -> None:
    text = "# comment\nHost a\n  HostName=10.0.0.5\n  User = vagrant\n  Port 2022\n  ProxyJump ops@jump:2200\n"
    assert parse_ssh_config(text)["a"] == MachineSsh("a", "10.0.0.5", 2022, "vagrant", (), "ops@jump:2200")


def test_a_proxy_command_is_refused_naming_the_machine() -> None:
    text = ("Host cp1\n  HostName 192.168.121.5\n  User vagrant\n  Port 22\n"
            "  ProxyCommand ssh 'libvirt-host' -l 'ops' -i '/home/ops/.ssh/id_rsa' nc %h %p\n")
    with pytest.raises(StepFailed, match="ProxyCommand") as failure:
        parse_ssh_config(text)
    assert failure.value.host == "cp1"


@pytest.mark.parametrize(("text", "message"), [
    ("Host cp1\n  User vagrant\n  Port 22\n", "no hostname"),
    ("Host cp1\n  HostName 10.0.0.1\n  User vagrant\n  Port ssh\n", "Port is not a number"),
    ("  HostName 10.0.0.1\nHost cp1\n", "before any Host line"),
])
def test_incomplete_output_is_an_error(text: str, message: str) -> None:
    with pytest.raises(StepFailed, match=message):
        parse_ssh_config(text)


def test_no_machines_gives_an_empty_mapping() -> None:
    assert parse_ssh_config("\n") == {}
