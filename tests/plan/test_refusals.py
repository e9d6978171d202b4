"""Every refusal of the planner: one line saying what differs and what to do, and no step at all."""

from __future__ import annotations

from provisioner.cluster.record import RecordedCas
from provisioner.facts.model import CaFingerprints
from provisioner.plan.planner import plan_changes, plan_replace
from provisioner.plan.steps import Plan
from tests.plan.builders import CAS, CLUSTER_ID, ETCD_CA, changed, empty, everywhere, record, running, topology

THREE = ["etcd1", "etcd2", "etcd3"]


def refused(plan: Plan) -> str:
    assert not plan.steps, plan.steps
    assert len(plan.refusals) == 1, plan.refusals
    return plan.refusals[0]


def test_a_host_whose_member_belongs_to_another_cluster() -> None:
    wanted = topology(etcd_hosts=3)
    facts = running(wanted, THREE, record(THREE))
    status = facts.host("etcd3").status.model_copy(update={"cluster_id": "0123456789abcdef"})  # type: ignore[union-attr]
    line = refused(plan_changes(wanted, record(THREE), changed(facts, "etcd3", status=status), CAS))
    assert line.startswith("etcd3: its etcd member belongs to cluster 0123456789abcdef, the record says "
                           f"{CLUSTER_ID}")


def test_two_clusters_without_a_record_is_the_split_brain_and_is_refused() -> None:
    wanted = topology(etcd_hosts=3)
    facts = running(wanted, THREE, None)
    status = facts.host("etcd3").status.model_copy(update={"cluster_id": "0123456789abcdef"})  # type: ignore[union-attr]
    line = refused(plan_changes(wanted, None, changed(facts, "etcd3", status=status), CAS))
    assert line.startswith("the etcd members belong to 2 different clusters")


def test_a_renamed_cluster() -> None:
    wanted = topology(etcd_hosts=3, name="other")
    line = refused(plan_changes(wanted, record(THREE), running(wanted, THREE, record(THREE)), CAS))
    assert line == ("cluster.yaml: name: the cluster was built as 'demo', the file says 'other'; a cluster cannot "
                    "be renamed: put the name back")


def test_a_changed_data_dir() -> None:
    wanted = topology(etcd_hosts=3, etcd={"data_dir": "/srv/etcd"})
    line = refused(plan_changes(wanted, record(THREE), running(wanted, THREE, record(THREE)), CAS))
    assert line == ("cluster.yaml: etcd.data_dir: the members keep their data in /var/lib/etcd, the file says "
                    "/srv/etcd; moving the data is not supported: put etcd.data_dir back to /var/lib/etcd")


def test_a_move_between_layouts_with_a_member_down_would_pass_without_quorum() -> None:
    stacked = ["cp1", "cp2", "cp3"]
    wanted = topology("external", control_plane=3, etcd_hosts=3)
    recorded = record(stacked, layout="stacked")
    facts = changed(running(wanted, stacked, recorded), "cp3", etcd_active=False, status=None, members=None)
    line = refused(plan_changes(wanted, recorded, facts, CAS))
    assert line == ("cluster.yaml: layout: moving from stacked to external etcd needs every member healthy, but cp3 "
                    "do not answer: with a member down the move would pass through a moment without quorum; bring "
                    "it back (or `provisioner etcd replace` it) first")


def test_a_move_between_layouts_while_no_member_answers() -> None:
    wanted = topology("stacked", control_plane=3)
    recorded = record(THREE)
    facts = everywhere(running(wanted, THREE, recorded, extra_hosts=tuple(THREE)), etcd_active=False, status=None,
                       members=None)
    line = refused(plan_changes(wanted, recorded, facts, CAS))
    assert line == ("cluster.yaml: layout: moving from external to stacked etcd needs the running cluster, but no "
                    "etcd member answers: start it first")


def test_a_build_folder_whose_ca_is_not_the_recorded_one() -> None:
    wanted = topology(etcd_hosts=3)
    other = RecordedCas(etcd="sha256:" + "1" * 64, kubernetes=CAS.kubernetes)
    line = refused(plan_changes(wanted, record(THREE), running(wanted, THREE, record(THREE)), other))
    assert line.startswith("pki/etcd/ca.crt in the build folder (sha256:1111111111111111…) is not the CA the "
                           "cluster was built with")
    assert "put the recorded CA back (ca.crt in pki/etcd/, ca.key in secrets/pki/etcd/)" in line


def test_a_host_trusting_another_ca() -> None:
    wanted = topology(etcd_hosts=3)
    facts = changed(running(wanted, THREE, record(THREE)), "etcd2", ca=CaFingerprints(etcd=("sha256:" + "2" * 64,)))
    line = refused(plan_changes(wanted, record(THREE), facts, CAS))
    assert line.startswith("etcd2: trusts a etcd CA (sha256:2222222222222222…) other than the recorded one")


NEW_CA = "sha256:" + "4" * 64


def test_during_a_ca_rotation_hosts_may_trust_the_old_and_new_ca_but_no_other() -> None:
    wanted = topology(etcd_hosts=3)
    rotating = CAS.model_copy(update={"etcd_rotation": NEW_CA})
    recorded = record(THREE).model_copy(update={"ca": rotating})
    both = changed(running(wanted, THREE, recorded), "etcd2", ca=CaFingerprints(etcd=(ETCD_CA, NEW_CA)))
    assert not plan_changes(wanted, recorded, both, rotating).refusals
    foreign = changed(both, "etcd3", ca=CaFingerprints(etcd=(ETCD_CA, "sha256:" + "2" * 64)))
    line = refused(plan_changes(wanted, recorded, foreign, rotating))
    assert line.startswith("etcd3: trusts a etcd CA (sha256:2222222222222222…) other than the recorded one")


def test_a_build_folder_part_way_through_a_rotation_the_record_does_not_name() -> None:
    wanted = topology(etcd_hosts=3)
    rotating = CAS.model_copy(update={"etcd_rotation": NEW_CA})
    line = refused(plan_changes(wanted, record(THREE), running(wanted, THREE, record(THREE)), rotating))
    assert "a CA rotation stopped part-way; finish it with `provisioner certs rotate-ca cluster.yaml --yes`" in line


def test_a_recorded_cluster_whose_members_are_all_empty_is_a_restore() -> None:
    wanted = topology(etcd_hosts=3)
    line = refused(plan_changes(wanted, record(THREE), empty(wanted), CAS))
    assert line == (f"every member's /var/lib/etcd is empty, but the record says cluster {CLUSTER_ID} was built "
                    "with etcd1, etcd2, etcd3: that is a restore, not a bootstrap; restore the data with "
                    "`provisioner etcd restore cluster.yaml SNAPSHOT --yes` (apply never bootstraps a recorded cluster "
                    "again)")


def test_existing_data_without_a_record_or_a_running_member() -> None:
    wanted = topology(etcd_hosts=3)
    line = refused(plan_changes(wanted, None, changed(empty(wanted), "etcd2", data_has_member=True), CAS))
    assert line.startswith("etcd2 hold etcd data in /var/lib/etcd, but no member answers and there is no record")


def test_a_membership_change_on_an_unhealthy_cluster() -> None:
    wanted = topology(etcd_hosts=5)
    facts = changed(running(wanted, THREE, record(THREE)), "etcd2", status=None, members=None,
                    etcd_error="context deadline exceeded")
    line = refused(plan_changes(wanted, record(THREE), facts, CAS))
    assert line.startswith("etcd is not healthy: etcd2 do not answer (etcd2: context deadline exceeded); membership "
                           "changes run only on a healthy cluster")


def test_members_disagreeing_on_the_leader() -> None:
    wanted = topology(etcd_hosts=5)
    facts = running(wanted, THREE, record(THREE))
    status = facts.host("etcd3").status.model_copy(update={"leader": "00000000000000ff"})  # type: ignore[union-attr]
    line = refused(plan_changes(wanted, record(THREE), changed(facts, "etcd3", status=status), CAS))
    assert line.startswith("the members do not agree on a leader")


def test_removing_dead_members_without_quorum_names_the_quorum() -> None:
    five = [*THREE, "etcd4", "etcd5"]
    recorded = record(five)
    facts = running(topology(etcd_hosts=2), five, recorded, extra_hosts=("etcd3", "etcd4", "etcd5"))
    for name in ("etcd3", "etcd4", "etcd5"):
        facts = changed(facts, name, reachable=False, status=None, members=None, problem="timeout")
    plan = plan_changes(topology(etcd_hosts=2), recorded, facts, CAS)
    assert plan.refusals == ("removing etcd3, etcd4, etcd5 needs a quorum of 3 of the 5 voting members, but only 2 "
                             "answer: bring members back first",)


def test_a_member_whose_data_is_gone_names_the_replace_command() -> None:
    wanted = topology(etcd_hosts=3)
    facts = changed(running(wanted, THREE, record(THREE)), "etcd2", etcd_active=False, data_has_member=False,
                    status=None, members=None)
    line = refused(plan_changes(wanted, record(THREE), facts, CAS))
    assert line.startswith("etcd2: the cluster knows it as member ")
    assert line.endswith("its data is gone or the machine was rebuilt; replace it with "
                         "`provisioner etcd replace cluster.yaml etcd2`")


def test_a_new_host_holding_data_of_a_member_the_cluster_does_not_know() -> None:
    wanted = topology(etcd_hosts=4)
    facts = changed(running(wanted, THREE, record(THREE)), "etcd4", data_has_member=True)
    line = refused(plan_changes(wanted, record(THREE), facts, CAS))
    assert line.startswith("etcd4: /var/lib/etcd holds etcd data, but the cluster has no member there")


def test_replace_refuses_a_host_that_is_not_a_member_of_the_file() -> None:
    wanted = topology(etcd_hosts=3)
    line = refused(plan_replace(wanted, record(THREE), running(wanted, THREE, record(THREE)), CAS, "cp1"))
    assert line.startswith("cp1: not an etcd member in cluster.yaml")


def test_replace_refuses_without_quorum_among_the_others() -> None:
    wanted = topology(etcd_hosts=3)
    facts = running(wanted, THREE, record(THREE))
    for name in ("etcd2", "etcd3"):
        facts = changed(facts, name, status=None, members=None, etcd_active=False)
    plan = plan_replace(wanted, record(THREE), facts, CAS, "etcd2")
    assert any("only 1 of the other 2 members answer" in line for line in plan.refusals), plan.refusals


def test_an_unreachable_host_that_must_join() -> None:
    wanted = topology(etcd_hosts=4)
    facts = changed(running(wanted, THREE, record(THREE)), "etcd4", reachable=False, problem="connection refused")
    line = refused(plan_changes(wanted, record(THREE), facts, CAS))
    assert line == "etcd4: cannot be reached over SSH (connection refused); it must answer to join"


def test_a_refused_plan_prints_one_line_per_reason() -> None:
    wanted = topology(etcd_hosts=3, name="other", etcd={"data_dir": "/srv/etcd"})
    plan = plan_changes(wanted, record(THREE), everywhere(running(wanted, THREE, record(THREE))), CAS)
    assert len(plan.lines()) == 2 and all(line.startswith("refused: ") for line in plan.lines())
