"""`<out>/vagrant-ssh.yml`: how to reach each VM, written by `vagrant up`, read by everything after it.

While the file exists, its settings replace the cluster file's ssh settings for the hosts it lists.
Host keys: Vagrant turns checking off (StrictHostKeyChecking no, UserKnownHostsFile /dev/null). We
keep it on but mark VM hosts accept-new, with a known_hosts file of their own in the build folder:
the first connection records each VM's key, every later one is strict against it. A VM's entry
is forgotten only when Vagrant re-creates it or gives it another address, so a re-created VM is
accepted afresh while a changed key on the same VM still fails.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml
from pydantic import ValidationError

from provisioner.atomic import write_atomically
from provisioner.cluster.model import Port, Strict
from provisioner.cluster.topology import Connection
from provisioner.errors import UsageError
from provisioner.providers.vagrant.sshconfig import MachineSsh

SETTINGS_FILE = "vagrant-ssh.yml"
# VMs, emulated ones above all, can take longer than Ansible's 10 s to connect or to answer sudo.
VM_SSH_TIMEOUT_SECONDS = 60
KNOWN_HOSTS_FILE = "vagrant-known_hosts"

_HEADER = """\
# Written by `provisioner vagrant up` from `vagrant ssh-config`; removed by `provisioner vagrant down`.
# While this file exists these settings, not the cluster file's ssh settings, reach the hosts below.
# Host keys are accepted on first contact into known_hosts and checked strictly afterwards.
"""


class RecordedHost(Strict):
    # Vagrant's id of the VM: when it changes the VM was re-created and has new host keys.
    machine_id: str | None = None
    address: str
    user: str
    port: Port
    private_key: str | None = None
    known_hosts: str
    accept_new_host_keys: bool
    become: bool
    bastion: str | None = None

    def connection(self) -> Connection:
        return Connection(user=self.user, port=self.port, accept_new_host_keys=self.accept_new_host_keys,
                          become=self.become, private_key=self.private_key, known_hosts=self.known_hosts,
                          bastion=self.bastion, timeout=VM_SSH_TIMEOUT_SECONDS)


class Recorded(Strict):
    provider: str
    hosts: dict[str, RecordedHost]


def read_recorded(out: Path) -> Recorded | None:
    path = out / SETTINGS_FILE
    if not path.is_file():
        return None
    try:
        return Recorded.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (yaml.YAMLError, ValidationError) as error:
        first = str(error).splitlines()
        raise UsageError(f"{path} is not readable ({' '.join(first[:3])}); "
                         "run `provisioner vagrant up` again to rewrite it") from None


def record_machines(out: Path, provider: str, machines: dict[str, MachineSsh], *,
                    keep_others: bool = False) -> Recorded:
    """Writes the settings for `machines`, keeping host keys only of VMs that are still the same VM.
    `keep_others` keeps the recorded settings of VMs not in `machines` (one VM booted again)."""
    previous = read_recorded(out)
    known_hosts = out / KNOWN_HOSTS_FILE
    hosts: dict[str, RecordedHost] = dict(previous.hosts) if keep_others and previous else {}
    for name, machine in machines.items():
        entry = RecordedHost(
            machine_id=_machine_id(out, provider, name),
            address=machine.host_name,
            user=machine.user,
            port=machine.port,
            private_key=machine.identity_files[0] if machine.identity_files else None,
            known_hosts=str(known_hosts),
            accept_new_host_keys=True,
            # The vagrant user is not root: everything that needs root goes through its passwordless sudo.
            become=True,
            bastion=machine.proxy_jump,
        )
        before = previous.hosts.get(name) if previous else None
        if before is None or (before.machine_id, before.address, before.port) != (
                entry.machine_id, entry.address, entry.port):
            _forget_host_key(known_hosts, entry.address, entry.port)
            if before is not None:
                _forget_host_key(known_hosts, before.address, before.port)
        hosts[name] = entry
    recorded = Recorded(provider=provider, hosts=hosts)
    write_atomically(out / SETTINGS_FILE, _HEADER + yaml.safe_dump(recorded.model_dump(), sort_keys=False))
    return recorded


def forget_all(out: Path) -> None:
    for name in (SETTINGS_FILE, KNOWN_HOSTS_FILE):
        (out / name).unlink(missing_ok=True)


def _machine_id(out: Path, provider: str, name: str) -> str | None:
    path = out / ".vagrant" / "machines" / name / provider / "id"
    if not path.is_file():
        return None
    return path.read_text().strip() or None


def _forget_host_key(known_hosts: Path, address: str, port: int) -> None:
    if not known_hosts.is_file():
        return
    name = address if port == 22 else f"[{address}]:{port}"
    # ssh-keygen also finds hashed entries (HashKnownHosts yes is Debian's default).
    subprocess.run(["ssh-keygen", "-R", name, "-f", str(known_hosts)], capture_output=True, check=False)
    known_hosts.with_name(known_hosts.name + ".old").unlink(missing_ok=True)

