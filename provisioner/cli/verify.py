"""`provisioner verify`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from provisioner.cli import output
from provisioner.cli.common import ClusterArg, OutOption, load

JunitOption = Annotated[Path | None, typer.Option("--junit", help="Also write the results as JUnit XML here.",
                                                  dir_okay=False)]
JsonOption = Annotated[Path | None, typer.Option("--json", help="Also write the results as JSON here.",
                                                 dir_okay=False)]
VerboseOption = Annotated[bool, typer.Option("--verbose", "-v", help="List every check, not only failures.")]


def verify_command(cluster_file: ClusterArg, out: OutOption = None, junit: JunitOption = None,
                   json: JsonOption = None, verbose: VerboseOption = False) -> None:
    """Prove over SSH that the hosts are what the cluster file says, and highly available.

    Checks etcd members, control-plane hosts, load balancers and the layout; a failure names the host,
    what was expected and what was found. Exit status 0 when every check passes, 1 when one fails, 2 on
    bad input."""
    from provisioner.providers import ssh_targets
    from provisioner.render import default_output
    from provisioner.verify import verify
    from provisioner.verify.reports import print_report, write_json, write_junit

    topology = load(cluster_file)
    folder = out or default_output(topology)
    report = verify(topology, folder, ssh_targets(topology, folder), starting=lambda: output.out.print(
        f"verifying {topology.name}: {len(topology.hosts)} hosts over SSH", markup=False))
    for path, write in ((junit, write_junit), (json, write_json)):
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            write(report, path)
    print_report(report, output.out, verbose=verbose)
    if report.exit_code:
        raise typer.Exit(report.exit_code)
