"""Rules between the `kubernetes` keys: the networks kubeadm accepts, and what the add-on can carry."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from provisioner.cluster.model import Kubernetes

# kubeadm's defaults: each node gets a /24 (IPv4) or /64 (IPv6) of the pod network, and the pod network
# may hold at most 2^16 of them (cmd/kubeadm/app/apis/kubeadm/validation: ValidatePodSubnetNodeMask).
NODE_MASK = {4: 24, 6: 64}
POD_SUBNET_NODE_MASK_MAX_DIFF = 16
# At most 2^20 service addresses (ValidateServiceSubnetSize).
SERVICE_SUBNET_MAX_BITS = 20


@dataclass(frozen=True)
class KeyProblem:
    key: str
    message: str


def kubernetes_problems(kubernetes: Kubernetes) -> list[KeyProblem]:
    problems: list[KeyProblem] = []
    pods = ipaddress.ip_network(kubernetes.pod_subnet)
    node_mask = NODE_MASK[pods.version]
    largest = node_mask - POD_SUBNET_NODE_MASK_MAX_DIFF
    if not largest <= pods.prefixlen <= node_mask:
        problems.append(KeyProblem("pod_subnet", f"expected a network from /{largest} to /{node_mask} "
                                   f"(kubeadm gives every node a /{node_mask} of it), got {pods}"))
    if kubernetes.cni == "calico" and pods.version != 4:
        problems.append(KeyProblem("pod_subnet", f"expected an IPv4 network with cni calico "
                                   f"(its rendered configuration is IPv4 only), got {pods}"))
    services = ipaddress.ip_network(kubernetes.service_subnet)
    smallest = services.max_prefixlen - SERVICE_SUBNET_MAX_BITS
    if services.prefixlen < smallest:
        problems.append(KeyProblem("service_subnet", f"expected /{smallest} or smaller (kubeadm allows at most "
                                   f"2^{SERVICE_SUBNET_MAX_BITS} service addresses), got {services}"))
    if kubernetes.cni == "none" and kubernetes.cni_manifest is not None:
        problems.append(KeyProblem("cni_manifest", "only used with cni flannel or calico"))
    return problems
