"""Which rendered file goes where on which host: each host gets only what its roles need.

The result is written per host as `hosts/<name>/files.yml`; apply copies exactly that list. The etcd
CA key is in no list: it never leaves the machine running the tool.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from provisioner import hostpaths as hp
from provisioner.cluster.model import Host
from provisioner.cluster.topology import Topology


@dataclass(frozen=True)
class Placement:
    src: str          # path in the rendered tree
    dest: str         # path on the host
    owner: str
    group: str
    mode: str
    secret: bool      # copied with no_log
    service: str      # service restarted (or reloaded) when the file changes; "" for none

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _etcd_member(host: Host) -> list[Placement]:
    own = f"pki/etcd/members/{host.name}"
    return [
        Placement(f"hosts/{host.name}/etcd.conf.yml", hp.ETCD_CONFIG, "root", "etcd", "0640", False, "etcd"),
        Placement(f"hosts/{host.name}/etcd.service", hp.ETCD_UNIT, "root", "root", "0644", False, "etcd"),
        Placement("pki/etcd/ca.crt", hp.ETCD_CA, "etcd", "etcd", "0644", False, "etcd"),
        Placement(f"{own}/server.crt", hp.ETCD_SERVER_CERT, "etcd", "etcd", "0644", False, "etcd"),
        Placement(f"{own}/server.key", hp.ETCD_SERVER_KEY, "etcd", "etcd", "0600", True, "etcd"),
        Placement(f"{own}/peer.crt", hp.ETCD_PEER_CERT, "etcd", "etcd", "0644", False, "etcd"),
        Placement(f"{own}/peer.key", hp.ETCD_PEER_KEY, "etcd", "etcd", "0600", True, "etcd"),
        Placement("pki/etcd/healthcheck-client.crt", hp.ETCD_HEALTHCHECK_CERT, "root", "root", "0644", False, ""),
        Placement("pki/etcd/healthcheck-client.key", hp.ETCD_HEALTHCHECK_KEY, "root", "root", "0600", True, ""),
    ]


def _etcd_backup(host: Host) -> list[Placement]:
    # The timer is restarted when its files change, so a new schedule takes effect.
    return [
        Placement(f"hosts/{host.name}/etcd-backup", hp.ETCD_BACKUP_SCRIPT, "root", "root", "0755", False, ""),
        Placement(f"hosts/{host.name}/etcd-backup.service", hp.ETCD_BACKUP_SERVICE, "root", "root", "0644", False,
                  "etcd-backup"),
        Placement(f"hosts/{host.name}/etcd-backup.timer", hp.ETCD_BACKUP_TIMER, "root", "root", "0644", False,
                  "etcd-backup"),
    ]


def _control_plane(host: Host) -> list[Placement]:
    kube = hp.KUBERNETES_PKI
    return [
        Placement("pki/etcd/ca.crt", hp.KUBE_ETCD_CA, "root", "root", "0644", False, ""),
        Placement("pki/etcd/apiserver-etcd-client.crt", hp.APISERVER_ETCD_CLIENT_CERT, "root", "root", "0644",
                  False, ""),
        Placement("pki/etcd/apiserver-etcd-client.key", hp.APISERVER_ETCD_CLIENT_KEY, "root", "root", "0600",
                  True, ""),
        # kubeadm signs the control-plane certificates with these CAs, so it truly needs their keys.
        Placement("pki/kubernetes/ca.crt", f"{kube}/ca.crt", "root", "root", "0644", False, ""),
        Placement("pki/kubernetes/ca.key", f"{kube}/ca.key", "root", "root", "0600", True, ""),
        Placement("pki/kubernetes/front-proxy-ca.crt", f"{kube}/front-proxy-ca.crt", "root", "root", "0644",
                  False, ""),
        Placement("pki/kubernetes/front-proxy-ca.key", f"{kube}/front-proxy-ca.key", "root", "root", "0600",
                  True, ""),
        Placement("pki/kubernetes/sa.key", f"{kube}/sa.key", "root", "root", "0600", True, ""),
        Placement("pki/kubernetes/sa.pub", f"{kube}/sa.pub", "root", "root", "0644", False, ""),
        Placement(f"hosts/{host.name}/kubeadm.yaml", hp.KUBEADM_CONFIG, "root", "root", "0600", False, ""),
    ]


def _kubernetes_cluster_files(topology: Topology) -> list[Placement]:
    """The add-on's files and the apiserver's hardening files, on every control-plane host."""
    kubernetes = topology.cluster.kubernetes
    result: list[Placement] = []
    if kubernetes.cni != "none":
        result += [
            Placement("kubernetes/cni/kustomization.yaml", f"{hp.KUBE_CNI_DIR}/kustomization.yaml", "root", "root",
                      "0644", False, ""),
            Placement("kubernetes/cni/pod-network.yaml", f"{hp.KUBE_CNI_DIR}/pod-network.yaml", "root", "root",
                      "0644", False, ""),
        ]
    if kubernetes.encrypt_secrets:
        # Holds the key Secrets are encrypted with.
        result.append(Placement("kubernetes/encryption-config.yaml", hp.ENCRYPTION_CONFIG, "root", "root", "0600",
                                True, ""))
    if kubernetes.audit_log:
        result.append(Placement("kubernetes/audit-policy.yaml", hp.AUDIT_POLICY, "root", "root", "0644", False, ""))
    return result


def _load_balancer(host: Host) -> list[Placement]:
    return [
        Placement(f"hosts/{host.name}/haproxy.cfg", hp.HAPROXY_CONFIG, "root", "root", "0644", False, "haproxy"),
        # Holds the VRRP password.
        Placement(f"hosts/{host.name}/keepalived.conf", hp.KEEPALIVED_CONFIG, "root", "root", "0600", True,
                  "keepalived"),
        Placement(f"hosts/{host.name}/check_haproxy.sh", hp.KEEPALIVED_CHECK_SCRIPT, "root", "root", "0755",
                  False, "keepalived"),
    ]


def _worker(host: Host) -> list[Placement]:
    return [Placement(f"hosts/{host.name}/kubeadm.yaml", hp.KUBEADM_CONFIG, "root", "root", "0600", False, "")]


def placements(topology: Topology, host: Host) -> list[Placement]:
    roles = topology.roles_of(host)
    result: list[Placement] = []
    if "etcd" in roles:
        result += _etcd_member(host)
        if topology.cluster.etcd.backup is not None:
            result += _etcd_backup(host)
    if "control_plane" in roles:
        result += _control_plane(host) + _kubernetes_cluster_files(topology)
    if "load_balancer" in roles and topology.load_balancer_hosts:
        result += _load_balancer(host)
    if "worker" in roles and "control_plane" not in roles:
        result += _worker(host)
    return result
