"""Which scenarios a topology gets and what each must show: the layouts' promises, table by table."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from provisioner.cluster.load import load_topology
from provisioner.cluster.topology import Topology
from provisioner.drill.scenarios import (
    Expected,
    Fault,
    resolve_targets,
    scenarios_for,
    select,
    writer_host,
)
from tests.conftest import EXAMPLES


def _example(name: str) -> Topology:
    topology, _ = load_topology(EXAMPLES / name / "cluster.yaml")
    return topology


def _cluster(tmp_path: Path, layout: str, control_plane: int, etcd: int = 0, balancers: int = 0) -> Topology:
    hosts = [{"name": f"cp{i}", "address": f"198.18.9.{10 + i}", "roles": ["control_plane"]}
             for i in range(1, control_plane + 1)]
    hosts += [{"name": f"etcd{i}", "address": f"198.18.9.{20 + i}", "roles": ["etcd"]} for i in range(1, etcd + 1)]
    hosts += [{"name": f"lb{i}", "address": f"198.18.9.{30 + i}", "roles": ["load_balancer"]}
              for i in range(1, balancers + 1)]
    data = {"name": "drill-table", "layout": layout, "kubernetes": {"install": "none"}, "hosts": hosts}
    if control_plane > 1:
        data["endpoint"] = {"address": "198.18.9.100",
                            "load_balancer": "keepalived" if balancers else "external"}
    path = tmp_path / "cluster.yaml"
    path.write_text(yaml.safe_dump(data))
    topology, _ = load_topology(path)
    return topology


def _expected(topology: Topology) -> dict[str, str]:
    return {scenario.name: scenario.describe_expected() for scenario in scenarios_for(topology)}


def test_two_control_plane_hosts_down_stops_writes_stacked_but_not_external() -> None:
    stacked = {s.name: s for s in scenarios_for(_example("lab-stacked"))}
    external = {s.name: s for s in scenarios_for(_example("lab-external"))}
    assert stacked["cp-power-off-two"].expected == Expected("stop")
    assert external["cp-power-off-two"].expected == Expected("continue")
    assert stacked["cp-power-off-one"].expected == Expected("continue")
    assert "etcd-power-off-one" in external and "etcd-power-off-one" not in stacked


def test_example_scenarios_and_their_expectations() -> None:
    assert _expected(_example("lab-external")) == {
        "etcd-kill-leader": "writes continue, a new leader is elected",
        "etcd-kill-follower": "writes continue",
        "etcd-stop-leader": "writes continue, a new leader is elected",
        "etcd-freeze-leader": "writes continue, a new leader is elected",
        "etcd-cut-leader": "writes continue, a new leader is elected",
        "etcd-stop-majority": "writes stop",
        "cp-power-off-one": "writes continue",
        "cp-power-off-two": "writes continue",
        "etcd-power-off-one": "writes continue",
        "lb-power-off-vip-holder": "writes continue, the VIP moves to one other balancer",
        "lb-stop-haproxy-vip-holder": "writes continue, the VIP moves to one other balancer",
    }


@pytest.mark.parametrize(("layout", "control_plane", "etcd", "expected"), [
    # One member tolerates no loss: losing it stops writes, and no other member can lead.
    ("stacked", 1, 0, {"etcd-kill-leader": "writes stop", "etcd-stop-majority": "writes stop"}),
    ("external", 1, 1, {"etcd-kill-leader": "writes stop", "etcd-stop-majority": "writes stop",
                        "etcd-power-off-one": "writes stop"}),
    # Two members: quorum is two, so one loss already stops writes.
    ("external", 2, 2, {"etcd-kill-leader": "writes stop", "etcd-kill-follower": "writes stop",
                        "etcd-stop-leader": "writes stop", "etcd-freeze-leader": "writes stop",
                        "etcd-cut-leader": "writes stop", "etcd-stop-majority": "writes stop",
                        "cp-power-off-one": "writes continue", "etcd-power-off-one": "writes stop"}),
])
def test_small_clusters_promise_less(tmp_path: Path, layout: str, control_plane: int, etcd: int,
                                     expected: dict[str, str]) -> None:
    assert _expected(_cluster(tmp_path, layout, control_plane, etcd)) == expected


@pytest.mark.parametrize(("members", "two_down"), [(3, "writes stop"), (5, "writes continue")])
def test_stacked_two_hosts_down_depends_on_member_count(tmp_path: Path, members: int, two_down: str) -> None:
    assert _expected(_cluster(tmp_path, "stacked", members))["cp-power-off-two"] == two_down


def test_capabilities_decide_what_is_offered() -> None:
    topology = _example("lab-external")
    process_only = {s.name for s in scenarios_for(topology, frozenset({"process"}))}
    assert process_only == {"etcd-kill-leader", "etcd-kill-follower", "etcd-stop-leader", "etcd-freeze-leader",
                            "etcd-stop-majority", "lb-stop-haproxy-vip-holder"}
    with_power = {s.name for s in scenarios_for(topology, frozenset({"process", "power"}))}
    assert "etcd-cut-leader" not in with_power and "cp-power-off-two" in with_power


def test_one_balancer_gets_no_vip_scenarios(tmp_path: Path) -> None:
    names = set(_expected(_cluster(tmp_path, "stacked", 3, balancers=1)))
    assert not {name for name in names if name.startswith("lb-")}


def test_select_keeps_the_order_asked_and_names_unknown_ones() -> None:
    scenarios = scenarios_for(_example("lab-stacked"))
    chosen, unknown = select(scenarios, ["cp-power-off-two", "etcd-kill-leader", "no-such"])
    assert [s.name for s in chosen] == ["cp-power-off-two", "etcd-kill-leader"]
    assert unknown == ["no-such"]


def test_targets_are_picked_from_what_runs() -> None:
    members = ["e1", "e2", "e3", "e4", "e5"]
    assert resolve_targets(Fault("kill", pick="leader"), members=members, leader="e2", vip_holder=None) == ["e2"]
    assert resolve_targets(Fault("kill", pick="follower"), members=members, leader="e5", vip_holder=None) == ["e4"]
    # A majority of followers first: the leader is spared while enough followers exist.
    assert resolve_targets(Fault("stop", pick="majority"), members=members, leader="e1",
                           vip_holder=None) == ["e5", "e4", "e3"]
    assert resolve_targets(Fault("stop", pick="majority"), members=["e1", "e2", "e3"], leader="e3",
                           vip_holder=None) == ["e2", "e1"]
    assert resolve_targets(Fault("power_off", pick="vip_holder"), members=members, leader="e1",
                           vip_holder="lb2") == ["lb2"]
    assert resolve_targets(Fault("power_off", hosts=("cp2", "cp3")), members=members, leader="e1",
                           vip_holder=None) == ["cp2", "cp3"]
    with pytest.raises(ValueError, match="no etcd leader"):
        resolve_targets(Fault("kill", pick="leader"), members=members, leader=None, vip_holder=None)


def test_the_writer_stays_off_the_hosts_that_are_hit(tmp_path: Path) -> None:
    stacked = _example("lab-stacked")
    assert writer_host(stacked, ["cp1"], Fault("kill", pick="leader")) == "cp2"
    assert writer_host(stacked, ["cp2", "cp3"], Fault("power_off", hosts=("cp2", "cp3"))) == "cp1"
    single = _cluster(tmp_path, "stacked", 1)
    # A process fault leaves its host up: the only control-plane host may write.
    assert writer_host(single, ["cp1"], Fault("kill", pick="leader")) == "cp1"
    with pytest.raises(ValueError, match="nowhere to write from"):
        writer_host(single, ["cp1"], Fault("power_off", hosts=("cp1",)))
