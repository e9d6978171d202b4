"""Reaching hosts over SSH before anything is applied: is every host ready for apply?"""

from provisioner.reach.keys import missing_private_keys
from provisioner.reach.ping import HostCheck, PingFailed, check_host, ping_hosts, unreachable_reason
from provisioner.reach.ssh import ssh_command

__all__ = [
    "HostCheck", "PingFailed", "check_host", "missing_private_keys", "ping_hosts", "ssh_command",
    "unreachable_reason",
]
