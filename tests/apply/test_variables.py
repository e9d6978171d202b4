"""The variables the playbooks are given come from the Topology, for every install mode and option."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from provisioner import hostpaths
from provisioner.apply.apply import PLAYBOOKS
from provisioner.apply.variables import (
    certs_renewal_variables,
    etcd_variables,
    kubernetes_variables,
    playbook_variables,
)
from provisioner.cluster.load import load_topology
from provisioner.cluster.topology import Topology
from provisioner.kubernetes.addons import CALICO
from provisioner.render import render
from provisioner.render.secrets import KEEPALIVED_AUTH_PASS
from tests.conftest import EXAMPLES

SHA = "a" * 64


def _topology(tmp_path: Path, example: str = "lab-stacked", **changes: object) -> Topology:
    data = yaml.safe_load((EXAMPLES / example / "cluster.yaml").read_text())
    data.update(changes)
    path = tmp_path / "cluster.yaml"
    path.write_text(yaml.safe_dump(data))
    topology, _ = load_topology(path)
    return topology


def test_package_install_uses_the_distribution_binaries(tmp_path: Path) -> None:
    variables = etcd_variables(_topology(tmp_path))
    assert variables["etcd_install"] == "package"
    assert variables["etcd_packages"] == ["etcd-server", "etcd-client"]
    assert variables["etcd_bin_dir"] == "/usr/bin"
    assert variables["etcd_release_url"] == variables["etcd_release_archive"] == ""


def test_release_install_downloads_unpacks_and_lays_binaries_in_usr_local_bin(tmp_path: Path) -> None:
    url = "http://198.18.1.254:8080/mirror/etcd-v3.5.16-linux-amd64.tar.gz"
    topology = _topology(tmp_path, etcd={"install": "release", "version": "3.5.16",
                                         "release": {"url": url, "sha256": SHA}})
    variables = etcd_variables(topology)
    assert variables["etcd_release_url"] == url
    assert variables["etcd_release_sha256"] == SHA
    assert variables["etcd_release_archive"] == "/var/cache/provisioner/etcd-v3.5.16-linux-amd64.tar.gz"
    assert variables["etcd_release_unpacked"] == "/opt/etcd/etcd-v3.5.16-linux-amd64"
    assert variables["etcd_bin_dir"] == "/usr/local/bin"


def test_health_checks_reach_every_member_with_the_healthcheck_certificate(tmp_path: Path) -> None:
    variables = etcd_variables(_topology(tmp_path, "lab-external"))
    assert variables["etcd_client_urls"] == [f"https://198.18.0.{n}:2379" for n in (21, 22, 23)]
    assert variables["etcd_healthcheck_cert"] == "/etc/etcd/pki/healthcheck-client.crt"
    assert variables["etcd_healthcheck_key"] == "/etc/etcd/pki/healthcheck-client.key"


def test_kubernetes_packages_come_from_the_configured_repository_of_the_minor_release(tmp_path: Path) -> None:
    topology = _topology(tmp_path, kubernetes={"install": "kubeadm", "version": "1.31.4",
                                               "package_repository": "https://mirror.example/k8s/core:/stable:/"})
    variables = kubernetes_variables(topology)
    assert variables["kubernetes_apt_repository"] == "https://mirror.example/k8s/core:/stable:/v1.31/deb/"
    assert variables["kubernetes_apt_key_url"] == "https://mirror.example/k8s/core:/stable:/v1.31/deb/Release.key"
    assert variables["kubernetes_packages"] == ["kubelet=1.31.4-*", "kubeadm=1.31.4-*", "kubectl=1.31.4-*"]
    assert variables["kubernetes_config"] == "/etc/kubernetes/provisioner/kubeadm.yaml"


def test_the_default_repository_is_pkgs_k8s_io(tmp_path: Path) -> None:
    variables = kubernetes_variables(_topology(tmp_path, kubernetes={"install": "kubeadm"}))
    assert variables["kubernetes_apt_repository"].startswith("https://pkgs.k8s.io/core:/stable:/v")


def test_every_variable_is_plain_data_and_names_its_role(tmp_path: Path) -> None:
    topology = _topology(tmp_path)
    tree = render(topology, tmp_path / "tree").out
    variables = playbook_variables(topology, tree)
    assert variables["provisioner_tree"] == str(tree.resolve())
    prefixes = ("provisioner_", "etcd_", "load_balancer_", "kubernetes_")
    assert all(name.startswith(prefixes) for name in variables)
    assert yaml.safe_load(yaml.safe_dump(variables)) == variables
    # Secrets never travel as variables: they would land in the run's env/extravars.
    passed = json.dumps(variables)
    auth_pass = (tree / KEEPALIVED_AUTH_PASS).read_text().strip()
    keys = sorted((tree / "secrets/pki").rglob("*.key"))
    assert auth_pass and keys, "the rendered tree has no secrets to look for"
    assert auth_pass not in passed
    assert "PRIVATE KEY" not in passed
    for key in keys:
        body = [line for line in key.read_text().splitlines() if line and not line.startswith("-----")]
        assert body, f"{key} holds no key material"
        assert not any(line in passed for line in body), f"{key.relative_to(tree)} is in the variables"


def test_role_defaults_document_every_variable_apply_passes(tmp_path: Path) -> None:
    from provisioner.apply.apply import PLAYBOOKS

    variables = playbook_variables(_topology(tmp_path), tmp_path)
    for role in ("etcd", "load_balancer", "kubernetes"):
        defaults = yaml.safe_load((PLAYBOOKS / "roles" / role / "defaults/main.yml").read_text())
        passed = {name for name in variables if name.startswith(f"{role}_")}
        assert passed <= set(defaults), f"{role}: not in defaults/main.yml: {sorted(passed - set(defaults))}"


def test_the_add_on_manifest_is_the_pinned_one_unless_the_file_names_a_mirror(tmp_path: Path) -> None:
    pinned = kubernetes_variables(_topology(tmp_path, kubernetes={"cni": "calico"}))
    assert pinned["kubernetes_cni_manifest_url"] == CALICO.url
    assert pinned["kubernetes_cni_manifest_sha256"] == CALICO.sha256
    mirror = "https://mirror.example/calico.yaml"
    mirrored = kubernetes_variables(_topology(tmp_path, kubernetes={"cni": "calico", "cni_manifest": {"url": mirror}}))
    # A mirror of the same file: the pinned sha256 still decides what is applied.
    assert mirrored["kubernetes_cni_manifest_url"] == mirror
    assert mirrored["kubernetes_cni_manifest_sha256"] == CALICO.sha256
    other = kubernetes_variables(_topology(tmp_path, kubernetes={"cni": "calico",
                                                                 "cni_manifest": {"url": mirror, "sha256": SHA}}))
    assert other["kubernetes_cni_manifest_sha256"] == SHA
    none = kubernetes_variables(_topology(tmp_path, kubernetes={"cni": "none"}))
    assert (none["kubernetes_cni"], none["kubernetes_cni_manifest_url"]) == ("none", "")


def test_each_control_plane_host_waits_for_its_own_api_server_after_a_restart(tmp_path: Path) -> None:
    pods = kubernetes_variables(_topology(tmp_path))["kubernetes_static_pods"]
    # Each on its own address, not through the endpoint (the VIP answers while one host restarts).
    assert pods["kube-apiserver"]["health"] == {
        "cp1": "https://198.18.0.11:6443/readyz", "cp2": "https://198.18.0.12:6443/readyz",
        "cp3": "https://198.18.0.13:6443/readyz"}
    assert pods["kube-apiserver"]["ca"] == "/etc/kubernetes/pki/ca.crt"


def test_the_control_plane_pods_restart_in_order_and_the_other_two_are_asked_on_the_loopback(tmp_path: Path) -> None:
    pods = kubernetes_variables(_topology(tmp_path))["kubernetes_static_pods"]
    assert list(pods) == ["kube-apiserver", "kube-controller-manager", "kube-scheduler"]
    # kubeadm binds both to 127.0.0.1 and has them serve a self-signed certificate: nothing to verify.
    assert pods["kube-controller-manager"] == {
        "manifest": "/etc/kubernetes/manifests/kube-controller-manager.yaml",
        "parked": "/etc/kubernetes/provisioner/kube-controller-manager.yaml.parked",
        "health": dict.fromkeys(("cp1", "cp2", "cp3"), "https://127.0.0.1:10257/healthz"), "ca": ""}
    assert set(pods["kube-scheduler"]["health"].values()) == {"https://127.0.0.1:10259/healthz"}
    assert pods["kube-apiserver"]["parked"] == hostpaths.KUBE_APISERVER_PARKED  # where the facts look too


def test_certs_renew_asks_with_the_variables_the_kubernetes_role_reads(tmp_path: Path) -> None:
    defaults = yaml.safe_load((PLAYBOOKS / "roles" / "kubernetes" / "defaults" / "main.yml").read_text())
    asked = certs_renewal_variables(30)
    assert asked == {"kubernetes_certs_renew": True, "kubernetes_certs_expiring_within": 30}
    assert certs_renewal_variables(None)["kubernetes_certs_expiring_within"] is None
    # Declared by the role, off unless asked; what apply always gives matches the role's documented defaults.
    assert {name: defaults[name] for name in asked} == {"kubernetes_certs_renew": False,
                                                        "kubernetes_certs_expiring_within": None}
    given = kubernetes_variables(_topology(tmp_path))
    assert given["kubernetes_kubeadm_leaves"] == defaults["kubernetes_kubeadm_leaves"]
    assert {pod: {key: value for key, value in entry.items() if key != "health"}
            for pod, entry in given["kubernetes_static_pods"].items()} == \
        {pod: {key: value for key, value in entry.items() if key != "health"}
         for pod, entry in defaults["kubernetes_static_pods"].items()}
