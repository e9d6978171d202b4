"""Times an 8-machine lab: up until every machine answers SSH, one stop/start drill, and down.

Run as root: python benchmarks/lab_up.py [--cache-root DIR]. The lab is torn down even on failure.
Target: with the image cached, up takes under 30 s on a 2-core machine.
"""

from __future__ import annotations

import argparse
import ipaddress
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from timing import lab_cannot_run, print_table, timed

from provisioner.providers.lab import Lab, LabHost
from provisioner.providers.lab.image import DEFAULT_CACHE_ROOT, ImageSpec, ensure_image, image_rootfs

HOSTS = [
    LabHost(name, ipaddress.IPv4Address(f"198.18.0.{octet}"))
    for name, octet in [("cp1", 11), ("cp2", 12), ("cp3", 13), ("etcd1", 21), ("etcd2", 22), ("etcd3", 23),
                        ("lb1", 31), ("lb2", 32)]
]
UP_TARGET_SECONDS = 30.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache-root", type=Path, default=DEFAULT_CACHE_ROOT)
    arguments = parser.parse_args()
    if lab_cannot_run():
        return 2
    timings: list[tuple[str, float]] = []
    cached = image_rootfs(arguments.cache_root, ImageSpec()).is_dir()
    timings.append((f"image ({'cached' if cached else 'built'})",
                    timed(lambda: ensure_image(arguments.cache_root, ImageSpec(), print))[1]))
    with tempfile.TemporaryDirectory(prefix="lab-bench-") as state_root:
        lab = Lab("bench", HOSTS, state_root=Path(state_root), cache_root=arguments.cache_root)
        try:
            timings.append((f"up, {len(HOSTS)} machines answer SSH", timed(lab.up)[1]))
            timings.append(("every machine `running` after up", timed(lambda: all_running(lab))[1]))
            timings.append(("stop cp1", timed(lambda: lab.stop("cp1"))[1]))
            timings.append(("start cp1 until SSH answers", timed(lambda: lab.start("cp1"))[1]))
        finally:
            timings.append(("down", timed(lab.down)[1]))
    print_table(f"lab of {len(HOSTS)} machines", timings)
    up_seconds = timings[1][1]
    print(f"\nup: {up_seconds:.1f}s (target < {UP_TARGET_SECONDS:.0f}s): "
          f"{'ok' if up_seconds < UP_TARGET_SECONDS else 'TOO SLOW'}")
    return 0 if up_seconds < UP_TARGET_SECONDS else 1


def all_running(lab: Lab) -> None:
    def state(host: LabHost) -> str:
        command = lab.ssh_command(host.name, ["systemctl", "is-system-running", "--wait"])
        return subprocess.run(command, capture_output=True, text=True, check=False).stdout.strip()

    with ThreadPoolExecutor(max_workers=len(HOSTS)) as pool:
        states = dict(zip((host.name for host in HOSTS), pool.map(state, HOSTS), strict=True))
    if set(states.values()) != {"running"}:
        raise SystemExit(f"not every machine is running: {states}")


if __name__ == "__main__":
    sys.exit(main())
