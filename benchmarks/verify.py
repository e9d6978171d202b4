"""Times `provisioner verify` on a lab copy of an example: lab up, apply, several verify runs, down.

Run as root: python benchmarks/verify.py [--example lab-external] [--runs 5]. The lab is a private copy
(name vf-bench, addresses 198.18.2.x) so the example's own lab stays free; it is torn down even on
failure. Target: verifying the 8-host external example takes under 20 s on a 2-core machine.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console
from timing import lab_cannot_run, print_table, timed

from provisioner.apply import ApplyDisplay, Recap, apply_cluster
from provisioner.cluster.load import load_topology
from provisioner.providers.lab import LabProvider
from provisioner.verify import Report, verify

REPO = Path(__file__).resolve().parent.parent
NAME = "vf-bench"
SUBNET_PREFIX = "198.18.2."
LAB_STATE_ROOT = Path("/var/lib/provisioner/labs")
TARGET_SECONDS = 20.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--example", default="lab-external", help="folder under inventories/")
    parser.add_argument("--runs", type=int, default=5)
    arguments = parser.parse_args()
    if lab_cannot_run():
        return 2
    timings: list[tuple[str, float]] = []
    with tempfile.TemporaryDirectory(prefix="verify-bench-") as folder:
        topology, _ = load_topology(private_copy(arguments.example, Path(folder)))
        provider = LabProvider(topology)
        out = Path(folder) / "build"
        try:
            targets, up_seconds = timed(provider.up)
            timings.append((f"lab up, {len(topology.hosts)} machines", up_seconds))
            quiet = ApplyDisplay(Console(file=io.StringIO()))
            recap = Recap.for_hosts(host.name for host in topology.hosts)
            timings.append(("render and apply", timed(
                lambda: apply_cluster(topology, out, targets, quiet, recap))[1]))
            runs = [timed(lambda: verify(topology, out, targets)) for _ in range(arguments.runs)]
        finally:
            timings.append(("lab down", timed(provider.down)[1]))
    reports = [report for report, _ in runs]
    seconds = [elapsed for _, elapsed in runs]
    timings += [(f"verify, {len(reports[0].results)} checks: min", min(seconds)),
                (f"verify, {len(reports[0].results)} checks: median of {len(seconds)}", statistics.median(seconds)),
                (f"verify, {len(reports[0].results)} checks: max", max(seconds))]
    print_table(f"{arguments.example} as {NAME}", timings)
    slowest = slowest_checks(reports[-1])
    print("\nslowest checks (last run):\n" + "\n".join(f"  {s:5.2f}s  {name}" for name, s in slowest))
    median = statistics.median(seconds)
    passed = all(report.passed for report in reports)
    print(f"\nverify: median {median:.1f}s (target < {TARGET_SECONDS:.0f}s): "
          f"{'ok' if median < TARGET_SECONDS else 'TOO SLOW'}; every run passed: {passed}")
    return 0 if median < TARGET_SECONDS and passed else 1


def private_copy(example: str, folder: Path) -> Path:
    data: dict[str, Any] = yaml.safe_load((REPO / "inventories" / example / "cluster.yaml").read_text())
    data["name"] = NAME
    data["endpoint"]["address"] = SUBNET_PREFIX + data["endpoint"]["address"].rsplit(".", 1)[1]
    data["ssh"].update(private_key=str(LAB_STATE_ROOT / NAME / "id_ed25519"),
                       known_hosts=str(LAB_STATE_ROOT / NAME / "known_hosts"))
    for host in data["hosts"]:
        host["address"] = SUBNET_PREFIX + host["address"].rsplit(".", 1)[1]
    path = folder / "cluster.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def slowest_checks(report: Report, count: int = 5) -> list[tuple[str, float]]:
    ranked = sorted(report.results, key=lambda result: result.seconds, reverse=True)[:count]
    return [(f"{result.host} {result.check}", result.seconds) for result in ranked]


if __name__ == "__main__":
    sys.exit(main())
