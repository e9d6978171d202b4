"""SSH keys of a lab: one client key pair per lab, one host key per machine, and the known_hosts file
that lets every SSH connection to a machine check its host key strictly."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from pathlib import Path

from provisioner.atomic import write_atomically
from provisioner.providers.lab.commands import run


def ensure_key_pair(private_key: Path, comment: str) -> Path:
    """Creates an ed25519 key pair without passphrase unless one is there; returns the private key."""
    if not private_key.is_file() or not private_key.with_suffix(".pub").is_file():
        private_key.unlink(missing_ok=True)
        private_key.with_suffix(".pub").unlink(missing_ok=True)
        private_key.parent.mkdir(parents=True, exist_ok=True)
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(private_key)])
    return private_key


def public_key(private_key: Path) -> str:
    """`type base64` of the key, without its comment."""
    return " ".join(private_key.with_suffix(".pub").read_text().split()[:2])


def write_known_hosts(path: Path, entries: Iterable[tuple[str, ipaddress.IPv4Address, int, Path]]) -> None:
    """One line per machine, matching both its host name and its address on its SSH port:
    (name, address, port, host key)."""
    lines = [f"{_pattern(address, port)},{_pattern(name, port)} {public_key(key)}\n"
             for name, address, port, key in entries]
    write_atomically(path, "".join(lines))


def _pattern(host: object, port: int) -> str:
    """How ssh looks a host up in known_hosts: bare on port 22, [host]:port elsewhere."""
    return str(host) if port == 22 else f"[{host}]:{port}"
