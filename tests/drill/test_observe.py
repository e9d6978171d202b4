"""The VIP test the drill runs on balancers, against this machine's real `ip`, and the watch loop's lines."""

from __future__ import annotations

import subprocess
from dataclasses import replace

import pytest

from provisioner.cluster.load import load_topology
from provisioner.drill.observe import holds_vip_test, status_timeout, vip_samples
from tests.conftest import EXAMPLES


@pytest.mark.parametrize(("address", "held"), [("127.0.0.1", True), ("198.18.99.1", False), ("::1", True)])
def test_the_vip_test_asks_the_real_interfaces(address: str, held: bool) -> None:
    answer = subprocess.run(["sh", "-c", holds_vip_test(address)], check=False)
    assert (answer.returncode == 0) is held


def test_watch_lines_become_samples_and_noise_is_dropped() -> None:
    lines = [(0.0, "1700000000.25 1"), (0.1, "1700000000.35 0"), (0.2, "garbage"), (0.3, "x 1")]
    assert [(s.time, s.holds) for s in vip_samples(lines)] == [(1700000000.25, True), (1700000000.35, False)]


def test_members_get_longer_to_answer_where_the_cluster_file_slows_etcd_down() -> None:
    topology, _ = load_topology(EXAMPLES / "lab-stacked" / "cluster.yaml")
    assert status_timeout(topology) == max(0.8, topology.cluster.etcd.election_timeout / 1000)
    etcd = topology.cluster.etcd.model_copy(update={"election_timeout": 2000})
    slow = replace(topology, cluster=topology.cluster.model_copy(update={"etcd": etcd}))
    assert status_timeout(slow) == 2.0
