"""Runs the full default drill on a lab copy of an example and prints what each scenario measured.

Run as root from the repository: python benchmarks/drill.py [--example lab-external] [--compare]. The lab
copies (bd-external, bd-stacked on 198.18.16.0/24) are brought up, applied, drilled and torn down, also
on failure. The physical floor the figures are read against: etcd elects a new leader within one to two
election timeouts (1 s by default), and VRRP moves an address after about three advertisement intervals
(1 s each here) plus skew; a stopped haproxy is noticed after the check's fall count x interval (2 x 2 s).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from provisioner.cluster.load import load_topology
from provisioner.providers.lab import lab_for, lab_prerequisites_problems
from tests.verify.lab_clusters import derived_cluster

PREFIX = "198.18.16."
NAMES = {"lab-external": "bd-external", "lab-stacked": "bd-stacked"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--example", choices=sorted(NAMES), default="lab-external")
    parser.add_argument("--compare", action="store_true", help="also drill the other layout, one after the other")
    arguments = parser.parse_args()
    problems = lab_prerequisites_problems()
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 2
    examples = [arguments.example] + ([name for name in NAMES if name != arguments.example] if arguments.compare
                                      else [])
    passed = True
    for example in examples:
        passed = measure(example) and passed
    return 0 if passed else 1


def measure(example: str) -> bool:
    with tempfile.TemporaryDirectory(prefix="drill-bench-") as folder:
        root = Path(folder)
        cluster_file = derived_cluster(example, NAMES[example], root, PREFIX)
        topology, _ = load_topology(cluster_file)
        try:
            run("up", "--lab", str(cluster_file))
            started = time.monotonic()
            drill = run("drill", "--lab", str(cluster_file), "--json", str(root / "drill.json"), check=False)
            seconds = time.monotonic() - started
            report = json.loads((root / "drill.json").read_text())
        finally:
            lab_for(topology).down()
    print_table(example, report, seconds)
    return drill.returncode == 0


def run(*arguments: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([sys.executable, "-m", "provisioner", *arguments], capture_output=True, text=True,
                            check=False)
    if check and result.returncode != 0:
        raise SystemExit(f"provisioner {' '.join(arguments)} failed:\n{result.stdout}{result.stderr}")
    return result


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def print_table(example: str, report: dict, seconds: float) -> None:  # type: ignore[type-arg]
    print(f"\n{example} ({report['layout']}): {len(report['scenarios'])} scenarios in {seconds:.0f} s")
    print(f"{'scenario':<28}{'writes':>10}{'gap s':>8}{'election s':>12}{'VIP s':>8}{'recovery s':>12}"
          f"{'acked':>8}{'lost':>6}  verdict")
    for scenario in report["scenarios"]:
        observed = scenario["observed"] or {}
        print(f"{scenario['name']:<28}{observed.get('writes', '-'):>10}{_seconds(observed.get('longest_gap')):>8}"
              f"{_seconds(observed.get('election')):>12}{_seconds(observed.get('vip_failover')):>8}"
              f"{_seconds(observed.get('recovery')):>12}{observed.get('acknowledged', 0):>8}"
              f"{observed.get('lost', 0):>6}  {'passed' if scenario['passed'] else 'FAILED'}")
    for scenario in report["scenarios"]:
        for reason in scenario["reasons"]:
            print(f"  {scenario['name']}: {reason}")


if __name__ == "__main__":
    sys.exit(main())
