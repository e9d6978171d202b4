"""Where one apply keeps its things: a fresh ansible-runner folder under the tree, and a short-lived
folder for SSH's shared connections."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

RUNS = "runs"
# Older run folders are removed beyond this many, so a tree applied from CI again and again stays small
# (each run keeps a megabyte or two of events).
KEPT_RUNS = 20
_RUN_NAME = re.compile(r"^\d{8}T\d{6}Z(-\d+)?$")


def new_run_dir(out: Path, now: datetime | None = None) -> Path:
    """<out>/runs/<UTC time>: ansible-runner's private data dir; its artifacts stay for review."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    runs = out / RUNS
    runs.mkdir(parents=True, exist_ok=True)
    for attempt in range(100):
        candidate = runs / (stamp if attempt == 0 else f"{stamp}-{attempt}")
        try:
            candidate.mkdir(mode=0o700)
        except FileExistsError:
            continue
        _remove_old_runs(runs)
        return candidate
    raise FileExistsError(f"no free run folder for {stamp} under {runs}")


def _remove_old_runs(runs: Path) -> None:
    """Keeps the newest KEPT_RUNS run folders; anything else under runs/ is left alone."""
    ours = sorted((entry for entry in runs.iterdir() if entry.is_dir() and _RUN_NAME.match(entry.name)),
                  key=lambda entry: _run_order(entry.name))
    for old in ours[:-KEPT_RUNS]:
        shutil.rmtree(old, ignore_errors=True)


def _run_order(name: str) -> tuple[str, int]:
    """UTC stamp, then attempt number: "…Z-10" comes after "…Z-9"."""
    stamp, _, attempt = name.partition("-")
    return stamp, int(attempt or 0)


@contextmanager
def ssh_control_dir() -> Iterator[Path]:
    """A private folder for SSH control sockets; a short path because socket paths are limited to
    about 100 characters. The shared connections are closed when apply ends."""
    folder = Path(tempfile.mkdtemp(prefix="provisioner-ssh-"))
    try:
        yield folder
    finally:
        for socket in folder.iterdir():
            subprocess.run(["ssh", "-o", f"ControlPath={socket}", "-O", "exit", "provisioner"],
                           stdin=subprocess.DEVNULL, capture_output=True, timeout=10, check=False)
        shutil.rmtree(folder, ignore_errors=True)
