"""`provisioner drill`: break the cluster on purpose, one scenario at a time, and measure what survives."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from provisioner.cli import output
from provisioner.cli.common import ClusterArg, OutOption, load
from provisioner.cli.verify import JsonOption, JunitOption
from provisioner.errors import ProvisionerError, UsageError

if TYPE_CHECKING:
    from provisioner.cluster.topology import Topology
    from provisioner.drill.faults import HostControl
    from provisioner.drill.runner import ScenarioResult

ScenarioOption = Annotated[list[str] | None, typer.Option(
    "--scenario", help="Run only this scenario (repeatable); --list shows them.", show_default=False)]
ListOption = Annotated[bool, typer.Option("--list", help="Show this topology's scenarios and their expected "
                                                         "outcomes; touch nothing.")]
LabOption = Annotated[bool, typer.Option("--lab", help="The hosts are lab machines: power and network faults "
                                                       "too (needs root).")]
DisruptOption = Annotated[bool, typer.Option(
    "--disrupt-servers", help="Real servers: allow process and service faults (etcd killed, stopped, frozen; "
                              "haproxy stopped). Without it a drill refuses to run on real servers.")]
CompareOption = Annotated[Path | None, typer.Option(
    "--compare", help="Another cluster file (e.g. the other layout): run the same scenarios there and print "
                      "both side by side.", dir_okay=False, show_default=False)]
TimelineOption = Annotated[Path | None, typer.Option(
    "--timelines", help="Folder for one timeline picture (SVG) per scenario (default: beside --json).",
    file_okay=False, show_default=False)]


def drill_command(cluster_file: ClusterArg, scenario: ScenarioOption = None, list_only: ListOption = False,
                  lab: LabOption = False, disrupt_servers: DisruptOption = False, out: OutOption = None,
                  json: JsonOption = None, junit: JunitOption = None, timelines: TimelineOption = None,
                  compare: CompareOption = None) -> None:
    """Break the cluster on purpose while a client writes, heal it, and check nothing acknowledged was lost.

    Runs each scenario against a cluster that passes verify: kill, stop or freeze etcd members, cut one off
    the network, power hosts off, take the VIP holder away. Exit status 0 only when every observed outcome
    is the expected one, no acknowledged write was lost, and verify passes afterwards."""
    topology = load(cluster_file)
    runs = [_prepare(topology, out, scenario, lab, disrupt_servers, list_only)]
    if compare is not None:
        other = load(compare)
        runs.append(_prepare(other, None, scenario, lab, disrupt_servers, list_only))
    if list_only:
        return
    outcomes = [_drill(*run) for run in runs]
    passed = True
    for (topology_run, _tree, _, _), (results, verified) in zip(runs, outcomes, strict=True):
        _write_reports(topology_run, results, json if topology_run is topology else _beside(json, topology_run),
                       junit if topology_run is topology else _beside(junit, topology_run), timelines)
        passed = passed and verified and all(result.passed for result in results)
    if len(outcomes) == 2:
        from provisioner.drill.report import compare_table

        output.out.print(compare_table((runs[0][0].name, outcomes[0][0]), (runs[1][0].name, outcomes[1][0])))
    if not passed:
        raise typer.Exit(1)


def _prepare(topology: Topology, out: Path | None, names: list[str] | None, lab: bool, disrupt_servers: bool,
             list_only: bool) -> tuple[Topology, Path, HostControl, list]:  # type: ignore[type-arg]
    from provisioner.drill.report import list_table
    from provisioner.drill.scenarios import scenarios_for, select
    from provisioner.render import default_output

    tree = out or default_output(topology)
    control = _control(topology, tree, lab, disrupt_servers and not list_only, list_only)
    scenarios = scenarios_for(topology, control.capabilities)
    if names:
        scenarios, unknown = select(scenarios, names)
        if unknown:
            known = ", ".join(s.name for s in scenarios_for(topology, control.capabilities))
            raise UsageError(f"{topology.source}: no scenario {', '.join(unknown)} for this topology here "
                             f"(scenarios: {known})")
    if list_only:
        output.out.print(f"{escape(topology.name)} ({topology.layout}): {escape(control.describe())}")
        output.out.print(list_table(scenarios))
    return topology, tree, control, scenarios


def _control(topology: Topology, tree: Path, lab: bool, disrupt_servers: bool, list_only: bool) -> HostControl:
    from provisioner.drill.faults import LabControl, ServerControl, VagrantControl
    from provisioner.providers import VagrantProvider, ssh_targets
    from provisioner.providers.lab import lab_for
    from provisioner.providers.vagrant import SETTINGS_FILE

    targets = {target.host: target for target in ssh_targets(topology, tree)}
    if lab:
        return LabControl(targets, lab_for(topology))
    if (tree / SETTINGS_FILE).is_file():
        return VagrantControl(targets, VagrantProvider(topology, tree))
    if not (disrupt_servers or list_only):
        raise UsageError(f"{topology.source}: a drill disrupts the servers it runs on (etcd members are killed, "
                         "stopped and frozen; haproxy is stopped): pass --disrupt-servers to allow it, or --lab "
                         "for lab machines")
    return ServerControl(targets)


def _drill(topology: Topology, tree: Path, control: HostControl,
           scenarios: list) -> tuple[list[ScenarioResult], bool]:  # type: ignore[type-arg]
    from provisioner.drill.report import results_table
    from provisioner.drill.runner import Drill
    from provisioner.providers import ssh_targets
    from provisioner.verify import verify
    from provisioner.verify.reports import print_report

    output.out.print(f"drill {escape(topology.name)} ({topology.layout}): {len(scenarios)} scenarios; "
                     f"{escape(control.describe())}")
    before = verify(topology, tree, ssh_targets(topology, tree))
    if not before.passed:
        print_report(before, output.out)
        raise _Refused(f"{topology.name}: verify fails, so a drill would measure a broken cluster: fix it first "
                       "(provisioner apply)")
    results = Drill(topology, tree, control, lambda line: output.out.print(escape(line))).run(scenarios)
    output.out.print(results_table(f"drill {escape(topology.name)} ({topology.layout})", results))
    after = verify(topology, tree, ssh_targets(topology, tree))
    if not after.passed:
        print_report(after, output.out)
    output.out.print(f"verify after the drill: {'passed' if after.passed else 'FAILED'}", markup=False)
    return results, after.passed


class _Refused(ProvisionerError):
    """The cluster is not in a state a drill can start from."""


def _beside(path: Path | None, topology: Topology) -> Path | None:
    """Reports of the compared cluster go beside the first one's, named after the cluster."""
    return None if path is None else path.with_name(f"{path.stem}-{topology.name}{path.suffix}")


def _write_reports(topology: Topology, results: list[ScenarioResult], json: Path | None, junit: Path | None,
                   timelines: Path | None) -> None:
    from provisioner.drill.report import write_json, write_junit
    from provisioner.drill.timeline import write_timeline

    for path in (json, junit):
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
    if json is not None:
        write_json(json, topology.name, topology.layout, results)
    if junit is not None:
        write_junit(junit, topology.name, results)
    folder = timelines or (json.parent if json is not None else None)
    if folder is None:
        return
    folder.mkdir(parents=True, exist_ok=True)
    for result in results:
        picture = folder / f"{topology.name}-{result.scenario.name}.svg"
        if write_timeline(picture, topology.name, result):
            output.out.print(f"timeline: {picture}", markup=False)
