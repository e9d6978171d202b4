"""The build folder is the tool's own: a manifest at its top lists every file render wrote there.

Render writes into a folder only when it is empty, new, or holds the manifest, and it removes only
files the manifest lists that the cluster no longer needs; anything else an operator keeps there (a
runbook, a backup key) is never touched.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import yaml

from provisioner.atomic import write_atomically
from provisioner.cluster.record import RECORD_FILE
from provisioner.errors import UsageError

MANIFEST = ".provisioner-tree.yml"
# What every tree rendered before the manifest existed holds.
_EARLIER_TREE = ("inventory.yml", "summary.txt", "pki/etcd/ca.key")
# The tool's own files a folder may hold before its first render: apply brings back the record of a
# running cluster from a member's copy into a new build folder, then renders.
_BEFORE_FIRST_RENDER = frozenset({RECORD_FILE})
_HEADER = ("# This folder was rendered by provisioner. `provisioner render` removes only the files listed here,\n"
           "# and only once the cluster file no longer needs them.\n")


def check_output_folder(out: Path) -> None:
    """Refuses, before anything is written, a folder that is a file, cannot be written, or already holds
    files that are not the tool's."""
    existing = next(path for path in (out.absolute(), *out.absolute().parents) if path.exists())
    if not existing.is_dir():
        raise UsageError(f"--out {out}: {existing} is a file; expected a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise UsageError(f"--out {out}: {existing} is not writable")
    if existing == out.absolute() and not (out / MANIFEST).is_file() and not is_earlier_tree(out) \
            and any(path.name not in _BEFORE_FIRST_RENDER for path in out.iterdir()):
        raise UsageError(f"--out {out}: the folder holds files and no {MANIFEST}, so it is not a build folder "
                         "of this tool; choose an empty or new folder")
    read_manifest(out)  # a damaged manifest is refused before anything is written


def is_earlier_tree(out: Path) -> bool:
    """A tree rendered before build folders had a manifest (and private keys a folder of their own)."""
    return not (out / MANIFEST).exists() and all((out / name).is_file() for name in _EARLIER_TREE)


def adopt_earlier_tree(out: Path, keys: Path) -> list[str]:
    """Moves the private keys of an earlier tree from pki/ to `keys` (secrets/pki), where render reuses
    them: the CAs every running member trusts stay. Nothing is removed; returns what moved."""
    moved: list[str] = []
    for key in sorted((out / "pki").rglob("*.key")):
        target = keys / key.relative_to(out / "pki")
        if target.exists() or not key.is_file():
            continue
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        key.rename(target)
        moved.append(key.relative_to(out).as_posix())
    return moved


def read_manifest(out: Path) -> set[str]:
    """The files render wrote last time (relative paths); none for a new folder."""
    path = out / MANIFEST
    if not path.is_file():
        return set()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        files = data["files"]
        if not isinstance(files, list) or not all(isinstance(name, str) for name in files):
            raise TypeError("files is not a list of paths")
    except (OSError, UnicodeDecodeError, yaml.YAMLError, TypeError, KeyError) as error:
        reason = " ".join(str(error).split())
        raise UsageError(f"{path}: cannot be read ({reason}); restore it, or render into an empty folder") \
            from None
    return {name for name in files if _inside(name)}


def write_manifest(out: Path, files: Iterable[str]) -> None:
    text = _HEADER + yaml.safe_dump({"files": sorted(set(files))}, default_flow_style=False)
    path = out / MANIFEST
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        write_atomically(path, text)


def remove_files(out: Path, names: Iterable[str]) -> list[str]:
    """Removes the listed files the tool wrote, then each folder that became empty; returns what was removed."""
    removed: list[str] = []
    for name in sorted(names):
        path = out / name
        if path.is_file() and not path.is_symlink():
            path.unlink()
            removed.append(name)
    for name in removed:
        for folder in (out / name).parents:
            if folder.is_relative_to(out) and folder != out and not folder.exists():
                continue  # removed already, with an earlier file of the same folder
            if folder == out or not folder.is_relative_to(out) or any(folder.iterdir()):
                break
            folder.rmdir()
    return removed


def _inside(name: str) -> bool:
    # A hand-edited manifest must not make render remove files outside the folder.
    parts = Path(name).parts
    return bool(parts) and not Path(name).is_absolute() and ".." not in parts and name != MANIFEST
