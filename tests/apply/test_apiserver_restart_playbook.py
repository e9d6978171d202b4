"""Restarting kube-apiserver when its files changed: the task file runs for real in Ansible against this
machine up to the kubelet, which cannot run here (no kube-apiserver runs on this machine, so the wait
for the kubelet to stop it passes at once, and the new one never answers /readyz). What moves where,
what a run stopped part-way leaves and what the next run does with it are real. The play's place in
kubernetes.yml is read from the playbook."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from provisioner.apply.apply import PLAYBOOKS
from provisioner.apply.runner import RunOutcome
from tests.apply.local_ansible import run_local

MANIFEST = "apiVersion: v1\nkind: Pod\nmetadata: {name: kube-apiserver, namespace: kube-system}\n"
PLAY = {"name": "Restart", "hosts": "control_plane", "gather_facts": False, "serial": 1, "tasks": [
    {"name": "Restart", "ansible.builtin.import_role": {"name": "kubernetes", "tasks_from": "restart_apiserver"}}]}


class Host:
    """A control-plane host's files under a temporary folder; `readyz` is a port nothing listens on."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.pending = folder / "pending-restart"
        self.manifest = folder / "manifests" / "kube-apiserver.yaml"
        self.parked = folder / "provisioner" / "kube-apiserver.yaml.parked"
        self.ca = folder / "ca.crt"
        for path in (self.pending, self.manifest.parent, self.parked.parent):
            path.mkdir(parents=True)
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                        "-keyout", str(folder / "ca.key"), "-out", str(self.ca), "-subj", "/CN=kubernetes",
                        "-days", "1"], check=True, capture_output=True)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.readyz = f"https://127.0.0.1:{probe.getsockname()[1]}/readyz"

    @property
    def marker(self) -> Path:
        return self.pending / "kube-apiserver"

    def restart(self) -> RunOutcome:
        runs = self.folder / "ansible"
        runs.mkdir(exist_ok=True)
        return run_local(runs, [PLAY], groups={"control_plane": ["cp1"]}, extravars={
            "provisioner_pending_dir": str(self.pending),
            "kubernetes_apiserver_manifest": str(self.manifest),
            "kubernetes_apiserver_parked": str(self.parked),
            "kubernetes_ca": str(self.ca),
            "kubernetes_apiserver_readyz": {"cp1": self.readyz},
            "kubernetes_apiserver_stop_timeout": 2,
            "kubernetes_apiserver_ready_timeout": 2,
        })


@pytest.fixture
def host(tmp_path: Path) -> Host:
    return Host(tmp_path)


def statuses(outcome: RunOutcome) -> dict[str, str]:
    return {result.task: result.status for result in outcome.results}


def test_a_host_without_a_control_plane_only_forgets_the_pending_restart(host: Host) -> None:
    host.marker.touch()
    outcome = host.restart()
    assert outcome.status == "successful", [failure.reason for failure in outcome.failures]
    assert not host.marker.exists()
    assert not host.manifest.exists() and not host.parked.exists()
    assert statuses(outcome)["Move kube-apiserver's manifest out of the kubelet's folder"] == "skipped"


def test_nothing_pending_leaves_the_running_api_server_alone(host: Host) -> None:
    host.manifest.write_text(MANIFEST)
    before = host.manifest.stat().st_mtime_ns
    outcome = host.restart()
    assert outcome.status == "successful", [failure.reason for failure in outcome.failures]
    assert host.manifest.stat().st_mtime_ns == before and not host.parked.exists()
    assert outcome.stats["cp1"].changed == 0


def test_a_pending_restart_moves_the_manifest_out_and_back_and_stays_pending_until_ready(host: Host) -> None:
    host.manifest.write_text(MANIFEST)
    host.marker.touch()
    outcome = host.restart()
    assert outcome.status == "failed"
    ran = statuses(outcome)
    for task in ("Move kube-apiserver's manifest out of the kubelet's folder",
                 "Put kube-apiserver's manifest back, so the kubelet starts it with the new files"):
        assert ran[task] == "changed", task
    assert ran["Wait until the kubelet has stopped kube-apiserver"] == "ok"
    [failure] = outcome.failures
    assert failure.host == "cp1" and failure.task == "Stop when kube-apiserver did not become ready"
    message = failure.result["msg"]
    assert message.startswith(f"cp1: kube-apiserver did not answer {host.readyz} within about 2 s of its restart")
    assert "Connection refused" in message and message.endswith("and the restart stays pending")
    # The kubelet's folder has the manifest again, unchanged; the marker waits for an answer.
    assert host.manifest.read_text() == MANIFEST and not host.parked.exists()
    assert host.marker.exists()


def test_a_manifest_a_stopped_run_left_parked_is_put_back_by_the_next_run(host: Host) -> None:
    # A run stopped after moving the manifest out (its marker may be gone too: a restore parks it as well).
    host.parked.write_text(MANIFEST)
    outcome = host.restart()
    assert [failure.task for failure in outcome.failures] == ["Stop when kube-apiserver did not become ready"]
    assert statuses(outcome)["Move kube-apiserver's manifest out of the kubelet's folder"] == "ok"
    assert host.manifest.read_text() == MANIFEST and not host.parked.exists()


def _plays() -> list[dict[str, Any]]:
    plays: list[dict[str, Any]] = yaml.safe_load((PLAYBOOKS / "kubernetes.yml").read_text())
    return plays


def test_kube_apiserver_restarts_one_host_at_a_time_before_anything_talks_to_the_api_servers() -> None:
    plays = _plays()
    first = plays[0]
    assert first["hosts"] == "control_plane" and first["serial"] == 1 and first["any_errors_fatal"] is True
    assert [task["ansible.builtin.import_role"]["tasks_from"] for task in first["tasks"]] == ["restart_apiserver"]
    later = [task.get("ansible.builtin.import_role", task.get("ansible.builtin.include_role", {})).get("tasks_from")
             for play in plays[1:] for task in play["tasks"]]
    assert "restart_apiserver" not in later
    assert {"running_versions", "upgrade_node", "init", "join"} <= set(later)
