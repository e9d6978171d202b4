"""The variables every playbook is given, all derived from the Topology (no YAML is re-read here).

Names carry the prefix of the role that reads them (`etcd_`, `load_balancer_`, `kubernetes_`);
`provisioner_` ones are shared by every playbook.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from provisioner import hostpaths
from provisioner.apply import remote_paths
from provisioner.cluster.ports import APISERVER_PORT, CONTROLLER_MANAGER_PORT, SCHEDULER_PORT
from provisioner.cluster.topology import Topology, url_host
from provisioner.kubernetes.images import kubeadm_images
from provisioner.plan.kubeadm import KubeadmDecision
from provisioner.render.cni import manifest_source

ETCD_PACKAGES = ["etcd-server", "etcd-client"]
LOAD_BALANCER_PACKAGES = ["haproxy", "keepalived"]
KUBERNETES_PACKAGES = ["kubelet", "kubeadm", "kubectl"]
# Checked in a temporary file before it replaces the one in place; %s is that file.
VALIDATORS = {
    hostpaths.HAPROXY_CONFIG: "/usr/sbin/haproxy -c -q -f %s",
    hostpaths.KEEPALIVED_CONFIG: "/usr/sbin/keepalived --config-test -f %s",
}


def playbook_variables(topology: Topology, tree: Path) -> dict[str, Any]:
    return {
        "provisioner_tree": str(tree.resolve()),
        "provisioner_pending_dir": remote_paths.PENDING_RESTART_DIR,
        "provisioner_validators": VALIDATORS,
        **etcd_variables(topology),
        **load_balancer_variables(topology),
        **kubernetes_variables(topology),
    }


def etcd_variables(topology: Topology) -> dict[str, Any]:
    etcd = topology.cluster.etcd
    release = etcd.release if etcd.install == "release" else None
    archive = Path(urlsplit(release.url).path).name if release else ""
    return {
        "etcd_install": etcd.install,
        "etcd_version": etcd.version,
        "etcd_packages": ETCD_PACKAGES,
        "etcd_release_url": release.url if release else "",
        "etcd_release_sha256": release.sha256 if release else "",
        "etcd_release_archive": f"{remote_paths.DOWNLOAD_DIR}/{archive}" if release else "",
        # An upstream tarball holds one folder named like the file: etcd-v3.5.16-linux-amd64/.
        "etcd_release_unpacked": f"{remote_paths.RELEASE_UNPACK_DIR}/{archive.removesuffix('.tar.gz')}"
        if release else "",
        "etcd_bin_dir": hostpaths.ETCD_RELEASE_DIR if release else str(Path(hostpaths.ETCD_PACKAGE_BINARY).parent),
        "etcd_data_dir": etcd.data_dir,
        "etcd_ca": hostpaths.ETCD_CA,
        "etcd_healthcheck_cert": hostpaths.ETCD_HEALTHCHECK_CERT,
        "etcd_healthcheck_key": hostpaths.ETCD_HEALTHCHECK_KEY,
        "etcd_client_urls": topology.etcd_endpoints,
        "etcd_backup": etcd.backup is not None,
        "etcd_backup_timer": hostpaths.ETCD_BACKUP_TIMER,
    }


def load_balancer_variables(topology: Topology) -> dict[str, Any]:
    return {
        "load_balancer_packages": LOAD_BALANCER_PACKAGES,
        "load_balancer_vip": topology.endpoint.address,
        "load_balancer_port": topology.endpoint.port,
    }


def kubernetes_variables(topology: Topology) -> dict[str, Any]:
    kubernetes = topology.cluster.kubernetes
    minor = "v" + ".".join(kubernetes.version.split(".")[:2])
    repository = f"{kubernetes.package_repository.rstrip('/')}/{minor}/deb/"
    manifest_url, manifest_sha256 = manifest_source(kubernetes) if kubernetes.cni != "none" else ("", "")
    images = kubeadm_images(kubernetes.version, kubernetes.image_repository) or []
    return {
        "kubernetes_install": kubernetes.install,
        "kubernetes_version": kubernetes.version,
        # pkgs.k8s.io has one repository per minor release; its packages are versioned 1.31.4-1.1.
        "kubernetes_apt_repository": repository,
        "kubernetes_apt_key_url": f"{repository}Release.key",
        "kubernetes_packages": [f"{name}={kubernetes.version}-*" for name in KUBERNETES_PACKAGES],
        "kubernetes_config": hostpaths.KUBEADM_CONFIG,
        "kubernetes_runtime_config": remote_paths.KUBEADM_RUNTIME_CONFIG,
        "kubernetes_admin_kubeconfig": hostpaths.KUBE_ADMIN_KUBECONFIG,
        "kubernetes_kubelet_kubeconfig": "/etc/kubernetes/kubelet.conf",
        "kubernetes_member_marker": hostpaths.KUBE_MEMBER_MARKER,
        # containerd's sandbox image; "" (containerd's own default) for a release missing from the table.
        "kubernetes_pause_image": next((image.pulled for image in images if "/pause:" in image.pulled), ""),
        "kubernetes_cni": kubernetes.cni,
        "kubernetes_cni_dir": hostpaths.KUBE_CNI_DIR,
        "kubernetes_cni_manifest_url": manifest_url,
        "kubernetes_cni_manifest_sha256": manifest_sha256,
        # Restarting a control-plane static Pod when its files changed (restart_static_pod.yml); restore
        # parks kube-apiserver's manifest at the same place.
        "kubernetes_static_pods": static_pods(topology),
        "kubernetes_apiserver_parked_formerly": hostpaths.KUBE_APISERVER_PARKED_FORMERLY,
        # Renewing kubeadm's own certificates (renew_certificates.yml), when `certs renew` asks.
        "kubernetes_kubeadm_leaves": list(hostpaths.KUBEADM_LEAVES),
    }


def static_pods(topology: Topology) -> dict[str, dict[str, Any]]:
    """Per control-plane static Pod, in the order they restart on a host: its manifest, where it is parked,
    its health URL per control-plane host, and the CA its serving certificate comes from ("": kubeadm has it
    serve a self-signed one). kube-apiserver is asked on the host's own address, where kubeadm has it listen
    (not through the endpoint); the other two listen on 127.0.0.1 only."""
    hosts = topology.control_plane_hosts
    names = [host.name for host in hosts]
    health = {
        "kube-apiserver": {host.name: f"https://{url_host(host.address)}:{APISERVER_PORT}/readyz" for host in hosts},
        "kube-controller-manager": dict.fromkeys(names, f"https://127.0.0.1:{CONTROLLER_MANAGER_PORT}/healthz"),
        "kube-scheduler": dict.fromkeys(names, f"https://127.0.0.1:{SCHEDULER_PORT}/healthz"),
    }
    return {pod: {"manifest": f"{hostpaths.KUBE_MANIFESTS_DIR}/{pod}.yaml",
                  "parked": f"{hostpaths.KUBE_PARKED_DIR}/{pod}.yaml.parked",
                  "health": health[pod],
                  "ca": hostpaths.KUBERNETES_CA if pod == "kube-apiserver" else ""}
            for pod in hostpaths.CONTROL_PLANE_PODS}


def certs_renewal_variables(expiring_within_days: int | None) -> dict[str, Any]:
    """`certs renew` on an initialised kubeadm control plane: kubeadm's own certificates are renewed too, on
    every control-plane host, or only where one expires within the days given."""
    return {"kubernetes_certs_renew": True, "kubernetes_certs_expiring_within": expiring_within_days}


def kubeadm_decision_variables(decision: KubeadmDecision) -> dict[str, Any]:
    """The init-or-join decision made from the facts, as the Kubernetes playbook reads it: it inits, joins
    and resets by these lists, never by a host's position in the file."""
    return {
        "kubernetes_first_control_plane": decision.first_control_plane,
        "kubernetes_initialize": decision.initialize,
        "kubernetes_members": list(decision.members),
        "kubernetes_joining": list(decision.joining),
    }
