"""Copy-on-write root file systems: the shared image below, the machine's own changes above."""

from __future__ import annotations

from pathlib import Path

from provisioner.providers.lab.commands import run
from provisioner.providers.lab.errors import LabError
from provisioner.providers.lab.mounts import mounts_under

# Characters that would break the overlay option string (or ssh -o values, which split on spaces).
_UNSAFE = set(",:= \t\n\\")


def check_path(path: Path) -> None:
    if _UNSAFE & set(str(path)):
        raise LabError(f"lab path {path} has one of , : = \\ or a space, which overlay mounts cannot take")


def ensure_overlay(lower: Path, machine_dir: Path) -> Path:
    """Mounts (if not already) and returns the machine's root at machine_dir/root."""
    root, upper, work = machine_dir / "root", machine_dir / "upper", machine_dir / "work"
    if root.resolve() in mounts_under(machine_dir):
        return root
    for folder in (root, upper, work):
        folder.mkdir(parents=True, exist_ok=True)
    run(["mount", "-t", "overlay", "overlay", "-o",
         f"lowerdir={lower},upperdir={upper},workdir={work}", str(root)])
    return root
