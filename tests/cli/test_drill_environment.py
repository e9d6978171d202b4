"""How `provisioner drill` decides where it runs, which decides the faults it may make: a build folder
holding Vagrant's SSH settings means Vagrant VMs (process and power faults, no flag needed); otherwise
real servers, refused without --disrupt-servers. Nothing is touched: only --list and refusals."""

from __future__ import annotations

import shutil
from pathlib import Path

from provisioner.providers.vagrant import parse_ssh_config
from provisioner.providers.vagrant.record import record_machines
from tests.conftest import run_cli

FIXTURES = Path(__file__).parents[1] / "providers" / "fixtures"


def _cluster(tmp_path: Path) -> Path:
    cluster = tmp_path / "cluster.yaml"
    shutil.copy(FIXTURES / "vagrant-cluster.yaml", cluster)
    return cluster


def test_a_build_folder_with_vagrant_settings_gets_power_faults_without_a_flag(tmp_path: Path) -> None:
    cluster, out = _cluster(tmp_path), tmp_path / "vms"
    out.mkdir()
    record_machines(out, "libvirt", parse_ssh_config((FIXTURES / "libvirt.ssh-config").read_text()))
    result = run_cli("drill", str(cluster), "--out", str(out), "--list")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "Vagrant VMs (libvirt): power off = vagrant halt --force" in result.stdout
    assert "cp-power-off-one" in result.stdout and "etcd-kill-leader" in result.stdout
    assert "etcd-cut-leader" not in result.stdout  # network cuts are the lab's


def test_without_vagrant_settings_the_hosts_are_real_servers_and_a_drill_needs_the_flag(tmp_path: Path) -> None:
    cluster = _cluster(tmp_path)
    refused = run_cli("drill", str(cluster), "--out", str(tmp_path / "build"))
    assert refused.exit_code == 2 and "pass --disrupt-servers" in refused.stderr, refused.stderr
    listed = run_cli("drill", str(cluster), "--out", str(tmp_path / "build"), "--list")
    assert listed.exit_code == 0, listed.stderr
    assert "real servers: process and service faults over SSH only" in listed.stdout
    assert "cp-power-off-one" not in listed.stdout
