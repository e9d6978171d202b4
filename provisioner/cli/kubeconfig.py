"""`provisioner kubeconfig`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from provisioner.cli import output
from provisioner.cli.common import ClusterArg, load
from provisioner.kubernetes.kubeconfig import fetch_admin_kubeconfig, with_server, write_private
from provisioner.providers import ssh_targets
from provisioner.reach.ping import DEFAULT_CONNECT_TIMEOUT
from provisioner.render import default_output

KubeconfigOut = Annotated[Path | None, typer.Option(
    "--out", help="Where to write the kubeconfig (default: kubeconfig in the build folder).")]


def kubeconfig_command(cluster_file: ClusterArg, out: KubeconfigOut = None) -> None:
    """Fetch the admin kubeconfig from the first initialised control-plane host, with the API endpoint as its server."""
    topology = load(cluster_file)
    build = default_output(topology)
    targets = {target.host: target for target in ssh_targets(topology, build)}
    host, text = fetch_admin_kubeconfig([targets[h.name] for h in topology.control_plane_hosts],
                                        connect_timeout=DEFAULT_CONNECT_TIMEOUT)
    server = f"https://{topology.control_plane_endpoint}"
    path = out or build / "kubeconfig"
    write_private(path, with_server(text, server))
    output.out.print(escape(f"Wrote {path} (0600): the admin kubeconfig of {host}, server {server}"))
