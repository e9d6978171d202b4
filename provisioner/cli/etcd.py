"""`provisioner etcd snapshot|restore|replace`: backups of the etcd cluster, disaster recovery from them,
and replacing one member."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, Progress, TaskID, TransferSpeedColumn

from provisioner.cli import output
from provisioner.cli.apply import DryRunOption, ReportOption
from provisioner.cli.apply import YesOption as ConfirmPlanOption
from provisioner.cli.common import ClusterArg, OutOption, load
from provisioner.cluster.topology import Topology
from provisioner.errors import InputError, UsageError

if TYPE_CHECKING:
    from provisioner.backup.metadata import SnapshotMetadata
    from provisioner.backup.restore import Restore
    from provisioner.providers import SshTarget

etcd_app = typer.Typer(no_args_is_help=True,
                       help="Backups of the etcd cluster, restores from them, and replacing a member.")

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
    from provisioner.backup.snapshot import default_snapshot_path
    from provisioner.render import default_output

    topology = load(cluster_file)
    tree = build or default_output(topology)
    destination = out or default_snapshot_path(tree, topology.name, datetime.now(UTC))
    snapshot_here(topology, member_targets(topology, tree), destination)


def all_targets(topology: Topology, tree: Path) -> list[SshTarget]:
    """Every host's SSH target; refused (exit 2, nothing contacted) when a private key is missing here."""
    from provisioner.providers import ssh_targets
    from provisioner.reach import missing_private_keys

    targets = ssh_targets(topology, tree)
    problems = missing_private_keys(topology, targets)
    if problems:
        raise InputError(problems)
    return targets


def member_targets(topology: Topology, tree: Path) -> list[SshTarget]:
    members = {member.name for member in topology.etcd_members}
    return [target for target in all_targets(topology, tree) if target.host in members]


def snapshot_here(topology: Topology, targets: list[SshTarget], destination: Path) -> SnapshotMetadata:
    from provisioner.backup.snapshot import take_snapshot

    with Progress("[progress.description]{task.description}", BarColumn(), DownloadColumn(),
                  TransferSpeedColumn(), console=output.out, transient=True) as bar:
        metadata = take_snapshot(topology, targets, destination, _TransferBar(bar))
    output.out.print(f"snapshot of {escape(metadata.cluster)} (cluster ID {metadata.cluster_id}, revision "
                     f"{metadata.revision}, {metadata.total_keys} keys, etcd {escape(metadata.etcd_version)}) "
                     f"from {escape(metadata.taken_from)}, checked with etcd's snapshot status:", soft_wrap=True)
    output.out.print(f"  {escape(str(destination))}\n  {escape(str(destination.with_suffix('.json')))}",
                     soft_wrap=True)
    return metadata


YesOption = Annotated[bool, typer.Option("--yes", help="Really replace the data of every etcd member.")]
OtherClusterOption = Annotated[bool, typer.Option(
    "--allow-other-cluster", help="Restore a snapshot whose JSON names another cluster.")]
SnapshotArg = Annotated[Path, typer.Argument(help="Snapshot file written by `provisioner etcd snapshot` (its .json "
                                                  "beside it).", show_default=False, dir_okay=False)]


@etcd_app.command("restore")
def restore_command(cluster_file: ClusterArg, snapshot: SnapshotArg, yes: YesOption = False,
                    allow_other_cluster: OtherClusterOption = False, build: BuildOption = None) -> None:
    """Disaster recovery: rebuild every etcd member from a snapshot, as a new cluster with the same data.

    Hosts are first brought to the tree as apply would (fresh hosts after a total loss work); the API
    servers and every member stop, data folders are moved aside (never deleted), each member is rebuilt
    from the snapshot with its own name and peer URL and a new cluster token, all start together, and
    verify runs. A restore that stopped part-way is finished by running the same command again."""
    from provisioner.apply import ApplyDisplay, Recap, apply_cluster
    from provisioner.apply.phases import RESTORE_PHASES
    from provisioner.backup import restore as restoring
    from provisioner.render import default_output

    topology = load(cluster_file)
    tree = build or default_output(topology)
    metadata = restoring.checked_snapshot(topology, snapshot, allow_other_cluster=allow_other_cluster)
    data_dir = topology.cluster.etcd.data_dir
    members = ", ".join(member.name for member in topology.etcd_members)
    if not yes:
        output.out.print(f"restore would replace the etcd data of {escape(members)} with {escape(str(snapshot))} "
                         f"(cluster {escape(metadata.cluster)}, revision {metadata.revision}, taken "
                         f"{metadata.taken_at}); each {escape(data_dir)} would be moved aside, and the cluster "
                         "would get a new ID", soft_wrap=True)
        raise UsageError("restore replaces the data of every etcd member: re-run with --yes")
    targets = member_targets(topology, tree)
    _safety_snapshot(topology, targets, tree)
    restore = restoring.begin(tree, topology, snapshot, metadata, datetime.now(UTC))
    recap = Recap.for_hosts(host.name for host in topology.hosts)
    display = ApplyDisplay(output.out)
    try:
        apply_cluster(topology, tree, all_targets(topology, tree), display, recap, RESTORE_PHASES,
                      restoring.restore_variables(topology, restore))
    finally:
        display.recap(recap)
    restoring.finish(tree)
    output.out.print(f"each member's previous data, where there was any, is in {escape(restore.aside(data_dir))} "
                     "on that member", soft_wrap=True)
    _record_and_verify(topology, tree, targets, restore)


def _safety_snapshot(topology: Topology, targets: list[SshTarget], tree: Path) -> None:
    """The data about to be replaced, saved first while any member still serves it."""
    from provisioner.backup.snapshot import default_snapshot_path
    from provisioner.errors import StepFailed

    destination = default_snapshot_path(tree, f"{topology.name}-before-restore", datetime.now(UTC))
    try:
        snapshot_here(topology, targets, destination)
    except StepFailed as failure:
        output.out.print(f"no snapshot of the current data before the restore: {escape(failure.reason)}",
                         soft_wrap=True)


def _record_and_verify(topology: Topology, tree: Path, targets: list[SshTarget], restore: Restore) -> None:
    from provisioner.backup import restore as restoring
    from provisioner.backup.metadata import hex_id
    from provisioner.backup.remote import Remote
    from provisioner.backup.snapshot import healthy_member
    from provisioner.verify import verify
    from provisioner.verify.reports import print_report

    remotes = {target.host: Remote(target) for target in targets}
    state = healthy_member(topology, remotes)
    record = restoring.record_restored_cluster(tree, topology, hex_id(state.cluster_id), restore)
    output.out.print(f"restored: cluster ID {hex_id(state.cluster_id)} (was {restore.metadata.cluster_id}); "
                     f"recorded in {escape(str(record))}", soft_wrap=True)
    rewrite_record(topology, tree, "the restored cluster has a new ID")
    report = verify(topology, tree, all_targets(topology, tree))
    print_report(report, output.out, verbose=False)
    if report.exit_code:
        raise typer.Exit(report.exit_code)


def rewrite_record(topology: Topology, tree: Path, why: str) -> None:
    """record.yml (build folder and every member) as the facts show the cluster, with the tree's CAs."""
    from provisioner.apply.live import read_live_state
    from provisioner.apply.membership import StepRunner
    from provisioner.cluster.record import RECORD_FILE, read_record, tree_cas
    from provisioner.plan.steps import WriteRecord

    live = read_live_state(topology, tree)
    runner = StepRunner(topology, tree, live.ssh_targets, live.gather, live.record, tree_cas(tree),
                        lambda line: output.out.print(escape(line), soft_wrap=True))
    runner.run(WriteRecord("build folder", why), live.facts)
    record = read_record(tree)
    assert record is not None
    output.out.print(f"{escape(str(tree / RECORD_FILE))} and every member's copy now name cluster "
                     f"{record.etcd_cluster_id} and etcd CA {record.ca.etcd}", soft_wrap=True)


ReplaceHostArg = Annotated[str, typer.Argument(help="The etcd host (a name from the cluster file).",
                                              show_default=False)]


@etcd_app.command("replace")
def replace_command(cluster_file: ClusterArg, host: ReplaceHostArg, out: OutOption = None,
                    report: ReportOption = None, dry_run: DryRunOption = False, yes: ConfirmPlanOption = False) -> None:
    """Replace HOST's etcd member: its machine was rebuilt or its data is gone.

    Removes the old member first, moves what is left of its data aside, adds it back as a learner and
    promotes it. The rest of the cluster must hold a quorum. Like apply, prints the plan and needs --yes."""
    from provisioner.cli.apply import run_apply

    run_apply(cluster_file, out, report, dry_run=dry_run, yes=yes, replace=host)
