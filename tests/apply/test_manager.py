"""The phase manager runs phases in order, shows skipped ones with their reason, stops at a failure; a
failed playbook run becomes one StepFailed naming the host and the step."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from provisioner.apply.display import ApplyDisplay
from provisioner.apply.events import HostCounts, HostResult
from provisioner.apply.manager import run_phases
from provisioner.apply.phases import APPLY_PHASES
from provisioner.apply.phases.base import ApplyContext, Phase, raise_for_failures
from provisioner.apply.recap import Recap
from provisioner.apply.runner import AnsibleSession, RunOutcome
from provisioner.cluster.load import load_topology
from provisioner.errors import StepFailed
from tests.conftest import EXAMPLES


def _outcome(*results: HostResult, status: str = "successful") -> RunOutcome:
    return RunOutcome("01-x", status, 0 if status == "successful" else 2, Path("/runs/artifacts/01-x"),
                      {}, list(results))


def test_the_first_failure_names_host_task_and_reason_and_lists_the_others() -> None:
    outcome = _outcome(
        HostResult("cp1", "Probe the host", "ok"),
        HostResult("etcd2", "Probe the host", "unreachable", {"msg": "ssh: connect to host 198.18.1.22 port 22: "
                                                                      "No route to host"}),
        HostResult("etcd3", "Probe the host", "unreachable", {"msg": "ssh: timeout"}),
    )
    with pytest.raises(StepFailed) as raised:
        raise_for_failures("Check hosts", outcome)
    assert str(raised.value) == ("etcd2: Check hosts (Probe the host): unreachable: ssh: connect to host "
                                 "198.18.1.22 port 22: No route to host (also failed: etcd3)")
    assert raised.value.host == "etcd2"


def test_an_ignored_failure_is_not_a_failure() -> None:
    raise_for_failures("x", _outcome(HostResult("cp1", "t", "failed", {"msg": "meh"}, ignored=True)))


def test_a_playbook_that_fails_without_a_host_result_points_at_its_output() -> None:
    with pytest.raises(StepFailed) as raised:
        raise_for_failures("Start etcd members", _outcome(status="failed"))
    assert str(raised.value) == ("Start etcd members: ansible-playbook failed (exit 2); its output is in "
                                 "/runs/artifacts/01-x/stdout")


class _Recorded(Phase):
    def __init__(self, title: str, log: list[str], skip: str | None = None, fail: bool = False) -> None:
        self.title = title  # type: ignore[misc]
        self.log, self.skip, self.fail = log, skip, fail

    def skip_reason(self, context: ApplyContext) -> str | None:
        return self.skip

    def run(self, context: ApplyContext) -> None:
        self.log.append(self.title)
        context.recap.add({"cp1": HostCounts(ok=1)})
        if self.fail:
            raise StepFailed(self.title, "cp1", "boom")


def _context(console: Console) -> ApplyContext:
    topology, _ = load_topology(EXAMPLES / "lab-stacked/cluster.yaml")
    session = AnsibleSession(Path("/nowhere"), Path("/nowhere"), Path("/nowhere"), {}, 5)
    variables: dict[str, Any] = {}
    return ApplyContext(topology, Path("/tree"), session, variables, ApplyDisplay(console), Recap.for_hosts(["cp1"]))


def test_phases_run_in_order_skipped_ones_say_why_and_a_failure_stops_the_rest() -> None:
    console = Console(record=True, width=200)
    context = _context(console)
    log: list[str] = []
    phases = [_Recorded("One", log), _Recorded("Two", log, skip="not needed here"), _Recorded("Three", log, fail=True),
              _Recorded("Four", log)]
    with pytest.raises(StepFailed):
        run_phases(phases, context)
    assert log == ["One", "Three"]
    text = console.export_text()
    assert "✓ [1/4] One" in text
    assert "- [2/4] Two: skipped: not needed here" in text
    assert "✗ [3/4] Three" in text
    assert "Four" not in text
    assert context.recap.hosts["cp1"].ok == 2


def test_apply_is_the_list_of_phases_in_the_documented_order() -> None:
    titles = [phase.title for phase in APPLY_PHASES]
    assert titles == ["Check hosts", "Install etcd, haproxy and keepalived", "Upload certificates and configuration",
                      "Upgrade etcd one member at a time", "Start etcd members",
                      "Change etcd membership and record the cluster",
                      "Start load balancers (haproxy, keepalived)",
                      "Install Kubernetes with kubeadm"]


def test_kubernetes_none_is_one_line_saying_where_the_kubeadm_configuration_is() -> None:
    from provisioner.apply.phases.kubernetes import InstallKubernetes

    reason = InstallKubernetes().skip_reason(_context(Console(record=True)))
    assert reason == ("kubernetes.install is none; kubeadm configuration: /tree/hosts/cp1/kubeadm.yaml (one per "
                      "control-plane host and worker), on the hosts at /etc/kubernetes/provisioner/kubeadm.yaml")
