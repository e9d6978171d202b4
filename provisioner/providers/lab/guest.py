"""Files each machine gets in its own overlay before it boots: identity, host key and root's access."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Sequence
from pathlib import Path

from provisioner.providers.lab.model import LabHost


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
    dot_ssh = root / "root/.ssh"
    dot_ssh.mkdir(mode=0o700, parents=True, exist_ok=True)
    dot_ssh.chmod(0o700)
    authorized_keys = dot_ssh / "authorized_keys"
    authorized_keys.write_text(f"{authorized_key}\n")
    authorized_keys.chmod(0o600)


def _hosts_file(hosts: Sequence[LabHost]) -> str:
    lines = ["127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback"]
    lines += [f"{host.address}\t{host.name}" for host in sorted(hosts, key=lambda h: int(h.address))]
    return "\n".join(lines) + "\n"

