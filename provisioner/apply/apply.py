"""`apply`: read what runs, render, plan, then run the phases over the hosts with Ansible."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from provisioner.apply.ansible_env import ansible_environment, forks_for
from provisioner.apply.display import ApplyDisplay
from provisioner.apply.events import HostCounts
from provisioner.apply.manager import run_phases
from provisioner.apply.phases import APPLY_PHASES, ApplyContext, Phase
from provisioner.apply.planning import (
    ConfirmationNeeded,
    HostsUnreachable,
    Planned,
    check_reachable_inputs,
    make_plan,
)
from provisioner.apply.recap import Recap
from provisioner.apply.runner import AnsibleSession
from provisioner.apply.variables import playbook_variables
from provisioner.apply.workspace import new_run_dir, ssh_control_dir
from provisioner.atomic import write_atomically
from provisioner.cluster.topology import Topology
from provisioner.providers.base import SshTarget
from provisioner.render import INVENTORY, render, say_removed
from provisioner.render.inventory import inventory
from provisioner.render.tree import to_yaml

PLAYBOOKS = Path(__file__).resolve().parent / "playbooks"


def apply_cluster(topology: Topology, out: Path, targets: list[SshTarget], display: ApplyDisplay, recap: Recap,
                  phases: Sequence[type[Phase]] = APPLY_PHASES, extra_variables: dict[str, Any] | None = None, *,
                  dry_run: bool = False, confirmed: bool = False, replace: str | None = None,
                  planned: Planned | None = None) -> Path | None:
    """Brings the hosts to what the rendered tree describes, reaching them as `targets` say (the command's
    provider decides: cluster file, Vagrant, lab); returns the run folder (None for a dry run). Counts go
    to `recap` as phases finish, so the caller can report them even when a phase fails.

    apply's own phases start with facts and a plan (printed; refused plans and unconfirmed removals
    stop here), unless the caller made and showed the plan already (`planned`). `phases` and
    `extra_variables` let a day-2 command (restore) run its own phase among apply's; such a command
    decides for itself, so no plan is made for it. `certs renew` gives apply's own phases extra variables
    (kubeadm's certificate renewal)."""
    if phases is APPLY_PHASES:
        if planned is None:
            try:
                planned = make_plan(topology, out, targets, display.note, replace)
            except HostsUnreachable as unreached:
                recap.add({host: HostCounts(unreachable=1) for host in unreached.problems})
                raise
            show_plan(planned, lambda line: display.console.print(line, markup=False, highlight=False))
        if dry_run:
            return None
        if planned.plan.needs_confirmation and not confirmed:
            raise ConfirmationNeeded()
        tree = planned.tree
    else:
        planned = None
        check_reachable_inputs(topology, targets)
        rendered = render(topology, out)
        say_removed(rendered, display.note)
        tree = rendered.out.resolve()
    run_dir = new_run_dir(tree)
    # The rendered inventory with this run's connection targets (the same unless Vagrant forwards ports).
    run_inventory = run_dir / INVENTORY
    write_atomically(run_inventory, to_yaml(inventory(topology, targets)), 0o600)
    display.started(str(tree), str(run_dir))
    with ssh_control_dir() as control_dir:
        session = AnsibleSession(
            private_data_dir=run_dir,
            project_dir=PLAYBOOKS,
            inventory=run_inventory,
            envvars=ansible_environment(control_dir),
            forks=forks_for(len(topology.hosts)),
        )
        variables = {**playbook_variables(topology, tree), **(extra_variables or {})}
        if planned is not None:  # the upgrade steps switch these members' binaries, one at a time
            variables["etcd_upgrading"] = sorted(planned.plan.upgrading)
        context = ApplyContext(topology, tree, session, variables, display, recap)
        if planned is not None:
            context.plan, context.live, context.kubeadm = planned.plan, planned.live, planned.kubeadm
        run_phases([phase() for phase in phases], context)
    return run_dir


def show_plan(planned: Planned, say: Callable[[str], None]) -> None:
    say("Plan:")
    for line in planned.plan.lines():
        say("  " + line.replace("\n", "\n  "))
    if planned.installs_kubernetes:
        say("  " + planned.kubeadm.sentence())
