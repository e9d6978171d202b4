"""Where one apply keeps its things: a fresh ansible-runner folder under the tree, and a short-lived
folder for SSH's shared connections."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

RUNS = "runs"


def new_run_dir(out: Path, now: datetime | None = None) -> Path:
    """<out>/runs/<UTC time>: ansible-runner's private data dir; its artifacts stay for review."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    runs = out / RUNS
    runs.mkdir(parents=True, exist_ok=True)
    for attempt in range(100):
        candidate = runs / (stamp if attempt == 0 else f"{stamp}-{attempt}")
        try:
            candidate.mkdir(mode=0o700)
            return candidate
        except FileExistsError:
            continue
    raise FileExistsError(f"no free run folder for {stamp} under {runs}")


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
