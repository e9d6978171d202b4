"""A stacked cluster grows 1 -> 3 on real etcd: the split-brain regression. Every member is polled while
apply runs and never two cluster IDs are seen; the first member is not restarted; a second apply
changes nothing. Lab ls-stacked (cp1..cp3 on 198.18.10.0/24, after ls-external is down); needs root."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from provisioner.providers.lab import lab_prerequisites_problems
from tests.apply.membership_labs import SUBNET, MembershipLab, cluster_ids_seen, nothing_lost, writing

PROBLEMS = lab_prerequisites_problems()
pytestmark = [
    pytest.mark.lab,
    pytest.mark.skipif(bool(PROBLEMS), reason="lab cannot run here: " + "; ".join(PROBLEMS)),
]


@pytest.fixture(scope="module")
def stacked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MembershipLab]:
    machines = {f"cp{i}": f"{SUBNET}.3{i}" for i in range(1, 4)}
    lab = MembershipLab("ls-stacked", "stacked", machines, tmp_path_factory.mktemp("ls-stacked"))
    try:
        lab.lab.up()
        yield lab
    finally:
        lab.lab.down()


def test_growing_a_stacked_cluster_1_to_3_never_makes_a_second_cluster(stacked: MembershipLab) -> None:
    stacked.write(["cp1"])
    result = stacked.cli("apply")
    assert result.exit_code == 0, result.stdout + result.stderr
    key, value = f"/ls/{uuid.uuid4().hex}", uuid.uuid4().hex
    stacked.put("cp1", key, value)
    cluster_id = stacked.one_cluster(["cp1"])
    pid = stacked.main_pid("cp1")
    with writing(stacked) as workload:
        stacked.write(["cp1", "cp2", "cp3"])
        with cluster_ids_seen(stacked, ["cp1", "cp2", "cp3"]) as seen:
            result = stacked.cli("apply")
        assert result.exit_code == 0, result.stdout + result.stderr
        nothing_lost(workload, stacked, ["cp1", "cp2", "cp3"])
    assert seen == {cluster_id}
    assert stacked.one_cluster(["cp1", "cp2", "cp3"]) == cluster_id
    assert stacked.main_pid("cp1") == pid
    for host in ("cp2", "cp3"):
        assert stacked.get(host, key) == value


def test_a_second_apply_of_the_grown_cluster_changes_nothing(stacked: MembershipLab, tmp_path: Path) -> None:
    report = tmp_path / "again.json"
    result = stacked.cli("apply", "--report", str(report))
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "no changes" in result.stdout
    assert {host: counts["changed"] for host, counts in json.loads(report.read_text())["hosts"].items()} == \
        {"cp1": 0, "cp2": 0, "cp3": 0}
