"""Finding and removing mounts below a folder, so nothing is ever deleted through a mount."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from provisioner.providers.lab.commands import run
from provisioner.providers.lab.errors import LabError


def mounts_under(folder: Path) -> list[Path]:
    prefix = str(folder.resolve())
    found = []
    for line in Path("/proc/mounts").read_text().splitlines():
        # /proc/mounts escapes spaces as \040; lab paths never contain them (see overlay.check_path).
        mount_point = line.split()[1]
        if mount_point == prefix or mount_point.startswith(prefix + "/"):
            found.append(Path(mount_point))
    return found


def unmount_all_under(folder: Path) -> None:
    """Unmounts every mount at or below `folder`, deepest first; waits briefly for busy ones."""
    for mount in sorted(mounts_under(folder), key=lambda path: len(path.parts), reverse=True):
        if run(["umount", str(mount)], check=False).returncode == 0:
            continue
        # Busy right after a machine stops: its last processes may still be exiting.
        deadline = time.monotonic() + 10
        while mount in mounts_under(folder) and time.monotonic() < deadline:
            time.sleep(0.2)
            run(["umount", str(mount)], check=False)
        if mount in mounts_under(folder):
            raise LabError(f"could not unmount {mount}: something still uses it (see `fuser -vm {mount}`)")


def remove_tree(folder: Path) -> None:
    """Deletes `folder` after unmounting whatever is mounted inside it."""
    unmount_all_under(folder)
    if mounts_under(folder):
        raise LabError(f"{folder} still has mounts; not removing it")
    if folder.exists():
        shutil.rmtree(folder)
