"""SSH settings after overrides: relative key and known_hosts paths mean the cluster file's folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from provisioner.cluster.load import load_topology

CLUSTER = """\
name: c
layout: stacked
ssh: {private_key: keys/id_ed25519, known_hosts: known_hosts}
hosts:
  - {name: cp1, address: 10.0.0.1, roles: [control_plane]}
  - {name: cp2, address: 10.0.0.2, roles: [control_plane], ssh: {private_key: ~/.ssh/other, known_hosts: /etc/kh}}
endpoint: {address: 10.0.0.100, load_balancer: external}
"""


def test_relative_ssh_paths_are_taken_from_the_cluster_files_folder_wherever_the_tool_starts(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "site").mkdir()
    cluster_file = tmp_path / "site/cluster.yaml"
    cluster_file.write_text(CLUSTER)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    topology, _ = load_topology(Path(os.path.relpath(cluster_file)))
    cp1, cp2 = (topology.connection(host) for host in topology.hosts)
    assert (cp1.private_key, cp1.known_hosts) == (str(tmp_path / "site/keys/id_ed25519"),
                                                  str(tmp_path / "site/known_hosts"))
    assert (cp2.private_key, cp2.known_hosts) == ("~/.ssh/other", "/etc/kh")
