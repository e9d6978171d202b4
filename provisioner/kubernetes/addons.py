"""Pod network add-ons: each pinned to one upstream manifest by URL and sha256.

The hosts download the manifest at apply time (from `kubernetes.cni_manifest.url` when a site mirrors
it) and refuse it unless its sha256 matches. What depends on the cluster file (the pod network) is not
edited into the manifest: render writes it as a kustomize patch next to it, and `kubectl apply -k`
applies both. The URLs point at the tagged file in the project's repository, whose bytes the sha256
was taken from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Cni = Literal["flannel", "calico", "none"]


@dataclass(frozen=True)
class AddOn:
    name: str
    version: str
    url: str
    sha256: str
    # The images the manifest names, for sites that mirror images.
    images: tuple[str, ...]


FLANNEL = AddOn(
    name="flannel",
    version="v0.28.9",
    url="https://raw.githubusercontent.com/flannel-io/flannel/v0.28.9/Documentation/kube-flannel.yml",
    sha256="e875824be2f552b45711dbda91af81b17eb961d00025d914d9fef18fad8f09c0",
    images=("ghcr.io/flannel-io/flannel-cni-plugin:v1.9.1-flannel3", "ghcr.io/flannel-io/flannel:v0.28.9"),
)
# 3.30 is the Calico release whose supported Kubernetes versions (1.30 to 1.33) cover 1.31, the oldest
# this tool installs.
CALICO = AddOn(
    name="calico",
    version="v3.30.7",
    url="https://raw.githubusercontent.com/projectcalico/calico/v3.30.7/manifests/calico.yaml",
    sha256="ed105288f27c7ba4cae143bcaa3f6425f02d84fa94a4786cc8e3d371412c1a36",
    images=("docker.io/calico/cni:v3.30.7", "docker.io/calico/kube-controllers:v3.30.7",
            "docker.io/calico/node:v3.30.7"),
)
ADD_ONS: dict[str, AddOn] = {addon.name: addon for addon in (FLANNEL, CALICO)}

# Where the add-ons' own objects live, as their manifests create them.
FLANNEL_NAMESPACE = "kube-flannel"
FLANNEL_CONFIG_MAP = "kube-flannel-cfg"
CALICO_NAMESPACE = "kube-system"
CALICO_NODE = "calico-node"
