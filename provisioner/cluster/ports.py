"""The TCP ports each role listens on, so that no two services on one host ask for the same port.

Fixed ports are the software's defaults as this tool configures it (etcd's, and kubeadm's for the
control plane and every node); two of them never clash. A clash involves a port the cluster file sets.
"""

from __future__ import annotations

from dataclasses import dataclass

from provisioner.cluster.model import ClusterFile, Role

ETCD_CLIENT_PORT = 2379
ETCD_PEER_PORT = 2380
APISERVER_PORT = 6443
KUBELET_PORT = 10250
KUBELET_HEALTH_PORT = 10248
KUBE_PROXY_METRICS_PORT = 10249
KUBE_PROXY_HEALTH_PORT = 10256
CONTROLLER_MANAGER_PORT = 10257
SCHEDULER_PORT = 10259

_NODE_PORTS = ((KUBELET_PORT, "the kubelet"), (KUBELET_HEALTH_PORT, "the kubelet (health)"),
               (KUBE_PROXY_METRICS_PORT, "kube-proxy (metrics)"), (KUBE_PROXY_HEALTH_PORT, "kube-proxy (health)"))
_CONTROL_PLANE_PORTS = ((APISERVER_PORT, "the kube-apiserver"), (SCHEDULER_PORT, "the kube-scheduler"),
                        (CONTROLLER_MANAGER_PORT, "the kube-controller-manager"))


@dataclass(frozen=True)
class Listener:
    port: int
    service: str
    key: tuple[str, ...] | None = None  # the cluster-file key that sets the port; None when it is fixed


def listeners(cluster: ClusterFile, roles: frozenset[Role]) -> list[Listener]:
    """What listens on a host that plays `roles` (as played: in stacked, control-plane hosts run etcd)."""
    found: list[Listener] = []
    if "etcd" in roles:
        found += [Listener(ETCD_CLIENT_PORT, "etcd (clients)"), Listener(ETCD_PEER_PORT, "etcd (peers)"),
                  Listener(cluster.etcd.metrics_port, "etcd (metrics)", ("etcd", "metrics_port"))]
    if roles & {"control_plane", "worker"}:
        found += [Listener(port, service) for port, service in _NODE_PORTS]
    if "control_plane" in roles:
        found += [Listener(port, service) for port, service in _CONTROL_PLANE_PORTS]
    endpoint = cluster.endpoint
    if "load_balancer" in roles and endpoint is not None and endpoint.load_balancer == "keepalived":
        found.append(Listener(endpoint.port, "haproxy (the endpoint)", ("endpoint", "port")))
    return found


def clashes(found: list[Listener]) -> list[tuple[Listener, list[Listener]]]:
    """Each port set in the cluster file that something else on the same host also listens on."""
    return [(listener, others) for listener in found if listener.key is not None
            if (others := [other for other in found if other is not listener and other.port == listener.port])]
