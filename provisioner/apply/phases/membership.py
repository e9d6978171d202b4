"""Change etcd membership: the plan's steps, one at a time, with facts gathered again after each."""

from __future__ import annotations

from provisioner.apply.membership import StepRunner
from provisioner.apply.phases.base import ApplyContext, Phase
from provisioner.cluster.record import tree_cas


class ChangeMembership(Phase):
    title = "Change etcd membership and record the cluster"

    def skip_reason(self, context: ApplyContext) -> str | None:
        return None if context.plan.steps else "etcd membership already matches the cluster file"

    def run(self, context: ApplyContext) -> None:
        live = context.live
        assert live is not None, "apply gathers facts before any phase runs"
        runner = StepRunner(context.topology, context.tree, live.ssh_targets, live.gather, live.record,
                            tree_cas(context.tree), context.display.note)
        facts = live.facts
        steps = context.plan.steps
        for index, step in enumerate(steps, start=1):
            context.display.note(f"({index}/{len(steps)}) [{step.host}] {step.sentence}")
            facts = runner.run(step, facts)
