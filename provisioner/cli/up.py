"""`provisioner up` and `provisioner down`: the whole pipeline in one command, each stage timed."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Annotated, TypeVar

import typer

from provisioner.cli import output
from provisioner.cli.common import ClusterArg, OutOption, load, say_record_retired
from provisioner.cli.verify import JsonOption, JunitOption, VerboseOption
from provisioner.errors import UsageError

LabOption = Annotated[bool, typer.Option("--lab", help="Run the hosts as local lab machines (needs root).")]
LabDownOption = Annotated[bool, typer.Option("--lab", help="Remove the cluster's lab machines (needs root).")]
_T = TypeVar("_T")


def up_command(cluster_file: ClusterArg, lab: LabOption = False, out: OutOption = None, junit: JunitOption = None,
               json: JsonOption = None, verbose: VerboseOption = False) -> None:
    """Bring the cluster up and prove it: (lab machines,) render, apply, verify.

    Each stage is printed with its time. Exit status 0 only when every check passes."""
    from provisioner.apply import ApplyDisplay, Recap, apply_cluster
    from provisioner.apply.apply import show_plan
    from provisioner.apply.planning import make_plan
    from provisioner.providers import ssh_targets
    from provisioner.providers.lab import LabProvider
    from provisioner.render import check_output_folder, default_output
    from provisioner.verify import verify
    from provisioner.verify.reports import print_report, write_json, write_junit

    topology = load(cluster_file)
    tree = out or default_output(topology)
    check_output_folder(tree)  # before machines start
    stages = 4 if lab else 3
    started = time.monotonic()
    if lab:
        provider = LabProvider(topology)
        targets = _stage(1, stages, "Start the lab machines", lambda: provider.up(_progress))
    else:
        targets = ssh_targets(topology, tree)
    # Rendered once: after what runs is read (the record may come back from a member), before the plan.
    planned = _stage(stages - 2, stages, "Render", lambda: make_plan(topology, tree, targets, _progress))
    show_plan(planned, _progress)
    recap = Recap.for_hosts(host.name for host in topology.hosts)
    display = ApplyDisplay(output.out)
    try:
        _stage(stages - 1, stages, "Apply",
               lambda: apply_cluster(topology, tree, targets, display, recap, planned=planned))
    finally:
        display.recap(recap)
    report = _stage(stages, stages, "Verify", lambda: verify(topology, tree, targets))
    for path, write in ((junit, write_junit), (json, write_json)):
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            write(report, path)
    print_report(report, output.out, verbose=verbose)
    output.out.print(f"up {topology.name}: {'done' if report.passed else 'verify failed'} in "
                     f"{time.monotonic() - started:.1f}s", markup=False)
    if report.exit_code:
        raise typer.Exit(report.exit_code)


def down_command(cluster_file: ClusterArg, lab: LabDownOption = False, out: OutOption = None) -> None:
    """Remove what `up --lab` created: every lab machine, its disk, network and keys."""
    from provisioner.providers.lab import LabProvider
    from provisioner.render import default_output

    topology = load(cluster_file)
    if not lab:
        raise UsageError("down without --lab would uninstall etcd and wipe its data on real servers, which it "
                         "does not do; for a lab run `provisioner down --lab`, for VMs `provisioner vagrant down`")
    provider = LabProvider(topology)
    _stage(1, 1, "Remove the lab machines", lambda: provider.down(_progress))
    say_record_retired(out or default_output(topology))


def _stage(index: int, total: int, title: str, run: Callable[[], _T]) -> _T:
    output.out.print(f"[bold]==> [{index}/{total}] {title}[/]")
    started = time.monotonic()
    try:
        result = run()
    except BaseException:
        output.out.print(f"[red]✗[/] [{index}/{total}] {title} failed after {time.monotonic() - started:.1f}s")
        raise
    output.out.print(f"[green]✓[/] [{index}/{total}] {title} {time.monotonic() - started:.1f}s")
    return result


def _progress(line: str) -> None:
    output.out.print(f"  {line}", soft_wrap=True, markup=False)
