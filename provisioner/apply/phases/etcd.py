"""Start etcd: the members the plan keeps in place start (a new cluster's together) and those whose
files changed restart one at a time; members that join or leave are the membership phase's."""

from __future__ import annotations

from provisioner.apply.phases.base import ApplyContext, Phase, raise_for_failures

PLAYBOOK = "etcd.yml"


class StartEtcd(Phase):
    title = "Start etcd members"

    def skip_reason(self, context: ApplyContext) -> str | None:
        if context.live is None or context.plan.members_in_place:
            return None
        return "no etcd member is in place yet: the membership steps start them"

    def run(self, context: ApplyContext) -> None:
        if context.live is None:  # a day-2 command's own phases (restore): every member of the file
            raise_for_failures(self.title, context.run_playbook(PLAYBOOK))
            return
        members = set(context.plan.members_in_place)
        urls = [m.client_url for m in context.topology.etcd_members if m.name in members]
        # Health checks ask the members in place only: one that has not joined yet would never answer.
        outcome = context.run_playbook(PLAYBOOK, limit=sorted(members), variables={"etcd_client_urls": urls})
        raise_for_failures(self.title, outcome)
