"""Which rendered file goes where on which host: each host gets only what its roles need.

The result is written per host as `hosts/<name>/files.yml`; apply copies exactly that list. The etcd
CA key is in no list: it never leaves the machine running the tool. A certificate and its key carry the
same `pair`: apply places the two in one step, so nothing on the host ever reads a new certificate with
an old key.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from provisioner import hostpaths as hp
from provisioner.cluster.model import Host
from provisioner.cluster.topology import Topology
from provisioner.render.secrets import ENCRYPTION_CONFIG, KEEPALIVED_AUTH, SECRETS


@dataclass(frozen=True)
class Placement:
    src: str          # path in the rendered tree
    dest: str         # path on the host
    owner: str
    group: str
    mode: str
    secret: bool      # copied with no_log
    service: str      # service restarted (or reloaded) when the file changes; "" for none
    pair: str = ""    # files with the same pair are placed together in one step; "" for a file alone

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _pair(pki: str, dest: str, owner: str, service: str, public: str = ".crt") -> list[Placement]:
    """A certificate (or public key) and its private key, `pki` naming both in the tree: pki/<pki>.crt
    and secrets/pki/<pki>.key; `dest` names both on the host without their suffixes."""
    return [
        Placement(f"pki/{pki}{public}", f"{dest}{public}", owner, owner, "0644", False, service, pki),
        Placement(f"{SECRETS}/pki/{pki}.key", f"{dest}.key", owner, owner, "0600", True, service, pki),
    ]


def _without_suffix(path: str) -> str:
    return path.rsplit(".", 1)[0]


# The file every host trusts etcd with: the etcd CA, or while a CA rotation runs the bundle it prepared.
ETCD_TRUST = "pki/etcd/ca.crt"
ETCD_TRUST_DURING_ROTATION = "pki/etcd/ca-bundle.crt"


def _etcd_member(host: Host, etcd_trust: str) -> list[Placement]:
    own = f"etcd/members/{host.name}"
    return [
        Placement(f"hosts/{host.name}/etcd.conf.yml", hp.ETCD_CONFIG, "root", "etcd", "0640", False, "etcd"),
        Placement(f"hosts/{host.name}/etcd.service", hp.ETCD_UNIT, "root", "root", "0644", False, "etcd"),
        Placement(etcd_trust, hp.ETCD_CA, "etcd", "etcd", "0644", False, "etcd"),
        *_pair(f"{own}/server", _without_suffix(hp.ETCD_SERVER_CERT), "etcd", "etcd"),
        *_pair(f"{own}/peer", _without_suffix(hp.ETCD_PEER_CERT), "etcd", "etcd"),
        *_pair("etcd/healthcheck-client", _without_suffix(hp.ETCD_HEALTHCHECK_CERT), "root", ""),
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


# The static Pod kubeadm runs the API server in: restarted (apply's kubernetes phase, one control-plane
# host at a time) when a file it reads only when it starts changes. Only where kubeadm runs it.
KUBE_APISERVER = "kube-apiserver"


def _apiserver_service(topology: Topology) -> str:
    return KUBE_APISERVER if topology.cluster.kubernetes.install == "kubeadm" else ""


def _control_plane(topology: Topology, host: Host, etcd_trust: str) -> list[Placement]:
    kube = hp.KUBERNETES_PKI
    # kube-apiserver reads its etcd CA and client certificate (--etcd-cafile, --etcd-certfile) only when
    # it starts. The Kubernetes CAs below are not marked: they never change once issued, and a new one
    # would need every kubeadm certificate re-signed, which a restart does not do.
    apiserver = _apiserver_service(topology)
    return [
        Placement(etcd_trust, hp.KUBE_ETCD_CA, "root", "root", "0644", False, apiserver),
        *_pair("etcd/apiserver-etcd-client", _without_suffix(hp.APISERVER_ETCD_CLIENT_CERT), "root", apiserver),
        # kubeadm signs the control-plane certificates with these CAs, so it truly needs their keys.
        *_pair("kubernetes/ca", f"{kube}/ca", "root", ""),
        *_pair("kubernetes/front-proxy-ca", f"{kube}/front-proxy-ca", "root", ""),
        *_pair("kubernetes/sa", f"{kube}/sa", "root", "", public=".pub"),
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
    # Both read by kube-apiserver only when it starts.
    apiserver = _apiserver_service(topology)
    if kubernetes.encrypt_secrets:
        # Holds the key Secrets are encrypted with.
        result.append(Placement(ENCRYPTION_CONFIG, hp.ENCRYPTION_CONFIG, "root", "root", "0600",
                                True, apiserver))
    if kubernetes.audit_log:
        result.append(Placement("kubernetes/audit-policy.yaml", hp.AUDIT_POLICY, "root", "root", "0644", False,
                                apiserver))
    return result


def _load_balancer(host: Host) -> list[Placement]:
    # keepalived's check of keepalived.conf reads the check script and the included password file:
    # both come first.
    return [
        Placement(f"hosts/{host.name}/haproxy.cfg", hp.HAPROXY_CONFIG, "root", "root", "0644", False, "haproxy"),
        Placement(f"hosts/{host.name}/check_haproxy.sh", hp.KEEPALIVED_CHECK_SCRIPT, "root", "root", "0755",
                  False, "keepalived"),
        Placement(KEEPALIVED_AUTH, hp.KEEPALIVED_AUTH, "root", "root", "0600", True, "keepalived"),
        Placement(f"hosts/{host.name}/keepalived.conf", hp.KEEPALIVED_CONFIG, "root", "root", "0644", False,
                  "keepalived"),
    ]


def _worker(host: Host) -> list[Placement]:
    return [Placement(f"hosts/{host.name}/kubeadm.yaml", hp.KUBEADM_CONFIG, "root", "root", "0600", False, "")]


def etcd_trust_source(tree: Path) -> str:
    """The tree file the hosts trust etcd with (the rotation's bundle while there is one)."""
    return ETCD_TRUST_DURING_ROTATION if (tree / ETCD_TRUST_DURING_ROTATION).is_file() else ETCD_TRUST


def placements(topology: Topology, host: Host, etcd_trust: str = ETCD_TRUST) -> list[Placement]:
    roles = topology.roles_of(host)
    result: list[Placement] = []
    if "etcd" in roles:
        result += _etcd_member(host, etcd_trust)
        if topology.cluster.etcd.backup is not None:
            result += _etcd_backup(host)
    if "control_plane" in roles:
        result += _control_plane(topology, host, etcd_trust) + _kubernetes_cluster_files(topology)
    if "load_balancer" in roles and topology.load_balancer_hosts:
        result += _load_balancer(host)
    if "worker" in roles and "control_plane" not in roles:
        result += _worker(host)
    return result
