"""The Kubernetes phase hands the playbook apply's decision between kubeadm init and join, and stops
on its refusals before running anything; `plan` and apply print the same decision."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from provisioner.apply.apply import show_plan
from provisioner.apply.live import LiveState
from provisioner.apply.phases.base import ApplyContext
from provisioner.apply.phases.kubernetes import InstallKubernetes
from provisioner.apply.planning import Planned, PlanRefused
from provisioner.apply.runner import RunOutcome
from provisioner.facts.model import ClusterFacts
from provisioner.plan.kubeadm import KubeadmDecision
from provisioner.plan.steps import Plan
from tests.plan.builders import topology

REBUILT_CP1 = KubeadmDecision("cp2", False, members=("cp2", "cp3"), joining=("cp1",))


def _context(tmp_path: Path, decision: KubeadmDecision, ran: list[dict[str, Any]]) -> ApplyContext:
    class Recorded(ApplyContext):
        def run_playbook(self, playbook: str, limit: list[str] | None = None,
                         variables: dict[str, Any] | None = None) -> RunOutcome:
            ran.append({"playbook": playbook, **(variables or {})})
            return RunOutcome("01-kubernetes", "successful", 0, tmp_path, {}, [])

    wanted = topology("stacked", control_plane=3, kubernetes={"install": "kubeadm"})
    return Recorded(wanted, tmp_path, None, {}, None, None, kubeadm=decision)  # type: ignore[arg-type]


def test_the_playbook_is_given_the_decision(tmp_path: Path) -> None:
    ran: list[dict[str, Any]] = []
    InstallKubernetes().run(_context(tmp_path, REBUILT_CP1, ran))
    assert ran == [{"playbook": "kubernetes.yml", "kubernetes_first_control_plane": "cp2",
                    "kubernetes_initialize": False, "kubernetes_members": ["cp2", "cp3"],
                    "kubernetes_joining": ["cp1"]}]


def test_a_refused_decision_runs_no_playbook(tmp_path: Path) -> None:
    ran: list[dict[str, Any]] = []
    refused = KubeadmDecision("cp1", False, refusals=("the Kubernetes control plane was initialised …",))
    with pytest.raises(PlanRefused) as raised:
        InstallKubernetes().run(_context(tmp_path, refused, ran))
    assert raised.value.lines() == ["the Kubernetes control plane was initialised …"] and not ran


@pytest.mark.parametrize("installs", [True, False])
def test_the_plan_shows_the_kubeadm_step_when_kubeadm_is_installed(tmp_path: Path, installs: bool) -> None:
    live = LiveState((), "/var/lib/etcd", None, ClusterFacts(hosts=()))
    lines: list[str] = []
    show_plan(Planned(Plan(), live, tmp_path, REBUILT_CP1, installs), lines.append)
    kubeadm = "  kubeadm: join cp1 with credentials from cp2; cp2, cp3 already in the cluster, never reset"
    assert lines[0] == "Plan:" and (kubeadm in lines) == installs
