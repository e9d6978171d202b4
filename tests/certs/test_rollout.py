"""What rolling out etcd certificates restarts: kube-apiserver only where kubeadm runs it."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from provisioner.certs.rollout import APISERVER_ETCD_CLIENT, api_servers
from provisioner.cluster.load import load_topology
from provisioner.render.placement import KUBE_APISERVER, placements
from tests.conftest import EXAMPLES


@pytest.mark.parametrize(("install", "restarted"), [("kubeadm", ["cp1", "cp2", "cp3"]), ("none", [])])
def test_the_api_servers_restarted_are_the_control_plane_hosts_kubeadm_runs(
        install: str, restarted: list[str], tmp_path: Path) -> None:
    data = yaml.safe_load((EXAMPLES / "servers-example/cluster.yaml").read_text())
    data["kubernetes"]["install"] = install
    (tmp_path / "cluster.yaml").write_text(yaml.safe_dump(data))
    topology, _ = load_topology(tmp_path / "cluster.yaml")
    assert api_servers(topology) == restarted
    # The file renew looks for is the one placed for kube-apiserver, marked to restart it.
    [client] = [placement for placement in placements(topology, topology.control_plane_hosts[0])
                if placement.src == APISERVER_ETCD_CLIENT]
    assert client.service == (KUBE_APISERVER if restarted else "")
