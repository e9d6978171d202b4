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

# example -> (lab name, its /24)
LABS = {"lab-stacked": ("dr-stacked", "198.18.15."), "lab-external": ("dr-external", "198.18.26.")}
# scenario -> the writes it must show in each layout: the same scenarios on both, compared side by side
EXPECTED = {
    "etcd-kill-leader": {"lab-stacked": "continue", "lab-external": "continue"},
    "etcd-cut-leader": {"lab-stacked": "continue", "lab-external": "continue"},
    "cp-power-off-two": {"lab-stacked": "stop", "lab-external": "continue"},
    "lb-power-off-vip-holder": {"lab-stacked": "continue", "lab-external": "continue"},
    "lb-stop-haproxy-vip-holder": {"lab-stacked": "continue", "lab-external": "continue"},
}


@dataclass
class DrillLab:
    example: str
    cluster_file: Path
    folder: Path


@pytest.fixture(scope="module")
def drill_labs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, DrillLab]]:
    """Both examples up at once on lab copies of their own, so one drill can compare them."""
    labs: dict[str, DrillLab] = {}
    try:
        for example, (name, prefix) in LABS.items():
            folder = tmp_path_factory.mktemp(name)
            file = derived_cluster(example, name, folder, prefix)
            labs[example] = DrillLab(example, file, folder)
            result = run_cli("up", "--lab", str(file))
            assert result.exit_code == 0, f"up failed:\n{result.stdout[-4000:]}\n{result.stderr[-2000:]}"
        yield labs
    finally:
        for lab in labs.values():
            if run_cli("down", "--lab", str(lab.cluster_file)).exit_code != 0:
                lab_for(load_topology(lab.cluster_file)[0]).down()


def test_drill_compares_the_layouts_and_loses_nothing(drill_labs: dict[str, DrillLab]) -> None:
    stacked, external = drill_labs["lab-stacked"], drill_labs["lab-external"]
    report, junit = stacked.folder / "drill.json", stacked.folder / "drill.xml"
    scenarios = [argument for name in EXPECTED for argument in ("--scenario", name)]
    result = run_cli("drill", str(stacked.cluster_file), "--lab", "--compare", str(external.cluster_file),
                     *scenarios, "--json", str(report), "--junit", str(junit))
    assert result.exit_code == 0, f"drill failed:\n{result.stdout[-6000:]}\n{result.stderr[-2000:]}"
    assert result.stdout.count("verify after the drill: passed") == 2
    # The side-by-side table: the stacked layout stops writing where the external one goes on.
    compared = result.stdout[result.stdout.index("side by side"):]
    row = next(line for line in compared.splitlines() if "cp-power-off-two" in line)
    assert row.index("stop") < row.index("continue"), row
    reports = {"lab-stacked": report, "lab-external": report.with_name(f"drill-{LABS['lab-external'][0]}.json")}
    for example, path in reports.items():
        found = json.loads(path.read_text())
        assert [scenario["name"] for scenario in found["scenarios"]] == list(EXPECTED)
        for scenario in found["scenarios"]:
            observed = scenario["observed"]
            assert observed["writes"] == EXPECTED[scenario["name"]][example], scenario
            assert observed["lost"] == 0 and observed["history_ok"], scenario["history"]
            assert observed["acknowledged"] > 20 and observed["writes_resumed"]
            assert observed["recovery"] is not None
            if scenario["name"].startswith("lb-"):
                assert observed["vip_failover"] is not None and len(observed["vip_takers"]) == 1, observed
                assert observed["vip_holders_after"] and len(observed["vip_holders_after"]) == 1
            if observed["writes"] == "stop":
                assert observed["longest_gap"] >= 5.0  # the hold time: nothing got through while quorum was gone
            picture = report.parent / f"{found['cluster']}-{scenario['name']}.svg"
            assert picture.read_text().lstrip().startswith("<?xml")
    for path in (junit, junit.with_name(f"drill-{LABS['lab-external'][0]}.xml")):
        suite = ElementTree.parse(path).getroot()
        assert suite.get("tests") == str(len(EXPECTED)) and suite.get("failures") == "0"


def test_a_wrong_expectation_fails_the_drill(drill_labs: dict[str, DrillLab]) -> None:
    cluster_file = drill_labs["lab-stacked"].cluster_file
    topology, _ = load_topology(cluster_file)
    tree = cluster_file.parent / "build"
    targets = {target.host: target for target in ssh_targets(topology, tree)}
    chosen, _ = select(scenarios_for(topology), ["etcd-kill-follower"])
    wrong = with_expected(chosen[0], Expected("stop"))
    results = Drill(topology, tree, LabControl(targets, lab_for(topology)), lambda _: None).run([wrong])
    assert not results[0].passed
    assert results[0].verdict.reasons == ["writes continue, expected writes stop"]
