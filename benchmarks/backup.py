"""Times etcd snapshot and restore with about 100 MB of data, and the renewal of every leaf certificate
on the external lab example.

Run as root from the repository: python benchmarks/backup.py. Labs are named lc-* on 198.18.14.0/24
and torn down even on failure.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from timing import lab_cannot_run, print_table, timed

from tests.apply.labs import lab_cluster_file, lab_for, topology_of
from tests.backup.etcd_http import etcd_http
from tests.backup.labs import SUBNET, backup_cluster_file

VALUE_BYTES = 512 * 1024
VALUES = 200  # about 100 MB


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args()
    if lab_cannot_run():
        return 2
    with tempfile.TemporaryDirectory(prefix="backup-bench-") as folder:
        print_table(f"snapshot and restore, 3 stacked members, {VALUES * VALUE_BYTES // 2**20} MiB of values",
                    snapshot_and_restore(Path(folder) / "backup"))
        print_table("renewal of every leaf certificate, external lab example (8 hosts)",
                    renewal(Path(folder) / "renewal"))
    return 0


def cli(*arguments: str) -> None:
    result = subprocess.run([sys.executable, "-m", "provisioner", *arguments], capture_output=True, text=True,
                            check=False)
    if result.returncode != 0:
        raise SystemExit(f"provisioner {' '.join(arguments)} failed:\n{result.stdout}{result.stderr}")


def snapshot_and_restore(root: Path) -> list[tuple[str, float]]:
    cluster_file = backup_cluster_file(root / "clusters", root / "labs", name="lc-bench")
    topology = topology_of(cluster_file)
    lab = lab_for(topology, root / "labs")
    build, snapshot = root / "build", root / "bench.db"
    timings = []
    try:
        lab.up()
        cli("apply", str(cluster_file), "--out", str(build))
        with etcd_http(topology.etcd_members[0].address, build) as client:
            _, seconds = timed(lambda: [client.put(f"/bench/{n:04d}".encode(), bytes([n % 251]) * VALUE_BYTES)
                                        for n in range(VALUES)])
        timings.append(("write the values (one client)", seconds))
        timings.append(("etcd snapshot", timed(lambda: cli("etcd", "snapshot", str(cluster_file), "--out",
                                                           str(snapshot), "--build", str(build)))[1]))
        restore = ["etcd", "restore", str(cluster_file), str(snapshot), "--yes", "--build", str(build)]
        timings.append(("etcd restore onto the running cluster (with verify)", timed(lambda: cli(*restore))[1]))
        lab.down()
        timings.append(("lab up: fresh machines", timed(lab.up)[1]))
        timings.append(("etcd restore after a total loss (with verify)", timed(lambda: cli(*restore))[1]))
    finally:
        lab.down()
    return timings


def renewal(root: Path) -> list[tuple[str, float]]:
    cluster_file = lab_cluster_file("lab-external", root / "clusters", root / "labs", prefix="lc-", subnet=SUBNET)
    lab = lab_for(topology_of(cluster_file), root / "labs")
    build = root / "build"
    try:
        lab.up()
        cli("apply", str(cluster_file), "--out", str(build))
        check = timed(lambda: cli("certs", str(cluster_file), "--build", str(build)))[1]
        renew = timed(lambda: cli("certs", "renew", str(cluster_file), "--yes", "--build", str(build)))[1]
    finally:
        lab.down()
    return [("certs (read and judge every certificate)", check),
            ("certs renew (snapshot, 8 leaves, rolling restart of 3 members)", renew)]


if __name__ == "__main__":
    sys.exit(main())
