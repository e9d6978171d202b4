"""`provisioner render`."""

from __future__ import annotations

from provisioner.cli import output
from provisioner.cli.common import ClusterArg, OutOption, load
from provisioner.render import SUMMARY, default_output, render


def render_command(cluster_file: ClusterArg, out: OutOption = None) -> None:
    """Write the reviewable tree: inventory, per-host configs, PKI, kubeadm config, Vagrantfile."""
    topology = load(cluster_file)
    rendered = render(topology, out or default_output(topology))
    files = rendered.files
    output.out.print((rendered.out / SUMMARY).read_text(), end="", markup=False)
    output.out.print(f"Rendered {rendered.out}: {len(files.written)} written, {len(files.unchanged)} unchanged, "
                     f"{len(files.removed)} removed", markup=False)
    for name in files.removed:
        output.out.print(f"  removed {name} (no longer needed by the cluster file)", markup=False)
