"""What apply restarts when it rolls out new etcd certificates (pure): the etcd members one at a time,
then, where kubeadm runs the control plane, kube-apiserver one control-plane host at a time, since it
reads its etcd CA and client certificate only when it starts."""

from __future__ import annotations

from provisioner.cluster.topology import Topology

# The tree file of kube-apiserver's etcd client certificate (its key travels with it).
APISERVER_ETCD_CLIENT = "pki/etcd/apiserver-etcd-client.crt"


def api_servers(topology: Topology) -> list[str]:
    """The hosts whose kube-apiserver apply restarts when its etcd files change: none unless kubeadm runs it."""
    if topology.cluster.kubernetes.install != "kubeadm":
        return []
    return [host.name for host in topology.control_plane_hosts]


def restarts(members: list[str], api_servers: list[str]) -> str:
    said = f"etcd restarted one member at a time: {', '.join(members)}"
    if api_servers:
        said += f"; then kube-apiserver restarted one control-plane host at a time: {', '.join(api_servers)}"
    return said
