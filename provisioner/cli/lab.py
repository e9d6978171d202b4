"""`provisioner lab up|status|down|ssh|stop|start|reset`: systemd-nspawn machines standing in for the hosts."""

from __future__ import annotations

import os
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from provisioner.cli import output
from provisioner.cli.common import ClusterArg, host_named, load
from provisioner.providers.lab import LabProvider, lab_for

lab_app = typer.Typer(no_args_is_help=True, help="A local lab: one systemd-nspawn machine per host, on a bridge "
                                                 "of its own, with no route to the outside (needs root).")
HostArg = Annotated[str, typer.Argument(help="Host name from the cluster file.", show_default=False)]


def _progress(line: str) -> None:
    output.out.print(f"[bold]lab:[/] {escape(line)}", soft_wrap=True)


@lab_app.command("up")
def up_command(cluster_file: ClusterArg) -> None:
    """Start one machine per host (building the cached Debian image the first time)."""
    LabProvider(load(cluster_file)).up(_progress)


@lab_app.command("status")
def status_command(cluster_file: ClusterArg) -> None:
    """List the machines with their addresses and state."""
    topology = load(cluster_file)
    table = Table("host", "machine", "address", "state")
    for machine in lab_for(topology).status():
        colour = {"running": "green", "stopped": "yellow"}.get(machine.state.value, "dim")
        table.add_row(machine.host, machine.machine, str(machine.address), f"[{colour}]{machine.state.value}[/]")
    output.out.print(table)


@lab_app.command("down")
def down_command(cluster_file: ClusterArg) -> None:
    """Remove machines, overlays, mounts, namespaces, links and the bridge (safe to repeat)."""
    LabProvider(load(cluster_file)).down(_progress)
    _progress("nothing of the lab is left")


@lab_app.command("ssh", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def ssh_command(ctx: typer.Context, cluster_file: ClusterArg, host: HostArg) -> None:
    """Open a shell on a machine, or run the command given after `--`."""
    topology = load(cluster_file)
    name = host_named(topology, cluster_file, host).name
    argv = lab_for(topology).ssh_command(name, ctx.args)
    os.execvp(argv[0], argv)


@lab_app.command("stop")
def stop_command(cluster_file: ClusterArg, host: HostArg) -> None:
    """Power one machine off (its disk stays), for failure drills."""
    topology = load(cluster_file)
    name = host_named(topology, cluster_file, host).name
    lab_for(topology).stop(name)
    _progress(f"{host} is off")


@lab_app.command("reset")
def reset_command(cluster_file: ClusterArg, host: HostArg) -> None:
    """Recreate one machine from a fresh copy of the image, as a rebuilt server (its disk is lost)."""
    topology = load(cluster_file)
    name = host_named(topology, cluster_file, host).name
    lab_for(topology).reset(name)
    _progress(f"{host} was recreated from the image and answers SSH")


@lab_app.command("start")
def start_command(cluster_file: ClusterArg, host: HostArg) -> None:
    """Power one machine on again; returns when it answers SSH."""
    topology = load(cluster_file)
    name = host_named(topology, cluster_file, host).name
    lab_for(topology).start(name)
    _progress(f"{host} answers SSH")
