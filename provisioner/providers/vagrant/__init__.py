"""Vagrant VMs (libvirt or VirtualBox) standing in for a cluster's hosts."""

from provisioner.providers.vagrant.command import vagrant_binary
from provisioner.providers.vagrant.provider import VAGRANTFILE, VagrantProvider
from provisioner.providers.vagrant.record import (
    KNOWN_HOSTS_FILE,
    SETTINGS_FILE,
    VM_SSH_TIMEOUT_SECONDS,
    read_recorded,
)
from provisioner.providers.vagrant.sshconfig import MachineSsh, parse_ssh_config

__all__ = [
    "KNOWN_HOSTS_FILE",
    "SETTINGS_FILE",
    "VAGRANTFILE",
    "VM_SSH_TIMEOUT_SECONDS",
    "MachineSsh",
    "VagrantProvider",
    "parse_ssh_config",
    "read_recorded",
    "vagrant_binary",
]
