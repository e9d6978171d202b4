"""A control group of its own for every machine, on hosts where systemd does not hand one out.

With `--keep-unit`, nspawn runs the machine in `<its own cgroup>/payload`. Started side by side from
one cgroup, every machine would get the same `payload`, and their systemds would create and remove
each other's unit cgroups (seen as units failing with "Failed to spawn executor: No such file or
directory"). So each nspawn is started inside `provisioner-lab/<netns name>` of the hierarchies nspawn
reads: the cgroup2 one and, on hybrid hosts, the v1 `name=systemd` one. On a host running systemd,
nspawn asks systemd for a scope per machine instead and none of this is needed.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from provisioner.providers.lab.errors import LabError

ROOT = "provisioner-lab"


def host_runs_systemd() -> bool:
    # The test sd_booted() uses.
    return Path("/run/systemd/system").is_dir()


def machine_cgroups(netns: str) -> list[Path]:
    """The cgroup folders (one per relevant hierarchy) a machine's nspawn should start in."""
    return [hierarchy / ROOT / netns for hierarchy in _hierarchies()]


def create(cgroups: list[Path]) -> None:
    for cgroup in cgroups:
        try:
            cgroup.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise LabError(f"cannot create cgroup {cgroup} ({error.strerror}): the lab needs a writable "
                           "cgroup file system") from error


def remove_with_prefix(prefix: str) -> None:
    """Removes the (empty) cgroup trees of every machine whose netns name starts with `prefix`."""
    for hierarchy in _hierarchies():
        for cgroup in (hierarchy / ROOT).glob(f"{prefix}*"):
            _remove_tree(cgroup)
        with contextlib.suppress(OSError):  # still used by another lab
            (hierarchy / ROOT).rmdir()


def leftovers(prefix: str) -> list[Path]:
    return [cgroup for hierarchy in _hierarchies() for cgroup in (hierarchy / ROOT).glob(f"{prefix}*")]


def _remove_tree(cgroup: Path) -> None:
    # cgroupfs removes a folder with rmdir once it has no children and no processes; its files go with it.
    for child in sorted((path for path in cgroup.rglob("*") if path.is_dir()),
                        key=lambda path: len(path.parts), reverse=True):
        with contextlib.suppress(FileNotFoundError):
            child.rmdir()
    with contextlib.suppress(FileNotFoundError):
        cgroup.rmdir()


def _hierarchies() -> list[Path]:
    found = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        fields = line.split()
        separator = fields.index("-")
        mount_point, filesystem, options = fields[4], fields[separator + 1], fields[separator + 3]
        if filesystem == "cgroup2" or (filesystem == "cgroup" and "name=systemd" in options.split(",")):
            found.append(Path(mount_point))
    return found
