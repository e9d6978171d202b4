"""Run a script on hosts over SSH, in parallel: one round trip per host, the real ssh binary, the
same strict settings as Ansible. Used where a playbook run would cost seconds for one command
(gathering facts, one etcdctl call)."""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

from provisioner.hostpaths import PYTHON_INTERPRETER
from provisioner.providers.base import SshTarget
from provisioner.reach.reasons import ssh_failure
from provisioner.reach.ssh import ssh_command

CONNECT_TIMEOUT = 10
_MAX_PARALLEL = 32
S = TypeVar("S")
T = TypeVar("T")


@dataclass(frozen=True)
class Completed:
    host: str
    rc: int
    stdout: str
    stderr: str
    # Set when ssh itself failed (rc 255) or the session hung: the host was not reached.
    unreachable: str = ""


def run_remote(target: SshTarget, interpreter: str, script: str, *, timeout: int = 120) -> Completed:
    """`script` is fed on stdin to `interpreter -` (sh or python3), as root when the host needs become."""
    command = shlex.join([interpreter, "-"])
    if target.connection.become:
        command = "sudo -n " + command
    argv = ssh_command(target, command, connect_timeout=CONNECT_TIMEOUT)
    try:
        done = subprocess.run(argv, input=script, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return Completed(target.host, -1, "", "", f"no answer within {timeout} s")
    if done.returncode == 255:
        return Completed(target.host, 255, done.stdout, done.stderr, ssh_failure(done.stderr, target.connection))
    return Completed(target.host, done.returncode, done.stdout, done.stderr)


def run_python(target: SshTarget, script: str, *, timeout: int = 120) -> Completed:
    return run_remote(target, PYTHON_INTERPRETER, script, timeout=timeout)


def run_shell(target: SshTarget, script: str, *, timeout: int = 120) -> Completed:
    return run_remote(target, "sh", "set -eu\n" + script, timeout=timeout)


def in_parallel(items: Sequence[S], action: Callable[[S], T]) -> list[T]:
    """`action` on every item (one per host) at once; results in the order of `items`."""
    if not items:
        return []
    with ThreadPoolExecutor(max_workers=min(len(items), _MAX_PARALLEL)) as pool:
        return list(pool.map(action, items))
