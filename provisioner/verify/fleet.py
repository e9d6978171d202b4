"""SSH to every host of the cluster through testinfra: one multiplexed connection per host, opened in
parallel up front, so each check's command costs a round trip instead of a handshake."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import testinfra  # type: ignore[import-untyped]

from provisioner.cluster.topology import Connection, Topology, url_host
from provisioner.providers.base import SshTarget
from provisioner.reach.ping import unreachable_reason
from provisioner.reach.reasons import ssh_failure, sudo_failure
from provisioner.render.inventory import ssh_options
from provisioner.verify.expect import CannotCheck

CONNECT_TIMEOUT_SECONDS = 10
# Long enough to outlive the run, short enough that a crashed run leaves no master behind for long.
CONTROL_PERSIST_SECONDS = 120


@dataclass
class Target:
    """One host as the checks see it: its place in the cluster file and a live SSH connection."""

    name: str
    address: str  # in the cluster file: what etcd, haproxy and the certificates use
    roles: frozenset[str]
    ssh: SshTarget  # where SSH reaches the host (Vagrant forwards it elsewhere)
    infra: Any  # testinfra.host.Host
    unreachable: str | None = field(default=None)

    @property
    def host(self) -> Any:
        """The testinfra host, for its modules (file, socket, ...); raises CannotCheck when SSH failed."""
        if self.unreachable is not None:
            raise CannotCheck(f"no SSH connection: {self.unreachable}", _ssh_hint(self))
        return self.infra

    def run(self, command: str, *args: str) -> Any:
        """testinfra's CommandResult; `args` are quoted into `command`'s %s placeholders."""
        try:
            return self.host.run(command, *args)
        except RuntimeError as error:  # testinfra's way of saying ssh itself failed (exit status 255)
            raise CannotCheck(f"SSH failed: {self._reason(error)}", _ssh_hint(self)) from None

    @property
    def connection(self) -> Connection:
        return self.ssh.connection

    def connect(self) -> None:
        try:
            result = self.infra.run("true")
        except RuntimeError as error:
            self.unreachable = unreachable_reason(self.ssh, self._stderr(error))
            return
        # With become, a sudo that wants a password fails every command the same way: say so once.
        said = (result.stderr or "").strip()
        if result.rc == 0:
            self.unreachable = None
        elif self.connection.become and "sudo" in said:
            self.unreachable = sudo_failure(said)
        else:
            self.unreachable = f"`true` failed with status {result.rc}: {said[-200:]}"

    def _reason(self, error: RuntimeError) -> str:
        return ssh_failure(self._stderr(error), self.connection)

    @staticmethod
    def _stderr(error: RuntimeError) -> str:
        result = error.args[0] if error.args else None
        return str(getattr(result, "stderr", "") or error)


class Fleet:
    """Every host of the topology as a Target, by name."""

    def __init__(self, topology: Topology, ssh_targets: list[SshTarget], control_dir: Path) -> None:
        self.topology = topology
        self._control_dir = control_dir
        self.targets = {ssh.host: self._target(ssh) for ssh in ssh_targets}

    def __getitem__(self, name: str) -> Target:
        return self.targets[name]

    def connect_all(self) -> None:
        with ThreadPoolExecutor(max_workers=len(self.targets)) as pool:
            list(pool.map(Target.connect, self.targets.values()))

    def close(self) -> None:
        """Ends the multiplexing masters; they would otherwise linger for ControlPersist seconds."""
        def stop(target: Target) -> None:
            subprocess.run(["ssh", *self._argv_options(target.connection), "-p", str(target.connection.port),
                            "-O", "exit", f"{target.connection.user}@{target.ssh.address}"],
                           stdin=subprocess.DEVNULL, capture_output=True, check=False, timeout=10)

        with ThreadPoolExecutor(max_workers=len(self.targets)) as pool:
            list(pool.map(stop, self.targets.values()))

    def _target(self, ssh: SshTarget) -> Target:
        host = self.topology.host(ssh.host)
        connection = ssh.connection
        extra = " ".join(shlex.quote(word) for word in self._argv_options(connection))
        infra = testinfra.get_host(
            f"ssh://{connection.user}@{url_host(ssh.address)}:{connection.port}",
            ssh_extra_args=extra,
            timeout=CONNECT_TIMEOUT_SECONDS,
            sudo=connection.become,
        )
        return Target(host.name, host.address, self.topology.roles_of(host), ssh, infra)

    def _argv_options(self, connection: Connection) -> list[str]:
        options = [*ssh_options(connection),
                   "BatchMode=yes",
                   "ControlMaster=auto",
                   f"ControlPath={self._control_dir}/%C",
                   f"ControlPersist={CONTROL_PERSIST_SECONDS}s",
                   # A host that dies mid-run fails its checks in seconds instead of hanging them.
                   "ServerAliveInterval=5",
                   "ServerAliveCountMax=2",
                   "LogLevel=ERROR"]
        argv: list[str] = []
        for option in options:
            argv += ["-o", option]
        if connection.private_key:
            argv += ["-i", os.path.expanduser(connection.private_key)]
        return argv


@contextmanager
def open_fleet(topology: Topology, ssh_targets: list[SshTarget]) -> Iterator[Fleet]:
    # Short path: a control socket path must fit in 108 bytes.
    control_dir = Path(tempfile.mkdtemp(prefix="pv-"))
    fleet = Fleet(topology, ssh_targets, control_dir)
    try:
        fleet.connect_all()
        yield fleet
    finally:
        try:
            fleet.close()
        finally:
            shutil.rmtree(control_dir, ignore_errors=True)


def manual_ssh(target: Target) -> str:
    """The ssh command an operator would type to look at the host by hand."""
    jump = f" -J {target.connection.bastion}" if target.connection.bastion else ""
    return f"ssh{jump} -p {target.connection.port} {target.connection.user}@{target.ssh.address}"


def _ssh_hint(target: Target) -> str:
    return f"{manual_ssh(target)}: is the host up, is its key in the known_hosts file?"
