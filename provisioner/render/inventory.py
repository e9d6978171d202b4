"""The Ansible inventory: one group per role, each host with its address and connection settings."""

from __future__ import annotations

import os
import shlex
from typing import Any

from provisioner.cluster.bastion import parse_bastion
from provisioner.cluster.topology import Connection, Topology
from provisioner.hostpaths import PYTHON_INTERPRETER
from provisioner.inventory_names import INVENTORY_GROUPS
from provisioner.providers.base import SshTarget

# The bastion gets its own connect timeout: the outer one does not cover the jump.
BASTION_CONNECT_TIMEOUT = 10


def ssh_options(connection: Connection) -> list[str]:
    """ssh -o options shared by Ansible, testinfra and ping: strict host keys unless told otherwise."""
    options = _host_key_options(connection)
    if connection.known_hosts:
        # Quoted: ssh splits an unquoted value at spaces into several files.
        options.append(f'UserKnownHostsFile="{connection.known_hosts}"' if " " in connection.known_hosts
                       else f"UserKnownHostsFile={connection.known_hosts}")
    if connection.bastion:
        options.append(f"ProxyCommand={jump_command(connection)}")
    return options


def jump_command(connection: Connection) -> str:
    """The ProxyCommand that reaches a host through its bastion with the host's own key, known_hosts and
    host-key policy, never prompting. (ssh's ProxyJump would use none of them for the jump: they apply
    to the final host only.) The bastion's user is the host's unless `user@` names another."""
    assert connection.bastion is not None
    bastion = parse_bastion(connection.bastion)
    words = ["ssh", "-o", "BatchMode=yes", "-o", f"ConnectTimeout={BASTION_CONNECT_TIMEOUT}"]
    for option in _host_key_options(connection):
        words += ["-o", option]
    if connection.known_hosts:
        words += ["-o", f"UserKnownHostsFile={_escape_tokens(os.path.expanduser(connection.known_hosts))}"]
    if connection.private_key:
        words += ["-i", _escape_tokens(os.path.expanduser(connection.private_key))]
    words += ["-p", str(bastion.port), "-l", _escape_tokens(bastion.user or connection.user),
              "-W", "[%h]:%p", "--", _escape_tokens(bastion.host)]
    # ssh expands %-tokens, then runs the command with /bin/sh.
    return " ".join(shlex.quote(word) for word in words)


def _host_key_options(connection: Connection) -> list[str]:
    return ["StrictHostKeyChecking=" + ("accept-new" if connection.accept_new_host_keys else "yes")]


def _escape_tokens(text: str) -> str:
    return text.replace("%", "%%")


def _host_vars(target: SshTarget) -> dict[str, Any]:
    connection, address = target.connection, target.address
    variables: dict[str, Any] = {
        "ansible_host": address,
        "ansible_user": connection.user,
        "ansible_port": connection.port,
        "ansible_become": connection.become,
        "ansible_ssh_common_args": " ".join(f"-o {shlex.quote(o)}" for o in ssh_options(connection)),
    }
    if connection.private_key:
        variables["ansible_ssh_private_key_file"] = connection.private_key
    if connection.timeout is not None:
        # For connecting and for sudo's prompt.
        variables["ansible_ssh_timeout"] = connection.timeout
    return variables


def inventory(topology: Topology, targets: list[SshTarget]) -> dict[str, Any]:
    """`targets` say how SSH reaches each host (the provider decides: cluster file, Vagrant, lab)."""
    hosts = {target.host: _host_vars(target) for target in targets}
    groups: dict[str, Any] = {}
    for role in INVENTORY_GROUPS:
        members = {host.name: None for host in topology.hosts_with(role)}
        if role == "load_balancer" and not topology.load_balancer_hosts:
            members = {}
        groups[role] = {"hosts": members} if members else {}
    variables: dict[str, Any] = {
        "ansible_python_interpreter": PYTHON_INTERPRETER,
        "provisioner_cluster_name": topology.name,
        "provisioner_layout": topology.layout,
    }
    return {
        "all": {
            "vars": variables,
            "hosts": hosts,
            "children": groups,
        }
    }
