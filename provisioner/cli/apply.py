"""`provisioner apply`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from provisioner.cli import output
from provisioner.cli.common import ClusterArg, OutOption, load
from provisioner.errors import InputError, UsageError

if TYPE_CHECKING:
    from provisioner.apply import ApplyDisplay, Recap

ReportOption = Annotated[Path | None, typer.Option(
    "--report", help="Also write the per-host recap (ok, changed, failed, unreachable, skipped) as JSON here.",
    dir_okay=False)]


DryRunOption = Annotated[bool, typer.Option("--dry-run", help="Print the plan and stop: nothing on the hosts changes.")]
YesOption = Annotated[bool, typer.Option(
    "--yes", help="Run a plan that removes etcd members or can cost availability (without it, such a plan is only "
                  "printed, exit status 2).")]


def apply_command(cluster_file: ClusterArg, out: OutOption = None, report: ReportOption = None,
                  dry_run: DryRunOption = False, yes: YesOption = False) -> None:
    """Render the tree, print the plan, then bring the hosts to it over SSH.

    Reads what runs first; then etcd (its membership one member at a time), load balancers, and
    Kubernetes when kubernetes.install is kubeadm. Safe to run again: an unchanged cluster is left
    untouched."""
    run_apply(cluster_file, out, report, dry_run=dry_run, yes=yes)


def run_apply(cluster_file: Path, out: Path | None, report: Path | None, *, dry_run: bool, yes: bool,
              replace: str | None = None) -> None:
    from provisioner.apply import ApplyDisplay, Recap, apply_cluster
    from provisioner.apply.planning import ConfirmationNeeded, PlanRefused
    from provisioner.providers import ssh_targets
    from provisioner.render import default_output

    topology = load(cluster_file)
    folder = out or default_output(topology)
    recap = Recap.for_hosts(host.name for host in topology.hosts)
    display = ApplyDisplay(output.out)
    try:
        apply_cluster(topology, folder, ssh_targets(topology, folder), display, recap, dry_run=dry_run,
                      confirmed=yes, replace=replace)
    except (PlanRefused, ConfirmationNeeded):
        raise  # decided before any host was changed: there is nothing to recap
    except (InputError, UsageError):
        raise  # refused before any host was contacted: there is nothing to recap
    except BaseException:
        _recap(display, recap, report)
        raise
    _recap(display, recap, report)


def _recap(display: ApplyDisplay, recap: Recap, report: Path | None) -> None:
    display.recap(recap)
    if report is not None:
        recap.write(report)
