"""Upgrade etcd: the plan's rolling-upgrade steps (a snapshot, each member in turn, the cluster version),
before the etcd phase restarts anything, so a member never restarts on the old binaries with files
written for the new release."""

from __future__ import annotations

from provisioner.apply.phases.base import ApplyContext, Phase, run_plan_steps


class UpgradeEtcd(Phase):
    title = "Upgrade etcd one member at a time"

    def skip_reason(self, context: ApplyContext) -> str | None:
        return None if context.plan.upgrade_steps else "every etcd member runs etcd.version"

    def run(self, context: ApplyContext) -> None:
        run_plan_steps(context, context.plan.upgrade_steps)
