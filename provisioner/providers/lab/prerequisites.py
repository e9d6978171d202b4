"""What this machine needs before a lab can run, reported as problems rather than raised one by one."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

# Tool, and the Debian packages that provide it (with what else the lab needs from that area).
_TOOLS = {
    "systemd-nspawn": "systemd-container debootstrap",
    "debootstrap": "debootstrap",
    "ip": "iproute2",
    "ssh": "openssh-client",
    "ssh-keygen": "openssh-client",
    "mount": "mount",
    "umount": "mount",
    "setsid": "util-linux",
    "systemctl": "systemd",
}


NOT_ROOT = "the lab needs root (network namespaces, bridges, overlay mounts): run it as root"


def lab_prerequisites_problems() -> list[str]:
    """One line per missing piece, each saying how to fix it; empty when a lab can run here."""
    problems = []
    if os.geteuid() != 0:
        problems.append(NOT_ROOT)
    for tool, packages in _TOOLS.items():
        if shutil.which(tool) is None:
            problems.append(f"{tool} not found: run apt-get install -y {packages}")
    if not _kernel_supports("overlay"):
        problems.append("the kernel has no overlay file system: run modprobe overlay")
    if not _kernel_supports("cgroup2"):
        problems.append("the kernel has no cgroup2 file system, which systemd in the machines needs")
    return problems


def _kernel_supports(filesystem: str) -> bool:
    try:
        listed = Path("/proc/filesystems").read_text()
    except OSError:
        return False
    if any(line.split()[-1] == filesystem for line in listed.splitlines() if line.strip()):
        return True
    # Not loaded yet is fine: mount loads the module on first use.
    return Path(f"/lib/modules/{os.uname().release}/kernel/fs/{filesystem}fs").is_dir()


INOTIFY_INSTANCES = Path("/proc/sys/fs/inotify/max_user_instances")
# systemd, journald and logind in every machine each hold inotify instances, all counted against root
# here: the kernel's default of 128 runs out at a dozen machines (several labs at once), and a machine
# that cannot get one fails to boot ("Too many open files").
INOTIFY_INSTANCES_NEEDED = 1024


def raise_inotify_instances(path: Path = INOTIFY_INSTANCES) -> tuple[int, int] | None:
    """Raises the per-user inotify instance limit to what labs need; returns (before, after) when it
    changed it, None when it was high enough already."""
    before = int(path.read_text())
    if before >= INOTIFY_INSTANCES_NEEDED:
        return None
    path.write_text(f"{INOTIFY_INSTANCES_NEEDED}\n")
    return before, INOTIFY_INSTANCES_NEEDED
