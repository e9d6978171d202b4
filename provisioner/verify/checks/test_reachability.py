"""Every host answers SSH with the cluster file's user, key and known host keys."""

from __future__ import annotations

from provisioner.verify.expect import expect
from provisioner.verify.fleet import Target, manual_ssh

ROLE = "ssh"


def test_answers_ssh(any_host: Target) -> None:
    """The host answers SSH with a known host key; every other check on it depends on this."""
    expect(any_host.unreachable is None, expected="an SSH session", found=str(any_host.unreachable),
           hint=f"{manual_ssh(any_host)}; "
                "the host key must be in the known_hosts file the cluster file names")
