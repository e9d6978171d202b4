"""From the cluster file to a plan: read what runs, render, then decide (the pure planner)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from provisioner.apply.live import LiveState, read_live_state
from provisioner.cluster.record import tree_cas
from provisioner.cluster.topology import Topology
from provisioner.errors import InputError, ProvisionerError
from provisioner.plan.kubeadm import KubeadmDecision, decide_kubeadm
from provisioner.plan.planner import plan_changes, plan_replace
from provisioner.plan.steps import Plan
from provisioner.providers.base import SshTarget
from provisioner.reach import missing_private_keys
from provisioner.render import render, say_removed

READ_LIVE_STATE = "Read the live state"


class PlanRefused(ProvisionerError):
    """The record, the facts and the cluster file disagree in a way apply cannot reconcile safely."""

    exit_code = 2

    def __init__(self, refusals: tuple[str, ...]) -> None:
        super().__init__("\n".join(refusals))
        self.refusals = refusals

    def lines(self) -> list[str]:
        return list(self.refusals)


class HostsUnreachable(ProvisionerError):
    """Hosts of the cluster file that ssh could not reach while the live state was read: apply needs every
    one of them, and planning without their facts could misjudge what runs."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("\n".join(f"{host}: {READ_LIVE_STATE}: unreachable: {why}" for host, why in problems.items()))
        self.problems = problems

    def lines(self) -> list[str]:
        return str(self).splitlines()


class ConfirmationNeeded(ProvisionerError):
    exit_code = 2

    def __init__(self) -> None:
        super().__init__("the plan above removes etcd members or can cost availability; nothing was changed: "
                         "review it and run again with --yes")


@dataclass(frozen=True)
class Planned:
    plan: Plan
    live: LiveState
    tree: Path
    kubeadm: KubeadmDecision
    # kubernetes.install is kubeadm: the Kubernetes phase runs and acts on `kubeadm`.
    installs_kubernetes: bool = False


def check_reachable_inputs(topology: Topology, targets: list[SshTarget]) -> None:
    """Raises InputError, before anything is written or contacted, when a private key is missing here."""
    problems = missing_private_keys(topology, targets)
    if problems:
        raise InputError(problems)


def make_plan(topology: Topology, out: Path, targets: list[SshTarget], say: Callable[[str], None],
              replace: str | None = None) -> Planned:
    """Gathers facts, renders the tree and plans; raises PlanRefused before any host is changed."""
    check_reachable_inputs(topology, targets)
    live = read_live_state(topology, out)
    if live.record_restored_from:
        say(f"record.yml was missing from the build folder: restored from {live.record_restored_from}'s copy")
    rendered = render(topology, out)
    say_removed(rendered, say)
    tree = rendered.out.resolve()
    # After render, as a failed run always was: the tree is the cluster file's, for verify and review.
    wanted = {host.name for host in topology.hosts}
    unreached = {host.host: host.problem for host in live.facts.hosts if host.ssh_failed and host.host in wanted}
    if unreached:
        raise HostsUnreachable(unreached)
    cas = tree_cas(tree)
    if replace is None:
        plan = plan_changes(topology, live.record, live.facts, cas)
    else:
        plan = plan_replace(topology, live.record, live.facts, cas, replace)
    kubeadm = decide_kubeadm(topology, live.record, live.facts)
    installs_kubernetes = topology.cluster.kubernetes.install == "kubeadm"
    refusals = plan.refusals + (kubeadm.refusals if installs_kubernetes else ())
    if refusals:
        raise PlanRefused(refusals)
    return Planned(plan, live, tree, kubeadm, installs_kubernetes)
