"""What real VMs cannot show quickly: errors Vagrant prints (through a stand-in `vagrant`), host keys of
re-created VMs, edited or missing records. Real VMs (`vagrant up`, apply, verify, `vagrant down`) are
test_vagrant_vms; the Vagrantfile against the real binary is test_vagrant_validate."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from provisioner.cluster.load import load_topology
from provisioner.cluster.topology import Connection, Topology
from provisioner.drill.faults import VagrantControl
from provisioner.errors import StepFailed, UsageError
from provisioner.providers import SshTarget, VagrantProvider, ssh_targets
from provisioner.providers.vagrant import KNOWN_HOSTS_FILE, SETTINGS_FILE, VM_SSH_TIMEOUT_SECONDS, parse_ssh_config
from provisioner.providers.vagrant.record import forget_all, record_machines
from tests.conftest import run_cli

FIXTURES = Path(__file__).parent / "fixtures"
CLUSTER = FIXTURES / "vagrant-cluster.yaml"

# Records each call as a JSON line, makes machine ids like `vagrant up` does, prints the fixture.
_FAKE_VAGRANT = f"""#!{sys.executable}
import json, os, shutil, sys
from pathlib import Path
args = sys.argv[1:]
with open(os.environ["FAKE_VAGRANT_LOG"], "a") as log:
    log.write(json.dumps({{"args": args, "cwd": os.getcwd(),
                          "provider": os.environ.get("VAGRANT_DEFAULT_PROVIDER")}}) + "\\n")
if os.environ.get("FAKE_VAGRANT_FAIL") == args[0]:
    print("An error occurred while executing multiple actions in parallel.", file=sys.stderr)
    sys.exit(1)
if args[0] == "up":
    provider = args[args.index("--provider") + 1]
    for name in args[3:]:
        folder = Path(".vagrant/machines") / name / provider
        folder.mkdir(parents=True, exist_ok=True)
        machine_id = os.environ.get("FAKE_VAGRANT_ID_" + name, "id-" + name)
        (folder / "id").write_text(machine_id)
elif args[0] == "ssh-config":
    sys.stdout.write(Path(os.environ["FAKE_VAGRANT_SSH_CONFIG"]).read_text())
elif args[0] == "destroy":
    shutil.rmtree(".vagrant", ignore_errors=True)
"""


@pytest.fixture
def fake_vagrant(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Puts the stand-in first on PATH; returns its call log."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "vagrant").write_text(_FAKE_VAGRANT)
    (bin_dir / "vagrant").chmod(0o755)
    log = tmp_path / "vagrant-calls.jsonl"
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_VAGRANT_LOG", str(log))
    monkeypatch.setenv("FAKE_VAGRANT_SSH_CONFIG", str(FIXTURES / "libvirt.ssh-config"))
    return log


def _topology() -> Topology:
    return load_topology(CLUSTER)[0]


def _provider(out: Path) -> VagrantProvider:
    out.mkdir(parents=True, exist_ok=True)
    (out / "Vagrantfile").write_text("# rendered\n")
    return VagrantProvider(_topology(), out)


def _hashed(name: str) -> str:
    # A known_hosts host field as HashKnownHosts writes it.
    salt = os.urandom(20)
    digest = hmac.new(salt, name.encode(), hashlib.sha1).digest()
    return f"|1|{base64.b64encode(salt).decode()}|{base64.b64encode(digest).decode()}"


def _known(known_hosts: Path, name: str) -> bool:
    found = subprocess.run(["ssh-keygen", "-F", name, "-f", str(known_hosts)], capture_output=True, check=False)
    return found.returncode == 0


_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"


def _record(out: Path, machine_ids: dict[str, str] | None = None) -> None:
    """What `vagrant up` leaves for the provider to read: each VM's id, and its ssh-config."""
    for name in ("cp1", "cp2", "cp3"):
        folder = out / ".vagrant" / "machines" / name / "libvirt"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "id").write_text((machine_ids or {}).get(name, f"id-{name}"))
    record_machines(out, "libvirt", parse_ssh_config((FIXTURES / "libvirt.ssh-config").read_text()))


def test_recorded_settings_replace_the_cluster_files_until_they_are_forgotten(tmp_path: Path) -> None:
    out = tmp_path / "build"
    out.mkdir()
    _record(out)
    assert [(t.host, t.address, t.connection.user) for t in ssh_targets(_topology(), out)] == [
        ("cp1", "192.168.121.47", "vagrant"),
        ("cp2", "192.168.121.212", "vagrant"),
        ("cp3", "192.168.121.9", "vagrant"),
    ]
    known_hosts = str(out / KNOWN_HOSTS_FILE)
    # The cluster file's admin user, known_hosts and bastion are for the real servers, not the VMs.
    assert ssh_targets(_topology(), out)[1] == SshTarget("cp2", "192.168.121.212", Connection(
        user="vagrant", port=22, accept_new_host_keys=True, become=True,
        private_key="/home/ops/clusters/lab/build/.vagrant/machines/cp2/libvirt/private_key",
        known_hosts=known_hosts, bastion=None, timeout=VM_SSH_TIMEOUT_SECONDS))
    assert yaml.safe_load((out / SETTINGS_FILE).read_text())["hosts"]["cp1"]["machine_id"] == "id-cp1"

    forget_all(out)
    first = ssh_targets(_topology(), out)[0]
    assert (first.address, first.connection.user, first.connection.bastion) == (
        "10.30.0.11", "admin", "jump@bastion.example.net")


def test_host_keys_are_kept_for_the_same_vm_and_forgotten_when_it_is_recreated(tmp_path: Path) -> None:
    out = tmp_path / "build"
    out.mkdir()
    known_hosts = out / KNOWN_HOSTS_FILE

    def remember_all() -> None:
        known_hosts.write_text(f"192.168.121.47 {_KEY}\n{_hashed('192.168.121.212')} {_KEY}\n"
                               f"192.168.121.9 {_KEY}\n")

    remember_all()
    _record(out)  # no record yet: whatever answered on these addresses before is not trusted
    assert not any(_known(known_hosts, a) for a in ("192.168.121.47", "192.168.121.212", "192.168.121.9"))

    remember_all()
    _record(out)  # the same VMs: their keys stay, so checking stays strict
    assert all(_known(known_hosts, a) for a in ("192.168.121.47", "192.168.121.212", "192.168.121.9"))

    _record(out, {"cp2": "id-cp2-recreated"})  # cp2 (a hashed entry) was re-created: only its key goes
    assert _known(known_hosts, "192.168.121.47")
    assert not _known(known_hosts, "192.168.121.212")
    assert _known(known_hosts, "192.168.121.9")
    assert not known_hosts.with_name(KNOWN_HOSTS_FILE + ".old").exists()

    forget_all(out)
    assert not known_hosts.exists()


def test_targets_before_up_or_for_a_host_without_vm_is_a_usage_error(tmp_path: Path) -> None:
    out = tmp_path / "build"
    out.mkdir()
    provider = VagrantProvider(_topology(), out)
    with pytest.raises(UsageError, match="run `provisioner vagrant up` first"):
        provider.targets()
    _record(out)
    recorded = yaml.safe_load((out / SETTINGS_FILE).read_text())
    del recorded["hosts"]["cp3"]
    (out / SETTINGS_FILE).write_text(yaml.safe_dump(recorded))
    with pytest.raises(UsageError, match="cp3 has no VM"):
        provider.targets()


def test_an_edited_settings_file_that_no_longer_fits_is_a_usage_error(tmp_path: Path) -> None:
    out = tmp_path / "build"
    out.mkdir()
    _record(out)
    (out / SETTINGS_FILE).write_text("provider: libvirt\nhosts: {cp1: {address: 10.0.0.1, port: '22'}}\n")
    with pytest.raises(UsageError, match=r"vagrant-ssh\.yml is not readable"):
        VagrantProvider(_topology(), out).targets()


def test_a_failing_vagrant_up_stops_before_anything_is_recorded(fake_vagrant: Path, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_VAGRANT_FAIL", "up")
    out = tmp_path / "build"
    with pytest.raises(StepFailed, match="vagrant up: exit status 1"):
        _provider(out).up()
    assert not (out / SETTINGS_FILE).exists()


def test_a_vm_missing_from_ssh_config_is_named(fake_vagrant: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    partial = tmp_path / "partial.ssh-config"
    partial.write_text((FIXTURES / "libvirt.ssh-config").read_text().split("Host cp3")[0])
    monkeypatch.setenv("FAKE_VAGRANT_SSH_CONFIG", str(partial))
    with pytest.raises(StepFailed) as failure:
        _provider(tmp_path / "build").up()
    assert failure.value.host == "cp3"


def test_a_vm_powered_on_again_is_reached_where_it_answers_now(fake_vagrant: Path, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """A drill's power-off and power-on: `halt --force`, then `up` of that VM alone, whose new DHCP
    address replaces the recorded one (in the drill's shared targets too) while the others stay."""
    out = tmp_path / "build"
    provider = _provider(out)
    targets = _by_host(provider.up())
    control = VagrantControl(dict(targets), provider)
    moved = tmp_path / "moved.ssh-config"
    moved.write_text((FIXTURES / "libvirt.ssh-config").read_text().replace("192.168.121.212", "192.168.121.77"))
    monkeypatch.setenv("FAKE_VAGRANT_SSH_CONFIG", str(moved))
    fake_vagrant.write_text("")

    control.power_off("cp2")
    control.power_on("cp2")

    calls = [json.loads(line) for line in fake_vagrant.read_text().splitlines()]
    assert [call["args"] for call in calls] == [["halt", "--force", "cp2"], ["up", "--provider", "libvirt", "cp2"],
                                                ["ssh-config", "cp2"]]
    assert {call["provider"] for call in calls} == {"libvirt"} and {call["cwd"] for call in calls} == {str(out)}
    assert control.targets["cp2"].address == "192.168.121.77"
    assert {host: target.address for host, target in _by_host(ssh_targets(_topology(), out)).items()} == {
        "cp1": "192.168.121.47", "cp2": "192.168.121.77", "cp3": "192.168.121.9"}
    assert control.targets["cp1"] == targets["cp1"]

    monkeypatch.setenv("FAKE_VAGRANT_FAIL", "halt")
    with pytest.raises(StepFailed) as failure:
        control.power_off("cp3")
    assert failure.value.host == "cp3" and failure.value.step == "vagrant halt"


def _by_host(targets: list[SshTarget]) -> dict[str, SshTarget]:
    return {target.host: target for target in targets}


@pytest.mark.parametrize("command", ["up", "down"])
def test_cli_without_vagrant_says_how_to_install_it_and_touches_nothing(
        command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    out = tmp_path / "build"
    result = run_cli("vagrant", command, str(CLUSTER), "--out", str(out))
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "error: vagrant is not installed (not on PATH); install it with: apt-get install -y vagrant vagrant-libvirt"]
    assert not out.exists()


def test_cli_with_a_bad_cluster_file_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "cluster.yaml"
    bad.write_text("name: x\n")
    result = run_cli("vagrant", "up", str(bad), "--out", str(tmp_path / "build"))
    assert result.exit_code == 2
    assert "layout" in result.stderr


def test_fake_vagrant_is_not_the_real_one(fake_vagrant: Path) -> None:
    # If PATH handling broke, the tests above would drive the real vagrant.
    assert shutil.which("vagrant") == str(fake_vagrant.parent / "bin" / "vagrant")
