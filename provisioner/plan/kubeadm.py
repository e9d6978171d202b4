"""kubeadm init or join, decided from the cluster rather than from list positions (pure).

Initialised means a control-plane host's admin.conf answers (its API server served the kubeadm-config
ConfigMap). Then nothing runs kubeadm init again: the host that answered issues the join credentials,
and every host already in the cluster (marker, or a kubelet.conf of the running cluster) is left as it
is, never reset. Only while no control plane answers and none was ever initialised (no marker, the
record says not initialised) does kubeadm init run, on the first control-plane host of the file.
The Kubernetes phase of apply is handed this decision; `plan` prints it."""

from __future__ import annotations

from dataclasses import dataclass

from provisioner.cluster.record import Record
from provisioner.cluster.topology import Topology
from provisioner.facts.model import ClusterFacts


@dataclass(frozen=True)
class KubeadmDecision:
    # Runs kubeadm init when `initialize`; otherwise the host whose admin.conf answered, which issues
    # the join credentials.
    first_control_plane: str
    initialize: bool
    # Hosts already part of the working cluster: never reset, never joined again.
    members: tuple[str, ...] = ()
    # Hosts that run kubeadm join, in order: control-plane hosts first, then workers.
    joining: tuple[str, ...] = ()
    refusals: tuple[str, ...] = ()

    def sentence(self) -> str:
        """The kubeadm step in words, as `plan` prints it (a decision with refusals is never shown: the
        plan stops with them)."""
        joins = f"join {', '.join(self.joining)}" if self.joining else ""
        if self.initialize:
            return f"kubeadm: init on {self.first_control_plane}" + (f", then {joins}" if joins else "")
        members = f"{', '.join(self.members)} already in the cluster, never reset"
        if joins:
            return f"kubeadm: {joins} with credentials from {self.first_control_plane}; {members}"
        return f"kubeadm: nothing to do ({members})"


def decide_kubeadm(topology: Topology, record: Record | None, facts: ClusterFacts) -> KubeadmDecision:
    control_plane = [host.name for host in topology.control_plane_hosts]
    nodes = list(dict.fromkeys(control_plane + [host.name for host in topology.worker_hosts]))
    known = {host.host: host for host in facts.hosts}
    unread = [name for name in nodes if name not in known or not known[name].reachable]
    if unread:
        # A host whose state is unknown may be a member: joining it would reset it.
        return KubeadmDecision(control_plane[0], False, refusals=tuple(
            f"{name}: its kubeadm state could not be read ({known[name].problem if name in known else 'not asked'}); "
            f"apply joins or resets no host it cannot read: make it reachable, then run apply again"
            for name in unread))
    answering = [name for name in control_plane if name in known and known[name].kubeadm.kubeadm_config_map]
    marked = [name for name in nodes if name in known and known[name].kubeadm.marker]
    if answering:
        in_cluster = tuple(name for name in nodes if name in known and (
            known[name].kubeadm.marker or known[name].kubeadm.kubelet_conf or known[name].kubeadm.admin_conf))
        return KubeadmDecision(answering[0], False, in_cluster,
                               joining=tuple(name for name in nodes if name not in in_cluster))
    initialised_before = bool(marked) or bool(record and record.control_plane_initialized)
    if initialised_before:
        why = f"{', '.join(marked)} joined it" if marked else "the record says so"
        return KubeadmDecision(control_plane[0], False, tuple(marked), refusals=(
            f"the Kubernetes control plane was initialised ({why}), but no control-plane host's "
            f"admin.conf answers: kubeadm init is never run again over an existing cluster; bring the API "
            f"server back (or restore it), then run apply again",))
    return KubeadmDecision(control_plane[0], True, joining=tuple(nodes[1:]))
