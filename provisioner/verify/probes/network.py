"""Addresses a host holds and the TCP ports it listens on."""

from __future__ import annotations

import ipaddress
import itertools

ADDRESSES_COMMAND = "ip -o addr show"


def addresses(text: str) -> set[str]:
    """Every address in `ip -o addr show` output, without its prefix length."""
    found: set[str] = set()
    for line in text.splitlines():
        words = line.split()
        for keyword, value in itertools.pairwise(words):
            if keyword in ("inet", "inet6"):
                found.add(str(ipaddress.ip_interface(value).ip))
    return found


def listens_on(sockets: list[str], address: str, port: int) -> bool:
    """Whether testinfra's listening sockets (`tcp://ADDRESS:PORT`, from ss) serve `address:port`.

    A wildcard serves only its own family: ss shows `0.0.0.0` for IPv4's, `::` for an IPv6-only one and
    `*` for an IPv6 socket that takes IPv4 too (haproxy's `v4v6`, or bindv6only=0)."""
    family = ipaddress.ip_address(address).version
    wildcard = "0.0.0.0" if family == 4 else "::"
    wanted = {f"tcp://{address}:{port}", f"tcp://{wildcard}:{port}", f"tcp://*:{port}"}
    return bool(wanted & set(sockets))


def tcp_ports(sockets: list[str], port: int) -> list[str]:
    """The listening sockets on `port`, as an operator would read them."""
    return sorted(socket.removeprefix("tcp://") for socket in sockets
                  if socket.startswith("tcp://") and socket.endswith(f":{port}"))
