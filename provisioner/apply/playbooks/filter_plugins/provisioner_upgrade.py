"""`provisioner_upgrade`: the Kubernetes upgrade decision (provisioner.kubernetes.upgrade) for the
versions the playbook read on the hosts, as data the tasks can test."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from provisioner.kubernetes.upgrade import RunningVersions, UpgradeRefused, decide_upgrade


def provisioner_upgrade(target: str, control_plane: str, kubelets: Mapping[str, str],
                        node_order: Sequence[str]) -> dict[str, Any]:
    """`control_plane` is "" before kubeadm init; `kubelets` holds the members' kubelet versions."""
    try:
        decision = decide_upgrade(target, RunningVersions(control_plane or None, dict(kubelets)), list(node_order))
    except UpgradeRefused as refused:
        return {"refused": str(refused), "apply": False, "nodes": []}
    return {"refused": "", "apply": decision.apply, "nodes": list(decision.nodes), "source": decision.source or ""}


class FilterModule:
    def filters(self) -> dict[str, Callable[..., dict[str, Any]]]:
        return {"provisioner_upgrade": provisioner_upgrade}
