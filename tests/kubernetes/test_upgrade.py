"""The upgrade decision over recorded versions: what runs where, what the cluster file asks for."""

from __future__ import annotations

import pytest

from provisioner.kubernetes.upgrade import RunningVersions, UpgradeDecision, UpgradeRefused, decide_upgrade

ORDER = ("cp1", "cp2", "cp3", "w1", "w2")


def _running(control_plane: str | None, kubelet: str = "1.31.4", **kubelets: str) -> RunningVersions:
    members = {node: kubelet for node in ORDER} if control_plane else {}
    return RunningVersions(control_plane, members | kubelets)


def test_a_cluster_not_initialised_yet_is_installed_not_upgraded() -> None:
    decision = decide_upgrade("1.32.0", _running(None), ORDER)
    assert decision == UpgradeDecision(apply=False, nodes=(), source=None, target="1.32.0")
    assert not decision.needed


def test_the_same_version_changes_nothing() -> None:
    assert not decide_upgrade("1.31.4", _running("v1.31.4"), ORDER).needed


def test_the_next_minor_release_upgrades_every_node_first_control_plane_first() -> None:
    decision = decide_upgrade("1.32.0", _running("v1.31.4"), ORDER)
    assert decision == UpgradeDecision(apply=True, nodes=ORDER, source="v1.31.4", target="1.32.0")


def test_a_patch_release_upgrades_too() -> None:
    assert decide_upgrade("1.31.5", _running("v1.31.4"), ORDER).nodes == ORDER


def test_a_run_that_stopped_after_some_nodes_finishes_the_rest() -> None:
    running = _running("v1.32.0", kubelet="1.32.0", cp3="1.31.4", w2="1.31.4")
    decision = decide_upgrade("1.32.0", running, ORDER)
    assert decision == UpgradeDecision(apply=False, nodes=("cp3", "w2"), source="v1.32.0", target="1.32.0")


def test_a_node_not_yet_in_the_cluster_is_left_to_join() -> None:
    running = RunningVersions("v1.31.4", {"cp1": "1.31.4", "cp2": "1.31.4"})
    assert decide_upgrade("1.32.0", running, ORDER).nodes == ("cp1", "cp2")


def test_the_first_control_plane_host_applies_even_when_its_kubelet_is_already_new() -> None:
    running = _running("v1.31.4", cp1="1.32.0")
    decision = decide_upgrade("1.32.0", running, ORDER)
    assert decision.apply and decision.nodes == ORDER


@pytest.mark.parametrize(("target", "running", "reason"), [
    ("1.33.0", _running("v1.31.4"), "kubernetes.version 1.33.0 skips a minor release from the running control "
                                    "plane v1.31.4: upgrade to 1.32.x first"),
    ("1.31.3", _running("v1.31.4"), "kubernetes.version 1.31.3 is older than the running control plane v1.31.4: "
                                    "kubeadm does not downgrade"),
    ("1.30.9", _running("v1.31.4"), "kubernetes.version 1.30.9 is older than the running control plane v1.31.4: "
                                    "kubeadm does not downgrade"),
    ("2.0.0", _running("v1.31.4"), "kubernetes.version 2.0.0 skips a minor release from the running control "
                                   "plane v1.31.4: upgrade to 1.32.x first"),
    ("1.32.0", _running("v1.31.4", w1="1.32.1"), "kubernetes.version 1.32.0 is older than the kubelet of w1 1.32.1: "
                                                 "kubeadm does not downgrade"),
    ("1.32.0", _running("v1.31.4", w2="1.30.2"), "kubernetes.version 1.32.0 skips a minor release from the kubelet of "
                                                 "w2 1.30.2: upgrade to 1.31.x first"),
])
def test_refused(target: str, running: RunningVersions, reason: str) -> None:
    with pytest.raises(UpgradeRefused) as refused:
        decide_upgrade(target, running, ORDER)
    assert str(refused.value) == reason
