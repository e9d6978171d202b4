"""The rolling etcd upgrade the planner makes from the versions the members run, and what it refuses
(one line each, no step): a skipped minor release, a downgrade, a member down, a membership change in
the same run."""

from __future__ import annotations

from pathlib import Path

import pytest

from provisioner.cluster.topology import Topology
from provisioner.facts.model import ClusterFacts
from provisioner.plan.planner import plan_changes
from provisioner.plan.steps import CheckClusterVersion, Plan, SnapshotBeforeUpgrade, UpgradeMember
from provisioner.plan.upgrade import version_refusal
from tests.plan.builders import CAS, changed, record, running, topology

THREE = ["etcd1", "etcd2", "etcd3"]
GOLDEN = Path(__file__).parent / "golden"


def release(version: str, etcd_hosts: int = 3) -> Topology:
    return topology(etcd_hosts=etcd_hosts, etcd={
        "install": "release", "version": version,
        "release": {"url": f"https://mirror.example/etcd-v{version}-linux-amd64.tar.gz", "sha256": "0" * 64}})


def on_versions(wanted: Topology, versions: dict[str, str], leader: str = "etcd1",
                members: list[str] = THREE) -> ClusterFacts:
    facts = running(wanted, members, record(members), leader=leader)
    for name, version in versions.items():
        status = facts.host(name).status.model_copy(update={"version": version})  # type: ignore[union-attr]
        facts = changed(facts, name, status=status)
    return facts


def planned(version: str, versions: dict[str, str], leader: str = "etcd1") -> Plan:
    wanted = release(version)
    return plan_changes(wanted, record(THREE), on_versions(wanted, versions, leader), CAS)


def refused(plan: Plan) -> str:
    assert not plan.steps, plan.steps
    assert len(plan.refusals) == 1, plan.refusals
    return plan.refusals[0]


ON_3_4 = dict.fromkeys(THREE, "3.4.23")


def test_the_upgrade_snapshots_first_then_each_member_with_the_leader_last_then_the_cluster_version() -> None:
    plan = planned("3.5.16", ON_3_4, leader="etcd2")
    kinds = [type(step) for step in plan.steps]
    assert kinds == [SnapshotBeforeUpgrade, UpgradeMember, UpgradeMember, UpgradeMember, CheckClusterVersion]
    assert [step.host for step in plan.steps[1:4]] == ["etcd1", "etcd3", "etcd2"]
    assert plan.upgrading == frozenset(THREE)
    assert plan.needs_confirmation
    assert plan.steps[-1].sentence == "wait until every member reports cluster version 3.5"  # type: ignore[union-attr]
    expected = (GOLDEN / "upgrade_3_4_to_3_5.txt").read_text()
    assert "\n".join(plan.lines()) + "\n" == expected


def test_a_run_that_stopped_part_way_upgrades_only_the_members_still_behind() -> None:
    plan = planned("3.5.16", {**ON_3_4, "etcd1": "3.5.16"})
    assert [step.host for step in plan.steps if isinstance(step, UpgradeMember)] == ["etcd2", "etcd3"]


def test_every_member_on_the_version_is_no_change_and_package_installs_are_never_upgraded() -> None:
    assert not planned("3.5.16", {}).steps
    wanted = topology(etcd_hosts=3, etcd={"version": "3.6.1"})
    assert not plan_changes(wanted, record(THREE), on_versions(wanted, ON_3_4), CAS).steps


def test_a_patch_release_is_an_upgrade() -> None:
    plan = planned("3.5.17", dict.fromkeys(THREE, "3.5.16"))
    assert len([step for step in plan.steps if isinstance(step, UpgradeMember)]) == 3
    assert plan.steps[-1].version == "3.5"  # type: ignore[attr-defined]


@pytest.mark.parametrize(("wanted", "versions", "expected"), [
    ("3.6.0", ON_3_4, "cluster.yaml: etcd.version: 3.6.0 skips a minor release from 3.4.23, which etcd1 runs: etcd "
                      "upgrades one minor release at a time; upgrade to 3.5.x first"),
    ("3.6.0", {**ON_3_4, "etcd1": "3.5.16"},
     "cluster.yaml: etcd.version: 3.6.0 skips a minor release from 3.4.23, which etcd2 runs: etcd upgrades one "
     "minor release at a time; upgrade to 3.5.x first"),
    ("4.0.0", dict.fromkeys(THREE, "3.5.16"),
     "cluster.yaml: etcd.version: 4.0.0 skips a minor release from 3.5.16, which etcd1 runs: etcd upgrades one "
     "minor release at a time; upgrade to the next minor release first"),
    ("3.4.23", dict.fromkeys(THREE, "3.5.16"),
     "cluster.yaml: etcd.version: 3.4.23 is older than 3.5.16, which etcd1 runs: etcd is not downgraded by "
     "replacing its binaries; put etcd.version back to 3.5.16"),
    ("3.5.10", {**ON_3_4, "etcd3": "3.5.16"},
     "cluster.yaml: etcd.version: 3.5.10 is older than 3.5.16, which etcd3 runs: etcd is not downgraded by "
     "replacing its binaries; put etcd.version back to 3.5.16"),
])
def test_skipping_a_minor_release_and_downgrades_are_refused(wanted: str, versions: dict[str, str],
                                                             expected: str) -> None:
    assert refused(planned(wanted, versions)) == expected


def test_an_upgrade_with_a_member_down_is_refused() -> None:
    wanted = release("3.5.16")
    facts = changed(on_versions(wanted, ON_3_4), "etcd3", status=None, etcd_active=False)
    assert refused(plan_changes(wanted, record(THREE), facts, CAS)).startswith(
        "cluster.yaml: etcd.version: upgrading to 3.5.16 needs every member healthy, but etcd3 do not answer")


def test_an_upgrade_and_a_membership_change_at_once_are_refused() -> None:
    wanted = release("3.5.16", etcd_hosts=4)
    facts = on_versions(wanted, ON_3_4)
    line = refused(plan_changes(wanted, record(THREE), facts, CAS))
    assert line.startswith("cluster.yaml: etcd.version: the upgrade to 3.5.16 and a membership change (add etcd "
                           "member etcd4 as a learner")
    assert line.endswith("upgrade first, then change the membership")


def test_version_refusal_is_none_for_a_minor_step_and_the_same_version() -> None:
    assert version_refusal("c.yaml", "3.5.0", {"a": "3.4.23", "b": "3.5.0"}) is None
    assert version_refusal("c.yaml", "3.5.0", {"a": "3.5.0"}) is None
