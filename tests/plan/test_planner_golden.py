"""The plan for each scenario, as `provisioner plan` prints it, against a reviewed golden file.

Regenerate after a reviewed change with UPDATE_GOLDEN=1 python -m pytest tests/plan/test_planner_golden.py"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from provisioner.facts.model import ClusterFacts, KubeadmFacts
from provisioner.plan.planner import plan_changes, plan_replace
from provisioner.plan.steps import Plan
from tests.plan.builders import (
    CAS,
    changed,
    client_url,
    empty,
    everywhere,
    member,
    member_id,
    record,
    running,
    topology,
)

GOLDEN = Path(__file__).parent / "golden"
THREE = ["etcd1", "etcd2", "etcd3"]
FIVE = [*THREE, "etcd4", "etcd5"]


def new_cluster() -> Plan:
    wanted = topology(etcd_hosts=3)
    return plan_changes(wanted, None, empty(wanted), CAS)


def nothing_to_do() -> Plan:
    wanted = topology(etcd_hosts=3)
    return plan_changes(wanted, record(THREE), running(wanted, THREE, record(THREE)), CAS)


def scale_external_3_to_5() -> Plan:
    wanted = topology(etcd_hosts=5)
    return plan_changes(wanted, record(THREE), running(wanted, THREE, record(THREE)), CAS)


def scale_external_5_to_3_leader_leaving() -> Plan:
    recorded = record(FIVE, founders=THREE)
    facts = running(topology(etcd_hosts=3), FIVE, recorded, leader="etcd5", extra_hosts=("etcd4", "etcd5"))
    return plan_changes(topology(etcd_hosts=3), recorded, facts, CAS)


def scale_stacked_1_to_3() -> Plan:
    wanted = topology("stacked", control_plane=3)
    recorded = record(["cp1"], layout="stacked")
    return plan_changes(wanted, recorded, running(wanted, ["cp1"], recorded), CAS)


def scale_external_3_to_1() -> Plan:
    recorded = record(THREE)
    facts = running(topology(etcd_hosts=1), THREE, recorded, leader="etcd2", extra_hosts=("etcd2", "etcd3"))
    return plan_changes(topology(etcd_hosts=1), recorded, facts, CAS)


def resume_after_member_add() -> Plan:
    """Killed after `member add`, before etcd4 started: it is listed as an unstarted learner."""
    wanted = topology(etcd_hosts=4)
    facts = running(wanted, THREE, record(THREE))
    listed = (*facts.members, member("etcd4", learner=True, started=False))
    facts = everywhere(facts, members=None)
    for name in THREE:
        facts = changed(facts, name, members=listed)
    return plan_changes(wanted, record(THREE), facts, CAS)


def resume_before_promote() -> Plan:
    """Killed after etcd4 started as a learner, before its promotion."""
    wanted = topology(etcd_hosts=4)
    facts = running(wanted, [*THREE, "etcd4"], record(THREE), learners=("etcd4",))
    return plan_changes(wanted, record(THREE), facts, CAS)


def resume_after_member_remove() -> Plan:
    """Killed after `member remove etcd4`, before etcd was stopped there: it keeps restarting alone."""
    recorded = record([*THREE, "etcd4"], founders=THREE)
    facts = running(topology(etcd_hosts=3), THREE, recorded, extra_hosts=("etcd4",))
    facts = changed(facts, "etcd4", etcd_active=True, etcd_enabled=True, data_has_member=True)
    return plan_changes(topology(etcd_hosts=3), recorded, facts, CAS)


def replace_member_whose_data_is_gone() -> Plan:
    wanted = topology(etcd_hosts=3)
    facts = running(wanted, THREE, record(THREE))
    facts = changed(facts, "etcd2", etcd_active=False, etcd_enabled=False, data_has_member=False, status=None,
                    members=None, record=None)
    return plan_replace(wanted, record(THREE), facts, CAS, "etcd2")


def replace_the_leader_while_it_runs() -> Plan:
    wanted = topology(etcd_hosts=3)
    return plan_replace(wanted, record(THREE), running(wanted, THREE, record(THREE), leader="etcd2"), CAS, "etcd2")


def adopt_a_running_cluster_without_record() -> Plan:
    wanted = topology(etcd_hosts=3)
    return plan_changes(wanted, None, running(wanted, THREE, None), CAS)


def control_plane_endpoints_follow_membership() -> Plan:
    """kubeadm ran on cp1: its API server's --etcd-servers gains etcd4 after the promotion."""
    wanted = topology(etcd_hosts=4)
    facts = running(wanted, THREE, record(THREE))
    facts = changed(facts, "cp1", kubeadm=KubeadmFacts(
        admin_conf=True, marker=True, apiserver_etcd_servers=tuple(client_url(n) for n in THREE)))
    return plan_changes(wanted, record(THREE, control_plane_initialized=True), facts, CAS)


STACKED = ["cp1", "cp2", "cp3"]


def configured(facts: ClusterFacts, members: list[str], lists: list[str]) -> ClusterFacts:
    """Control-plane hosts configured with `lists`' client URLs; `members` hold server and peer certificates."""
    for host in facts.hosts:
        if host.host.startswith("cp"):
            facts = changed(facts, host.host, kubeadm=KubeadmFacts(
                configured_etcd_endpoints=tuple(client_url(n) for n in lists)))
    for name in members:
        facts = changed(facts, name, member_certificates=True)
    return facts


def move_stacked_to_external() -> Plan:
    """layout: stacked -> external, etcd1-3 added to the file; cp2 leads."""
    wanted = topology("external", control_plane=3, etcd_hosts=3)
    recorded = record(STACKED, layout="stacked")
    facts = configured(running(wanted, STACKED, recorded, leader="cp2"), STACKED, STACKED)
    return plan_changes(wanted, recorded, facts, CAS)


def move_external_to_stacked() -> Plan:
    """layout: external -> stacked, the etcd hosts dropped from the file; etcd1 leads."""
    wanted = topology("stacked", control_plane=3)
    recorded = record(THREE)
    facts = configured(running(wanted, THREE, recorded, extra_hosts=tuple(THREE)), THREE, THREE)
    return plan_changes(wanted, recorded, facts, CAS)


def resume_a_move_after_the_first_old_member_left() -> Plan:
    """Killed after cp1 was stopped, before its certificates went: the new members vote, the
    control plane names them, leadership has moved to etcd1."""
    wanted = topology("external", control_plane=3, etcd_hosts=3)
    recorded = record(STACKED, layout="stacked")
    facts = running(wanted, ["cp2", "cp3", *THREE], recorded, leader="etcd1")
    facts = configured(facts, ["cp1", "cp2", "cp3", *THREE], THREE)
    facts = changed(facts, "cp1", data_has_member=False, record=None)
    return plan_changes(wanted, recorded, facts, CAS)


SCENARIOS: dict[str, Callable[[], Plan]] = {f.__name__: f for f in (
    move_stacked_to_external, move_external_to_stacked, resume_a_move_after_the_first_old_member_left,
    new_cluster, nothing_to_do, scale_external_3_to_5, scale_external_5_to_3_leader_leaving, scale_stacked_1_to_3,
    scale_external_3_to_1, resume_after_member_add, resume_before_promote, resume_after_member_remove,
    replace_member_whose_data_is_gone, replace_the_leader_while_it_runs, adopt_a_running_cluster_without_record,
    control_plane_endpoints_follow_membership)}


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_plan_matches_the_reviewed_golden_file(scenario: str) -> None:
    plan = SCENARIOS[scenario]()
    assert not plan.refusals, plan.refusals
    text = "\n".join(plan.lines()) + "\n"
    golden = GOLDEN / f"{scenario}.txt"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(text)
    assert text == golden.read_text()


def test_removals_need_confirmation_and_additions_do_not() -> None:
    assert scale_external_5_to_3_leader_leaving().needs_confirmation
    assert scale_external_3_to_1().needs_confirmation
    assert not scale_external_3_to_5().needs_confirmation
    assert not nothing_to_do().needs_confirmation


def test_only_members_that_stay_are_started_or_restarted_by_the_etcd_phase() -> None:
    assert new_cluster().members_in_place == ("etcd1", "etcd2", "etcd3")
    assert scale_external_3_to_5().members_in_place == ("etcd1", "etcd2", "etcd3")
    assert replace_member_whose_data_is_gone().members_in_place == ("etcd1", "etcd3")
    assert resume_before_promote().members_in_place == ("etcd1", "etcd2", "etcd3")


def test_the_leader_is_moved_to_a_member_that_stays_before_its_removal() -> None:
    lines = scale_external_5_to_3_leader_leaving().lines()
    moved = next(i for i, line in enumerate(lines) if "move etcd leadership from etcd5 to etcd1" in line)
    removed = next(i for i, line in enumerate(lines) if f"remove etcd member etcd5 (ID {member_id('etcd5')})" in line)
    assert moved < removed


def test_a_move_switches_the_control_plane_before_the_first_old_member_leaves() -> None:
    lines = move_stacked_to_external().lines()
    assert lines[0].startswith("moving from stacked to external etcd")
    last_promotion = max(i for i, line in enumerate(lines) if "promote etcd" in line)
    switches = [i for i, line in enumerate(lines) if "update the etcd endpoints" in line]
    leadership = next(i for i, line in enumerate(lines) if "move etcd leadership from cp2 to etcd1" in line)
    first_removal = next(i for i, line in enumerate(lines) if "remove etcd member" in line)
    assert len(switches) == 3 and last_promotion < min(switches) and max(switches) < leadership < first_removal
    assert move_stacked_to_external().needs_confirmation
    assert move_stacked_to_external().holds_back_configuration == {"cp1", "cp2", "cp3"}
