"""Short reasons for what ssh and sudo print when they fail, so a table of hosts reads at a glance."""

from __future__ import annotations

import re

from provisioner.cluster.bastion import parse_bastion
from provisioner.cluster.topology import Connection

# First match wins: a changed key also prints "Host key verification failed", and a refused
# connection through a bastion also prints "Connection closed".
_SSH_REASONS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"REMOTE HOST IDENTIFICATION HAS CHANGED|host key for .* has changed", re.I),
     "host key mismatch: known_hosts holds a different key (host re-installed, or not the host you think)"),
    (re.compile(r"host key is known for|Host key verification failed", re.I),
     "host key unknown: not in known_hosts and checking is strict (add it, or set accept_new_host_keys)"),
    (re.compile(r"UNPROTECTED PRIVATE KEY FILE|bad permissions", re.I),
     "private key file is readable by others; ssh refuses to use it (chmod 600)"),
    (re.compile(r"Permission denied", re.I), "authentication refused for user {user}"),
    (re.compile(r"Connection refused", re.I), "connection refused: nothing listens on port {port}"),
    (re.compile(r"timed out", re.I), "timeout: no SSH answer within the connect timeout"),
    (re.compile(r"No route to host", re.I), "no route to host"),
    (re.compile(r"Network is unreachable", re.I), "network unreachable"),
    (re.compile(r"Could not resolve hostname|Name or service not known", re.I), "host name does not resolve"),
    (re.compile(r"Too many authentication failures", re.I), "authentication refused: too many keys offered"),
    (re.compile(r"kex_exchange_identification|Connection closed|Connection reset", re.I),
     "connection closed by the server before login"),
]


# The host a line of ssh's complaint is about: [host]:port and user@host forms included.
_NAMED_HOST = re.compile(r"connect to host (\S+) port|resolve hostname (\S+?):|"
                         r"(?:host key is known for|Host key for) (\S+)|@(\S+?): Permission denied", re.I)


def ssh_failure(stderr: str, connection: Connection) -> str:
    """The reason ssh gave up (it exits 255 for its own failures, not the remote command's). Through a
    bastion, a failure to reach or log in to the bastion itself is reported as the bastion's."""
    if connection.bastion:
        bastion = parse_bastion(connection.bastion)
        login = bastion.login(connection.user)
        for line in stderr.splitlines():
            if _named_host(line) == bastion.host:
                reason = _reason(line, bastion.user or connection.user, bastion.port)
                if reason:
                    return f"bastion {login}: {reason}"
    reason = _reason(stderr, connection.user, connection.port) or "ssh failed: " + (_last_line(stderr) or "no message")
    return f"{reason} (via bastion {login})" if connection.bastion else reason


def _reason(stderr: str, user: str, port: int) -> str | None:
    for pattern, text in _SSH_REASONS:
        if pattern.search(stderr):
            return text.format(user=user, port=port)
    return None


def _named_host(line: str) -> str | None:
    match = _NAMED_HOST.search(line)
    if match is None:
        return None
    named = next(group for group in match.groups() if group)
    if named.startswith("["):  # [host]:port
        return named[1:].partition("]")[0]
    return named


def sudo_failure(output: str) -> str:
    """The reason `sudo -n true` failed, from its first line of output."""
    if re.search(r"password is required|terminal is required to read the password|Missing sudo password",
                 output, re.I):
        return "sudo needs a password (become needs passwordless sudo)"
    if re.search(r"not found|No such file", output, re.I):
        return "sudo is not installed"
    if re.search(r"not in the sudoers|may not run sudo|not allowed", output, re.I):
        return "user may not use sudo"
    return "sudo failed: " + (output.strip() or "no message")


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""
