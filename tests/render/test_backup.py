"""etcd.backup renders a script, a oneshot service and a timer per member, placed by files.yml; without
it nothing of the kind is rendered. The units are checked by systemd-analyze, the script by sh -n."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from provisioner.cluster.load import load_topology
from provisioner.render import render

CLUSTER = """\
name: demo
layout: stacked
endpoint: {{address: 198.18.0.100, load_balancer: external}}
etcd: {{data_dir: /var/lib/etcd{backup}}}
hosts:
  - {{name: cp1, address: 198.18.0.11, roles: [control_plane]}}
  - {{name: cp2, address: 198.18.0.12, roles: [control_plane]}}
  - {{name: cp3, address: 198.18.0.13, roles: [control_plane]}}
"""


def rendered(tmp_path: Path, backup: str) -> Path:
    cluster_file = tmp_path / "cluster.yaml"
    cluster_file.write_text(CLUSTER.format(backup=backup))
    topology, _ = load_topology(cluster_file)
    render(topology, tmp_path / "build")
    return tmp_path / "build"


def placed(tree: Path, host: str) -> dict[str, dict[str, str]]:
    entries = yaml.safe_load((tree / "hosts" / host / "files.yml").read_text())["files"]
    return {entry["dest"]: entry for entry in entries}


def test_each_member_gets_its_own_script_and_the_timer_runs_every_period(tmp_path: Path) -> None:
    tree = rendered(tmp_path, ", backup: {schedule: 6h, keep: 5, folder: /srv/backups}")
    for host, address in (("cp1", "198.18.0.11"), ("cp2", "198.18.0.12"), ("cp3", "198.18.0.13")):
        files = placed(tree, host)
        assert files["/usr/local/sbin/etcd-backup"]["mode"] == "0755"
        assert files["/etc/systemd/system/etcd-backup.timer"]["service"] == "etcd-backup"
        script = (tree / "hosts" / host / "etcd-backup").read_text()
        assert f"--endpoints=https://{address}:2379 " in script
        assert "folder=/srv/backups\nkeep=5\n" in script
        assert "OnUnitActiveSec=6h\n" in (tree / "hosts" / host / "etcd-backup.timer").read_text()


def test_without_etcd_backup_nothing_is_scheduled(tmp_path: Path) -> None:
    tree = rendered(tmp_path, "")
    assert not list(tree.glob("hosts/*/etcd-backup*"))
    assert not [dest for dest in placed(tree, "cp1") if "backup" in dest]


@pytest.mark.tools
def test_systemd_and_sh_accept_what_is_rendered(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is missing (apt-get install -y systemd)")
    tree = rendered(tmp_path, ", backup: {schedule: 30m}")
    folder = tree / "hosts" / "cp1"
    check = subprocess.run([analyze, "verify", str(folder / "etcd-backup.timer"), str(folder / "etcd-backup.service")],
                           capture_output=True, text=True, timeout=60)
    # The script is only placed on the hosts; everything else systemd says about the units counts.
    problems = [line for line in check.stderr.splitlines()
                if "etcd-backup" in line and "/usr/local/sbin/etcd-backup is not executable" not in line]
    assert not problems, problems
    subprocess.run(["sh", "-n", str(folder / "etcd-backup")], check=True)
    assert "OnUnitActiveSec=30min\n" in (folder / "etcd-backup.timer").read_text()
