"""`provisioner render`."""

from __future__ import annotations

from provisioner.cli import output
from provisioner.cli.common import ClusterArg, OutOption, load
from provisioner.render import SUMMARY, default_output, render, say_removed


def render_command(cluster_file: ClusterArg, out: OutOption = None) -> None:
    """Write the reviewable tree: inventory, per-host configs, PKI, kubeadm config, Vagrantfile."""
    topology = load(cluster_file)
    rendered = render(topology, out or default_output(topology))
    files = rendered.files
    output.out.print((rendered.out / SUMMARY).read_text(), end="", markup=False)
    output.out.print(f"Rendered {rendered.out}: {len(files.written)} written, {len(files.unchanged)} unchanged, "
                     f"{len(files.removed)} removed", markup=False)
    say_removed(rendered, lambda line: output.out.print(f"  {line}", markup=False))
