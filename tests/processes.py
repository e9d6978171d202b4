"""Processes started by tests: killing one with everything it started, also what left its process group
(ansible-runner runs ansible-playbook in a session of its own)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import IO, Any

from tests.conftest import REPO


def start_provisioner(*words: str, stdout: int | IO[Any], text: bool = False) -> subprocess.Popen[Any]:
    """`python -m provisioner WORDS` as a process of its own, in a session of its own (kill_tree stops it
    whole), unbuffered and 200 columns wide, stderr into stdout."""
    return subprocess.Popen([sys.executable, "-m", "provisioner", *words], stdout=stdout, stderr=subprocess.STDOUT,
                            text=text, cwd=REPO, start_new_session=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "200"})


def descendants(pid: int) -> set[int]:
    """Every process below `pid` (ansible-runner starts ansible-playbook in a session of its own, so the
    process group alone would miss it)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            parents.setdefault(parent, []).append(int(entry.name))
    found: set[int] = set()
    queue = [pid]
    while queue:
        children = parents.get(queue.pop(), [])
        found.update(children)
        queue.extend(children)
    return found


def command_line(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def kill_tree(process: subprocess.Popen[Any]) -> list[str]:
    """Stops the process and everything below it (SIGSTOP until no new process appears), then SIGKILLs them
    all; returns their command lines."""
    stopped: set[int] = set()
    os.killpg(process.pid, signal.SIGSTOP)
    while True:
        new = descendants(process.pid) - stopped
        if not new:
            break
        for pid in new:
            try:
                os.kill(pid, signal.SIGSTOP)
            except ProcessLookupError:
                continue
        stopped |= new
    lines = [command_line(pid) for pid in stopped]
    os.killpg(process.pid, signal.SIGKILL)
    for pid in stopped:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            continue
    process.wait(timeout=60)
    return lines
