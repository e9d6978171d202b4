"""Drills on lab copies of both examples: the layouts' difference measured, nothing acknowledged lost.

The expectations below are written out here, not taken from the tool: two control-plane hosts down stop
writes in the stacked layout (two of three etcd members go with them) and do not in the external one.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from provisioner.cluster.load import load_topology
from provisioner.drill.faults import LabControl
from provisioner.drill.runner import Drill
from provisioner.drill.scenarios import Expected, scenarios_for, select, with_expected
from provisioner.providers import ssh_targets
from provisioner.providers.lab import lab_for
from tests.conftest import run_cli
from tests.verify.lab_clusters import derived_cluster

pytestmark = pytest.mark.lab

PREFIX = "198.18.15."
# example -> (lab name, scenarios to run, the writes each must show)
PLANS = {
    "lab-stacked": ("dr-stacked", {"etcd-kill-leader": "continue", "cp-power-off-two": "stop",
                                   "lb-stop-haproxy-vip-holder": "continue"}),
    "lab-external": ("dr-external", {"cp-power-off-two": "continue", "etcd-cut-leader": "continue",
                                     "lb-power-off-vip-holder": "continue"}),
}


@dataclass
class DrillLab:
    example: str
    cluster_file: Path
    folder: Path


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Each test runs on both examples unless marked `examples(...)`; one lab per example serves them all."""
    marker = metafunc.definition.get_closest_marker("examples")
    if "drill_lab" in metafunc.fixturenames:
        metafunc.parametrize("drill_lab", list(marker.args) if marker else list(PLANS), indirect=True, scope="module")


@pytest.fixture(scope="module")
def drill_lab(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DrillLab]:
    name, _ = PLANS[request.param]
    folder = tmp_path_factory.mktemp(name)
    file = derived_cluster(request.param, name, folder, PREFIX)
    topology, _ = load_topology(file)
    try:
        result = run_cli("up", "--lab", str(file))
        assert result.exit_code == 0, f"up failed:\n{result.stdout[-4000:]}\n{result.stderr[-2000:]}"
        yield DrillLab(request.param, file, folder)
    finally:
        if run_cli("down", "--lab", str(file)).exit_code != 0:
            lab_for(topology).down()


def test_drill_measures_the_layout_and_loses_nothing(drill_lab: DrillLab) -> None:
    _, plan = PLANS[drill_lab.example]
    report, junit = drill_lab.folder / "drill.json", drill_lab.folder / "drill.xml"
    scenarios = [argument for name in plan for argument in ("--scenario", name)]
    result = run_cli("drill", str(drill_lab.cluster_file), "--lab", *scenarios, "--json", str(report),
                     "--junit", str(junit))
    assert result.exit_code == 0, f"drill failed:\n{result.stdout[-6000:]}\n{result.stderr[-2000:]}"
    assert "verify after the drill: passed" in result.stdout
    found = json.loads(report.read_text())
    assert [scenario["name"] for scenario in found["scenarios"]] == list(plan)
    for scenario in found["scenarios"]:
        observed = scenario["observed"]
        assert observed["writes"] == plan[scenario["name"]], scenario
        assert observed["lost"] == 0 and observed["history_ok"], scenario["history"]
        assert observed["acknowledged"] > 20 and observed["writes_resumed"]
        assert observed["recovery"] is not None
        if scenario["name"].startswith("lb-"):
            assert observed["vip_failover"] is not None and len(observed["vip_takers"]) == 1, observed
            assert observed["vip_holders_after"] and len(observed["vip_holders_after"]) == 1
        if plan[scenario["name"]] == "stop":
            assert observed["longest_gap"] >= 5.0  # the hold time: nothing got through while quorum was gone
        picture = drill_lab.folder / f"{found['cluster']}-{scenario['name']}.svg"
        assert picture.read_text().lstrip().startswith("<?xml")
    suite = ElementTree.parse(junit).getroot()
    assert suite.get("tests") == str(len(plan)) and suite.get("failures") == "0"


@pytest.mark.examples("lab-stacked")
def test_a_wrong_expectation_fails_the_drill(drill_lab: DrillLab) -> None:
    topology, _ = load_topology(drill_lab.cluster_file)
    tree = drill_lab.cluster_file.parent / "build"
    targets = {target.host: target for target in ssh_targets(topology, tree)}
    chosen, _ = select(scenarios_for(topology), ["etcd-kill-follower"])
    wrong = with_expected(chosen[0], Expected("stop"))
    results = Drill(topology, tree, LabControl(targets, lab_for(topology)), lambda _: None).run([wrong])
    assert not results[0].passed
    assert results[0].verdict.reasons == ["writes continue, expected writes stop"]
