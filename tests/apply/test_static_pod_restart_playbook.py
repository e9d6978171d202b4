"""Restarting a control-plane static Pod (kube-apiserver, kube-controller-manager, kube-scheduler) when its
files changed: the task file runs for real in Ansible against this machine up to the kubelet, which cannot
run here (none of the three runs on this machine, so the wait for the kubelet to stop it passes at once, and
the new one never answers its health URL). What moves where, what a run stopped part-way leaves and what
the next run does with it are real. The play's place in kubernetes.yml is read from the playbook."""

from __future__ import annotations

import shutil
import socket
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from provisioner import hostpaths
from provisioner.apply.apply import PLAYBOOKS
from provisioner.apply.runner import RunOutcome
from tests.apply.local_ansible import run_local

PODS = hostpaths.CONTROL_PLANE_PODS


def manifest_of(pod: str) -> str:
    return f"apiVersion: v1\nkind: Pod\nmetadata: {{name: {pod}, namespace: kube-system}}\n"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Host:
    """A control-plane host's files under a temporary folder; each Pod's health URL is a port nothing listens
    on, kube-apiserver's verified with a CA made here, the other two not verified (as kubeadm runs them)."""

    def __init__(self, folder: Path, pod: str) -> None:
        self.folder = folder
        self.pod = pod
        self.pending = folder / "pending-restart"
        self.ca = folder / "ca.crt"
        for path in (self.pending, folder / "manifests", folder / "provisioner"):
            path.mkdir(parents=True)
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                        "-keyout", str(folder / "ca.key"), "-out", str(self.ca), "-subj", "/CN=kubernetes",
                        "-days", "1"], check=True, capture_output=True)
        apiserver = PODS[0]
        self.pods = {name: {"manifest": str(folder / "manifests" / f"{name}.yaml"),
                            "parked": str(folder / "provisioner" / f"{name}.yaml.parked"),
                            "health": {"cp1": f"https://127.0.0.1:{free_port()}/"
                                              f"{'readyz' if name == apiserver else 'healthz'}"},
                            "ca": str(self.ca) if name == apiserver else ""}
                     for name in PODS}
        self.manifest = Path(self.pods[pod]["manifest"])
        self.parked = Path(self.pods[pod]["parked"])
        self.health = self.pods[pod]["health"]["cp1"]
        self.parked_formerly = folder / "provisioner" / "kube-apiserver.yaml.stopped-for-restore"

    @property
    def marker(self) -> Path:
        return self.pending / self.pod

    def restart(self) -> RunOutcome:
        runs = self.folder / "ansible"
        runs.mkdir(exist_ok=True)
        play = {"name": "Restart", "hosts": "control_plane", "gather_facts": False, "serial": 1, "tasks": [
            {"name": "Restart", "vars": {"kubernetes_static_pod": self.pod},
             "ansible.builtin.import_role": {"name": "kubernetes", "tasks_from": "restart_static_pod"}}]}
        return run_local(runs, [play], groups={"control_plane": ["cp1"]}, extravars={
            "provisioner_pending_dir": str(self.pending),
            "kubernetes_static_pods": self.pods,
            "kubernetes_apiserver_parked_formerly": str(self.parked_formerly),
            "kubernetes_static_pod_stop_timeout": 2,
            "kubernetes_static_pod_ready_timeout": 2,
        })


@pytest.fixture(params=PODS)
def host(request: pytest.FixtureRequest, tmp_path: Path) -> Host:
    return Host(tmp_path, request.param)


@pytest.fixture
def apiserver(tmp_path: Path) -> Host:
    """For what the Pods share beyond the names, URLs and CAs the tests of every Pod check (a restore parks
    kube-apiserver's manifest too)."""
    return Host(tmp_path, "kube-apiserver")


def statuses(outcome: RunOutcome) -> dict[str, str]:
    return {result.task: result.status for result in outcome.results}


def test_a_host_without_a_control_plane_only_forgets_the_pending_restart(host: Host) -> None:
    host.marker.touch()
    outcome = host.restart()
    assert outcome.status == "successful", [failure.reason for failure in outcome.failures]
    assert not host.marker.exists()
    assert not host.manifest.exists() and not host.parked.exists()
    assert statuses(outcome)["Move the static Pod's manifest out of the kubelet's folder"] == "skipped"


def test_nothing_pending_leaves_the_running_pod_alone(apiserver: Host) -> None:
    host = apiserver
    host.manifest.write_text(manifest_of(host.pod))
    before = host.manifest.stat().st_mtime_ns
    outcome = host.restart()
    assert outcome.status == "successful", [failure.reason for failure in outcome.failures]
    assert host.manifest.stat().st_mtime_ns == before and not host.parked.exists()
    assert outcome.stats["cp1"].changed == 0


def test_a_pending_restart_moves_the_manifest_out_and_back_and_stays_pending_until_healthy(host: Host) -> None:
    host.manifest.write_text(manifest_of(host.pod))
    host.marker.touch()
    # Another Pod's marker is left for that Pod's own restart.
    other = next(pod for pod in PODS if pod != host.pod)
    (host.pending / other).touch()
    outcome = host.restart()
    assert outcome.status == "failed"
    ran = statuses(outcome)
    for task in ("Move the static Pod's manifest out of the kubelet's folder",
                 "Put the static Pod's manifest back, so the kubelet starts it with the new files"):
        assert ran[task] == "changed", task
    assert ran["Wait until the kubelet has stopped the static Pod"] == "ok"
    [failure] = outcome.failures
    assert failure.host == "cp1" and failure.task == "Stop when the static Pod did not become healthy"
    message = failure.result["msg"]
    assert message.startswith(f"cp1: {host.pod} did not answer {host.health} within about 2 s of its restart")
    assert "Connection refused" in message and message.endswith("and the restart stays pending")
    # The kubelet's folder has the manifest again, unchanged; the marker waits for an answer.
    assert host.manifest.read_text() == manifest_of(host.pod) and not host.parked.exists()
    assert host.marker.exists() and (host.pending / other).exists()


def test_a_manifest_a_stopped_run_left_parked_is_put_back_by_the_next_run(apiserver: Host) -> None:
    host = apiserver
    # A run stopped after moving the manifest out (its marker may be gone too: a restore parks it as well).
    host.parked.write_text(manifest_of(host.pod))
    outcome = host.restart()
    assert [failure.task for failure in outcome.failures] == ["Stop when the static Pod did not become healthy"]
    assert statuses(outcome)["Move the static Pod's manifest out of the kubelet's folder"] == "ok"
    assert host.manifest.read_text() == manifest_of(host.pod) and not host.parked.exists()


def test_a_manifest_an_earlier_restore_parked_under_the_former_name_is_put_back(apiserver: Host) -> None:
    host = apiserver
    host.parked_formerly.write_text(manifest_of(host.pod))
    outcome = host.restart()
    # Put back, then the wait for /readyz fails: no API server runs here.
    assert [failure.task for failure in outcome.failures] == ["Stop when the static Pod did not become healthy"]
    assert host.manifest.read_text() == manifest_of(host.pod)
    assert not host.parked.exists() and not host.parked_formerly.exists()


def test_the_wait_sees_a_process_whose_name_the_kernel_cut_to_15_characters(tmp_path: Path) -> None:
    # The kernel keeps "kube-controller" of "kube-controller-manager": a process of that name (sleep,
    # copied under it) must count as still running, or the restart would not wait for the kubelet.
    host = Host(tmp_path, "kube-controller-manager")
    host.manifest.write_text(manifest_of(host.pod))
    host.marker.touch()
    program = tmp_path / "kube-controller-manager"
    shutil.copy(shutil.which("sleep") or "/bin/sleep", program)
    running = subprocess.Popen([str(program), "60"])
    try:
        outcome = host.restart()
    finally:
        running.kill()
        running.wait()
    [failure] = outcome.failures
    assert failure.task == "Stop when the kubelet did not stop the static Pod"
    assert failure.result["msg"].startswith(f"cp1: kube-controller-manager still runs 2 s after its manifest was "
                                            f"moved to {host.parked} (is the kubelet running?)")
    assert host.parked.exists() and not host.manifest.exists() and host.marker.exists()


def _plays() -> list[dict[str, Any]]:
    plays: list[dict[str, Any]] = yaml.safe_load((PLAYBOOKS / "kubernetes.yml").read_text())
    return plays


def _tasks_from(task: dict[str, Any]) -> str | None:
    role: dict[str, str] = task.get("ansible.builtin.import_role", task.get("ansible.builtin.include_role", {}))
    return role.get("tasks_from")


def test_the_control_plane_restarts_one_host_at_a_time_before_anything_talks_to_the_api_servers() -> None:
    plays = _plays()
    first = plays[0]
    assert first["hosts"] == "control_plane" and first["serial"] == 1 and first["any_errors_fatal"] is True
    # On each host: kubeadm's renewal when `certs renew` asks, then every Pod in turn (kube-apiserver first).
    assert [_tasks_from(task) for task in first["tasks"]] == ["renew_certificates", "restart_static_pod"]
    renew, restart = first["tasks"]
    assert renew["when"] == "kubernetes_certs_renew"
    assert restart["loop"] == "{{ kubernetes_static_pods | list }}"
    assert restart["loop_control"] == {"loop_var": "kubernetes_static_pod"}
    later = [_tasks_from(task) for play in plays[1:] for task in play["tasks"]]
    assert not {"renew_certificates", "restart_static_pod"} & set(later)
    assert {"running_versions", "upgrade_node", "init", "join"} <= set(later)
