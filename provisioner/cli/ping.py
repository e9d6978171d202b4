"""`provisioner ping`."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from provisioner.cli import output
from provisioner.cli.common import ClusterArg, OutOption, load
from provisioner.providers import ssh_targets
from provisioner.reach import HostCheck, PingFailed, ping_hosts
from provisioner.reach.ping import DEFAULT_CONNECT_TIMEOUT
from provisioner.render import default_output

TimeoutOption = Annotated[int, typer.Option("--timeout", min=1, help="Seconds ssh waits for each host to answer.")]


def ping_command(cluster_file: ClusterArg, out: OutOption = None,
                 timeout: TimeoutOption = DEFAULT_CONNECT_TIMEOUT) -> None:
    """Check every host in parallel: SSH gets in, python3 runs, and sudo works where become is set."""
    topology = load(cluster_file)
    checks = ping_hosts(ssh_targets(topology, out or default_output(topology)), connect_timeout=timeout)
    output.out.print(_table(checks))
    failed = [check for check in checks if not check.ok]
    if failed:
        raise PingFailed(failed, len(checks))
    output.out.print(f"All {len(checks)} hosts are ready for apply")


def _mark(value: bool | None) -> str:
    return "-" if value is None else ("[green]ok[/]" if value else "[red]FAIL[/]")


def _table(checks: list[HostCheck]) -> Table:
    table = Table(title="SSH, python3 and sudo on every host", title_justify="left")
    for column in ("Host", "SSH to", "SSH", "python3", "sudo", "Problem"):
        table.add_column(column, overflow="fold")
    for check in checks:
        target = check.target
        table.add_row(target.host, escape(f"{target.connection.user}@{target.endpoint}"), _mark(check.reachable),
                      _mark(check.python3), _mark(check.sudo), escape(check.problem or ""))
    return table
