"""An ssh command line for one target, with the options the inventory gives Ansible and testinfra.

Checks run the real `ssh` binary rather than a Python SSH library: it reads the same known_hosts
files (hashed or not), ProxyJump, ssh_config and agent as Ansible's ssh connection, so a host that
passes here is a host apply can reach, and a failure reads like the one apply would hit.
"""

from __future__ import annotations

import os

from provisioner.providers.base import SshTarget
from provisioner.render.inventory import ssh_options


def ssh_command(target: SshTarget, remote_command: str, *, connect_timeout: int) -> list[str]:
    connection = target.connection
    command = [
        "ssh",
        # Never prompt (password, passphrase, unknown host key): a prompt would hang a parallel check.
        "-o", "BatchMode=yes",
        "-o", f"ConnectTimeout={connect_timeout}",
        "-p", str(connection.port),
        "-l", connection.user,
    ]
    for option in ssh_options(connection):
        command += ["-o", option]
    if connection.private_key:
        command += ["-i", os.path.expanduser(connection.private_key)]
    return [*command, "--", target.address, remote_command]
