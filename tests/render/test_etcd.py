"""The etcd member configuration adopts kubeadm's settings under the names the etcd version reads."""

from __future__ import annotations

from pathlib import Path

import yaml

from provisioner.cluster.load import load_topology
from provisioner.render.etcd import etcd_config
from tests.conftest import EXAMPLES


def _member_config(tmp_path: Path, etcd: dict[str, object]) -> dict[str, object]:
    data = yaml.safe_load((EXAMPLES / "lab-stacked" / "cluster.yaml").read_text())
    data["etcd"] = etcd
    path = tmp_path / "cluster.yaml"
    path.write_text(yaml.safe_dump(data))
    topology, _ = load_topology(path)
    return etcd_config(topology, topology.etcd_members[0])


def test_a_package_install_gets_the_names_etcd_3_4_and_3_5_read(tmp_path: Path) -> None:
    config = _member_config(tmp_path, {"install": "package"})
    assert config["experimental-initial-corrupt-check"] is True
    assert config["experimental-watch-progress-notify-interval"] == 5_000_000_000
    assert "feature-gates" not in config


def test_a_3_6_release_gets_the_feature_gate_and_the_renamed_key(tmp_path: Path) -> None:
    release = {"url": "https://mirror.example/etcd-v3.6.5-linux-amd64.tar.gz", "sha256": "0" * 64}
    config = _member_config(tmp_path, {"install": "release", "version": "3.6.5", "release": release})
    assert config["feature-gates"] == "InitialCorruptCheck=true"
    assert config["watch-progress-notify-interval"] == 5_000_000_000
    assert not [key for key in config if key.startswith("experimental-")]
