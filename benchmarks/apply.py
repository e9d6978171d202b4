"""Times `provisioner apply` on both lab examples: the first apply on fresh machines, then a no-op apply.

Run as root from the repository: python benchmarks/apply.py [--keep-going]. Each example runs on its own
lab copy (ap-stacked, ap-external on 198.18.1.0/24), torn down even on failure.
Targets on a 2-core machine: first apply of the external example < 90 s, no-op apply < 30 s.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


from timing import lab_cannot_run

from tests.apply.labs import lab_cluster_file, lab_for, topology_of

EXAMPLES = ["lab-stacked", "lab-external"]
FIRST_TARGET_SECONDS = {"lab-external": 90.0}
NOOP_TARGET_SECONDS = 30.0


@dataclass
class Timing:
    example: str
    hosts: int
    lab_up: float
    first: float
    noop: float
    noop_changed: int


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args()
    if lab_cannot_run():
        return 2
    timings = [measure(example) for example in EXAMPLES]
    print_table(timings)
    return 0 if all(within_targets(timing) for timing in timings) else 1


def measure(example: str) -> Timing:
    with tempfile.TemporaryDirectory(prefix="apply-bench-") as folder:
        root = Path(folder)
        cluster_file = lab_cluster_file(example, root / "clusters", root / "labs")
        topology = topology_of(cluster_file)
        lab = lab_for(topology, root / "labs")
        try:
            started = time.monotonic()
            lab.up()
            lab_up = time.monotonic() - started
            first, _ = apply(cluster_file, root / "build", root / "first.json")
            noop, changed = apply(cluster_file, root / "build", root / "noop.json")
        finally:
            lab.down()
    return Timing(example, len(topology.hosts), lab_up, first, noop, changed)


def apply(cluster_file: Path, out: Path, report: Path) -> tuple[float, int]:
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "provisioner", "apply", str(cluster_file), "--out", str(out),
                             "--report", str(report)], capture_output=True, text=True, check=False)
    seconds = time.monotonic() - started
    if result.returncode != 0:
        raise SystemExit(f"apply {cluster_file} failed:\n{result.stdout}{result.stderr}")
    hosts = json.loads(report.read_text())["hosts"]
    return seconds, sum(counts["changed"] for counts in hosts.values())


def within_targets(timing: Timing) -> bool:
    first_ok = timing.first < FIRST_TARGET_SECONDS.get(timing.example, float("inf"))
    return first_ok and timing.noop < NOOP_TARGET_SECONDS and timing.noop_changed == 0


def print_table(timings: list[Timing]) -> None:
    print(f"\n{'example':<14}{'hosts':>6}{'lab up s':>10}{'first apply s':>15}{'no-op apply s':>15}"
          f"{'no-op changed':>15}  targets")
    for timing in timings:
        verdict = "ok" if within_targets(timing) else "MISSED"
        print(f"{timing.example:<14}{timing.hosts:>6}{timing.lab_up:>10.1f}{timing.first:>15.1f}"
              f"{timing.noop:>15.1f}{timing.noop_changed:>15}  {verdict}")
    print(f"\ntargets: first apply of lab-external < {FIRST_TARGET_SECONDS['lab-external']:.0f}s, "
          f"no-op apply < {NOOP_TARGET_SECONDS:.0f}s with changed=0 on every host")


if __name__ == "__main__":
    sys.exit(main())
