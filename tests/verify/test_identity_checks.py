"""verify's checks that read the facts gathered before the checks: the recorded cluster ID on every member,
one leader, the member list of the file (no extra member, no learner), the recorded CAs. Run over facts
recorded in the planner's builders; the lab test (test_lab_verify.py) runs them against real etcd."""

from __future__ import annotations

import pytest

from provisioner.cluster.record import Record
from provisioner.cluster.topology import Topology
from provisioner.facts.model import CaFingerprints, ClusterFacts, EtcdStatus
from provisioner.verify.live import LiveFacts
from provisioner.verify.results import CheckResult, Outcome
from provisioner.verify.session import run_plugin
from tests.plan.builders import CLUSTER_ID, ETCD_CA, changed, member_id, record, running, topology
from tests.verify.fakes import FakeFleet

MEMBERS = ["etcd1", "etcd2", "etcd3"]
CHECKS = ["test_recorded_identity.py", "test_etcd_cluster.py::test_exactly_one_leader",
          "test_etcd.py::test_member_list_matches_cluster_file"]


@pytest.fixture(scope="module")
def cluster() -> Topology:
    return topology("external", control_plane=1, etcd_hosts=3)


def _verify(cluster: Topology, facts: ClusterFacts, with_record: bool = True,
            recorded: Record | None = None) -> dict[tuple[str, str], CheckResult]:
    recorded = recorded or record(MEMBERS)
    live = LiveFacts(facts, recorded if with_record else None, "build/record.yml" if with_record else "")
    fleet = FakeFleet(cluster, lambda host, command: None)  # these checks run no command on the hosts
    results, problems = run_plugin(cluster, fleet.as_fleet(), CHECKS, live=live)
    assert not problems
    return {(result.host, result.check): result for result in results}


def _failed(results: dict[tuple[str, str], CheckResult]) -> set[tuple[str, str]]:
    return {key for key, result in results.items() if result.outcome != Outcome.PASSED}


def test_a_cluster_as_recorded_passes_every_check(cluster: Topology) -> None:
    results = _verify(cluster, running(cluster, MEMBERS, record(MEMBERS)))
    assert set(results) == {("cluster", "one_cluster_id_the_recorded_one"), ("cluster", "exactly_one_leader")} | {
        (host, "installed_cas_are_the_recorded_ones") for host in ("cp1", *MEMBERS)} | {
        (host, "member_list_matches_cluster_file") for host in MEMBERS}
    assert not _failed(results)


def test_a_member_of_another_cluster_fails_the_cluster_id_check(cluster: Topology) -> None:
    facts = running(cluster, MEMBERS, record(MEMBERS))
    other = EtcdStatus(cluster_id="9999aaaa9999aaaa", member_id=member_id("etcd2"), leader=member_id("etcd2"),
                       version="3.5.16")
    results = _verify(cluster, changed(facts, "etcd2", status=other))
    check = results[("cluster", "one_cluster_id_the_recorded_one")]
    assert (check.outcome, check.found) == (Outcome.FAILED, "etcd2: 9999aaaa9999aaaa")
    assert check.expected == f"cluster ID {CLUSTER_ID} on every member (the record's, build/record.yml)"
    assert results[("cluster", "exactly_one_leader")].outcome == Outcome.FAILED


def test_without_a_record_the_identity_checks_fail(cluster: Topology) -> None:
    results = _verify(cluster, running(cluster, MEMBERS, None), with_record=False)
    check = results[("cluster", "one_cluster_id_the_recorded_one")]
    assert (check.outcome, check.found) == (Outcome.FAILED, "no record")


def test_a_learner_left_behind_fails_the_member_list_on_every_member(cluster: Topology) -> None:
    facts = running(cluster, [*MEMBERS, "etcd4"], record(MEMBERS), learners=("etcd4",))
    results = _verify(cluster, facts)
    assert _failed(results) == {(host, "member_list_matches_cluster_file") for host in MEMBERS}
    assert results[("etcd1", "member_list_matches_cluster_file")].found == \
        "unexpected etcd4=https://10.0.0.24:2380 (learner)"


def test_a_stopped_member_fails_the_leader_and_member_list_checks(cluster: Topology) -> None:
    facts = changed(running(cluster, MEMBERS, record(MEMBERS)), "etcd3", status=None, members=None,
                    etcd_active=False)
    results = _verify(cluster, facts)
    assert _failed(results) == {("cluster", "exactly_one_leader"), ("cluster", "one_cluster_id_the_recorded_one"),
                                ("etcd3", "member_list_matches_cluster_file")}
    assert results[("cluster", "exactly_one_leader")].found == "no status from etcd3 (etcd not running); leader etcd1"


def test_a_ca_other_than_the_recorded_one_fails_on_its_host(cluster: Topology) -> None:
    facts = running(cluster, MEMBERS, record(MEMBERS))
    facts = changed(facts, "cp1", ca=CaFingerprints(etcd=(ETCD_CA,), kubernetes=("sha256:" + "b" * 64,),
                                                   etcd_client=(ETCD_CA,)))
    facts = changed(facts, "etcd2", ca=CaFingerprints())
    results = _verify(cluster, facts)
    assert _failed(results) == {("cp1", "installed_cas_are_the_recorded_ones"),
                                ("etcd2", "installed_cas_are_the_recorded_ones")}
    assert results[("cp1", "installed_cas_are_the_recorded_ones")].found == "kubernetes CA sha256:bbbbbbbbbbbbbbbb…"
    assert results[("etcd2", "installed_cas_are_the_recorded_ones")].found == "etcd CA missing"


def test_the_control_planes_copy_of_the_etcd_ca_must_be_the_recorded_one(cluster: Topology) -> None:
    facts = running(cluster, MEMBERS, record(MEMBERS))
    cp1 = facts.host("cp1")
    assert cp1 is not None
    facts = changed(facts, "cp1", ca=cp1.ca.model_copy(update={"etcd_client": ("sha256:" + "c" * 64,)}))
    results = _verify(cluster, facts)
    assert _failed(results) == {("cp1", "installed_cas_are_the_recorded_ones")}
    assert results[("cp1", "installed_cas_are_the_recorded_ones")].found == "etcd client CA sha256:cccccccccccccccc…"


def test_during_a_ca_rotation_each_trust_file_holds_exactly_the_recorded_old_and_new_ca(cluster: Topology) -> None:
    new = "sha256:" + "d" * 64
    rotating = record(MEMBERS).model_copy(update={"ca": record(MEMBERS).ca.model_copy(update={"etcd_rotation": new})})
    facts = running(cluster, MEMBERS, rotating)
    for host in facts.hosts:
        facts = changed(facts, host.host, ca=host.ca.model_copy(
            update={"etcd": (ETCD_CA, new) if host.ca.etcd else None,
                    "etcd_client": (new, ETCD_CA) if host.ca.etcd_client else None}))
    assert not _failed(_verify(cluster, facts, recorded=rotating))
    cp1 = facts.host("cp1")
    assert cp1 is not None
    only_old = changed(facts, "cp1", ca=cp1.ca.model_copy(update={"etcd_client": (ETCD_CA,)}))
    results = _verify(cluster, only_old, recorded=rotating)
    assert _failed(results) == {("cp1", "installed_cas_are_the_recorded_ones")}
    assert results[("cp1", "installed_cas_are_the_recorded_ones")].found == "etcd client CA sha256:eeeeeeeeeeeeeeee…"
