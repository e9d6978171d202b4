"""kubeadm configuration (v1beta4) for each control-plane and worker host.

etcd is always given to kubeadm as `etcd.external`: this tool runs etcd as a systemd service in both
layouts, on the control-plane hosts (stacked) or on dedicated hosts (external). The join token and the
certificate key expire within hours, so apply adds them at run time; they are never written here.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from provisioner import hostpaths
from provisioner.cluster.model import Host
from provisioner.cluster.ports import APISERVER_PORT
from provisioner.cluster.topology import Topology
from provisioner.render.apiserver import apiserver_extras

API_VERSION = "kubeadm.k8s.io/v1beta4"
CRI_SOCKET = "unix:///var/run/containerd/containerd.sock"
_ENCRYPTION_ALGORITHMS = {"ecdsa-p256": "ECDSA-P256", "rsa-2048": "RSA-2048"}


def ca_cert_hash(ca_certificate: Path) -> str:
    """The discovery hash kubeadm join checks: sha256 of the CA's SubjectPublicKeyInfo."""
    certificate = x509.load_pem_x509_certificate(ca_certificate.read_bytes())
    spki = certificate.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return "sha256:" + hashlib.sha256(spki).hexdigest()


def _node_registration(host: Host) -> dict[str, Any]:
    return {
        "name": host.name,
        "criSocket": CRI_SOCKET,
        "kubeletExtraArgs": [{"name": "node-ip", "value": host.address}],
    }


def cluster_configuration(topology: Topology) -> dict[str, Any]:
    kubernetes = topology.cluster.kubernetes
    cert_sans = [topology.endpoint.address] + [host.address for host in topology.control_plane_hosts]
    return {
        "apiVersion": API_VERSION,
        "kind": "ClusterConfiguration",
        "clusterName": topology.name,
        "kubernetesVersion": f"v{kubernetes.version}",
        "controlPlaneEndpoint": topology.control_plane_endpoint,
        "networking": {
            "podSubnet": kubernetes.pod_subnet,
            "serviceSubnet": kubernetes.service_subnet,
            "dnsDomain": "cluster.local",
        },
        "etcd": {
            "external": {
                "endpoints": topology.etcd_endpoints,
                "caFile": hostpaths.KUBE_ETCD_CA,
                "certFile": hostpaths.APISERVER_ETCD_CLIENT_CERT,
                "keyFile": hostpaths.APISERVER_ETCD_CLIENT_KEY,
            }
        },
        "imageRepository": kubernetes.image_repository,
        "apiServer": {"certSANs": list(dict.fromkeys(cert_sans)), **apiserver_extras(kubernetes)},
        # kubeadm's own certificates then use the same algorithm as the CAs this tool issued.
        "encryptionAlgorithm": _ENCRYPTION_ALGORITHMS[topology.cluster.pki.key_type],
    }


def _join_configuration(topology: Topology, host: Host, ca_hash: str, control_plane: bool) -> dict[str, Any]:
    join: dict[str, Any] = {
        "apiVersion": API_VERSION,
        "kind": "JoinConfiguration",
        "discovery": {
            "bootstrapToken": {
                "apiServerEndpoint": topology.control_plane_endpoint,
                "caCertHashes": [ca_hash],
            }
        },
        "nodeRegistration": _node_registration(host),
    }
    if control_plane:
        join["controlPlane"] = {"localAPIEndpoint": {"advertiseAddress": host.address, "bindPort": APISERVER_PORT}}
    return join


def kubeadm_documents(topology: Topology, host: Host, ca_hash: str) -> list[dict[str, Any]]:
    """Init + Cluster + Join for a control-plane host (init on the first, join on the others);
    Join alone for a worker. kubeadm skips the documents a command does not use.
    `ca_hash` is `ca_cert_hash` of the Kubernetes CA."""
    if "control_plane" not in host.roles:
        return [_join_configuration(topology, host, ca_hash, control_plane=False)]
    init = {
        "apiVersion": API_VERSION,
        "kind": "InitConfiguration",
        "localAPIEndpoint": {"advertiseAddress": host.address, "bindPort": APISERVER_PORT},
        "nodeRegistration": _node_registration(host),
    }
    return [init, cluster_configuration(topology), _join_configuration(topology, host, ca_hash, control_plane=True)]
