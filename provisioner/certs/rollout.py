"""What apply restarts when it rolls out new certificates (pure): the etcd members one at a time, then,
where kubeadm runs the control plane, kube-apiserver one control-plane host at a time, since it reads its
etcd CA and client certificate only when it starts. `certs renew` on an initialised kubeadm control plane
also has kubeadm renew its own certificates there, host by host, each host's three control-plane static
Pods restarting with them."""

from __future__ import annotations

from provisioner import hostpaths
from provisioner.cluster.record import Record
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


def kubeadm_renewals(topology: Topology, record: Record | None) -> list[str]:
    """The control-plane hosts where `certs renew` has kubeadm renew its own certificates: none unless kubeadm
    runs the control plane and the record says it was initialised (before that kubeadm issued nothing)."""
    if record is None or not record.control_plane_initialized:
        return []
    return api_servers(topology)


def kubeadm_renewal_lines(hosts: list[str], expiring_within_days: int | None) -> list[str]:
    """What `certs renew` does with kubeadm's certificates, host by host."""
    pods = hostpaths.CONTROL_PLANE_PODS
    restart = f"then {', '.join(pods[:-1])} and {pods[-1]} restart one after the other, each healthy before the next"
    where = ("" if expiring_within_days is None else
             f" if one of kubeadm's certificates there expires within {expiring_within_days} days")
    return [
        "kubeadm's own certificates (kube-apiserver's serving and client certificates, the client certificates in "
        "admin.conf, super-admin.conf, controller-manager.conf and scheduler.conf), after etcd, one control-plane "
        "host at a time:",
        *(f"  {number}. {host}: kubeadm certs renew all{where}; {restart}"
          for number, host in enumerate(hosts, start=1)),
        KUBECONFIG_AGAIN,
    ]


# admin.conf's client certificate is one kubeadm renews: a copy fetched before holds the old one.
KUBECONFIG_AGAIN = ("the admin kubeconfig fetched earlier with `provisioner kubeconfig` holds admin.conf's client "
                    "certificate, which kubeadm renews: fetch it again once the renewal is done")
