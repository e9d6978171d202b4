"""Upgrade etcd: the plan's rolling-upgrade steps (a snapshot, each member in turn, the cluster version),
before the etcd phase restarts anything, so a member never restarts on the old binaries with files
written for the new release."""

from __future__ import annotations

from provisioner.apply.membership import StepRunner
from provisioner.apply.phases.base import ApplyContext, Phase
from provisioner.cluster.record import tree_cas


class UpgradeEtcd(Phase):
    title = "Upgrade etcd one member at a time"

    def skip_reason(self, context: ApplyContext) -> str | None:
        return None if context.plan.upgrade_steps else "every etcd member runs etcd.version"

    def run(self, context: ApplyContext) -> None:
        live = context.live
        assert live is not None, "apply gathers facts before any phase runs"
        runner = StepRunner(context.topology, context.tree, live.ssh_targets, live.gather, live.record,
                            tree_cas(context.tree), context.display.note)
        facts = live.facts
        steps = context.plan.upgrade_steps
        for index, step in enumerate(steps, start=1):
            context.display.note(f"({index}/{len(steps)}) [{step.host}] {step.sentence}")
            facts = runner.run(step, facts)
