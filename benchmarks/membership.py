"""Times etcd membership changes on a lab external cluster (cp1 + etcd1..etcd4, ls-bench on
198.18.10.0/24): plan of an unchanged cluster, adding one member (3 -> 4), removing it (4 -> 3),
replacing one. Each row shows the whole apply and the membership phase inside it.

Run as root from the repository: python benchmarks/membership.py. The lab is torn down even on failure.
The goal: seconds per member beyond etcd's own catch-up time, not minutes."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from timing import print_columns

from provisioner.providers.lab import lab_prerequisites_problems
from tests.apply.membership_labs import SUBNET, MembershipLab

_PHASE = re.compile(r"Change etcd membership and record the cluster\s+([0-9.]+)s")
THREE = ["etcd1", "etcd2", "etcd3"]


def run(lab: MembershipLab, command: list[str], *extra: str) -> tuple[float, float]:
    """Seconds of the whole command and of its membership phase (0 when it had none)."""
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "provisioner", *command, str(lab.cluster_file), *extra,
                           "--out", str(lab.out)], capture_output=True, text=True, check=False,
                          env={**os.environ, "COLUMNS": "200"})
    seconds = time.monotonic() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stdout}{done.stderr}")
    phase = _PHASE.search(done.stdout)
    return seconds, float(phase.group(1)) if phase else 0.0


def main() -> int:
    problems = lab_prerequisites_problems()
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 2
    rows: list[tuple[str, float, float]] = []
    with tempfile.TemporaryDirectory(prefix="membership-bench-") as folder:
        machines = {"cp1": f"{SUBNET}.11", **{f"etcd{i}": f"{SUBNET}.2{i}" for i in range(1, 5)}}
        lab = MembershipLab("ls-bench", "external", machines, Path(folder))
        try:
            lab.lab.up()
            lab.write(THREE)
            rows.append(("first apply, 3 members", *run(lab, ["apply"])))
            rows.append(("plan, nothing to change", *run(lab, ["plan"])))
            lab.write([*THREE, "etcd4"])
            rows.append(("add one member (3 -> 4)", *run(lab, ["apply"])))
            lab.write(THREE)
            rows.append(("remove one member (4 -> 3)", *run(lab, ["apply"], "--yes")))
            rows.append(("replace one member (etcd2)", *run(lab, ["etcd", "replace"], "etcd2", "--yes")))
        finally:
            lab.lab.down()
    print_columns("etcd membership on the lab (cp1 + etcd hosts)", ("command s", "membership s"),
                  [(name, (total, phase)) for name, total, phase in rows])
    return 0


if __name__ == "__main__":
    sys.exit(main())
