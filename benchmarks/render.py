"""Render time for external clusters of growing size (3 control-plane, 5 etcd, 2 LB, the rest workers).

Usage: .venv/bin/python benchmarks/render.py [SIZES...]   (default 10 100 500 1000)
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from provisioner.cluster.load import load_topology
from provisioner.render import render


def cluster_file(hosts: int) -> str:
    lines = ["name: bench", "layout: external",
             "endpoint: {address: 198.18.0.100, port: 6443, load_balancer: keepalived}",
             "kubernetes: {install: kubeadm}", "hosts:"]
    fixed = [("cp", 3, "control_plane", 10), ("etcd", 5, "etcd", 20), ("lb", 2, "load_balancer", 30)]
    for prefix, count, role, base in fixed:
        lines += [f"  - {{name: {prefix}{i}, address: 198.18.0.{base + i}, roles: [{role}]}}"
                  for i in range(1, count + 1)]
    for i in range(hosts - 10):
        lines.append(f"  - {{name: w{i}, address: 198.19.{i // 250}.{i % 250 + 1}, roles: [worker]}}")
    return "\n".join(lines) + "\n"


def measure(hosts: int) -> tuple[float, float, float]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "cluster.yaml"
        path.write_text(cluster_file(hosts))
        start = time.perf_counter()
        topology, _ = load_topology(path)
        loaded = time.perf_counter()
        render(topology, Path(folder) / "out")
        first = time.perf_counter()
        render(topology, Path(folder) / "out")
        again = time.perf_counter()
    return loaded - start, first - start, again - first


def main() -> None:
    sizes = [int(arg) for arg in sys.argv[1:]] or [10, 100, 500, 1000]
    table = Table(title="provisioner render (external layout)")
    for column in ("hosts", "load + validate (s)", "first render (s)", "re-render, unchanged (s)"):
        table.add_column(column, justify="right")
    for hosts in sizes:
        load, first, again = measure(hosts)
        table.add_row(str(hosts), f"{load:.3f}", f"{first:.3f}", f"{again:.3f}")
    Console().print(table)


if __name__ == "__main__":
    main()
