"""Argument types and the cluster-file loading every command shares."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from provisioner.cli import output
from provisioner.cluster.load import load_topology
from provisioner.cluster.topology import Topology

ClusterArg = Annotated[Path, typer.Argument(help="The cluster file (YAML).", show_default=False)]
OutOption = Annotated[
    Path | None, typer.Option("--out", help="Rendered tree folder (default: build/ next to the cluster file).")
]


def load(cluster_file: Path) -> Topology:
    """The topology, with warnings printed; bad input raises InputError (exit 2, nothing touched)."""
    topology, warnings = load_topology(cluster_file)
    output.warn(warnings)
    return topology
