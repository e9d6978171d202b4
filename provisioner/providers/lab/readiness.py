"""Waiting until a machine answers SSH: first its banner (cheap, polled often), then a real login."""

from __future__ import annotations

import ipaddress
import socket
import subprocess
import time
from collections.abc import Callable

POLL_SECONDS = 0.1


def wait_for_ssh(banner_at: tuple[ipaddress.IPv4Address, int] | None, ssh_argv: list[str], deadline: float,
                 still_booting: Callable[[], bool]) -> bool:
    """True once `ssh_argv` (a complete ssh command running `true`) succeeds; False when the deadline
    passes or `still_booting` says the machine is gone. `banner_at` (address, port) is polled first when
    this machine reaches it directly (not behind a bastion)."""
    while time.monotonic() < deadline:
        if not still_booting():
            return False
        if (banner_at is None or _banner(*banner_at)) and _login(ssh_argv, deadline):
            return True
        time.sleep(POLL_SECONDS)
    return False


def _banner(address: ipaddress.IPv4Address, port: int) -> bool:
    try:
        with socket.create_connection((str(address), port), timeout=1) as connection:
            connection.settimeout(2)
            return connection.recv(8).startswith(b"SSH-")
    except OSError:
        return False


def _login(ssh_argv: list[str], deadline: float) -> bool:
    timeout = max(1.0, min(15.0, deadline - time.monotonic()))
    try:
        return subprocess.run(ssh_argv, stdin=subprocess.DEVNULL, capture_output=True,
                              timeout=timeout, check=False).returncode == 0
    except subprocess.TimeoutExpired:
        return False
