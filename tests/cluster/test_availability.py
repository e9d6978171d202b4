"""Host losses survived, for a table of layouts and sizes: the API never survives more than etcd does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from provisioner.cluster.checks import check_cluster
from provisioner.cluster.model import ClusterFile
from provisioner.cluster.positions import Positions
from provisioner.cluster.topology import Topology
from provisioner.render.summary import summary


def _topology(layout: str, control_planes: int, etcd_hosts: int, load_balancer: str, balancers: int) -> Topology:
    hosts: list[dict[str, Any]] = [{"name": f"cp{i}", "address": f"198.18.5.{10 + i}", "roles": ["control_plane"]}
                                   for i in range(1, control_planes + 1)]
    hosts += [{"name": f"etcd{i}", "address": f"198.18.5.{20 + i}", "roles": ["etcd"]}
              for i in range(1, etcd_hosts + 1)]
    hosts += [{"name": f"lb{i}", "address": f"198.18.5.{30 + i}", "roles": ["load_balancer"]}
              for i in range(1, balancers + 1)]
    endpoint = {"keepalived": {"address": "198.18.5.100"}, "external": {"address": "api.example.net"},
                "none": {"address": "198.18.5.11"}}[load_balancer] | {"load_balancer": load_balancer}
    cluster = ClusterFile.model_validate({"name": "t", "layout": layout, "endpoint": endpoint, "hosts": hosts})
    errors, _ = check_cluster(cluster, Positions(None), "t.yaml")
    assert errors == [], "every row of the table must be a cluster the tool accepts"
    return Topology(cluster, source=Path("t.yaml"))


# layout, control-plane hosts, etcd hosts (external), load balancer, load-balancer hosts ->
# losses survived by etcd, the control plane, the load balancers (None: not ours), the API.
TABLE = [
    ("stacked", 1, 0, "none", 0, (0, 0, None, 0)),
    ("stacked", 2, 0, "keepalived", 2, (0, 1, 1, 0)),
    ("stacked", 3, 0, "keepalived", 2, (1, 2, 1, 1)),
    ("stacked", 3, 0, "keepalived", 1, (1, 2, 0, 0)),
    ("stacked", 3, 0, "none", 0, (1, 2, None, 0)),
    ("stacked", 4, 0, "keepalived", 3, (1, 3, 2, 1)),
    ("stacked", 5, 0, "keepalived", 3, (2, 4, 2, 2)),
    ("stacked", 5, 0, "keepalived", 2, (2, 4, 1, 1)),
    ("stacked", 5, 0, "external", 0, (2, 4, None, 2)),
    ("stacked", 7, 0, "external", 0, (3, 6, None, 3)),
    ("external", 1, 1, "none", 0, (0, 0, None, 0)),
    ("external", 1, 3, "none", 0, (1, 0, None, 0)),
    ("external", 1, 5, "external", 0, (2, 0, None, 0)),
    ("external", 2, 2, "keepalived", 2, (0, 1, 1, 0)),
    ("external", 2, 3, "keepalived", 2, (1, 1, 1, 1)),
    ("external", 2, 5, "external", 0, (2, 1, None, 1)),
    ("external", 3, 3, "keepalived", 2, (1, 2, 1, 1)),
    ("external", 3, 4, "external", 0, (1, 2, None, 1)),
    ("external", 3, 5, "keepalived", 3, (2, 2, 2, 2)),
    ("external", 3, 5, "keepalived", 2, (2, 2, 1, 1)),
    ("external", 4, 7, "keepalived", 3, (3, 3, 2, 2)),
    ("external", 5, 1, "external", 0, (0, 4, None, 0)),
    ("external", 5, 1, "keepalived", 2, (0, 4, 1, 0)),
    ("external", 5, 5, "external", 0, (2, 4, None, 2)),
    ("external", 5, 7, "external", 0, (3, 4, None, 3)),
    ("external", 5, 7, "none", 0, (3, 4, None, 0)),
]


@pytest.mark.parametrize(("layout", "control_planes", "etcd_hosts", "load_balancer", "balancers", "expected"), TABLE,
                         ids=[f"{row[0]}-cp{row[1]}-etcd{row[2]}-{row[3]}{row[4] or ''}" for row in TABLE])
def test_host_losses_survived(layout: str, control_planes: int, etcd_hosts: int, load_balancer: str, balancers: int,
                              expected: tuple[int, int, int | None, int]) -> None:
    survived = _topology(layout, control_planes, etcd_hosts, load_balancer, balancers).host_losses_survived
    assert (survived.etcd, survived.control_plane, survived.load_balancers, survived.api) == expected
    assert survived.api <= survived.etcd


def test_the_table_covers_every_size_asked_of_it() -> None:
    members = {row[1] if row[0] == "stacked" else row[2] for row in TABLE}
    assert {1, 2, 3, 4, 5, 7} <= members
    assert {1, 2, 3, 4, 5} <= {row[1] for row in TABLE}
    assert {"keepalived", "external", "none"} == {row[3] for row in TABLE}


def test_the_summary_names_what_bounds_the_api_and_counts_one_member() -> None:
    text = summary(_topology("external", 5, 1, "external", 0))
    assert "(1 member, quorum 1)" in text
    assert "  etcd             0 of 1\n" in text
    assert "  API              0 (bounded by etcd)\n" in text
    stacked = summary(_topology("stacked", 3, 0, "keepalived", 2))
    assert "  API              1 (bounded by etcd and load balancers; each stacked host is an apiserver and an etcd " \
           "member)\n" in stacked
    assert "(bounded by etcd, control plane and the endpoint's single host" in summary(_topology("stacked", 1, 0,
                                                                                               "none", 0))
