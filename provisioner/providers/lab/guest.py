"""Files each machine gets in its own overlay before it boots: identity, host key, sshd's port, and the
login users of the cluster file with the lab's key (and passwordless sudo where `become` needs it)."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Sequence
from pathlib import Path

from provisioner.providers.lab.commands import run
from provisioner.providers.lab.model import ROOT, LabHost, LabLogin

SSHD_PORT_CONFIG = "etc/ssh/sshd_config.d/provisioner-lab-port.conf"
SUDOERS = "etc/sudoers.d/provisioner-lab"


def write_guest_files(root: Path, host: LabHost, hosts: Sequence[LabHost], host_key: Path,
                      authorized_key: str) -> None:
    (root / "etc/hostname").write_text(f"{host.name}\n")
    (root / "etc/hosts").write_text(_hosts_file(hosts))
    machine_id = root / "etc/machine-id"
    if not machine_id.is_file() or not machine_id.read_text().strip():
        # Set before the first boot and kept afterwards: stable across stop/start, unique per machine.
        machine_id.write_text(f"{uuid.uuid4().hex}\n")
    ssh = root / "etc/ssh"
    for source in (host_key, host_key.with_suffix(".pub")):
        target = ssh / source.name
        shutil.copyfile(source, target)
        target.chmod(0o600 if source == host_key else 0o644)
    write_login(root, host.login, authorized_key)


def write_login(root: Path, login: LabLogin, authorized_key: str) -> None:
    """sshd's port, the users with the lab's key, and their sudo rule; root keeps the key for the lab."""
    (root / SSHD_PORT_CONFIG).write_text(f"# The port the cluster file's ssh settings name.\nPort {login.port}\n")
    for user in dict.fromkeys((ROOT, *login.users)):
        _authorize(root, user, authorized_key)
    sudoers = root / SUDOERS
    users = [user for user in login.users if user != ROOT]
    if login.sudo and users:
        sudoers.write_text("".join(f"{user} ALL=(ALL:ALL) NOPASSWD: ALL\n" for user in users))
        sudoers.chmod(0o440)
    else:
        sudoers.unlink(missing_ok=True)


def _authorize(root: Path, user: str, authorized_key: str) -> None:
    if _account(root, user) is None:
        # The guest's own useradd, so home, skeleton and groups are what the distribution makes. A "*"
        # password: no password login, yet not a locked account (sshd refuses those even with a key).
        run(["chroot", str(root), "useradd", "--create-home", "--user-group", "--shell", "/bin/bash",
             "--password", "*", user])
    account = _account(root, user)
    assert account is not None, user
    uid, gid, home = account
    dot_ssh = root / home.lstrip("/") / ".ssh"
    dot_ssh.mkdir(mode=0o700, parents=True, exist_ok=True)
    dot_ssh.chmod(0o700)
    authorized_keys = dot_ssh / "authorized_keys"
    authorized_keys.write_text(f"{authorized_key}\n")
    authorized_keys.chmod(0o600)
    for path in (dot_ssh, authorized_keys):
        # sshd's StrictModes refuses keys in files another user owns.
        os.chown(path, uid, gid)


def _account(root: Path, user: str) -> tuple[int, int, str] | None:
    """(uid, gid, home) from the machine's /etc/passwd."""
    for line in (root / "etc/passwd").read_text().splitlines():
        fields = line.split(":")
        if len(fields) >= 6 and fields[0] == user:
            return int(fields[2]), int(fields[3]), fields[5]
    return None


def _hosts_file(hosts: Sequence[LabHost]) -> str:
    lines = ["127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback"]
    lines += [f"{host.address}\t{host.name}" for host in sorted(hosts, key=lambda h: int(h.address))]
    return "\n".join(lines) + "\n"
