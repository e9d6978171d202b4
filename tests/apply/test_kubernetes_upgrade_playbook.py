"""The upgrade tasks run for real in Ansible up to kubeadm (which cannot run here): the versions the
hosts report go through the provisioner_upgrade filter to the decision, and a refusal stops the run
with its reason. The order of the upgrade plays is read from the playbook."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from provisioner.apply.apply import PLAYBOOKS
from tests.apply.local_ansible import run_local

GROUPS = {"control_plane": ["cp1", "cp2"], "worker": ["w1", "w2"]}
CLUSTER_CONFIGURATION = "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\nkubernetesVersion: {}\n"


def _decide(folder: Path, target: str, control_plane: str | None, kubelets: dict[str, str]) -> Any:
    """Runs upgrade_decision.yml on cp1 with what running_versions.yml would have registered."""
    report = folder / "decision.json"
    plays = [
        {"name": "Stand in for what the hosts report", "hosts": "all", "gather_facts": False, "tasks": [
            {"name": "Registered kubelet version", "ansible.builtin.set_fact": {
                "kubernetes_kubelet_package": {"stdout": "{{ kubelets[inventory_hostname] }}"}},
             "when": "inventory_hostname in kubelets"}]},
        {"name": "Decide", "hosts": "cp1", "gather_facts": False, "tasks": [
            {"name": "Registered cluster configuration", "ansible.builtin.set_fact": {
                "kubernetes_cluster_configuration": {"stdout": CLUSTER_CONFIGURATION.format(control_plane)
                                                     if control_plane else ""}}},
            {"name": "Decide", "ansible.builtin.import_role": {"name": "kubernetes",
                                                                "tasks_from": "upgrade_decision"}},
            {"name": "Report", "ansible.builtin.copy": {"content": "{{ kubernetes_upgrade | to_json }}",
                                                          "dest": str(report), "mode": "0644"}}]},
    ]
    outcome = run_local(folder, plays, groups=GROUPS, extravars={"kubernetes_version": target, "kubelets": kubelets})
    if outcome.status != "successful":
        return [failure.reason for failure in outcome.failures]
    return json.loads(report.read_text())


def test_the_next_minor_release_upgrades_every_member_in_order(tmp_path: Path) -> None:
    decision = _decide(tmp_path, "1.32.0", "v1.31.4", {"cp1": "1.31.4-1.1", "cp2": "1.31.4-1.1", "w2": "1.31.4-1.1"})
    # w1 has not joined yet (no kubelet reported): it joins at the new version after the upgrade.
    assert decision == {"refused": "", "apply": True, "nodes": ["cp1", "cp2", "w2"], "source": "v1.31.4"}


def test_a_fresh_cluster_is_not_upgraded(tmp_path: Path) -> None:
    assert _decide(tmp_path, "1.32.0", None, {}) == {"refused": "", "apply": False, "nodes": [], "source": ""}


def test_skipping_a_minor_release_stops_the_run_with_the_reason(tmp_path: Path) -> None:
    reasons = _decide(tmp_path, "1.33.1", "v1.31.4", {"cp1": "1.31.4-1.1"})
    assert reasons == ["kubernetes.version 1.33.1 skips a minor release from the running control plane v1.31.4: "
                       "upgrade to 1.32.x first"]


def test_a_downgrade_stops_the_run(tmp_path: Path) -> None:
    [reason] = _decide(tmp_path, "1.31.2", "v1.31.4", {"cp1": "1.31.4-1.1"})
    assert "kubeadm does not downgrade" in reason


def _plays() -> list[dict[str, Any]]:
    plays = yaml.safe_load((PLAYBOOKS / "kubernetes.yml").read_text())
    assert isinstance(plays, list)
    return plays


def test_members_are_upgraded_one_at_a_time_before_any_host_joins() -> None:
    names = [play["name"] for play in _plays()]
    order = ["Decide the upgrade kubernetes.version asks for", "Prepare control-plane hosts and workers",
             "Upgrade the first control-plane host (kubeadm upgrade apply)",
             "Upgrade the other control-plane hosts, one at a time (kubeadm upgrade node)",
             "Upgrade the workers, one at a time (kubeadm upgrade node)",
             "Initialize the cluster, or issue the join credentials, on the host apply chose", "Join the workers"]
    assert [names.index(name) for name in order] == sorted(names.index(name) for name in order)
    upgrades = [play for play in _plays() if play["name"].startswith("Upgrade")]
    # first_control_plane: the host apply chose from the facts (see test_kubernetes_playbook.py).
    assert [play["hosts"] for play in upgrades] == ["first_control_plane", "control_plane:!first_control_plane",
                                                    "worker:!control_plane"]
    assert all(play.get("serial") == 1 for play in upgrades[1:])


@pytest.mark.parametrize("step", ["kubeadm", "the kubelet and kubectl"])
def test_packages_are_released_installed_and_held_again(step: str) -> None:
    tasks = yaml.safe_load((PLAYBOOKS / "roles/kubernetes/tasks/upgrade_node.yml").read_text())
    names = [task["name"] for task in tasks]
    upgrade = next(task for task in tasks if task["name"].startswith(f"Upgrade {step} to"))
    assert upgrade["ansible.builtin.include_tasks"] == "upgrade_packages.yml"
    packages = yaml.safe_load((PLAYBOOKS / "roles/kubernetes/tasks/upgrade_packages.yml").read_text())
    assert [task["ansible.builtin.dpkg_selections"]["selection"] for task in packages
            if "ansible.builtin.dpkg_selections" in task] == ["install", "hold"]
    drain, uncordon = names.index("Drain the node"), names.index("Uncordon the node")
    kubelet = names.index("Upgrade the kubelet and kubectl to {{ kubernetes_version }}")
    assert drain < kubelet < names.index("Restart the kubelet with its new version") < uncordon
