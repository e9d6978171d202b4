"""`provisioner ping` against a real sshd on loopback addresses (127.0.0.x, an unprivileged port).

Each host of the cluster file gets its own loopback address because the cluster file rejects two
hosts with one address; sshd listens on all of them with one temporary host key.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import shlex
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from provisioner.cluster.topology import Connection
from provisioner.providers import SshTarget
from provisioner.reach import check_host, ssh_command
from provisioner.reach.reasons import ssh_failure, sudo_failure
from tests.conftest import run_cli

SSHD = Path("/usr/sbin/sshd")
USER = getpass.getuser()
IS_ROOT = os.geteuid() == 0

pytestmark = pytest.mark.tools
needs_sshd = pytest.mark.skipif(not SSHD.exists() or shutil.which("ssh") is None,
                                reason="needs /usr/sbin/sshd and ssh: apt-get install -y openssh-server")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _keygen(path: Path) -> str:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "ping-test", "-f", str(path)], check=True)
    return " ".join(path.with_suffix(".pub").read_text().split()[:2])


@dataclass(frozen=True)
class Sshd:
    folder: Path
    port: int
    host_key: str  # "ssh-ed25519 AAAA..." as known_hosts holds it
    client_key: Path

    def known_hosts(self, name: str, *addresses: str, key: str | None = None) -> Path:
        path = self.folder / name
        path.write_text("".join(f"[{a}]:{self.port} {key or self.host_key}\n" for a in addresses))
        return path


@contextlib.contextmanager
def running_sshd(folder: Path, addresses: list[str], extra_config: str = "") -> Iterator[Sshd]:
    folder.mkdir(parents=True)
    host_key = _keygen(folder / "host_ed25519")
    _keygen(folder / "client_ed25519")
    (folder / "authorized_keys").write_text((folder / "client_ed25519.pub").read_text())
    port = _free_port()
    listen = "".join(f"ListenAddress {address}\n" for address in addresses)
    (folder / "sshd_config").write_text(
        f"{listen}Port {port}\nHostKey {folder}/host_ed25519\nPidFile {folder}/sshd.pid\n"
        f"AuthorizedKeysFile {folder}/authorized_keys\nStrictModes no\nUsePAM no\nPasswordAuthentication no\n"
        f"KbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\nAllowUsers {USER}\n"
        f"MaxStartups 50\nLogLevel VERBOSE\n{extra_config}")
    if IS_ROOT:
        # sshd running as root refuses to start without its privilege separation directory.
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    with (folder / "sshd.log").open("w") as log:
        process = subprocess.Popen([str(SSHD), "-D", "-e", "-f", str(folder / "sshd_config")], stderr=log)
    try:
        _wait_listening(addresses[0], port, process, folder / "sshd.log")
        yield Sshd(folder, port, host_key, folder / "client_ed25519")
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_listening(address: str, port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"sshd exited with {process.returncode}: {log.read_text()}")
        with socket.socket() as probe:
            if probe.connect_ex((address, port)) == 0:
                return
        time.sleep(0.05)
    pytest.fail(f"sshd did not listen on {address}:{port}: {log.read_text()}")


ADDRESSES = [f"127.0.0.{n}" for n in range(2, 8)]


@pytest.fixture(scope="module")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sshd]:
    if not SSHD.exists() or shutil.which("ssh") is None:
        pytest.skip("needs /usr/sbin/sshd and ssh: apt-get install -y openssh-server")
    with running_sshd(tmp_path_factory.mktemp("sshd") / "main", ADDRESSES) as server:
        yield server


def _cluster(folder: Path, sshd: Sshd, hosts: list[str]) -> Path:
    path = folder / "cluster.yaml"
    path.write_text(
        f"name: ping-test\nlayout: stacked\n"
        f"ssh: {{user: {USER}, port: {sshd.port}, private_key: {sshd.client_key}, "
        f"known_hosts: {sshd.known_hosts('trusted', *ADDRESSES)}}}\n"
        "hosts:\n" + "".join(f"  - {host}\n" for host in hosts))
    return path


def _target(address: str, sshd: Sshd, **changes: object) -> SshTarget:
    values: dict[str, object] = {"user": USER, "port": sshd.port, "accept_new_host_keys": False, "become": False,
                                 "private_key": str(sshd.client_key),
                                 "known_hosts": str(sshd.known_hosts("trusted", *ADDRESSES))}
    return SshTarget("h", address, Connection(**{**values, **changes}))  # type: ignore[arg-type]


@needs_sshd
def test_ping_names_every_failing_host_with_its_reason(sshd: Sshd, tmp_path: Path) -> None:
    other_key = _keygen(tmp_path / "other_host_key")
    closed_port = _free_port()
    cluster = _cluster(tmp_path, sshd, [
        f"{{name: good, address: {ADDRESSES[0]}, roles: [control_plane]}}",
        f"{{name: changed, address: {ADDRESSES[1]}, roles: [worker], "
        f"ssh: {{known_hosts: {sshd.known_hosts('changed', ADDRESSES[1], key=other_key)}}}}}",
        f"{{name: unknown, address: {ADDRESSES[2]}, roles: [worker], "
        f"ssh: {{known_hosts: {sshd.known_hosts('empty')}}}}}",
        f"{{name: newkey, address: {ADDRESSES[3]}, roles: [worker], "
        f"ssh: {{known_hosts: {tmp_path / 'recorded'}, accept_new_host_keys: true}}}}",
        f"{{name: badkey, address: {ADDRESSES[4]}, roles: [worker], "
        f"ssh: {{private_key: {tmp_path / 'other_host_key'}}}}}",
        f"{{name: closed, address: {ADDRESSES[5]}, roles: [worker], ssh: {{port: {closed_port}}}}}",
    ])
    result = run_cli("ping", str(cluster), "--out", str(tmp_path / "build"))

    assert result.exit_code == 1
    failures = {line.split()[1]: line for line in result.stderr.splitlines() if line.startswith("error: ")}
    assert sorted(failures) == ["badkey", "changed", "closed", "unknown"]
    assert "host key mismatch" in failures["changed"]
    assert "host key unknown" in failures["unknown"]
    assert f"authentication refused for user {USER}" in failures["badkey"]
    assert f"connection refused: nothing listens on port {closed_port}" in failures["closed"]
    for host in ("good", "changed", "unknown", "newkey", "badkey", "closed"):
        assert host in result.stdout
    # accept-new recorded the host's real key on first contact.
    found = subprocess.run(["ssh-keygen", "-F", f"[{ADDRESSES[3]}]:{sshd.port}", "-f", str(tmp_path / "recorded")],
                           capture_output=True, text=True, check=False)
    assert found.returncode == 0
    assert sshd.host_key.split()[1] in found.stdout


@needs_sshd
def test_ping_passes_when_every_host_is_ready(sshd: Sshd, tmp_path: Path) -> None:
    cluster = _cluster(tmp_path, sshd, [f"{{name: cp1, address: {ADDRESSES[0]}, roles: [control_plane]}}",
                                        f"{{name: w1, address: {ADDRESSES[1]}, roles: [worker]}}"])
    result = run_cli("ping", str(cluster), "--out", str(tmp_path / "build"))
    assert result.exit_code == 0, result.stderr
    assert "All 2 hosts are ready for apply" in result.stdout


@needs_sshd
def test_a_second_contact_is_strict_against_the_recorded_key(sshd: Sshd, tmp_path: Path) -> None:
    recorded = tmp_path / "recorded"
    target = _target(ADDRESSES[0], sshd, known_hosts=str(recorded), accept_new_host_keys=True)
    assert check_host(target).ok
    line = recorded.read_text()
    recorded.write_text(line.replace(sshd.host_key.split()[1], _keygen(tmp_path / "impostor").split()[1]))
    assert (check_host(target).problem or "").startswith("host key mismatch")


@needs_sshd
def test_python3_is_checked(sshd: Sshd) -> None:
    check = check_host(_target(ADDRESSES[0], sshd))
    assert (check.reachable, check.python3, check.sudo, check.problem) == (True, True, None, None)


@needs_sshd
@pytest.mark.skipif(shutil.which("sudo") is None, reason="needs sudo on this machine: apt-get install -y sudo")
@pytest.mark.skipif(not IS_ROOT, reason="sudo -n works for root without sudoers changes; other users need a rule")
def test_become_runs_sudo_without_a_password(sshd: Sshd) -> None:
    check = check_host(_target(ADDRESSES[0], sshd, become=True))
    assert (check.python3, check.sudo, check.problem) == (True, True, None)


@needs_sshd
def test_become_without_sudo_on_the_host_fails(tmp_path: Path) -> None:
    # The login shell gets a PATH without sudo, as on a minimal server where sudo is not installed.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "head").symlink_to(shutil.which("head") or "/usr/bin/head")
    force = f'ForceCommand env PATH={bin_dir} /bin/sh -c "$SSH_ORIGINAL_COMMAND"\n'
    with running_sshd(tmp_path / "sshd", [ADDRESSES[0]], force) as server:
        check = check_host(_target(ADDRESSES[0], server, become=True))
    assert (check.reachable, check.python3, check.sudo) == (True, True, False)
    assert check.problem == "sudo is not installed"


def _can_hide_files() -> bool:
    if not IS_ROOT or shutil.which("unshare") is None:
        return False
    return subprocess.run(["unshare", "--mount", "true"], capture_output=True, check=False).returncode == 0


@needs_sshd
@pytest.mark.skipif(not _can_hide_files(), reason="hiding /usr/bin/python3 needs root and mount namespaces (unshare)")
def test_python3_missing_is_reported(tmp_path: Path) -> None:
    # Sessions run in a private mount namespace where /usr/bin/python3 is covered up.
    wrapper = tmp_path / "without-python3"
    wrapper.write_text('#!/bin/sh\nexec unshare --mount sh -c '
                       '\'mount --bind /dev/null /usr/bin/python3 && exec sh -c "$SSH_ORIGINAL_COMMAND"\'\n')
    wrapper.chmod(0o755)
    with running_sshd(tmp_path / "sshd", [ADDRESSES[0]], f"ForceCommand {wrapper}\n") as server:
        check = check_host(_target(ADDRESSES[0], server))
    assert (check.reachable, check.python3) == (True, False)
    assert check.problem == "python3 missing (/usr/bin/python3 does not run)"
    assert os.access("/usr/bin/python3", os.X_OK)  # the mount stayed inside the namespace


@needs_sshd
def test_a_host_that_never_answers_times_out(tmp_path: Path) -> None:
    with socket.socket() as silent:
        silent.bind((ADDRESSES[0], 0))
        silent.listen()
        accepted: list[socket.socket] = []
        stop = threading.Event()

        def accept() -> None:
            silent.settimeout(0.2)
            while not stop.is_set():
                with contextlib.suppress(OSError):
                    accepted.append(silent.accept()[0])

        thread = threading.Thread(target=accept, daemon=True)
        thread.start()
        port = silent.getsockname()[1]
        target = SshTarget("silent", ADDRESSES[0], Connection(user=USER, port=port, accept_new_host_keys=False,
                                                              become=False))
        started = time.monotonic()
        check = check_host(target, connect_timeout=1)
        stop.set()
        thread.join()
        for connection in accepted:
            connection.close()
    assert (check.problem or "").startswith("timeout")
    assert time.monotonic() - started < 10


def test_a_missing_private_key_is_reported_without_connecting(tmp_path: Path) -> None:
    target = SshTarget("h", "127.0.0.2", Connection(user="root", port=22, accept_new_host_keys=False, become=False,
                                                    private_key=str(tmp_path / "nope")))
    assert check_host(target).problem == f"private key {tmp_path / 'nope'} not found on this machine"


def test_a_bad_cluster_file_exits_2(tmp_path: Path) -> None:
    result = run_cli("ping", str(tmp_path / "missing.yaml"))
    assert result.exit_code == 2
    assert "no such file" in result.stderr


def test_ssh_gets_the_inventorys_options_and_never_prompts() -> None:
    target = SshTarget("cp1", "10.0.0.1", Connection(user="admin", port=2222, accept_new_host_keys=True, become=True,
                                                     private_key="/k", known_hosts="/kh"))
    command = ssh_command(target, "true", connect_timeout=7)
    assert command == ["ssh", "-o", "BatchMode=yes", "-o", "ConnectTimeout=7", "-p", "2222", "-l", "admin",
                       "-o", "StrictHostKeyChecking=accept-new", "-o", "UserKnownHostsFile=/kh",
                       "-i", "/k", "--", "10.0.0.1", "true"]


def test_the_bastion_is_reached_with_the_hosts_key_known_hosts_and_policy() -> None:
    """ssh's ProxyJump would reach the bastion with ~/.ssh defaults and might prompt; the ProxyCommand
    carries the host's settings, and the bastion's own user and port."""
    target = SshTarget("cp1", "10.0.0.1", Connection(user="admin", port=2222, accept_new_host_keys=True, become=True,
                                                     private_key="/k", known_hosts="/k h", bastion="jump@b:2200"))
    options = ssh_command(target, "true", connect_timeout=7)
    proxy = next(option for option in options if option.startswith("ProxyCommand="))
    assert shlex.split(proxy.removeprefix("ProxyCommand=")) == [
        "ssh", "-o", "BatchMode=yes", "-o", "ConnectTimeout=10", "-o", "StrictHostKeyChecking=accept-new",
        "-o", "UserKnownHostsFile=/k h", "-i", "/k", "-p", "2200", "-l", "jump", "-W", "[%h]:%p", "--", "b"]
    without_user = SshTarget("cp1", "10.0.0.1", Connection(user="admin", port=22, accept_new_host_keys=False,
                                                           become=False, bastion="[2001:db8::1]"))
    proxy = next(o for o in ssh_command(without_user, "true", connect_timeout=7) if o.startswith("ProxyCommand="))
    assert shlex.split(proxy)[-8:] == ["-p", "22", "-l", "admin", "-W", "[%h]:%p", "--", "2001:db8::1"]


_CONNECTION = Connection(user="admin", port=22, accept_new_host_keys=False, become=False)


@pytest.mark.parametrize(("stderr", "reason"), [
    ("ssh: connect to host 10.0.0.9 port 22: No route to host", "no route to host"),
    ("ssh: connect to host 10.0.0.9 port 22: Network is unreachable", "network unreachable"),
    ("ssh: connect to host 10.0.0.9 port 22: Connection timed out", "timeout"),
    ("Connection timed out during banner exchange\nConnection to 10.0.0.9 port 22 timed out", "timeout"),
    ("ssh: Could not resolve hostname cp9: Name or service not known", "host name does not resolve"),
    ("kex_exchange_identification: read: Connection reset by peer", "connection closed"),
    ("@@@@@@@@\n@    WARNING: UNPROTECTED PRIVATE KEY FILE!          @\nPermissions 0644 for '/k' are too open.\n"
     "admin@10.0.0.9: Permission denied (publickey).", "private key file is readable by others"),
    ("Received disconnect from 10.0.0.9 port 22:2: Too many authentication failures",
     "authentication refused: too many keys"),
    ("something new", "ssh failed: something new"),
])
def test_ssh_failures_get_short_reasons(stderr: str, reason: str) -> None:
    assert ssh_failure(stderr, _CONNECTION).startswith(reason)


@pytest.mark.parametrize(("stderr", "reason"), [
    ("ssh: connect to host b port 2200: Connection refused\nConnection closed by UNKNOWN port 65535",
     "bastion jump@b:2200: connection refused: nothing listens on port 2200"),
    ("No ED25519 host key is known for [b]:2200 and you have requested strict checking.\n"
     "Host key verification failed.\nConnection closed by UNKNOWN port 65535",
     "bastion jump@b:2200: host key unknown"),
    ("jump@b: Permission denied (publickey).\nConnection closed by UNKNOWN port 65535",
     "bastion jump@b:2200: authentication refused for user jump"),
    ("ssh: Could not resolve hostname b: Name or service not known\nConnection closed by UNKNOWN port 65535",
     "bastion jump@b:2200: host name does not resolve"),
    # Past the bastion: the host's own failure, said to be through the bastion.
    ("channel 0: open failed: connect failed: Connection refused\nstdio forwarding failed\n"
     "Connection closed by UNKNOWN port 65535", "connection refused: nothing listens on port 2222"),
    ("No ED25519 host key is known for [10.0.0.1]:2222 and you have requested strict checking.\n"
     "Host key verification failed.", "host key unknown: not in known_hosts"),
])
def test_failures_at_the_bastion_name_the_bastion(stderr: str, reason: str) -> None:
    connection = Connection(user="admin", port=2222, accept_new_host_keys=False, become=False, bastion="jump@b:2200")
    assert ssh_failure(stderr, connection).startswith(reason)
    if not reason.startswith("bastion"):
        assert ssh_failure(stderr, connection).endswith("(via bastion jump@b:2200)")


@pytest.mark.parametrize(("output", "reason"), [
    (" sudo: a password is required", "sudo needs a password (become needs passwordless sudo)"),
    (" /bin/sh: 2: sudo: not found", "sudo is not installed"),
    (" ops is not in the sudoers file.  This incident will be reported.", "user may not use sudo"),
    (" Sorry, user ops may not run sudo on cp1.", "user may not use sudo"),
    (" sudo: account validation failure", "sudo failed: sudo: account validation failure"),
])
def test_sudo_failures_get_short_reasons(output: str, reason: str) -> None:
    assert sudo_failure(output) == reason
