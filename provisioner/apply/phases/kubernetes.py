"""Install Kubernetes with kubeadm, or say where the kubeadm configuration is when that is left to the user."""

from __future__ import annotations

from provisioner import hostpaths
from provisioner.apply.live import read_live_state
from provisioner.apply.phases.base import ApplyContext, PlaybookPhase, raise_for_failures
from provisioner.apply.planning import PlanRefused
from provisioner.apply.variables import kubeadm_decision_variables
from provisioner.plan.kubeadm import KubeadmDecision, decide_kubeadm


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

    def run(self, context: ApplyContext) -> None:
        decision = context.kubeadm or self._decide(context)
        if decision.refusals:
            raise PlanRefused(decision.refusals)
        raise_for_failures(self.title, context.run_playbook(self.playbook,
                                                            variables=kubeadm_decision_variables(decision)))

    @staticmethod
    def _decide(context: ApplyContext) -> KubeadmDecision:
        """A command that made no plan (restore) decides here, from what runs now."""
        live = read_live_state(context.topology, context.tree)
        return decide_kubeadm(context.topology, live.record, live.facts)
