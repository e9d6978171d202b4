"""Change etcd membership: the plan's steps, one at a time, with facts gathered again after each.

A move between layouts is also measured: a writer on a control-plane host, following the endpoint
list that host is configured with, writes through the whole move; apply reports the move's duration,
the longest time without an acknowledged write and whether any acknowledged write went missing."""

from __future__ import annotations

import time

from provisioner.apply.phases.base import ApplyContext, Phase, run_plan_steps
from provisioner.apply.write_probe import MoveMeasurement


class ChangeMembership(Phase):
    title = "Change etcd membership and record the cluster"

    def skip_reason(self, context: ApplyContext) -> str | None:
        return None if context.plan.membership_steps else "etcd membership already matches the cluster file"

    def run(self, context: ApplyContext) -> None:
        live = context.live
        assert live is not None, "apply gathers facts before any phase runs"
        measurement = MoveMeasurement.start(context.topology, context.tree, live.facts, context.display.note) \
            if context.plan.moving_layout else None
        started = time.monotonic()
        try:
            run_plan_steps(context, context.plan.membership_steps)
        finally:
            if measurement is not None:
                measurement.finish(time.monotonic() - started)
