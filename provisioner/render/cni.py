"""The pod network add-on's files: a kustomization over the pinned upstream manifest and the patch that
carries the cluster file's pod network into the add-on's own configuration.

`kubectl apply -k` on the first control-plane host reads them next to the manifest apply downloaded
(`manifest.yaml`): the manifest is applied as published, with only these changes.
"""

from __future__ import annotations

import ipaddress
import json
from typing import Any

from provisioner.cluster.model import Kubernetes
from provisioner.kubernetes.addons import (
    ADD_ONS,
    CALICO_NAMESPACE,
    CALICO_NODE,
    FLANNEL_CONFIG_MAP,
    FLANNEL_NAMESPACE,
    AddOn,
)
from provisioner.kubernetes.images import mirrored

MANIFEST = "manifest.yaml"
PATCH = "pod-network.yaml"


def add_on(kubernetes: Kubernetes) -> AddOn | None:
    return ADD_ONS.get(kubernetes.cni)


def manifest_source(kubernetes: Kubernetes) -> tuple[str, str]:
    """(url, sha256) the hosts download the manifest from: the pinned ones unless the file overrides them."""
    addon = ADD_ONS[kubernetes.cni]
    override = kubernetes.cni_manifest
    if override is None:
        return addon.url, addon.sha256
    return override.url, override.sha256 or addon.sha256


def flannel_patch(kubernetes: Kubernetes) -> dict[str, Any]:
    """flannel's net-conf.json with the pod network, IPv4 or IPv6 (flannel's configuration reference:
    IPv6Network with EnableIPv6, EnableIPv4 off); the rest as the manifest has it (VXLAN)."""
    pods = ipaddress.ip_network(kubernetes.pod_subnet)
    family: dict[str, Any] = {"Network": str(pods)} if pods.version == 4 else \
        {"EnableIPv4": False, "EnableIPv6": True, "IPv6Network": str(pods)}
    net_conf = {**family, "EnableNFTables": False, "Backend": {"Type": "vxlan"}}
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": FLANNEL_CONFIG_MAP, "namespace": FLANNEL_NAMESPACE},
        "data": {"net-conf.json": json.dumps(net_conf)},
    }


def calico_patch(kubernetes: Kubernetes) -> dict[str, Any]:
    """calico-node creates its first IP pool from CALICO_IPV4POOL_CIDR (commented out in the manifest);
    a strategic merge patch adds it to the container's environment by name."""
    container = {"name": CALICO_NODE, "env": [{"name": "CALICO_IPV4POOL_CIDR", "value": kubernetes.pod_subnet}]}
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": CALICO_NODE, "namespace": CALICO_NAMESPACE},
        "spec": {"template": {"spec": {"containers": [container]}}},
    }


def pod_network_patch(kubernetes: Kubernetes) -> dict[str, Any]:
    return flannel_patch(kubernetes) if kubernetes.cni == "flannel" else calico_patch(kubernetes)


def kustomization(kubernetes: Kubernetes) -> dict[str, Any]:
    addon = ADD_ONS[kubernetes.cni]
    document: dict[str, Any] = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": [MANIFEST],
        "patches": [{"path": PATCH}],
    }
    repository = kubernetes.image_repository
    renamed = {image.rsplit(":", 1)[0]: mirrored(image, repository).rsplit(":", 1)[0] for image in addon.images}
    if any(old != new for old, new in renamed.items()):
        # The add-on's images come from the site's registry too (tags as the manifest has them).
        document["images"] = [{"name": old, "newName": new} for old, new in sorted(renamed.items())]
    return document
