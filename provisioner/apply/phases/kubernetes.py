"""Install Kubernetes with kubeadm, or say where the kubeadm configuration is when that is left to the user."""

from __future__ import annotations

from provisioner import hostpaths
from provisioner.apply.phases.base import ApplyContext, PlaybookPhase


class InstallKubernetes(PlaybookPhase):
    title = "Install Kubernetes with kubeadm"
    playbook = "kubernetes.yml"

    def skip_reason(self, context: ApplyContext) -> str | None:
        topology = context.topology
        if topology.cluster.kubernetes.install == "kubeadm":
            return None
        first = topology.control_plane_hosts[0].name
        return (f"kubernetes.install is none; kubeadm configuration: {context.tree / 'hosts' / first / 'kubeadm.yaml'} "
                f"(one per control-plane host and worker), on the hosts at {hostpaths.KUBEADM_CONFIG}")
