"""Vagrant VMs: one per host, from the Vagrantfile render wrote into the build folder.

SSH reaches a VM where Vagrant says it answers (HostName/Port of `vagrant ssh-config`: the libvirt
management address, or VirtualBox's port forwarded on 127.0.0.1), not on its private-network
address. That path is the one Vagrant has just used itself, it needs no route from this machine to
the cluster's addresses (which may be copied from a production range), and it works for both
providers. Inside the VMs the hosts still talk to each other on the private-network addresses.
"""

from __future__ import annotations

from pathlib import Path

from provisioner.cluster.topology import Topology
from provisioner.errors import Problem, StepFailed, UsageError
from provisioner.providers.base import Progress, Provider, SshTarget, quiet
from provisioner.providers.vagrant.command import Vagrant
from provisioner.providers.vagrant.networks import AddressesDoNotFit, address_problems, interface_warnings
from provisioner.providers.vagrant.record import SETTINGS_FILE, forget_all, read_recorded, record_machines
from provisioner.providers.vagrant.sshconfig import parse_ssh_config

VAGRANTFILE = "Vagrantfile"


class VagrantProvider(Provider):
    name = "vagrant"

    def __init__(self, topology: Topology, out: Path) -> None:
        super().__init__(topology)
        self.out = out.resolve()
        self.provider = topology.cluster.vagrant.provider

    def _vagrant(self) -> Vagrant:
        return Vagrant(self.out, self.provider)

    def check(self) -> None:
        """Refuses, before anything is rendered or started, addresses the VMs' networks cannot carry."""
        problems = address_problems(self.topology)
        if problems:
            raise AddressesDoNotFit(problems)

    def warnings(self) -> list[Problem]:
        """What may keep the cluster file from working on VMs, said before they start."""
        return interface_warnings(self.topology)

    def up(self, progress: Progress = quiet) -> list[SshTarget]:
        self.check()
        vagrant = self._vagrant()
        if not (self.out / VAGRANTFILE).is_file():
            raise UsageError(f"no {VAGRANTFILE} in {self.out}: run `provisioner render` first")
        names = [host.name for host in self.topology.hosts]
        progress(f"Starting {len(names)} VMs with vagrant ({self.provider}) in {self.out}")
        vagrant.run("up", "--provider", self.provider, *names)
        progress("Reading `vagrant ssh-config`")
        machines = parse_ssh_config(vagrant.output("ssh-config", *names))
        missing = [name for name in names if name not in machines]
        if missing:
            raise StepFailed("read vagrant ssh-config", ", ".join(missing), "no Host block for this VM")
        record_machines(self.out, self.provider, {name: machines[name] for name in names})
        progress(f"SSH settings written to {self.out / SETTINGS_FILE}")
        return self.targets()

    def power_off(self, name: str) -> None:
        """Stops the VM at once, as if its plug were pulled (`vagrant halt --force`: no orderly shutdown)."""
        self._vagrant().output("halt", "--force", name, host=name)

    def power_on(self, name: str) -> SshTarget:
        """Boots a halted VM again and records where SSH reaches it now: its management address comes
        from DHCP and is not promised to be the one recorded when it was first brought up."""
        vagrant = self._vagrant()
        vagrant.output("up", "--provider", self.provider, name, host=name)
        machines = parse_ssh_config(vagrant.output("ssh-config", name, host=name))
        if name not in machines:
            raise StepFailed("read vagrant ssh-config", name, "no Host block for this VM")
        record_machines(self.out, self.provider, {name: machines[name]}, keep_others=True)
        return next(target for target in self.targets() if target.host == name)

    def down(self, progress: Progress = quiet) -> None:
        if (self.out / VAGRANTFILE).is_file():
            progress(f"Destroying the VMs of {self.out / VAGRANTFILE}")
            # The Vagrantfile up used, not a fresh render: it names the VMs that exist.
            self._vagrant().run("destroy", "--force")
        else:
            progress(f"no {VAGRANTFILE} in {self.out}: no VMs to destroy")
        forget_all(self.out)

    def targets(self) -> list[SshTarget]:
        recorded = read_recorded(self.out)
        where = self.out / SETTINGS_FILE
        if recorded is None:
            raise UsageError(f"{where} not found: run `provisioner vagrant up` first")
        targets: list[SshTarget] = []
        for host in self.topology.hosts:
            entry = recorded.hosts.get(host.name)
            if entry is None:
                raise UsageError(f"{host.name} has no VM in {where}: run `provisioner vagrant up` again")
            targets.append(SshTarget(host.name, entry.address, entry.connection()))
        return targets
