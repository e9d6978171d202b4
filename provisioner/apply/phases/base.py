"""A phase: one user-facing step of apply, usually one playbook run over the hosts it concerns."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from provisioner.apply.display import ApplyDisplay
from provisioner.apply.events import HostResult
from provisioner.apply.live import LiveState
from provisioner.apply.membership import StepRunner
from provisioner.apply.recap import Recap
from provisioner.apply.runner import AnsibleSession, RunOutcome
from provisioner.cluster.record import tree_cas
from provisioner.cluster.topology import Topology
from provisioner.errors import StepFailed
from provisioner.plan.kubeadm import KubeadmDecision
from provisioner.plan.steps import Plan, Step


@dataclass
class ApplyContext:
    topology: Topology
    tree: Path
    session: AnsibleSession
    variables: dict[str, Any]
    display: ApplyDisplay
    recap: Recap
    plan: Plan = field(default_factory=Plan)
    live: LiveState | None = None
    # kubeadm init or join, decided with the plan (None: a command without a plan; the phase decides).
    kubeadm: KubeadmDecision | None = None
    runs: list[RunOutcome] = field(default_factory=list)

    def run_playbook(self, playbook: str, limit: list[str] | None = None,
                     variables: dict[str, Any] | None = None) -> RunOutcome:
        ident = f"{len(self.runs) + 1:02d}-{Path(playbook).stem}"
        outcome = self.session.run(playbook, ident, {**self.variables, **(variables or {})}, self.display.on_event,
                                   limit=",".join(limit) if limit is not None else None)
        self.runs.append(outcome)
        self.recap.add(outcome.stats)
        return outcome


class Phase(ABC):
    title: ClassVar[str]

    def skip_reason(self, context: ApplyContext) -> str | None:
        """Why this phase does not apply to this cluster, or None when it runs."""
        return None

    @abstractmethod
    def run(self, context: ApplyContext) -> None: ...


class PlaybookPhase(Phase):
    playbook: ClassVar[str]

    def run(self, context: ApplyContext) -> None:
        raise_for_failures(self.title, context.run_playbook(self.playbook))


def raise_for_failures(title: str, outcome: RunOutcome,
                       explain: Callable[[HostResult], str] | None = None) -> None:
    """One StepFailed naming the first host that failed and the task it failed in; `explain` words the
    reason (default: Ansible's message in one line)."""
    failures = outcome.failures
    if failures:
        first = failures[0]
        others = sorted({failure.host for failure in failures} - {first.host})
        also = f" (also failed: {', '.join(others)})" if others else ""
        reason = explain(first) if explain else first.reason
        raise StepFailed(f"{title} ({first.task})", first.host, reason + also)
    if outcome.status != "successful":
        raise StepFailed(title, None, f"ansible-playbook {outcome.status} (exit {outcome.rc}); "
                                      f"its output is in {outcome.artifact_dir / 'stdout'}")


def run_plan_steps(context: ApplyContext, steps: tuple[Step, ...]) -> None:
    """The plan's steps, one at a time: each announced, run, and followed by facts that show it done."""
    live = context.live
    assert live is not None, "apply gathers facts before any phase runs"
    runner = StepRunner(context.topology, context.tree, live.ssh_targets, live.gather, live.record,
                        tree_cas(context.tree), context.display.note)
    facts = live.facts
    for index, step in enumerate(steps, start=1):
        context.display.note(f"({index}/{len(steps)}) [{step.host}] {step.sentence}")
        facts = runner.run(step, facts)
