"""Making faults and healing them, per environment: what a lab, Vagrant VMs or real servers allow.

Process and service faults go over SSH (`systemctl kill`, `systemctl stop`) everywhere. Power and the
network need a hand on the machine: a lab powers a machine off by killing everything in it (no orderly
shutdown, like pulling the plug) and cuts it off by taking its link on the lab bridge down; Vagrant
halts a VM with `vagrant halt --force`. Real servers get process faults only, and only when asked.

Every fault pushes its own healing onto the stack it is given before it strikes, so whatever happens
next (a failure, Ctrl-C) the stack heals what was broken.
"""

from __future__ import annotations

import contextlib
import functools
from abc import ABC, abstractmethod
from collections.abc import Callable

from provisioner.drill.remote import parallel
from provisioner.drill.scenarios import ALL_CAPABILITIES, Capability, Fault
from provisioner.errors import UsageError
from provisioner.providers import SshTarget, VagrantProvider
from provisioner.reach.remote import run_on

_PROCESS_FAULTS = {
    # kind: (inject, heal) shell commands; the service is etcd unless the kind says otherwise.
    "kill": ("systemctl kill --signal=SIGKILL etcd", "systemctl start etcd"),
    "stop": ("systemctl stop etcd", "systemctl start etcd"),
    "freeze": ("systemctl kill --signal=SIGSTOP etcd", "systemctl kill --signal=SIGCONT etcd"),
    "stop_haproxy": ("systemctl stop haproxy", "systemctl start haproxy"),
}


class HostControl(ABC):
    """What an environment can do to its hosts beyond SSH."""

    capabilities: frozenset[Capability] = frozenset({"process"})

    def __init__(self, targets: dict[str, SshTarget]) -> None:
        self.targets = targets

    def power_off(self, host: str) -> None:
        raise UsageError(f"{host}: this environment cannot power hosts off")

    def power_on(self, host: str) -> None:
        raise UsageError(f"{host}: this environment cannot power hosts on")

    def cut(self, host: str) -> None:
        raise UsageError(f"{host}: this environment cannot cut a host off the network")

    def reconnect(self, host: str) -> None:
        raise UsageError(f"{host}: this environment cannot reconnect a host")

    @abstractmethod
    def describe(self) -> str:
        """How faults are made here, for the drill's first line."""


class ServerControl(HostControl):
    """Real servers: process and service faults over SSH only."""

    def describe(self) -> str:
        return "real servers: process and service faults over SSH only"


class LabControl(HostControl):
    capabilities = ALL_CAPABILITIES

    def __init__(self, targets: dict[str, SshTarget], lab: object) -> None:
        super().__init__(targets)
        from provisioner.providers.lab import Lab

        assert isinstance(lab, Lab)
        self.lab = lab

    def power_off(self, host: str) -> None:
        self.lab.power_off(host)

    def power_on(self, host: str) -> None:
        self.lab.start(host)

    def cut(self, host: str) -> None:
        self.lab.set_link(host, up=False)

    def reconnect(self, host: str) -> None:
        self.lab.set_link(host, up=True)

    def describe(self) -> str:
        return f"lab {self.lab.cluster}: power off = kill the machine, network cut = its bridge link down"


class VagrantControl(HostControl):
    capabilities = frozenset({"process", "power"})

    def __init__(self, targets: dict[str, SshTarget], vms: VagrantProvider) -> None:
        super().__init__(targets)
        self.vms = vms

    def power_off(self, host: str) -> None:
        self.vms.power_off(host)

    def power_on(self, host: str) -> None:
        # Everything watching the cluster shares `targets`: it reaches the VM where it answers now.
        self.targets[host] = self.vms.power_on(host)

    def describe(self) -> str:
        return f"Vagrant VMs ({self.vms.provider}): power off = vagrant halt --force, power on = vagrant up"


def inject(fault: Fault, hosts: list[str], control: HostControl, healing: contextlib.ExitStack) -> None:
    """Breaks `hosts` as the fault says, all at once; the healing of each host is on `healing` before
    its fault is made, so closing the stack heals whatever was reached."""
    if fault.needs not in control.capabilities:
        raise UsageError(f"fault {fault.kind} needs {fault.needs} control, which {control.describe()} lacks")
    strikes: list[Callable[[], None]] = []
    for host in hosts:
        if fault.kind == "power_off":
            healing.callback(control.power_on, host)
            strikes.append(functools.partial(control.power_off, host))
        elif fault.kind == "cut":
            healing.callback(control.reconnect, host)
            strikes.append(functools.partial(control.cut, host))
        else:
            strike, heal = _PROCESS_FAULTS[fault.kind]
            target = control.targets[host]
            healing.callback(run_on, target, heal, step=f"Heal ({heal})")
            strikes.append(functools.partial(_strike, target, strike))
    parallel(strikes)


def _strike(target: SshTarget, command: str) -> None:
    run_on(target, command, step=f"Make the fault ({command})")
