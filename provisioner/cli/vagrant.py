"""`provisioner vagrant up|down`."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from provisioner.cli import output
from provisioner.cli.common import ClusterArg, OutOption, load, say_record_retired
from provisioner.cluster.model import Host
from provisioner.errors import UsageError
from provisioner.providers import SshTarget, VagrantProvider
from provisioner.providers.lab.image import DEFAULT_CACHE_ROOT
from provisioner.providers.vagrant import SETTINGS_FILE, vagrant_binary
from provisioner.providers.vagrant.box import BoxSpec, add_box, box_name, ensure_box
from provisioner.render import default_output, render

vagrant_app = typer.Typer(no_args_is_help=True, help="One Vagrant VM per host of a cluster file (libvirt or "
                                                      "virtualbox, from vagrant.provider).")
box_app = typer.Typer(no_args_is_help=True, help="The Debian box for vagrant-libvirt, built on this machine.")
vagrant_app.add_typer(box_app, name="box")

CacheOption = Annotated[Path, typer.Option("--cache", help="Folder of cached images and boxes.")]


def _progress(line: str) -> None:
    output.out.print(f"[bold]vagrant:[/] {escape(line)}", soft_wrap=True)


@vagrant_app.command("up")
def up_command(cluster_file: ClusterArg, out: OutOption = None) -> None:
    """Render, start the VMs, and record how SSH reaches each one in <out>/vagrant-ssh.yml."""
    topology = load(cluster_file)
    vagrant_binary(topology.cluster.vagrant.provider)  # before anything is written
    folder = out or default_output(topology)
    provider = VagrantProvider(topology, folder)
    provider.check()
    output.warn(provider.warnings())
    render(topology, folder)
    # apply, verify and ping read these settings from the folder; the rendered tree stays the cluster file's.
    targets = provider.up(_progress)
    output.out.print(_table(topology.hosts, targets))
    output.out.print(f"Next: provisioner ping {cluster_file} --out {folder}", markup=False)


@vagrant_app.command("down")
def down_command(cluster_file: ClusterArg, out: OutOption = None) -> None:
    """Destroy the VMs and forget their SSH settings and host keys."""
    topology = load(cluster_file)
    vagrant_binary(topology.cluster.vagrant.provider)
    folder = out or default_output(topology)
    VagrantProvider(topology, folder).down(_progress)
    output.out.print(f"VMs destroyed; {folder / SETTINGS_FILE} removed", markup=False)
    say_record_retired(folder)


def _table(hosts: list[Host], targets: list[SshTarget]) -> Table:
    addresses = {host.name: host.address for host in hosts}
    table = Table(title="Vagrant VMs", title_justify="left")
    for column in ("Host", "Cluster address", "SSH to", "Key"):
        table.add_column(column, overflow="fold")
    for target in targets:
        table.add_row(target.host, addresses[target.host], escape(f"{target.connection.user}@{target.endpoint}"),
                      escape(target.connection.private_key or ""))
    return table


@box_app.command("build")
def box_build_command(cache: CacheOption = DEFAULT_CACHE_ROOT) -> None:
    """Build the Debian box from Debian packages (cached, once) and add it to Vagrant."""
    if os.geteuid() != 0:
        raise UsageError("building the box needs root (mmdebstrap --mode=root): run it with sudo")
    vagrant_binary("libvirt")
    spec = BoxSpec()
    started = time.monotonic()
    built = ensure_box(cache, spec, _progress)
    name = box_name(spec)
    version = add_box(built, name, dict(os.environ))
    output.out.print(f"box {name} {version} added from {built} in {time.monotonic() - started:.0f}s", markup=False)
    output.out.print(f"Use it with `vagrant: {{box: {name}}}` in the cluster file", markup=False)
