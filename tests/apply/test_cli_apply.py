"""`provisioner apply` through the real CLI and ansible-runner, against a host that cannot be reached:
one error line naming host and step, exit status 1, and the recap still written."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import yaml
from rich.console import Console

from provisioner.apply import ApplyDisplay, Recap, apply_cluster
from provisioner.apply.phases.preflight import CheckHosts
from provisioner.cluster.load import load_topology
from provisioner.cluster.topology import Topology
from provisioner.errors import ProvisionerError
from provisioner.providers import StaticProvider
from tests.conftest import run_cli


def _unreachable_cluster(tmp_path: Path) -> Path:
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text("")
    cluster = {
        "name": "ap-unreachable",
        "layout": "stacked",
        # Nothing listens on port 9 of this machine: SSH is refused at once.
        "ssh": {"user": "root", "port": 9, "known_hosts": str(known_hosts)},
        "kubernetes": {"install": "none"},
        "hosts": [{"name": "cp1", "address": "127.0.0.1", "roles": ["control_plane"]}],
    }
    path = tmp_path / "cluster.yaml"
    path.write_text(yaml.safe_dump(cluster))
    return path


def test_an_unreachable_host_ends_apply_with_one_line_naming_host_and_step(tmp_path: Path) -> None:
    out, report = tmp_path / "build", tmp_path / "report.json"
    result = run_cli("apply", str(_unreachable_cluster(tmp_path)), "--out", str(out), "--report", str(report))
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    # Found while reading the live state, before any playbook runs; worded as `provisioner ping` words it.
    assert errors[0] == "error: cp1: Read the live state: unreachable: connection refused: nothing listens on port 9"
    assert not (out / "runs").exists()
    assert json.loads(report.read_text()) == {"hosts": {
        "cp1": {"ok": 0, "changed": 0, "failed": 0, "unreachable": 1, "skipped": 0}}}


def test_the_run_record_keeps_only_the_environment_apply_set(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOME_CLOUD_TOKEN", "do-not-keep-me")
    out = tmp_path / "build"
    topology, _ = load_topology(_unreachable_cluster(tmp_path))
    # apply's first playbook alone (as a day-2 command runs it): it runs, and fails on the unreachable host.
    _check_hosts(topology, out)
    (record,) = out.glob("runs/*/artifacts/*/command")
    environment = json.loads(record.read_text())["env"]
    assert "SOME_CLOUD_TOKEN" not in environment
    assert environment["ANSIBLE_HOST_KEY_CHECKING"] == "True"


def _check_hosts(topology: Topology, out: Path, printed: io.StringIO | None = None) -> None:
    """apply's first playbook alone, as a day-2 command runs it (render, no plan), with the cluster file's
    targets: it fails on the unreachable host."""
    display = ApplyDisplay(Console(file=printed or io.StringIO(), width=200))
    with pytest.raises(ProvisionerError):
        apply_cluster(topology, out, StaticProvider(topology).targets(), display, Recap.for_hosts(["cp1"]),
                      phases=[CheckHosts])


def test_a_missing_private_key_is_bad_input_before_any_host_is_contacted(tmp_path: Path) -> None:
    cluster = _unreachable_cluster(tmp_path)
    data = yaml.safe_load(cluster.read_text())
    data["ssh"]["private_key"] = str(tmp_path / "absent_ed25519")
    cluster.write_text(yaml.safe_dump(data))
    out, report = tmp_path / "build", tmp_path / "report.json"
    result = run_cli("apply", str(cluster), "--out", str(out), "--report", str(report))
    assert (result.exit_code, _errors(result.stderr)) == (2, [
        f"error: {cluster}: ssh.private_key: expected a private key file on this machine, "
        f"{tmp_path / 'absent_ed25519'} is not one"])
    assert not out.exists() and not report.exists()


def test_a_missing_host_level_key_names_the_host(tmp_path: Path) -> None:
    cluster = _unreachable_cluster(tmp_path)
    data = yaml.safe_load(cluster.read_text())
    data["hosts"][0]["ssh"] = {"private_key": str(tmp_path / "absent_ed25519")}
    cluster.write_text(yaml.safe_dump(data))
    result = run_cli("apply", str(cluster), "--out", str(tmp_path / "build"))
    assert (result.exit_code, _errors(result.stderr)) == (2, [
        f"error: {cluster}: hosts[0] (cp1).ssh.private_key: expected a private key file on this machine, "
        f"{tmp_path / 'absent_ed25519'} is not one"])


def _errors(stderr: str) -> list[str]:
    # The one-host cluster is also warned about (a single etcd member); the errors are what is tested.
    return [line for line in stderr.splitlines() if not line.startswith("warning: ")]


def test_a_relative_private_key_is_the_cluster_files_for_the_check_and_for_ansible(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cluster = _unreachable_cluster(tmp_path)
    data = yaml.safe_load(cluster.read_text())
    data["ssh"]["private_key"] = "keys/id_ed25519"
    cluster.write_text(yaml.safe_dump(data))
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys/id_ed25519").write_text("not used: nothing answers on port 9\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    result = run_cli("apply", "../cluster.yaml", "--out", str(tmp_path / "build"))
    # Past the key check: the host is contacted and refuses.
    assert result.exit_code == 1 and "cp1: Read the live state: unreachable" in result.stderr, result.stderr
    _check_hosts(load_topology(Path("../cluster.yaml"))[0], tmp_path / "build")
    (inventory,) = (tmp_path / "build").glob("runs/*/inventory.yml")
    host = yaml.safe_load(inventory.read_text())["all"]["hosts"]["cp1"]
    assert host["ansible_ssh_private_key_file"] == str(tmp_path / "keys/id_ed25519")


def test_apply_names_each_file_its_render_removed(tmp_path: Path) -> None:
    cluster = _unreachable_cluster(tmp_path)
    data = yaml.safe_load(cluster.read_text())
    original = cluster.read_text()
    data["hosts"].append({"name": "w1", "address": "127.0.0.2", "roles": ["worker"]})
    cluster.write_text(yaml.safe_dump(data))
    assert run_cli("render", str(cluster), "--out", str(tmp_path / "build")).exit_code == 0
    cluster.write_text(original)
    printed = io.StringIO()
    _check_hosts(load_topology(cluster)[0], tmp_path / "build", printed)  # render first, then the host fails
    assert "removed hosts/w1/files.yml (no longer needed by the cluster file)" in printed.getvalue()
