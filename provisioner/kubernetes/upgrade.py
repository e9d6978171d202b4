"""Whether and how a running cluster moves to the Kubernetes version of the cluster file.

kubeadm upgrades one minor release at a time (or within a minor release) and never downgrades
(kubernetes.io/docs/tasks/administer-cluster/kubeadm/kubeadm-upgrade): `kubeadm upgrade apply` on one
control-plane host, `kubeadm upgrade node` on the other control-plane hosts, then on the workers,
one node at a time, each drained before its kubelet is upgraded and uncordoned after.

Given what runs (the control plane's version and each node's kubelet, read on the hosts at apply
time), `decide_upgrade` returns what to do, or raises UpgradeRefused saying why not.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from provisioner.errors import ProvisionerError


class UpgradeRefused(ProvisionerError):
    """The cluster file asks for a version kubeadm cannot move the running cluster to."""


@dataclass(frozen=True)
class RunningVersions:
    """What the hosts report; hosts that are not cluster members yet are left out."""

    control_plane: str | None          # kubeadm-config's kubernetesVersion; None before kubeadm init
    kubelets: Mapping[str, str]        # node name -> its kubelet's version, for the cluster's members


@dataclass(frozen=True)
class UpgradeDecision:
    apply: bool                        # kubeadm upgrade apply on the first control-plane host
    nodes: tuple[str, ...]             # nodes to upgrade, in order; the first control-plane host first
    source: str | None                 # the version upgraded from
    target: str

    @property
    def needed(self) -> bool:
        return self.apply or bool(self.nodes)


def _parse(version: str) -> tuple[int, int, int]:
    major, minor, patch = (int(part) for part in version.removeprefix("v").split("-")[0].split("."))
    return major, minor, patch


def _refusal(running: str, target: str, what: str) -> str | None:
    have, want = _parse(running), _parse(target)
    if want < have:
        return f"kubernetes.version {target} is older than {what} {running}: kubeadm does not downgrade"
    if want[0] != have[0] or want[1] > have[1] + 1:
        step = f"{have[0]}.{have[1] + 1}"
        return (f"kubernetes.version {target} skips a minor release from {what} {running}: "
                f"upgrade to {step}.x first")
    return None


def decide_upgrade(target: str, running: RunningVersions, node_order: Sequence[str]) -> UpgradeDecision:
    """`node_order`: the control-plane hosts (the first one first), then the workers."""
    if running.control_plane is None:
        return UpgradeDecision(apply=False, nodes=(), source=None, target=target)
    refusal = _refusal(running.control_plane, target, "the running control plane")
    for node in node_order:
        if refusal is None and node in running.kubelets:
            refusal = _refusal(running.kubelets[node], target, f"the kubelet of {node}")
    if refusal:
        raise UpgradeRefused(refusal)
    behind = tuple(node for node in node_order
                   if node in running.kubelets and _parse(running.kubelets[node]) < _parse(target))
    apply = _parse(running.control_plane) < _parse(target)
    if apply and node_order and node_order[0] not in behind:
        behind = (node_order[0], *behind)
    return UpgradeDecision(apply=apply, nodes=behind, source=running.control_plane, target=target)
