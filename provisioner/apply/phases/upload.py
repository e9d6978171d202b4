"""Upload certificates and configuration: each host gets exactly its files.yml from the rendered tree,
except a kubeadm configuration whose etcd endpoint list a membership step changes later (the control
plane learns new members only once they vote)."""

from __future__ import annotations

from provisioner import hostpaths
from provisioner.apply.phases.base import ApplyContext, Phase, raise_for_failures


class UploadFiles(Phase):
    title = "Upload certificates and configuration"
    playbook = "files.yml"

    def run(self, context: ApplyContext) -> None:
        held_back = {host: [hostpaths.KUBEADM_CONFIG] for host in sorted(context.plan.holds_back_configuration)}
        outcome = context.run_playbook(self.playbook, variables={"provisioner_held_back": held_back})
        raise_for_failures(self.title, outcome)
