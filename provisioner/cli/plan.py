"""`provisioner plan`: what apply would do to etcd and the cluster's identity, in order, in words."""

from __future__ import annotations

from provisioner.cli import output
from provisioner.cli.common import ClusterArg, OutOption, load


def plan_command(cluster_file: ClusterArg, out: OutOption = None) -> None:
    """Print the steps apply would take, each with its host and why, or "no changes".

    Reads what runs on the hosts and compares it with the cluster file and the record; a plan apply
    would refuse is one line per reason, exit status 2. Changes nothing on the hosts (it renders the
    tree, as apply does, to compare the CAs)."""
    from provisioner.apply.apply import show_plan
    from provisioner.apply.planning import make_plan
    from provisioner.providers import ssh_targets
    from provisioner.render import default_output

    topology = load(cluster_file)
    folder = out or default_output(topology)
    planned = make_plan(topology, folder, ssh_targets(topology, folder),
                        lambda line: output.out.print(line, markup=False))
    show_plan(planned, lambda line: output.out.print(line, markup=False))
    if planned.plan.needs_confirmation:
        output.out.print("apply will ask for --yes: this plan removes etcd members or can cost availability",
                         markup=False)
