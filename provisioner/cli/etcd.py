"""`provisioner etcd snapshot`: backups of the etcd cluster, taken over SSH."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, Progress, TaskID, TransferSpeedColumn

from provisioner.cli import output
from provisioner.cli.common import ClusterArg, load
from provisioner.errors import InputError

etcd_app = typer.Typer(no_args_is_help=True, help="Backups of the etcd cluster.")

SnapshotOutOption = Annotated[Path | None, typer.Option(
    "--out", help="Snapshot file to write (default: build/snapshots/<cluster>-<UTC time>.db); its "
                  "description goes beside it as .json.", dir_okay=False)]
BuildOption = Annotated[Path | None, typer.Option(
    "--build", help="Rendered tree folder apply used (default: build/ next to the cluster file).")]


class _TransferBar:
    """Progress lines while the member works, then a bar while the file streams here."""

    def __init__(self, bar: Progress) -> None:
        self.bar = bar
        self.task: TaskID | None = None

    def step(self, text: str) -> None:
        self.bar.console.print(f"[bold]snapshot:[/] {escape(text)}", soft_wrap=True)

    def transfer_started(self, total_bytes: int) -> None:
        self.task = self.bar.add_task("copying", total=total_bytes)

    def transferred(self, count: int) -> None:
        if self.task is not None:
            self.bar.advance(self.task, count)


@etcd_app.command("snapshot")
def snapshot_command(cluster_file: ClusterArg, out: SnapshotOutOption = None, build: BuildOption = None) -> None:
    """Save a snapshot from one healthy member, check it with etcd's own tool there, and copy it here
    with a JSON description beside it (cluster name and ID, revision, members, etcd version, time, sha256)."""
    from provisioner.backup.snapshot import default_snapshot_path, take_snapshot
    from provisioner.providers import ssh_targets
    from provisioner.reach import missing_private_keys
    from provisioner.render import default_output

    topology = load(cluster_file)
    tree = build or default_output(topology)
    targets = [target for target in ssh_targets(topology, tree)
               if target.host in {member.name for member in topology.etcd_members}]
    problems = missing_private_keys(topology, targets)
    if problems:
        raise InputError(problems)
    destination = out or default_snapshot_path(tree, topology.name, datetime.now(UTC))
    with Progress("[progress.description]{task.description}", BarColumn(), DownloadColumn(),
                  TransferSpeedColumn(), console=output.out, transient=True) as bar:
        metadata = take_snapshot(topology, targets, destination, _TransferBar(bar))
    output.out.print(f"snapshot of {escape(metadata.cluster)} (cluster ID {metadata.cluster_id}, revision "
                     f"{metadata.revision}, {metadata.total_keys} keys, etcd {escape(metadata.etcd_version)}) "
                     f"from {escape(metadata.taken_from)}, checked with etcd's snapshot status:", soft_wrap=True)
    output.out.print(f"  {escape(str(destination))}\n  {escape(str(destination.with_suffix('.json')))}",
                     soft_wrap=True)
