"""Runs phases in order: shows each one, skips those that do not apply, stops at the first failure."""

from __future__ import annotations

import time
from collections.abc import Sequence

from provisioner.apply.phases.base import ApplyContext, Phase


def run_phases(phases: Sequence[Phase], context: ApplyContext) -> None:
    total = len(phases)
    for index, phase in enumerate(phases, start=1):
        reason = phase.skip_reason(context)
        if reason is not None:
            context.display.phase_skipped(index, total, phase.title, reason)
            continue
        context.display.phase_started(index, total, phase.title)
        started = time.monotonic()
        try:
            phase.run(context)
        except BaseException:
            context.display.phase_finished(time.monotonic() - started, failed=True)
            raise
        context.display.phase_finished(time.monotonic() - started, failed=False)
