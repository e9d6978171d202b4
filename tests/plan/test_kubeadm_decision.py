"""kubeadm init or join, from the facts: the decision apply hands to the Kubernetes playbook."""

from __future__ import annotations

from provisioner.facts.model import KubeadmFacts
from provisioner.plan.kubeadm import decide_kubeadm
from tests.plan.builders import changed, empty, record, topology

STACKED = ["cp1", "cp2", "cp3"]


def test_a_new_cluster_is_initialised_on_the_first_control_plane_host() -> None:
    wanted = topology("stacked", control_plane=3)
    decision = decide_kubeadm(wanted, None, empty(wanted))
    assert (decision.first_control_plane, decision.initialize, decision.members, decision.refusals) == \
        ("cp1", True, (), ())


def test_a_working_cluster_is_never_initialised_again_and_its_nodes_are_not_reset() -> None:
    """cp1 (first in the file) was rebuilt; cp2 answers: it issues the credentials, cp1 joins."""
    wanted = topology("stacked", control_plane=3)
    facts = changed(empty(wanted), "cp2", kubeadm=KubeadmFacts(admin_conf=True, kubeadm_config_map=True, marker=True))
    facts = changed(facts, "cp3", kubeadm=KubeadmFacts(kubelet_conf=True, admin_conf=True))
    decision = decide_kubeadm(wanted, record(STACKED, layout="stacked", control_plane_initialized=True), facts)
    assert decision.first_control_plane == "cp2" and not decision.initialize
    # cp3 has no marker (joined by hand, say) but is part of the cluster: it is never reset.
    assert decision.members == ("cp2", "cp3")
    assert not decision.refusals


def test_an_initialised_cluster_whose_api_does_not_answer_is_refused_not_initialised_again() -> None:
    wanted = topology("stacked", control_plane=3)
    facts = changed(empty(wanted), "cp1", kubeadm=KubeadmFacts(admin_conf=True, marker=True))
    decision = decide_kubeadm(wanted, None, facts)
    assert not decision.initialize
    assert decision.refusals == (
        "the Kubernetes control plane was initialised (cp1 joined it), but no control-plane host's admin.conf "
        "answers: kubeadm init is never run again over an existing cluster; bring the API server back (or restore "
        "it), then run apply again",)


def test_the_record_alone_is_enough_to_refuse_a_second_init() -> None:
    wanted = topology("stacked", control_plane=3)
    decision = decide_kubeadm(wanted, record(STACKED, layout="stacked", control_plane_initialized=True), empty(wanted))
    assert not decision.initialize and "the record says so" in decision.refusals[0]
