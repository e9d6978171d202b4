"""Commands and scripts on hosts over SSH: one round trip per host, the real ssh binary, the same strict
settings as Ansible, as root through sudo where the host needs it. The one way the tool runs a command
on a host outside a playbook (facts, membership steps, drills, the workload, backups), used where a
playbook run would cost seconds for one command."""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

from provisioner.errors import StepFailed
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

    @property
    def problem(self) -> str:
        """Empty when the command ran and succeeded; otherwise what went wrong, in words."""
        if self.unreachable:
            return self.unreachable
        if self.rc != 0:
            said = self.stderr.strip().splitlines()
            return f"exit status {self.rc}: {said[-1] if said else 'no message'}"
        return ""


def remote_argv(target: SshTarget, command: str, *, root: bool = True) -> list[str]:
    """The ssh command line running `command` on the host, as root when `root` (through `sudo -n` where
    the host needs become: the members' keys are readable by root only)."""
    if root and target.connection.become:
        command = f"sudo -n sh -c {shlex.quote(command)}"
    return ssh_command(target, command, connect_timeout=CONNECT_TIMEOUT)


def run_command(target: SshTarget, command: str, *, stdin: str | None = None, timeout: float = 120,
                root: bool = True) -> Completed:
    """`command` on the host; whatever happened, in a Completed."""
    argv = remote_argv(target, command, root=root)
    try:
        done = subprocess.run(argv, input=stdin, capture_output=True, text=True, timeout=timeout, check=False,
                              stdin=None if stdin is not None else subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return Completed(target.host, -1, "", "", f"no answer within {timeout:g} s")
    if done.returncode == 255:
        return Completed(target.host, 255, done.stdout, done.stderr, ssh_failure(done.stderr, target.connection))
    return Completed(target.host, done.returncode, done.stdout, done.stderr)


def run_on(target: SshTarget, command: str, *, step: str, stdin: str | None = None, timeout: float = 60,
           root: bool = True) -> str:
    """`command`'s standard output; a failure raises StepFailed naming the host and the step."""
    done = run_command(target, command, stdin=stdin, timeout=timeout, root=root)
    if done.problem:
        raise StepFailed(step, target.host, done.problem)
    return done.stdout


def run_remote(target: SshTarget, interpreter: str, script: str, *, timeout: int = 120) -> Completed:
    """`script` is fed on stdin to `interpreter -` (sh or python3), as root."""
    return run_command(target, shlex.join([interpreter, "-"]), stdin=script, timeout=timeout)


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
