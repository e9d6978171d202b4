"""Can apply work on every host? SSH in, find python3, and try sudo when the host needs become."""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from provisioner.errors import ProvisionerError
from provisioner.hostpaths import PYTHON_INTERPRETER
from provisioner.providers.base import SshTarget
from provisioner.reach.reasons import ssh_failure, sudo_failure
from provisioner.reach.ssh import ssh_command

DEFAULT_CONNECT_TIMEOUT = 10
# Time a session may take after connecting (login, python3, sudo) before the host counts as hung.
_SESSION_SECONDS = 30
_MAX_PARALLEL = 32


@dataclass(frozen=True)
class HostCheck:
    target: SshTarget
    reachable: bool
    python3: bool | None = None  # None: not checked, SSH did not get in
    sudo: bool | None = None  # None: not checked, SSH did not get in or become is off
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


class PingFailed(ProvisionerError):
    """Some hosts are not ready for apply; one line per host with the reason."""

    def __init__(self, failed: list[HostCheck], total: int) -> None:
        super().__init__(f"{len(failed)} of {total} hosts failed")
        self.failed = failed

    def lines(self) -> list[str]:
        return [f"{check.target.host} ({check.target.endpoint}): {check.problem}" for check in self.failed]


def remote_script(python: str, become: bool) -> str:
    """POSIX shell run on the host; answers `key=value` lines whatever the host prints besides."""
    lines = [f"if {shlex.quote(python)} -c '' >/dev/null 2>&1; then echo python3=ok; else echo python3=missing; fi"]
    if become:
        lines.append('if out=$(sudo -n true 2>&1); then echo sudo=ok; else echo "sudo=failed $out" | head -n 1; fi')
    return "\n".join(lines)


def check_host(target: SshTarget, *, connect_timeout: int = DEFAULT_CONNECT_TIMEOUT,
               python: str = PYTHON_INTERPRETER) -> HostCheck:
    connection = target.connection
    if connection.private_key and not os.path.isfile(os.path.expanduser(connection.private_key)):
        return HostCheck(target, False, problem=f"private key {connection.private_key} not found on this machine")
    command = ssh_command(target, remote_script(python, connection.become), connect_timeout=connect_timeout)
    try:
        completed = subprocess.run(command, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                                   timeout=connect_timeout + _SESSION_SECONDS, check=False)
    except subprocess.TimeoutExpired:
        return HostCheck(target, False, problem="timeout: connected, but the session did not finish")
    if completed.returncode == 255:
        return HostCheck(target, False, problem=ssh_failure(completed.stderr, connection))
    answers = dict(line.split("=", 1) for line in completed.stdout.splitlines()
                   if line.startswith(("python3=", "sudo=")))
    if "python3" not in answers:
        said = (completed.stderr or completed.stdout).strip().splitlines()
        return HostCheck(target, True, problem=f"unexpected answer from the login shell (exit "
                                               f"{completed.returncode}): {said[-1] if said else 'nothing'}")
    problems: list[str] = []
    python_ok = answers["python3"] == "ok"
    if not python_ok:
        problems.append(f"python3 missing ({python} does not run)")
    sudo_ok = None
    if connection.become:
        sudo_ok = answers.get("sudo") == "ok"
        if not sudo_ok:
            problems.append(sudo_failure(answers.get("sudo", "").removeprefix("failed")))
    return HostCheck(target, True, python_ok, sudo_ok, "; ".join(problems) or None)


def ping_hosts(targets: Sequence[SshTarget], *, connect_timeout: int = DEFAULT_CONNECT_TIMEOUT,
               python: str = PYTHON_INTERPRETER) -> list[HostCheck]:
    """Every host checked at the same time; results in the order of `targets`."""
    if not targets:
        return []
    with ThreadPoolExecutor(max_workers=min(len(targets), _MAX_PARALLEL)) as pool:
        return list(pool.map(lambda t: check_host(t, connect_timeout=connect_timeout, python=python), targets))


def unreachable_reason(target: SshTarget, stderr: str) -> str:
    """Why ssh could not reach `target`, worded as ping words it. Ansible and testinfra keep one master
    connection per host, and ssh then sends the bastion's own errors to /dev/null: a fresh check sees them."""
    check = check_host(target)
    if not check.reachable and check.problem:
        return check.problem
    return ssh_failure(stderr, target.connection)
