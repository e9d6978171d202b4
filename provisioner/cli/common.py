"""Argument types and the cluster-file loading every command shares."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from provisioner.cli import output
from provisioner.cluster.load import load_topology
from provisioner.cluster.model import Host
from provisioner.cluster.record import retire_record
from provisioner.cluster.topology import Topology
from provisioner.errors import InputError, Problem


def _folder(value: str) -> Path:
    # Path("") would be the current folder: an empty --out is a mistake, not a choice of folder.
    if not value.strip():
        raise typer.BadParameter(f"expected a folder, got {value!r}")
    return Path(value)


ClusterArg = Annotated[Path, typer.Argument(help="The cluster file (YAML).", show_default=False)]
OutOption = Annotated[Path | None, typer.Option(
    "--out", help="Rendered tree folder (default: build/ next to the cluster file).", parser=_folder,
    metavar="FOLDER")]


def load(cluster_file: Path) -> Topology:
    """The topology, with warnings printed; bad input raises InputError (exit 2, nothing touched)."""
    topology, warnings = load_topology(cluster_file)
    output.warn(warnings)
    return topology


def host_named(topology: Topology, cluster_file: Path, name: str) -> Host:
    """The host a command names; any other name is bad input (exit 2), found before anything is touched."""
    for host in topology.hosts:
        if host.name == name:
            return host
    names = ", ".join(host.name for host in topology.hosts)
    raise InputError([Problem(str(cluster_file), "", f"expected one of its hosts ({names}), got {name!r}")])


def say_record_retired(tree: Path) -> None:
    """The cluster went with its machines (lab or VMs): its record is moved aside, so `up` on new machines
    bootstraps afresh instead of asking for a restore."""
    aside = retire_record(tree, datetime.now(UTC))
    if aside is not None:
        output.out.print(f"the record of the removed cluster is kept as {aside}; a snapshot of it brings its data "
                         "back onto new machines (provisioner etcd restore)", soft_wrap=True, markup=False)
