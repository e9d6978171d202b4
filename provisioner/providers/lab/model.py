"""Values the lab takes and hands back."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

ROOT = "root"
SSH_PORT = 22


@dataclass(frozen=True)
class LabLogin:
    """How SSH logs in to a machine, as the cluster file says; the machine is made to accept exactly that:
    sshd on `port`, each of `users` with the lab's key (root always has it, for the lab's own use), and
    with `sudo` passwordless sudo for them, as `ssh.become` needs."""

    users: tuple[str, ...] = (ROOT,)
    port: int = SSH_PORT
    sudo: bool = False


@dataclass(frozen=True)
class LabHost:
    """One host of the cluster file that becomes one machine."""

    name: str
    address: ipaddress.IPv4Address
    login: LabLogin = LabLogin()


@dataclass(frozen=True)
class LabBastion:
    """A jump host in front of the lab: the only machine with a leg in a network this machine reaches
    (`address`); the cluster's machines sit on a network of their own that this machine has no route to."""

    address: ipaddress.IPv4Address
    login: LabLogin = LabLogin()


class MachineState(StrEnum):
    RUNNING = "running"
    STOPPED = "stopped"
    ABSENT = "absent"


@dataclass(frozen=True)
class MachineStatus:
    host: str
    machine: str
    address: ipaddress.IPv4Address
    state: MachineState


@dataclass(frozen=True)
class LabConnection:
    """The key and known_hosts file every SSH connection to a lab's machines uses."""

    private_key: Path
    known_hosts: Path
