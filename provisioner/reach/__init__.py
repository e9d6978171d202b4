"""Reaching hosts over SSH before anything is applied: is every host ready for apply?"""

from provisioner.reach.ping import HostCheck, PingFailed, check_host, ping_hosts
from provisioner.reach.ssh import ssh_command

__all__ = ["HostCheck", "PingFailed", "check_host", "ping_hosts", "ssh_command"]
