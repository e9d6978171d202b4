"""kubeadm init or join, from the facts: the decision apply hands to the Kubernetes playbook."""

from __future__ import annotations

import itertools

import pytest

from provisioner.facts.model import ClusterFacts, KubeadmFacts
from provisioner.plan.kubeadm import decide_kubeadm
from tests.plan.builders import changed, empty, record, topology

STACKED = ["cp1", "cp2", "cp3"]
ANSWERS = KubeadmFacts(admin_conf=True, kubelet_conf=True, kubeadm_config_map=True, marker=True)
JOINED = KubeadmFacts(kubelet_conf=True, marker=True)


def test_a_new_cluster_is_initialised_on_the_first_control_plane_host_and_every_other_host_joins() -> None:
    wanted = topology("stacked", control_plane=3, workers=2)
    decision = decide_kubeadm(wanted, None, empty(wanted))
    assert (decision.first_control_plane, decision.initialize, decision.members, decision.refusals) == \
        ("cp1", True, (), ())
    # Control-plane hosts first (the playbook joins them one at a time), then the workers.
    assert decision.joining == ("cp2", "cp3", "w1", "w2")
    assert decision.sentence() == "kubeadm: init on cp1, then join cp2, cp3, w1, w2"


def test_a_single_host_cluster_is_initialised_with_nobody_to_join() -> None:
    wanted = topology("stacked", control_plane=1)
    decision = decide_kubeadm(wanted, None, empty(wanted))
    assert (decision.initialize, decision.joining, decision.sentence()) == (True, (), "kubeadm: init on cp1")


def test_a_failed_init_that_left_files_but_no_marker_is_initialised_again() -> None:
    """kubeadm writes admin.conf early: without the marker and without an answering API it is a leftover."""
    wanted = topology("stacked", control_plane=3)
    facts = changed(empty(wanted), "cp1", kubeadm=KubeadmFacts(admin_conf=True, kubelet_conf=True))
    decision = decide_kubeadm(wanted, None, facts)
    assert (decision.first_control_plane, decision.initialize, decision.members) == ("cp1", True, ())


def test_a_working_cluster_is_never_initialised_again_and_its_nodes_are_not_reset() -> None:
    """cp1 (first in the file) was rebuilt; cp2 answers: it issues the credentials, cp1 joins."""
    wanted = topology("stacked", control_plane=3)
    facts = changed(empty(wanted), "cp2", kubeadm=KubeadmFacts(admin_conf=True, kubeadm_config_map=True, marker=True))
    facts = changed(facts, "cp3", kubeadm=KubeadmFacts(kubelet_conf=True, admin_conf=True))
    decision = decide_kubeadm(wanted, record(STACKED, layout="stacked", control_plane_initialized=True), facts)
    assert decision.first_control_plane == "cp2" and not decision.initialize
    # cp3 has no marker (joined by hand, say) but is part of the cluster: it is never reset.
    assert decision.members == ("cp2", "cp3")
    assert decision.joining == ("cp1",)
    assert not decision.refusals
    assert decision.sentence() == "kubeadm: join cp1 with credentials from cp2; cp2, cp3 already in the cluster, " \
                                  "never reset"


def test_a_cluster_whose_nodes_all_joined_has_nothing_to_do() -> None:
    wanted = topology("stacked", control_plane=2, workers=1)
    facts = changed(changed(changed(empty(wanted), "cp1", kubeadm=ANSWERS), "cp2", kubeadm=ANSWERS), "w1",
                    kubeadm=JOINED)
    decision = decide_kubeadm(wanted, record(["cp1", "cp2"], layout="stacked", control_plane_initialized=True), facts)
    assert (decision.first_control_plane, decision.initialize, decision.members, decision.joining) == \
        ("cp1", False, ("cp1", "cp2", "w1"), ())
    assert decision.sentence() == "kubeadm: nothing to do (cp1, cp2, w1 already in the cluster, never reset)"


def test_a_new_worker_joins_a_running_cluster() -> None:
    wanted = topology("external", control_plane=1, workers=2)
    facts = changed(changed(empty(wanted), "cp1", kubeadm=ANSWERS), "w1", kubeadm=JOINED)
    decision = decide_kubeadm(wanted, None, facts)
    assert (decision.initialize, decision.members, decision.joining) == (False, ("cp1", "w1"), ("w2",))


def test_an_initialised_cluster_whose_api_does_not_answer_is_refused_not_initialised_again() -> None:
    wanted = topology("stacked", control_plane=3)
    facts = changed(empty(wanted), "cp1", kubeadm=KubeadmFacts(admin_conf=True, marker=True))
    decision = decide_kubeadm(wanted, None, facts)
    assert not decision.initialize and not decision.joining
    assert decision.refusals == (
        "the Kubernetes control plane was initialised (cp1 joined it), but no control-plane host's admin.conf "
        "answers: kubeadm init is never run again over an existing cluster; bring the API server back (or restore "
        "it), then run apply again",)


def test_the_record_alone_is_enough_to_refuse_a_second_init() -> None:
    wanted = topology("stacked", control_plane=3)
    decision = decide_kubeadm(wanted, record(STACKED, layout="stacked", control_plane_initialized=True), empty(wanted))
    assert not decision.initialize and not decision.joining and "the record says so" in decision.refusals[0]


def test_a_host_whose_state_cannot_be_read_is_neither_joined_nor_reset() -> None:
    wanted = topology("stacked", control_plane=3)
    facts = changed(changed(empty(wanted), "cp1", kubeadm=ANSWERS), "cp3", reachable=False,
                    problem="connection timed out")
    decision = decide_kubeadm(wanted, None, facts)
    assert not decision.initialize and not decision.joining
    assert decision.refusals == ("cp3: its kubeadm state could not be read (connection timed out); apply joins or "
                                 "resets no host it cannot read: make it reachable, then run apply again",)


# What a node can look like: nothing; a leftover of a failed attempt; joined; joined and its API answers.
STATES = {
    "fresh": KubeadmFacts(),
    "leftover": KubeadmFacts(admin_conf=True, kubelet_conf=True),
    "joined": JOINED,
    "answers": ANSWERS,
}


def _every_cluster() -> list[dict[str, str]]:
    names = ["cp1", "cp2", "cp3", "w1"]
    return [dict(zip(names, states, strict=True))
            for states in itertools.product(STATES, repeat=len(names)) if states[3] != "answers"]


@pytest.mark.parametrize("initialized_in_record", [False, True])
def test_a_node_that_is_part_of_a_working_cluster_is_never_reset(initialized_in_record: bool) -> None:
    """Every combination of node states: a node of a working cluster (marker or kubelet.conf while an API
    answers) is a member and never joins (joining is where a reset happens); kubeadm init runs only where
    nothing was ever initialised; hosts with a marker are never joined or initialised again."""
    wanted = topology("stacked", control_plane=3, workers=1)
    the_record = record(STACKED, layout="stacked", control_plane_initialized=initialized_in_record)
    for states in _every_cluster():
        facts = ClusterFacts(hosts=tuple(host.model_copy(update={"kubeadm": STATES[states[host.host]]})
                                         for host in empty(wanted).hosts))
        decision = decide_kubeadm(wanted, the_record, facts)
        working = any(state == "answers" for state in states.values())
        marked = {name for name, state in states.items() if state in ("joined", "answers")}
        in_cluster = {name for name, state in states.items() if state != "fresh"} if working else marked
        case = f"{states} (record initialised: {initialized_in_record}): {decision}"
        assert not in_cluster & set(decision.joining), case
        assert in_cluster <= set(decision.members) or decision.refusals, case
        assert set(decision.members).isdisjoint(decision.joining), case
        if decision.initialize:
            assert not marked and not working and not initialized_in_record, case
            assert decision.first_control_plane not in decision.joining, case
        if working:
            assert not decision.refusals and states[decision.first_control_plane] == "answers", case
            assert set(decision.joining) == {name for name, state in states.items() if state == "fresh"}, case
        elif marked or initialized_in_record:
            assert decision.refusals and not decision.joining and not decision.initialize, case
