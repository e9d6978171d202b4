"""The jump host of the cluster file's `ssh.bastion` (`[user@]host[:port]`), taken apart.

ssh's own ProxyJump applies none of the command line's options (key, known_hosts, strictness, batch
mode) to the jump host, so the tool connects to the bastion itself, with the same settings as the hosts.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_PORT = 22


@dataclass(frozen=True)
class Bastion:
    host: str  # DNS name or IP address, without brackets
    port: int
    user: str | None  # None: the hosts' own ssh user

    def login(self, default_user: str) -> str:
        """user@host:port as an operator reads it (IPv6 in brackets)."""
        shown = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.user or default_user}@{shown}:{self.port}"


def parse_bastion(value: str) -> Bastion:
    """`value` was validated by the cluster model; this only splits it."""
    user, _, rest = value.rpartition("@")
    host, port = rest, ""
    if rest.startswith("["):
        host, _, after = rest[1:].partition("]")
        port = after.removeprefix(":")
    elif rest.count(":") == 1:
        host, port = rest.split(":")
    return Bastion(host=host, port=int(port) if port else DEFAULT_PORT, user=user or None)
