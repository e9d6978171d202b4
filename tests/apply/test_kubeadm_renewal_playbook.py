"""`certs renew` on a kubeadm control plane: the first play of kubernetes.yml as shipped, run for real in
Ansible against this machine (two control-plane hosts, each with its own folder of kubeadm's files) up to
kubeadm, which cannot run here. The decision read from the files on each host, the order of the hosts and
the one-line failure when kubeadm is missing are real; kubeadm is kept out of reach with an empty PATH, so
nothing of this machine's /etc/kubernetes is ever touched. That the restarts are marked before kubeadm
runs is read from the task file."""

from __future__ import annotations

import base64
import subprocess
from pathlib import Path
from typing import Any

import yaml

from provisioner import hostpaths
from provisioner.apply.apply import PLAYBOOKS
from provisioner.apply.runner import RunOutcome
from tests.apply.local_ansible import run_local

HOSTS = ("cp1", "cp2")
PER_HOST = "{{ inventory_hostname }}"  # extra variables are templated for each host


def certificate(folder: Path, name: str, days: int) -> str:
    """A certificate made by openssl, valid for `days` days from now."""
    key, certificate = folder / f"{name}.key", folder / f"{name}.crt"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", str(key), "-out", str(certificate), "-subj", f"/CN={name}", "-days", str(days)],
                   check=True, capture_output=True)
    return certificate.read_text()


class Hosts:
    """Per host: kubeadm's files (apiserver.crt and admin.conf), its member marker and pending restarts."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        (folder / "empty-path").mkdir()
        for host in HOSTS:
            (folder / host).mkdir()

    def files(self, host: str, apiserver_days: int, admin_days: int, member: bool = True) -> None:
        where = self.folder / host
        (where / "apiserver.crt").write_text(certificate(where, "kube-apiserver", apiserver_days))
        embedded = base64.b64encode(certificate(where, "kubernetes-admin", admin_days).encode()).decode()
        (where / "admin.conf").write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "Config", "users": [
            {"name": "kubernetes-admin", "user": {"client-certificate-data": embedded}}]}))
        if member:
            (where / "member").write_text("kubeadm join\n")

    def pending(self, host: str) -> list[str]:
        folder = self.folder / host / "pending-restart"
        return sorted(path.name for path in folder.iterdir()) if folder.is_dir() else []

    def renew(self, expiring_within: int | None) -> RunOutcome:
        plays: list[dict[str, Any]] = yaml.safe_load((PLAYBOOKS / "kubernetes.yml").read_text())
        first = {**plays[0], "environment": {"PATH": str(self.folder / "empty-path")}}
        where = f"{self.folder}/{PER_HOST}"
        runs = self.folder / "ansible"
        runs.mkdir(exist_ok=True)
        return run_local(runs, [first], groups={"control_plane": list(HOSTS)}, extravars={
            "kubernetes_certs_renew": True,
            "kubernetes_certs_expiring_within": expiring_within,
            "kubernetes_member_marker": f"{where}/member",
            "kubernetes_kubeadm_leaves": [f"{where}/apiserver.crt", f"{where}/admin.conf", f"{where}/super-admin.conf"],
            "kubernetes_config": f"{where}/kubeadm.yaml",
            "provisioner_pending_dir": f"{where}/pending-restart",
            # No manifests: the restarts that follow only forget their markers.
            "kubernetes_static_pods": {pod: {"manifest": f"{where}/{pod}.yaml", "parked": f"{where}/{pod}.parked",
                                             "health": {}, "ca": ""} for pod in hostpaths.CONTROL_PLANE_PODS},
        })


def said(outcome: RunOutcome) -> dict[str, str]:
    return {host: result.result["msg"]
            for host, result in outcome.results_of("Say why kubeadm's certificates are renewed here, or not").items()}


def test_nothing_expiring_within_the_days_renews_nothing(tmp_path: Path) -> None:
    hosts = Hosts(tmp_path)
    hosts.files("cp1", 200, 300)
    hosts.files("cp2", 365, 365, member=False)
    outcome = hosts.renew(30)
    assert outcome.status == "successful", [failure.reason for failure in outcome.failures]
    assert said(outcome) == {"cp1": "cp1: none of kubeadm's certificates expires within 30 days",
                             "cp2": "cp2: no kubeadm init or join finished here: nothing to renew"}
    assert hosts.pending("cp1") == hosts.pending("cp2") == []
    assert outcome.stats["cp1"].changed == outcome.stats["cp2"].changed == 0


def test_only_the_host_whose_certificate_expires_renews_and_a_missing_kubeadm_stops_there(tmp_path: Path) -> None:
    hosts = Hosts(tmp_path)
    hosts.files("cp1", 200, 300)
    hosts.files("cp2", 200, 10)  # cp2's admin.conf expires within 30 days
    outcome = hosts.renew(30)
    assert outcome.status == "failed"
    assert said(outcome)["cp1"] == "cp1: none of kubeadm's certificates expires within 30 days"
    assert said(outcome)["cp2"].startswith(f"cp2: renewing kubeadm's certificates: {tmp_path}/cp2/admin.conf: expires ")
    # One host at a time: cp1 was done (nothing to do) before cp2 started.
    [failure] = outcome.failures
    assert failure.host == "cp2" and failure.task == "Stop when kubeadm is missing"
    assert failure.reason == ("cp2: kubeadm certs renew all: kubeadm is not installed here (not found on the PATH); "
                              "nothing was changed on this host: run apply to install it, then certs renew again")
    assert hosts.pending("cp1") == hosts.pending("cp2") == []


def test_the_pods_are_marked_for_a_restart_before_kubeadm_runs() -> None:
    # Read from the task file (kubeadm cannot run here): once kubeadm has changed the files, a run that
    # stops finds the markers, and the next run restarts the three Pods.
    tasks = yaml.safe_load((PLAYBOOKS / "roles" / "kubernetes" / "tasks" / "renew_certificates.yml").read_text())
    [block] = [task["block"] for task in tasks if "block" in task]
    names = [task["name"] for task in block]
    assert names.index("Mark the control-plane static Pods for a restart before their certificates change") \
        < names.index("Renew kubeadm's certificates (kubeadm certs renew all)") == len(names) - 1
    assert block[-1]["vars"]["kubernetes_kubeadm_argv"][:4] == ["kubeadm", "certs", "renew", "all"]


def test_without_expiring_within_every_host_that_finished_kubeadm_renews(tmp_path: Path) -> None:
    hosts = Hosts(tmp_path)
    hosts.files("cp1", 365, 365)
    hosts.files("cp2", 365, 365)
    outcome = hosts.renew(None)
    assert said(outcome) == {"cp1": "cp1: renewing kubeadm's certificates: every leaf is renewed"}
    assert [failure.host for failure in outcome.failures] == ["cp1"]  # serial: cp2 never started
    assert outcome.failures[0].task == "Stop when kubeadm is missing"
