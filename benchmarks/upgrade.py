"""Times a rolling etcd upgrade of three stacked members (up-bench on 198.18.24.0/24, the upgrade lab
test's subnet: do not run both at once): the first apply on etcd 3.4, the plan of the upgrade, and the
upgrade to 3.5 (snapshot, three members one at a time, the cluster version) with the phase inside it.

Both releases are built from binaries on this machine (Debian 12's etcd 3.4 and the lab image's 3.5) and
served on the lab bridge, as in tests/apply/test_etcd_upgrade_lab.py. Run as root from the repository:
python benchmarks/upgrade.py. The lab is torn down even on failure."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from timing import print_columns

from provisioner.providers.lab import lab_prerequisites_problems
from provisioner.providers.lab.image import DEFAULT_CACHE_ROOT, ImageSpec, image_rootfs
from tests.apply.labs import lab_for, topology_of
from tests.apply.mirror import Release, build_release, serve
from tests.apply.test_etcd_upgrade_lab import cluster_data

_PHASE = re.compile(r"Upgrade etcd one member at a time\s+([0-9.]+)s")
NAME = "up-bench"


def run(cluster_file: Path, out: Path, command: str, *extra: str) -> tuple[float, float]:
    """Seconds of the whole command and of its upgrade phase (0 when it had none)."""
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "provisioner", command, str(cluster_file), *extra, "--out", str(out)],
                          capture_output=True, text=True, check=False, env={**os.environ, "COLUMNS": "200"})
    seconds = time.monotonic() - started
    if done.returncode != 0:
        raise SystemExit(f"{command} failed:\n{done.stdout}{done.stderr}")
    phase = _PHASE.search(done.stdout)
    return seconds, float(phase.group(1)) if phase else 0.0


def write(cluster_file: Path, state_root: Path, release: Release, mirror: str) -> None:
    data = cluster_data(state_root, release, mirror)
    data["name"] = NAME
    data["ssh"]["private_key"] = str(state_root / NAME / "id_ed25519")
    data["ssh"]["known_hosts"] = str(state_root / NAME / "known_hosts")
    cluster_file.write_text(yaml.safe_dump(data, sort_keys=False))


def main() -> int:
    problems = lab_prerequisites_problems()
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 2
    rows: list[tuple[str, float, float]] = []
    with tempfile.TemporaryDirectory(prefix="upgrade-bench-") as folder:
        root = Path(folder)
        old = build_release(Path("/"), root / "mirror")
        new = build_release(image_rootfs(DEFAULT_CACHE_ROOT, ImageSpec()), root / "mirror")
        cluster_file, out = root / "cluster.yaml", root / "build"
        write(cluster_file, root / "labs", old, "http://unused")
        lab = lab_for(topology_of(cluster_file), root / "labs")
        try:
            lab.up()
            with serve(root / "mirror", str(lab.bridge_address)) as mirror:
                write(cluster_file, root / "labs", old, mirror)
                rows.append((f"first apply, 3 members on {old.version}", *run(cluster_file, out, "apply")))
                write(cluster_file, root / "labs", new, mirror)
                rows.append((f"plan of the upgrade to {new.version}", *run(cluster_file, out, "plan")))
                rows.append((f"upgrade {old.version} -> {new.version}", *run(cluster_file, out, "apply", "--yes")))
                rows.append(("apply afterwards, nothing to change", *run(cluster_file, out, "apply")))
        finally:
            lab.down()
    print_columns("rolling etcd upgrade on the lab (3 stacked members)", ("command s", "upgrade phase s"),
                  [(name, (total, phase)) for name, total, phase in rows])
    return 0


if __name__ == "__main__":
    sys.exit(main())
